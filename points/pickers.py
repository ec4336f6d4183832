"""Read-only look-ups behind the scorer's Record screen: find a resident, pick a handbook item.

Each function runs a fixed number of queries whatever the size of the village (the tests assert
it): filtering, ordering and the "recent"/"most used" ranking happen in SQL.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Max, Q, QuerySet

from handbook.models import Edition, Item, Page
from points.models import Entry
from points.services import caps_left
from villages.models import Resident, Village
from villages.search import clean_query, resident_matching

RESIDENT_LIMIT = 20
RECENT_LIMIT = 8
RECENT_RANKED = 50  # recent residents that come first in a search
RECENT_WINDOW = 300  # the scorer's last entries that "recent" and "most used" are counted over
QUICK_LIMIT = 6  # most used deeds offered as one-tap buttons
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


def _my_last_entries(village: Village | int, scorer: AbstractBaseUser) -> QuerySet[Entry]:
    """The ids of the scorer's last RECENT_WINDOW entries in the village, newest first: what
    "recent residents" and "most used" are counted over, so both cost the same in year three as
    on day one. Served by the entry_scorer_recent index."""
    return (
        Entry.objects.filter(village=village, recorded_by=scorer)
        .order_by("-recorded_at", "-pk")
        .values("pk")[:RECENT_WINDOW]
    )


def recent_resident_ids(*, village: Village, scorer: AbstractBaseUser) -> list[int]:
    """Residents `scorer` recorded for lately, the most recent first (at most RECENT_RANKED). One
    grouped query over the scorer's last entries."""
    rows = (
        Entry.objects.filter(pk__in=_my_last_entries(village, scorer))
        .values("resident_id")
        .annotate(last=Max("recorded_at"))
        .order_by("-last", "-resident_id")
        .values_list("resident_id", flat=True)[:RECENT_RANKED]
    )
    return list(rows)


def find_residents(
    *, village: Village, scorer: AbstractBaseUser, query: str, recent_limit: int = RECENT_LIMIT
) -> ResidentSearch:
    """Scorable residents of `village` matching `query`, those `scorer` recorded for most recently
    first; with an empty query, just the scorer's recent residents. Four queries with a query,
    three without, whatever the size of the ledger."""
    query = clean_query(query)
    recent = recent_resident_ids(village=village, scorer=scorer)
    rank = {pk: n for n, pk in enumerate(recent)}
    scorable = Resident.objects.scorable().filter(village=village).select_related("household")
    if not query:
        matches = sorted(scorable.filter(pk__in=recent[:recent_limit]), key=lambda r: rank[r.pk]) if recent else []
        for resident in matches:
            resident.is_recent = True
        not_listed = Resident.objects.filter(village=village).filter(_not_scorable()).count()
        return ResidentSearch(query="", matches=matches, not_listed=not_listed)
    matching = scorable.filter(resident_matching(query))
    # The recent ones among the matches (at most RECENT_RANKED), then the others by name.
    first = sorted(matching.filter(pk__in=recent), key=lambda r: rank[r.pk]) if recent else []
    others = list(matching.exclude(pk__in=recent).order_by("name_pinyin", "pk")[: RESIDENT_LIMIT + 1])
    for resident in first:
        resident.is_recent = True
    matches = first + others
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
    pages: "QuerySet[Page] | list[Page]"
    items: list[Item]
    query: str = ""
    page_number: int | None = None
    more: bool = False
    left: dict[int, int] = field(default_factory=dict)  # capped item pk → how many remain for the resident
    quick: list[Item] = field(default_factory=list)  # the scorer's most used deeds, one tap each

    @property
    def browsing(self) -> bool:
        """Nothing typed and no page chosen: the page offers the handbook's pages, not every item."""
        return not self.query and self.page_number is None


def most_used_codes(*, village: Village | int, scorer: AbstractBaseUser) -> dict[str, int]:
    """How often `scorer` used each item code among their last entries (code → count). Counted by
    code, so the scorer's habits carry over to a new edition of the handbook. One grouped query."""
    rows = (
        Entry.objects.originals()
        .filter(pk__in=_my_last_entries(village, scorer))
        .values("item__code")
        .annotate(n=Count("pk"))
        .values_list("item__code", "n")
    )
    return dict(rows)


def _in_picker_order(items: QuerySet[Item], uses: dict[str, int], limit: int | None = None) -> list[Item]:
    """Deeds before infractions, then the scorer's most used, then the handbook's order. Sorted
    here rather than in SQL: an edition holds at most a few hundred items, and the use counts come
    from their own grouped query (most_used_codes)."""
    rows = list(items.select_related("page"))
    rows.sort(
        key=lambda item: (
            item.kind == Item.Kind.INFRACTION,
            -uses.get(item.code, 0),
            item.page.number,
            item.position,
            item.code,
        )
    )
    return rows if limit is None else rows[:limit]


def _mark_availability(items: list[Item], left: dict[int, int], uses: dict[str, int]) -> None:
    for item in items:
        item.uses = uses.get(item.code, 0)
        item.left = left.get(item.pk)
        item.capped_out = item.left == 0


def find_items(
    *,
    village: Village,
    scorer: AbstractBaseUser,
    query: str = "",
    page_number: int | None = None,
    resident: Resident | None = None,
    on: date,
) -> ItemPick:
    """Items of the edition in force on `on`, deeds before infractions and the scorer's most used
    first, filtered by code prefix (`3.2`), by words in the title or description, or by handbook
    page. With a resident, how many of each capped item remain in the period, and the scorer's most
    used deeds as `quick`. At most five queries, whatever the size of the ledger."""
    query = clean_query(query)
    edition = Edition.objects.in_force(village=village, on=on)
    if edition is None:
        return ItemPick(edition=None, pages=[], items=[], query=query, page_number=page_number)
    pages = edition.pages.all()  # read only where the page lists them (browsing)
    uses = most_used_codes(village=village, scorer=scorer)
    everything = Item.objects.filter(edition=edition)
    items = everything
    if page_number is not None:
        items = items.filter(page__number=page_number)
    if query and CODE.fullmatch(query):
        items = items.filter(code__startswith=query)
    elif query:
        for word in query.split():
            items = items.filter(Q(title__icontains=word) | Q(description__icontains=word) | Q(code=word))
    browsing = page_number is None and not query  # the page lists the handbook's pages instead
    rows = [] if browsing else _in_picker_order(items, uses)
    found = rows[:ITEM_LIMIT]
    quick = []
    if uses and browsing:
        quick = _in_picker_order(everything.filter(kind=Item.Kind.DEED, code__in=list(uses)), uses, QUICK_LIMIT)
    left = caps_left(resident=resident, items=found + quick, occurred_on=on) if resident is not None else {}
    _mark_availability(found + quick, left, uses)
    return ItemPick(
        edition=edition,
        pages=pages,
        items=found,
        query=query,
        page_number=page_number,
        more=len(rows) > ITEM_LIMIT,  # rows: every match, at most the edition's items
        left=left,
        quick=quick,
    )
