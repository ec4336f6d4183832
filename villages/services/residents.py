"""The register of residents: add, correct, move between households, status and consent. Every
change is written with its audit event in the same transaction."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.access import OFFICE, has_role
from villages.audit import record_audit, snapshot
from villages.models import Household, Resident, Village
from villages.services.checks import check_office

CONSENT_FIELDS = ["consent_given_on", "consent_recorded_by"]
RESIDENT_FIELDS = ["name", "household", "phone", "born_on", "status"]


@transaction.atomic
def record_consent(*, resident: Resident, given_on: date, recorded_by: AbstractBaseUser) -> Resident:
    """Record that the resident agreed to be scored. Only the village's head or administrators may."""
    if not has_role(recorded_by, resident.village_id, *OFFICE):
        raise ValidationError(_("Only the village head or an administrator can record consent."), code="not_allowed")
    if given_on > resident.village.today():
        raise ValidationError(_("Consent cannot be dated in the future."), code="future_date")
    return _set_consent(resident=resident, given_on=given_on, actor=recorded_by, action="consent.record")


@transaction.atomic
def withdraw_consent(*, resident: Resident, recorded_by: AbstractBaseUser) -> Resident:
    """From now on nobody can score the resident; their ledger is kept as it is."""
    if not has_role(recorded_by, resident.village_id, *OFFICE):
        raise ValidationError(_("Only the village head or an administrator can withdraw consent."), code="not_allowed")
    return _set_consent(resident=resident, given_on=None, actor=recorded_by, action="consent.withdraw")


def _set_consent(*, resident: Resident, given_on: date | None, actor: AbstractBaseUser, action: str) -> Resident:
    """Consent given on `given_on` and recorded by `actor`, or withdrawn (None); audited as `action`."""
    before = snapshot(resident, fields=CONSENT_FIELDS)
    resident.consent_given_on = given_on
    resident.consent_recorded_by = actor if given_on is not None else None
    resident.save(update_fields=["consent_given_on", "consent_recorded_by"])
    after = snapshot(resident, fields=CONSENT_FIELDS)
    _audit_resident(resident, action=action, actor=actor, before=before, after=after)
    return resident


def _resident_label(resident: Resident) -> str:
    return f"{resident.name} #{resident.pk}"


def _audit_resident(
    resident: Resident, *, action: str, actor: AbstractBaseUser, before: dict | None = None, after: dict | None = None
) -> None:
    record_audit(
        action=action,
        actor=actor,
        village=resident.village,
        target=_resident_label(resident),
        before=before,
        after=after,
    )


def _household(*, village: Village, number: str, address: str = "") -> Household:
    """The village's household with this number, created if new; a given address replaces the old one."""
    number = number.strip()
    household, created = Household.objects.get_or_create(
        village=village, number=number, defaults={"address": address.strip()}
    )
    if not created and address.strip() and household.address != address.strip():
        household.address = address.strip()
        household.save(update_fields=["address"])
    return household


# --- The register of residents -------------------------------------------------------------------


@transaction.atomic
def create_resident(
    *,
    village: Village,
    actor: AbstractBaseUser,
    name: str,
    household_number: str,
    address: str = "",
    phone: str = "",
    born_on: date | None = None,
) -> Resident:
    """Add a resident to a household (created if the number is new). They cannot be scored until
    their consent is recorded."""
    check_office(actor, village)
    household = _household(village=village, number=household_number, address=address)
    resident = Resident.objects.create(
        village=village, household=household, name=name.strip(), phone=phone.strip(), born_on=born_on
    )
    _audit_resident(resident, action="resident.create", actor=actor, after=snapshot(resident, fields=RESIDENT_FIELDS))
    return resident


@transaction.atomic
def update_resident(
    *, resident: Resident, actor: AbstractBaseUser, name: str, phone: str = "", born_on: date | None = None
) -> Resident:
    """Correct a resident's name, phone or date of birth. Their ledger is untouched."""
    check_office(actor, resident.village_id)
    before = snapshot(resident, fields=RESIDENT_FIELDS)
    resident.name, resident.phone, resident.born_on = name.strip(), phone.strip(), born_on
    resident.save(update_fields=["name", "name_pinyin", "name_initials", "phone", "born_on"])
    after = snapshot(resident, fields=RESIDENT_FIELDS)
    if after != before:
        _audit_resident(resident, action="resident.update", actor=actor, before=before, after=after)
    return resident


@transaction.atomic
def move_resident(*, resident: Resident, actor: AbstractBaseUser, household_number: str, address: str = "") -> Resident:
    """Move a resident to another household of the village (created if the number is new)."""
    check_office(actor, resident.village_id)
    before = snapshot(resident, fields=["household"])
    household = _household(village=resident.village, number=household_number, address=address)
    resident.household = household
    resident.save(update_fields=["household"])
    _audit_resident(
        resident,
        action="resident.move",
        actor=actor,
        before=before,
        after={"household": household.pk, "number": household.number},
    )
    return resident


@transaction.atomic
def _set_status(*, resident: Resident, actor: AbstractBaseUser, status: Resident.Status) -> Resident:
    check_office(actor, resident.village_id)
    if resident.status == status:
        return resident
    before = {"status": resident.status}
    resident.status = status
    resident.save(update_fields=["status"])
    _audit_resident(resident, action="resident.status", actor=actor, before=before, after={"status": status})
    return resident


def mark_moved_away(*, resident: Resident, actor: AbstractBaseUser) -> Resident:
    """The resident left the village: their ledger is kept, nobody can score them any more."""
    return _set_status(resident=resident, actor=actor, status=Resident.Status.MOVED_AWAY)


def mark_deceased(*, resident: Resident, actor: AbstractBaseUser) -> Resident:
    """The resident died: their ledger is kept, nobody can score them any more."""
    return _set_status(resident=resident, actor=actor, status=Resident.Status.DECEASED)


def mark_living_here(*, resident: Resident, actor: AbstractBaseUser) -> Resident:
    """Undo a mistake, or a resident who came back: they can be scored again (given consent)."""
    return _set_status(resident=resident, actor=actor, status=Resident.Status.ACTIVE)
