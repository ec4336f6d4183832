"""villages.compiled: a query compiled once, its values bound at each run."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.models import CharField, DateField, DateTimeField, IntegerField
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from points.models import Entry
from tests.factories import MembershipFactory, ResidentFactory, UserFactory, member
from villages.compiled import Slot, compiled, compiled_insert, insert, insert_many, prepared
from villages.models import Household, Membership, Resident


def _names():
    return Resident.objects.filter(pk=Slot("resident", IntegerField())).values_list("name", "village__name")


def _residents_from():
    return (
        Resident.objects.select_related("village")
        .filter(village_id=Slot("village", IntegerField()), pk__gte=Slot("first", IntegerField()))
        .order_by("pk")
    )


def _members_since():
    return Membership.objects.filter(since__lte=Slot("at", DateTimeField())).values_list("user__username")


def test_it_binds_each_runs_values_never_the_first_ones(village, other_village):
    li = ResidentFactory(village=village, name="李伟")
    wang = ResidentFactory(village=other_village, name="王芳")

    assert compiled(_names).rows(resident=li.pk) == [("李伟", village.name)]
    assert compiled(_names).rows(resident=wang.pk) == [("王芳", other_village.name)]
    assert compiled(_names) is compiled(_names)  # built and compiled once


def test_it_gives_model_instances_with_their_related_rows(village):
    first, second = ResidentFactory(village=village, name="李伟"), ResidentFactory(village=village, name="王芳")

    found = compiled(_residents_from).instances(village=village.pk, first=second.pk)

    assert [(r.pk, r.name, r.village.name) for r in found] == [(second.pk, "王芳", village.name)]
    assert [r.pk for r in compiled(_residents_from).instances(village=village.pk, first=0)] == [first.pk, second.pk]


def test_it_binds_a_moment_through_its_field(village):
    """A datetime goes in as the ORM would store it (on SQLite a UTC string without an offset)."""
    member(village, Membership.Role.SCORER, "scorer")
    now = timezone.now()
    assert compiled(_members_since).rows(at=now + timedelta(seconds=1)) == [("scorer",)]
    assert compiled(_members_since).rows(at=now - timedelta(days=1)) == []


def test_it_wants_every_slot_and_no_other(village):
    with pytest.raises(TypeError, match="resident"):
        compiled(_names).rows()
    with pytest.raises(TypeError, match="resident"):
        compiled(_names).rows(resident=1, village=2)


def _households(count: int) -> list[Household]:
    return [
        Household(village_id=Slot("village", IntegerField()), number=Slot(f"number{i}", CharField()), address="")
        for i in range(count)
    ]


def test_it_inserts_rows_in_one_statement_and_returns_the_new_key(village, django_assert_num_queries):
    with django_assert_num_queries(1):
        compiled_insert(_households, 2).run(village=village.pk, number0="101", number1="102")
    pk = compiled_insert(_households, 1, returning=True).run(village=village.pk, number0="103")

    assert sorted(Household.objects.filter(village=village).values_list("number", flat=True)) == ["101", "102", "103"]
    assert Household.objects.get(pk=pk).number == "103"


def test_it_refuses_a_number_its_column_cannot_hold_rather_than_overflowing(village):
    with pytest.raises(ValueError, match="out of range"):
        compiled(_names).rows(resident=2**70)


def test_it_inserts_an_instance_as_save_would_file_field_and_all(village, resident, deed, scorer):
    today = village.today()
    values = {
        "village": village, "resident": resident, "item": deed, "points_halves": 2, "occurred_on": today,
        "counts_from": today, "recorded_by": scorer, "recorded_at": timezone.now(),
        "photo": "photos/V/2026/12/a.jpg", "idempotency_key": uuid.uuid4(),
    }  # fmt: skip
    saved, inserted = Entry(**values), Entry(**{**values, "idempotency_key": uuid.uuid4()})
    saved.save(force_insert=True)

    insert(inserted)

    assert inserted.pk and not inserted._state.adding
    columns = [f.attname for f in Entry._meta.concrete_fields if f.attname not in ("id", "idempotency_key")]
    assert Entry.objects.values_list(*columns).get(pk=inserted.pk) == Entry.objects.values_list(*columns).get(
        pk=saved.pk
    )
    assert Entry.objects.get(pk=inserted.pk).photo.name == "photos/V/2026/12/a.jpg"


@prepared
def _prepared_names():
    return Resident.objects.filter(pk=Slot("resident", IntegerField())).values_list("name")


@prepared
def _prepared_households():
    return Household.objects.filter(pk=Slot("household", IntegerField())).values_list("number")


def _prepared_on_the_server() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return {statement for (statement,) in cursor.fetchall()}


def _as_sent(statement) -> str:
    """A compiled statement's SQL as the server sees it: named placeholders become $1, $2 …"""
    return re.sub(r"%\(p(\d+)\)s", lambda found: f"${int(found[1]) + 1}", statement.sql)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")
