"""Read-only look-ups behind the scorer's Record screen: find a resident, pick a handbook item.

Each function runs a fixed number of queries whatever the size of the village (the tests assert
it). Residents are filtered and ranked in SQL; items are filtered and ordered here, among the
edition's few hundred, read once per process (handbook.contents: a published edition never changes).
"""

import copy
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import BigIntegerField, BooleanField, ExpressionWrapper, IntegerField, Max, Q, QuerySet

from handbook.contents import published_contents
from handbook.models import Edition, Item, Page
from points.models import Entry
from points.services import caps_left
from villages.compiled import Slot, compiled
from villages.models import Resident, Village
from villages.search import clean_query, matching_shape, matching_values, resident_matching_slots

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


def recent_resident_ids(*, village: Village, scorer: AbstractBaseUser) -> list[int]:
    """Residents `scorer` recorded for lately, the most recent first (at most RECENT_RANKED). One
    grouped query over the scorer's last RECENT_WINDOW entries in the village (served by the
    entry_scorer_latest index), so it costs the same in year three as on day one."""
    # Compiled once (villages.compiled): it runs on every keystroke of the search, and Django
    # took longer to build the grouping than the database takes to run it (issue 18).
    return [resident_id for (resident_id,) in compiled(_recent_residents).rows(village=village.pk, scorer=scorer.pk)]


def _recent_residents() -> QuerySet[Entry]:
    last = (
        Entry.objects.filter(
            village_id=Slot("village", BigIntegerField()), recorded_by_id=Slot("scorer", IntegerField())
        )
        .order_by("-recorded_at", "-pk")
        .values("pk")[:RECENT_WINDOW]
    )
    return (
        Entry.objects.filter(pk__in=last)
        .values("resident_id")
        .annotate(latest=Max("recorded_at"))
        .order_by("-latest", "-resident_id")
        .values_list("resident_id")[:RECENT_RANKED]
    )


def find_residents(
    *, village: Village, scorer: AbstractBaseUser, query: str, recent_limit: int = RECENT_LIMIT
) -> ResidentSearch:
    """Scorable residents of `village` matching `query`, those `scorer` recorded for most recently
    first; with an empty query, just the scorer's recent residents. Three queries with a query
    or without, whatever the size of the ledger."""
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
    # The recent ones among the matches (at most RECENT_RANKED), then the others by name: in one
    # query, every recent match first and enough of the others after them.
    shape, values = matching_shape(query), matching_values(query)
    found = compiled(_matches, shape, len(recent)).instances(
        village=village.pk, **values, **{f"recent{n}": pk for n, pk in enumerate(recent)}
    )
    for resident in found:  # set on every one: a template asking a model for a missing attribute is slow
        resident.is_recent = resident.pk in rank
    first = sorted((r for r in found if r.is_recent), key=lambda r: rank[r.pk])
    matches = first + [r for r in found if r.pk not in rank][: RESIDENT_LIMIT + 1]
    unavailable = compiled(_unavailable, shape).instances(village=village.pk, **values)
    return ResidentSearch(
        query=query, matches=matches[:RESIDENT_LIMIT], more=len(matches) > RESIDENT_LIMIT, unavailable=unavailable
    )


# The search's two queries run on every keystroke: compiled once per shape of the query
# (villages.search.matching_shape) and number of recent residents (villages.compiled; Django
# took longer to build them than the database to run them).


def _matches(shape: int, recent: int) -> QuerySet[Resident]:
    """Scorable residents of a village matching the query, the `recent` ones (slots recent0…)
    first, then by name; enough rows for every recent one and a page of the others."""
    found = (
        Resident.objects.scorable()
        .filter(resident_matching_slots(shape), village_id=Slot("village", BigIntegerField()))
        .select_related("household")
        .only("name", "household__number")  # what the lists of matches show (record.html, record_group.html)
    )
    if recent:
        ids = [Slot(f"recent{n}", BigIntegerField()) for n in range(recent)]
        found = found.alias(recent=ExpressionWrapper(Q(pk__in=ids), output_field=BooleanField()))
    return found.order_by(*(["-recent"] if recent else []), "name_pinyin", "pk")[: recent + RESIDENT_LIMIT + 1]


