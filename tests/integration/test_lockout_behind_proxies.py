"""Sign-in lock-out through two real reverse proxies in front of the real app under gunicorn.

Each proxy appends the address it got the connection from to X-Forwarded-For, as nginx's
`$proxy_add_x_forwarded_for` does, and the app trusts two of them (TRUSTED_PROXIES=2). The
attacker and the real user are different clients: their sockets are bound to 127.0.0.2 and
127.0.0.3 (Linux routes all of 127/8 to the loopback device), so the outer proxy sees two real,
different addresses. On PostgreSQL the app runs with PRODUCTION=1 (static files collected, a strong
key, HTTPS as the outer proxy reports it); on SQLite, which PRODUCTION refuses, with everything of it
that applies: DEBUG off, Redis as the cache every worker shares, gunicorn with two workers.
"""

import http.client
import os
import re
import secrets
import shutil
import subprocess
import sys
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import make_password
from django.db import connection

from tests.factories import PASSWORD
from tests.integration.servers import ROOT, Gunicorn, ReverseProxy, database_url
from villages.models import AuditEvent
from villages.security import LOCKED_OUT, SIGN_IN, SIGN_IN_FAILED

pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not (shutil.which("redis-server") or os.path.exists("/usr/bin/redis-server")),
        reason="redis-server is installed by `make test`",
    ),
]

ATTACKER, USER = "127.0.0.2", "127.0.0.3"
HOST = "127.0.0.1"


@pytest.fixture
def app_behind_two_proxies(redis_server, tmp_path):
    """gunicorn ← inner proxy ← outer proxy; yields the outer proxy's port and the URL scheme the
    app believes it is served on."""
    production = connection.vendor == "postgresql"
    env = {
        "DATABASE_URL": database_url(),
        "DB_CONN_MAX_AGE": "0",
        "REDIS_URL": redis_server.url,
        "VAR_DIR": str(tmp_path / "var"),
        "TRUSTED_PROXIES": "2",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    if production:
        env |= {
            "PRODUCTION": "1",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": HOST,
            "SITE_URL": f"https://{HOST}",
        }
        collected = subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert collected.returncode == 0, collected.stderr
    app = Gunicorn(env, tmp_path / "gunicorn.log")
    app.start()
    inner = ReverseProxy(app.port)
    outer = ReverseProxy(inner.port, https=production)  # the outer one ends TLS in production
    inner.start()
    outer.start()
    try:
        yield outer.port, "https" if production else "http"
    finally:
        outer.stop()
        inner.stop()
        app.stop()


class Browser:
    """A client on its own loopback address, with cookies, talking to the outer proxy."""

    def __init__(self, address: str, port: int, scheme: str):
        self.address, self.port, self.scheme = address, port, scheme
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, *, form: dict | None = None, forged: str = ""):
        headers = {"Host": f"{HOST}:{self.port}", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if forged:  # what an attacker writes into the header itself
            headers["X-Forwarded-For"] = forged
        body = None
        if form is not None:
            body = urlencode(form)
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"{self.scheme}://{HOST}:{self.port}",
            }
        connection_ = http.client.HTTPConnection(HOST, self.port, source_address=(self.address, 0), timeout=120)
        try:
            connection_.request(method, path, body=body, headers=headers)
            response = connection_.getresponse()
            content = response.read().decode()
        finally:
            connection_.close()
        for key, value in response.getheaders():
            if key.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, content

    def sign_in(self, username: str, password: str, *, forged: str = "") -> int:
        status, page = self.request("GET", "/accounts/login/", forged=forged)
        assert status == 200, page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        return self.request("POST", "/accounts/login/", form=form, forged=forged)[0]


def test_an_attacker_behind_two_proxies_locks_out_only_himself_and_the_audit_trail_names_each_client(
    app_behind_two_proxies, resident
):
    port, scheme = app_behind_two_proxies
    # The app's own hasher: gunicorn does not know the tests' fast one.
    resident.user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    resident.user.save(update_fields=["password"])

    attacker = Browser(ATTACKER, port, scheme)
    answers = [attacker.sign_in("resident", "wrong-password", forged=f"10.9.9.{n}, {USER}") for n in range(8)]
    assert answers[:5] == [200] * 5 and answers[-1] == 429, answers
    # Locked, whatever the attacker forges, even with the right password.
    assert attacker.sign_in("resident", PASSWORD, forged=USER) == 429

    user = Browser(USER, port, scheme)
    assert user.sign_in("resident", PASSWORD) == 302
    assert user.request("GET", "/me/")[0] == 200  # signed in

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {ATTACKER}
    addresses = lambda action: set(AuditEvent.objects.filter(action=action).values_list("address", flat=True))  # noqa: E731
    assert addresses(SIGN_IN_FAILED) == {ATTACKER}
    assert addresses(LOCKED_OUT) == {ATTACKER}
    assert addresses(SIGN_IN) == {USER}
