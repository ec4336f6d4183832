"""Where a resident stands on a day: balance, grade, what counts and what expires next."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from points.models import Entry, EntryQuerySet
from villages.grades import Band, bands_on, grade_for
from villages.models import Resident


@dataclass(frozen=True)
class Standing:
    resident: Resident
    on: date
    balance: Decimal
    grade: str
    bands: list[Band]
    next_expiry: Entry | None

    @property
    def entries(self) -> EntryQuerySet:
        """The resident's entries that count on the day (reversed ones and reversals left out)."""
        return Entry.objects.filter(resident=self.resident).originals().not_reversed(on=self.on).counting(on=self.on)

    @property
    def to_next_grade_up(self) -> tuple[str, Decimal] | None:
        """The next higher grade and the points still needed for it, or None at the top."""
        higher = [b for b in self.bands if b.min_points is not None and b.min_points > self.balance]
        if not higher:
            return None
        band = higher[-1]
        return band.grade, band.min_points - self.balance

    @property
    def to_next_grade_down(self) -> tuple[str, Decimal] | None:
        """The next lower grade and how many points may be lost before dropping to it."""
        current = next((b for b in self.bands if b.min_points is None or self.balance >= b.min_points), None)
        if current is None or current.min_points is None:
            return None
        lower = self.bands[self.bands.index(current) + 1]
        return lower.grade, self.balance - current.min_points + Decimal("0.5")


def compute_standing(*, resident: Resident, on: date | None = None) -> Standing:
    """Three queries: the bands, the balance (one SUM over an index) and the next expiry."""
    village = resident.village
    on = on or village.today()
    bands = bands_on(village=village, on=on)
    total = Entry.objects.filter(resident=resident).counting(on=on).aggregate(total=Sum("points_halves"))["total"]
    balance = village.starting_capital + Decimal(total or 0) / 2
    next_expiry = (
        Entry.objects.filter(resident=resident, expires_on__isnull=False, points_halves__lt=0)
        .originals()
        .not_reversed(on=on)
        .counting(on=on)
        .select_related("item")
        .order_by("expires_on")
        .first()
    )
    return Standing(
        resident=resident, on=on, balance=balance, grade=grade_for(balance, bands), bands=bands, next_expiry=next_expiry
    )
