"""What a volunteer scorer's phone keeps for recording without signal.

The snapshot is the whole of what the phone may cache: the acting village's *scorable*
residents (living there and consenting) with only the fields the Record search needs, and the
items of the handbook edition in force. Nothing about balances, ledgers, phones, birthdays or
logins ever leaves the server this way (tests/points/test_offline_views.py pins the fields).
"""

import json
from decimal import Decimal

from django.utils.translation import gettext as _

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


# --- What a phone may send ----------------------------------------------------------------------
# One entry kept on the phone, as static/js/offline.js sends it. Checked before anything reads it,
# so a number where a date belongs, nesting, a lone surrogate or an object as the note is a 400
# with the reason, never a 500 or a note stored as Python's text of a dict.

MAX_SYNC_BYTES = 16 * 1024
SYNC_SCHEMA: dict[str, tuple[tuple[type, ...], int, bool]] = {
    # field: (types allowed, longest text, may be empty)
    "idempotency_key": ((str,), 64, False),
    "resident": ((int, str), 12, False),
    "item": ((int, str), 12, False),
    "occurred_on": ((str,), 32, False),
    "note": ((str, type(None)), 1000, True),
    "witness": ((str, type(None)), 100, True),
}


def sync_payload_problem(body: bytes) -> tuple[dict | None, str]:
    """The entry a phone sent, or None and what is wrong with it (translated, for the phone to
    show). Checks size, JSON, the fields and their types and lengths, and that every text can be
    stored (no lone surrogates)."""
    if len(body) > MAX_SYNC_BYTES:
        return None, _("The entry is larger than any entry can be.")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, _("The entry is not valid JSON.")
    if not isinstance(payload, dict):
        return None, _("The entry is not a JSON object.")
    unknown = sorted(set(payload) - set(SYNC_SCHEMA))
    if unknown:
        return None, _("The entry has a field the app does not know: %(field)s.") % {"field": unknown[0][:40]}
    for field, (types, longest, optional) in SYNC_SCHEMA.items():
        value = payload.get(field)
        if value is None and not optional:
            return None, _("The entry lacks its %(field)s.") % {"field": field}
        if isinstance(value, bool) or not isinstance(value, types):
            return None, _("The entry's %(field)s has the wrong type.") % {"field": field}
        if isinstance(value, int) and not 0 < value < 2**31:
            return None, _("The entry's %(field)s is out of range.") % {"field": field}
        if isinstance(value, str):
            if len(value) > longest:
                return None, _("The entry's %(field)s is longer than %(max)d characters.") % {
                    "field": field,
                    "max": longest,
                }
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                return None, _("The entry's %(field)s holds a character that cannot be stored.") % {"field": field}
    return payload, ""
