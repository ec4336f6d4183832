"""The benchmarks, each against its floor, in one run on one database (made by bench.make_county).

    python -m bench.make_county              # once: the county (SQLite by default)
    python -m bench.run                      # in-process measurements, then the gunicorn load
    python -m bench.run --skip-load --repeat 50
    DATABASE_URL=postgres://… python -m bench.run

In-process figures go through Django's test Client: the whole stack (middleware, session, URL
resolver, view, templates), on the county's database, signed in as the village's own scorer or
head. Each real request is interleaved with its floor request, so a noisy machine slows both
alike and the ratio stays meaningful. Floors (bench/floor_urls.py, served under bench.settings):

- record an entry  ↔ a bare view doing one INSERT into the ledger table;
- search, standing page, village overview ↔ a bare view doing one SELECT by primary key;
- monthly snapshots ↔ one grouped SUM over every entry of the county (reading the ledger once);
- certificate PDFs ↔ an empty ReportLab page (bench/certificates.py, shared with the certificates work);
- a redemption at the store counter ↔ the record-entry floor, one INSERT (bench/store.py);
- recording with Redis stopped ↔ recording with Redis up, in a process configured like production
  (bench/redis_down.py; needs redis-server).

Query counts are shown for the big case and for the tiny village VT (same page, 10 residents, 5
entries each): equal counts mean the page's queries do not grow with the data.

Then gunicorn (2 workers × 4 threads, as `make run`) serves bench.settings on a free loopback port
and 16 scorers of the second village (V002, so that V001's pages do not grow from one run to the
next) record entries as fast as they can (a few double taps included), and the same load is sent to
the bare insert floor: in three rounds, each recording then floor for a third of 20 seconds, so
that a slow spell of the machine falls on both. The load's ratios are the median of the rounds'
(one round's p95 swings by ±50 % on SQLite, whose waiting writers sleep and retry). Nothing listens
beyond 127.0.0.1 and the server is stopped at the end.
"""

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import signal
import socket
import statistics
import string
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from http.client import HTTPConnection
from pathlib import Path
from urllib.parse import urlencode

from bench import scorer
from bench.store import measure_redemption

ROOT = Path(__file__).resolve().parent.parent
# Ratios to a floor measured in the same run (issue 18). "pages": big village ÷ tiny village.
GOALS = {
    "record": 1.5,
    "search": 3.0,
    "standing": 3.0,
    "overview": 5.0,
    "statement": 2.0,
    "batch": 1.3,
    "pages": 2.0,
    "redeem": 2.0,  # a redemption at the store counter ÷ the record-entry floor (bench/store.py)
    "redis_down": 2.0,  # a recording with Redis stopped ÷ one with Redis up (issue 21, bench/redis_down.py)
}
SNAPSHOT_GOAL_SECONDS, SNAPSHOT_GOAL_RESIDENTS = 10.0, 100_000
LOAD_P95_GOAL, LOAD_THROUGHPUT_GOAL = 2.0, 0.6  # × the bare insert's p95; × its throughput
SEARCH_QUERY = "lw"  # pinyin initials, as a scorer types them (李伟 → lw)


# --- The county: who and what the measurements use -------------------------------------------


@dataclass
class County:
    village: object  # V001: the big village
    head: object
    scorers: list
    residents: list  # V001's scorable residents, the heavy one left out
    heavy: object  # V001's resident with ~2,000 entries
    item: object  # an uncapped deed of V001's handbook
    tiny_village: object  # VT: 10 residents, 5 entries each
    tiny_head: object
    tiny_scorer: object
    tiny_resident: object
    tiny_item: object
    admin: object = None
    tiny_admin: object = None
    load: "Crew | None" = None  # who records under load: V002's, so V001's pages do not grow run after run
    clients: dict = field(default_factory=dict)

    def client(self, user):
        """A test Client signed in as `user`, made once."""
        from django.test import Client

        if user.pk not in self.clients:
            client = Client()
            client.force_login(user)
            self.clients[user.pk] = client
        return self.clients[user.pk]


@dataclass
class Crew:
    """A village's scorers, its scorable residents and an uncapped deed: who records under load."""

    village: object
    scorers: list
    residents: list
    item: object


def _crew(village) -> Crew:
    from django.contrib.auth import get_user_model

    from villages.models import Membership, Resident

    scorer_ids = Membership.objects.filter(village=village, role=Membership.Role.SCORER).values_list("user", flat=True)
    return Crew(
        village=village,
        scorers=list(get_user_model().objects.filter(pk__in=scorer_ids).order_by("username")),
        residents=list(Resident.objects.filter(village=village).scorable().order_by("pk")),
        item=_deed(village),
    )


def _deed(village):
    """The village's uncapped deed that every benchmark records (handbook item 1.1)."""
    from handbook.models import Item

    return Item.objects.filter(edition__village=village, code="1.1").get()


