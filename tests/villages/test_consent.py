"""Without consent nobody can score a resident, by any path; consent changes are audited."""

import uuid
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points.models import Entry
from points.pickers import find_residents
from points.services import PaperEntry, record_entry, record_paper_entries
from tests.conftest import SHANGHAI
from villages.models import AuditEvent
from villages.services import create_resident, record_consent, withdraw_consent


@pytest.fixture
def newcomer(clock, village, head):
    """Added to the register by the head; consent not yet recorded."""
    return create_resident(village=village, actor=head, name="于春生", household_number="201")


def test_the_service_refuses_to_score_a_resident_without_consent(newcomer, scorer, deed):
    with pytest.raises(ValidationError) as error:
        record_entry(
            scorer=scorer, resident=newcomer, item=deed, occurred_on=date(2025, 6, 16), idempotency_key=uuid.uuid4()
        )
    assert error.value.code == "no_consent"
    assert not Entry.objects.filter(resident=newcomer).exists()


def test_the_record_screen_refuses_it_too(client, newcomer, scorer, deed):
    client.force_login(scorer)
    response = client.post(
        reverse("points:record"),
        {"resident": newcomer.pk, "item": deed.pk, "idempotency_key": uuid.uuid4(), "occurred_on": "2025-06-16"},
    )
    assert response.status_code == 200
    assert "has not agreed to be scored" in response.content.decode()
    assert not Entry.objects.filter(resident=newcomer).exists()


def test_the_scorers_search_does_not_offer_the_resident(newcomer, village, scorer):
    search = find_residents(village=village, scorer=scorer, query="于春生")
    assert newcomer not in search.matches
    assert newcomer in search.unavailable


def test_transcribing_a_paper_ledger_refuses_it_too(newcomer, village, admin, scorer, deed):
    line = PaperEntry(
        resident=newcomer,
        item=deed,
        occurred_on=date(2025, 6, 1),
        scorer=scorer,
        recorded_at=datetime(2025, 6, 1, 9, tzinfo=SHANGHAI),
    )
    with pytest.raises(ValidationError):
        record_paper_entries(village=village, transcribed_by=admin, entries=[line])
    assert not Entry.objects.filter(resident=newcomer).exists()


def test_withdrawn_consent_stops_scoring_again(client, newcomer, head, scorer, deed):
    client.force_login(head)
    client.post(reverse("villages:resident_consent", args=[newcomer.pk]), {"given": "yes", "given_on": "2025-06-10"})
    newcomer.refresh_from_db()
    assert (newcomer.consent_given_on, newcomer.consent_recorded_by) == (date(2025, 6, 10), head)
    record_entry(
        scorer=scorer, resident=newcomer, item=deed, occurred_on=date(2025, 6, 16), idempotency_key=uuid.uuid4()
    )

    client.post(reverse("villages:resident_consent", args=[newcomer.pk]), {"given": "no"})
    newcomer.refresh_from_db()
    assert not newcomer.has_consented
    with pytest.raises(ValidationError) as error:
        record_entry(
            scorer=scorer, resident=newcomer, item=deed, occurred_on=date(2025, 6, 16), idempotency_key=uuid.uuid4()
        )
    assert error.value.code == "no_consent"
    assert Entry.objects.filter(resident=newcomer).count() == 1, "the ledger is kept"


def test_consent_changes_are_audited_with_who_and_when(newcomer, village, admin):
    record_consent(resident=newcomer, given_on=date(2025, 6, 1), recorded_by=admin)
    withdraw_consent(resident=newcomer, recorded_by=admin)
    events = list(AuditEvent.objects.filter(village=village, action__startswith="consent.").order_by("at", "pk"))
    assert [(e.action, e.actor) for e in events] == [("consent.record", admin), ("consent.withdraw", admin)]
    assert events[0].after["consent_given_on"] == "2025-06-01"
    assert events[1].before["consent_recorded_by"] == admin.pk


def test_consent_cannot_be_dated_in_the_future(client, newcomer, head):
    client.force_login(head)
    response = client.post(
        reverse("villages:resident_consent", args=[newcomer.pk]), {"given": "yes", "given_on": "2025-07-01"}
    )
    assert response.status_code == 400
    assert "Consent cannot be dated in the future." in response.content.decode()


def test_a_scorer_cannot_record_consent(client, newcomer, scorer):
    client.force_login(scorer)
    response = client.post(
        reverse("villages:resident_consent", args=[newcomer.pk]), {"given": "yes", "given_on": "2025-06-10"}
    )
    assert response.status_code == 404
    newcomer.refresh_from_db()
    assert not newcomer.has_consented
