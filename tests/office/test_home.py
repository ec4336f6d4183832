from datetime import timedelta

from django.urls import reverse

from points.services import file_appeal
from tests.factories import MembershipFactory, record
from villages.models import Membership


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get(reverse("office:home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_lands_residents_on_their_standing(client, resident):
    client.force_login(resident.user)
    response = client.get(reverse("office:home"))
    assert response.status_code == 302
    assert response.url == reverse("points:standing")


def test_it_tells_a_user_without_a_role_to_ask_the_office(client, db, django_user_model):
    client.force_login(django_user_model.objects.create(username="nobody"))
    response = client.get(reverse("office:home"))
    assert b"No village yet" in response.content


def test_a_user_with_roles_in_two_villages_chooses_where_to_act(client, head, village, other_village):
    MembershipFactory(user=head, village=other_village, role=Membership.Role.HEAD)
    client.force_login(head)
    assert client.get(reverse("office:home")).context["acting"].village == village
    client.post(reverse("villages:switch"), {"village": other_village.pk, "next": "/"})
    assert client.get(reverse("office:home")).context["acting"].village == other_village


def test_nobody_can_switch_into_a_village_where_they_hold_no_role(client, head, village, other_village):
    client.force_login(head)
    client.post(reverse("villages:switch"), {"village": other_village.pk})
    assert client.get(reverse("office:home")).context["acting"].village == village


def test_switching_village_needs_a_post(client, head):
    client.force_login(head)
    assert client.get(reverse("villages:switch")).status_code == 405


def test_the_page_speaks_chinese_by_default(client, head, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(head)
    assert "村民积分" in client.get(reverse("office:home")).content.decode()


def test_the_health_check_reports_each_dependency(client, db):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "cache": "ok", "broker": "eager"}


def test_the_head_sees_how_many_appeals_wait_and_how_many_are_overdue(
    client, head, resident, other_resident, scorer, infraction, clock, settings
):
    settings.APPEAL_DEADLINE_DAYS = 10
    first = record(scorer=scorer, resident=resident, item=infraction)
    file_appeal(entry=first, resident_user=resident.user, reason="那天我不在家")
    clock.shift(timedelta(days=11))
    second = record(scorer=scorer, resident=other_resident, item=infraction)
    file_appeal(entry=second, resident_user=other_resident.user, reason="记错人了")
    client.force_login(head)
    page = client.get(reverse("office:home")).content.decode()
    assert "2 waiting" in page and "1 past the deadline" in page
