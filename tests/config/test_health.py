"""/healthz answers 503 naming the dependency that is down, for the load balancer. Dependencies are
made unreachable for real (a closed port), not mocked."""

import socket

import pytest
from django.urls import reverse

from config.celery import app


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_it_answers_200_when_everything_is_up(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "eager"}


def test_it_answers_503_naming_the_cache_when_the_cache_is_down(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["cache"].startswith("error") and response.json()["database"] == "ok"


@pytest.fixture
def broker_down(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    previous = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{_closed_port()}/0"
    yield
    app.conf.broker_url = previous


def test_it_answers_503_naming_the_broker_when_the_broker_is_down(client, db, broker_down):
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"].startswith("error") and response.json()["database"] == "ok"


def test_it_answers_503_naming_the_database_when_it_cannot_be_reached(client):
    # No `db` fixture: pytest-django refuses every database query of this test, as a database
    # that is down would.
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"].startswith("error") and response.json()["cache"] == "ok"
