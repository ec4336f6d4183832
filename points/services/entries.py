"""Recording and reversing ledger entries: the only code that writes the ledger."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import IO

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import BigIntegerField, Count, DateField, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from handbook.models import Edition, Item
from points import chain, outbox, sms
from points.access import SCORER_ONLY, Scoring, role_and_edition_columns
from points.models import Entry, Notification
from points.services.warnings import check_warning_given, warning_given
from points.tasks import notify_entry_recorded
from points.validators import CleanPhoto, clean_photo
from villages import compiled as compiled_statements
from villages.access import OFFICE, has_role
from villages.compiled import Slot, compiled, prepared
from villages.models import Membership, Resident, Village


def cap_period_bounds(item: Item, occurred_on: date) -> tuple[date, date]:
    """First and last day of the calendar month or year that holds `occurred_on`."""
    if item.cap_period == Item.Period.YEAR:
        return date(occurred_on.year, 1, 1), date(occurred_on.year, 12, 31)
    first = occurred_on.replace(day=1)
    return first, first + relativedelta(months=1) - timedelta(days=1)


def _counting_against_caps(*, resident: Resident, codes: set[str], start: date, end: date) -> list[tuple[str, date]]:
    """(code, day) of each of `resident`'s entries under `codes` (across editions) that occurred
    from `start` to `end` and count against a cap: originals that were not reversed (withdrawn,
    upheld on appeal). One query of the resident's few rows, without a subquery: a reversal always
    has its original's resident, item and day (reverse_entry writes it so), so both are among them."""
    rows = list(
        Entry.objects.filter(resident=resident, item__code__in=codes, occurred_on__range=(start, end))
        .order_by()
        .values_list("pk", "reverses_id", "item__code", "occurred_on")
    )
    reversed_ids = {reverses for _pk, reverses, _code, _on in rows if reverses is not None}
    return [(code, on) for pk, reverses, code, on in rows if reverses is None and pk not in reversed_ids]


def cap_used(*, resident: Resident, item: Item, occurred_on: date) -> int:
    """How many times the item (by code, across editions) counts against its cap in the period
    holding `occurred_on`. Withdrawn and upheld-on-appeal entries free their place."""
    start, end = cap_period_bounds(item, occurred_on)
    return len(_counting_against_caps(resident=resident, codes={item.code}, start=start, end=end))


def caps_left(*, resident: Resident, items: list[Item], occurred_on: date) -> dict[int, int]:
    """For each capped item among `items`, how many more times it may be recorded for `resident`
    in the period holding `occurred_on` (item pk → count). Same rule as cap_used, in one query."""
    capped = [item for item in items if item.cap_count is not None]
    if not capped:
        return {}
    rows = _counting_against_caps(
        resident=resident,
        codes={item.code for item in capped},
        start=date(occurred_on.year, 1, 1),  # holds every cap period: a month or this year
        end=date(occurred_on.year, 12, 31),
    )
    left = {}
    for item in capped:
        start, end = cap_period_bounds(item, occurred_on)
        used = sum(1 for code, on in rows if code == item.code and start <= on <= end)
        left[item.pk] = max(item.cap_count - used, 0)
    return left


def capped_out(*, residents: list[Resident], item: Item, occurred_on: date) -> set[int]:
    """The pks of `residents` for whom `item`'s cap is used up in the period holding `occurred_on`
    (a group recording shows them before anyone is ticked). Same rule as cap_used, in one query."""
    if item.cap_count is None or not residents:
        return set()
    start, end = cap_period_bounds(item, occurred_on)
    used = (
        Entry.objects.originals()
        .not_reversed()
        .filter(resident__in=residents, item__code=item.code, occurred_on__range=(start, end))
        .values("resident")
        .annotate(used=Count("pk"))
        .filter(used__gte=item.cap_count)
    )
    return set(used.values_list("resident", flat=True))


def refuse(message: str, code: str, **params) -> ValidationError:
    """The ValidationError every ledger service raises for a refusal: a translated message that
    says what to do, a stable code for callers (views, offline sync) and its parameters."""
    return ValidationError(message, code=code, params=params or None)


