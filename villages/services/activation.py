"""Logins for many residents at once, each with a one-time activation code printed on paper; the
resident sets their own password with it (villages.views.activation)."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model, password_validation
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from villages import cards
from villages.audit import record_audit
from villages.models import ActivationCode, Membership, Resident, Village
from villages.services.checks import check_admin

ACTIVATION_DAYS = 30
CODE_LENGTH = 12


@dataclass(frozen=True)
class NewLogin:
    """A login just created, with its activation code in clear: it exists only to be printed."""

    resident: Resident
    username: str
    code: str

    @property
    def code_display(self) -> str:
        return "-".join(self.code[i : i + 4] for i in range(0, len(self.code), 4))


def create_resident_logins(*, village: Village, residents: list[Resident], actor: AbstractBaseUser) -> list[NewLogin]:
    """A login (user name `<village code><resident id>`, no password yet) and a one-time activation
    code for every resident given, all in one transaction, or none: if any of them cannot have one
    (moved away, no consent, already has a login, another village), nothing is created and the error
    names them all."""
    check_admin(actor, village)
    refused = [
        r.name
        for r in residents
        if r.village_id != village.pk or r.status != Resident.Status.ACTIVE or not r.has_consented or r.user_id
    ]
    if refused:
        raise ValidationError(
            _("No logins were created: %(names)s cannot have one (moved away, no consent or a login already)."),
            code="not_all",
            params={"names": "、".join(refused)},
        )
    if not residents:
        raise ValidationError(_("Tick the residents who get a login first."), code="empty")
    User = get_user_model()
    made = []
    expires = timezone.now() + timedelta(days=ACTIVATION_DAYS)
    with transaction.atomic():
        for resident in residents:
            username = f"{village.code.lower()}{resident.pk}"
            if User.objects.filter(username__iexact=username).exists():
                raise ValidationError(
                    _("The user name “%(username)s” is taken; no logins were created."),
                    code="username_taken",
                    params={"username": username},
                )
            user = User.objects.create_user(username=username, password=None, first_name=resident.name)
            Membership.objects.create(user=user, village=village, role=Membership.Role.RESIDENT)
            Resident.objects.filter(pk=resident.pk).update(user=user)
            code = "".join(secrets.choice(cards.ALPHABET) for _ in range(CODE_LENGTH))
            ActivationCode.objects.create(user=user, code_hash=cards.code_hash(code), expires_at=expires)
            made.append(NewLogin(resident=resident, username=username, code=code))
        record_audit(
            action="account.create_many",
            actor=actor,
            village=village,
            target=str(len(made)),
            after={"residents": [r.pk for r in residents]},
        )
    return made


def activate_login(*, request: HttpRequest, username: str, code: str, password: str) -> AbstractBaseUser:
    """Set the password of a login with its activation code, once. Wrong codes are counted per
    address and per user name like card codes (CardLocked after ten in a row)."""
    keys = [f"activate-address:{cards.get_client_ip_address(request) or 'unknown'}", f"activate:{username.lower()}"]
    now = timezone.now()
    cards.check_not_locked(keys, now=now)
    normalised = cards.normalise_code(code)
    user = get_user_model().objects.filter(username__iexact=username.strip(), is_active=True).first()
    found = None
    if user is not None:
        for candidate in ActivationCode.objects.filter(user=user, used_at__isnull=True, expires_at__gt=now):
            if cards.code_matches(candidate.code_hash, normalised):
                found = candidate
    if found is None:
        if cards.count_failure(keys, now=now):
            raise cards.CardLocked
        raise ValidationError(_("This user name and code do not match, or the code was used or expired."), code="bad")
    password_validation.validate_password(password, user)
    with transaction.atomic():
        if not ActivationCode.objects.filter(pk=found.pk, used_at__isnull=True).update(used_at=now):
            raise ValidationError(_("This code was used already."), code="used")
        user.set_password(password)
        user.save(update_fields=["password"])
        resident = Resident.objects.select_related("village").filter(user=user).first()
        village = resident.village if resident else None
        record_audit(action="account.activate", actor=user, village=village, target=user.get_username())
    return user
