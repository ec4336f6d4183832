"""Read-only look-ups behind the scorer's Record screen: find a resident, pick a handbook item.

Each function runs a fixed number of queries whatever the size of the village (the tests assert
it): filtering, ordering and the "recent"/"most used" ranking happen in SQL.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from handbook.models import Edition, Item, Page
from points.models import Entry
from points.services import caps_left
from villages.models import Resident, Village
from villages.search import clean_query, resident_matching

RESIDENT_LIMIT = 20
RECENT_LIMIT = 8
UNAVAILABLE_LIMIT = 5
ITEM_LIMIT = 30
CODE = re.compile(r"\d+(\.\d*)*")


@dataclass
class ResidentSearch:
    query: str
    matches: list[Resident]
    more: bool = False  # more matches than shown: type more letters
    unavailable: list[Resident] = field(default_factory=list)  # matching, but nobody may score them
    not_listed: int = 0  # with no query: residents of the village left out of every search

    @property
    def is_recent(self) -> bool:
        return not self.query


def _not_scorable() -> Q:
    return ~Q(status=Resident.Status.ACTIVE) | Q(consent_given_on__isnull=True)


def find_residents(*, village: Village, scorer: AbstractBaseUser, query: str) -> ResidentSearch:
    """Scorable residents of `village` matching `query`, those `scorer` recorded for most recently
    first; with an empty query, just the scorer's recent residents. Two queries."""
    query = clean_query(query)
    last_by_me = Subquery(
        Entry.objects.filter(resident=OuterRef("pk"), recorded_by=scorer)
        .order_by("-recorded_at")
        .values("recorded_at")[:1]
    )
    scorable = (
        Resident.objects.scorable()
        .filter(village=village)
        .select_related("household")
        .annotate(last_by_me=last_by_me)
        # NULLs (never recorded by this scorer) last on every database: PostgreSQL puts them first.
        .order_by(F("last_by_me").desc(nulls_last=True), "name_pinyin", "pk")
    )
    if not query:
        recent = list(scorable.filter(last_by_me__isnull=False)[:RECENT_LIMIT])
        not_listed = Resident.objects.filter(village=village).filter(_not_scorable()).count()
        return ResidentSearch(query="", matches=recent, not_listed=not_listed)
    matches = list(scorable.filter(resident_matching(query))[: RESIDENT_LIMIT + 1])
    unavailable = list(
        Resident.objects.filter(village=village)
        .filter(_not_scorable())
        .filter(resident_matching(query))
        .select_related("household")
        .order_by("name_pinyin", "pk")[:UNAVAILABLE_LIMIT]
    )
    return ResidentSearch(
        query=query, matches=matches[:RESIDENT_LIMIT], more=len(matches) > RESIDENT_LIMIT, unavailable=unavailable
    )


@dataclass
class ItemPick:
    edition: Edition | None
    pages: list[Page]
    items: list[Item]
    query: str = ""
    page_number: int | None = None
    more: bool = False
    left: dict[int, int] = field(default_factory=dict)  # capped item pk → how many remain for the resident


def _items_in_force(edition: Edition, scorer: AbstractBaseUser) -> QuerySet[Item]:
    # Counted by code, so the scorer's habits carry over to a new edition of the handbook.
    uses = (
        Entry.objects.originals()
        .filter(village_id=edition.village_id, recorded_by=scorer, item__code=OuterRef("code"))
        .values("item__code")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Item.objects.filter(edition=edition)
        .select_related("page")
        .annotate(uses=Coalesce(Subquery(uses, output_field=IntegerField()), Value(0)))
        .order_by("-uses", "page__number", "position", "code")
    )


def find_items(
    *,
    village: Village,
    scorer: AbstractBaseUser,
    query: str = "",
    page_number: int | None = None,
    resident: Resident | None = None,
    on: date,
) -> ItemPick:
    """Items of the edition in force on `on`, the scorer's most used first, filtered by code prefix
    (`3.2`), by words in the title or description, or by handbook page. With a resident, how many
    of each capped item remain in the period. At most four queries."""
    query = clean_query(query)
    edition = Edition.objects.in_force(village=village, on=on)
    if edition is None:
        return ItemPick(edition=None, pages=[], items=[], query=query, page_number=page_number)
    pages = list(edition.pages.all())
    items = _items_in_force(edition, scorer)
    if page_number is not None:
        items = items.filter(page__number=page_number)
    if query and CODE.fullmatch(query):
        items = items.filter(code__startswith=query)
    elif query:
        for word in query.split():
            items = items.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(code=word))
    rows = list(items[: ITEM_LIMIT + 1])
    found = rows[:ITEM_LIMIT]
    left = caps_left(resident=resident, items=found, occurred_on=on) if resident is not None else {}
    for item in found:
        item.left = left.get(item.pk)
    return ItemPick(
        edition=edition,
        pages=pages,
        items=found,
        query=query,
        page_number=page_number,
        more=len(rows) > ITEM_LIMIT,
        left=left,
    )