def record_entry(
    *,
    scorer: AbstractBaseUser,
    resident: Resident | int,
    item: Item | Scoring,
    occurred_on: date,
    idempotency_key: uuid.UUID,
    village: Village | None = None,
    note: str = "",
    witness: str = "",
    photo: CleanPhoto | IO[bytes] | bytes | None = None,
    confirming_claim: bool = False,
) -> Entry:
    """Record a deed or an infraction and return the entry.

    The same idempotency key always returns the entry first recorded with it, so a double tap or
    a retry after a lost response records once. Refusals raise ValidationError (with a code and a
    translated message) and write nothing.

    The scorer's role and the handbook in force are read first; then the resident's row is locked
    (PostgreSQL; SQLite's IMMEDIATE transactions serialise writers anyway), so two scorers recording
    the same capped deed at once cannot both pass the cap, then the village's row while the entry is
    sealed into the village's hash chain (points.chain).

    `photo` (optional) is checked and re-encoded by points.validators.clean_photo (a bad photo
    refuses the entry), then written to storage *before* the transaction, so no upload happens
    while the resident's and village's rows are locked (MEDIA_ROOT may be a network file system).
    Unless the new entry ends up pointing at it (a refusal, a replayed key, a failed insert), the
    file is removed again: no orphan files, and an entry never points at a missing one.

    `resident` is the resident or, with `village`, their id: the Record POST passes the id and the
    scorer's acting village, and a resident of another village (or an id no row can have) raises
    Resident.DoesNotExist (the view's 404) from the lock, without a fetch of its own.

    `item` is the item or, from points.access.get_item_to_record, the item with the scorer's role and the edition
    in force already read (for this scorer and village, today; otherwise they are read again).

    `confirming_claim`: the entry confirms a resident's claimed deed (points.services.claims), which
    a head may do as well as a scorer.
    """
    if isinstance(resident, Resident):
        resident_id, village = resident.pk, resident.village
    elif village is None:
        raise TypeError("A resident given by id needs the village they are recorded in.")
    else:
        resident_id = resident
    if photo is not None and not isinstance(photo, CleanPhoto):
        photo = clean_photo(photo)
    photo_name = _store_photo(photo, village=village, on=occurred_on) if photo is not None else ""
    roles = (Membership.Role.SCORER, Membership.Role.HEAD) if confirming_claim else SCORER_ONLY
    scoring, item = (item, item.item) if isinstance(item, Scoring) else (None, item)
    kept = False
    try:
        try:
            # Read before the transaction: what no recording changes (the scorer's role, the
            # handbook in force). The write lock (SQLite's, the resident's and village's rows on
            # PostgreSQL) is held only while what concurrent recordings do change is read (issue 18).
            may_score, in_force = _role_and_edition_now(scorer=scorer, roles=roles, village=village, scoring=scoring)
            with _write_transaction():
                village_locked = connection.features.has_select_for_update_of
                resident = _lock_resident(resident_id, village=village, with_village=village_locked)
                _check_recordable(
                    resident=resident, item=item, occurred_on=occurred_on, may_score=may_score, in_force=in_force
                )
                check_warning_given(resident=resident, item=item, occurred_on=occurred_on)
                # No SELECT for the idempotency key first: its UNIQUE index refuses a replay at the
                # INSERT, and the IntegrityError branch below returns the entry first recorded with it.
                entry = _insert(
                    village_locked=village_locked,
                    village=village,
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
                if resident.wants_sms:
                    sms.notify_entry_recorded(entry)
        except ValidationError:
            # A replay of an entry that now fills the cap (or of yesterday's form) is still a replay.
            existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
            if existing is None:
                raise
            return _replayed(existing, scorer=scorer, resident_id=resident_id, item=item)
        kept = True  # committed: the entry points at the file
        return entry
    except IntegrityError:
        # The key was used before (a double tap, a retry), or by a request committed meanwhile.
        existing = Entry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return _replayed(existing, scorer=scorer, resident_id=resident_id, item=item)
    finally:
        if photo_name and not kept:
            default_storage.delete(photo_name)


# SQLite's writers take turns by polling: one that finds the database locked sleeps 1, 2, 5, 10 …
# ms before it looks again. Threads of one process take turns on a lock of their own first, woken
# as soon as it is free; only the processes still poll each other.
_sqlite_turn = threading.Lock()


@contextmanager
def _write_transaction() -> Iterator[None]:
    """transaction.atomic() for a write of entries: on SQLite after this process's other writers'
    (unless a transaction is open already: it holds SQLite's lock, and waiting for a thread that
    waits for it would stall both)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    with _sqlite_turn, transaction.atomic():
        yield


def _lock_resident(pk: int, *, village: Village, with_village: bool) -> Resident:
    """The resident `pk` of `village`, row-locked, with `village` as fetched by the caller;
    Resident.DoesNotExist for any other id. `with_village`: the village's row is locked in the same
    statement (the chain's lock, points.chain), after the resident's as every writer locks them:
    one round trip fewer for every entry recorded on PostgreSQL."""
    resident = compiled(_locked_resident, with_village).get(pk=pk, village=village.pk)
    resident.village = village
    return resident


@prepared
def _locked_resident(with_village: bool) -> QuerySet:
    """The resident (slot pk) of the village (slot village), row-locked, and the village's row too
    if `with_village`: every entry recorded reads it, so compiled once."""
    residents = Resident.objects.filter(
        pk=Slot("pk", BigIntegerField()), village_id=Slot("village", BigIntegerField())
    ).order_by()  # without the default ordering's joins, which FOR UPDATE would lock as well
    if with_village:
        return residents.select_related("village").select_for_update(of=("self", "village"))
    return residents.select_for_update()


@prepared
def _edition_in_force() -> QuerySet:
    """The pk of the village's (slot village) edition in force on a day (slot on), compiled once."""
    in_force = Edition.objects.in_force_first(village=Slot("village", BigIntegerField()), on=Slot("on", DateField()))
    return in_force.values_list("pk")[:1]


def _insert(*, village_locked: bool = False, **fields) -> Entry:
    """Insert one entry, sealed into its village's hash chain (points.chain). Locks the village row
    until the caller's transaction ends, unless the caller holds it (`village_locked`): a village's
    entries are written one at a time."""
    entry = Entry(**fields)
    chain.seal([entry], village_id=entry.village_id, village_locked=village_locked)
    compiled_statements.insert(entry)  # as save(force_insert=True), compiled once: every entry recorded comes here
    return entry


def _store_photo(photo: CleanPhoto, *, village: Village, on: date) -> str:
    """Save the JPEG under an unguessable name and return the name kept in Entry.photo."""
    name = f"photos/{village.code}/{on:%Y/%m}/{uuid.uuid4().hex}.jpg"
    return default_storage.save(name, ContentFile(photo.jpeg))


def _expiry(item: Item, occurred_on: date) -> date | None:
    """The day a deduction stops counting (credit repair) or a warning stops showing, or None if
    it always counts."""
    if item.kind == Item.Kind.WARNING:
        return occurred_on + timedelta(days=item.warning_days or 1)
    if item.kind == Item.Kind.INFRACTION and item.validity_months:
        return occurred_on + relativedelta(months=item.validity_months)
    return None


def _replayed(entry: Entry, *, scorer: AbstractBaseUser, resident_id: int, item: Item) -> Entry:
    if (entry.recorded_by_id, entry.resident_id, entry.item_id) != (scorer.pk, resident_id, item.pk):
        raise refuse(_("This form was already used for another entry. Reload the page and try again."), "key_reused")
    return entry


def _role_and_edition_now(
    *, scorer: AbstractBaseUser, roles: tuple[str, ...], village: Village, scoring: Scoring | None
) -> tuple:
    """Whether `scorer` holds one of `roles` in `village`, and the pk of its edition in force today
    (None if none is): as `scoring` read them if it was read for this scorer, roles, village and
    day, otherwise read now in one statement."""
    if scoring is not None and (scoring.scorer_id, scoring.roles, scoring.village.pk, scoring.today) == (
        scorer.pk,
        roles,
        village.pk,
        village.today(),
    ):
        return scoring.may_score, scoring.in_force
    [(may_score, in_force)] = compiled(_role_and_edition, roles).rows(
        user=scorer.pk, village=village.pk, on=village.today()
    )
    return may_score, in_force


@prepared
def _role_and_edition(roles: tuple[str, ...]) -> QuerySet:
    """Whether the user (slot user) holds one of `roles` in the village (slot village), and the pk
    of the village's edition in force on a day (slot on): one statement, compiled once."""
    return (
        Village.objects.filter(pk=Slot("village", BigIntegerField()))
        .annotate(**role_and_edition_columns(roles, OuterRef("pk")))
        .values_list("may_score", "in_force")
    )


def _check_recordable(
    *, resident: Resident, item: Item, occurred_on: date, may_score: bool, in_force: int | None
) -> None:
    """`resident` (read locked) may be scored for `item` on `occurred_on` by a scorer who holds the
    role (`may_score`) while `in_force` is the village's edition: active, consenting, an item of
    today's handbook on a day recent enough, and the item's cap not used up. In this order: the
    first refusal that applies is the one the scorer reads."""
    village = resident.village
    if not may_score:
        raise refuse(_("You are not a scorer in %(village)s."), "foreign_village", village=village.name)
    if resident.status != Resident.Status.ACTIVE:
        raise refuse(_("%(name)s no longer lives in the village and cannot be scored."), "inactive", name=resident.name)
    if not resident.has_consented:
        raise refuse(
            _("%(name)s has not agreed to be scored, so nothing can be recorded for them."),
            "no_consent",
            name=resident.name,
        )
    if occurred_on < resident.consent_given_on:
        raise refuse(
            _("%(name)s agreed to be scored on %(date)s; nothing before that day can be recorded."),
            "before_consent",
            name=resident.name,
            date=resident.consent_given_on.isoformat(),
        )
    check_current_and_recent(village=village, item=item, occurred_on=occurred_on, in_force=in_force)
    if item.cap_count is not None and cap_used(resident=resident, item=item, occurred_on=occurred_on) >= item.cap_count:
        if item.cap_period == Item.Period.YEAR:
            message = _(
                "“%(item)s” may be recorded at most %(count)d times a year for one resident; this year's are used up."
            )
        else:
            message = _(
                "“%(item)s” may be recorded at most %(count)d times a month for one resident; this month's are used up."
            )
        raise refuse(message, "cap_reached", item=item.title, count=item.cap_count)


def check_current_and_recent(*, village: Village, item: Item, occurred_on: date, in_force: int | None = None) -> None:
    """Refuse an item that is not in the handbook in force today, and a day in the future or
    further back than the village lets anything be recorded (entries and claims alike).
    `in_force`: the pk of the edition in force today, if the caller read it in a query of its own;
    otherwise it is read here (one query)."""
    today = village.today()
    if in_force is None:
        found = compiled(_edition_in_force).rows(village=village.pk, on=today)
        in_force = found[0][0] if found else None
    if in_force is None or item.edition_id != in_force:
        raise refuse(_("This item is not in the village's current handbook. Pick it again."), "unknown_item")
    if occurred_on > today:
        raise refuse(_("The date is in the future. Enter the day the deed happened."), "future_date")
    if occurred_on < today - timedelta(days=village.backdate_days):
        raise refuse(
            _("The date is more than %(days)d days ago; entries that old can no longer be recorded."),
            "too_old",
            days=village.backdate_days,
        )


def reverse_entry(*, entry: Entry, author: AbstractBaseUser, reason: str) -> Entry:
    """Record a reversing entry for `entry` and return it. From today (village time) the two sum to zero.

    The author must be the village head or an administrator; scorers withdraw their own entries
    through `withdraw_entry`, which checks its time window and then calls this.
    """
    if not has_role(author, entry.village_id, *OFFICE):
        raise refuse(_("Only the village head or an administrator can reverse an entry."), "not_allowed")
    return write_reversal(entry=entry, author=author, reason=reason)


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
        raise refuse(_("You can only withdraw entries you recorded yourself."), "not_allowed")
    if entry.is_reversal:
        raise refuse(_("A reversal cannot itself be reversed."), "is_reversal")
    if timezone.now() - entry.recorded_at > withdraw_window():
        raise refuse(
            _(
                "Entries can be withdrawn for %(minutes)d minutes after recording; this one is older. "
                "Ask the village head to reverse it."
            ),
            "too_late",
            minutes=settings.SCORER_WITHDRAW_MINUTES,
        )
    with _write_transaction():
        reversal = write_reversal(entry=entry, author=scorer, reason=reason)
        # The resident was (or is about to be) told of the entry: tell them it was taken back.
        user_id = Resident.objects.filter(pk=entry.resident_id).values_list("user_id", flat=True).first()
        if user_id is not None:
            Notification.objects.get_or_create(user_id=user_id, kind=Notification.Kind.ENTRY_WITHDRAWN, entry=entry)
        sms.notify_entry_withdrawn(entry)
    return reversal


def write_reversal(*, entry: Entry, author: AbstractBaseUser, reason: str) -> Entry:
    """Append the entry that cancels `entry`, for a caller that has already checked the author may
    (reverse_entry, withdraw_entry, decide_appeal). Locks the resident; refuses a second reversal."""
    reason = reason.strip()
    if not reason:
        raise refuse(_("Give a reason for the reversal."), "reason_required")
    if entry.is_reversal:
        raise refuse(_("A reversal cannot itself be reversed."), "is_reversal")
    try:
        with _write_transaction():
            Resident.objects.select_for_update().filter(pk=entry.resident_id).first()
            if Entry.objects.filter(reverses=entry).exists():
                raise refuse(_("This entry has already been reversed."), "already_reversed")
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
        raise refuse(_("This entry has already been reversed."), "already_reversed") from None


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
    and has consented, the scorer scores there, the date is not in the future, caps hold, and a
    deduction that needs a warning has one (on paper in the same ledger, or already recorded).
    Only an administrator of the village may transcribe.
    """
    if not has_role(transcribed_by, village, Membership.Role.ADMIN):
        raise refuse(_("Only an administrator of the village can transcribe a paper ledger."), "not_allowed")
    today = village.today()
    scorers = set(
        Membership.objects.filter(village=village, role=Membership.Role.SCORER).values_list("user_id", flat=True)
    )
    editions = list(Edition.objects.published().filter(village=village).order_by("effective_from", "number"))
    warned_on: dict[tuple[int, str], list[date]] = {}
    for line in entries:
        if line.item.kind == Item.Kind.WARNING:
            warned_on.setdefault((line.resident.pk, line.item.warns_for), []).append(line.occurred_on)
    with _write_transaction():
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
                raise refuse(_("Line %(line)d cannot be recorded; nothing was written."), "bad_line", line=number)
            if _needs_a_warning(line, on_paper=warned_on.get((line.resident.pk, line.item.code), [])):
                raise refuse(
                    _("Line %(line)d is a deduction that needs a warning first, and has none; nothing was written."),
                    "warning_required",
                    line=number,
                )
            if line.item.cap_count is not None:
                key = (line.resident.pk, line.item.code, cap_period_bounds(line.item, line.occurred_on)[0])
                if key not in used:
                    used[key] = cap_used(resident=line.resident, item=line.item, occurred_on=line.occurred_on)
                if used[key] >= line.item.cap_count:
                    raise refuse(
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


def _needs_a_warning(line: PaperEntry, *, on_paper: list[date]) -> bool:
    """Whether the line is a deduction whose warning is neither among the paper ledger's warnings
    (`on_paper`: their dates) nor recorded, within the item's warning days before it."""
    item = line.item
    if item.kind != Item.Kind.INFRACTION or not item.warning_days:
        return False
    since = line.occurred_on - timedelta(days=item.warning_days)
    if any(since <= day <= line.occurred_on for day in on_paper):
        return False
    return not warning_given(resident=line.resident, item=item, occurred_on=line.occurred_on)