def test_a_statement_marked_prepared_is_prepared_on_postgresql_and_no_other(village, settings):
    li = ResidentFactory(village=village, name="李伟")

    assert compiled(_prepared_names).rows(resident=li.pk) == [("李伟",)]
    assert compiled(_names).rows(resident=li.pk) == [("李伟", village.name)]
    inserted = Household(village=village, number="9", address="9 号")
    insert(inserted)

    prepared = _prepared_on_the_server()
    assert _as_sent(compiled(_prepared_names)) in prepared
    assert any(statement.startswith('INSERT INTO "villages_household"') for statement in prepared)
    assert _as_sent(compiled(_names)) not in prepared
    with CaptureQueriesContext(connection) as logged:
        compiled(_prepared_names).rows(resident=li.pk)
    assert [query["sql"] for query in logged] == [compiled(_prepared_names).sql]  # Django's log keeps its text

    settings.DATABASE_PREPARED_STATEMENTS = False  # behind a pooler that cannot keep them
    assert compiled(_prepared_households).rows(household=inserted.pk) == [("9",)]
    assert _as_sent(compiled(_prepared_households)) not in _prepared_on_the_server()


def _joined_on_day():
    return Membership.objects.filter(since__date=Slot("day", DateField())).values_list("user__username")


def test_a_query_with_a_date_lookup_is_compiled_again_under_another_time_zone(village):
    # 23:30 on 1 March in Shanghai is 15:30 UTC: the same moment, a day apart by where you stand.
    late = datetime(2026, 3, 1, 15, 30, tzinfo=UTC)
    MembershipFactory(user=UserFactory(username="wu"), village=village, role=Membership.Role.SCORER, since=late)

    with timezone.override("Asia/Shanghai"):
        assert compiled(_joined_on_day).rows(day=date(2026, 3, 1)) == [("wu",)]
    with timezone.override("UTC"):
        assert compiled(_joined_on_day).rows(day=date(2026, 3, 1)) == [("wu",)]
    with timezone.override("America/New_York"):
        assert compiled(_joined_on_day).rows(day=date(2026, 3, 1)) == [("wu",)]
    with timezone.override("Pacific/Kiritimati"):  # UTC+14: already 2 March
        assert compiled(_joined_on_day).rows(day=date(2026, 3, 1)) == []


def _resident_by_pk():
    return Resident.objects.filter(pk=Slot("pk", IntegerField()))


def test_get_gives_the_one_instance_or_does_not_exist_as_queryset_get(village):
    li = ResidentFactory(village=village, name="李伟")

    assert compiled(_resident_by_pk).get(pk=li.pk) == li
    for missing in (li.pk + 1000, 2**70, "not an id"):
        with pytest.raises(Resident.DoesNotExist):
            compiled(_resident_by_pk).get(pk=missing)


def test_it_inserts_many_instances_in_one_statement_and_gives_each_its_key(village, django_assert_num_queries):
    households = [Household(village=village, number=str(n), address=f"{n} 号") for n in range(101, 104)]
    with django_assert_num_queries(1):
        insert_many(households)
    assert [(h.pk, h.number) for h in households] == list(
        Household.objects.filter(village=village).order_by("pk").values_list("pk", "number")
    )
    assert all(not h._state.adding for h in households)
