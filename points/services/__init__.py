"""Domain operations of the points app, one module per resource. Views, admin, commands, tasks
and tests call these; nothing else writes the ledger.

- entries: record_entry, reverse_entry, withdraw_entry, record_paper_entries, caps; `refuse` builds
  the ValidationError of every refusal, `write_reversal` appends a reversal already allowed
- appeals: file_appeal, decide_appeal
- issuing: issue_certificate, revoke_certificate, start_batch, resume_batch, run_certificate_batch
"""

from points.services.appeals import decide_appeal, file_appeal
from points.services.entries import (
    PaperEntry,
    can_withdraw,
    cap_period_bounds,
    cap_used,
    caps_left,
    record_entry,
    record_paper_entries,
    refuse,
    reverse_entry,
    withdraw_entry,
    withdraw_window,
    write_reversal,
)
from points.services.issuing import (
    batch_pdf_path,
    discard_old_batch_pdfs,
    issue_certificate,
    resume_batch,
    revoke_certificate,
    run_certificate_batch,
    start_batch,
)

__all__ = [
    "PaperEntry",
    "batch_pdf_path",
    "can_withdraw",
    "cap_period_bounds",
    "cap_used",
    "caps_left",
    "decide_appeal",
    "discard_old_batch_pdfs",
    "file_appeal",
    "issue_certificate",
    "record_entry",
    "record_paper_entries",
    "refuse",
    "resume_batch",
    "reverse_entry",
    "revoke_certificate",
    "run_certificate_batch",
    "start_batch",
    "withdraw_entry",
    "withdraw_window",
    "write_reversal",
]
