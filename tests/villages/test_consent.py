"""villages.services.record_consent and withdraw_consent: nobody is scored without consent."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from points.models import Entry
from points.standing import compute_standing
from tests.factories import ResidentFactory, record
from villages.services import record_consent, withdraw_consent


@pytest.fixture
def newcomer(village):
    """A resident who has not yet agreed to be scored."""
    return ResidentFactory(village=village, consent_given_on=None, consent_recorded_by=None)


@pytest.mark.parametrize("recorder", ["head", "admin"])
def test_it_lets_the_head_or_an_administrator_record_consent(request, clock, newcomer, scorer, deed, recorder):
    user = request.getfixturevalue(recorder)
    today = newcomer.village.today()

    record_consent(resident=newcomer, given_on=today, recorded_by=user)

    newcomer.refresh_from_db()
    assert (newcomer.consent_given_on, newcomer.consent_recorded_by) == (today, user)
    record(scorer=scorer, resident=newcomer, item=deed)
    assert compute_standing(resident=newcomer).balance == 1001


@pytest.mark.parametrize("recorder", ["scorer", "outsider_head", "outsider_admin"])
def test_it_refuses_consent_recorded_by_anyone_else(request, clock, newcomer, recorder):
    with pytest.raises(ValidationError) as caught:
        record_consent(
            resident=newcomer, given_on=newcomer.village.today(), recorded_by=request.getfixturevalue(recorder)
        )

    assert caught.value.code == "not_allowed"
    newcomer.refresh_from_db()
    assert not newcomer.has_consented


def test_it_refuses_consent_dated_in_the_future(clock, newcomer, head):
    with pytest.raises(ValidationError) as caught:
        record_consent(resident=newcomer, given_on=newcomer.village.today() + timedelta(days=1), recorded_by=head)

    assert caught.value.code == "future_date"
    newcomer.refresh_from_db()
    assert not newcomer.has_consented


def test_it_refuses_to_score_a_resident_who_never_consented(clock, newcomer, scorer, deed):
    with pytest.raises(ValidationError) as caught:
        record(scorer=scorer, resident=newcomer, item=deed)

    assert caught.value.code == "no_consent"
    assert not Entry.objects.exists()


@pytest.mark.parametrize("recorder", ["head", "admin"])
def test_it_stops_scoring_once_consent_is_withdrawn(request, clock, resident, scorer, deed, recorder):
    record(scorer=scorer, resident=resident, item=deed)

    withdraw_consent(resident=resident, recorded_by=request.getfixturevalue(recorder))

    with pytest.raises(ValidationError) as caught:
        record(scorer=scorer, resident=resident, item=deed)
    assert caught.value.code == "no_consent"
    # The ledger is kept as it was.
    assert Entry.objects.filter(resident=resident).count() == 1
    assert compute_standing(resident=resident).balance == 1001


@pytest.mark.parametrize("recorder", ["scorer", "outsider_head", "outsider_admin"])
def test_it_refuses_a_withdrawal_by_anyone_else(request, clock, resident, scorer, deed, recorder):
    with pytest.raises(ValidationError) as caught:
        withdraw_consent(resident=resident, recorded_by=request.getfixturevalue(recorder))

    assert caught.value.code == "not_allowed"
    resident.refresh_from_db()
    assert resident.has_consented
    assert record(scorer=scorer, resident=resident, item=deed).pk
