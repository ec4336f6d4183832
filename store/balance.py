"""What a resident may spend at the store: the one home of the rule.

Credits are derived set-based from the points ledger, never copied: every deed (an original entry
with positive points) recorded on or after the store's `credits_from` day is *recognised*
`recognise_after_days` after it was recorded, unless it was reversed (withdrawn, appeal upheld)
before then; it then credits `points_per_deed_point` store points a point. A reversal after
recognition leaves the store credit standing, so credits only ever grow and a redemption that was
allowed can never be pushed below zero afterwards. Infractions never touch the store.

Debits are the receipts (store.models.Receipt): redemptions negative, returns positive. With
`expires_at_year_end` the store period is the calendar year (village time): the credits recognised
and the receipts served in the year; what is left on 31 December lapses.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    IntegerField,
    Min,
    OuterRef,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from points.models import Entry, EntryQuerySet
from store.models import Receipt, StoreSettings
from villages.compiled import Slot
from villages.models import Resident, Village


def local_midnight(village: Village, day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=village.tzinfo)


@dataclass(frozen=True)
class Period:
    """The store period holding a moment: from `starts_on` (inclusive) to `ends_on` (exclusive, None:
    open-ended). Store points left at its end lapse."""

    village: Village
    starts_on: date
    ends_on: date | None

    @property
    def start(self) -> datetime:
        return local_midnight(self.village, self.starts_on)

    @property
    def end(self) -> datetime | None:
        return local_midnight(self.village, self.ends_on) if self.ends_on else None

    @property
    def last_day(self) -> date | None:
        return self.ends_on - timedelta(days=1) if self.ends_on else None


def period_on(config: StoreSettings, day: date) -> Period:
    village = config.village
    if not config.expires_at_year_end:
        return Period(village, config.credits_from, None)
    return Period(village, max(config.credits_from, date(day.year, 1, 1)), date(day.year + 1, 1, 1))


def recognised_deeds(
    config: StoreSettings, *, recognised_from: datetime, until: datetime, resident: int | OuterRef | None = None
) -> EntryQuerySet:
    """The village's deeds (or one of its residents') recognised in [recognised_from, until]:
    recorded on or after `credits_from`, and not reversed within the recognition window.

    A resident's deeds are found by the resident alone (their village is implied): with the village
    in the filter too, SQLite's planner picks the (village, recorded_at) index and reads the whole
    village's year for one resident (11 ms instead of 0.1 in a 1,000-resident village)."""
    return _recognised(
        {"village_id": config.village_id} if resident is None else {"resident_id": resident},
        **_deed_bounds(config, recognised_from=recognised_from, until=until),
    )


def _deed_bounds(config: StoreSettings, *, recognised_from: datetime, until: datetime) -> dict:
    """The recognition window, and when the deeds recognised in [recognised_from, until] were recorded."""
    window = timedelta(days=config.recognise_after_days)
    return {
        "window": window,
        "since": max(local_midnight(config.village, config.credits_from), recognised_from - window),
        "until": until - window,
    }


def _recognised(whose: dict, *, window, since, until) -> EntryQuerySet:
    """recognised_deeds with its bounds worked out: deeds recorded in [since, until] and not reversed
    within `window` of being recorded. The bounds may be values or expressions (villages.compiled)."""
    early_reversal = Entry.objects.filter(
        reverses=OuterRef("pk"),
        recorded_at__lt=ExpressionWrapper(OuterRef("recorded_at") + window, output_field=DateTimeField()),
    )
    return (
        Entry.objects.filter(**whose, points_halves__gt=0)
        .originals()
        .filter(recorded_at__gte=since, recorded_at__lte=until)
        .filter(~Exists(early_reversal))
    )


def credited_halves(entries: EntryQuerySet, config: StoreSettings) -> int:
    total = entries.aggregate(total=Sum("points_halves"))["total"] or 0
    return total * config.points_per_deed_point


@dataclass(frozen=True)
class StoreBalance:
    resident: Resident
    period: Period
    credited_halves: int
    spent_halves: int  # net: redemptions less returns, in the period
    pending_halves: int  # deeds not yet recognised, in store points
    pending_from: date | None  # the day the first of them can be spent

    @property
    def halves(self) -> int:
        return self.credited_halves - self.spent_halves

    @property
    def balance(self) -> Decimal:
        return Decimal(self.halves) / 2

    @property
    def pending(self) -> Decimal:
        return Decimal(self.pending_halves) / 2

    @property
    def expires_on(self) -> date | None:
        """The last day the balance can be spent, or None if store points never lapse."""
        return self.period.last_day


