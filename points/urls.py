from django.urls import path

from points.views import (
    appeals,
    cards,
    certificates,
    claims,
    groups,
    ledger,
    my_file,
    offline,
    photos,
    record,
    residents,
    reviews,
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
    # The township's second level.
    path("me/appeals/<int:pk>/review/", reviews.review_request, name="review_request"),
    path("township/cases/", reviews.review_queue, name="review_queue"),
    path("township/cases/<int:pk>/", reviews.review_case, name="review_case"),
    # Deeds residents claim; scorers and heads confirm or decline.
    path("me/claims/", claims.my_claims, name="my_claims"),
    path("claims/", claims.claim_queue, name="claim_queue"),
    path("claims/<int:pk>/", claims.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/photo/", claims.claim_photo, name="claim_photo"),
    # A resident's whole file.
    path("me/file.pdf", my_file.my_file_pdf, name="my_file_pdf"),
    path("me/file.zip", my_file.my_file_zip, name="my_file_zip"),
    path("residents/", residents.resident_list, name="resident_list"),
    path("residents/<int:pk>/", standing.resident_standing, name="resident_standing"),
    path("residents/<int:pk>/ledger/", ledger.resident_ledger, name="resident_ledger"),
    path("residents/<int:pk>/statement/", statement.statement, name="statement"),
    path("residents/<int:pk>/statement.pdf", statement.statement_pdf, name="statement_pdf"),
    # Resident cards: one at a time, a sheet for many (a background job), and the household pages.
    path("residents/<int:pk>/card/", cards.resident_card, name="resident_card"),
    path("residents/<int:pk>/card/issue/", cards.card_issue, name="card_issue"),
    path("residents/<int:pk>/card/revoke/", cards.card_revoke, name="card_revoke"),
    path("cards/sheets/", cards.sheet_start, name="card_sheet_start"),
    path("cards/sheets/<int:pk>/", cards.sheet_detail, name="card_sheet"),
    path("cards/sheets/<int:pk>/pdf/", cards.sheet_pdf, name="card_sheet_pdf"),
    path("me/household/<int:pk>/", cards.household_standing, name="household_standing"),
    path("me/household/<int:pk>/ledger/", cards.household_ledger, name="household_ledger"),
    path("entries/<int:pk>/paper-appeal/", appeals.paper_appeal, name="paper_appeal"),
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
    path("verify/", verify.verify_form, name="verify_form"),
    path("verify/<str:code>/", verify.verify, name="verify"),
]
