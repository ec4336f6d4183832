"""Finding residents by what people type: 李伟, its full pinyin (liwei), its initials (lw), or the
household number. One set of rules for the register of residents and the scorer's search
(points.pickers), on the indexed name_pinyin / name_initials columns."""

import re

from django.db.models import CharField, Q, QuerySet

from villages.compiled import Slot
from villages.models import Resident, Village


def resident_matching(query: str) -> Q:
    """Chinese name (part of it), full pinyin or pinyin initials from the start (`lw`, `liw`,
    `liwei`), pinyin inside the name from three letters, or household number from the start."""
    values = matching_values(query)
    return _matching(matching_shape(query), **values)


def matching_shape(query: str) -> int:
    """Which of `resident_matching`'s conditions a query uses: 0 the name and household number
    only, 1 also pinyin from the start (an ASCII key), 2 also pinyin inside the name (three
    letters or more). A compiled search is kept per shape (`resident_matching_slots`)."""
    key = _key(clean_query(query))
    if not (key.isascii() and key):
        return 0
    return 2 if len(key) >= 3 else 1


def matching_values(query: str) -> dict[str, str]:
    """The values of `resident_matching_slots(matching_shape(query))`: the cleaned query, and the
    pinyin key where the shape uses it."""
    query = clean_query(query)
    return {"query": query, "key": _key(query)} if matching_shape(query) else {"query": query}


def resident_matching_slots(shape: int) -> Q:
    """`resident_matching` for a query of this shape, its values as slots ("query", and "key"
    from shape 1) for a statement compiled once (villages.compiled). The ORM escapes `%`, `_` and
    `\\` of a slot in SQL as it escapes them in a value, so both match them literally."""
    key = Slot("key", CharField()) if shape else None
    return _matching(shape, query=Slot("query", CharField()), key=key)


def _key(query: str) -> str:
    """The query as pinyin is stored: without spaces, apostrophes, dots and dashes, in lower case."""
    return re.sub(r"[\s'’·-]+", "", query).lower()


def _matching(shape: int, *, query, key=None) -> Q:
    match = Q(name__contains=query) | Q(household__number__startswith=query)
    if shape >= 1:
        match |= Q(name_initials__startswith=key) | Q(name_pinyin__startswith=key)
    if shape >= 2:
        match |= Q(name_pinyin__contains=key)
    return match


MAX_QUERY = 60  # characters of a search that are used; a longer one matches nothing more useful


def clean_query(raw: str) -> str:
    """What a search box sent, as searched: without NUL characters (which PostgreSQL refuses in a
    query), stripped, and at most MAX_QUERY characters. Every search box goes through here."""
    return raw.replace("\x00", "").strip()[:MAX_QUERY]


def find_residents(*, village: Village, query: str) -> QuerySet[Resident]:
    """The village's residents matching `query` (everyone if it is empty), in register order
    (household, name), with their household. The one query behind every list of residents that
    the head and administrators search, so that the same words find the same people everywhere."""
    residents = Resident.objects.filter(village=village).select_related("household")
    query = clean_query(query)
    if query:
        residents = residents.filter(resident_matching(query))
    return residents.order_by("household__number", "name", "pk")
