"""What a volunteer scorer's phone keeps for recording without signal.

The snapshot is the whole of what the phone may cache: the acting village's *scorable*
residents (living there and consenting) with only the fields the Record search needs, and the
items of the handbook edition in force. Nothing about balances, ledgers, phones, birthdays or
logins ever leaves the server this way (tests/points/test_offline_views.py pins the fields).
"""

from decimal import Decimal

from handbook.models import Edition, Item
from villages.models import Resident, Village

RESIDENT_FIELDS = ("id", "name", "pinyin", "initials", "household")
ITEM_FIELDS = ("id", "code", "title", "points", "kind", "fine", "cap")


def _signed(value: Decimal) -> str:
    """The signed points as plain text without trailing zeros: "1", "-10", "0.5"."""
    return format(value.normalize(), "f") if value % 1 else str(int(value))


def offline_snapshot(*, village: Village) -> dict:
    """The residents and handbook items a scorer of `village` may keep on their phone. Three
    queries whatever the size of the village."""
    residents = (
        Resident.objects.scorable()
        .filter(village=village)
        .order_by("name_pinyin", "pk")
        .values_list("pk", "name", "name_pinyin", "name_initials", "household__number")
    )
    today = village.today()
    edition = Edition.objects.in_force(village=village, on=today)
    items = []
    if edition is not None:
        for item in Item.objects.filter(edition=edition).order_by("page__number", "position", "code"):
            items.append(
                {
                    "id": item.pk,
                    "code": item.code,
                    "title": item.title,
                    "points": _signed(item.signed_points),
                    "kind": item.kind,
                    "fine": item.fine_yuan,
                    "cap": {"count": item.cap_count, "period": item.cap_period} if item.cap_count else None,
                }
            )
    return {
        "village": {
            "id": village.pk,
            "name": village.name,
            "timezone": village.timezone,
            "today": today.isoformat(),
            "backdate_days": village.backdate_days,
        },
        "edition": {"id": edition.pk, "title": edition.title} if edition is not None else None,
        "residents": [dict(zip(RESIDENT_FIELDS, row, strict=True)) for row in residents],
        "items": items,
    }
