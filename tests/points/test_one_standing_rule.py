"""One standing rule (points.standing): the resident's standing page, the chart's last point, the
head's dashboard, the monthly snapshot and a new certificate give the same balance and grade for
the same resident and day, before and after a deduction expires and an entry is reversed."""

from datetime import date, datetime, time
from decimal import Decimal

from django.urls import reverse

from points.models import MonthlySnapshot
from points.services import issue_certificate, reverse_entry
from points.snapshots import take_monthly_snapshots
from tests.factories import record


def _move_to(clock, village, day: date) -> None:
    clock.move_to(datetime.combine(day, time(12), tzinfo=village.tzinfo))


def _everyone_says(client, head, resident, day: date) -> set[tuple[Decimal, str]]:
    """(balance, grade) as each of the five readers computes it on `day`, a month's last day."""
    client.force_login(resident.user)
    page = client.get(reverse("points:standing")).context
    client.force_login(head)
    dashboard = client.get(reverse("office:dashboard"), {"month": day.strftime("%Y-%m")}).context["d"]
    (dashboard_grade,) = [g.grade for g in dashboard.grades if g.count]  # the village's one resident
    take_monthly_snapshots(month=day.replace(day=1))
    snapshot = MonthlySnapshot.objects.get(resident=resident, month=day.replace(day=1))
    certificate = issue_certificate(resident=resident, issued_by=head)
    assert page["standing"].on == page["chart"].last.on == dashboard.on == day
    return {
        (page["standing"].balance, page["standing"].grade),
        (page["chart"].last.balance, page["chart"].last.grade),
        (dashboard.trend[-1].average, dashboard_grade),
        (Decimal(snapshot.balance_halves) / 2, snapshot.grade),
        (Decimal(certificate.balance_halves) / 2, certificate.grade),
    }


def test_the_page_chart_dashboard_snapshot_and_certificate_agree_across_an_expiry_and_a_reversal(
    client, clock, village, head, scorer, resident, deed, infraction
):
    expiring = record(scorer=scorer, resident=resident, item=infraction)  # −10, stops counting in 12 months
    record(scorer=scorer, resident=resident, item=deed)  # +1
    disputed = record(scorer=scorer, resident=resident, item=infraction)  # −10, reversed in July

    _move_to(clock, village, date(2025, 6, 30))
    assert _everyone_says(client, head, resident, date(2025, 6, 30)) == {(Decimal(981), "B")}

    _move_to(clock, village, date(2025, 7, 10))
    reverse_entry(entry=disputed, author=head, reason="认错了人")
    _move_to(clock, village, date(2025, 7, 31))
    assert _everyone_says(client, head, resident, date(2025, 7, 31)) == {(Decimal(991), "B")}

    assert expiring.expires_on <= date(2026, 6, 30)
    _move_to(clock, village, date(2026, 6, 30))
    assert _everyone_says(client, head, resident, date(2026, 6, 30)) == {(Decimal(1001), "A")}
