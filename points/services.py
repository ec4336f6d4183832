"""The only code that writes the ledger. Views, admin, commands, tasks and tests call these."""

import contextlib
import os
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from handbook.models import Edition, Item
from points import certificates, chain, outbox
from points.models import Appeal, Certificate, CertificateBatch, Entry, Notification
from points.standing import compute_standing
from points.tasks import email_appeal_decision, notify_entry_recorded, render_certificate_batch
from points.validators import CleanPhoto, clean_photo
from points.verification import certificate_data
from villages.audit import record_audit
from villages.grades import bands_on, grade_for
from villages.models import Membership, Resident, Village
from villages.services import has_role


def cap_period_bounds(item: Item, occurred_on: date) -> tuple[date, date]:
    """First and last day of the calendar month or year that holds `occurred_on`."""
    if item.cap_period == Item.Period.YEAR:
        return date(occurred_on.year, 1, 1), date(occurred_on.year, 12, 31)
    first = occurred_on.replace(day=1)
    return first, first + relativedelta(months=1) - timedelta(days=1)


def cap_used(*, resident: Resident, item: Item, occurred_on: date) -> int:
    """How many times the item (by code, across editions) counts against its cap in the period
    holding `occurred_on`. Withdrawn and upheld-on-appeal entries free their place."""
    start, end = cap_period_bounds(item, occurred_on)
    return (
        Entry.objects.originals()
        .not_reversed()
        .filter(resident=resident, item__code=item.code, occurred_on__range=(start, end))
        .count()
    )


def caps_left(*, resident: Resident, items: list[Item], occurred_on: date) -> dict[int, int]:
    """For each capped item among `items`, how many more times it may be recorded for `resident`
    in the period holding `occurred_on` (item pk → count). Same rule as cap_used, in one query."""
    capped = [item for item in items if item.cap_count is not None]
    if not capped:
        return {}
    year_start, year_end = date(occurred_on.year, 1, 1), date(occurred_on.year, 12, 31)
    rows = list(
        Entry.objects.originals()
        .not_reversed()
        .filter(
            resident=resident,
            item__code__in={item.code for item in capped},
            occurred_on__range=(year_start, year_end),
        )
        .values_list("item__code", "occurred_on")
    )
    left = {}
    for item in capped:
        start, end = cap_period_bounds(item, occurred_on)
        used = sum(1 for code, on in rows if code == item.code and start <= on <= end)
        left[item.pk] = max(item.cap_count - used, 0)
    return left


def _refuse(message: str, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def record_entry(
    *,
    scorer: AbstractBaseUser,
    resident: Resident,
    item: Item,
    occurred_on: date,
    idempotency_key: uuid.UUID,
    note: str = "",
    witness: str = "",
    photo: CleanPhoto | IO[bytes] | bytes | None = None,
) -> Entry:
    """Record a deed or an infraction and return the entry.

    The same idempotency key always returns the entry first recorded with it, so a double tap or
    a retry after a lost response records once. Refusals raise ValidationError (with a code and a
    translated message) and write nothing.

    Locks the resident's row (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers
    anyway), so two scorers recording the same capped deed at once cannot both pass the cap, then
    the village's row while the entry is sealed into the village's hash chain (points.chain).

    `photo` (optional) is checked and re-encoded by points.validators.clean_photo before the
    transaction (a bad photo refuses the entry). The JPEG is written to storage only once every
    check passed, and removed again if the insert fails, so a refused entry leaves no file and
    an entry never points at a missing one. A replayed key returns the entry without a new file.
    """
    if photo is not None and not isinstance(photo, CleanPhoto):
        photo = clean_photo(photo)
    photo_name = ""
    try:
        with transaction.atomic():
            resident = Resident.objects.select_for_update().select_related("village").get(pk=resident.pk)
            existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                return _replayed(existing, scorer=scorer, resident=resident, item=item)
            _check_recordable(scorer=scorer, resident=resident, item=item, occurred_on=occurred_on)
            if photo is not None:
                # A local write of ~200 KB inside the transaction: the entry and its file exist together or not at all.
                photo_name = _store_photo(photo, village=resident.village, on=occurred_on)
            entry = _insert(
                village=resident.village,
                resident=resident,
                item=item,
                points_halves=item.signed_halves,
                fine_yuan=item.fine_yuan,
                occurred_on=occurred_on,
                counts_from=occurred_on,
                expires_on=_expiry(item, occurred_on),
                recorded_by=scorer,
                note=note.strip(),
                witness=witness.strip(),
                photo=photo_name,
                idempotency_key=idempotency_key,
            )
            if resident.user_id is not None:
                # Through the outbox: the entry stands even if the broker is down right now.
                outbox.enqueue(notify_entry_recorded, entry.pk)
            return entry
    except Exception as error:
        if photo_name:
            default_storage.delete(photo_name)
        if not isinstance(error, IntegrityError):
            raise
        # Another request with the same key committed between our check and our insert.
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, scorer=scorer, resident=resident, item=item)


