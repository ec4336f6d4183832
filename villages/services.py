"""Domain operations on villages, residents and roles. Every change to the register of residents,
consent, accounts and roles is written with its audit event in the same transaction."""

import secrets
from dataclasses import asdict, dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.access import OFFICE, has_role
from villages.audit import record_audit, snapshot
from villages.grades import DONGDAO_LU_JIA_BANDS, Band, bands_on
from villages.importing import ImportRow, plan_import
from villages.models import GradeBand, Household, Membership, Resident, Village
from villages.pinyin import pinyin_keys

CONSENT_FIELDS = ["consent_given_on", "consent_recorded_by"]
RESIDENT_FIELDS = ["name", "household", "phone", "born_on", "status"]


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


@transaction.atomic
def grant_role(
    *, user: AbstractBaseUser, village: Village, role: Membership.Role, actor: AbstractBaseUser | None = None
) -> Membership:
    """Give `user` a role in `village` (nothing happens if they hold it already).

    With an `actor` (the office, not the demo loader) the actor must be the village's
    administrator; a deactivated account granted a role is active again."""
    if actor is not None:
        _check_admin(actor, village)
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


def _check_office(actor: AbstractBaseUser, village: Village | int) -> None:
    if not has_role(actor, village, *OFFICE):
        raise ValidationError(
            _("Only the village head or an administrator can change the register of residents."), code="not_allowed"
        )


def _check_admin(actor: AbstractBaseUser, village: Village | int) -> None:
    if not has_role(actor, village, Membership.Role.ADMIN):
        raise ValidationError(_("Only an administrator of the village can manage accounts."), code="not_allowed")


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
    _check_office(actor, village)
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
    _check_office(actor, resident.village_id)
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
    _check_office(actor, resident.village_id)
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
    _check_office(actor, resident.village_id)
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


# --- Grade bands and starting capital ----------------------------------------------------------

MAX_BANDS = 10
MAX_STARTING_CAPITAL = 100_000


def _check_scale_admin(actor: AbstractBaseUser, village: Village) -> None:
    if not has_role(actor, village, Membership.Role.ADMIN):
        raise ValidationError(
            _("Only an administrator of the village can change its grades and starting capital."), code="not_allowed"
        )


def check_bands(bands: list[Band]) -> None:
    """A scale is valid when its grades are named and distinct, its lower bounds strictly fall from
    the top band down (so the bands neither overlap nor leave gaps), and exactly one band, the
    last, is open below. Raises ValidationError naming the first problem found."""
    if not 2 <= len(bands) <= MAX_BANDS:
        raise ValidationError(_("A scale needs between 2 and %(max)d grades.") % {"max": MAX_BANDS}, code="band_count")
    grades = [band.grade.strip() for band in bands]
    if any(not grade for grade in grades):
        raise ValidationError(_("Every band needs a grade, such as A or B."), code="band_grade")
    if any(len(grade) > 8 for grade in grades):
        raise ValidationError(_("A grade is at most 8 characters long."), code="band_grade")
    duplicates = sorted({grade for grade in grades if grades.count(grade) > 1})
    if duplicates:
        raise ValidationError(
            _("Grade %(grade)s appears twice; each grade appears once.") % {"grade": duplicates[0]},
            code="band_duplicate",
        )
    open_bands = [band for band in bands if band.min_points is None]
    if len(open_bands) != 1 or bands[-1].min_points is not None:
        raise ValidationError(
            _("Exactly one grade, the lowest and last, has no lower bound: it holds every balance below the others."),
            code="band_open",
        )
    bounds = [band.min_points for band in bands[:-1]]
    for higher, lower, band in zip(bounds, bounds[1:], bands[1:], strict=False):
        if lower >= higher:
            raise ValidationError(
                _("The lower bound of %(grade)s (%(lower)d) must be below the one of the grade above it (%(higher)d).")
                % {"grade": band.grade, "lower": lower, "higher": higher},
                code="band_order",
            )


@transaction.atomic
def set_grade_bands(
    *, village: Village, admin: AbstractBaseUser, bands: list[Band], effective_from: date
) -> list[GradeBand]:
    """A new scale for the village from `effective_from` on (today or later: a standing already
    shown is never regraded). Bands are given highest first, the last open below. A scale that
    already starts on that date is replaced. Standings on or after the date use it, because
    villages.grades.bands_on picks the scale with the latest effective date."""
    _check_scale_admin(admin, village)
    bands = [Band(band.grade.strip(), band.min_points) for band in bands]
    check_bands(bands)
    if effective_from < village.today():
        raise ValidationError(_("A new scale cannot take effect in the past."), code="past_date")
    before = bands_on(village=village, on=effective_from)
    GradeBand.objects.filter(village=village, effective_from=effective_from).delete()
    rows = GradeBand.objects.bulk_create(
        GradeBand(village=village, effective_from=effective_from, grade=band.grade, min_points=band.min_points)
        for band in bands
    )
    record_audit(
        action="grades.set",
        actor=admin,
        village=village,
        target=str(effective_from),
        before={"bands": [list(band) for band in before]},
        after={"effective_from": str(effective_from), "bands": [list(band) for band in bands]},
    )
    return rows


