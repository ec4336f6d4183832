"""A resident's ledger as they read it: each original entry with its state today."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import CharField, Exists, Func, OuterRef, Prefetch
from django.utils import timezone

from points.models import Appeal, Entry, EntryQuerySet
from villages.models import Resident


class State:
    COUNTING = "counting"
    EXPIRED = "expired"
    REVERSED = "reversed"
    UNDER_APPEAL = "under_appeal"


@dataclass(frozen=True)
class Line:
    """One ledger line. `appeals` are the entry's appeals, oldest first."""

    entry: Entry
    state: str
    appeals: list[Appeal]
    can_appeal: bool

    @property
    def reversal(self) -> Entry | None:
        return getattr(self.entry, "reversal", None)


def ledger_entries(resident: Resident, *, month: date | None = None, kind: str = "") -> EntryQuerySet:
    """The resident's original entries (reversals are shown on the entry they reverse), newest first.
    A warning stops showing once its period is over (it never counted anything).

    Cost is constant in the size of the ledger: the page's rows come in one query with their item,
    author and reversal joined and an open-appeal flag annotated, plus one query for their appeals.
    """
    entries = (
        Entry.objects.filter(resident=resident)
        .originals()
        .exclude(points_halves=0, expires_on__lte=resident.village.today())
        .select_related("item", "recorded_by", "reversal__recorded_by")
        .annotate(has_open_appeal=Exists(Appeal.objects.filter(entry=OuterRef("pk"), status=Appeal.Status.OPEN)))
        .prefetch_related(
            Prefetch(
                "appeals",
                queryset=Appeal.objects.select_related("decided_by", "review__decided_by").order_by("filed_at"),
            )
        )
        .order_by("-occurred_on", "-recorded_at", "-pk")
    )
    if month is not None:
        entries = entries.filter(occurred_on__year=month.year, occurred_on__month=month.month)
    if kind:
        entries = entries.filter(item__kind=kind)
    return entries


class _YearMonth(Func):
    """A date as "YYYY-MM", by the database's own string functions: QuerySet.dates() truncates
    with a Python function called per row on SQLite (5 ms for a resident of 2,000 entries, the
    ledger page's whole growth with the ledger; 0.5 ms this way)."""

    template = "to_char(%(expressions)s, 'YYYY-MM')"
    output_field = CharField()

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps a date as ISO text, "YYYY-MM-DD".
        return super().as_sql(compiler, connection, template="substr(%(expressions)s, 1, 7)", **extra_context)


def ledger_months(resident: Resident) -> list[date]:
    """First days of the months that hold at least one of the resident's entries, newest first. One query."""
    months = (
        Entry.objects.filter(resident=resident)
        .originals()
        .annotate(month=_YearMonth("occurred_on"))
        .values_list("month", flat=True)
        .distinct()
        .order_by("-month")
    )
    return [date(int(month[:4]), int(month[5:7]), 1) for month in months]


def _may_ask_review(appeal: Appeal, window_days: int) -> bool:
    """A rejected appeal not yet sent up, inside the village's review window (the service decides)."""
    if appeal.status != Appeal.Status.REJECTED or hasattr(appeal, "review"):
        return False
    return timezone.now() <= appeal.decided_at + timedelta(days=window_days)


def lines(entries, *, today: date, own: bool, review_window_days: int = 0) -> list[Line]:
    """Ledger lines for evaluated `entries` (from `ledger_entries`). `own`: the resident is reading
    their own ledger, so lines still inside the appeal window offer an appeal."""
    appeal_from = timezone.now() - timedelta(days=settings.APPEAL_WINDOW_DAYS)
    result = []
    for entry in entries:
        reversal = getattr(entry, "reversal", None)
        if reversal is not None and reversal.counts_from <= today:
            state = State.REVERSED
        elif entry.has_open_appeal:
            state = State.UNDER_APPEAL
        elif entry.expires_on is not None and entry.expires_on <= today:
            state = State.EXPIRED
        else:
            state = State.COUNTING
        # Only a deduction is worth disputing: a deed offers no Appeal button, nor does a correction.
        can_appeal = (
            own
            and entry.points_halves < 0
            and reversal is None
            and not entry.is_reversal
            and not entry.has_open_appeal
            and entry.recorded_at >= appeal_from
        )
        appeals = list(entry.appeals.all())
        if own:
            for appeal in appeals:
                appeal.can_ask_review = _may_ask_review(appeal, review_window_days)
        result.append(Line(entry=entry, state=state, appeals=appeals, can_appeal=can_appeal))
    return result
