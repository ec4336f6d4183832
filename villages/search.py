"""Finding residents by what people type: 李伟, its full pinyin (liwei), its initials (lw), or the
household number. One set of rules for the register of residents and the scorer's search
(points.pickers), on the indexed name_pinyin / name_initials columns."""

import re

from django.db.models import Q, QuerySet

from villages.models import Resident, Village


def resident_matching(query: str) -> Q:
    """Chinese name (part of it), full pinyin or pinyin initials from the start (`lw`, `liw`,
    `liwei`), pinyin inside the name from three letters, or household number from the start."""
    query = clean_query(query)
    key = re.sub(r"[\s'’·-]+", "", query).lower()
    match = Q(name__contains=query) | Q(household__number__startswith=query)
    if key.isascii() and key:
        match |= Q(name_initials__startswith=key) | Q(name_pinyin__startswith=key)
        if len(key) >= 3:
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
