"""The tamper-evident ledger: each entry's `chain_hash` links it to the entry written before it in
its village, under a key that is not in the database, so changing, deleting or inserting a row
anywhere breaks every later link, and nobody without the key can forge the links again.

    chain_hash = HMAC-SHA256(key, previous entry's chain_hash in the village + "\\n" + canonical(entry))

where canonical() is a JSON serialisation (sorted keys, no spaces, UTF-8) of the fields an entry
never changes after its insert, `chain_key` (the id of the key that sealed it) among them. The
first entry of a village links to GENESIS. The chain follows the primary key: entries of a village
are inserted one writer at a time (points.services locks the village row first, on PostgreSQL;
SQLite's IMMEDIATE transactions serialise writers), so the order of their keys is the order they
were sealed in.

Keys come from LEDGER_CHAIN_KEYS (`id:secret` pairs, newest first; config.settings). New entries
are sealed with the newest; verification uses the key each entry names. Rotation: put a new pair
first and keep the old ones listed: entries sealed before stay verifiable, entries sealed after use
the new key. A key is dropped from the list only after every entry it sealed is gone, which an
append-only ledger never does: a key that leaked is retired from sealing, not from verifying.

`verify_ledger` recomputes the chains (python manage.py verify_ledger) and reports the first entry
whose stored hash no longer matches, or whose key is not configured.

A chain alone cannot tell that its newest entries were deleted (nothing links to them yet). Each
village's head at the end of every month is therefore published (points.heads): printed in the
monthly report, exportable as CSV (manage.py chain_heads) and kept in PublishedHead;
`verify_ledger` checks the chain against those heads (and against a file with --published), so
deleting entries up to the last published head is found. On PostgreSQL, besides, the app's
database role may not UPDATE, DELETE or TRUNCATE the ledger, and triggers refuse all three.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection
from django.db.models import BigIntegerField, QuerySet

from villages.compiled import Slot, compiled, prepared
from villages.models import Village

GENESIS = "0" * 64

# The fields an entry is sealed with: everything it records, nothing derived later.
SEALED_FIELDS = (
    "village_id",
    "resident_id",
    "item_id",
    "points_halves",
    "fine_yuan",
    "occurred_on",
    "counts_from",
    "expires_on",
    "recorded_by_id",
    "recorded_at",
    "note",
    "witness",
    "photo",
    "idempotency_key",
    "reverses_id",
    "reason",
    "chain_key",
)


class UnknownKey(Exception):
    """An entry names a key that LEDGER_CHAIN_KEYS does not hold."""


def keys() -> dict[str, bytes]:
    """Every configured key by id (settings.LEDGER_CHAIN_KEYS, newest first)."""
    return dict(settings.LEDGER_CHAIN_KEYS)


def sealing_key() -> tuple[str, bytes]:
    """The newest key: the one new entries are sealed with."""
    return settings.LEDGER_CHAIN_KEYS[0]


def _plain(value):
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)  # UUID; a FieldFile is passed as its name


def canonical(values: dict) -> bytes:
    """The sealed fields of an entry as bytes; `values` maps SEALED_FIELDS to Python values."""
    return json.dumps(
        {field: _plain(values[field]) for field in SEALED_FIELDS},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    ).encode()


def link(previous: str, values: dict, *, key: bytes | None = None) -> str:
    """The chain hash of an entry with these sealed values after `previous`, under `key` (by
    default the key the values name in `chain_key`; UnknownKey if it is not configured)."""
    if key is None:
        try:
            key = keys()[values["chain_key"]]
        except KeyError:
            raise UnknownKey(values["chain_key"]) from None
    return hmac.new(key, previous.encode() + b"\n" + canonical(values), hashlib.sha256).hexdigest()


def entry_values(entry) -> dict:
    """An unsaved (or saved) Entry's sealed fields."""
    values = {field: getattr(entry, field) for field in SEALED_FIELDS}
    values["photo"] = entry.photo.name or ""
    return values


