from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from points.services import file_appeal, reverse_entry
from tests.factories import fill_ledger, record


@pytest.fixture
def resident_client(client, resident):
    client.force_login(resident.user)
    return client


def _line(response, entry):
    return next(line for line in response.context["lines"] if line.entry.pk == entry.pk)


def test_it_shows_every_detail_of_an_entry(resident_client, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction, note="三只鸡在路上", witness="张敏")
    html = resident_client.get(reverse("points:ledger")).content.decode()
    assert "1.3 鸡跑出鸡舍" in html
    assert "−10" in html
    assert "fine ¥200" in html
    assert "recorded by scorer" in html
    assert "张敏" in html
    assert "三只鸡在路上" in html
    assert reverse("handbook:item", args=[entry.item_id]) in html
    assert reverse("points:appeal_entry", args=[entry.pk]) in html


def test_it_shows_each_state(resident_client, resident, scorer, head, deed, infraction):
    counting = record(scorer=scorer, resident=resident, item=deed)
    appealed = record(scorer=scorer, resident=resident, item=infraction)
    reversed_ = record(scorer=scorer, resident=resident, item=deed)
    file_appeal(entry=appealed, resident_user=resident.user, reason="Not my chickens")
    reversal = reverse_entry(entry=reversed_, author=head, reason="Recorded twice")

    response = resident_client.get(reverse("points:ledger"))
    assert _line(response, counting).state == "counting"
    assert _line(response, appealed).state == "under_appeal"
    assert _line(response, reversed_).state == "reversed"
    assert _line(response, reversed_).reversal == reversal
    html = response.content.decode()
    assert "by head: Recorded twice" in html
    assert "under appeal" in html
    # the reversing row is shown on the entry it reverses, not as a line of its own
    assert len(response.context["lines"]) == 3


def test_it_shows_when_a_deduction_expired(resident_client, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    with time_machine.travel(entry.expires_on.isoformat() + " 09:00 +0800", tick=False):
        resident_client.force_login(resident.user)  # a session lapses after hours without a request
        response = resident_client.get(reverse("points:ledger"))
    assert _line(response, entry).state == "expired"
    assert "expired on" in response.content.decode()


def test_it_offers_an_appeal_of_a_deduction_but_not_of_a_deed(resident_client, resident, scorer, deed, infraction):
    deduction = record(scorer=scorer, resident=resident, item=infraction)
    credit = record(scorer=scorer, resident=resident, item=deed)
    response = resident_client.get(reverse("points:ledger"))
    assert _line(response, deduction).can_appeal
    assert not _line(response, credit).can_appeal
    assert reverse("points:appeal_entry", args=[credit.pk]) not in response.content.decode()


def test_it_offers_no_appeal_after_the_window(resident_client, resident, scorer, infraction, settings):
    entry = record(scorer=scorer, resident=resident, item=infraction)
    with time_machine.travel(entry.recorded_at + timedelta(days=settings.APPEAL_WINDOW_DAYS, hours=1)):
        resident_client.force_login(resident.user)
        response = resident_client.get(reverse("points:ledger"))
    assert not _line(response, entry).can_appeal
    assert reverse("points:appeal_entry", args=[entry.pk]) not in response.content.decode()


def test_it_filters_by_month_and_kind(resident_client, resident, scorer, deed, infraction):
    today = resident.village.today()
    last_month = today.replace(day=1) - timedelta(days=1)
    with time_machine.travel(last_month.isoformat() + " 12:00 +0800", tick=False):
        old_deed = record(scorer=scorer, resident=resident, item=deed, occurred_on=last_month)
    new_deed = record(scorer=scorer, resident=resident, item=deed)
    new_infraction = record(scorer=scorer, resident=resident, item=infraction)

    def shown(**query):
        return [line.entry for line in resident_client.get(reverse("points:ledger"), query).context["lines"]]

    assert set(shown(month=last_month.strftime("%Y-%m"))) == {old_deed}
    assert set(shown(kind="infraction")) == {new_infraction}
    assert set(shown(month=today.strftime("%Y-%m"), kind="deed")) == {new_deed}
    assert len(shown(month="not-a-month")) == 3  # an unknown filter is ignored, not refused


def test_the_month_filter_offers_the_months_of_the_entries_newest_first(resident_client, resident, head, scorer, deed):
    today = resident.village.today()
    last_month = today.replace(day=1) - timedelta(days=1)
    with time_machine.travel(last_month.isoformat() + " 12:00 +0800", tick=False):
        wrong = record(scorer=scorer, resident=resident, item=deed, occurred_on=last_month)
        record(scorer=scorer, resident=resident, item=deed, occurred_on=last_month.replace(day=1))
    record(scorer=scorer, resident=resident, item=deed)
    reverse_entry(entry=wrong, author=head, reason="记错了")

    months = resident_client.get(reverse("points:ledger")).context["months"]

    assert months == [today.replace(day=1), last_month.replace(day=1)]


def test_it_renders_only_the_list_for_htmx(resident_client, resident, scorer, deed):
    record(scorer=scorer, resident=resident, item=deed)
    html = resident_client.get(reverse("points:ledger"), {"kind": "deed"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<section id="ledger-list"')
    assert "<html" not in html


def test_it_paginates(resident_client, resident, scorer, deed):
    for _ in range(30):
        record(scorer=scorer, resident=resident, item=deed)
    first = resident_client.get(reverse("points:ledger"))
    second = resident_client.get(reverse("points:ledger"), {"page": 2})
    assert len(first.context["lines"]) == 25
    assert len(second.context["lines"]) == 5
    assert "Page 1 of 2" in first.content.decode()


def test_it_links_the_photo_when_there_is_one(client, head, resident, scorer, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)
    client.force_login(head)
    html = client.get(reverse("points:resident_ledger", args=[resident.pk])).content.decode()
    assert reverse("points:entry_photo", args=[entry.pk]) not in html  # no photo, no link


@pytest.mark.parametrize("count", [10, 2000])
def test_it_runs_a_constant_number_of_queries(
    resident_client, resident, scorer, head, deed, infraction, count, django_assert_max_num_queries
):
    fill_ledger(scorer, resident, deed, infraction, count)
    entries = list(resident.entries.order_by("-recorded_at")[:3])
    file_appeal(entry=entries[0], resident_user=resident.user, reason="Wrong")
    reverse_entry(entry=entries[1], author=head, reason="Mistake")
    with django_assert_max_num_queries(11):
        response = resident_client.get(reverse("points:ledger"))
    assert len(response.context["lines"]) == 10 if count == 10 else 25
    with django_assert_max_num_queries(11):
        assert resident_client.get(reverse("points:ledger"), {"kind": "infraction", "page": 2}).status_code == 200
