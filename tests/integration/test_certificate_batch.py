"""A real certificate batch through a real Celery worker and Redis on 127.0.0.1, with the worker
killed (SIGKILL) part-way: after a restart every resident has exactly one certificate.

Nothing here uses pytest-django's test database: the worker is another process, so both sides
use one file-backed SQLite database in a temporary VAR_DIR, set up with `manage.py migrate` and a
short `manage.py shell` script, and the test reads it with sqlite3.
"""

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parents[2]
REDIS = shutil.which("redis-server") or "/usr/bin/redis-server"
CELERY = str(Path(sys.executable).with_name("celery"))
RESIDENTS = 200

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(REDIS), reason="redis-server is installed by `make test`"),
]

SETUP = f"""
from datetime import date
from django.contrib.auth import get_user_model
from villages.models import Household, Membership, Resident
from villages.services import create_village, grant_role
village = create_village(name="东岛刘家村", code="DDLJ", seal_text="东岛刘家村村民委员会", bands_from=date(2018, 7, 1))
head = get_user_model().objects.create_user("head")
grant_role(user=head, village=village, role=Membership.Role.HEAD)
home = Household.objects.create(village=village, number="001")
for n in range({RESIDENTS}):
    Resident.objects.create(
        village=village, household=home, name=f"村民{{n:03d}}",
        consent_given_on=date(2018, 7, 1), consent_recorded_by=head,
    )
"""

START = """
from django.contrib.auth import get_user_model
from points.services import start_batch
from villages.models import Village
head = get_user_model().objects.get(username="head")
batch = start_batch(village=Village.objects.get(code="DDLJ"), requested_by=head)
# What beat's outbox sweep would do a minute later, should the publish after commit have failed
# (on a loaded machine the 2 s broker connect timeout can run out).
from datetime import timedelta
from points import outbox
outbox.sweep(older_than=timedelta())
print(batch.pk)
"""


def wait_for(condition, *, timeout: float, what: str, every: float = 0.02):
    """Like tests.integration.servers.wait_for, polling faster: the kill must land mid-batch."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture
def env(redis_server, tmp_path) -> dict[str, str]:
    """What the worker and manage.py share: Redis, and a SQLite file under a temporary VAR_DIR
    with the embedded default's settings (WAL, IMMEDIATE transactions)."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "REDIS_URL", "PYTEST", "DJANGO_SETTINGS", "VAR_DIR", "MEDIA_ROOT"))
    }
    return inherited | {
        "VAR_DIR": str(tmp_path / "var"),
        "MEDIA_ROOT": str(tmp_path / "var" / "media"),
        "REDIS_URL": redis_server.url,
        # Redeliver a task whose worker vanished after 3 s rather than an hour.
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "LOG_LEVEL": "WARNING",
    }


def manage(env, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def start_worker(env, log: Path) -> subprocess.Popen:
    """A worker in its own process group, so SIGKILL reaches its pool process too."""
    return subprocess.Popen(
        [
            CELERY,
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            "1",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def kill(worker: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)


def test_a_batch_survives_its_worker_being_killed(env, tmp_path):
    manage(env, "migrate", "--noinput")
    manage(env, "shell", "-c", SETUP)
    database = Path(env["VAR_DIR"]) / "db.sqlite3"

    def read(sql: str, *params):
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=20) as db:
            return db.execute(sql, params).fetchall()

    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        batch_id = int(manage(env, "shell", "-c", START).split()[-1])

        def issued() -> int:
            return read("SELECT COUNT(*) FROM points_certificate WHERE batch_id = ?", batch_id)[0][0]

        # Part-way: some certificates issued, not all, progress stored and below the total.
        wait_for(lambda: 0 < issued() < RESIDENTS, timeout=240, what="the batch to start", every=0.005)
        kill(worker)
        done, total, status = read("SELECT done, total, status FROM points_certificatebatch WHERE id = ?", batch_id)[0]
        at_kill = issued()
        assert 0 < at_kill < RESIDENTS and status == "running" and done < total == RESIDENTS, log.read_text()

        worker = start_worker(env, log)
        wait_for(
            lambda: read("SELECT status FROM points_certificatebatch WHERE id = ?", batch_id)[0][0] == "done",
            timeout=120,
            what="the restarted worker to finish the batch",
            every=0.2,
        )
    finally:
        kill(worker)

    rows = read("SELECT resident_id, serial, sequence FROM points_certificate WHERE batch_id = ?", batch_id)
    residents = [row[0] for row in rows]
    serials = [row[1] for row in rows]
    assert len(rows) == RESIDENTS
    assert len(set(residents)) == RESIDENTS == read("SELECT COUNT(*) FROM villages_resident")[0][0]
    assert len(set(serials)) == RESIDENTS
    assert sorted(row[2] for row in rows) == list(range(1, RESIDENTS + 1))  # contiguous, no gaps
    year = serials[0].split("-")[1]
    assert set(serials) == {f"DDLJ-{year}-{n:04d}" for n in range(1, RESIDENTS + 1)}

    done, total, pdf = read("SELECT done, total, pdf FROM points_certificatebatch WHERE id = ?", batch_id)[0]
    assert done == total == RESIDENTS
    pdf_path = Path(env["MEDIA_ROOT"]) / pdf
    assert len(PdfReader(pdf_path).pages) == RESIDENTS
    # At most the killed run's unfinished temporary file is left (removed once older than the task
    # time limit); the PDF itself was replaced whole.
    assert len([p for p in pdf_path.parent.iterdir() if p.name.startswith(".")]) <= 1
