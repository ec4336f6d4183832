"""villages.grades: a village's scale of grades, and which grade a balance falls in."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories import LONG_AGO
from villages.grades import DONGDAO_LU_JIA_BANDS, Band, bands_on, grade_for
from villages.models import GradeBand
from villages.services import create_village


@pytest.mark.parametrize(
    ("balance", "grade"),
    [
        ("1030", "A+"),
        ("1029.5", "A"),
        ("1000", "A"),
        ("999.5", "B"),
        ("960", "B"),
        ("959.5", "C"),
        ("850", "C"),
        ("849.5", "D"),
        ("0", "D"),
        ("-20", "D"),
    ],
)
def test_it_puts_a_balance_in_the_dongdao_lu_jia_band(balance, grade):
    assert grade_for(Decimal(balance), DONGDAO_LU_JIA_BANDS) == grade


def test_it_reads_the_bands_highest_first(village):
    assert bands_on(village=village, on=date(2025, 6, 16)) == DONGDAO_LU_JIA_BANDS


def test_it_has_no_bands_before_the_first_scale(village):
    assert bands_on(village=village, on=LONG_AGO - timedelta(days=1)) == []


def test_it_applies_a_new_scale_from_its_effective_date_only(village):
    from_2026 = date(2026, 1, 1)
    GradeBand.objects.bulk_create(
        GradeBand(village=village, effective_from=from_2026, grade=grade, min_points=low)
        for grade, low in [("优", 1050), ("良", 1000), ("中", 900), ("差", None)]
    )

    before = bands_on(village=village, on=from_2026 - timedelta(days=1))
    after = bands_on(village=village, on=from_2026)

    assert before == DONGDAO_LU_JIA_BANDS
    assert after == [Band("优", 1050), Band("良", 1000), Band("中", 900), Band("差", None)]
    assert grade_for(Decimal("1040"), before) == "A+"
    assert grade_for(Decimal("1040"), after) == "良"
    assert bands_on(village=village, on=date(2030, 1, 1)) == after


def test_it_keeps_each_villages_scale_apart(village, other_village):
    GradeBand.objects.bulk_create(
        [
            GradeBand(village=other_village, effective_from=date(2025, 1, 1), grade="好", min_points=0),
            GradeBand(village=other_village, effective_from=date(2025, 1, 1), grade="差", min_points=None),
        ]
    )

    assert bands_on(village=village, on=date(2025, 6, 1)) == DONGDAO_LU_JIA_BANDS


def test_it_creates_a_village_with_the_dongdao_lu_jia_scale(db):
    village = create_village(name="东岛刘家村", code="DDLJX", bands_from=date(2025, 1, 1))

    assert bands_on(village=village, on=date(2025, 1, 1)) == DONGDAO_LU_JIA_BANDS
    assert village.starting_capital == 1000