def find_county() -> County:
    from django.contrib.auth import get_user_model

    from bench.make_county import TINY_CODE, admin_username, head_username, scorer_username, village_code
    from villages.models import Resident, Village

    User = get_user_model()
    code = village_code(1)
    village = Village.objects.filter(code=code).first()
    if village is None:
        raise SystemExit("No county in this database: run `python -m bench.make_county` first.")
    tiny = Village.objects.get(code=TINY_CODE)
    big = _crew(village)
    return County(
        village=village,
        head=User.objects.get(username=head_username(code)),
        scorers=big.scorers,
        residents=big.residents[1:],
        heavy=big.residents[0],
        item=big.item,
        tiny_village=tiny,
        tiny_head=User.objects.get(username=head_username(TINY_CODE)),
        tiny_scorer=User.objects.get(username=scorer_username(TINY_CODE, 1)),
        tiny_resident=Resident.objects.filter(village=tiny).scorable().order_by("pk").first(),
        tiny_item=_deed(tiny),
        admin=User.objects.get(username=admin_username(code)),
        tiny_admin=User.objects.get(username=admin_username(TINY_CODE)),
        # The load test writes thousands of entries: into the second village where there is one.
        load=_crew(Village.objects.filter(code=village_code(2)).first() or village),
    )


def resident_user(resident):
    """The resident's own account, made once (the county's residents have none): the resident's
    pages are measured signed in as the heavy resident and as the tiny village's one."""
    from django.contrib.auth import get_user_model

    from villages.models import Membership

    if resident.user_id is None:
        user = get_user_model().objects.create_user(username=f"bench-resident-{resident.pk}")
        Membership.objects.get_or_create(user=user, village_id=resident.village_id, role=Membership.Role.RESIDENT)
        type(resident).objects.filter(pk=resident.pk).update(user=user)
        resident.user = user
    return resident.user


# --- Timing ----------------------------------------------------------------------------------


@dataclass
class Measurement:
    name: str
    unit: str  # what one sample is
    times: list[float]  # seconds
    floor_name: str = ""
    floor_times: list[float] = field(default_factory=list)
    queries: int | None = None  # the big case
    queries_small: int | None = None  # the tiny village
    goal: float | None = None  # ratio to the floor
    note: str = ""
    # CPU time of this process for each sample (time.process_time), where recorded: on SQLite the
    # whole request runs in this process, so their ratio is what the machine's load does not move.
    cpu_times: list[float] = field(default_factory=list)
    floor_cpu_times: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def p95(self) -> float:
        return percentile(self.times, 95)

    @property
    def floor_median(self) -> float | None:
        return statistics.median(self.floor_times) if self.floor_times else None

    @property
    def ratio(self) -> float | None:
        return self.median / self.floor_median if self.floor_times else None

    @property
    def cpu_ratio(self) -> float | None:
        if not (self.cpu_times and self.floor_cpu_times):
            return None
        return statistics.median(self.cpu_times) / statistics.median(self.floor_cpu_times)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))]


def interleaved(
    real: Callable[[int], None], floor: Callable[[int], None], n: int, cpu: tuple[list, list] | None = None
) -> tuple[list, list]:
    """Time `real(i)` and `floor(i)` alternately, n times each (wall clock); `cpu`, if given, gets
    each sample's CPU time of this process (real's, floor's)."""
    real_times, floor_times = [], []
    real_cpu, floor_cpu = cpu if cpu is not None else ([], [])
    for i in range(n):
        for function, times, cpu_times in ((real, real_times, real_cpu), (floor, floor_times, floor_cpu)):
            start, start_cpu = time.perf_counter(), time.process_time()
            function(i)
            times.append(time.perf_counter() - start)
            cpu_times.append(time.process_time() - start_cpu)
    return real_times, floor_times


