"""handbook.services: drafting and publishing editions never changes the past."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from handbook.models import Edition, Item
from handbook.services import publish_edition, start_draft
from points.models import Entry
from points.standing import compute_standing
from tests.factories import EditionFactory, make_item, record


def new_points(*, village, admin, code: str, points: str, title: str = "") -> Edition:
    """Draft a copy of the edition in force, change one item's points, and leave it unpublished."""
    draft = start_draft(village=village, admin=admin)
    item = draft.items.get(code=code)
    item.points = Decimal(points)
    item.fine_yuan = 500 if item.fine_yuan else None
    if title:
        item.title = title
    item.save()
    return draft


@pytest.fixture
def entries(clock, resident, scorer, deed, capped_deed, infraction) -> list[Entry]:
    return [record(scorer=scorer, resident=resident, item=item) for item in (deed, capped_deed, infraction)]


def test_it_copies_the_edition_in_force_into_a_draft(clock, village, admin, edition, deed, infraction):
    draft = start_draft(village=village, admin=admin)

    assert draft.is_draft
    assert draft.number > edition.number
    copied = {i.code: (i.title, i.kind, i.points, i.fine_yuan, i.validity_months) for i in draft.items.all()}
    assert copied == {
        deed.code: (deed.title, deed.kind, deed.points, None, None),
        infraction.code: (infraction.title, infraction.kind, infraction.points, 200, 12),
    }
    assert set(draft.pages.values_list("title", flat=True)) == {"邻里互助"}


def test_it_leaves_every_existing_entry_unchanged_when_an_edition_is_published(
    clock, village, admin, resident, entries, infraction
):
    before = [(e.pk, e.points_halves, e.fine_yuan, e.item_id, e.item.code, e.item.title) for e in entries]
    draft = new_points(village=village, admin=admin, code=infraction.code, points="30", title="鸡鸭跑出圈舍")

    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    after = [
        (e.pk, e.points_halves, e.fine_yuan, e.item_id, e.item.code, e.item.title)
        for e in Entry.objects.filter(pk__in=[e.pk for e in entries]).select_related("item").order_by("pk")
    ]
    assert after == sorted(before)
    assert compute_standing(resident=resident).balance == 1000 + 1 + 1 - 10


def test_it_records_new_entries_with_the_new_editions_items(clock, village, admin, resident, scorer, infraction):
    draft = new_points(village=village, admin=admin, code=infraction.code, points="30")
    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    entry = record(scorer=scorer, resident=resident, item=draft.items.get(code=infraction.code))

    assert (entry.item.edition, entry.points_halves, entry.fine_yuan) == (draft, -60, 500)
    assert compute_standing(resident=resident).balance == 970


def test_it_refuses_an_item_of_the_old_edition_once_the_new_one_is_in_force(
    clock, village, admin, resident, scorer, deed
):
    draft = new_points(village=village, admin=admin, code=deed.code, points="2")
    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    with pytest.raises(ValidationError) as caught:
        record(scorer=scorer, resident=resident, item=deed)

    assert caught.value.code == "unknown_item"
    assert not Entry.objects.exists()


def test_it_keeps_the_old_edition_in_force_until_the_new_ones_effective_date(
    clock, village, admin, resident, scorer, deed
):
    draft = new_points(village=village, admin=admin, code=deed.code, points="2")
    publish_edition(edition=draft, admin=admin, effective_from=village.today() + timedelta(days=1))
    new_deed = draft.items.get(code=deed.code)

    assert record(scorer=scorer, resident=resident, item=deed).points_halves == 2
    with pytest.raises(ValidationError) as caught:
        record(scorer=scorer, resident=resident, item=new_deed)
    assert caught.value.code == "unknown_item"

    clock.shift(timedelta(days=1))
    assert record(scorer=scorer, resident=resident, item=new_deed).points_halves == 4


def test_it_counts_a_cap_across_editions(clock, village, admin, resident, scorer, capped_deed):
    record(scorer=scorer, resident=resident, item=capped_deed)
    record(scorer=scorer, resident=resident, item=capped_deed)
    draft = new_points(village=village, admin=admin, code=capped_deed.code, points="2")
    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    with pytest.raises(ValidationError) as caught:
        record(scorer=scorer, resident=resident, item=draft.items.get(code=capped_deed.code))

    assert caught.value.code == "cap_reached"


