from datetime import date, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from points.models import Notification
from points.services import decide_appeal, file_appeal
from tests.factories import fill_ledger, record
from villages.benefits import offer_benefit
from villages.grades import Band
from villages.services import set_grade_bands


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident.user)
    return client


def test_it_shows_the_balance_grade_and_distances(resident_client, resident, scorer, deed, infraction):
    record(scorer=scorer, resident=resident, item=deed)
    record(scorer=scorer, resident=resident, item=infraction)
    response = resident_client.get(reverse("points:standing"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "991 points" in html
    assert response.context["standing"].grade == "B"
    assert "9 more points to reach A." in html
    assert "Losing 31.5 points would drop you to C." in html


def test_it_lists_the_deductions_that_will_stop_counting(resident_client, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    response = resident_client.get(reverse("points:standing"))
    assert list(response.context["expiries"]) == [entry]
    assert "stops counting on" in response.content.decode()
    assert entry.expires_on.year == resident.village.today().year + 1


def test_a_deduction_leaves_the_list_on_the_day_it_stops_counting(client, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    for day, expiries in ((entry.expires_on - timedelta(days=1), [entry]), (entry.expires_on, [])):
        with time_machine.travel(f"{day} 12:00 +0800", tick=False):
            client.force_login(resident.user)  # a year on: a new session
            assert list(client.get(reverse("points:standing")).context["expiries"]) == expiries


def test_it_draws_an_accessible_chart_with_a_table(resident_client, resident):
    html = resident_client.get(reverse("points:standing")).content.decode()
    assert '<svg role="img" aria-labelledby="chart-title chart-desc"' in html
    assert '<title id="chart-title">' in html
    assert "<desc id=" in html
    assert html.count('<tr><th scope="row">') == 12


def test_it_shows_a_decided_appeal_once_and_marks_it_read(resident_client, resident, scorer, head, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="I was not home")
    decide_appeal(appeal=appeal, head=head, upheld=True, reason="The chicken was the neighbour's")

    html = resident_client.get(reverse("points:standing")).content.decode()
    assert "The village head upheld your appeal" in html
    assert "The chicken was the neighbour&#x27;s" in html
    assert Notification.objects.get().read_at is not None

    html = resident_client.get(reverse("points:standing")).content.decode()
    assert "The village head upheld your appeal" not in html


def test_it_does_not_mark_notices_read_when_the_head_looks(client, head, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="Not me")
    decide_appeal(appeal=appeal, head=head, upheld=False, reason="Two witnesses")
    client.force_login(head)
    assert client.get(reverse("points:resident_standing", args=[resident.pk])).status_code == 200
    assert Notification.objects.get().read_at is None


def test_the_head_sees_any_residents_standing(client, head, resident):
    client.force_login(head)
    response = client.get(reverse("points:resident_standing", args=[resident.pk]))
    assert response.status_code == 200
    assert resident.name in response.content.decode()
    assert reverse("points:statement", args=[resident.pk]) in response.content.decode()


@pytest.mark.parametrize("count", [10, 2000])
def test_it_runs_a_constant_number_of_queries(
    resident_client, resident, scorer, head, deed, infraction, count, django_assert_max_num_queries
):
    fill_ledger(scorer, resident, deed, infraction, count)
    latest = resident.entries.order_by("-recorded_at").first()
    appeal = file_appeal(entry=latest, resident_user=resident.user, reason="Wrong day")
    decide_appeal(appeal=appeal, head=head, upheld=False, reason="Right day")
    # Session and user, the resident, unread notices, balance, expiries, chart, appeals, the
    # household members who share with the resident, session save; the grade scales and benefits
    # the first time in this process (villages.terms).
    with django_assert_max_num_queries(16):
        response = resident_client.get(reverse("points:standing"))
    assert response.status_code == 200


def test_the_head_sees_the_residents_five_latest_appeals_and_no_one_elses(
    client, head, resident, other_resident, scorer, infraction
):
    appealed = [record(scorer=scorer, resident=resident, item=infraction) for _ in range(7)]
    for entry in appealed:
        file_appeal(entry=entry, resident_user=resident.user, reason="Not me")
    theirs = record(scorer=scorer, resident=other_resident, item=infraction)
    file_appeal(entry=theirs, resident_user=other_resident.user, reason="Not me either")
    client.force_login(head)
    appeals = client.get(reverse("points:resident_standing", args=[resident.pk])).context["appeals"]
    assert [appeal.entry for appeal in appeals] == appealed[:1:-1]


def test_the_heads_view_reads_the_scales_and_benefits_once_until_they_change(
    client, head, admin, resident, village, scorer, infraction
):
    # A deduction that will stop counting and appeals, so that both lists have rows to show.
    for reason in ("Not me", "Wrong day"):
        appeal = file_appeal(
            entry=record(scorer=scorer, resident=resident, item=infraction), resident_user=resident.user, reason=reason
        )
    decide_appeal(appeal=appeal, head=head, upheld=False, reason="Right day")
    client.force_login(head)
    url = reverse("points:resident_standing", args=[resident.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as again:
        response = client.get(url)
    tables = " ".join(query["sql"] for query in again.captured_queries)
    assert "villages_gradeband" not in tables and "villages_benefit" not in tables
    # Session, user, acting village, resident, chart, expiries, appeals; the session saved.
    assert len(again) <= 10
    assert len(response.context["expiries"]) == 2 and len(response.context["appeals"]) == 2
    assert "Right day" in response.content.decode()
    assert response.context["standing"].grade == "B"  # 980

    offer_benefit(village=village, grade="B", text="Free tea", provider="Shop", starts_on=village.today(), author=head)
    assert "Free tea" in client.get(url).content.decode()

    stricter = [Band("A", 1001), Band("B", 990), Band("C", None)]
    set_grade_bands(village=village, admin=admin, bands=stricter, effective_from=village.today())
    response = client.get(url)
    assert response.context["standing"].grade == "C"
    assert "Free tea" not in response.content.decode()


def test_it_is_correct_across_a_month_boundary_in_shanghai(client, resident, scorer, deed, infraction):
    client.force_login(resident.user)
    # 23:30 on 31 May in Shanghai is 15:30 UTC: still May in the village.
    with time_machine.travel("2026-05-31 15:30 +0000", tick=False):
        record(scorer=scorer, resident=resident, item=infraction)
        may = client.get(reverse("points:standing"))
    # 00:30 on 1 June in Shanghai is still 31 May in UTC.
    with time_machine.travel("2026-05-31 16:30 +0000", tick=False):
        record(scorer=scorer, resident=resident, item=deed)
        june = client.get(reverse("points:standing"))

    assert may.context["standing"].on == date(2026, 5, 31)
    assert may.context["chart"].last.month == date(2026, 5, 1)
    assert may.context["chart"].last.balance == 990
    assert june.context["standing"].on == date(2026, 6, 1)
    chart = june.context["chart"]
    assert [p.month for p in chart.points][-2:] == [date(2026, 5, 1), date(2026, 6, 1)]
    assert chart.points[-2].on == date(2026, 5, 31)
    assert chart.points[-2].balance == 990  # the deed of 1 June is not May's
    assert chart.last.balance == 991
    assert june.context["standing"].balance == 991
    assert resident.entries.get(points_halves=2).occurred_on == date(2026, 6, 1)
