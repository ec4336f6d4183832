"""The store on the head's dashboard: store points spent per month, and the goods most taken."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db.models import Q, Sum

from store.balance import local_midnight
from store.models import Receipt, ReceiptLine, StoreSettings
from villages.models import Village
from villages.periods import period_index

MONTHS = 6
TOP_GOODS = 5


@dataclass(frozen=True)
class StoreFigures:
    months: list[tuple[date, Decimal]]  # first day of the month → store points spent (net of returns)
    top_goods: list[tuple[str, int]]  # goods → units taken in the month (returns left out)

    @property
    def spent_this_month(self) -> Decimal:
        return self.months[-1][1] if self.months else Decimal(0)


def store_figures(*, village: Village, month: date) -> StoreFigures | None:
    """For the six months up to `month` (its first day), or None if the village has no store.
    Three queries, whatever the size of the store."""
    if not StoreSettings.objects.filter(village=village).exists():
        return None
    first = month - relativedelta(months=MONTHS - 1)
    start, end = local_midnight(village, first), local_midnight(village, month + relativedelta(months=1))
    months = [first + relativedelta(months=n) for n in range(MONTHS)]
    # Each receipt's month by comparing its moment with the months' local midnights.
    bounds = [local_midnight(village, m) for m in months] + [end]
    spent = dict(
        Receipt.objects.filter(village=village, served_at__gte=start, served_at__lt=end)
        .annotate(month=period_index(Receipt, "served_at", bounds))
        .values_list("month")
        .annotate(total=Sum("points_halves"))
        .values_list("month", "total")
        .order_by()
    )
    month_start = local_midnight(village, month)
    top = (
        ReceiptLine.objects.filter(
            Q(receipt__reversal__isnull=True),
            receipt__village=village,
            receipt__reverses__isnull=True,
            receipt__served_at__gte=month_start,
            receipt__served_at__lt=end,
        )
        .values_list("goods__name", "goods__unit")
        .annotate(units=Sum("quantity"))
        .order_by("-units", "goods__name")[:TOP_GOODS]
    )
    return StoreFigures(
        months=[(m, Decimal(-(spent.get(i) or 0)) / 2) for i, m in enumerate(months)],
        top_goods=[(f"{name} ({unit})" if unit else name, units) for name, unit, units in top],
    )
