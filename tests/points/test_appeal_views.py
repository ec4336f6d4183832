from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from points.models import Appeal, Entry, Notification
from points.services import file_appeal
from points.standing import compute_standing
from tests.factories import record


@pytest.fixture
def entry(resident, scorer, infraction):
    return record(scorer=scorer, resident=resident, item=infraction)


def test_it_files_an_appeal_and_returns_to_the_ledger(client, resident, entry):
    client.force_login(resident.user)
    url = reverse("points:appeal_entry", args=[entry.pk])
    assert "Why is this entry wrong?" in client.get(url).content.decode()
    response = client.post(url, {"reason": "My chickens were locked in"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('points:ledger')}#entry-{entry.pk}"
    appeal = Appeal.objects.get()
    assert (appeal.entry, appeal.status, appeal.reason) == (entry, "open", "My chickens were locked in")


def test_it_asks_for_a_reason(client, resident, entry):
    client.force_login(resident.user)
    response = client.post(reverse("points:appeal_entry", args=[entry.pk]), {"reason": "  "})
    assert response.status_code == 200
    assert "Say why the entry is wrong" in response.content.decode()
    assert not Appeal.objects.exists()


def test_it_refuses_a_second_open_appeal(client, resident, entry):
    file_appeal(entry=entry, resident_user=resident.user, reason="first")
    client.force_login(resident.user)
    response = client.post(reverse("points:appeal_entry", args=[entry.pk]), {"reason": "again"})
    assert "This entry already has an open appeal." in response.content.decode()
    assert Appeal.objects.count() == 1


def test_it_refuses_an_appeal_after_the_window(client, resident, entry, settings):
    settings.APPEAL_WINDOW_DAYS = 30
    with time_machine.travel(entry.recorded_at + timedelta(days=31)):
        client.force_login(resident.user)
        response = client.post(reverse("points:appeal_entry", args=[entry.pk]), {"reason": "late"})
    assert "Entries can be appealed for 30 days" in response.content.decode()
    assert not Appeal.objects.exists()


def test_the_queue_lists_open_appeals_oldest_first_and_flags_overdue_ones(
    client, head, resident, scorer, deed, settings
):
    settings.APPEAL_DEADLINE_DAYS = 10
    first = record(scorer=scorer, resident=resident, item=deed)
    second = record(scorer=scorer, resident=resident, item=deed)
    with time_machine.travel(timezone.now() - timedelta(days=12)):
        old = file_appeal(entry=first, resident_user=resident.user, reason="old")
    new = file_appeal(entry=second, resident_user=resident.user, reason="new")
    client.force_login(head)
    response = client.get(reverse("points:appeal_queue"))
    rows = response.context["waiting"]
    assert [row["appeal"] for row in rows] == [old, new]
    assert [(row["age"], row["overdue"]) for row in rows] == [(12, True), (0, False)]
    html = response.content.decode()
    assert "filed 12 days ago" in html
    assert html.count("past the deadline") == 1


def test_the_head_upholds_an_appeal_and_the_resident_is_notified(
    client, head, resident, entry, django_capture_on_commit_callbacks
):
    resident.user.email = "liwei@example.cn"
    resident.user.save()
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="Not mine")
    client.force_login(head)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("points:appeal_decide", args=[appeal.pk]), {"decision": "uphold", "reason": "Neighbour's chickens"}
        )
    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == "upheld"
    assert Entry.objects.get(reverses=entry).reason == "Neighbour's chickens"
    assert compute_standing(resident=resident).balance == 1000
    notification = Notification.objects.get()
    assert (notification.user, notification.appeal, notification.read_at) == (resident.user, appeal, None)
    assert notification.emailed_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["liwei@example.cn"]
    assert "upheld" in mail.outbox[0].subject
    assert "Neighbour's chickens" in mail.outbox[0].body


def test_the_head_rejects_an_appeal_with_a_reason(client, head, resident, entry, django_capture_on_commit_callbacks):
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="Not mine")
    client.force_login(head)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("points:appeal_decide", args=[appeal.pk]), {"decision": "reject", "reason": "Seen twice"})
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_reason) == ("rejected", "Seen twice")
    assert not Entry.objects.filter(reverses=entry).exists()
    assert Notification.objects.filter(user=resident.user).count() == 1
    assert mail.outbox == []  # the resident's login has no e-mail address


def test_a_decision_needs_a_reason(client, head, resident, entry):
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="Not mine")
    client.force_login(head)
    response = client.post(reverse("points:appeal_decide", args=[appeal.pk]), {"decision": "uphold", "reason": ""})
    assert response.status_code == 200
    assert "Write the reason for your decision" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.status == "open"


def test_a_decided_appeal_cannot_be_decided_again(client, head, resident, entry):
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="Not mine")
    client.force_login(head)
    client.post(reverse("points:appeal_decide", args=[appeal.pk]), {"decision": "reject", "reason": "No"})
    response = client.post(reverse("points:appeal_decide", args=[appeal.pk]), {"decision": "uphold", "reason": "Yes"})
    assert response.status_code == 200
    assert "This appeal has already been decided." in response.content.decode()
    assert not Entry.objects.filter(reverses=entry).exists()


def test_the_email_task_sends_once_even_if_run_twice(head, resident, entry, django_capture_on_commit_callbacks):
    from points.services import decide_appeal
    from points.tasks import email_appeal_decision

    resident.user.email = "liwei@example.cn"
    resident.user.save()
    appeal = file_appeal(entry=entry, resident_user=resident.user, reason="Not mine")
    with django_capture_on_commit_callbacks(execute=True):
        decide_appeal(appeal=appeal, head=head, upheld=False, reason="No")
    email_appeal_decision(Notification.objects.get().pk)
    email_appeal_decision(999999)  # gone: returns quietly
    assert len(mail.outbox) == 1
