"""Domain operations of the points app, one module per resource. Views, admin, commands, tasks
and tests call these; nothing else writes the ledger.

- entries: record_entry (points.access.get_item_to_record reads its item, role and edition in one
  statement),
  reverse_entry, withdraw_entry, record_paper_entries, caps; `refuse` builds the ValidationError of
  every refusal, `write_reversal` appends a reversal already allowed
- groups: record_group (one deed for many residents)
- appeals: file_appeal, decide_appeal (nobody decides their own case: points.access.appeal_route)
- reviews: request_review, decide_review (the township's second level)
- claims: file_claim, confirm_claim, decline_claim (deeds residents declare)
- warnings: check_warning_given (called by record_entry)
- heads: publish_head, publish_heads, report_head (each month's chain head, points.heads)
- issuing: issue_certificate, revoke_certificate, start_batch, resume_batch, run_certificate_batch
"""

from points.services.appeals import check_may_decide, decide_appeal, file_appeal, record_paper_appeal
from points.services.claims import confirm_claim, decline_claim, file_claim
from points.services.entries import (
    PaperEntry,
    can_withdraw,
    cap_period_bounds,
    cap_used,
    capped_out,
    caps_left,
    record_entry,
    record_paper_entries,
    refuse,
    reverse_entry,
    withdraw_entry,
    withdraw_window,
    write_reversal,
)
from points.services.groups import GroupOutcome, member_key, record_group
from points.services.heads import publish_head, publish_heads, report_head
from points.services.issuing import (
    batch_pdf_path,
    discard_old_batch_pdfs,
    issue_certificate,
    resume_batch,
    resume_stalled_batches,
    revoke_certificate,
    run_certificate_batch,
    start_batch,
)
from points.services.reviews import decide_review, request_review, review_deadline
from points.services.warnings import warning_given

__all__ = [
    "GroupOutcome",
    "PaperEntry",
    "batch_pdf_path",
    "can_withdraw",
    "cap_period_bounds",
    "cap_used",
    "capped_out",
    "caps_left",
    "check_may_decide",
    "confirm_claim",
    "decide_appeal",
    "decide_review",
    "decline_claim",
    "discard_old_batch_pdfs",
    "file_appeal",
    "file_claim",
    "issue_certificate",
    "member_key",
    "publish_head",
    "publish_heads",
    "record_entry",
    "record_group",
    "record_paper_appeal",
    "record_paper_entries",
    "refuse",
    "report_head",
    "request_review",
    "resume_batch",
    "resume_stalled_batches",
    "reverse_entry",
    "review_deadline",
    "revoke_certificate",
    "run_certificate_batch",
    "start_batch",
    "warning_given",
    "withdraw_entry",
    "withdraw_window",
    "write_reversal",
]