def _unavailable(shape: int) -> QuerySet[Resident]:
    """Matching residents of a village who cannot be scored; only what their list shows
    (points/record.html)."""
    return (
        Resident.objects.select_related("household")
        .only("name", "status", "household__number")
        .filter(_not_scorable() & resident_matching_slots(shape), village_id=Slot("village", BigIntegerField()))
        .order_by("name_pinyin", "pk")[:UNAVAILABLE_LIMIT]
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
    quick: list[Item] = field(default_factory=list)  # the scorer's most used deeds, one tap each

    @property
    def browsing(self) -> bool:
        """Nothing typed and no page chosen: the page offers the handbook's pages, not every item."""
        return not self.query and self.page_number is None


def most_used_codes(*, village: Village | int, scorer: AbstractBaseUser) -> dict[str, int]:
    """How often `scorer` used each item code among their last entries (code → count), reversals
    not counted. Counted by code, so the scorer's habits carry over to a new edition of the
    handbook. One query, no grouping: the window is RECENT_WINDOW rows of the entry_scorer_latest
    index, counted here."""
    last = (
        Entry.objects.filter(village=village, recorded_by=scorer)
        .order_by("-recorded_at", "-pk")
        .values_list("item__code", "reverses_id")[:RECENT_WINDOW]
    )
    return dict(Counter(code for code, reverses in last if reverses is None))


def _matching(items: list[Item], *, query: str, page_number: int | None) -> list[Item]:
    """`items` on handbook page `page_number`, whose code starts with `query` if it is a code, or
    whose title, description or code hold each of its words, in any case."""
    if page_number is not None:
        items = [item for item in items if item.page.number == page_number]
    if query and CODE.fullmatch(query):
        return [item for item in items if item.code.startswith(query)]
    for word in query.split():
        folded = word.casefold()
        items = [
            item
            for item in items
            if folded in item.title.casefold() or folded in item.description.casefold() or item.code == word
        ]
    return items


def _in_picker_order(items: list[Item], uses: dict[str, int], limit: int | None = None) -> list[Item]:
    """Deeds before infractions, then the scorer's most used, then the handbook's order: copies
    of the edition's kept items (handbook.contents), for this request to mark. Sorted here rather
    than in SQL: an edition holds at most a few hundred items, and the use counts come from their
    own query (most_used_codes)."""
    rows = sorted(
        items,
        key=lambda item: (
            item.kind == Item.Kind.INFRACTION,
            -uses.get(item.code, 0),
            item.page.number,
            item.position,
            item.code,
        ),
    )
    return [copy.copy(item) for item in (rows if limit is None else rows[:limit])]


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
    used deeds as `quick`. Three queries (edition in force, use counts, caps left), whatever the
    size of the ledger; the edition's pages and items are read once per process."""
    query = clean_query(query)
    edition = Edition.objects.in_force(village=village, on=on)
    if edition is None:
        return ItemPick(edition=None, pages=[], items=[], query=query, page_number=page_number)
    contents = published_contents(edition)
    uses = most_used_codes(village=village, scorer=scorer)
    browsing = page_number is None and not query  # the page lists the handbook's pages instead
    rows = [] if browsing else _matching(contents.items, query=query, page_number=page_number)
    found = _in_picker_order(rows, uses, ITEM_LIMIT)
    quick = []
    if uses and browsing:
        deeds = [item for item in contents.items if item.kind == Item.Kind.DEED and item.code in uses]
        quick = _in_picker_order(deeds, uses, QUICK_LIMIT)
    left = caps_left(resident=resident, items=found + quick, occurred_on=on) if resident is not None else {}
    _mark_availability(found + quick, left, uses)
    return ItemPick(
        edition=edition,
        pages=contents.pages,
        items=found,
        query=query,
        page_number=page_number,
        more=len(rows) > ITEM_LIMIT,  # rows: every match, at most the edition's items
        left=left,
        quick=quick,
    )
