"""Domain operations on villages, residents and roles."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.grades import DONGDAO_LU_JIA_BANDS, Band
from villages.models import GradeBand, Membership, Resident, Village


@transaction.atomic
def create_village(
    *,
    name: str,
    code: str,
    seal_text: str = "",
    starting_capital: int = 1000,
    bands_from: date,
    bands: list[Band] = DONGDAO_LU_JIA_BANDS,
) -> Village:
    village = Village.objects.create(name=name, code=code, seal_text=seal_text, starting_capital=starting_capital)
    GradeBand.objects.bulk_create(
        GradeBand(village=village, effective_from=bands_from, grade=band.grade, min_points=band.min_points)
        for band in bands
    )
    return village


def grant_role(*, user: AbstractBaseUser, village: Village, role: Membership.Role) -> Membership:
    membership, _created = Membership.objects.get_or_create(user=user, village=village, role=role)
    return membership


def has_role(user: AbstractBaseUser, village: Village | int, *roles: Membership.Role) -> bool:
    village_id = village if isinstance(village, int) else village.pk
    return Membership.objects.filter(user=user, village_id=village_id, role__in=roles).exists()


@transaction.atomic
def record_consent(*, resident: Resident, given_on: date, recorded_by: AbstractBaseUser) -> Resident:
    """Record that the resident agreed to be scored. Only the village's head or administrators may."""
    if not has_role(recorded_by, resident.village_id, Membership.Role.HEAD, Membership.Role.ADMIN):
        raise ValidationError(_("Only the village head or an administrator can record consent."), code="not_allowed")
    if given_on > resident.village.today():
        raise ValidationError(_("Consent cannot be dated in the future."), code="future_date")
    resident.consent_given_on = given_on
    resident.consent_recorded_by = recorded_by
    resident.save(update_fields=["consent_given_on", "consent_recorded_by"])
    return resident


@transaction.atomic
def withdraw_consent(*, resident: Resident, recorded_by: AbstractBaseUser) -> Resident:
    """From now on nobody can score the resident; their ledger is kept as it is."""
    if not has_role(recorded_by, resident.village_id, Membership.Role.HEAD, Membership.Role.ADMIN):
        raise ValidationError(_("Only the village head or an administrator can withdraw consent."), code="not_allowed")
    resident.consent_given_on = None
    resident.consent_recorded_by = None
    resident.save(update_fields=["consent_given_on", "consent_recorded_by"])
    return resident