def _insert(**fields) -> Entry:
    """Insert one entry, sealed into its village's hash chain (points.chain). Locks the village row
    until the caller's transaction ends: a village's entries are written one at a time."""
    entry = Entry(**fields)
    chain.seal([entry], village_id=entry.village_id)
    entry.save(force_insert=True)
    return entry


def _store_photo(photo: CleanPhoto, *, village: Village, on: date) -> str:
    """Save the JPEG under an unguessable name and return the name kept in Entry.photo."""
    name = f"photos/{village.code}/{on:%Y/%m}/{uuid.uuid4().hex}.jpg"
    return default_storage.save(name, ContentFile(photo.jpeg))


def _expiry(item: Item, occurred_on: date) -> date | None:
    """The day a deduction stops counting (credit repair), or None if it always counts."""
    if item.kind == Item.Kind.INFRACTION and item.validity_months:
        return occurred_on + relativedelta(months=item.validity_months)
    return None


def _replayed(entry: Entry, *, scorer: AbstractBaseUser, resident: Resident, item: Item) -> Entry:
    if (entry.recorded_by_id, entry.resident_id, entry.item_id) != (scorer.pk, resident.pk, item.pk):
        raise _refuse(_("This form was already used for another entry. Reload the page and try again."), "key_reused")
    return entry


def _check_recordable(*, scorer: AbstractBaseUser, resident: Resident, item: Item, occurred_on: date) -> None:
    village = resident.village
    if not has_role(scorer, village, Membership.Role.SCORER):
        raise _refuse(_("You are not a scorer in %(village)s."), "foreign_village", village=village.name)
    if resident.status != Resident.Status.ACTIVE:
        raise _refuse(
            _("%(name)s no longer lives in the village and cannot be scored."), "inactive", name=resident.name
        )
    if not resident.has_consented:
        raise _refuse(
            _("%(name)s has not agreed to be scored, so nothing can be recorded for them."),
            "no_consent",
            name=resident.name,
        )
    if occurred_on < resident.consent_given_on:
        raise _refuse(
            _("%(name)s agreed to be scored on %(date)s; nothing before that day can be recorded."),
            "before_consent",
            name=resident.name,
            date=resident.consent_given_on.isoformat(),
        )
    today = village.today()
    edition = Edition.objects.in_force(village=village, on=today)
    if edition is None or item.edition_id != edition.pk:
        raise _refuse(_("This item is not in the village's current handbook. Pick it again."), "unknown_item")
    if occurred_on > today:
        raise _refuse(_("The date is in the future. Enter the day the deed happened."), "future_date")
    if occurred_on < today - timedelta(days=village.backdate_days):
        raise _refuse(
            _("The date is more than %(days)d days ago; entries that old can no longer be recorded."),
            "too_old",
            days=village.backdate_days,
        )
    if item.cap_count is not None and cap_used(resident=resident, item=item, occurred_on=occurred_on) >= item.cap_count:
        if item.cap_period == Item.Period.YEAR:
            message = _(
                "“%(item)s” may be recorded at most %(count)d times a year for one resident; this year's are used up."
            )
        else:
            message = _(
                "“%(item)s” may be recorded at most %(count)d times a month for one resident; this month's are used up."
            )
        raise _refuse(message, "cap_reached", item=item.title, count=item.cap_count)


