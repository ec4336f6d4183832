"""Personas: village X with its administrator, head, scorer and two residents; village Y with
its own scorer and head. Each resident has a login and a consent record."""

import os
import zoneinfo
from datetime import datetime

import pytest
import time_machine
from django.core.cache import cache
from hypothesis import settings as hypothesis_settings

from handbook.contents import forget_contents
from handbook.models import Item
from tests.factories import (
    EditionFactory,
    PageFactory,
    ResidentFactory,
    VillageFactory,
    make_item,
    member,
)
from villages.models import Membership

Role = Membership.Role

# The points store's fixtures (store, keeper, goods, earn), for tests/store and the browser tests.
pytest_plugins = ["tests.store.fixtures"]


@pytest.fixture(autouse=True)
def english_by_default(settings):
    """The site defaults to Chinese; tests read English unless they ask for zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def village(db):
    return VillageFactory(name="东岛刘家村", code="DDLJ")


@pytest.fixture
def other_village(db):
    return VillageFactory(name="滕家村", code="TJ")


@pytest.fixture
def edition(village):
    return EditionFactory(village=village)


@pytest.fixture
def page(edition):
    return PageFactory(edition=edition, number=1, title="邻里互助")


@pytest.fixture
def deed(page) -> Item:
    """+1, no cap."""
    return make_item(page, code="1.1", title="为邻居修剪树木")


@pytest.fixture
def capped_deed(page) -> Item:
    """+1, at most twice a calendar month per resident."""
    return make_item(page, code="1.2", title="送老人去医院或集市", cap_count=2, cap_period=Item.Period.MONTH)


@pytest.fixture
def infraction(page) -> Item:
    """−10 and a 200 yuan fine; stops counting after 12 months."""
    return make_item(
        page, code="1.3", title="鸡跑出鸡舍", kind=Item.Kind.INFRACTION, points=10, fine_yuan=200, validity_months=12
    )


@pytest.fixture
def admin(village):
    return member(village, Role.ADMIN, "admin")


@pytest.fixture
def head(village):
    return member(village, Role.HEAD, "head")


@pytest.fixture
def scorer(village):
    return member(village, Role.SCORER, "scorer")


@pytest.fixture
def resident(village):
    user = member(village, Role.RESIDENT, "resident")
    return ResidentFactory(village=village, name="李伟", user=user)


@pytest.fixture
def other_resident(village):
    user = member(village, Role.RESIDENT, "resident_b")
    return ResidentFactory(village=village, name="王芳", user=user)


@pytest.fixture
def outsider_scorer(other_village):
    return member(other_village, Role.SCORER, "outsider_scorer")


@pytest.fixture
def outsider_head(other_village):
    return member(other_village, Role.HEAD, "outsider_head")


# --- Test database, clock and Hypothesis profiles ------------------------------------------


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """Put the SQLite test database in a file, for the whole suite.

    pytest-django's default for SQLite is a shared-cache *in-memory* database. Threads sharing it
    take table locks that fail at once ("database table is locked") instead of waiting on the busy
    timeout, so tests/points/test_concurrency.py could not exercise what production runs: a file
    in WAL mode with BEGIN IMMEDIATE and a 20 s busy timeout. The test database is created once per
    session, so this cannot be scoped to one module; a file in pytest's temporary directory (one
    per xdist worker) costs little. PostgreSQL runs (DATABASE_URL set) are left alone.
    """
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Noon in the villages' time zone, far from any day boundary, so `village.today()` cannot change
# between a test's set-up and its assertions.
NOON = datetime(2025, 6, 16, 12, 0, tzinfo=SHANGHAI)


@pytest.fixture
def clock():
    """The clock stopped at NOON (a Monday in June 2025, Shanghai). Move it with `clock.shift(...)`
    or `clock.move_to(...)`."""
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


@pytest.fixture
def other_scorer(village):
    """A second volunteer scorer in village X."""
    return member(village, Role.SCORER, "scorer_b")


@pytest.fixture
def outsider_admin(other_village):
    return member(other_village, Role.ADMIN, "outsider_admin")


# CI=true: derandomized, so a red build is reproducible and never flaky; locally examples vary.
# HYPOTHESIS_PROFILE picks a longer run: `thorough` (make test, fresh examples each run) or
# `nightly` (thousands of sequences; an hour or more): HYPOTHESIS_PROFILE=nightly pytest -k properties
hypothesis_settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True, max_examples=30)
hypothesis_settings.register_profile("dev", deadline=None, print_blob=True, max_examples=30)
hypothesis_settings.register_profile("thorough", deadline=None, print_blob=True, max_examples=150)
hypothesis_settings.register_profile("nightly", deadline=None, print_blob=True, max_examples=5000)
hypothesis_settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() == "true" else "dev")
)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (counters such as refused requests per minute) and
    no handbook contents kept from another test (handbook.contents: rolled-back ids come again)."""
    cache.clear()
    forget_contents()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Every persona has a password; the production hasher would spend most of the suite's time on it.
    PBKDF2 stays second, so hashes made outside a test (demo data) still verify."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
