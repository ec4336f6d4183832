"""A resident's whole file: everything the system holds about them, as tables in their language,
rendered as one PDF or as a ZIP of CSV files. Called by points.views.my_file after the access check.

Seven queries whatever the size of the ledger; the tables are built in memory (a resident's file is
a few hundred rows at most).
"""

import csv
import io
import zipfile
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from points.models import Appeal, Certificate, Claim, Entry, Notification
from villages.exports import safe_cell
from villages.models import Resident
from villages.pdf import register_font


@dataclass(frozen=True)
class Table:
    name: str  # file name inside the ZIP, without .csv
    title: str
    header: list[str]
    rows: list[list]


def _when(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    return date_format(value, "DATE_FORMAT")


def _who(user) -> str:
    return (user.get_full_name() or user.username) if user is not None else ""


def gather(resident: Resident) -> list[Table]:
    """Every table of the resident's file."""
    person = Table(
        "resident",
        _("Resident"),
        [_("Name"), _("Village"), _("Household"), _("Status"), _("Consent given on"), _("Consent recorded by")],
        [
            [
                resident.name,
                resident.village.name,
                resident.household.number,
                resident.get_status_display(),
                _when(resident.consent_given_on),
                _who(resident.consent_recorded_by),
            ]
        ],
    )
    entries = (
        Entry.objects.filter(resident=resident).select_related("item", "recorded_by").order_by("occurred_on", "pk")
    )
    ledger = Table(
        "entries",
        _("Ledger entries"),
        [
            _("Date"),
            _("Code"),
            _("Item"),
            _("Points"),
            _("Fine (yuan)"),
            _("Recorded by"),
            _("Recorded at"),
            _("Note"),
            _("Witness"),
            _("Reverses entry"),
            _("Reason"),
            _("Stops counting on"),
        ],
        [
            [
                _when(e.occurred_on),
                e.item.code,
                e.item.title,
                str(e.points),
                e.fine_yuan or "",
                _who(e.recorded_by),
                _when(e.recorded_at),
                e.note,
                e.witness,
                e.reverses_id or "",
                e.reason,
                _when(e.expires_on),
            ]
            for e in entries
        ],
    )
    appeals = (
        Appeal.objects.filter(entry__resident=resident)
        .select_related("entry__item", "decided_by", "review__decided_by")
        .order_by("filed_at")
    )
    appeal_rows = []
    for a in appeals:
        review = getattr(a, "review", None)
        appeal_rows.append(
            [
                _when(a.filed_at),
                f"{_when(a.entry.occurred_on)} {a.entry.item.code} {a.entry.item.title}",
                a.reason,
                a.get_status_display(),
                _when(a.decided_at),
                a.decision_reason,
                _when(review.requested_at) if review else "",
                review.reason if review else "",
                review.get_status_display() if review else "",
                _when(review.decided_at) if review else "",
                review.decision_reason if review else "",
            ]
        )
    appeal_table = Table(
        "appeals",
        _("Appeals and township reviews"),
        [
            _("Filed at"),
            _("Entry"),
            _("Reason"),
            _("Decision"),
            _("Decided at"),
            _("Reason for the decision"),
            _("Review asked for on"),
            _("Reason for the review"),
            _("Township decision"),
            _("Township decided at"),
            _("Township's reason"),
        ],
        appeal_rows,
    )
    claims = Claim.objects.filter(resident=resident).select_related("item").order_by("filed_at")
    claim_table = Table(
        "claims",
        _("Claimed deeds"),
        [
            _("Claimed at"),
            _("Date"),
            _("Item"),
            _("What happened"),
            _("Witness"),
            _("Status"),
            _("Why it was declined"),
        ],
        [
            [
                _when(c.filed_at),
                _when(c.occurred_on),
                f"{c.item.code} {c.item.title}",
                c.words,
                c.witness,
                c.get_status_display(),
                c.decline_reason,
            ]
            for c in claims
        ],
    )
    notices = Notification.objects.filter(user_id=resident.user_id).order_by("created_at") if resident.user_id else []
    notice_table = Table(
        "notices",
        _("Notices"),
        [_("Created at"), _("Notice"), _("Read at")],
        [[_when(n.created_at), n.get_kind_display(), _when(n.read_at)] for n in notices],
    )
    certificates = Certificate.objects.filter(resident=resident).order_by("issued_at")
    certificate_table = Table(
        "certificates",
        _("Certificates"),
        [_("Serial number"), _("Grade"), _("Balance"), _("Issued at"), _("Revoked at"), _("Reason for revoking")],
        [
            [c.serial, c.grade, str(c.balance), _when(c.issued_at), _when(c.revoked_at), c.revoke_reason]
            for c in certificates
        ],
    )
    return [person, ledger, appeal_table, claim_table, notice_table, certificate_table]


def as_zip(tables: list[Table]) -> bytes:
    """One CSV per table (UTF-8 with a byte order mark, formula-safe cells), zipped."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for table in tables:
            text = io.StringIO()
            writer = csv.writer(text)
            writer.writerow(table.header)
            writer.writerows([safe_cell(cell) for cell in row] for row in table.rows)
            archive.writestr(f"{table.name}.csv", "\ufeff" + text.getvalue())
    return out.getvalue()


def as_pdf(tables: list[Table], *, title: str) -> bytes:
    """The tables as a plain A4 document: each row as "header: value" lines, wrapped to the page."""
    font = register_font()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, invariant=True)
    canvas.setTitle(title)
    width, height = A4
    left, top, bottom = 18 * mm, height - 18 * mm, 18 * mm
    y = top

    def line(text: str, size: float = 9, gap: float = 1.4) -> None:
        nonlocal y
        for part in _wrap(text, font, size, width - 2 * left):
            if y < bottom:
                canvas.showPage()
                y = top
            canvas.setFont(font, size)
            canvas.drawString(left, y, part)
            y -= size * gap

    line(title, 16)
    line(_when(timezone.now()), 9)
    for table in tables:
        y -= 6
        line(table.title, 13)
        if not table.rows:
            line(_("None."))
        for row in table.rows:
            for header, cell in zip(table.header, row, strict=True):
                if cell not in ("", None):
                    line(f"{header}: {cell}")
            y -= 4
    canvas.save()
    return out.getvalue()


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break `text` into lines no wider than `width`, character by character (Chinese has no spaces)."""
    lines = []
    for paragraph in str(text).splitlines() or [""]:
        current = ""
        for char in paragraph:
            if stringWidth(current + char, font, size) > width:
                lines.append(current)
                current = char
            else:
                current += char
        lines.append(current)
    return lines
