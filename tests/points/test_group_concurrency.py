"""Group recordings racing single recordings, on a real database file or PostgreSQL (issue 15).

Same set-up as tests/points/test_concurrency.py: committed transactions, one connection per thread.
"""

import uuid

import pytest

from points.models import Entry
from points.services import cap_used, record_entry, record_group
from tests.factories import ResidentFactory, record
from tests.points.test_concurrency import at_the_same_instant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("round_", range(3))
def test_a_group_racing_single_recordings_never_passes_a_cap(round_, village, scorer, other_scorer, capped_deed):
    today = village.today()
    residents = [ResidentFactory(village=village) for _ in range(4)]
    for resident in residents:
        record(scorer=scorer, resident=resident, item=capped_deed, occurred_on=today)  # 1 of 2 used each

    def group():
        return record_group(
            scorer=scorer, residents=residents, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )

    def single(resident):
        return lambda: record_entry(
            scorer=other_scorer, resident=resident, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )

    outcomes = at_the_same_instant(group, *(single(resident) for resident in residents))

    assert not any(isinstance(o, Exception) and o.__class__.__name__ != "ValidationError" for o in outcomes), outcomes
    for resident in residents:
        assert cap_used(resident=resident, item=capped_deed, occurred_on=today) == 2
        assert Entry.objects.filter(resident=resident).count() == 2
    group_outcomes = outcomes[0]
    singles_recorded = sum(isinstance(o, Entry) for o in outcomes[1:])
    assert sum(o.recorded for o in group_outcomes) + singles_recorded == len(residents)


@pytest.mark.parametrize("round_", range(3))
def test_a_group_replayed_at_the_same_instant_writes_each_entry_once(round_, village, scorer, deed):
    residents = [ResidentFactory(village=village) for _ in range(5)]
    key = uuid.uuid4()

    def group():
        return record_group(
            scorer=scorer, residents=residents, item=deed, occurred_on=village.today(), idempotency_key=key
        )

    first, second = at_the_same_instant(group, group)

    assert [o.entry.pk for o in first] == [o.entry.pk for o in second]
    assert Entry.objects.filter(item=deed).count() == 5
    again = group()  # and a later replay writes nothing either
    assert [o.entry.pk for o in again] == [o.entry.pk for o in first]
    assert Entry.objects.filter(item=deed).count() == 5
