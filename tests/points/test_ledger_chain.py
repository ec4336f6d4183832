"""The tamper-evident ledger: every writer seals entries into their village's hash chain;
`verify_ledger` finds the first entry changed, deleted or inserted behind the application's back
(SQLite), and PostgreSQL refuses the change outright (a trigger on entries and audit events)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from points import chain
from points.models import Entry
from points.services import PaperEntry, record_paper_entries, reverse_entry, withdraw_entry
from tests.factories import EditionFactory, PageFactory, ResidentFactory, make_item, record
from villages.audit import record_audit
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
