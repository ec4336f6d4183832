"""The benchmark scripts still run: a tiny county, each measurement once, a second of load.
No timings are asserted (the figures live in BENCHMARKS.md)."""

import os
import re
from functools import partial

import pytest

from bench import redis_down, run
from bench.make_county import CountySize, make_county
from points import chain
from points.models import Entry
from villages.models import Resident, Village

TINY = CountySize(villages=1, residents=8, entries=3, heavy=6, scorers=2)


@pytest.fixture
def county(settings):
    settings.ROOT_URLCONF = "bench.floor_urls"
    make_county(size=TINY, seed=7)
    return run.find_county()


@pytest.mark.django_db
def test_it_makes_the_county_it_was_asked_for(county):
    assert Village.objects.count() == 2  # V001 and the tiny VT
    assert Resident.objects.filter(village=county.village).count() == 8
    assert Entry.objects.filter(resident=county.heavy).count() == 6
    assert all(r.name_pinyin and r.name_initials for r in Resident.objects.all())
    assert chain.verify() == (Entry.objects.count(), None)  # sealed like every writer's entries


def _measure_once(county, name, capsys) -> None:
    measured = run.MEASUREMENTS[name](county, 1)
    results = measured if isinstance(measured, list) else [measured]
    for result in results:
        assert result.times
        assert result.floor_times
        if result.queries is not None:
            assert result.queries == result.queries_small, result.name
    run.print_goals(results, [])
    assert "goals" in capsys.readouterr().out


@pytest.mark.django_db
@pytest.mark.parametrize("name", [name for name in run.MEASUREMENTS if name not in ("batch", "redis_down")])
def test_it_runs_each_measurement_once(county, name, capsys):
    _measure_once(county, name, capsys)


@pytest.mark.django_db(transaction=True)
def test_it_runs_a_certificate_batch_through_the_real_task(county, capsys):
    """Committed transactions: the batch's task is sent through the outbox after the commit."""
    _measure_once(county, "batch", capsys)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not os.path.exists(redis_down.REDIS_SERVER), reason="redis-server is installed by `make test`")
def test_it_records_with_redis_stopped_and_started(county, capsys):
    """Committed transactions: the recordings happen in another process, configured like production."""
    _measure_once(county, "redis_down", capsys)


@pytest.mark.django_db(transaction=True)
def test_it_drives_a_server_in_rounds_and_checks_the_ledger(county, live_server, capsys):
    """Each round records, then sends the same load to the floor, whose rows are no round's."""
    load = partial(run.run_load, county, port=int(live_server.url.rsplit(":", 1)[1]), seconds=0.5, concurrency=2)
    rounds = [(load(double_tap=0.5), load(floor=True)) for _round in range(2)]

    for result, floor in rounds:
        assert result.requests > 0 and floor.requests > 0
        assert (result.errors, floor.errors) == (0, 0), result.error_samples + floor.error_samples
        assert (result.lost, result.duplicated, result.replay_mismatch) == (0, 0, 0)
    run.print_goals([], rounds)
    assert re.search(r"load: 0 errors, 0 lost, 0 duplicated +met", capsys.readouterr().out)


def test_the_workbook_bomb_script_runs_and_the_bomb_is_refused():
    from bench import workbooks
    from villages.importing import MAX_BYTES

    assert len(workbooks.refusal_seconds(workbooks.bomb_of(MAX_BYTES), runs=1)) == 1
