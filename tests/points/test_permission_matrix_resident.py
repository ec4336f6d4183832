"""Who gets what from every URL of the standing, ledger, appeal, statement and handbook features.

Personas: anonymous; resident A (`resident`, owner of the ledger under test); resident B
(`other_resident`); the scorer, head and administrator of village X; the head of village Y.
Lists without an object answer 403 to a role that has no business there; URLs naming an object
answer 404 to anyone who may not see it, so nobody learns what exists (A never sees B's anything).
"""

import pytest
from django.urls import reverse

from points.models import Appeal, Entry
from points.services import file_appeal
from tests.factories import record

PERSONAS = ["anonymous", "resident", "other_resident", "scorer", "head", "admin", "outsider_head"]

# url name -> (method, expected status per persona, in PERSONAS order)
MATRIX = {
    "standing": ("get", [302, 200, 200, 404, 404, 404, 404]),
    "ledger": ("get", [302, 200, 200, 404, 404, 404, 404]),
    "appeal_entry": ("get", [302, 200, 404, 404, 404, 404, 404]),
    "appeal_entry_post": ("post", [302, 302, 404, 404, 404, 404, 404]),
    "appeal_queue": ("get", [302, 403, 403, 403, 200, 200, 200]),
    # The administrator sees the appeal but decides only when every head has a conflict.
    "appeal_decide": ("get", [302, 404, 404, 404, 200, 200, 404]),
    "appeal_decide_post": ("post", [302, 404, 404, 404, 302, 403, 404]),
    "resident_list": ("get", [302, 403, 403, 403, 200, 200, 200]),
    "resident_standing": ("get", [302, 404, 404, 404, 200, 200, 404]),
    "resident_ledger": ("get", [302, 404, 404, 404, 200, 200, 404]),
    "statement": ("get", [302, 404, 404, 404, 200, 200, 404]),
    "handbook_index": ("get", [302, 200, 200, 200, 200, 200, 200]),
    "handbook_page": ("get", [302, 200, 200, 200, 200, 200, 404]),
    "handbook_item": ("get", [302, 200, 200, 200, 200, 200, 404]),
}

CASES = [
    (name, persona, status)
    for name, (_method, row) in MATRIX.items()
    for persona, status in zip(PERSONAS, row, strict=True)
]


@pytest.fixture
def world(resident, other_resident, scorer, head, admin, outsider_head, edition, page, infraction):
    """A's ledger holds an entry under appeal and one free to appeal."""
    appealed = record(scorer=scorer, resident=resident, item=infraction)
    free = record(scorer=scorer, resident=resident, item=infraction)
    record(scorer=scorer, resident=other_resident, item=infraction)
    appeal = file_appeal(entry=appealed, resident_user=resident.user, reason="Not mine")
    return {"resident": resident, "free": free, "appeal": appeal, "edition": edition, "page": page, "item": infraction}


def _url(name: str, world) -> str:
    a = world["resident"].pk
    return {
        "standing": reverse("points:standing"),
        "ledger": reverse("points:ledger"),
        "appeal_entry": reverse("points:appeal_entry", args=[world["free"].pk]),
        "appeal_entry_post": reverse("points:appeal_entry", args=[world["free"].pk]),
        "appeal_queue": reverse("points:appeal_queue"),
        "appeal_decide": reverse("points:appeal_decide", args=[world["appeal"].pk]),
        "appeal_decide_post": reverse("points:appeal_decide", args=[world["appeal"].pk]),
        "resident_list": reverse("points:resident_list"),
        "resident_standing": reverse("points:resident_standing", args=[a]),
        "resident_ledger": reverse("points:resident_ledger", args=[a]),
        "statement": reverse("points:statement", args=[a]),
        "handbook_index": reverse("handbook:index"),
        "handbook_page": reverse("handbook:page", args=[world["edition"].pk, world["page"].number]),
        "handbook_item": reverse("handbook:item", args=[world["item"].pk]),
    }[name]


POST_DATA = {
    "appeal_entry_post": {"reason": "I was away that day"},
    "appeal_decide_post": {"decision": "uphold", "reason": "Checked with the witness"},
}


@pytest.mark.parametrize(("name", "persona", "expected"), CASES, ids=[f"{n}-{p}" for n, p, _s in CASES])
def test_each_persona_gets_exactly_the_expected_response(client, request, world, name, persona, expected):
    if persona != "anonymous":
        user = request.getfixturevalue(persona)
        client.force_login(getattr(user, "user", user))  # residents are Resident rows with a login
    method, _row = MATRIX[name]
    url = _url(name, world)
    response = client.post(url, POST_DATA[name]) if method == "post" else client.get(url)
    assert response.status_code == expected
    if expected == 302 and persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


def test_refused_writes_write_nothing(client, other_resident, scorer, admin, outsider_head, world):
    for user in (other_resident.user, scorer, admin, outsider_head):
        client.force_login(user)
        client.post(_url("appeal_entry_post", world), POST_DATA["appeal_entry_post"])
        client.post(_url("appeal_decide_post", world), POST_DATA["appeal_decide_post"])
    assert Appeal.objects.filter(entry=world["free"]).count() == 0
    assert Appeal.objects.get(pk=world["appeal"].pk).status == "open"
    assert not Entry.objects.filter(reverses__isnull=False).exists()


def test_resident_b_sees_nothing_of_as_ledger(client, other_resident, world):
    client.force_login(other_resident.user)
    for name in ("standing", "ledger"):
        html = client.get(_url(name, world)).content.decode()
        assert world["resident"].name not in html
        assert f"entry-{world['free'].pk}" not in html
    assert client.get(reverse("points:appeal_entry", args=[world["appeal"].entry_id])).status_code == 404


def test_the_head_of_another_village_sees_none_of_its_appeals_or_residents(client, outsider_head, world):
    client.force_login(outsider_head)
    assert client.get(reverse("points:appeal_queue")).context["waiting"] == []
    assert world["resident"].name not in client.get(reverse("points:resident_list")).content.decode()
    assert client.get(reverse("handbook:index")).context["edition"] is None


def test_the_home_page_offers_the_head_the_queue_and_the_residents(client, head, village):
    client.force_login(head)
    html = client.get(reverse("office:home")).content.decode()
    assert reverse("points:appeal_queue") in html
    assert reverse("points:resident_list") in html
