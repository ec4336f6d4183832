from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import formats, translation

from points.chart import build_chart, chart_days
from points.models import Entry
from points.services import decide_appeal, file_appeal
from points.standing import balance_halves, compute_standing, counted_halves_by_day, in_points
from tests.factories import record


def _on(day: date):
    return time_machine.travel(day.isoformat() + " 12:00 +0800", tick=False)


@pytest.fixture
def history(resident, scorer, head, deed, infraction):
    """A year and a bit of ledger: a deduction that expires inside the chart, deeds, an upheld appeal."""
    today = resident.village.today()
    with _on(today - relativedelta(months=14)):
        record(scorer=scorer, resident=resident, item=infraction)  # stops counting 2 months ago
    for months_ago in (11, 7, 3, 0):
        with _on(today - relativedelta(months=months_ago)):
            record(scorer=scorer, resident=resident, item=deed)
    with _on(today - relativedelta(months=5)):
        wrong = record(scorer=scorer, resident=resident, item=infraction)
        appeal = file_appeal(entry=wrong, resident_user=resident.user, reason="Not me")
    with _on(today - relativedelta(months=4)):
        decide_appeal(appeal=appeal, head=head, upheld=True, reason="Not him")
    return today


def test_the_chart_takes_each_months_last_day_and_today():
    days = chart_days(date(2026, 3, 15))
    assert days[0] == date(2025, 4, 30)
    assert days[-3:] == [date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 15)]
    assert len(days) == 12


def test_the_charts_values_match_the_ledger(client, resident, history):
    chart = build_chart(resident=resident)
    client.force_login(resident.user)
    ledger = client.get(reverse("points:ledger")).context["lines"]
    for point in chart.points:
        standing = compute_standing(resident=resident, on=point.on)
        assert (point.balance, point.grade) == (standing.balance, standing.grade), point.on
        # and by hand from the ledger's lines: an entry counts from its day until it expires,
        # and a reversal takes it back from the day it was recorded
        total = Decimal(resident.village.starting_capital)
        for line in ledger:
            entry = line.entry
            counts = entry.counts_from <= point.on and (entry.expires_on is None or entry.expires_on > point.on)
            if counts and not (line.reversal and line.reversal.counts_from <= point.on):
                total += entry.points
        assert point.balance == total, point.on


def test_the_chart_shows_the_expiry_and_the_reversal(resident, history):
    balances = [point.balance for point in build_chart(resident=resident).points]
    # 990 until the old deduction expires 2 months ago; +1 deeds 11, 7, 3 and 0 months ago;
    # −10 five months ago, taken back four months ago
    assert balances[0] == 991
    assert min(balances) == 982
    assert balances[-1] == 1004
    assert [point.grade for point in build_chart(resident=resident).points][-1] == "A"


def test_the_grade_follows_the_scale_in_force_each_month(resident, village, history):
    from villages.models import GradeBand

    # a stricter scale from 3 months ago: A from 1,005
    start = history - relativedelta(months=3)
    GradeBand.objects.bulk_create(
        GradeBand(village=village, effective_from=start, grade=g, min_points=m)
        for g, m in [("A+", 1035), ("A", 1005), ("B", 960), ("C", 850), ("D", None)]
    )
    chart = build_chart(resident=resident)
    assert chart.points[-1].grade == "B"  # 1,004 under the new scale
    assert chart.points[0].grade == "B"  # 991 under the old one


@pytest.mark.parametrize("count", [10, 2000])
def test_it_takes_two_queries_whatever_the_ledger(resident, scorer, deed, count, django_assert_num_queries):
    today = resident.village.today()
    for n in range(count):
        day = today - timedelta(days=(n * 360) // count)
        with _on(day):
            record(scorer=scorer, resident=resident, item=deed, occurred_on=day)
    resident = type(resident).objects.select_related("village").get(pk=resident.pk)
    with django_assert_num_queries(2):
        chart = build_chart(resident=resident)
    assert chart.last.balance == 1000 + count
    assert Entry.objects.count() == count


def test_the_svg_is_accessible(client, resident, history):
    client.force_login(resident.user)
    html = client.get(reverse("points:standing")).content.decode()
    assert 'role="img"' in html
    assert "the balance went from 991 (grade B) to 1004 (grade A)" in html
    assert '<div class="sr-only">' in html


def test_the_y_axis_carries_round_balances_besides_the_grade_bands(resident, history):
    chart = build_chart(resident=resident)
    assert chart.ticks, "a balance axis without values"
    for tick in chart.ticks:
        assert chart.low < tick.value < chart.high and tick.value % 10 == 0
        assert all(abs(tick.y - band.y) > 16 for band in chart.band_lines)  # no label over a band's label
    values = [t.value for t in chart.ticks]
    assert values == sorted(values) and len(values) <= 4


def test_the_chart_writes_a_grade_as_text_never_as_markup(client, resident, village, history):
    from villages.models import GradeBand

    GradeBand.objects.filter(village=village, grade="A").update(grade="<i>A")
    client.force_login(resident.user)
    html = client.get(reverse("points:standing")).content.decode()
    assert "<i>A" not in html
    assert "· &lt;i&gt;A</title>" in html  # a dot's tooltip
    assert "<td>&lt;i&gt;A</td>" in html  # the table
    assert "&lt;i&gt;A 1000</text>" in html  # the band's label


def test_the_charts_table_gives_every_month_and_today(client, resident, history):
    client.force_login(resident.user)
    with translation.override("en"):
        html = client.get(reverse("points:standing"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rows = html.split('<table class="chart-table">')[1].split("</tbody>")[0].count('<th scope="row">')
    assert rows == 12
    today = resident.village.today()
    assert f"(to {formats.date_format(today, 'DATE_FORMAT')})</th><td>1004</td><td>A</td></tr>" in html


def test_the_balances_by_day_agree_with_the_standing_on_every_day_even_over_many_days(resident, history):
    """counted_halves_by_day writes a statement a day (on SQLite a branch each): more days than one
    statement takes are split over several, with the same sums."""
    days = [history - relativedelta(months=15) + timedelta(days=3 * n) for n in range(160)]
    by_day = counted_halves_by_day(resident, days)
    capital = resident.village.starting_capital
    for day, counted in zip(days, by_day, strict=True):
        assert (
            in_points(balance_halves(capital=capital, counted=counted))
            == compute_standing(resident=resident, on=day).balance
        ), day
