"""The tamper-evident ledger: every writer seals entries into their village's keyed hash chain;
`verify_ledger` finds the first entry changed, deleted or inserted behind the application's back
(SQLite), and the ledger no longer reaching a published head; PostgreSQL refuses the change
outright (triggers on every append-only table). Tampering by someone who rewrites the whole chain:
tests/integration/test_ledger_tamper.py; the app's restricted database role: test_database_roles.py."""

import csv
import hashlib
import importlib
from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from points import chain
from points.models import Entry, PublishedHead
from points.services import PaperEntry, publish_head, record_paper_entries, reverse_entry, withdraw_entry
from tests.factories import EditionFactory, PageFactory, ResidentFactory, make_item, record
from villages.audit import record_audit
from villages.dbroles import append_only_tables
from villages.models import AuditEvent

POSTGRES = connection.vendor == "postgresql"
only_sqlite = pytest.mark.skipif(POSTGRES, reason="PostgreSQL refuses the change instead (see the trigger tests)")
only_postgres = pytest.mark.skipif(not POSTGRES, reason="the append-only trigger is installed on PostgreSQL only")


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def ledger(clock, scorer, head, resident, other_resident, deed, infraction):
    """Entries written by every path: live records, a withdrawal, a head's reversal."""
    first = record(scorer=scorer, resident=resident, item=deed, note="帮邻居修剪树木")
    second = record(scorer=scorer, resident=other_resident, item=infraction, witness="王芳")
    withdraw_entry(entry=first, scorer=scorer, reason="wrong resident")
    reverse_entry(entry=second, author=head, reason="appeal upheld")
    third = record(scorer=scorer, resident=resident, item=deed)
    return [first, second, third]


def test_every_writer_seals_its_entries_into_one_chain(ledger, village):
    entries = list(Entry.objects.filter(village=village).order_by("pk"))
    assert len(entries) == 5
    previous = chain.GENESIS
    for entry in entries:
        assert entry.chain_hash == chain.link(previous, chain.entry_values(entry))
        previous = entry.chain_hash
    assert chain.verify() == (5, None)
    assert "Ledger intact: 5 entries checked" in _verify()


def test_a_paper_ledger_is_sealed_in_the_order_it_is_written(clock, village, admin, scorer, resident, deed):
    record(scorer=scorer, resident=resident, item=deed)
    lines = [
        PaperEntry(resident, deed, village.today() - timedelta(days=d), scorer, timezone.now() - timedelta(days=d))
        for d in (40, 30, 20)
    ]
    assert record_paper_entries(village=village, transcribed_by=admin, entries=lines) == 3
    record(scorer=scorer, resident=resident, item=deed)
    assert chain.verify(village=village) == (5, None)


def test_villages_keep_separate_chains(ledger, village, other_village, outsider_scorer):
    edition = EditionFactory(village=other_village)
    item = make_item(PageFactory(edition=edition, number=1))
    theirs = ResidentFactory(village=other_village)
    record(scorer=outsider_scorer, resident=theirs, item=item)
    entry = Entry.objects.get(village=other_village)
    assert entry.chain_hash == chain.link(chain.GENESIS, chain.entry_values(entry))
    assert chain.verify() == (6, None)
    assert "1 entries checked (village TJ)" in _verify("--village", "tj")


@only_sqlite
def test_a_raw_sql_update_of_an_entry_is_reported_as_the_first_broken_link(ledger, village):
    target = ledger[1]
    _raw("UPDATE points_entry SET points_halves = %s WHERE id = %s", [-2, target.pk])
    with pytest.raises(CommandError) as error:
        _verify()
    assert f"Broken link at entry {target.pk} (village DDLJ)" in str(error.value)
    assert "1 entries before it are intact" in str(error.value)
    checked, broken = chain.verify(village=village)
    assert (checked, broken.entry_id) == (1, target.pk)


@only_sqlite
def test_rewriting_a_hash_to_match_breaks_the_next_link(ledger):
    target = ledger[0]
    _raw("UPDATE points_entry SET note = %s WHERE id = %s", ["(nothing happened)", target.pk])
    forged = Entry.objects.get(pk=target.pk)
    _raw(
        "UPDATE points_entry SET chain_hash = %s WHERE id = %s",
        [chain.link(chain.GENESIS, chain.entry_values(forged)), target.pk],
    )
    _checked, broken = chain.verify()
    assert broken.entry_id == Entry.objects.filter(pk__gt=target.pk).order_by("pk").first().pk


@only_sqlite
def test_a_deleted_entry_breaks_the_link_after_it(ledger):
    withdrawal = Entry.objects.get(reverses=ledger[0])
    after = Entry.objects.filter(pk__gt=withdrawal.pk).order_by("pk").first()
    _raw("DELETE FROM points_entry WHERE id = %s", [withdrawal.pk])
    with pytest.raises(CommandError, match=f"Broken link at entry {after.pk} "):
        _verify()