def lock_head(village_id: int, *, village_locked: bool = False) -> str:
    """The chain hash of the village's latest entry (GENESIS if it has none), with the village row
    locked until the end of the caller's transaction so that no other writer extends the chain
    meanwhile. `village_locked`: the caller's transaction already holds the row (record_entry
    locks it in the statement that locks the resident, points.services.entries._locked_resident).

    PostgreSQL: the village row is locked first and the head read after, in a statement of its own,
    so a writer that waited for the lock reads the entry the other one committed (a subquery in the
    locking statement would read the snapshot taken before the wait). SQLite has no row locks and
    needs none: its IMMEDIATE transaction already keeps every other writer out. Both statements
    are compiled once (villages.compiled), since they run for every entry recorded; the head comes
    from the (village, id) index."""
    if not connection.in_atomic_block:
        raise RuntimeError("lock_head must run inside the transaction that inserts the entries.")
    if connection.features.has_select_for_update and not village_locked:
        compiled(_locked_village).rows(village=village_id)
    [last] = compiled(_head).rows(village=village_id) or [(GENESIS,)]
    return last[0]


@prepared
def _locked_village() -> QuerySet:
    """The village's (slot village) row, locked: the chain's lock."""
    village = Village.objects.filter(pk=Slot("village", BigIntegerField())).order_by()
    return village.select_for_update().values_list("pk")


@prepared
def _head() -> QuerySet:
    """The chain hash of the village's (slot village) latest entry."""
    from points.models import Entry

    entries = Entry.objects.filter(village_id=Slot("village", BigIntegerField()))
    return entries.order_by("-pk").values_list("chain_hash")[:1]


def seal(entries: list, *, village_id: int, village_locked: bool = False) -> None:
    """Set chain_hash on unsaved entries of one village, in the order they will be inserted.
    Call inside the transaction that inserts them (`village_locked`: see lock_head)."""
    key_id, key = sealing_key()
    previous = lock_head(village_id, village_locked=village_locked)
    for entry in entries:
        entry.chain_key = key_id
        entry.chain_hash = previous = link(previous, entry_values(entry), key=key)


@dataclass(frozen=True)
class Break:
    """The first entry whose stored hash does not follow from the entries before it."""

    entry_id: int
    village_id: int
    stored: str
    expected: str  # "" when the entry names a key that is not configured
    checked: int  # entries found intact before it
    unknown_key: str = ""


def _rows(village: Village | None, chunk_size: int) -> Iterator[tuple]:
    from points.models import Entry

    rows = Entry.objects.all() if village is None else Entry.objects.filter(village=village)
    # Plain tuples straight from a server-side cursor (PostgreSQL) or chunked fetches (SQLite):
    # memory stays flat whatever the size of the ledger.
    return rows.order_by("pk").values_list("pk", "chain_hash", *SEALED_FIELDS).iterator(chunk_size=chunk_size)


def verify(*, village: Village | None = None, chunk_size: int = 5000) -> tuple[int, Break | None]:
    """Walk every chain (or one village's) in key order. Returns how many entries were checked and
    the first break, or None if every link holds. One streamed query."""
    return _walk(_rows(village, chunk_size))


def _walk(rows: Iterable[tuple]) -> tuple[int, Break | None]:
    heads: dict[int, str] = {}
    configured = keys()
    checked = 0
    for pk, stored, *sealed in rows:
        values = dict(zip(SEALED_FIELDS, sealed, strict=True))
        village_id = values["village_id"]
        key = configured.get(values["chain_key"])
        if key is None:
            unknown = values["chain_key"] or "-"
            return checked, Break(pk, village_id, stored, expected="", checked=checked, unknown_key=unknown)
        expected = link(heads.get(village_id, GENESIS), values, key=key)
        # compare_digest: the time taken does not tell how much of a forged hash was right.
        if not hmac.compare_digest(stored, expected):
            return checked, Break(entry_id=pk, village_id=village_id, stored=stored, expected=expected, checked=checked)
        heads[village_id] = stored
        checked += 1
    return checked, None