def reverse_entry(*, entry: Entry, author: AbstractBaseUser, reason: str) -> Entry:
    """Record a reversing entry for `entry` and return it. From today (village time) the two sum to zero.

    The author must be the village head or an administrator; scorers withdraw their own entries
    through `withdraw_entry`, which checks its time window and then calls this.
    """
    if not has_role(author, entry.village_id, Membership.Role.HEAD, Membership.Role.ADMIN):
        raise _refuse(_("Only the village head or an administrator can reverse an entry."), "not_allowed")
    return _reverse(entry=entry, author=author, reason=reason)


def withdraw_window() -> timedelta:
    return timedelta(minutes=settings.SCORER_WITHDRAW_MINUTES)


def can_withdraw(entry: Entry, *, scorer: AbstractBaseUser, now: datetime | None = None) -> bool:
    """Whether `scorer` may still withdraw `entry` (theirs, an original, inside the window).
    Does not look for an existing reversal; callers that show a button select_related it."""
    now = now or timezone.now()
    return entry.recorded_by_id == scorer.pk and not entry.is_reversal and now - entry.recorded_at <= withdraw_window()


def withdraw_entry(*, entry: Entry, scorer: AbstractBaseUser, reason: str) -> Entry:
    """The scorer takes back an entry they recorded by mistake: a reversing entry with their reason.

    Allowed only to the scorer who recorded it, while they are still a scorer in the village, and
    within SCORER_WITHDRAW_MINUTES of its recording; after that the resident appeals or the head
    reverses it."""
    if entry.recorded_by_id != scorer.pk or not has_role(scorer, entry.village_id, Membership.Role.SCORER):
        raise _refuse(_("You can only withdraw entries you recorded yourself."), "not_allowed")
    if entry.is_reversal:
        raise _refuse(_("A reversal cannot itself be reversed."), "is_reversal")
    if timezone.now() - entry.recorded_at > withdraw_window():
        raise _refuse(
            _(
                "Entries can be withdrawn for %(minutes)d minutes after recording; this one is older. "
                "Ask the village head to reverse it."
            ),
            "too_late",
            minutes=settings.SCORER_WITHDRAW_MINUTES,
        )
    return _reverse(entry=entry, author=scorer, reason=reason)


def _reverse(*, entry: Entry, author: AbstractBaseUser, reason: str) -> Entry:
    reason = reason.strip()
    if not reason:
        raise _refuse(_("Give a reason for the reversal."), "reason_required")
    if entry.is_reversal:
        raise _refuse(_("A reversal cannot itself be reversed."), "is_reversal")
    try:
        with transaction.atomic():
            Resident.objects.select_for_update().filter(pk=entry.resident_id).first()
            if Entry.objects.filter(reverses=entry).exists():
                raise _refuse(_("This entry has already been reversed."), "already_reversed")
            return _insert(
                village_id=entry.village_id,
                resident_id=entry.resident_id,
                item_id=entry.item_id,
                points_halves=-entry.points_halves,
                occurred_on=entry.occurred_on,
                counts_from=max(entry.counts_from, entry.village.today()),
                expires_on=entry.expires_on,
                recorded_by=author,
                reverses=entry,
                reason=reason,
            )
    except IntegrityError:
        raise _refuse(_("This entry has already been reversed."), "already_reversed") from None


