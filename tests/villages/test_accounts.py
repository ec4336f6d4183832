"""Accounts and roles: administrators create logins, give and take roles, reset passwords and
deactivate, within their village; everything audited."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import MembershipFactory
from villages.models import AuditEvent, Membership
from villages.services import create_account, deactivate_account, reset_password, revoke_role


def test_the_administrator_creates_a_scorer_and_sees_the_first_password_once(client, village, admin):
    client.force_login(admin)
    response = client.post(
        reverse("villages:account_add"), {"full_name": "孙立新", "username": "sunlixin", "role": "scorer"}
    )
    password = response.context["password"]
    user = get_user_model().objects.get(username="sunlixin")
    assert user.check_password(password) and len(password) >= 10
    assert Membership.objects.filter(user=user, village=village, role="scorer").exists()
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(action="account.create")
    assert event.actor == admin and password not in str(event.after)


def test_a_residents_login_is_linked_to_their_record(client, village, admin, other_resident):
    other_resident.user = None
    other_resident.save()
    client.force_login(admin)
    client.post(
        reverse("villages:account_add"),
        {"full_name": "王芳", "username": "wangfang", "role": "resident", "resident": other_resident.pk},
    )
    other_resident.refresh_from_db()
    assert other_resident.user.username == "wangfang"


def test_a_taken_user_name_is_refused(client, admin, scorer):
    client.force_login(admin)
    response = client.post(reverse("villages:account_add"), {"full_name": "x", "username": "SCORER", "role": "scorer"})
    assert "is taken" in response.content.decode()


def test_roles_are_given_and_taken_with_an_audit(client, village, admin, scorer):
    client.force_login(admin)
    client.post(reverse("villages:account_roles", args=[scorer.pk]), {"role": "head", "action": "grant"})
    assert Membership.objects.filter(user=scorer, village=village, role="head").exists()
    client.post(reverse("villages:account_roles", args=[scorer.pk]), {"role": "head", "action": "revoke"})
    assert not Membership.objects.filter(user=scorer, village=village, role="head").exists()
    roles = AuditEvent.objects.filter(action__startswith="role.").order_by("at", "pk")
    assert [e.action for e in roles] == ["role.grant", "role.revoke"]


def test_the_last_administrator_cannot_be_removed(village, admin):
    with pytest.raises(ValidationError) as error:
        revoke_role(user=admin, village=village, role=Membership.Role.ADMIN, actor=admin)
    assert error.value.code == "last_admin"


def test_a_password_reset_signs_the_person_out_and_is_audited(client, village, admin, scorer):
    other = client.__class__()
    other.force_login(scorer)
    client.force_login(admin)
    response = client.post(reverse("villages:account_password", args=[scorer.pk]))
    scorer.refresh_from_db()
    assert scorer.check_password(response.context["password"])
    assert other.get(reverse("office:home")).status_code == 302, "the old session ended"
    assert AuditEvent.objects.filter(action="account.password_reset", actor=admin).exists()


def test_an_administrator_cannot_reset_the_password_of_someone_who_acts_in_another_village(
    village, other_village, admin, scorer
):
    MembershipFactory(user=scorer, village=other_village, role=Membership.Role.HEAD)
    with pytest.raises(ValidationError) as error:
        reset_password(user=scorer, village=village, actor=admin)
    assert error.value.code == "other_village"


def test_deactivating_ends_the_roles_here_and_the_login_when_none_is_left(village, other_village, admin, scorer, head):
    MembershipFactory(user=head, village=other_village, role=Membership.Role.HEAD)
    deactivate_account(user=scorer, village=village, actor=admin)
    deactivate_account(user=head, village=village, actor=admin)
    scorer.refresh_from_db()
    head.refresh_from_db()
    assert not scorer.is_active and not scorer.memberships.exists()
    assert head.is_active, "still the head of the other village"
    assert list(head.memberships.values_list("village", flat=True)) == [other_village.pk]


def test_giving_a_role_to_an_existing_account_from_another_village(
    client, village, other_village, admin, outsider_head
):
    client.force_login(admin)
    client.post(reverse("villages:accounts"), {"username": "outsider_head", "role": "scorer"})
    assert set(outsider_head.memberships.values_list("village", flat=True)) == {village.pk, other_village.pk}


def test_only_administrators_manage_accounts(client, village, admin, head, scorer, resident):
    for user, status in [(admin, 200), (head, 403), (scorer, 403), (resident.user, 403)]:
        client.force_login(user)
        assert client.get(reverse("villages:accounts")).status_code == status
        assert client.get(reverse("villages:account_add")).status_code == status
    for user in (head, scorer):
        client.force_login(user)
        assert client.post(reverse("villages:account_password", args=[scorer.pk])).status_code in (403, 404)


def test_create_account_refuses_a_non_administrator(village, head):
    with pytest.raises(ValidationError):
        create_account(village=village, actor=head, username="x1", full_name="x", role=Membership.Role.SCORER)


def test_the_resident_role_goes_only_to_a_login_linked_to_a_resident_record(village, admin, scorer):
    from villages.services import grant_role

    with pytest.raises(ValidationError) as refused:
        grant_role(user=scorer, village=village, role=Membership.Role.RESIDENT, actor=admin)
    assert refused.value.code == "resident_required"
    assert not Membership.objects.filter(user=scorer, role=Membership.Role.RESIDENT).exists()
