"""Benefits by grade: which a grade gives on a day, and offering or ending one.

One rule, in one place: a benefit offered from grade G is given to G and every higher grade of the
scale in force on the day, and never to the lowest grade of that scale. So a higher grade never
lacks a benefit a lower grade has, and the lowest grade has none rather than a loss. Read by the
standing page, the certificate and /verify/ (points) and managed from the store's pages.
"""

from datetime import date, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from villages.access import OFFICE, has_role
from villages.audit import record_audit
from villages.grades import Band, bands_on
from villages.models import Benefit, Village
from villages.terms import revise_terms


def benefits_for(
    *, village: Village, grade: str, on: date, bands: list[Band] | None = None, offered: list[Benefit] | None = None
) -> list[Benefit]:
    """The benefits `grade` gives in `village` on `on`, oldest offer first. Two queries, or one when
    the caller passes the scale in force on `on` (`bands`, highest first), none when it also passes
    the benefits the village offers that day (`offered`, villages.terms.kept_benefits)."""
    bands = bands_on(village=village, on=on) if bands is None else bands
    grades = [band.grade for band in bands]
    if grade not in grades or grades.index(grade) == len(grades) - 1:
        return []  # unknown grade, or the lowest: no benefit, never a penalty
    rank = grades.index(grade)
    reachable = set(grades[rank:-1])  # this grade and the lower ones that still give benefits
    if offered is None:
        offered = Benefit.objects.filter(village=village).on(on)
    return [b for b in offered if b.grade in reachable]


def benefit_grades(bands: list[Band]) -> list[str]:
    """The grades a benefit may be offered from: every grade of the scale but the lowest."""
    return [band.grade for band in bands[:-1]]


@transaction.atomic
def offer_benefit(
    *,
    village: Village,
    grade: str,
    text: str,
    provider: str,
    starts_on: date,
    ends_on: date | None = None,
    author: AbstractBaseUser,
) -> Benefit:
    """Offer a benefit from `grade` up. Only the village head or an administrator may; the grade must
    be one of the scale in force on `starts_on` and not its lowest."""
    _check_office(author, village)
    if grade not in benefit_grades(bands_on(village=village, on=starts_on)):
        raise ValidationError(
            _("A benefit is a reward for a good grade: choose a grade above the lowest one."), code="lowest_grade"
        )
    if ends_on is not None and ends_on <= starts_on:
        raise ValidationError(_("The end date must come after the start date."), code="ends_before_start")
    benefit = Benefit.objects.create(
        village=village,
        grade=grade,
        text=text.strip(),
        provider=provider.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=author,
    )
    revise_terms(village)
    record_audit(
        action="benefit.offer",
        actor=author,
        village=village,
        target=str(benefit),
        after={"grade": grade, "provider": benefit.provider, "starts_on": starts_on.isoformat()},
    )
    return benefit


@transaction.atomic
def end_benefit(*, benefit: Benefit, author: AbstractBaseUser) -> Benefit:
    """Stop offering the benefit from tomorrow (village time). Certificates printed before keep it."""
    _check_office(author, benefit.village)
    ends_on = max(benefit.village.today(), benefit.starts_on) + timedelta(days=1)
    if benefit.ends_on is not None and benefit.ends_on <= ends_on:
        return benefit
    benefit.ends_on = ends_on
    benefit.save(update_fields=["ends_on"])
    revise_terms(benefit.village)
    record_audit(
        action="benefit.end",
        actor=author,
        village=benefit.village,
        target=str(benefit),
        after={"ends_on": str(ends_on)},
    )
    return benefit


def _check_office(author: AbstractBaseUser, village: Village) -> None:
    if not has_role(author, village, *OFFICE):
        raise ValidationError(_("Only the village head or an administrator can change benefits."), code="not_allowed")