@only_sqlite
def test_the_exit_status_is_not_zero_on_a_broken_chain(ledger):
    _raw("UPDATE points_entry SET witness = %s WHERE id = %s", ["someone else", ledger[1].pk])
    with pytest.raises(SystemExit) as exit_:
        _run_from_argv()
    assert exit_.value.code == 1


def _run_from_argv() -> None:
    from points.management.commands.verify_ledger import Command

    Command().run_from_argv(["manage.py", "verify_ledger"])


@only_postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE points_entry SET points_halves = 20 WHERE id = %s",
        "DELETE FROM points_entry WHERE id = %s",
    ],
)
def test_postgresql_refuses_to_update_or_delete_an_entry(ledger, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(sql, [ledger[1].pk])
    assert Entry.objects.get(pk=ledger[1].pk).points_halves == ledger[1].points_halves
    assert chain.verify() == (5, None)


@only_postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE villages_auditevent SET action = 'nothing' WHERE id = %s",
        "DELETE FROM villages_auditevent WHERE id = %s",
    ],
)
def test_postgresql_refuses_to_update_or_delete_an_audit_event(village, admin, sql):
    event = record_audit(action="role.grant", actor=admin, village=village, target="scorer")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _raw(sql, [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "role.grant"


def test_an_unknown_village_code_is_an_error(db):
    with pytest.raises(CommandError, match="No village has the code"):
        _verify("--village", "NOPE")


def test_verifying_is_one_streamed_query_whatever_the_size(clock, scorer, resident, deed, django_assert_num_queries):
    record(scorer=scorer, resident=resident, item=deed)
    with django_assert_num_queries(1):
        assert chain.verify(chunk_size=2) == (1, None)
    for _ in range(6):
        record(scorer=scorer, resident=resident, item=deed)
    with django_assert_num_queries(1):
        assert chain.verify(chunk_size=2) == (7, None)


def test_the_demo_ledger_is_a_valid_chain(db):
    call_command("loaddemo")
    checked, broken = chain.verify()
    assert broken is None
    assert checked > 100


# --- The key ------------------------------------------------------------------------------------


def test_each_link_is_an_hmac_under_the_newest_key_which_the_entry_names(ledger):
    entry = Entry.objects.order_by("pk").first()
    key_id, key = settings.LEDGER_CHAIN_KEYS[0]
    assert entry.chain_key == key_id
    assert entry.chain_hash == chain.link(chain.GENESIS, chain.entry_values(entry), key=key)
    # Without the key nobody computes the link: a plain SHA-256, or another key, gives another hash.
    unkeyed = hashlib.sha256(chain.GENESIS.encode() + b"\n" + chain.canonical(chain.entry_values(entry))).hexdigest()
    assert entry.chain_hash not in (unkeyed, chain.link(chain.GENESIS, chain.entry_values(entry), key=b"guess"))


def test_after_a_rotation_old_entries_verify_under_their_key_and_new_ones_use_the_new_key(
    settings, clock, scorer, resident, deed
):
    settings.LEDGER_CHAIN_KEYS = [("2025a", b"the first key, long and random enough")]
    before = [record(scorer=scorer, resident=resident, item=deed) for _ in range(2)]
    settings.LEDGER_CHAIN_KEYS = [("2025b", b"the second key, which replaced it"), *settings.LEDGER_CHAIN_KEYS]
    after = [record(scorer=scorer, resident=resident, item=deed) for _ in range(2)]

    assert [e.chain_key for e in before + after] == ["2025a", "2025a", "2025b", "2025b"]
    assert chain.verify() == (4, None)
    assert "Ledger intact: 4 entries checked" in _verify()


def test_an_entry_sealed_with_a_key_no_longer_configured_is_reported(settings, clock, scorer, resident, deed):
    settings.LEDGER_CHAIN_KEYS = [("2025a", b"the first key, long and random enough")]
    first = record(scorer=scorer, resident=resident, item=deed)
    settings.LEDGER_CHAIN_KEYS = [("2025b", b"the second key, which replaced it")]  # the old one dropped
    with pytest.raises(CommandError, match=f"Entry {first.pk} .* names the chain key '2025a', which LEDGER_CHAIN_KEYS"):
        _verify()


def test_the_migration_seals_existing_entries_again_under_the_newest_key(settings, ledger):
    migration = importlib.import_module("points.migrations.0015_entry_chain_key_and_published_heads")
    settings.LEDGER_CHAIN_KEYS = [("2026z", b"a key configured before migrating")]
    state = MigrationLoader(connection).project_state(("points", "0015_entry_chain_key_and_published_heads"))
    migration.reseal_under_the_key(state.apps, _Statements())
    assert set(Entry.objects.values_list("chain_key", flat=True)) == {"2026z"}
    assert chain.verify() == (5, None)
    if POSTGRES:  # the append-only trigger is enabled again
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _raw("UPDATE points_entry SET note = 'x' WHERE id = %s", [ledger[0].pk])


class _Statements:
    """What a RunPython function uses of its schema editor, on the test's own connection and transaction
    (SQLite opens no schema editor inside a transaction)."""

    connection = connection

    def execute(self, sql: str, params=None) -> None:
        _raw(sql, params)


# --- TRUNCATE and the triggers on every append-only table ---------------------------------------


@only_postgres
@pytest.mark.parametrize("table", ["points_entry", "villages_auditevent", "store_receipt", "points_publishedhead"])
def test_postgresql_refuses_to_truncate_an_append_only_table_even_for_its_owner(ledger, table):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        # The test runner's role may empty its test database between tests; here it asks not to.
        _raw("SET LOCAL village_points.allow_truncate = off", [])
        _raw("SET CONSTRAINTS ALL IMMEDIATE", [])  # else TRUNCATE refuses for the test's pending FK checks
        _raw(f"TRUNCATE {table} CASCADE", [])
    assert chain.verify() == (5, None)


@only_postgres
def test_every_append_only_table_has_the_row_and_truncate_triggers(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgenabled = 'O'"
        )
        triggers = set(cursor.fetchall())
    for table in append_only_tables():
        assert {(table, f"{table}_append_only"), (table, f"{table}_no_truncate")} <= triggers


# --- Published heads ----------------------------------------------------------------------------


@pytest.fixture
def may(clock, scorer, resident, deed):
    """Three entries recorded in May 2025; the clock back in June, when May's head is published."""
    clock.move_to(datetime(2025, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    entries = [record(scorer=scorer, resident=resident, item=deed) for _ in range(3)]
    clock.move_to(datetime(2025, 6, 16, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    return entries


def test_a_month_s_head_is_its_last_entry_with_the_chain_s_length(may, village, scorer, resident, deed):
    record(scorer=scorer, resident=resident, item=deed)  # June: after May's head
    head = publish_head(village=village, month=date(2025, 5, 1))
    assert (head.entry_id, head.chain_hash, head.entries) == (may[-1].pk, may[-1].chain_hash, 3)
    # Published once: asking again returns what was printed.
    assert publish_head(village=village, month=date(2025, 5, 9)).pk == head.pk
    with pytest.raises(ValueError, match="has not ended"):
        publish_head(village=village, month=date(2025, 6, 1))


def test_chain_heads_exports_every_ended_month_as_csv(may, village, tmp_path):
    out = tmp_path / "heads.csv"
    call_command("chain_heads", "--output", str(out))
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows == [
        ["village", "month", "entry", "chain_hash", "entries"],
        ["DDLJ", "2025-05", str(may[-1].pk), may[-1].chain_hash, "3"],
    ]
    assert PublishedHead.objects.get().month == date(2025, 5, 1)


def test_the_beat_job_publishes_last_month_s_heads_once(may, village):
    from points.tasks import publish_chain_heads

    assert publish_chain_heads() == 1
    assert publish_chain_heads() == 1
    assert PublishedHead.objects.count() == 1


def test_verify_ledger_reaches_the_published_heads(may, tmp_path):
    call_command("chain_heads", "--output", str(tmp_path / "heads.csv"))
    assert "3 entries checked (every village); 2 published heads reached" in _verify(
        "--published", str(tmp_path / "heads.csv")
    )


def test_an_unreadable_heads_file_is_an_error(db, tmp_path):
    (tmp_path / "heads.csv").write_text("village,month\nDDLJ,May\n")
    with pytest.raises(CommandError, match="line 2 is not a published head"):
        _verify("--published", str(tmp_path / "heads.csv"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_", range(3))
def test_writers_at_the_same_instant_never_link_to_the_same_head(round_, village, scorer, other_scorer, deed):
    """Each recording takes the village's lock only around reading the head, sealing and the INSERT;
    eight of them at once still make one unbroken chain."""
    from tests.points.test_concurrency import at_the_same_instant

    residents = [ResidentFactory(village=village) for _ in range(8)]
    calls = [
        (lambda r=r, by=by: record(scorer=by, resident=r, item=deed))
        for r, by in zip(residents, [scorer, other_scorer] * 4, strict=True)
    ]
    outcomes = at_the_same_instant(*calls)
    assert all(isinstance(outcome, Entry) for outcome in outcomes), outcomes
    assert chain.verify(village=village) == (8, None)
    assert len(set(Entry.objects.values_list("chain_hash", flat=True))) == 8
