"""A village, its grade bands and its starting capital."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.access import has_role
from villages.audit import record_audit
from villages.grades import DONGDAO_LU_JIA_BANDS, Band, bands_on
from villages.models import GradeBand, Membership, Village
from villages.terms import revise_terms


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


MAX_BANDS = 10
MAX_STARTING_CAPITAL = 100_000
MAX_BOUND = 10_000_000  # a grade's lower bound, either way: far beyond any balance, well inside the column


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
    revise_terms(village)
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
