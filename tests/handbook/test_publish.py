"""Diffing a draft against the edition in force, and publishing it: the past stays as it was."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from handbook.models import Edition
from handbook.services import add_item, diff_editions, publish_edition, remove_item, start_draft, update_item
from points.models import Entry
from tests.factories import record
from villages.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(village, admin, deed, capped_deed, infraction):
    return start_draft(village=village, admin=admin)


def test_it_finds_no_difference_in_a_fresh_draft(draft, edition):
    assert diff_editions(draft=draft, current=edition).is_empty


def test_it_lists_items_added_removed_and_changed_field_by_field(draft, edition, admin):
    update_item(item=draft.items.get(code="1.1"), admin=admin, points=Decimal("2"), fine_yuan=None)
    update_item(item=draft.items.get(code="1.3"), admin=admin, fine_yuan=300, validity_months=6)
    remove_item(item=draft.items.get(code="1.2"), admin=admin)
    add_item(page=draft.pages.get(), admin=admin, code="1.4", title="借出农具", kind="deed", points=Decimal("0.5"))

    diff = diff_editions(draft=draft, current=edition)

    assert [item.code for item in diff.added] == ["1.4"]
    assert [item.code for item in diff.removed] == ["1.2"]
    changes = {change.code: {(f.field, f.before, f.after) for f in change.fields} for change in diff.changed}
    assert changes == {
        "1.1": {("points", Decimal("1"), Decimal("2"))},
        "1.3": {("fine_yuan", 200, 300), ("validity_months", 12, 6)},
    }


def test_it_diffs_against_nothing_when_no_edition_is_in_force(village, admin):
    draft = Edition.objects.create(village=village, number=1, title="手册")
    assert diff_editions(draft=draft, current=None).is_empty


def test_publishing_leaves_every_existing_entry_as_it_was(
    village, admin, scorer, resident, draft, edition, deed, infraction, clock
):
    old_good = record(scorer=scorer, resident=resident, item=deed)
    old_bad = record(scorer=scorer, resident=resident, item=infraction)
    before = list(Entry.objects.order_by("pk").values("points_halves", "fine_yuan", "item__title", "item__points"))

    update_item(item=draft.items.get(code="1.1"), admin=admin, points=Decimal("3"), title="修剪树木")
    update_item(item=draft.items.get(code="1.3"), admin=admin, points=Decimal("20"), fine_yuan=500)
    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    after = list(Entry.objects.order_by("pk").values("points_halves", "fine_yuan", "item__title", "item__points"))
    assert after == before
    old_good.refresh_from_db()
    old_bad.refresh_from_db()
    assert (old_good.points, old_good.item.title) == (Decimal("1"), "为邻居修剪树木")
    assert (old_bad.points, old_bad.fine_yuan) == (Decimal("-10"), 200)

    # New entries use the new edition's values.
    new_item = draft.items.get(code="1.1")
    fresh = record(scorer=scorer, resident=resident, item=new_item)
    assert fresh.points == Decimal("3")
    with pytest.raises(ValidationError):
        record(scorer=scorer, resident=resident, item=deed)  # the superseded item is no longer recordable


def test_an_edition_effective_later_leaves_the_current_one_in_force_until_then(village, admin, draft, edition, clock):
    tomorrow = village.today() + timedelta(days=1)
    publish_edition(edition=draft, admin=admin, effective_from=tomorrow)
    assert Edition.objects.in_force(village=village, on=village.today()) == edition
    assert Edition.objects.in_force(village=village, on=tomorrow) == draft


def test_publishing_is_audited_with_what_changed(village, admin, draft, edition):
    update_item(item=draft.items.get(code="1.1"), admin=admin, points=Decimal("2"))
    publish_edition(edition=draft, admin=admin, effective_from=village.today())
    event = AuditEvent.objects.get(action="handbook.edition.publish")
    assert event.before == {"edition": edition.number, "effective_from": str(edition.effective_from)}
    assert event.after["changed"] == ["1.1"] and event.after["added"] == [] and event.after["removed"] == []


def test_it_refuses_to_publish_in_the_past(village, admin, draft):
    with pytest.raises(ValidationError) as error:
        publish_edition(edition=draft, admin=admin, effective_from=village.today() - timedelta(days=1))
    assert error.value.code == "past_date"
    draft.refresh_from_db()
    assert draft.is_draft
