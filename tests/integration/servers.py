"""Real servers on 127.0.0.1 for integration tests: redis-server, Celery workers, gunicorn and
reverse proxies in front of it.

The worker runs as a subprocess against the test database (committed data: use
`django_db(transaction=True)`), so what it does is what production does.
"""

import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.redis_down import RedisServer, database_url, free_port

ROOT = Path(__file__).resolve().parent.parent.parent


def wait_for(condition: Callable[[], object], *, timeout: float = 30, what: str = "condition") -> object:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def run_django(code: str, redis: RedisServer, *, timeout: float = 60, **extra: str) -> str:
    """Run Python `code` in a fresh Django process configured like production (Redis broker, the
    test database, `extra` environment), as a web request or a beat tick would; return what it printed."""
    env = {**os.environ, "REDIS_URL": redis.url, "DATABASE_URL": database_url(), "DB_CONN_MAX_AGE": "0", **extra}
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
        env = {
            **os.environ,
            "REDIS_URL": self.redis.url,
            "DATABASE_URL": database_url(),
            "DB_CONN_MAX_AGE": "0",
            **self.env,
        }
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def command(self) -> list[str]:
        return [
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
        ]

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


class CeleryBeat(CeleryWorker):
    """`celery beat` as a subprocess: the periodic jobs of settings.CELERY_BEAT_SCHEDULE, sent to
    the given Redis on production's schedule (every interval job runs at once on start, then on time)."""

    def command(self) -> list[str]:
        schedule = self.log.with_name(f"{self.log.stem}-schedule")
        return [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--schedule",
            str(schedule),
            "--loglevel",
            "INFO",
        ]


class Gunicorn:
    """The app under gunicorn (2 workers, 2 threads each) on a free loopback port, with `env` on
    top of the inherited environment; its log (errors and the access log) goes to `log`."""

    def __init__(self, env: dict[str, str], log: Path):
        self.port = free_port()
        self.env = env
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [
                    str(Path(sys.executable).with_name("gunicorn")),
                    "config.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--threads",
                    "2",
                    "--access-logfile",
                    "-",
                ],
                cwd=ROOT,  # reads gunicorn.conf.py, as `make run` and scripts/stack do
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._answers, timeout=60, what=f"gunicorn (see {self.log})")

    def stop(self) -> None:
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            self.process = None

    def _answers(self) -> bool:
        assert self.process.poll() is None, f"gunicorn exited: {self.log.read_text()}"
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                return True
        except OSError:
            return False


# Headers that describe one connection, not the request: a proxy never passes them on.
HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    )
)


class ReverseProxy:
    """A reverse proxy on a free loopback port in front of `upstream_port`, configured like nginx
    with `proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for`: it appends the address of
    the connection the request came in on (never anything the request says) to X-Forwarded-For.
    `https=True` also sets X-Forwarded-Proto as a proxy that ends TLS would."""

    def __init__(self, upstream_port: int, *, https: bool = False):
        self.upstream_port = upstream_port
        self.https = https
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"  # one request per connection: no keep-alive bookkeeping

            def do_GET(self) -> None:
                self._forward()

            do_POST = do_HEAD = do_GET

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
                # $proxy_add_x_forwarded_for: what came in (every such header, joined), then the peer.
                forwarded = [v for k, v in headers if k.lower() == "x-forwarded-for"] + [self.client_address[0]]
                headers = [(k, v) for k, v in headers if k.lower() not in ("x-forwarded-for", "x-forwarded-proto")]
                headers.append(("X-Forwarded-For", ", ".join(forwarded)))
                if proxy.https:
                    headers.append(("X-Forwarded-Proto", "https"))
                elif "X-Forwarded-Proto" in self.headers:
                    headers.append(("X-Forwarded-Proto", self.headers["X-Forwarded-Proto"]))
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                try:
                    upstream.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                    for key, value in headers:
                        upstream.putheader(key, value)
                    upstream.endheaders(body or None)
                    response = upstream.getresponse()
                    content = response.read()
                finally:
                    upstream.close()
                self.send_response_only(response.status, response.reason)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(content)

            def log_message(self, format: str, *args) -> None:
                pass  # gunicorn's access log is enough

        return Handler
