"""Two scorers at the same instant, on a real database file.

The test database is a file for the whole suite (see `django_db_modify_db_settings` in
tests/conftest.py): pytest-django's shared-cache in-memory SQLite fails concurrent writers at once
instead of letting them wait, so it cannot show what production does. `transaction=True` makes
every service call commit for real, and each thread opens its own connection, as two requests would.
"""

import threading
import uuid
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from points import chain
from points.models import Entry
from points.services import cap_used, entries, record_entry
from tests.factories import ResidentFactory, record

pytestmark = pytest.mark.django_db(transaction=True)


def at_the_same_instant(*calls: Callable[[], Entry]) -> list[Entry | Exception]:
    """Run each call in its own thread, released together by a barrier; return what each returned
    or raised, in order."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[Entry | Exception | None] = [None] * len(calls)

    def run(index: int, call: Callable[[], Entry]) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as error:  # reported to the test, which decides what is expected
            outcomes[index] = error
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a recording never finished"
    return outcomes


# Several rounds, each with a fresh resident: one lucky interleaving must not hide a race.
@pytest.mark.parametrize("round_", range(5))
def test_it_lets_only_one_of_two_simultaneous_scorers_take_the_last_place_under_a_cap(
    round_, village, scorer, other_scorer, capped_deed
):
    resident = ResidentFactory(village=village)
    today = village.today()
    record(scorer=scorer, resident=resident, item=capped_deed, occurred_on=today)  # 1 of 2 used

    def submit(by):
        return lambda: record_entry(
            scorer=by, resident=resident, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )

    outcomes = at_the_same_instant(submit(scorer), submit(other_scorer))

    recorded = [o for o in outcomes if isinstance(o, Entry)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(recorded) == 1, outcomes
    assert len(refused) == 1, outcomes
    assert refused[0].code == "cap_reached"
    assert cap_used(resident=resident, item=capped_deed, occurred_on=today) == 2
    assert Entry.objects.filter(resident=resident).count() == 2


@pytest.mark.parametrize("round_", range(5))
def test_it_records_once_when_the_same_form_arrives_twice_at_the_same_instant(round_, village, scorer, deed):
    resident = ResidentFactory(village=village)
    key = uuid.uuid4()

    def submit():
        return record_entry(
            scorer=scorer, resident=resident, item=deed, occurred_on=village.today(), idempotency_key=key
        )

    first, second = at_the_same_instant(submit, submit)

    assert isinstance(first, Entry), first
    assert isinstance(second, Entry), second
    assert first.pk == second.pk
    assert Entry.objects.filter(resident=resident).count() == 1
    assert Entry.objects.get(idempotency_key=key).pk == first.pk


def test_a_recording_waits_while_another_for_a_different_resident_is_being_written(village, scorer, deed):
    """Locking each resident does not keep two of them apart; the village's row does (points.chain;
    on PostgreSQL it is locked in the resident's own statement, SQLite's IMMEDIATE transaction locks
    every writer out). A writer that read the chain's head while another was extending it would
    break the chain."""
    first_resident, second_resident = ResidentFactory(village=village), ResidentFactory(village=village)
    first_written, let_first_commit = threading.Event(), threading.Event()
    outcomes: dict[str, Entry | Exception] = {}

    def record_for(resident):
        return record_entry(
            scorer=scorer, resident=resident, item=deed, occurred_on=village.today(), idempotency_key=uuid.uuid4()
        )

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = record_for(first_resident)
                first_written.set()
                let_first_commit.wait(timeout=30)
        finally:
            connection.close()

    def second():
        try:
            first_written.wait(timeout=30)
            outcomes["second"] = record_for(second_resident)
        except Exception as error:
            outcomes["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_written.wait(timeout=30)
    threads[1].join(timeout=1)
    waited = threads[1].is_alive()
    let_first_commit.set()
    for thread in threads:
        thread.join(timeout=60)

    assert waited, "the second recording went ahead while the first held the village's chain"
    assert isinstance(outcomes["second"], Entry), outcomes["second"]
    checked, broken = chain.verify(village=village)
    assert broken is None
    assert checked == 2


# --- SQLite: the threads of one process take turns before SQLite's lock -----------------------
# SQLite's waiting writers poll (1, 2, 5, 10 … ms apart); the threads of one process queue on a
# lock of their own instead (points.services.entries._write_transaction), woken when it is free.

only_sqlite = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's writers take turns in the process")


def _in_a_thread(call: Callable[[], object]) -> tuple[threading.Thread, threading.Event]:
    """Start `call` in a thread of its own (with its own connection); the event is set once it returned."""
    done = threading.Event()

    def run() -> None:
        try:
            call()
            done.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, done


@only_sqlite
def test_on_sqlite_a_recording_waits_for_its_turn_behind_the_process_other_writers(scorer, resident, deed):
    with entries._sqlite_turn:
        thread, done = _in_a_thread(lambda: record(scorer=scorer, resident=resident, item=deed))
        assert not done.wait(timeout=0.5)
        assert not Entry.objects.exists()
    thread.join(timeout=30)

    assert done.is_set()
    assert Entry.objects.count() == 1


@only_sqlite
def test_on_sqlite_a_recording_inside_an_open_transaction_does_not_wait_for_a_turn(scorer, resident, deed):
    """Its transaction holds SQLite's lock already: waiting for a thread that waits for that lock
    would stall both."""
    taken, give_back = threading.Event(), threading.Event()

    def hold_the_turn() -> None:
        with entries._sqlite_turn:
            taken.set()
            give_back.wait(timeout=30)

    holder, _ = _in_a_thread(hold_the_turn)
    taken.wait(timeout=10)

    def in_a_transaction() -> None:
        with transaction.atomic():
            record(scorer=scorer, resident=resident, item=deed)

    thread, done = _in_a_thread(in_a_transaction)
    recorded = done.wait(timeout=10)
    give_back.set()
    for waiting in (thread, holder):
        waiting.join(timeout=30)

    assert recorded, "a recording inside an open transaction waited for the process's turn"
    assert Entry.objects.count() == 1
