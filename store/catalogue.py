"""The catalogue as the pages show it: goods with their stock on hand."""

from django.db.models import IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from store.models import Goods, StockMovement
from villages.models import Village


def with_stock(goods):
    """Annotate `stock` (the sum of the goods' movements) in the same query."""
    on_hand = (
        StockMovement.objects.filter(goods=OuterRef("pk"))
        .values("goods")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    return goods.annotate(stock=Coalesce(Subquery(on_hand, output_field=IntegerField()), Value(0)))


def goods_on_offer(village: Village) -> list[Goods]:
    """Active goods of the village with their stock, by name. One query."""
    return list(with_stock(Goods.objects.filter(village=village, active=True)).order_by("name", "pk"))


def catalogue(village: Village) -> list[Goods]:
    """Every article of the village (on offer first) with its stock. One query."""
    return list(with_stock(Goods.objects.filter(village=village)).order_by("-active", "name", "pk"))
