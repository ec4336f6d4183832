"""The head's dashboard: the figures, the charts with their tables, and a constant number of queries."""

from datetime import date

import pytest
from dateutil.relativedelta import relativedelta
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from office.dashboard import build_dashboard
from points.services import file_appeal, reverse_entry
from points.snapshots import take_monthly_snapshots
from tests.conftest import NOON
from tests.factories import HouseholdFactory, record
from villages.models import Resident
from villages.pinyin import pinyin_keys


def _residents(village, count: int, recorder) -> list[Resident]:
    """`count` consenting residents in households of four, written in bulk (Resident.save, which
    fills the pinyin keys, is not called by bulk_create)."""
    households = [HouseholdFactory(village=village, number=f"H{n:04d}") for n in range(count // 4 + 1)]
    full, initials = pinyin_keys("刘建国")
    Resident.objects.bulk_create(
        Resident(
            village=village,
            household=households[n // 4],
            name="刘建国",
            name_pinyin=full,
            name_initials=initials,
            consent_given_on=date(2018, 7, 1),
            consent_recorded_by_id=recorder.pk,
        )
        for n in range(count)
    )
    return list(Resident.objects.filter(village=village))


@pytest.fixture
def ledger(clock, village, head, scorer, resident, other_resident, deed, infraction):
    record(scorer=scorer, resident=resident, item=deed)
    record(scorer=scorer, resident=resident, item=deed, occurred_on=date(2025, 5, 20))
    bad = record(scorer=scorer, resident=other_resident, item=infraction)
    file_appeal(entry=bad, resident_user=other_resident.user, reason="不是我家的鸡")
    return bad


def test_it_shows_grades_trend_deeds_scorers_and_appeals(client, head, ledger):
    bad = ledger
    client.force_login(head)
    response = client.get(reverse("office:dashboard"))
    assert response.status_code == 200
    d = response.context["d"]
    assert d.residents == 2
    assert {g.grade: g.count for g in d.grades} == {"A+": 0, "A": 1, "B": 1, "C": 0, "D": 0}
    assert [(m.deeds, m.infractions) for m in d.months[-2:]] == [(1, 0), (1, 1)]
    assert [(p.number, p.deeds, p.infractions) for p in d.pages] == [(1, 1, 1)]
    assert [(s.name, s.entries) for s in d.scorers] == [("scorer", 3)]
    assert [a.age_days for a in d.appeals] == [0]
    assert d.trend[-1].average == 996  # (1002 + 990) / 2
    html = response.content.decode()
    assert html.count('role="img"') == 6
    assert '<title id="grades-title">Residents by grade</title>' in html
    assert "<caption>Residents by grade</caption>" in html
    appeal = bad.appeals.get()
    link = reverse("points:appeal_decide", args=[appeal.pk])
    assert f'<a href="{link}">{bad.resident.name} · {bad.item.code} {bad.item.title}</a>' in html


def test_it_filters_by_month(client, head, ledger):
    client.force_login(head)
    d = client.get(reverse("office:dashboard"), {"month": "2025-05"}).context["d"]
    assert (d.month, d.on) == (date(2025, 5, 1), date(2025, 5, 31))
    assert (d.month_totals.deeds, d.month_totals.infractions) == (1, 0)
    assert {g.grade: g.count for g in d.grades}["A"] == 2
    assert d.scorers == [], "the May deed was recorded in June"


def test_a_month_in_the_future_shows_the_current_month(client, head, ledger):
    client.force_login(head)
    assert client.get(reverse("office:dashboard"), {"month": "2031-01"}).context["d"].month == date(2025, 6, 1)


# Session, user, roles (3); grade scales, the settled months' snapshots, the grades of the running
# month and of the previous one (entries may still be backdated into it: 30 days by default) in
# one query, the settled months' page tallies, deeds by page of the other months, scorers, appeals
# (7); whether the village has a points store (1; tests/store checks the store's figures); the
# session saved after the request (3: savepoint, update, release).
DASHBOARD_QUERIES = 14


def _take_snapshots(village) -> None:
    """The eleven closed months' snapshots, as the monthly job would have taken them."""
    this_month = village.today().replace(day=1)
    for n in range(1, 12):
        take_monthly_snapshots(month=this_month - relativedelta(months=n))


@pytest.mark.parametrize("size", [10, 1000])
def test_it_runs_a_constant_number_of_queries(
    client, clock, village, head, scorer, deed, infraction, size, django_assert_num_queries
):
    residents = _residents(village, size, head)
    for n, resident in enumerate(residents[:: max(size // 10, 1)]):
        record(scorer=scorer, resident=resident, item=deed if n % 3 else infraction)
    _take_snapshots(village)
    client.force_login(head)
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(reverse("office:dashboard"))
    assert response.context["d"].residents == size


@pytest.fixture
def history(clock, village, head, scorer, resident, other_resident, deed, infraction, ledger):
    """Besides `ledger` (this month and the last), deeds and infractions recorded in settled months,
    one of them reversed a month later: a month counts what stands."""
    for months_ago in (6, 4, 3):
        clock.move_to(NOON - relativedelta(months=months_ago))
        record(scorer=scorer, resident=resident, item=deed)
        record(scorer=scorer, resident=other_resident, item=deed)
        wrong = record(scorer=scorer, resident=other_resident, item=infraction)
        if months_ago == 4:
            clock.move_to(NOON - relativedelta(months=3, days=5))
            reverse_entry(entry=wrong, author=head, reason="认错了人")
    clock.move_to(NOON)


def test_closed_months_read_the_snapshots_and_agree_with_the_live_tally(client, clock, village, head, history):
    client.force_login(head)
    live = client.get(reverse("office:dashboard")).context["d"]
    _take_snapshots(village)
    with CaptureQueriesContext(connection) as queries:
        from_snapshots = client.get(reverse("office:dashboard")).context["d"]
    assert [(t.month, t.average, t.grades) for t in from_snapshots.trend] == [
        (t.month, t.average, t.grades) for t in live.trend
    ]
    assert [(m.month, m.deeds, m.infractions) for m in from_snapshots.months] == [
        (m.month, m.deeds, m.infractions) for m in live.months
    ]
    assert sum(m.deeds + m.infractions for m in from_snapshots.months[:-2]), "no settled month has entries"
    assert len(queries) == DASHBOARD_QUERIES
    assert any("points_monthlysnapshot" in q["sql"] for q in queries)
    assert any("points_monthlypagetally" in q["sql"] for q in queries)


def test_a_settled_months_pages_come_from_its_tally_and_agree_with_the_ledger(client, clock, village, head, history):
    client.force_login(head)
    month = (village.today().replace(day=1) - relativedelta(months=3)).strftime("%Y-%m")
    live = client.get(reverse("office:dashboard"), {"month": month}).context["d"]
    _take_snapshots(village)
    tallied = client.get(reverse("office:dashboard"), {"month": month}).context["d"]
    assert live.pages, "the month has no entries to count"
    assert tallied.pages == live.pages
    assert [(m.month, m.deeds, m.infractions) for m in tallied.months] == [
        (m.month, m.deeds, m.infractions) for m in live.months
    ]


def test_it_is_for_the_head_and_administrators_only(client, admin, head, scorer, resident):
    url = reverse("office:dashboard")
    for user, status in [(head, 200), (admin, 200), (scorer, 403), (resident.user, 403)]:
        client.force_login(user)
        assert client.get(url).status_code == status, user


def test_it_shows_an_empty_village_without_failing(village):
    d = build_dashboard(village=village, month=date(2025, 6, 1))
    assert d.residents == 0 and d.charts["grades"].empty


def test_a_name_with_markup_is_printed_not_drawn(client, head, scorer, ledger):
    scorer.first_name = '<b onclick="x()">王</b>'
    scorer.save()
    client.force_login(head)
    html = client.get(reverse("office:dashboard")).content.decode()
    assert "<b onclick" not in html
    assert '<text class="row-label" x="4.0" y="16.0">&lt;b onclick=&quot;x()&quot;&gt;王&lt;/b&gt;</text>' in html
    assert '<th scope="row">&lt;b onclick=&quot;x()&quot;&gt;王&lt;/b&gt;</th>' in html


def test_the_pages_count_the_entries_that_stand_reversed_ones_left_out(
    clock, village, head, scorer, resident, deed, history
):
    from collections import Counter

    from points.models import Entry
    from points.snapshots import page_tallies

    reverse_entry(entry=record(scorer=scorer, resident=resident, item=deed), author=head, reason="记错了")
    start, end = village.today() - relativedelta(years=1), village.today()

    counted = {
        (row["item__page__number"], row["item__kind"]): (row["n"], row["halves"])
        for row in page_tallies(village=village, start=start, end=end)
    }

    standing = Entry.objects.filter(village=village, occurred_on__range=(start, end)).originals().not_reversed()
    n, halves = Counter(), Counter()
    for entry in standing.select_related("item__page"):
        n[entry.item.page.number, entry.item.kind] += 1
        halves[entry.item.page.number, entry.item.kind] += entry.points_halves
    assert counted == {key: (n[key], halves[key]) for key in n}
    assert Entry.objects.filter(village=village, reverses__isnull=False).count() == 2
