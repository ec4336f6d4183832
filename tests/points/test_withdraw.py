"""A scorer withdraws their own entry within SCORER_WITHDRAW_MINUTES, as a reversal with a reason."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from points.models import Entry
from points.services import record_entry, withdraw_entry
from points.standing import compute_standing


@pytest.fixture
def entry(clock, scorer, resident, deed):
    return record_entry(
        scorer=scorer, resident=resident, item=deed, occurred_on=resident.village.today(), idempotency_key=uuid.uuid4()
    )


def test_it_withdraws_within_the_window_as_a_reversal_with_the_reason(entry, scorer, clock):
    clock.shift(timedelta(minutes=9))
    reversal = withdraw_entry(entry=entry, scorer=scorer, reason="记错了人")
    assert (reversal.reverses, reversal.reason, reversal.recorded_by) == (entry, "记错了人", scorer)
    assert compute_standing(resident=entry.resident).balance == 1000


def test_it_refuses_after_the_window(entry, scorer, clock):
    clock.shift(timedelta(minutes=10, seconds=1))
    with pytest.raises(ValidationError) as refusal:
        withdraw_entry(entry=entry, scorer=scorer, reason="记错了人")
    assert refusal.value.code == "too_late"
    assert not Entry.objects.filter(reverses=entry).exists()


def test_the_window_comes_from_the_settings(entry, scorer, clock, settings):
    settings.SCORER_WITHDRAW_MINUTES = 30
    clock.shift(timedelta(minutes=25))
    assert withdraw_entry(entry=entry, scorer=scorer, reason="记错了人").reverses == entry


def test_it_needs_a_reason(entry, scorer):
    with pytest.raises(ValidationError) as refusal:
        withdraw_entry(entry=entry, scorer=scorer, reason="  ")
    assert refusal.value.code == "reason_required"


def test_only_the_scorer_who_recorded_it_may_withdraw(entry, other_scorer, head):
    for someone in (other_scorer, head):
        with pytest.raises(ValidationError) as refusal:
            withdraw_entry(entry=entry, scorer=someone, reason="不对")
        assert refusal.value.code == "not_allowed"
    assert not Entry.objects.filter(reverses=entry).exists()


def test_it_withdraws_once(entry, scorer):
    withdraw_entry(entry=entry, scorer=scorer, reason="记错了人")
    with pytest.raises(ValidationError) as refusal:
        withdraw_entry(entry=entry, scorer=scorer, reason="记错了人")
    assert refusal.value.code == "already_reversed"


# --- Through the screens --------------------------------------------------------------------


def test_the_confirmation_offers_one_undo_only_within_the_window(client, entry, scorer, clock):
    client.force_login(scorer)
    done = reverse("points:record_done", args=[entry.pk])
    page = client.get(done).content.decode()
    assert page.count('class="danger big undo-button"') == 1
    assert "Withdraw this entry" not in page  # the Undo button, not a second withdraw panel
    clock.shift(timedelta(minutes=11))
    assert "undo-button" not in client.get(done).content.decode()


def test_the_withdraw_form_records_the_reversal_and_returns(client, entry, scorer):
    client.force_login(scorer)
    done = reverse("points:record_done", args=[entry.pk])
    response = client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": "记错了人", "next": done})
    assert response["Location"] == done
    page = client.get(done).content.decode()
    assert "The entry was withdrawn" in page
    assert "Withdrawn" in page and "记错了人" in page
    assert Entry.objects.get(reverses=entry).reason == "记错了人"


def test_a_second_tap_on_withdraw_is_harmless(client, entry, scorer):
    client.force_login(scorer)
    url = reverse("points:withdraw", args=[entry.pk])
    client.post(url, {"reason": "记错了人"})
    assert client.post(url, {"reason": "记错了人"}).status_code == 302
    assert Entry.objects.filter(reverses=entry).count() == 1


def test_the_withdraw_form_needs_a_reason(client, entry, scorer):
    client.force_login(scorer)
    response = client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "Say why you are withdrawing" in response.content.decode()
    assert not Entry.objects.filter(reverses=entry).exists()


def test_the_withdraw_form_refuses_after_the_window(client, entry, scorer, clock):
    client.force_login(scorer)
    clock.shift(timedelta(minutes=11))
    response = client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": "记错了人"})
    assert "can be withdrawn for 10 minutes" in response.content.decode()
    assert not Entry.objects.filter(reverses=entry).exists()


def test_my_entries_offers_withdraw_within_the_window(client, entry, scorer, clock):
    client.force_login(scorer)
    assert "Withdraw this entry" in client.get(reverse("points:my_entries")).content.decode()
    clock.shift(timedelta(minutes=11))
    assert "Withdraw this entry" not in client.get(reverse("points:my_entries")).content.decode()


@pytest.mark.parametrize("who", ["other_scorer", "head", "outsider_scorer"])
def test_nobody_else_reaches_the_withdraw_form(client, request, entry, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": "不对"})
    assert response.status_code in (403, 404)
    assert not Entry.objects.filter(reverses=entry).exists()


def test_a_resident_cannot_withdraw(client, entry, resident):
    client.force_login(resident.user)
    assert client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": "不对"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, entry):
    response = client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": "不对"})
    assert response["Location"].startswith(reverse("login"))
