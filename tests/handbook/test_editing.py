"""Editing a draft edition: pages and items change only in a draft, always audited."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from handbook.models import Edition, Item
from handbook.services import (
    add_item,
    add_page,
    discard_draft,
    move_item,
    move_page,
    remove_item,
    remove_page,
    rename_page,
    start_draft,
    update_item,
)
from villages.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(village, admin, deed, capped_deed, infraction):
    return start_draft(village=village, admin=admin)


def _codes(page):
    return list(page.items.order_by("position", "code").values_list("code", flat=True))


def test_it_starts_a_draft_as_a_copy_of_the_edition_in_force(draft, edition):
    assert draft.is_draft
    assert sorted(draft.items.values_list("code", "points")) == sorted(edition.items.values_list("code", "points"))
    assert AuditEvent.objects.filter(action="handbook.draft.start", village=draft.village).exists()


def test_it_changes_an_item_of_the_draft_and_records_before_and_after(draft, admin):
    item = draft.items.get(code="1.1")
    update_item(item=item, admin=admin, points=Decimal("1.5"), title="为邻居修剪果树")
    item.refresh_from_db()
    assert item.points == Decimal("1.5")
    event = AuditEvent.objects.get(action="handbook.item.update")
    assert event.actor == admin
    assert event.before == {"points": "1.0", "title": "为邻居修剪树木"}
    assert event.after == {"points": "1.5", "title": "为邻居修剪果树"}


def test_it_refuses_to_change_an_item_of_a_published_edition(edition, admin, deed):
    with pytest.raises(ValidationError) as error:
        update_item(item=deed, admin=admin, points=Decimal("5"))
    assert error.value.code == "published"
    deed.refresh_from_db()
    assert deed.points == Decimal("1")


@pytest.mark.parametrize(
    "operation",
    [
        lambda page, item, admin: add_item(page=page, admin=admin, code="9.9", title="x", kind="deed", points=1),
        lambda page, item, admin: remove_item(item=item, admin=admin),
        lambda page, item, admin: move_item(item=item, admin=admin, direction="down"),
        lambda page, item, admin: add_page(edition=page.edition, admin=admin, title="新页"),
        lambda page, item, admin: rename_page(page=page, admin=admin, title="新页"),
        lambda page, item, admin: move_page(page=page, admin=admin, direction="down"),
        lambda page, item, admin: discard_draft(edition=page.edition, admin=admin),
    ],
)
def test_it_refuses_every_change_to_a_published_edition(page, deed, admin, operation):
    with pytest.raises(ValidationError):
        operation(page, deed, admin)
    assert list(page.items.values_list("code", flat=True)) == ["1.1"]
    assert not AuditEvent.objects.exists()


def test_it_refuses_a_code_already_used_in_the_edition(draft, admin):
    page = draft.pages.get()
    with pytest.raises(ValidationError) as error:
        add_item(page=page, admin=admin, code="1.1", title="重复", kind="deed", points=Decimal("1"))
    assert "1.1 is already used" in error.value.message_dict["code"][0]
    assert draft.items.filter(code="1.1").count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"points": Decimal("0.3")}, "points"),
        ({"points": Decimal("0")}, "points"),
        ({"points": Decimal("-1")}, "points"),
        ({"cap_count": 2, "cap_period": ""}, "cap_period"),
        ({"cap_count": 40, "cap_period": "month"}, "cap_count"),
        ({"validity_months": 12}, "validity_months"),  # a deed never stops counting
    ],
)
def test_it_refuses_values_that_make_no_sense(draft, admin, fields, field):
    item = draft.items.get(code="1.1")
    with pytest.raises(ValidationError) as error:
        update_item(item=item, admin=admin, **fields)
    assert field in error.value.message_dict
    assert Item.objects.get(pk=item.pk).points == Decimal("1")


def test_it_refuses_someone_who_is_not_an_administrator(draft, head):
    with pytest.raises(ValidationError) as error:
        update_item(item=draft.items.get(code="1.1"), admin=head, points=Decimal("2"))
    assert error.value.code == "not_allowed"


def test_it_adds_an_item_at_the_end_of_a_page_and_moves_it_up(draft, admin):
    page = draft.pages.get()
    item = add_item(page=page, admin=admin, code="1.4", title="帮助抄水表", kind="deed", points=Decimal("0.5"))
    assert _codes(page)[-1] == "1.4"
    move_item(item=item, admin=admin, direction="up")
    assert _codes(page) == ["1.1", "1.2", "1.4", "1.3"]
    move_item(item=draft.items.get(code="1.1"), admin=admin, direction="up")  # already first: nothing changes
    assert _codes(page) == ["1.1", "1.2", "1.4", "1.3"]


def test_it_moves_an_item_to_another_page(draft, admin):
    second = add_page(edition=draft, admin=admin, title="敬老助老")
    item = update_item(item=draft.items.get(code="1.2"), admin=admin, page=second)
    assert item.page == second
    assert _codes(second) == ["1.2"]


def test_it_reorders_pages_and_renumbers_after_a_removal(draft, admin):
    first = draft.pages.get()
    second = add_page(edition=draft, admin=admin, title="第二页")
    third = add_page(edition=draft, admin=admin, title="第三页")
    move_page(page=third, admin=admin, direction="up")
    assert list(draft.pages.order_by("number").values_list("title", flat=True)) == ["邻里互助", "第三页", "第二页"]
    remove_page(page=Edition.objects.get(pk=draft.pk).pages.get(title="第三页"), admin=admin)
    assert list(draft.pages.order_by("number").values_list("number", "title")) == [(1, "邻里互助"), (2, "第二页")]
    with pytest.raises(ValidationError) as error:
        remove_page(page=first, admin=admin)
    assert error.value.code == "page_not_empty"
    assert second.pk in draft.pages.values_list("pk", flat=True)


def test_it_removes_an_item_and_keeps_it_in_the_audit_trail(draft, admin):
    remove_item(item=draft.items.get(code="1.3"), admin=admin)
    assert not draft.items.filter(code="1.3").exists()
    event = AuditEvent.objects.get(action="handbook.item.remove")
    assert event.before["code"] == "1.3" and event.before["fine_yuan"] == 200


def test_it_discards_a_draft(draft, admin, edition):
    discard_draft(edition=draft, admin=admin)
    assert list(Edition.objects.values_list("pk", flat=True)) == [edition.pk]
