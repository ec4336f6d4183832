"""Least privilege on PostgreSQL: the app's own login (scripts/with-postgres makes `village_app`,
every migrate grants it its rights, villages.dbroles) reads and adds to the ledger and the audit
trail but cannot change, delete or empty them, cannot alter a table or switch off a trigger, and
cannot tell PostgreSQL to skip triggers. The app itself runs fine as that login."""

from io import StringIO

import psycopg
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from points import chain
from points.models import Entry
from tests.factories import record
from tests.integration.servers import app_database_url, run_django
from villages.audit import record_audit
from villages.dbroles import append_only_tables
from villages.models import AuditEvent

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.DATABASE_APP_ROLE,
        reason="database roles are PostgreSQL's; scripts/with-postgres names the app's (DATABASE_APP_ROLE)",
    ),
    pytest.mark.django_db(transaction=True),
]

REFUSED = [
    "UPDATE points_entry SET points_halves = 200",
    "DELETE FROM points_entry",
    "TRUNCATE points_entry",
    "TRUNCATE points_entry CASCADE",
    "UPDATE villages_auditevent SET action = 'nothing'",
    "DELETE FROM villages_auditevent",
    "TRUNCATE villages_auditevent",
    "DELETE FROM points_publishedhead",
    "DELETE FROM store_receipt",
    "TRUNCATE store_stockmovement",
    "ALTER TABLE points_entry DISABLE TRIGGER USER",
    "ALTER TABLE points_entry DISABLE TRIGGER points_entry_append_only",
    "ALTER TABLE points_entry OWNER TO CURRENT_USER",
    "DROP TRIGGER points_entry_append_only ON points_entry",
    "SET session_replication_role = replica",
    "SET LOCAL session_replication_role = replica",
    "CREATE TRIGGER x BEFORE INSERT ON points_entry FOR EACH ROW EXECUTE FUNCTION village_points_append_only()",
]


def as_app() -> psycopg.Connection:
    """A connection to the test database as the app's login, as gunicorn and Celery make it."""
    return psycopg.connect(app_database_url(), autocommit=True)


@pytest.fixture
def ledger(scorer, head, admin, resident, deed, village):
    entries = [record(scorer=scorer, resident=resident, item=deed) for _ in range(3)]
    record_audit(action="role.grant", actor=admin, village=village, target="scorer")
    return entries


def test_the_app_runs_as_its_own_login_which_is_no_superuser_and_owns_no_table(ledger):
    with as_app() as db:
        user, superuser = db.execute(
            "SELECT current_user, usesuper FROM pg_user WHERE usename = current_user"
        ).fetchone()
        owned = db.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user").fetchone()[0]
    assert (user, superuser, owned) == (settings.DATABASE_APP_ROLE, False, 0)


@pytest.mark.parametrize("statement", REFUSED)
def test_the_app_s_login_cannot_change_delete_or_empty_the_ledger_nor_switch_its_triggers_off(ledger, statement):
    with as_app() as db, pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute(statement)
    assert Entry.objects.count() == 3
    assert AuditEvent.objects.filter(action="role.grant").count() == 1
    assert chain.verify() == (3, None)


def test_the_app_s_login_reads_and_adds_to_the_ledger(ledger, resident, scorer, deed):
    with as_app() as db:
        assert db.execute("SELECT count(*) FROM points_entry").fetchone()[0] == 3
        db.execute("UPDATE villages_resident SET name = name WHERE id = %s", [resident.pk])  # ordinary tables: as usual
    # The app itself, in a process of its own (DATABASE_URL is the app's login), records an entry.
    out = run_django(
        "import uuid\n"
        "from django.db import connection\n"
        "from django.contrib.auth import get_user_model\n"
        "from handbook.models import Item\n"
        "from points.services import record_entry\n"
        "from villages.models import Resident\n"
        f"resident = Resident.objects.get(pk={resident.pk})\n"
        "entry = record_entry(scorer=get_user_model().objects.get(username='scorer'), resident=resident,\n"
        f"    item=Item.objects.get(pk={deed.pk}), occurred_on=resident.village.today(),\n"
        "    idempotency_key=uuid.uuid4())\n"
        "with connection.cursor() as cursor:\n"
        "    cursor.execute('SELECT current_user')\n"
        "    print(cursor.fetchone()[0], entry.pk)\n",
        redis=None,
    )
    user, pk = out.split()
    assert user == settings.DATABASE_APP_ROLE
    assert Entry.objects.filter(pk=int(pk)).exists()
    assert chain.verify() == (4, None)


def test_every_append_only_table_is_closed_to_the_app_s_login(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants WHERE grantee = %s",
            [settings.DATABASE_APP_ROLE],
        )
        granted = set(cursor.fetchall())
    for table in append_only_tables():
        assert {(table, "SELECT"), (table, "INSERT")} <= granted
        assert not {(table, p) for p in ("UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")} & granted
    assert {("villages_resident", "UPDATE"), ("points_claim", "DELETE")} <= granted


def test_granting_again_is_harmless_and_a_superuser_is_refused_as_the_app_s_login(db, settings):
    call_command("grant_app_role")
    call_command("grant_app_role")
    settings.DATABASE_APP_ROLE = connection.settings_dict["USER"]  # the owner, a superuser here
    with pytest.raises(CommandError, match="is a superuser"):
        call_command("grant_app_role")


def test_grant_app_role_creates_a_missing_login_with_the_app_s_rights_only(db, settings):
    settings.DATABASE_APP_ROLE = "village_app_new"
    try:
        call_command("grant_app_role", "--create", stdout=StringIO())
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s",
                ["village_app_new"],
            )
            assert cursor.fetchone() == (True, False, False, False)
            cursor.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = 'village_app_new' AND table_name = 'points_entry'"
            )
            assert sorted(row[0] for row in cursor.fetchall()) == ["INSERT", "SELECT"]
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP OWNED BY village_app_new")
            cursor.execute("DROP ROLE IF EXISTS village_app_new")
