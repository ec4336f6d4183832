"""Grade bands and starting capital: validated, audited, applied to standings from their date."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from villages.grades import DONGDAO_LU_JIA_BANDS, RONGCHENG_BANDS, Band, bands_on, grade_for
from villages.models import AuditEvent, GradeBand
from villages.services import set_grade_bands, set_starting_capital

pytestmark = pytest.mark.django_db


def test_the_rongcheng_preset_is_the_widely_reported_scale():
    balances = [1050, 1049, 1030, 1029, 960, 959, 850, 849, 600, 599]
    grades = ["AAA", "AA", "AA", "A", "A", "B", "B", "C", "C", "D"]
    assert [grade_for(balance, RONGCHENG_BANDS) for balance in balances] == grades


def test_a_new_scale_applies_to_standings_from_its_date(village, admin, clock):
    today = village.today()
    later = today + timedelta(days=10)
    set_grade_bands(village=village, admin=admin, bands=RONGCHENG_BANDS, effective_from=later)
    assert bands_on(village=village, on=today) == DONGDAO_LU_JIA_BANDS
    assert bands_on(village=village, on=later) == RONGCHENG_BANDS
    assert grade_for(1000, bands_on(village=village, on=today)) == "A"
    assert grade_for(1000, bands_on(village=village, on=later)) == "A"
    assert grade_for(1040, bands_on(village=village, on=later)) == "AA"
    event = AuditEvent.objects.get(action="grades.set")
    assert event.actor == admin
    assert event.before["bands"][0] == ["A+", 1030] and event.after["bands"][0] == ["AAA", 1050]


def test_setting_a_scale_twice_on_the_same_day_replaces_it(village, admin, clock):
    set_grade_bands(village=village, admin=admin, bands=RONGCHENG_BANDS, effective_from=village.today())
    set_grade_bands(village=village, admin=admin, bands=DONGDAO_LU_JIA_BANDS, effective_from=village.today())
    assert GradeBand.objects.filter(village=village, effective_from=village.today()).count() == 5


@pytest.mark.parametrize(
    ("bands", "code"),
    [
        ([Band("A", 1000), Band("B", 1000), Band("C", None)], "band_order"),  # overlapping
        ([Band("A", 900), Band("B", 1000), Band("C", None)], "band_order"),  # out of order
        ([Band("A", 1000), Band("B", 900)], "band_open"),  # nothing below 900
        ([Band("A", None), Band("B", None)], "band_open"),  # two open bands
        ([Band("A", None), Band("B", 900)], "band_open"),  # the open band is not the lowest
        ([Band("A", 1000), Band("A", None)], "band_duplicate"),
        ([Band("", 1000), Band("B", None)], "band_grade"),
        ([Band("A", None)], "band_count"),
    ],
)
def test_it_refuses_a_scale_that_is_not_ordered_and_closed(village, admin, bands, code):
    with pytest.raises(ValidationError) as error:
        set_grade_bands(village=village, admin=admin, bands=bands, effective_from=village.today())
    assert error.value.code == code
    assert bands_on(village=village, on=village.today()) == DONGDAO_LU_JIA_BANDS
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_scale_in_the_past_and_a_non_administrator(village, admin, head):
    with pytest.raises(ValidationError):
        set_grade_bands(
            village=village, admin=admin, bands=RONGCHENG_BANDS, effective_from=village.today() - timedelta(days=1)
        )
    with pytest.raises(ValidationError):
        set_grade_bands(village=village, admin=head, bands=RONGCHENG_BANDS, effective_from=village.today())


def test_it_changes_the_starting_capital_with_an_audit_event(village, admin):
    set_starting_capital(village=village, admin=admin, amount=1200)
    village.refresh_from_db()
    assert village.starting_capital == 1200
    event = AuditEvent.objects.get(action="village.starting_capital")
    assert (event.before, event.after) == ({"starting_capital": 1000}, {"starting_capital": 1200})
    with pytest.raises(ValidationError):
        set_starting_capital(village=village, admin=admin, amount=0)


# --- The grades page ---------------------------------------------------------------------------


def _post(bands, on):
    data = {"band-TOTAL_FORMS": "8", "band-INITIAL_FORMS": "0", "effective_from": on.isoformat()}
    for index in range(8):
        band = bands[index] if index < len(bands) else Band("", None)
        data[f"band-{index}-grade"] = band.grade
        data[f"band-{index}-min_points"] = "" if band.min_points is None else str(band.min_points)
    return data


def test_the_grades_page_fills_in_a_preset(client, admin, village):
    client.force_login(admin)
    html = client.get(reverse("office:grades") + "?preset=rongcheng").content.decode()
    assert 'value="AAA"' in html and 'value="1050"' in html


def test_the_grades_page_saves_a_preset(client, admin, village, clock):
    client.force_login(admin)
    response = client.post(reverse("office:grades"), _post(RONGCHENG_BANDS, village.today()))
    assert response.status_code == 302
    assert bands_on(village=village, on=village.today()) == RONGCHENG_BANDS


def test_the_grades_page_says_what_is_wrong(client, admin, village, clock):
    client.force_login(admin)
    bands = [Band("A", 1000), Band("B", 1100), Band("C", None)]
    response = client.post(reverse("office:grades"), _post(bands, village.today()))
    assert response.status_code == 400
    assert "must be below the one of the grade above it" in response.content.decode()
    assert bands_on(village=village, on=village.today()) == DONGDAO_LU_JIA_BANDS


def test_the_grades_page_changes_the_starting_capital(client, admin, village):
    client.force_login(admin)
    client.post(reverse("office:capital"), {"starting_capital": "900"})
    village.refresh_from_db()
    assert village.starting_capital == 900