def count_queries(function: Callable[[], None]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    function()  # once first: a client's first request loads what later ones find cached
    with CaptureQueriesContext(connection) as captured:
        function()
    return len(captured)


def expect(response, *statuses: int):
    if response.status_code not in statuses:
        raise RuntimeError(f"{response.request['PATH_INFO']} answered {response.status_code}, expected {statuses}")
    return response


# --- The in-process measurements -------------------------------------------------------------


def _floor_insert(county: County, client, resident, item) -> None:
    from django.urls import reverse

    data = {"village": resident.village_id, "resident": resident.pk, "item": item.pk}
    expect(client.post(reverse("bench_floor:insert"), data), 302)


def _floor_select(client, pk: int) -> None:
    from django.urls import reverse

    expect(client.get(reverse("bench_floor:select", args=[pk])), 200)


def _page_against_floor(
    county: County,
    n: int,
    *,
    client,
    get: Callable[[], None],
    get_small: Callable[[], None],
    name: str,
    goal: float | None = None,
) -> Measurement:
    """`get` (one page fetched by `client`) warmed up once, then timed `n` times interleaved with the
    floor (a bare view running one SELECT by pk, fetched by the same client); its queries counted
    for the county and, through `get_small`, for the tiny village."""
    get()
    cpu = ([], [])
    real, floor = interleaved(lambda i: get(), lambda i: _floor_select(client, county.heavy.pk), n, cpu)
    return Measurement(
        name=name,
        unit="request",
        times=real,
        floor_name="bare view, one SELECT by pk",
        floor_times=floor,
        cpu_times=cpu[0],
        floor_cpu_times=cpu[1],
        queries=count_queries(get),
        queries_small=count_queries(get_small),
        goal=goal,
    )


def measure_record(county: County, n: int) -> Measurement:
    """The scorer's POST through the whole view: form, access checks, idempotency and cap check, insert."""
    from django.urls import reverse

    from villages.models import Resident

    url = reverse("points:record")
    today = county.village.today().isoformat()

    def post(client, resident, item):
        data = {
            "resident": resident.pk,
            "item": item.pk,
            "idempotency_key": str(uuid.uuid4()),
            "occurred_on": today,
            "note": "",
            "witness": "",
        }
        expect(client.post(url, data), 302)

    client = county.client(county.scorers[0])
    rng = random.Random(1)
    picks = [rng.choice(county.residents) for _ in range(n)]
    post(client, picks[0], county.item)  # warm: templates, forms, first connection
    cpu = ([], [])
    real, floor = interleaved(
        lambda i: post(client, picks[i], county.item),
        lambda i: _floor_insert(county, client, picks[i], county.item),
        n,
        cpu,
    )
    tiny = county.client(county.tiny_scorer)
    # Like the big village's picks, a resident without an account: one with an account gets a
    # notice through the outbox, whose task runs in-process here (eager) and would be counted.
    tiny_resident = Resident.objects.filter(village=county.tiny_village, user__isnull=True).scorable().first()
    return Measurement(
        name="record an entry (scorer's POST)",
        unit="request",
        times=real,
        floor_name="bare view, one INSERT",
        floor_times=floor,
        cpu_times=cpu[0],
        floor_cpu_times=cpu[1],
        queries=count_queries(lambda: post(client, picks[0], county.item)),
        queries_small=count_queries(lambda: post(tiny, tiny_resident, county.tiny_item)),
        goal=GOALS["record"],
    )


def measure_search(county: County, n: int) -> Measurement:
    """The scorer's resident search partial (htmx), for pinyin initials matching many residents."""
    from django.urls import reverse

    url = reverse("points:record_residents")

    def search(client):
        expect(client.get(url, {"q": SEARCH_QUERY}, headers={"HX-Request": "true"}), 200)

    client = county.client(county.scorers[0])
    return _page_against_floor(
        county,
        n,
        client=client,
        get=lambda: search(client),
        get_small=lambda: search(county.client(county.tiny_scorer)),
        name=f"resident search partial (q={SEARCH_QUERY!r})",
        goal=GOALS["search"],
    )


def measure_standing(county: County, n: int) -> Measurement:
    """The head's view of the heavy resident's standing page (balance, grade, chart, expiries)."""
    from django.urls import reverse

    from points.models import Entry

    def page(client, resident):
        expect(client.get(reverse("points:resident_standing", args=[resident.pk])), 200)

    client = county.client(county.head)
    entries = Entry.objects.filter(resident=county.heavy).count()
    return _page_against_floor(
        county,
        n,
        client=client,
        get=lambda: page(client, county.heavy),
        get_small=lambda: page(county.client(county.tiny_head), county.tiny_resident),
        name=f"standing page ({entries:,} entries)",
        goal=GOALS["standing"],
    )


def measure_overview(county: County, n: int) -> Measurement:
    """The head's village dashboard (office.dashboard): grades, trend, pages, scorers, appeals.
    Floor: the same signed-in request doing the village's one GROUP BY (every resident's sum)."""
    from django.urls import reverse

    from villages.models import Resident

    url = reverse("office:dashboard")
    floor_url = reverse("bench_floor:village_sums", args=[county.village.pk])

    def page(client):
        expect(client.get(url), 200)

    client = county.client(county.head)
    page(client)
    cpu = ([], [])
    real, floor = interleaved(lambda i: page(client), lambda i: expect(client.get(floor_url), 200), n, cpu)
    residents = Resident.objects.filter(village=county.village).count()
    return Measurement(
        name=f"village dashboard ({residents:,} residents)",
        unit="request",
        times=real,
        floor_name="bare view, the village's one GROUP BY",
        floor_times=floor,
        cpu_times=cpu[0],
        floor_cpu_times=cpu[1],
        queries=count_queries(lambda: page(client)),
        queries_small=count_queries(lambda: page(county.client(county.tiny_head))),
        goal=GOALS["overview"],
    )


def measure_statement(county: County, n: int) -> Measurement:
    """The head's printable statement of the heavy resident against the tiny village's resident
    (floor: the same page, short): a page of lines at a time, so its time should not grow."""
    from django.urls import reverse

    from points.models import Entry

    def page(client, resident):
        expect(client.get(reverse("points:statement", args=[resident.pk])), 200)

    big, small = county.client(county.head), county.client(county.tiny_head)
    page(big, county.heavy)
    page(small, county.tiny_resident)
    cpu = ([], [])
    real, floor = interleaved(lambda i: page(big, county.heavy), lambda i: page(small, county.tiny_resident), n, cpu)
    entries = Entry.objects.filter(resident=county.heavy).count()
    return Measurement(
        name=f"statement ({entries:,} entries ÷ tiny)",
        unit="request",
        times=real,
        floor_name="same page, tiny village's resident",
        floor_times=floor,
        cpu_times=cpu[0],
        floor_cpu_times=cpu[1],
        queries=count_queries(lambda: page(big, county.heavy)),
        queries_small=count_queries(lambda: page(small, county.tiny_resident)),
        goal=GOALS["statement"],
    )


def _pages(county: County) -> list[tuple[str, object, object, str, list, list]]:
    """Every page of the head, the resident and the administrator that reads data of the village
    (GET, no export file): (name, big user, tiny user, URL name, big args, tiny args)."""
    heavy, tiny = county.heavy, county.tiny_resident
    big_resident, tiny_resident = resident_user(heavy), resident_user(tiny)
    head, tiny_head, admin, tiny_admin = county.head, county.tiny_head, county.admin, county.tiny_admin
    return [
        ("resident: standing", big_resident, tiny_resident, "points:standing", [], []),
        ("resident: ledger", big_resident, tiny_resident, "points:ledger", [], []),
        ("resident: certificates", big_resident, tiny_resident, "points:my_certificates", [], []),
        ("resident: handbook", big_resident, tiny_resident, "handbook:index", [], []),
        ("head: home", head, tiny_head, "office:home", [], []),
        ("head: appeal queue", head, tiny_head, "points:appeal_queue", [], []),
        ("head: residents", head, tiny_head, "points:resident_list", [], []),
        ("head: resident's standing", head, tiny_head, "points:resident_standing", [heavy.pk], [tiny.pk]),
        ("head: resident's ledger", head, tiny_head, "points:resident_ledger", [heavy.pk], [tiny.pk]),
        ("head: statement", head, tiny_head, "points:statement", [heavy.pk], [tiny.pk]),
        ("head: certificate registry", head, tiny_head, "points:certificates", [], []),
        ("head: resident's certificates", head, tiny_head, "points:resident_certificates", [heavy.pk], [tiny.pk]),
        ("head: dashboard", head, tiny_head, "office:dashboard", [], []),
        ("head: reports", head, tiny_head, "office:reports", [], []),
        ("admin: residents", admin, tiny_admin, "villages:residents", [], []),
        ("admin: resident", admin, tiny_admin, "villages:resident_detail", [heavy.pk], [tiny.pk]),
        ("admin: accounts", admin, tiny_admin, "villages:accounts", [], []),
        ("admin: grade bands", admin, tiny_admin, "office:grades", [], []),
        ("admin: audit trail", admin, tiny_admin, "office:audit", [], []),
        ("admin: handbook editor", admin, tiny_admin, "handbook:editor", [], []),
    ]


def measure_pages(county: County, n: int) -> list[Measurement]:
    """Each page for the big village against the same page for the tiny village VT, interleaved:
    the ratio says whether the page's time grows with the village (goal: ≤ 2×)."""
    return [_big_against_tiny(county, n, *page) for page in _pages(county)]


def _big_against_tiny(county: County, n: int, name, big_user, tiny_user, url_name, big_args, tiny_args) -> Measurement:
    from django.urls import reverse

    big, small = county.client(big_user), county.client(tiny_user)
    big_url, small_url = reverse(url_name, args=big_args), reverse(url_name, args=tiny_args)

    def get_big():
        expect(big.get(big_url), 200)

    def get_small():
        expect(small.get(small_url), 200)

    get_big()
    get_small()
    cpu = ([], [])
    real, floor = interleaved(lambda i: get_big(), lambda i: get_small(), n, cpu)
    return Measurement(
        name=f"{name} (big ÷ tiny)",
        unit="request",
        times=real,
        floor_name="same page, tiny village",
        floor_times=floor,
        cpu_times=cpu[0],
        floor_cpu_times=cpu[1],
        queries=count_queries(get_big),
        queries_small=count_queries(get_small),
        goal=GOALS["pages"],
    )


def prepare_snapshots(county: County) -> None:
    """The eleven closed months' snapshots of the two villages measured, as the monthly job would
    have taken them (untimed; those already there are kept)."""
    from dateutil.relativedelta import relativedelta

    from points.snapshots import take_monthly_snapshots

    this_month = county.village.today().replace(day=1)
    for n in range(1, 12):
        take_monthly_snapshots(
            month=this_month - relativedelta(months=n), villages=[county.village, county.tiny_village]
        )


def measure_snapshots(county: County, n: int) -> Measurement:
    """points.snapshots.take_monthly_snapshots for every village of the county, last month.

    Each run starts from no snapshots of that month (removed, untimed, before the run)."""
    from django.db import connection

    from points.models import Entry, MonthlyGradeTally, MonthlyPageTally, MonthlySnapshot
    from points.snapshots import previous_month, take_monthly_snapshots
    from villages.models import Resident

    month = previous_month(county.village.today())

    def job():
        MonthlySnapshot.objects.filter(month=month).delete()
        MonthlyPageTally.objects.filter(month=month).delete()
        MonthlyGradeTally.objects.filter(month=month).delete()
        start = time.perf_counter()
        written = take_monthly_snapshots(month=month)
        return time.perf_counter() - start, written

    def floor():
        start = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT resident_id, SUM(points_halves) FROM {Entry._meta.db_table} GROUP BY resident_id")
            cursor.fetchall()
        return time.perf_counter() - start

    real, floors, written = [], [], 0
    for _ in range(n):
        seconds, written = job()
        real.append(seconds)
        floors.append(floor())
    residents = Resident.objects.count()
    return Measurement(
        name=f"monthly snapshots, whole county ({residents:,} residents)",
        unit="run",
        times=real,
        floor_name="one grouped SUM over every entry",
        floor_times=floors,
        note=f"{written:,} snapshot rows written per run",
    )


def snapshot_verdict(result: Measurement) -> str:
    """The goal: 100,000 residents in under 10 s (PostgreSQL, freshly loaded)."""
    residents = int(result.name.rsplit("(", 1)[1].split()[0].replace(",", ""))
    if residents < SNAPSHOT_GOAL_RESIDENTS:
        return f"not measured at {SNAPSHOT_GOAL_RESIDENTS:,} residents ({residents:,} here): not met"
    met = result.median < SNAPSHOT_GOAL_SECONDS
    return f"{ms(result.median)} for {residents:,} residents: {'met' if met else 'NOT met'}"


def measure_certificates(county: County, n: int) -> Measurement:
    """Certificate PDFs rendered one per PDF (a download), per certificate, every one with an
    address of its own (no cache answers); floor: a page with the same embedded font and a QR
    code of an address as long. bench/certificates.py's functions, shared with that script."""
    from bench import certificates

    certificates.singles(1)  # the font registered and parsed once, as in a long-running worker
    rounds = 5 if n > 1 else 1
    count = max(1, n)
    real, floor = [], []
    for _ in range(rounds):
        real.append(certificates.per_item(certificates.singles, count, rounds=1))
        floor.append(certificates.per_item(certificates.floor_singles, count, rounds=1))
    return Measurement(
        name="certificate PDF (one per file)",
        unit="certificate",
        times=real,
        floor_name="a page: embedded font + QR code",
        floor_times=floor,
        note=f"{1 / statistics.median(real):.0f} PDFs/s one per file, {count * rounds:,} distinct certificates",
    )


def measure_batch(county: County, n: int) -> Measurement:
    """A certificate batch for the whole big village through the real task (start_batch enqueues
    render_certificate_batch through the outbox; tasks run eagerly in-process here): issuing,
    rendering and writing the PDF, per certificate. Floor: the same number of floor pages (font +
    QR code, distinct addresses) in one PDF. With n ≤ 1 (the smoke test), the tiny village, once.

    Measured warm, as a long-running worker runs it: the tiny village's batch and ten floor pages go
    first, untimed, so what a process sets up once (the URL resolver, the statements compiled once,
    the font) is not charged to the first timed batch's certificates. Then `n` (at most 3) batches,
    each followed by its floor."""
    from bench import certificates
    from points.models import CertificateBatch
    from points.services import start_batch

    village, head = (county.village, county.head) if n > 1 else (county.tiny_village, county.tiny_head)
    runs = min(n, 3) if n > 1 else 1
    if n > 1:
        start_batch(village=county.tiny_village, requested_by=county.tiny_head)
        certificates.floor_batch(10)
    real, floor, real_cpu, floor_cpu, count = [], [], [], [], 0
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        batch = start_batch(village=village, requested_by=head)
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        batch.refresh_from_db()
        if batch.status != CertificateBatch.Status.DONE:
            raise RuntimeError(f"batch {batch.pk} did not finish in-process: {batch.status}")
        count = batch.total
        real.append(elapsed / count)
        real_cpu.append(elapsed_cpu / count)
        start_cpu = time.process_time()
        floor.append(certificates.per_item(certificates.floor_batch, count, rounds=1))
        floor_cpu.append((time.process_time() - start_cpu) / count)
    return Measurement(
        name=f"certificate batch, {count:,} residents (real task)",
        unit="certificate",
        times=real,
        floor_name="floor pages in one PDF",
        floor_times=floor,
        goal=GOALS["batch"],
        note=f"{count:,} certificates in {statistics.median(real) * count:.1f} s, issuing included",
        cpu_times=real_cpu,
        floor_cpu_times=floor_cpu,
    )


def measure_redis_down(county: County, n: int) -> list[Measurement]:
    """record_entry with the broker stopped against record_entry with it up: `n` interleaved rounds
    of 10 recordings each (2 with n ≤ 1, the smoke test) for a resident with a login, so every
    entry has a notice to publish after commit (bench/redis_down.py). Nothing without redis-server."""
    import tempfile

    from bench import redis_down

    if not os.path.exists(redis_down.REDIS_SERVER):
        print("… redis_down skipped: redis-server is not installed", file=sys.stderr)
        return []
    per_round = 10 if n > 1 else 2
    with tempfile.TemporaryDirectory() as directory:
        redis = redis_down.RedisServer(Path(directory))
        redis.start()
        try:
            rounds = redis_down.measure(
                redis=redis,
                scorer=county.scorers[0],
                resident=_resident_with_login(county),
                item=county.item,
                rounds=max(1, n),
                per_round=per_round,
            )
        finally:
            redis.stop()
    return [
        Measurement(
            name="record with Redis stopped (record_entry)",
            unit="recording",
            times=rounds.down,
            floor_name="record with Redis up",
            floor_times=rounds.up,
            goal=GOALS["redis_down"],
            note=f"{len(rounds.down)} rounds of {per_round} each way, interleaved; left for the sweeper: "
            f"{sum(rounds.unsent_down)} of {per_round * len(rounds.down)} (down), {sum(rounds.unsent_up)} (up)",
        )
    ]


def _resident_with_login(county: County):
    resident = county.residents[1 % len(county.residents)]
    resident_user(resident)
    return resident


MEASUREMENTS = {
    "record": measure_record,
    "search": measure_search,
    "standing": measure_standing,
    "overview": measure_overview,
    "statement": measure_statement,
    "pages": measure_pages,
    "snapshots": measure_snapshots,
    "certificates": measure_certificates,
    "batch": measure_batch,
    "redeem": measure_redemption,
    "redis_down": measure_redis_down,
}
# The scorer's pages, big village ÷ tiny village, and the item picker against its floor (issue 15).
MEASUREMENTS.update(scorer.MEASUREMENTS)


# --- Under load: gunicorn over loopback ------------------------------------------------------


@dataclass
class LoadResult:
    target: str
    seconds: float
    concurrency: int
    requests: int
    errors: int
    throughput: float  # requests per second
    median: float
    p95: float
    double_taps: int = 0
    lost: int | None = None
    duplicated: int | None = None
    replay_mismatch: int | None = None
    written_on_error: int | None = None
    error_samples: list[str] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """gunicorn serving bench.settings on 127.0.0.1; stopped by `stop()` (and at exit of `with`)."""

    def __init__(self, *, workers: int, threads: int, log: Path, cores: set[int] | None = None):
        self.port = free_port()
        self.workers, self.threads, self.log, self.cores = workers, threads, log, cores
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        command = [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--threads",
            str(self.threads),
            "--error-logfile",
            str(self.log),
        ]
        if self.cores:
            command = ["taskset", "-c", ",".join(map(str, sorted(self.cores))), *command]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start; see {self.log}")
            try:
                connection = HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer /healthz within 30 s; see {self.log}")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


def _session_cookies(user) -> str:
    """A signed-in session for `user` (written to the database, as a login would) and a CSRF token."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    return session


def run_load(
    county: County, *, port: int, seconds: float, concurrency: int, floor: bool = False, double_tap: float = 0.03
) -> LoadResult:
    """`concurrency` scorers (one account and one keep-alive connection each) post entries for
    `seconds`. A share `double_tap` of submissions is sent twice with the same idempotency key, as
    a double tap or a retry would. Without `floor`, the ledger is checked afterwards: every key
    answered with a redirect has exactly one entry, replays landed on the same entry, nothing else."""
    from django.conf import settings
    from django.urls import reverse

    from points.models import Entry

    crew = county.load
    url = reverse("bench_floor:insert") if floor else reverse("points:record")
    today = crew.village.today().isoformat()
    scorers = [crew.scorers[i % len(crew.scorers)] for i in range(concurrency)]
    csrf = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
    cookies = [
        f"{settings.SESSION_COOKIE_NAME}={_session_cookies(s)}; {settings.CSRF_COOKIE_NAME}={csrf}" for s in scorers
    ]
    lock = threading.Lock()
    latencies: list[float] = []
    errors: list[str] = []
    answered: dict[str, str] = {}  # idempotency key → Location of the first redirect
    failed_keys: set[str] = set()
    mismatches = [0]
    taps = [0]
    last_before = Entry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0  # the run's come after
    start = time.perf_counter()
    deadline = start + seconds

    def worker(number: int) -> None:
        rng = random.Random(number)
        connection = HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {
            "Cookie": cookies[number],
            "X-CSRFToken": csrf,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        while time.perf_counter() < deadline:
            resident = rng.choice(crew.residents)
            key = str(uuid.uuid4())
            if floor:
                body = urlencode({"village": resident.village_id, "resident": resident.pk, "item": crew.item.pk})
            else:
                body = urlencode(
                    {"resident": resident.pk, "item": crew.item.pk, "idempotency_key": key, "occurred_on": today}
                )
            sends = 2 if rng.random() < double_tap else 1
            for attempt in range(sends):
                begun = time.perf_counter()
                try:
                    connection.request("POST", url, body=body, headers=headers)
                    response = connection.getresponse()
                    response.read()
                    status, location = response.status, response.getheader("Location", "")
                    if response.getheader("Connection", "").lower() == "close":
                        connection.close()
                except OSError as error:
                    status, location = 0, repr(error)
                    connection.close()
                elapsed = time.perf_counter() - begun
                with lock:
                    latencies.append(elapsed)
                    if status != 302:
                        errors.append(f"{status} {location}"[:200])
                        failed_keys.add(key)
                    elif attempt == 0:
                        answered[key] = location
                    else:
                        taps[0] += 1
                        if answered.get(key) != location:
                            mismatches[0] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    result = LoadResult(
        target="bare INSERT view" if floor else "record an entry",
        seconds=elapsed,
        concurrency=concurrency,
        requests=len(latencies),
        errors=len(errors),
        throughput=len(latencies) / elapsed,
        median=statistics.median(latencies) if latencies else 0.0,
        p95=percentile(latencies, 95) if latencies else 0.0,
        double_taps=taps[0],
        error_samples=sorted(set(errors))[:5],
    )
    if not floor:
        written = Entry.objects.filter(pk__gt=last_before, recorded_by__in=set(scorers), note="")
        rows = list(written.values_list("idempotency_key", flat=True))
        in_db = {str(key) for key in rows}
        sent = set(answered) | failed_keys
        result.lost = len(set(answered) - in_db)
        result.duplicated = len(rows) - len(in_db) + len(in_db - sent)
        result.replay_mismatch = mismatches[0]
        result.written_on_error = len(failed_keys & in_db)
    return result


# --- Report ----------------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    def proc(path: str, key: str, default: str) -> str:
        lines = Path(path).read_text().splitlines()
        return next((line.split(":", 1)[1].strip() for line in lines if line.startswith(key)), default)

    model = proc("/proc/cpuinfo", "model name", platform.processor())
    memory = proc("/proc/meminfo", "MemTotal", "?")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
        else:
            cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "memory": memory,
        "load average": Path("/proc/loadavg").read_text().split()[:3],
        "python": platform.python_version(),
        "database": f"{connection.vendor} {version}",
    }


def ms(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:,.2f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def print_table(results: list[Measurement]) -> None:
    header = (
        f"{'measurement':56} {'median':>11} {'p95':>11} {'floor median':>13} {'ratio':>7} {'goal':>6} {'queries':>10}"
        f" {'cpu ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = f"{r.ratio:.2f}×" if r.ratio is not None else "—"
        goal = f"≤{r.goal:g}×" if r.goal else ""
        queries = f"{r.queries}/{r.queries_small}" if r.queries is not None else ""
        cpu_ratio = f"{r.cpu_ratio:.2f}×" if r.cpu_ratio is not None else ""
        print(
            f"{r.name:56} {ms(r.median):>11} {ms(r.p95):>11} {ms(r.floor_median):>13} {ratio:>7} {goal:>6}"
            f" {queries:>10} {cpu_ratio:>9}"
        )
        if r.floor_times:
            print(f"{'   floor: ' + r.floor_name:56} {'':>11} {ms(percentile(r.floor_times, 95)):>11}")
        if r.note:
            print(f"   {r.note}")
    print("queries: big case / tiny village (VT); equal numbers: the page's queries do not grow with the data.")
    print("cpu ratio: the same medians in CPU time of this process (on SQLite, the whole request; load-proof).")


def print_load(rounds: list[tuple[LoadResult, LoadResult]]) -> None:
    for r in (result for pair in rounds for result in pair):
        print(
            f"{r.target:18} {r.concurrency} concurrent, {r.seconds:.0f} s: {r.requests:,} requests, "
            f"{r.throughput:,.0f}/s, median {ms(r.median)}, p95 {ms(r.p95)}, errors {r.errors}"
        )
        if r.lost is not None:
            print(
                f"{'':18} ledger check: lost {r.lost}, duplicated {r.duplicated}, double taps {r.double_taps} "
                f"(landed elsewhere: {r.replay_mismatch}), written despite an error: {r.written_on_error}"
            )
        for sample in r.error_samples:
            print(f"{'':18} error: {sample}")


def pin_cores() -> dict | None:
    """The load generator on the first core, the server (gunicorn, and SQLite inside it) on the
    others (taskset), so the generator's own work does not count against the server. None with
    a single core. PostgreSQL's server processes are not pinned."""
    cores = sorted(os.sched_getaffinity(0))
    if len(cores) < 2 or not shutil.which("taskset"):
        return None
    return {
        "generator": {cores[0]},
        "server": set(cores[1:]),
        "all": set(cores),
        "text": f"taskset: generator on core {cores[0]}, gunicorn on {','.join(map(str, cores[1:]))}",
    }


def print_goals(results: list[Measurement], rounds: list[tuple[LoadResult, LoadResult]]) -> None:
    """Every goal of issue 18 with its ratio and whether it is met in this run."""
    print("goals (ratios measured in this run)")
    for r in results:
        if r.name.startswith("monthly snapshots"):
            print(f"  {'snapshot, 100,000 residents < 10 s':58} {snapshot_verdict(r)}")
        elif r.goal is not None and r.ratio is not None:
            verdict = "met" if r.ratio <= r.goal else "NOT met"
            cpu = f" (cpu {r.cpu_ratio:.2f}×)" if r.cpu_ratio is not None else ""
            print(f"  {r.name:58} {r.ratio:6.2f}× (≤ {r.goal:g}×) {verdict}{cpu}")
        if r.queries is not None and r.queries != r.queries_small:
            print(f"  {r.name:58} queries {r.queries} big / {r.queries_small} tiny: NOT flat")
    if rounds:
        clean = all(
            r.errors == 0 and r.lost == 0 and r.duplicated == 0 and r.replay_mismatch == 0 for r, _floor in rounds
        )
        p95s = [r.p95 / floor.p95 if floor.p95 else float("inf") for r, floor in rounds]
        throughputs = [r.throughput / floor.throughput if floor.throughput else 0.0 for r, floor in rounds]
        print(f"  {'load: 0 errors, 0 lost, 0 duplicated':58} {'met' if clean else 'NOT met'}")
        p95 = statistics.median(p95s)
        verdict = "met" if p95 <= LOAD_P95_GOAL else "NOT met"
        print(f"  {'load: p95 vs the bare insert':58} {p95:6.2f}× (≤ {LOAD_P95_GOAL:g}×) {verdict}{_rounds(p95s)}")
        throughput = statistics.median(throughputs)
        verdict = "met" if throughput >= LOAD_THROUGHPUT_GOAL else "NOT met"
        print(
            f"  {'load: throughput vs the bare insert':58} {throughput:6.2f}× (≥ {LOAD_THROUGHPUT_GOAL:g}×) {verdict}"
            f"{_rounds(throughputs)}"
        )


def _rounds(ratios: list[float]) -> str:
    """The rounds' own ratios, after the median, when there are several."""
    return f" (rounds: {', '.join(f'{ratio:.2f}×' for ratio in ratios)})" if len(ratios) > 1 else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=200, help="requests per fast measurement (default 200)")
    parser.add_argument("--slow-repeat", type=int, default=50, help="requests for the standing page and dashboard")
    parser.add_argument("--page-repeat", type=int, default=10, help="requests per page, big and tiny village")
    parser.add_argument("--snapshot-runs", type=int, default=3)
    parser.add_argument("--no-pin", action="store_true", help="do not give the load generator a core of its own")
    parser.add_argument("--certificates", type=int, default=50, help="certificates per timed round")
    parser.add_argument("--only", nargs="*", choices=list(MEASUREMENTS), help="run only these measurements")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--load-seconds", type=float, default=20, help="seconds of recording, over every round")
    parser.add_argument("--load-rounds", type=int, default=3, help="rounds of recording, then the floor")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)  # the code may have moved on since make_county
    county = find_county()
    about = machine()
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    repeats = {
        "record": args.repeat,
        "search": args.repeat,
        "standing": args.slow_repeat,
        "overview": args.slow_repeat,
        "statement": args.slow_repeat,
        "pages": args.page_repeat,
        "snapshots": args.snapshot_runs,
        "certificates": args.certificates,
        "batch": 3,
        **dict.fromkeys(scorer.MEASUREMENTS, args.slow_repeat),
        "redeem": args.repeat,
        "redis_down": 10,
    }
    print("… snapshots of the closed months (untimed, as the monthly job takes them)", file=sys.stderr, flush=True)
    prepare_snapshots(county)
    results = []
    for name, measure in MEASUREMENTS.items():
        if args.only and name not in args.only:
            continue
        print(f"… {name}", file=sys.stderr, flush=True)
        result = measure(county, repeats[name])
        results += result if isinstance(result, list) else [result]
    if results:
        print()
        print_table(results)

    rounds = []
    if not args.skip_load:
        print(f"\n… gunicorn ({args.workers} workers × {args.threads} threads) on loopback", file=sys.stderr)
        from django.conf import settings

        log = Path(settings.VAR_DIR) / "bench-gunicorn.log"
        pinned = pin_cores() if not args.no_pin else None
        print(f"load generator: {pinned['text'] if pinned else 'not pinned (shares every core with the server)'}")
        server_cores = pinned["server"] if pinned else None
        with Gunicorn(workers=args.workers, threads=args.threads, log=log, cores=server_cores) as server:
            if pinned:
                os.sched_setaffinity(0, pinned["generator"])
            try:
                seconds = args.load_seconds / args.load_rounds
                load = partial(run_load, county, port=server.port, seconds=seconds, concurrency=args.concurrency)
                # Warm: the workers connect and compile their statements.
                load(seconds=2)
                load(seconds=2, floor=True)
                rounds += [(load(), load(floor=True)) for _round in range(args.load_rounds)]
            finally:
                if pinned:
                    os.sched_setaffinity(0, pinned["all"])
        print()
        print_load(rounds)

    print()
    print_goals(results, rounds)

    print(f"\nload average after the run: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": about,
                    "measurements": [
                        {
                            **asdict(r),
                            "median": r.median,
                            "p95": r.p95,
                            "floor": r.floor_median,
                            "ratio": r.ratio,
                            "cpu_ratio": r.cpu_ratio,
                        }
                        for r in results
                    ],
                    "load": [[asdict(r) for r in pair] for pair in rounds],
                },
                indent=2,
                default=str,
            )
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
