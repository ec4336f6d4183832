"""Real servers on 127.0.0.1 for integration tests: redis-server and Celery workers.

The worker runs as a subprocess against the test database (committed data: use
`django_db(transaction=True)`), so what it does is what production does.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.conf import settings as django_settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition: Callable[[], object], *, timeout: float = 30, what: str = "condition") -> object:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


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
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(
            [
                binary,
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
        wait_for(self._answers, timeout=10, what="redis-server")

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


def database_url(*, as_owner: bool = False) -> str:
    """The test database as a DATABASE_URL, for subprocesses: on PostgreSQL as the app's restricted
    role (scripts/with-postgres makes one; villages.dbroles grants it its rights in the test database),
    as production runs, unless `as_owner`."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user = settings["USER"] if as_owner else (django_settings.DATABASE_APP_ROLE or settings["USER"])
    return f"postgres://{user}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def app_env(**extra: str) -> dict[str, str]:
    """The environment of a server process: production-like, on the test database as the app."""
    return {**os.environ, "DATABASE_URL": database_url(), "DATABASE_AS_OWNER": "0", "DB_CONN_MAX_AGE": "0", **extra}


def run_django(code: str, redis: RedisServer | None, *, timeout: float = 60) -> str:
    """Run Python `code` in a fresh Django process configured like production (Redis broker, the
    test database), as a web request or a beat tick would; return what it printed. Without
    `redis`, tasks run eagerly, as on the embedded default."""
    env = app_env(**({"REDIS_URL": redis.url} if redis is not None else {}))
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


class CeleryWorker:
    """`celery worker` as a subprocess on the given Redis and the test database."""

    def __init__(self, redis: RedisServer, log: Path, **env: str):
        self.redis = redis
        self.log = log
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = app_env(REDIS_URL=self.redis.url, **self.env)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool",
                    "prefork",
                    "--concurrency",
                    "1",
                    "--without-mingle",
                    "--without-gossip",
                    "--loglevel",
                    "INFO",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self) -> None:
        """SIGKILL the whole worker (parent and pool child), as a crash or an OOM kill would."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None