def file_appeal(*, entry: Entry, resident_user: AbstractBaseUser, reason: str) -> Appeal:
    """The resident disputes one of their own entries, within APPEAL_WINDOW_DAYS of its recording."""
    reason = reason.strip()
    if entry.resident.user_id != resident_user.pk:
        raise _refuse(_("You can only appeal entries in your own ledger."), "not_allowed")
    if not reason:
        raise _refuse(_("Say why the entry is wrong."), "reason_required")
    if entry.is_reversal or Entry.objects.filter(reverses=entry).exists():
        raise _refuse(_("This entry has been reversed already; there is nothing to appeal."), "already_reversed")
    if timezone.now() - entry.recorded_at > timedelta(days=settings.APPEAL_WINDOW_DAYS):
        raise _refuse(
            _("Entries can be appealed for %(days)d days after they were recorded; this one is older."),
            "too_late",
            days=settings.APPEAL_WINDOW_DAYS,
        )
    try:
        with transaction.atomic():
            return Appeal.objects.create(entry=entry, filed_by=resident_user, reason=reason)
    except IntegrityError:
        raise _refuse(_("This entry already has an open appeal."), "appeal_open") from None


def decide_appeal(*, appeal: Appeal, head: AbstractBaseUser, upheld: bool, reason: str) -> Appeal:
    """Uphold (the entry is reversed, with the decision's reason) or reject an open appeal."""
    reason = reason.strip()
    if not has_role(head, appeal.entry.village_id, Membership.Role.HEAD):
        raise _refuse(_("Only the village head decides appeals."), "not_allowed")
    if not reason:
        raise _refuse(_("Write the reason for your decision; the resident will read it."), "reason_required")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("entry__village").get(pk=appeal.pk)
        if appeal.status != Appeal.Status.OPEN:
            raise _refuse(_("This appeal has already been decided."), "already_decided")
        if upheld and not Entry.objects.filter(reverses=appeal.entry).exists():
            # (If the entry was reversed meanwhile, e.g. withdrawn, upholding only records the decision.)
            _reverse(entry=appeal.entry, author=head, reason=reason)
        appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
        appeal.decided_by = head
        appeal.decided_at = timezone.now()
        appeal.decision_reason = reason
        appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        _notify_decision(appeal)
    return appeal