@transaction.atomic
def set_starting_capital(*, village: Village, admin: AbstractBaseUser, amount: int) -> Village:
    """Change the points every resident starts from. Every balance moves by the difference at once."""
    _check_scale_admin(admin, village)
    if not 0 < amount <= MAX_STARTING_CAPITAL:
        raise ValidationError(
            _("The starting capital must be between 1 and %(max)d points.") % {"max": MAX_STARTING_CAPITAL},
            code="capital_range",
        )
    village = Village.objects.select_for_update().get(pk=village.pk)
    before = village.starting_capital
    if before == amount:
        return village
    village.starting_capital = amount
    village.save(update_fields=["starting_capital"])
    record_audit(
        action="village.starting_capital",
        actor=admin,
        village=village,
        target=village.name,
        before={"starting_capital": before},
        after={"starting_capital": amount},
    )
    return village


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    households_created: int
    consents: int


def import_residents(
    *, village: Village, actor: AbstractBaseUser, rows: list[ImportRow], source: str = ""
) -> ImportResult:
    """Write checked rows (villages.importing.read_rows) into the register: all of them in one
    transaction, or nothing. Re-plans inside the transaction, so a file imported twice, or by two
    people at once, adds each resident once. One audit event sums the import up.

    A constant number of queries for the new rows (bulk inserts); one more per updated resident.
    """
    _check_office(actor, village)
    with transaction.atomic():
        plan = plan_import(village=village, rows=rows)
        Household.objects.bulk_create(
            Household(village=village, number=number, address=plan.household_addresses.get(number, ""))
            for number in plan.new_households
        )
        households = {h.number: h for h in Household.objects.filter(village=village)}
        for number, address in plan.household_addresses.items():
            household = households[number]
            if household.address != address:
                household.address = address
                household.save(update_fields=["address"])
        new = []
        for planned in plan.rows:
            row = planned.row
            consent = (
                {"consent_given_on": row.consent_given_on, "consent_recorded_by": actor}
                if (planned.records_consent)
                else {}
            )
            if planned.action == "new":
                full, initials = pinyin_keys(row.name)
                new.append(
                    Resident(
                        village=village,
                        household=households[row.household_number],
                        name=row.name,
                        name_pinyin=full,
                        name_initials=initials,
                        phone=row.phone,
                        born_on=row.born_on,
                        **consent,
                    )
                )
            elif planned.action == "update":
                resident = planned.resident
                if "phone" in planned.changes:
                    resident.phone = row.phone
                for name, value in consent.items():
                    setattr(resident, name, value)
                resident.save(update_fields=["phone", *consent])
        # Bulk: Resident.save (which fills the pinyin keys) is not called, so they are set above.
        Resident.objects.bulk_create(new)
        result = ImportResult(
            created=plan.new,
            updated=plan.updated,
            unchanged=plan.same,
            households_created=len(plan.new_households),
            consents=plan.consents,
        )
        record_audit(action="resident.import", actor=actor, village=village, target=source, after=asdict(result))
    return result


# --- Accounts and roles ------------------------------------------------------------------------

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud or copied from paper


def generate_password() -> str:
    """A new password to hand over on paper: three groups of four, e.g. k7mp-3hxa-q9tw."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _i in range(4)) for _g in range(3))


def _check_may_manage(actor: AbstractBaseUser, user: AbstractBaseUser, village: Village) -> None:
    """An administrator manages an account only if every village it holds a role in is one they
    administer too: otherwise an administrator of one village could take over another's head."""
    _check_admin(actor, village)
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
    _check_admin(actor, village)
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
    _check_admin(actor, village)
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
    _check_admin(actor, village)
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


@transaction.atomic
def reset_password(*, user: AbstractBaseUser, village: Village, actor: AbstractBaseUser) -> str:
    """Give the user a new password (returned once, to hand over) and sign them out everywhere."""
    _check_may_manage(actor, user, village)
    password = generate_password()
    user.set_password(password)  # changes the session hash: every existing session ends
    user.save(update_fields=["password"])
    record_audit(action="account.password_reset", actor=actor, village=village, target=user.get_username())
    return password
