"""record_paper_entries, the transcription of a paper ledger: all lines or none, each checked like a
live recording. Every refusal writes nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from handbook.models import Item
from points.models import Entry
from points.services import PaperEntry, record_paper_entries
from tests.factories import ResidentFactory, make_item, refused
from villages.services import withdraw_consent


def _line(resident, item, scorer, *, days_ago: int = 10) -> PaperEntry:
    village = resident.village
    return PaperEntry(resident, item, village.today() - timedelta(days=days_ago), scorer, timezone.now())


def test_it_writes_every_line_of_a_good_page(clock, village, admin, scorer, resident, other_resident, deed):
    lines = [_line(resident, deed, scorer), _line(other_resident, deed, scorer, days_ago=5)]
    assert record_paper_entries(village=village, transcribed_by=admin, entries=lines) == 2
    assert Entry.objects.count() == 2


@pytest.mark.parametrize("who", ["head", "scorer", "outsider_admin"])
def test_it_refuses_anyone_but_an_administrator_of_the_village(request, clock, village, scorer, resident, deed, who):
    user = request.getfixturevalue(who)
    error = refused(
        lambda: record_paper_entries(village=village, transcribed_by=user, entries=[_line(resident, deed, scorer)])
    )
    assert error.code == "not_allowed"


def test_it_refuses_a_page_with_a_resident_who_withdrew_consent(clock, village, admin, head, scorer, resident, deed):
    withdraw_consent(resident=resident, recorded_by=head)
    good = _line(ResidentFactory(village=village), deed, scorer)
    error = refused(
        lambda: record_paper_entries(
            village=village, transcribed_by=admin, entries=[good, _line(resident, deed, scorer)]
        )
    )
    assert (error.code, error.params) == ("bad_line", {"line": 2})


def test_it_refuses_a_page_over_an_items_cap(clock, village, admin, scorer, resident, capped_deed):
    lines = [_line(resident, capped_deed, scorer, days_ago=0) for _ in range(3)]  # the cap is 2 a month
    error = refused(lambda: record_paper_entries(village=village, transcribed_by=admin, entries=lines))
    assert (error.code, error.params) == ("cap_reached", {"line": 3})


@pytest.mark.parametrize("problem", ["future", "foreign_resident", "not_a_scorer"])
def test_it_refuses_a_line_that_no_live_recording_would_accept(
    clock, village, admin, head, scorer, resident, deed, outsider_scorer, problem
):
    line = {
        "future": _line(resident, deed, scorer, days_ago=-1),
        "foreign_resident": _line(ResidentFactory(), deed, scorer),
        "not_a_scorer": _line(resident, deed, head),
    }[problem]
    error = refused(lambda: record_paper_entries(village=village, transcribed_by=admin, entries=[line]))
    assert error.code == "bad_line"


def test_it_refuses_a_deduction_whose_warning_is_not_on_the_page_nor_recorded(
    clock, village, admin, scorer, resident, page
):
    littering = make_item(page, code="2.1", title="乱扔垃圾", kind=Item.Kind.INFRACTION, points=2, warning_days=30)
    warning = make_item(
        page, code="2.0", title="乱扔垃圾：提醒", kind=Item.Kind.WARNING, points=0, warning_days=30, warns_for="2.1"
    )
    too_early = _line(resident, warning, scorer, days_ago=50)  # 40 days before the deduction: too long ago
    deduction = _line(resident, littering, scorer, days_ago=10)
    error = refused(lambda: record_paper_entries(village=village, transcribed_by=admin, entries=[too_early, deduction]))
    assert (error.code, error.params) == ("warning_required", {"line": 2})
    assert not Entry.objects.exists()

    # The warning on the same page, in time (listed after the deduction: the order of lines does not matter).
    in_time = _line(resident, warning, scorer, days_ago=20)
    assert record_paper_entries(village=village, transcribed_by=admin, entries=[deduction, in_time]) == 2
