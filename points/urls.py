from django.urls import path

from points.views import appeals, ledger, photos, record, residents, standing, statement

app_name = "points"

urlpatterns = [
    path("me/", standing.standing, name="standing"),
    # The volunteer scorer's screens.
    path("record/", record.record, name="record"),
    path("record/residents/", record.resident_results, name="record_residents"),
    path("record/items/", record.item_results, name="record_items"),
    path("record/<int:pk>/done/", record.record_done, name="record_done"),
    path("my-entries/", record.my_entries, name="my_entries"),
    path("my-entries/<int:pk>/withdraw/", record.withdraw, name="withdraw"),
    path("entries/<int:pk>/photo/", photos.entry_photo, name="entry_photo"),
    path("me/ledger/", ledger.ledger, name="ledger"),
    path("me/entries/<int:pk>/appeal/", appeals.appeal_entry, name="appeal_entry"),
    path("appeals/", appeals.appeal_queue, name="appeal_queue"),
    path("appeals/<int:pk>/", appeals.appeal_decide, name="appeal_decide"),
    path("residents/", residents.resident_list, name="resident_list"),
    path("residents/<int:pk>/", standing.resident_standing, name="resident_standing"),
    path("residents/<int:pk>/ledger/", ledger.resident_ledger, name="resident_ledger"),
    path("residents/<int:pk>/statement/", statement.statement, name="statement"),
]
