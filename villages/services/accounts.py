"""Accounts and roles: logins for scorers, residents and heads, roles given and taken, passwords
reset, accounts deactivated. Each change is written with its audit event in the same transaction."""

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.audit import record_audit
from villages.models import Membership, Resident, Village
from villages.security import unlock_sign_in
from villages.services.checks import check_admin


@transaction.atomic
def grant_role(
    *, user: AbstractBaseUser, village: Village, role: Membership.Role, actor: AbstractBaseUser | None = None
) -> Membership:
    """Give `user` a role in `village` (nothing happens if they hold it already).

    With an `actor` (the office, not the demo loader) the actor must be the village's
    administrator; a deactivated account granted a role is active again. The resident role goes only
    to the login linked to a resident record of the village."""
    if actor is not None:
        check_admin(actor, village)
    if role == Membership.Role.RESIDENT and not Resident.objects.filter(user=user, village=village).exists():
        raise ValidationError(
            _("A resident's login is linked to their record: create it from the resident."), code="resident_required"
        )
    membership, created = Membership.objects.get_or_create(user=user, village=village, role=role)
    if created:
        record_audit(
            action="role.grant", actor=actor, village=village, target=user.get_username(), after={"role": role}
        )
    if actor is not None and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        record_audit(action="account.reactivate", actor=actor, village=village, target=user.get_username())
    return membership


PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied from paper


def generate_password() -> str:
    """A new password to hand over on paper: three groups of four, e.g. k7mp-3hxa-q9tw."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(4)) for _g in range(3))


def _check_may_manage(actor: AbstractBaseUser, user: AbstractBaseUser, village: Village) -> None:
    """An administrator manages an account only if every village it holds a role in is one they
    administer too: otherwise an administrator of one village could take over another's head."""
    check_admin(actor, village)
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot do this to your own account."), code="own_account")
    if (user.is_superuser or user.is_staff) and not actor.is_superuser:
        raise ValidationError(
            _("This is a site administrator's account; only a site administrator can change it."), code="not_allowed"
        )
    theirs = set(Membership.objects.filter(user=user).values_list("village_id", flat=True))
    mine = set(Membership.objects.filter(user=actor, role=Membership.Role.ADMIN).values_list("village_id", flat=True))
    if not theirs <= mine:
        raise ValidationError(
            _("This person also holds a role in another village; ask that village's administrator."),
            code="other_village",
        )


@transaction.atomic
def create_account(
    *,
    village: Village,
    actor: AbstractBaseUser,
    username: str,
    full_name: str,
    role: Membership.Role,
    resident: Resident | None = None,
    email: str = "",
) -> tuple[AbstractBaseUser, str]:
    """A new login with a role in `village`, and its first password (shown once, to be handed over
    on paper and changed at the first sign-in). A resident's login is linked to their record."""
    check_admin(actor, village)
    User = get_user_model()
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(
            _("The user name “%(username)s” is taken. Choose another, or give a role to the existing account."),
            code="username_taken",
            params={"username": username},
        )
    if role == Membership.Role.RESIDENT:
        if resident is None or resident.village_id != village.pk:
            raise ValidationError(_("Choose the resident this login belongs to."), code="resident_required")
        if resident.user_id is not None:
            raise ValidationError(_("%(name)s already has a login."), code="has_login", params={"name": resident.name})
    password = generate_password()
    user = User.objects.create_user(
        username=username, password=password, email=email.strip(), first_name=full_name.strip()
    )
    Membership.objects.create(user=user, village=village, role=role)
    if role == Membership.Role.RESIDENT:
        resident.user = user
        resident.save(update_fields=["user"])
    record_audit(
        action="account.create",
        actor=actor,
        village=village,
        target=username,
        after={"full_name": full_name, "role": role, "resident": resident.pk if resident else None},
    )
    return user, password


@transaction.atomic
def revoke_role(*, user: AbstractBaseUser, village: Village, role: Membership.Role, actor: AbstractBaseUser) -> None:
    """Take a role away. The village always keeps at least one administrator."""
    check_admin(actor, village)
    membership = Membership.objects.filter(user=user, village=village, role=role).first()
    if membership is None:
        return
    if role == Membership.Role.ADMIN and Membership.objects.filter(village=village, role=role).count() <= 1:
        raise ValidationError(_("The village needs at least one administrator."), code="last_admin")
    membership.delete()
    record_audit(action="role.revoke", actor=actor, village=village, target=user.get_username(), before={"role": role})


@transaction.atomic
def deactivate_account(*, user: AbstractBaseUser, village: Village, actor: AbstractBaseUser) -> None:
    """End every role the user holds in `village`; with no role left anywhere, they can no longer
    sign in. Their entries, appeals and resident record are kept."""
    check_admin(actor, village)
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot do this to your own account."), code="own_account")
    roles = list(Membership.objects.filter(user=user, village=village).values_list("role", flat=True))
    if Membership.Role.ADMIN in roles and Membership.objects.filter(village=village, role="admin").count() <= 1:
        raise ValidationError(_("The village needs at least one administrator."), code="last_admin")
    Membership.objects.filter(user=user, village=village).delete()
    still_elsewhere = Membership.objects.filter(user=user).exists()
    if not still_elsewhere and user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    record_audit(
        action="account.deactivate",
        actor=actor,
        village=village,
        target=user.get_username(),
        before={"roles": roles},
        after={"is_active": user.is_active},
    )


def reset_password(*, user: AbstractBaseUser, village: Village, actor: AbstractBaseUser) -> str:
    """Give the user a new password (returned once, to hand over), sign them out everywhere and lift
    any sign-in lock-out of their user name, so that the new password works at once from any device."""
    with transaction.atomic():
        _check_may_manage(actor, user, village)
        password = generate_password()
        user.set_password(password)  # changes the session hash: every existing session ends
        user.save(update_fields=["password"])
        record_audit(action="account.password_reset", actor=actor, village=village, target=user.get_username())
    unlock_sign_in(username=user.get_username())
    return password
