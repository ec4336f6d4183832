"""points.services.reverse_entry: corrections are reversing entries, never edits."""

from datetime import timedelta

import pytest

from points.models import Entry
from points.services import reverse_entry
from points.standing import compute_standing
from tests.factories import make_item, record, refused
from villages.models import AppendOnlyError


def test_it_stops_counting_a_reversed_entry_from_the_day_of_reversal(clock, resident, scorer, head, infraction):
    recorded_on = resident.village.today()
    entry = record(scorer=scorer, resident=resident, item=infraction)
    clock.shift(timedelta(days=5))
    reversed_on = resident.village.today()

    reversal = reverse_entry(entry=entry, author=head, reason="认错了人")

    assert compute_standing(resident=resident).balance == 1000
    # History is kept: before the reversal, the deduction counted.
    assert compute_standing(resident=resident, on=reversed_on - timedelta(days=1)).balance == 990
    assert compute_standing(resident=resident, on=recorded_on).balance == 990
    assert (reversal.points_halves, reversal.counts_from, reversal.reverses) == (20, reversed_on, entry)
    assert (reversal.recorded_by, reversal.reason) == (head, "认错了人")
    assert not compute_standing(resident=resident).entries.exists()


def test_it_keeps_the_original_entry_as_it_was(clock, resident, scorer, head, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)

    reverse_entry(entry=entry, author=head, reason="认错了人")

    entry.refresh_from_db()
    assert (entry.points_halves, entry.fine_yuan, entry.item_id) == (-20, 200, infraction.pk)
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(points_halves=0)


def test_it_lets_an_administrator_reverse(clock, resident, scorer, admin, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)

    reverse_entry(entry=entry, author=admin, reason="重复登记")

    assert compute_standing(resident=resident).balance == 1000


def test_it_requires_a_reason(clock, resident, scorer, head, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)

    assert refused(lambda: reverse_entry(entry=entry, author=head, reason="   ")).code == "reason_required"
    assert compute_standing(resident=resident).balance == 1001


def test_it_refuses_to_reverse_an_entry_twice(clock, resident, scorer, head, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)
    reverse_entry(entry=entry, author=head, reason="重复登记")

    error = refused(lambda: reverse_entry(entry=entry, author=head, reason="再来一次"))

    assert error.code == "already_reversed"
    assert compute_standing(resident=resident).balance == 1000


def test_it_refuses_to_reverse_a_reversal(clock, resident, scorer, head, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)
    reversal = reverse_entry(entry=entry, author=head, reason="重复登记")

    assert refused(lambda: reverse_entry(entry=reversal, author=head, reason="撤销冲销")).code == "is_reversal"


def test_it_refuses_a_scorer(clock, resident, scorer, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)

    assert refused(lambda: reverse_entry(entry=entry, author=scorer, reason="写错了")).code == "not_allowed"
    assert compute_standing(resident=resident).balance == 1001


def test_it_refuses_the_head_of_another_village(clock, resident, scorer, outsider_head, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)

    assert refused(lambda: reverse_entry(entry=entry, author=outsider_head, reason="写错了")).code == "not_allowed"


def test_it_refuses_the_resident_themselves(clock, resident, scorer, infraction):
    entry = record(scorer=scorer, resident=resident, item=infraction)

    assert refused(lambda: reverse_entry(entry=entry, author=resident.user, reason="不是我")).code == "not_allowed"


def test_it_frees_a_place_under_the_cap(clock, resident, scorer, head, capped_deed):
    first = record(scorer=scorer, resident=resident, item=capped_deed)
    record(scorer=scorer, resident=resident, item=capped_deed)
    reverse_entry(entry=first, author=head, reason="重复登记")

    record(scorer=scorer, resident=resident, item=capped_deed)

    assert compute_standing(resident=resident).balance == 1002


def test_it_leaves_an_expired_deduction_without_effect(clock, resident, scorer, head, page):
    short = make_item(page, code="1.7", kind="infraction", points=5, validity_months=1)
    entry = record(scorer=scorer, resident=resident, item=short)
    clock.shift(timedelta(days=40))
    assert compute_standing(resident=resident).balance == 1000

    reverse_entry(entry=entry, author=head, reason="申诉成立")

    assert compute_standing(resident=resident).balance == 1000
    assert compute_standing(resident=resident, on=entry.occurred_on).balance == 995