@pytest.mark.parametrize("user", ["head", "scorer", "outsider_admin"])
def test_it_lets_only_an_administrator_of_the_village_publish(request, clock, village, admin, deed, user):
    draft = new_points(village=village, admin=admin, code=deed.code, points="2")

    with pytest.raises(ValidationError) as caught:
        publish_edition(edition=draft, admin=request.getfixturevalue(user), effective_from=village.today())

    assert caught.value.code == "not_allowed"
    draft.refresh_from_db()
    assert draft.is_draft


@pytest.mark.parametrize("user", ["head", "scorer", "outsider_admin"])
def test_it_lets_only_an_administrator_of_the_village_start_a_draft(request, clock, village, deed, user):
    with pytest.raises(ValidationError) as caught:
        start_draft(village=village, admin=request.getfixturevalue(user))

    assert caught.value.code == "not_allowed"
    assert not Edition.objects.filter(village=village, published_at__isnull=True).exists()


def test_it_refuses_an_effective_date_in_the_past(clock, village, admin, deed):
    draft = new_points(village=village, admin=admin, code=deed.code, points="2")

    with pytest.raises(ValidationError) as caught:
        publish_edition(edition=draft, admin=admin, effective_from=village.today() - timedelta(days=1))

    assert caught.value.code == "past_date"
    draft.refresh_from_db()
    assert draft.is_draft


def test_it_refuses_to_publish_an_edition_twice(clock, village, admin, deed):
    draft = new_points(village=village, admin=admin, code=deed.code, points="2")
    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    with pytest.raises(ValidationError) as caught:
        publish_edition(edition=draft, admin=admin, effective_from=village.today() + timedelta(days=5))

    assert caught.value.code == "already_published"
    draft.refresh_from_db()
    assert draft.effective_from == village.today()


def test_it_refuses_to_publish_an_empty_edition(clock, village, admin):
    draft = start_draft(village=village, admin=admin)

    with pytest.raises(ValidationError) as caught:
        publish_edition(edition=draft, admin=admin, effective_from=village.today())

    assert caught.value.code == "empty"


def test_it_allows_one_draft_at_a_time(clock, village, admin, deed):
    start_draft(village=village, admin=admin)

    with pytest.raises(ValidationError) as caught:
        start_draft(village=village, admin=admin)

    assert caught.value.code == "draft_exists"


def test_it_refuses_to_change_an_item_of_a_published_edition(clock, deed):
    deed.points = Decimal("5")

    with pytest.raises(ValidationError):
        deed.save()

    assert Item.objects.get(pk=deed.pk).points == 1


def test_it_refuses_to_change_an_item_once_its_draft_is_published(clock, village, admin, deed):
    draft = new_points(village=village, admin=admin, code=deed.code, points="2")
    publish_edition(edition=draft, admin=admin, effective_from=village.today())
    item = Item.objects.get(edition=draft, code=deed.code)
    item.points = Decimal("9")

    with pytest.raises(ValidationError):
        item.save()

    assert Item.objects.get(pk=item.pk).points == 2


def test_it_refuses_to_add_an_item_to_a_published_edition(clock, page):
    with pytest.raises(ValidationError):
        Item(edition=page.edition, page=page, code="1.99", title="新条目", kind=Item.Kind.DEED, points=1).save()

    assert not Item.objects.filter(code="1.99").exists()


def test_it_ignores_another_villages_editions(clock, village, other_village, admin, deed):
    EditionFactory(village=other_village, effective_from=village.today())
    make_item(EditionFactory(village=other_village).pages.create(number=1, title="外村"), code="1.1")

    draft = start_draft(village=village, admin=admin)

    assert set(draft.items.values_list("code", flat=True)) == {deed.code}


def test_a_new_draft_starts_from_an_edition_published_for_later_not_the_one_in_force(village, admin, edition, deed):
    upcoming = start_draft(village=village, admin=admin)
    upcoming.items.filter(code=deed.code).update(title="为邻居修剪果树")
    publish_edition(edition=upcoming, admin=admin, effective_from=village.today() + timedelta(days=30))

    draft = start_draft(village=village, admin=admin)

    assert draft.items.get(code=deed.code).title == "为邻居修剪果树"
