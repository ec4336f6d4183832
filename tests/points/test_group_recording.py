"""One deed for many residents in one submission (issue 15): the service and the page."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points.models import Entry
from points.services import member_key, record_group
from tests.factories import HouseholdFactory, ResidentFactory, record
from villages.models import Resident


@pytest.fixture
def team(village):
    return [ResidentFactory(village=village) for _ in range(4)]


def test_it_records_an_entry_of_their_own_for_each_resident(scorer, team, deed, village):
    key = uuid.uuid4()
    outcomes = record_group(
        scorer=scorer, residents=team, item=deed, occurred_on=village.today(), idempotency_key=key, note="清扫村道"
    )
    assert [outcome.recorded for outcome in outcomes] == [True] * 4
    entries = Entry.objects.filter(item=deed)
    assert sorted(entries.values_list("resident_id", flat=True)) == sorted(r.pk for r in team)
    assert {entry.idempotency_key for entry in entries} == {member_key(key, r) for r in team}
    assert set(entries.values_list("note", flat=True)) == {"清扫村道"}


def test_replaying_the_submission_records_nothing_new(scorer, team, deed, village):
    key = uuid.uuid4()
    first = record_group(scorer=scorer, residents=team, item=deed, occurred_on=village.today(), idempotency_key=key)
    again = record_group(scorer=scorer, residents=team, item=deed, occurred_on=village.today(), idempotency_key=key)
    assert [o.entry.pk for o in first] == [o.entry.pk for o in again]
    assert Entry.objects.count() == 4


def test_caps_and_consent_apply_per_resident_and_one_refusal_stops_nobody_else(scorer, team, capped_deed, village):
    today = village.today()
    for _ in range(2):
        record(scorer=scorer, resident=team[0], item=capped_deed, occurred_on=today)
    Resident.objects.filter(pk=team[1].pk).update(consent_given_on=None, consent_recorded_by=None)
    team[1].refresh_from_db()
    outcomes = record_group(
        scorer=scorer, residents=team, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
    )
    assert [(o.recorded, o.code) for o in outcomes] == [
        (False, "cap_reached"),
        (False, "no_consent"),
        (True, ""),
        (True, ""),
    ]
    assert "at most 2 times a month" in outcomes[0].message


def test_it_refuses_an_infraction_for_a_group_and_writes_nothing(scorer, team, infraction, village):
    with pytest.raises(ValidationError) as refused:
        record_group(
            scorer=scorer, residents=team, item=infraction, occurred_on=village.today(), idempotency_key=uuid.uuid4()
        )
    assert refused.value.code == "group_infraction"
    assert not Entry.objects.exists()


# --- The page -----------------------------------------------------------------------------------


@pytest.fixture
def scorer_client(client, scorer):
    client.force_login(scorer)
    return client


def post_group(client, item, residents, **extra):
    data = {
        "item": item.pk,
        "idempotency_key": str(uuid.uuid4()),
        "occurred_on": item.edition.village.today().isoformat(),
        "r": [r.pk for r in residents],
    }
    data.update(extra)
    return client.post(reverse("points:record_group"), data)


def test_the_page_lists_each_resident_as_recorded_or_refused(scorer_client, scorer, team, capped_deed, village):
    for _ in range(2):
        record(scorer=scorer, resident=team[0], item=capped_deed)
    response = post_group(scorer_client, capped_deed, team)
    html = response.content.decode()
    assert "Recorded for 3 of 4 residents" in html
    assert "at most 2 times a month" in html
    assert Entry.objects.filter(item=capped_deed).count() == 5


def test_the_same_group_posted_twice_records_once(scorer_client, team, deed):
    key = str(uuid.uuid4())
    post_group(scorer_client, deed, team, idempotency_key=key)
    post_group(scorer_client, deed, team, idempotency_key=key)
    assert Entry.objects.count() == 4


def test_a_search_keeps_the_ticked_residents_and_records_nothing(scorer_client, team, deed):
    response = post_group(scorer_client, deed, team[:2], do="search", q=team[3].name)
    assert not Entry.objects.exists()
    assert [r.pk for r in response.context["chosen"]] == [team[0].pk, team[1].pk]
    assert team[3] in response.context["offered"]


def test_a_whole_household_is_ticked_with_one_button(scorer_client, village, deed):
    household = HouseholdFactory(village=village, number="077")
    family = [ResidentFactory(village=village, household=household) for _ in range(3)]
    response = post_group(scorer_client, deed, [], household="077")
    assert {r.pk for r in response.context["chosen"]} == {r.pk for r in family}
    assert not Entry.objects.exists()


def test_the_deed_step_offers_no_infraction(scorer_client, deed, infraction):
    html = scorer_client.get(reverse("points:record_group"), {"hp": deed.page.number}).content.decode()
    assert f"?item={deed.pk}" in html
    assert f"?item={infraction.pk}" not in html
    assert "Not for groups" in html


def test_an_infraction_posted_for_a_group_is_refused(scorer_client, team, infraction):
    response = post_group(scorer_client, infraction, team)
    assert "Deductions cannot be recorded for a group" in response.content.decode()
    assert not Entry.objects.exists()


def test_a_resident_of_another_village_is_a_404(scorer_client, team, other_village, deed):
    stranger = ResidentFactory(village=other_village)
    assert post_group(scorer_client, deed, [team[0], stranger]).status_code == 404
    assert not Entry.objects.exists()


def test_the_group_page_runs_a_constant_number_of_queries(
    scorer_client, scorer, village, deed, django_assert_max_num_queries
):
    for _ in range(30):
        record(scorer=scorer, resident=ResidentFactory(village=village), item=deed)
    with django_assert_max_num_queries(12):
        scorer_client.get(reverse("points:record_group"), {"item": deed.pk})
    with django_assert_max_num_queries(12):
        scorer_client.get(reverse("points:record_group"))


def test_residents_whose_cap_is_used_up_are_shown_before_anyone_is_ticked(scorer_client, scorer, team, capped_deed):
    for _ in range(2):  # team[0] has had the deed twice this month: none left
        record(scorer=scorer, resident=team[0], item=capped_deed)
    record(scorer=scorer, resident=team[1], item=capped_deed)  # one left
    response = scorer_client.get(reverse("points:record_group"), {"item": capped_deed.pk})  # recent residents
    html = response.content.decode()
    assert {team[0], team[1]} <= set(response.context["offered"])
    assert response.context["capped_out"] == {team[0].pk}
    assert f'value="{team[0].pk}" disabled' in html
    assert f'value="{team[1].pk}">' in html
    assert html.count("none of 2 left this month") == 1


def test_the_group_page_with_a_capped_deed_runs_a_constant_number_of_queries(
    scorer_client, scorer, village, capped_deed, django_assert_max_num_queries
):
    for _ in range(30):
        record(scorer=scorer, resident=ResidentFactory(village=village), item=capped_deed)
    with django_assert_max_num_queries(13):
        scorer_client.get(reverse("points:record_group"), {"item": capped_deed.pk})
