from django.urls import path

from points.views import photos, record, standing

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
]
