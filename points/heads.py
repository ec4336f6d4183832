"""Published chain heads: each village's chain head at the end of each month (its last entry, that
entry's hash and how many entries the chain held), printed in the monthly report, exported by
`manage.py chain_heads` and kept in PublishedHead (points.services.heads writes it).

The hash chain (points.chain) shows any entry changed or removed in the middle; a published head
shows entries removed from the end, which break no link: `verify_ledger` checks that the entry a
head names is still there, with the same hash, and that the chain up to it still holds as many
entries. A head printed on paper or kept in a file outside the database (`--published FILE`) also
binds someone who can change the database; one in PublishedHead binds the app's login, which may
not change or delete it.
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta

from points.chain import GENESIS
from points.models import Entry, PublishedHead
from villages.models import Village

CSV_HEADER = ["village", "month", "entry", "chain_hash", "entries"]


@dataclass(frozen=True)
class Head:
    village_code: str
    month: date  # its first day
    entry_id: int | None  # None: the chain was empty
    chain_hash: str
    entries: int

    def as_row(self) -> list:
        return [self.village_code, f"{self.month:%Y-%m}", self.entry_id or "", self.chain_hash, self.entries]


def month_end(village: Village, month: date) -> datetime:
    """The first instant after `month`, in the village's time zone."""
    return datetime.combine(month + relativedelta(months=1), time.min, tzinfo=village.tzinfo)


def head_at(*, village: Village, month: date) -> Head:
    """The village's chain head at the end of `month`: its newest entry recorded by then, and the
    length of the chain up to that entry. Two queries."""
    last = (
        Entry.objects.filter(village=village, recorded_at__lt=month_end(village, month))
        .order_by("-pk")
        .values_list("pk", "chain_hash")
        .first()
    )
    if last is None:
        return Head(village.code, month, None, GENESIS, 0)
    count = Entry.objects.filter(village=village, pk__lte=last[0]).count()
    return Head(village.code, month, last[0], last[1], count)


def stored_heads(village: Village | None = None) -> list[Head]:
    rows = PublishedHead.objects.select_related("village").order_by("village__code", "month")
    if village is not None:
        rows = rows.filter(village=village)
    return [Head(r.village.code, r.month, r.entry_id, r.chain_hash, r.entries) for r in rows]


def read_csv(lines: Iterable[str]) -> list[Head]:
    """Heads from a file written by `chain_heads` (ValueError, naming the line, if it is not one)."""
    heads = []
    for number, row in enumerate(csv.DictReader(lines), start=2):
        try:
            year, month = row["month"].split("-")
            heads.append(
                Head(
                    village_code=row["village"].strip().upper(),
                    month=date(int(year), int(month), 1),
                    entry_id=int(row["entry"]) if row["entry"].strip() else None,
                    chain_hash=row["chain_hash"].strip(),
                    entries=int(row["entries"]),
                )
            )
        except (KeyError, ValueError, AttributeError):
            raise ValueError(f"line {number} is not a published head ({', '.join(CSV_HEADER)})") from None
    return heads


@dataclass(frozen=True)
class Mismatch:
    head: Head
    problem: str  # "missing", "hash", "count" or "village"


def check(heads: Iterable[Head], *, village: Village | None = None) -> list[Mismatch]:
    """Heads (of `village`, or all) the ledger no longer reaches: their entry is gone, its hash
    differs, or the chain up to it holds another number of entries. Two queries per head."""
    codes = dict(Village.objects.values_list("code", "pk"))
    found = []
    for head in heads:
        if village is not None and head.village_code != village.code:
            continue
        village_id = codes.get(head.village_code)
        if village_id is None:
            found.append(Mismatch(head, "village"))
            continue
        if head.entry_id is None:
            # Published while the chain was empty: entries recorded by then would show in a later head.
            continue
        stored = Entry.objects.filter(village_id=village_id, pk=head.entry_id).values_list("chain_hash", flat=True)
        stored = stored.first()
        if stored is None:
            found.append(Mismatch(head, "missing"))
        elif stored != head.chain_hash:
            found.append(Mismatch(head, "hash"))
        elif Entry.objects.filter(village_id=village_id, pk__lte=head.entry_id).count() != head.entries:
            found.append(Mismatch(head, "count"))
    return found
