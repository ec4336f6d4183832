"""Denied accesses are audited in the acting village and shown to administrators with the other
security events (a filter on the audit page); allowed requests write nothing."""

from django.urls import reverse

from villages.models import AuditEvent
from villages.security import ACCESS_DENIED


def test_a_refused_page_is_audited(client, village, scorer):
    client.force_login(scorer)
    assert client.get(reverse("points:appeal_queue")).status_code == 403
    event = AuditEvent.objects.get(action=ACCESS_DENIED)
    assert (event.village, event.actor, event.target) == (village, scorer, "GET " + reverse("points:appeal_queue"))
    assert event.after == {"status": 403}


def test_an_object_outside_the_users_role_is_audited(client, resident, other_resident):
    client.force_login(resident.user)
    url = reverse("points:resident_standing", args=[other_resident.pk])
    assert client.get(url).status_code == 404
    assert AuditEvent.objects.get(action=ACCESS_DENIED).after == {"status": 404}


def test_allowed_requests_write_no_audit(client, resident):
    client.force_login(resident.user)
    assert client.get(reverse("points:standing")).status_code == 200
    assert not AuditEvent.objects.filter(action=ACCESS_DENIED).exists()


def test_administrators_see_security_events_on_the_audit_page(client, village, admin, scorer):
    client.force_login(scorer)
    client.get(reverse("points:appeal_queue"))
    client.force_login(admin)
    page = client.get(reverse("office:audit") + "?kind=security").content.decode()
    assert "Access refused" in page
    assert "GET " + reverse("points:appeal_queue") in page


def test_a_probe_writes_a_handful_of_rows_counting_its_refusals(client, village, scorer, clock):
    client.force_login(scorer)
    for _attempt in range(120):
        assert client.get(reverse("points:appeal_queue")).status_code == 403
    events = AuditEvent.objects.filter(action=ACCESS_DENIED).order_by("pk")
    assert [event.after.get("refused_this_minute", 1) for event in events] == [1, 10, 100]


def test_a_path_with_nul_is_audited_without_it(client, scorer):
    client.force_login(scorer)
    assert client.get("/office/residents/export.a%00b").status_code in (403, 404)
    assert "\x00" not in AuditEvent.objects.get(action=ACCESS_DENIED).target
