"""The audit trail page: the acting village's events, newest first, paginated, read-only."""

from decimal import Decimal

import pytest
from django.urls import reverse

from handbook.services import start_draft, update_item
from villages.audit import record_audit

pytestmark = pytest.mark.django_db


def test_it_shows_who_changed_what_before_and_after(client, admin, village, deed):
    draft = start_draft(village=village, admin=admin)
    update_item(item=draft.items.get(code="1.1"), admin=admin, points=Decimal("2"))
    client.force_login(admin)
    html = client.get(reverse("office:audit")).content.decode()
    assert "Changed an item" in html and "Started a draft edition" in html
    assert html.index("Changed an item") < html.index("Started a draft edition")  # newest first
    assert "<td>1.0</td><td>2.0</td>" in html.replace("\n", "")


def test_it_shows_only_the_acting_villages_events(client, admin, village, other_village, outsider_admin):
    record_audit(action="role.grant", actor=outsider_admin, village=other_village, target="秘密")
    client.force_login(admin)
    assert "秘密" not in client.get(reverse("office:audit")).content.decode()


def test_it_pages_through_many_events_with_constant_queries(client, admin, village, django_assert_max_num_queries):
    client.force_login(admin)
    for n in range(3):
        record_audit(action="role.grant", actor=admin, village=village, target=f"user{n}")
    with django_assert_max_num_queries(8):
        assert client.get(reverse("office:audit")).status_code == 200
    for n in range(60):
        record_audit(action="role.grant", actor=admin, village=village, target=f"user{n}")
    with django_assert_max_num_queries(8):
        html = client.get(reverse("office:audit") + "?page=2").content.decode()
    assert "Page 2 of 3" in html


def test_it_offers_nothing_to_change(client, admin, village):
    record_audit(action="role.grant", actor=admin, village=village, target="x")
    client.force_login(admin)
    html = client.get(reverse("office:audit")).content.decode()
    assert "<form" not in html.split('id="main"')[1].split("</main>")[0]
    assert client.post(reverse("office:audit")).status_code == 405


@pytest.mark.parametrize("persona", ["head", "scorer"])
def test_it_is_for_administrators_only(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("office:audit")).status_code == 403
