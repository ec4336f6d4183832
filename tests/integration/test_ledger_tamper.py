"""Someone who controls the database but not the chain's key (LEDGER_CHAIN_KEYS lives in the app's
environment, never in the database) changes an entry and seals every later link again, or deletes
the newest entries: `verify_ledger` finds both, on SQLite and on PostgreSQL. (On PostgreSQL the
app's own login could not even try: test_database_roles.py; here the tables' owner does, telling
the server to skip triggers for its transaction.)"""

import hashlib
from contextlib import contextmanager
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from points import chain
from points.models import Entry, PublishedHead
from tests.factories import record

pytestmark = [pytest.mark.integration]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_ledger", *args, stdout=out)
    return out.getvalue()


@contextmanager
def behind_the_app():
    """A cursor for raw SQL as the database's owner: on PostgreSQL with triggers skipped for the
    transaction (session_replication_role, which only a superuser may set); SQLite has none."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL session_replication_role = replica")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


def unkeyed(previous: str, values: dict) -> str:
    """The chain as it was before it had a key: what anyone can compute."""
    return hashlib.sha256(previous.encode() + b"\n" + chain.canonical(values)).hexdigest()


def with_own_key(previous: str, values: dict) -> str:
    return chain.link(previous, values, key=b"a key the forger made up, long enough")


def change_and_reseal(cursor, target: Entry, forge, *, key_id: str | None = None) -> None:
    """Change `target`'s points, then compute every link from it on again with `forge`."""
    cursor.execute("UPDATE points_entry SET points_halves = %s WHERE id = %s", [40, target.pk])
    if key_id is not None:
        cursor.execute("UPDATE points_entry SET chain_key = %s WHERE id >= %s", [key_id, target.pk])
    previous = chain.GENESIS
    for entry in Entry.objects.filter(village_id=target.village_id).order_by("pk"):
        if entry.pk < target.pk:
            previous = entry.chain_hash
            continue
        previous = forge(previous, chain.entry_values(entry))
        cursor.execute("UPDATE points_entry SET chain_hash = %s WHERE id = %s", [previous, entry.pk])


@pytest.fixture
def entries(clock, scorer, resident, other_resident, deed):
    return [record(scorer=scorer, resident=r, item=deed) for r in (resident, other_resident, resident, resident)]


@pytest.mark.parametrize("forge", [unkeyed, with_own_key], ids=["plain SHA-256", "another key"])
def test_a_chain_sealed_again_without_the_key_is_found(entries, forge):
    target = entries[1]
    with behind_the_app() as cursor:
        change_and_reseal(cursor, target, forge)
    assert Entry.objects.get(pk=target.pk).points_halves == 40  # the forgery is in place
    with pytest.raises(CommandError, match=f"Broken link at entry {target.pk} .* sealed again without the key"):
        verify()


def test_a_chain_sealed_again_under_a_made_up_key_id_is_found(entries):
    target = entries[2]
    with behind_the_app() as cursor:
        change_and_reseal(cursor, target, with_own_key, key_id="mine")
    with pytest.raises(CommandError, match=f"Entry {target.pk} .* names the chain key 'mine'"):
        verify()


@pytest.fixture
def may_published(clock, scorer, resident, deed, tmp_path):
    """Three entries recorded in May 2025; in June May's head is published: kept in the database
    and exported to a file, as the office would print it."""
    clock.move_to(datetime(2025, 5, 28, 9, 0, tzinfo=SHANGHAI))
    may = [record(scorer=scorer, resident=resident, item=deed) for _ in range(3)]
    clock.move_to(datetime(2025, 6, 2, 9, 0, tzinfo=SHANGHAI))
    call_command("chain_heads", "--output", str(tmp_path / "heads.csv"), stdout=StringIO())
    return may


def test_deleting_the_newest_entry_is_found_against_the_published_head(may_published):
    newest = may_published[-1]
    with behind_the_app() as cursor:
        cursor.execute("DELETE FROM points_notification WHERE entry_id = %s", [newest.pk])
        cursor.execute("DELETE FROM points_entry WHERE id = %s", [newest.pk])
    assert chain.verify() == (2, None)  # the chain alone cannot tell: no link pointed at it yet
    with pytest.raises(CommandError, match=f"DDLJ 2025-05 \\(entry {newest.pk}, 3 entries.*is gone"):
        verify()


def test_the_exported_heads_still_find_it_when_the_database_s_heads_are_deleted_too(may_published, tmp_path):
    newest = may_published[-1]
    with behind_the_app() as cursor:
        cursor.execute("DELETE FROM points_notification WHERE entry_id = %s", [newest.pk])
        cursor.execute("DELETE FROM points_entry WHERE id = %s", [newest.pk])
        cursor.execute("DELETE FROM points_publishedhead")
    assert not PublishedHead.objects.exists()
    assert "Ledger intact" in verify()  # nothing in the database remembers the entry
    with pytest.raises(CommandError, match=f"entry {newest.pk} is gone"):
        verify("--published", str(tmp_path / "heads.csv"))


def test_a_published_head_whose_entry_was_changed_and_sealed_again_is_found_even_with_the_key(may_published, tmp_path):
    """Someone who also holds the key can seal a changed chain again; the printed head still tells."""
    newest = may_published[-1]
    with behind_the_app() as cursor:
        cursor.execute("UPDATE points_entry SET note = %s WHERE id = %s", ["changed", newest.pk])
        entry = Entry.objects.get(pk=newest.pk)
        cursor.execute(
            "UPDATE points_entry SET chain_hash = %s WHERE id = %s",
            [chain.link(may_published[-2].chain_hash, chain.entry_values(entry)), newest.pk],
        )
    with pytest.raises(CommandError, match=f"its entry {newest.pk} now has another hash"):
        verify("--published", str(tmp_path / "heads.csv"))