def _notify_decision(appeal: Appeal) -> None:
    """An in-app notice for the resident (if they have a login) and, after commit, an e-mail."""
    user_id = Resident.objects.filter(pk=appeal.entry.resident_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return  # no login: the head's printed statement tells them
    notification = Notification.objects.create(user_id=user_id, kind=Notification.Kind.APPEAL_DECIDED, appeal=appeal)
    outbox.enqueue(email_appeal_decision, notification.pk)


@dataclass(frozen=True)
class PaperEntry:
    """One line of a paper ledger kept before the village used Village Points."""

    resident: Resident
    item: Item
    occurred_on: date
    scorer: AbstractBaseUser
    recorded_at: datetime
    note: str = ""


def record_paper_entries(*, village: Village, transcribed_by: AbstractBaseUser, entries: list[PaperEntry]) -> int:
    """Transcribe a paper ledger: all lines or none. Returns how many were written.

    Each line is checked like a live recording, against the edition in force on the day of the
    deed instead of today and without the backdating window: the resident lives in the village
    and has consented, the scorer scores there, the date is not in the future, caps hold.
    Only an administrator of the village may transcribe.
    """
    if not has_role(transcribed_by, village, Membership.Role.ADMIN):
        raise _refuse(_("Only an administrator of the village can transcribe a paper ledger."), "not_allowed")
    today = village.today()
    scorers = set(
        Membership.objects.filter(village=village, role=Membership.Role.SCORER).values_list("user_id", flat=True)
    )
    editions = list(Edition.objects.published().filter(village=village).order_by("effective_from", "number"))
    with transaction.atomic():
        used: dict[tuple[int, str, date], int] = {}
        rows = []
        for number, line in enumerate(entries, start=1):
            in_force = [e for e in editions if e.effective_from <= line.occurred_on]
            problem = (
                line.resident.village_id != village.pk
                or line.resident.status != Resident.Status.ACTIVE
                or not line.resident.has_consented
                or line.scorer.pk not in scorers
                or not in_force
                or line.item.edition_id != in_force[-1].pk
                or line.occurred_on > today
            )
            if problem:
                raise _refuse(_("Line %(line)d cannot be recorded; nothing was written."), "bad_line", line=number)
            if line.item.cap_count is not None:
                key = (line.resident.pk, line.item.code, cap_period_bounds(line.item, line.occurred_on)[0])
                if key not in used:
                    used[key] = cap_used(resident=line.resident, item=line.item, occurred_on=line.occurred_on)
                if used[key] >= line.item.cap_count:
                    raise _refuse(
                        _("Line %(line)d is over the item's cap; nothing was written."), "cap_reached", line=number
                    )
                used[key] += 1
            rows.append(
                Entry(
                    village=village,
                    resident=line.resident,
                    item=line.item,
                    points_halves=line.item.signed_halves,
                    fine_yuan=line.item.fine_yuan,
                    occurred_on=line.occurred_on,
                    counts_from=line.occurred_on,
                    expires_on=_expiry(line.item, line.occurred_on),
                    recorded_by=line.scorer,
                    recorded_at=line.recorded_at,
                    note=line.note,
                )
            )
        chain.seal(rows, village_id=village.pk)  # bulk_create inserts in list order: the chain's order
        Entry.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


# --- Certificates ---------------------------------------------------------------------------

# Certificates issued per transaction in a batch: small enough that the write lock is held briefly
# and progress moves every second or so, large enough that commits are not the cost.
BATCH_CHUNK = 25


def _check_certifier(user: AbstractBaseUser, village: Village | int) -> None:
    if not has_role(user, village, Membership.Role.HEAD, Membership.Role.ADMIN):
        raise _refuse(_("Only the village head or an administrator can issue or revoke certificates."), "not_allowed")


def issue_certificate(*, resident: Resident, issued_by: AbstractBaseUser) -> Certificate:
    """Issue a certificate of the resident's grade and balance today; the PDF is rendered from it.

    Only the village head or an administrator may; the resident must live in the village and have
    agreed to the scheme. Older certificates of the resident are superseded by this one."""
    _check_certifier(issued_by, resident.village_id)
    if resident.status != Resident.Status.ACTIVE:
        raise _refuse(_("%(name)s no longer lives in the village."), "inactive", name=resident.name)
    if not resident.has_consented:
        raise _refuse(_("%(name)s has not joined the points scheme."), "no_consent", name=resident.name)
    standing = compute_standing(resident=resident)
    (certificate,) = _issue(
        village=resident.village,
        grades={resident.pk: (standing.balance, standing.grade)},
        residents=[resident],
        issued_by=issued_by,
    )
    return certificate


def _issue(
    *,
    village: Village,
    residents: list[Resident],
    grades: dict[int, tuple[Decimal, str]],
    issued_by: AbstractBaseUser,
    batch: CertificateBatch | None = None,
) -> list[Certificate]:
    """Issue certificates to `residents` in one transaction and return them in the same order.

    Serial numbers continue the village's sequence for the year without gaps: the village row is
    locked first (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway), so two
    issuers never draw the same number, and a rolled-back transaction gives its numbers back.
    In a batch, residents who already have its certificate get that one back: re-running a batch
    issues nothing twice (and the (batch, resident) constraint would refuse it)."""
    with transaction.atomic():
        village = Village.objects.select_for_update().get(pk=village.pk)
        existing = {}
        if batch is not None:
            existing = {
                c.resident_id: c
                for c in Certificate.objects.filter(batch=batch, resident__in=[r.pk for r in residents])
            }
        now = timezone.now()
        year = now.astimezone(village.tzinfo).year
        last = Certificate.objects.filter(village=village, year=year).aggregate(last=Max("sequence"))["last"] or 0
        new = []
        for resident in residents:
            if resident.pk in existing:
                continue
            last += 1
            balance, grade = grades[resident.pk]
            new.append(
                Certificate(
                    village=village,
                    resident=resident,
                    year=year,
                    sequence=last,
                    serial=f"{village.code}-{year}-{last:04d}",
                    village_name=village.name,
                    seal_text=village.seal_text,
                    resident_name=resident.name,
                    grade=grade,
                    balance_halves=int(balance * 2),
                    issued_by=issued_by,
                    issued_at=now,
                    batch=batch,
                )
            )
        Certificate.objects.bulk_create(new)
        if batch is None:
            for certificate in new:
                record_audit(action="certificate.issue", actor=issued_by, village=village, target=certificate.serial)
    issued = existing | {c.resident_id: c for c in new}
    for certificate in issued.values():
        certificate.village = village
    return [issued[r.pk] for r in residents]


def revoke_certificate(*, certificate: Certificate, revoked_by: AbstractBaseUser, reason: str) -> Certificate:
    """Revoke a certificate with a reason: from now on it verifies as revoked (with the date)."""
    _check_certifier(revoked_by, certificate.village_id)
    reason = reason.strip()
    if not reason:
        raise _refuse(_("Give a reason for revoking the certificate."), "reason_required")
    with transaction.atomic():
        certificate = Certificate.objects.select_for_update().select_related("village").get(pk=certificate.pk)
        if certificate.is_revoked:
            raise _refuse(_("This certificate has already been revoked."), "already_revoked")
        certificate.revoked_at = timezone.now()
        certificate.revoked_by = revoked_by
        certificate.revoke_reason = reason
        certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        record_audit(
            action="certificate.revoke",
            actor=revoked_by,
            village=certificate.village,
            target=certificate.serial,
            after={"reason": reason},
        )
    return certificate


def village_grades(*, village: Village, residents: list[Resident]) -> dict[int, tuple[Decimal, str]]:
    """Each resident's balance and grade today (resident pk → (balance, grade)). Two queries,
    whatever the number of residents: one per-resident SUM over the village's balance index."""
    today = village.today()
    bands = bands_on(village=village, on=today)
    totals = dict(
        Entry.objects.filter(village=village)
        .counting(on=today)
        .values_list("resident")
        .annotate(total=Sum("points_halves"))
        .values_list("resident", "total")
    )
    grades = {}
    for resident in residents:
        balance = village.starting_capital + Decimal(totals.get(resident.pk) or 0) / 2
        grades[resident.pk] = (balance, grade_for(balance, bands))
    return grades


def start_batch(
    *, village: Village, requested_by: AbstractBaseUser, grades: list[str] | None = None
) -> CertificateBatch:
    """Start issuing certificates to every resident of the village (living there, in the scheme),
    or to those holding one of `grades` today. The residents are chosen now; the certificates are
    issued and rendered by a background task, enqueued once this transaction commits."""
    _check_certifier(requested_by, village)
    grades = sorted(set(grades or []))
    residents = list(Resident.objects.filter(village=village).scorable().order_by("household__number", "name", "pk"))
    if grades:
        standings = village_grades(village=village, residents=residents)
        residents = [r for r in residents if standings[r.pk][1] in grades]
    if not residents:
        raise _refuse(_("No resident holds the chosen grades; nothing to issue."), "empty")
    with transaction.atomic():
        batch = CertificateBatch.objects.create(
            village=village,
            requested_by=requested_by,
            grades=grades,
            resident_ids=[r.pk for r in residents],
            total=len(residents),
        )
        record_audit(
            action="certificate.batch",
            actor=requested_by,
            village=village,
            target=str(batch.pk),
            after={"grades": grades, "residents": len(residents)},
        )
        outbox.enqueue(render_certificate_batch, batch.pk)
    return batch


def resume_batch(*, batch: CertificateBatch, requested_by: AbstractBaseUser) -> CertificateBatch:
    """Enqueue an unfinished batch again (its worker died and the broker lost it, say). Harmless
    if it is still running: a batch never issues a certificate twice."""
    _check_certifier(requested_by, batch.village_id)
    if batch.status != CertificateBatch.Status.DONE:
        with transaction.atomic():
            outbox.enqueue(render_certificate_batch, batch.pk)
    return batch


def batch_pdf_path(batch: CertificateBatch) -> Path:
    return Path(settings.MEDIA_ROOT) / "certificates" / f"batch-{batch.pk}.pdf"


def discard_old_batch_pdfs(*, older_than: timedelta) -> int:
    """Remove the printable PDFs of batches finished longer ago than `older_than`. The certificates
    stay in the registry and each can still be reprinted from its record. Returns files removed."""
    old = CertificateBatch.objects.filter(
        status=CertificateBatch.Status.DONE, finished_at__lt=timezone.now() - older_than
    ).exclude(pdf="")
    removed = 0
    for batch in old:
        with contextlib.suppress(FileNotFoundError):
            (Path(settings.MEDIA_ROOT) / batch.pdf).unlink()
            removed += 1
        CertificateBatch.objects.filter(pk=batch.pk).update(pdf="")
    return removed


def _remove_stale_temporaries(target: Path) -> None:
    """Temporary files left by runs whose worker was killed. Only those older than the task time
    limit: a younger one may belong to a run still going."""
    cutoff = timezone.now().timestamp() - settings.CELERY_TASK_TIME_LIMIT
    for path in target.parent.glob(f".{target.name}.*"):
        with contextlib.suppress(FileNotFoundError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


def run_certificate_batch(*, batch_id: int) -> CertificateBatch | None:
    """Issue the batch's certificates and render them into one PDF; the task's body.

    Idempotent and resumable: each chunk of residents is issued in its own transaction, and
    residents already issued by an earlier, interrupted run get their certificate back rather than
    a new one. Every run renders the whole PDF again (rendering is reproducible), then writes it
    under MEDIA_ROOT atomically (a temporary file renamed over the old one), so a reader never
    sees half a file. Progress (`done` of `total`) is stored after each chunk. Rendering happens
    outside the transactions."""
    batch = CertificateBatch.objects.select_related("village", "requested_by").filter(pk=batch_id).first()
    if batch is None or batch.status == CertificateBatch.Status.DONE:
        return batch
    CertificateBatch.objects.filter(pk=batch.pk).update(status=CertificateBatch.Status.RUNNING, done=0)
    village = batch.village
    found = Resident.objects.filter(pk__in=batch.resident_ids).in_bulk()
    residents = [found[pk] for pk in batch.resident_ids if pk in found]
    standings = village_grades(village=village, residents=residents)

    target = batch_pdf_path(batch)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=f".{target.name}.", delete=False) as handle:
        try:
            canvas = certificates.new_canvas(handle)
            for start in range(0, len(residents), BATCH_CHUNK):
                chunk = residents[start : start + BATCH_CHUNK]
                for certificate in _issue(
                    village=village, residents=chunk, grades=standings, issued_by=batch.requested_by, batch=batch
                ):
                    certificates.draw_certificate(canvas, certificate_data(certificate))
                    canvas.showPage()
                CertificateBatch.objects.filter(pk=batch.pk).update(done=start + len(chunk))
            canvas.save()
            handle.flush()
            os.fsync(handle.fileno())
        except BaseException:
            os.unlink(handle.name)
            raise
    os.replace(handle.name, target)
    _remove_stale_temporaries(target)
    CertificateBatch.objects.filter(pk=batch.pk).update(
        status=CertificateBatch.Status.DONE,
        done=batch.total,
        finished_at=timezone.now(),
        pdf=str(target.relative_to(settings.MEDIA_ROOT)),
    )
    batch.refresh_from_db()
    return batch
