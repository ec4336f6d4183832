from django.urls import path

from points.views import (
    appeals,
    certificates,
    groups,
    ledger,
    offline,
    photos,
    record,
    residents,
    standing,
    statement,
    verify,
)

app_name = "points"

urlpatterns = [
    path("me/", standing.standing, name="standing"),
    # The volunteer scorer's screens.
    path("record/", record.record, name="record"),
    path("record/residents/", record.resident_results, name="record_residents"),
    path("record/items/", record.item_results, name="record_items"),
    path("record/<int:pk>/done/", record.record_done, name="record_done"),
    path("record/group/", groups.record_group, name="record_group"),
    # Recording without signal: the page the phone keeps, its data, and delivery of waiting entries.
    path("record/offline/", offline.record_offline, name="record_offline"),
    path("record/offline/data/", offline.offline_data, name="offline_data"),
    path("record/offline/sync/", offline.offline_sync, name="offline_sync"),
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
    # Certificates: the head's registry and batches, residents' own, and the public verification.
    path("certificates/", certificates.registry, name="certificates"),
    path("certificates/residents/<int:pk>/", certificates.resident_certificates, name="resident_certificates"),
    path("certificates/residents/<int:pk>/issue/", certificates.issue, name="issue_certificate"),
    path("certificates/<int:pk>/pdf/", certificates.certificate_pdf, name="certificate_pdf"),
    path("certificates/<int:pk>/revoke/", certificates.revoke, name="revoke_certificate"),
    path("certificates/batches/", certificates.batch_start, name="batch_start"),
    path("certificates/batches/<int:pk>/", certificates.batch_detail, name="batch"),
    path("certificates/batches/<int:pk>/resume/", certificates.batch_resume, name="batch_resume"),
    path("certificates/batches/<int:pk>/pdf/", certificates.batch_pdf, name="batch_pdf"),
    path("me/certificates/", certificates.my_certificates, name="my_certificates"),
    path("verify/<str:code>/", verify.verify, name="verify"),
]
