"""Recording an entry with Redis stopped against recording with Redis up (issue 21: at most 2×).

A recorder process configured like production (Redis as broker and cache, the bench's database)
records entries for a resident with a login (each entry puts a notice in the outbox, published
after commit) in rounds, when told. Between rounds redis-server on a free loopback port is
stopped and started, alternately, so a noisy machine slows both kinds of round alike; the figure
is the ratio of the medians. Each round starts with the outbox's circuit breaker closed, so a
round with Redis down pays one failed publish, as the first recording after an outage does.

Used by bench/run.py (`redis_down`) and by the integration test
tests/integration/test_outbox_and_jobs.py, which also checks that every entry recorded with
Redis down waited in the outbox and every one recorded with it up was sent.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"

RECORDER = """
import sys, time, uuid
import django
django.setup()
from django.contrib.auth import get_user_model
from handbook.models import Item
from points import outbox
from points.models import OutboxMessage
from points.services import record_entry
from villages.models import Resident

scorer = get_user_model().objects.get(pk=int(sys.argv[1]))
resident = Resident.objects.select_related("village").get(pk=int(sys.argv[2]))
item = Item.objects.get(pk=int(sys.argv[3]))

def once():
    return record_entry(scorer=scorer, resident=resident, item=item, occurred_on=resident.village.today(),
                        idempotency_key=uuid.uuid4())

for line in sys.stdin:
    count = int(line)
    once()  # untimed: connections settle after Redis stopped or started
    outbox._broker_down_until = 0.0  # the round meets the broker's state afresh
    before = OutboxMessage.objects.order_by("-pk").values_list("pk", flat=True).first()
    start = time.perf_counter()
    for _ in range(count):
        once()
    seconds = (time.perf_counter() - start) / count
    unsent = OutboxMessage.objects.filter(pk__gt=before, sent_at__isnull=True).count()
    print(seconds, unsent, flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server on a free loopback port, which can be stopped and started again on that port."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self._answers():
            if time.monotonic() > deadline:
                raise RuntimeError("redis-server did not answer within 10 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def database_url() -> str:
    """This process's database as a DATABASE_URL, for the recorder process."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    return f"postgres://{settings['USER']}{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


@dataclass
class Rounds:
    down: list[float]  # seconds per recording, one figure per round
    up: list[float]
    unsent_down: list[int]  # entries of the round whose notice still waits in the outbox
    unsent_up: list[int]


def measure(*, redis: RedisServer, scorer, resident, item, rounds: int, per_round: int) -> Rounds:
    """Alternate rounds of `per_round` recordings with Redis stopped and started, `rounds` of
    each, after one untimed round. Leaves Redis running. Committed data only: the recorder is
    another process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis.url,
        "LOG_LEVEL": "ERROR",  # a warning per unsent message otherwise
    }
    recorder = subprocess.Popen(
        [sys.executable, "-c", RECORDER, str(scorer.pk), str(resident.pk), str(item.pk)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )

    def round_() -> tuple[float, int]:
        recorder.stdin.write(f"{per_round}\n")
        recorder.stdin.flush()
        answer = recorder.stdout.readline()
        if not answer:
            raise RuntimeError(f"the recorder stopped (exit status {recorder.wait()})")
        seconds, unsent = answer.split()
        return float(seconds), int(unsent)

    result = Rounds([], [], [], [])
    try:
        round_()  # warm up: imports, connections, templates
        for _ in range(rounds):
            redis.stop()
            seconds, unsent = round_()
            result.down.append(seconds)
            result.unsent_down.append(unsent)
            redis.start()
            seconds, unsent = round_()
            result.up.append(seconds)
            result.unsent_up.append(unsent)
    finally:
        if redis.process is None:
            redis.start()
        recorder.stdin.close()
        recorder.wait(timeout=60)
    return result