def spendable(*, resident: Resident, config: StoreSettings, now: datetime) -> tuple[Period, int, int]:
    """The store period holding `now`, the store points (halves) credited in it and those spent in it
    (net of returns). One query; callers that must not race (store.services) hold the resident's
    row lock."""
    period, credited, spent = spendable_sums(resident=resident.pk, config=config, now=now)
    sums = Resident.objects.filter(pk=resident.pk).values_list(credited, spent).first()
    return period, sums[0] * config.points_per_deed_point, -sums[1]


def spendable_sums(
    *, resident: int | OuterRef, config: StoreSettings, now: datetime
) -> tuple[Period, Coalesce, Coalesce]:
    """spendable as expressions, for a query that reads more (the counter's stock): the period, the
    deed points (halves) recognised in it, to be multiplied by `points_per_deed_point`, and the sum of
    its receipts (negative: spent)."""
    period, bounds = spendable_bounds(config=config, now=now)
    return (period, *spendable_expressions(resident=resident, **bounds))


def spendable_bounds(*, config: StoreSettings, now: datetime) -> tuple[Period, dict]:
    """The store period holding `now` and the values spendable_expressions needs for it."""
    period = period_on(config, timezone.localdate(now, timezone=config.village.tzinfo))
    deeds = _deed_bounds(config, recognised_from=period.start, until=now)
    return period, {
        "window": deeds["window"],
        "deeds_since": deeds["since"],
        "deeds_until": deeds["until"],
        "receipts_since": period.start,
        "receipts_until": now,
    }


# spendable_bounds' values as villages.compiled slots, for a query compiled once.
SPENDABLE_SLOTS = {
    "window": Slot("window", DurationField()),
    "deeds_since": Slot("deeds_since", DateTimeField()),
    "deeds_until": Slot("deeds_until", DateTimeField()),
    "receipts_since": Slot("receipts_since", DateTimeField()),
    "receipts_until": Slot("receipts_until", DateTimeField()),
}


def spendable_expressions(
    *, resident, window, deeds_since, deeds_until, receipts_since, receipts_until
) -> tuple[Coalesce, Coalesce]:
    """The resident's recognised deed points (halves) and the sum of their receipts in the bounds of
    spendable_bounds (values, or SPENDABLE_SLOTS)."""
    deeds = (
        _recognised({"resident_id": resident}, window=window, since=deeds_since, until=deeds_until)
        .order_by()
        .values("resident_id")
        .annotate(total=Sum("points_halves"))
        .values("total")
    )
    receipts = (
        Receipt.objects.filter(resident_id=resident, served_at__gte=receipts_since, served_at__lte=receipts_until)
        .order_by()
        .values("resident_id")
        .annotate(total=Sum("points_halves"))
        .values("total")
    )
    return (
        Coalesce(Subquery(deeds, output_field=IntegerField()), 0),
        Coalesce(Subquery(receipts, output_field=IntegerField()), 0),
    )


def store_balance(*, resident: Resident, config: StoreSettings, now: datetime | None = None) -> StoreBalance:
    """The resident's store balance now, with what is pending and when it lapses. Three queries."""
    now = now or timezone.now()
    village = config.village
    period, credited, spent = spendable(resident=resident, config=config, now=now)
    window = timedelta(days=config.recognise_after_days)
    pending = (
        Entry.objects.filter(resident=resident, points_halves__gt=0)
        .originals()
        .not_reversed()
        .filter(recorded_at__gt=now - window, recorded_at__lte=now)
        .filter(recorded_at__gte=local_midnight(village, config.credits_from))
        .aggregate(total=Sum("points_halves"), first=Min("recorded_at"))
    )
    first = pending["first"]
    return StoreBalance(
        resident=resident,
        period=period,
        credited_halves=credited,
        spent_halves=spent,
        pending_halves=(pending["total"] or 0) * config.points_per_deed_point,
        pending_from=timezone.localdate(first + window, timezone=village.tzinfo) if first else None,
    )
