"""Grades from a village's bands."""

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Subquery
from django.utils.translation import gettext_lazy as _

from villages.models import GradeBand, Village


class Band(NamedTuple):
    grade: str
    min_points: int | None  # None: the lowest band, open below


# Dongdao Lu Jia as reported: start at 1,000 (A); one lost point drops A to B.
DONGDAO_LU_JIA_BANDS = [Band("A+", 1030), Band("A", 1000), Band("B", 960), Band("C", 850), Band("D", None)]
# Rongcheng city as widely reported: AAA ≥ 1050, AA 1030–1049, A 960–1029, B 850–959, C 600–849, D below 600.
RONGCHENG_BANDS = [
    Band("AAA", 1050),
    Band("AA", 1030),
    Band("A", 960),
    Band("B", 850),
    Band("C", 600),
    Band("D", None),
]
# The presets an administrator can start a scale from: key → (label, bands).
PRESETS = {
    "dongdao-lu-jia": (_("Dongdao Lu Jia as reported"), DONGDAO_LU_JIA_BANDS),
    "rongcheng": (_("Rongcheng city as widely reported"), RONGCHENG_BANDS),
}


def bands_on(*, village: Village, on: date) -> list[Band]:
    """The village's scale in force on `on`, highest band first. One query."""
    latest = (
        GradeBand.objects.filter(village=village, effective_from__lte=on)
        .order_by("-effective_from")
        .values("effective_from")[:1]
    )
    rows = GradeBand.objects.filter(village=village, effective_from=Subquery(latest))
    return _highest_first([Band(row.grade, row.min_points) for row in rows])


Scales = list[tuple[date, list[Band]]]


def scale_history(*, village_id: int) -> Scales:
    """Every grade scale the village has had, latest first, each highest band first. One query;
    pick the scale in force on a day with scale_on."""
    by_day: dict[date, list[Band]] = defaultdict(list)
    for row in GradeBand.objects.filter(village_id=village_id):
        by_day[row.effective_from].append(Band(row.grade, row.min_points))
    return [(day, _highest_first(bands)) for day, bands in sorted(by_day.items(), reverse=True)]


def scale_on(scales: Scales, on: date) -> list[Band]:
    """The scale of scale_history in force on `on` (none before the first)."""
    return next((bands for day, bands in scales if day <= on), [])


def _highest_first(bands: list[Band]) -> list[Band]:
    return sorted(bands, key=lambda band: -band.min_points if band.min_points is not None else float("inf"))


def grade_for(balance: Decimal, bands: list[Band]) -> str:
    """The grade whose band holds `balance`; bands are ordered highest first."""
    for band in bands:
        if band.min_points is None or balance >= band.min_points:
            return band.grade
    return bands[-1].grade if bands else ""
