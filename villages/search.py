"""Finding residents by what people type: 李伟, its full pinyin (liwei), its initials (lw), or the
household number. One set of rules for the register of residents and the scorer's search
(points.pickers), on the indexed name_pinyin / name_initials columns."""

import re

from django.db.models import Q


def resident_matching(query: str) -> Q:
    """Chinese name (part of it), full pinyin or pinyin initials from the start (`lw`, `liw`,
    `liwei`), pinyin inside the name from three letters, or household number from the start."""
    query = query.strip()
    key = re.sub(r"[\s'’·-]+", "", query).lower()
    match = Q(name__contains=query) | Q(household__number__startswith=query)
    if key.isascii() and key:
        match |= Q(name_initials__startswith=key) | Q(name_pinyin__startswith=key)
        if len(key) >= 3:
            match |= Q(name_pinyin__contains=key)
    return match
