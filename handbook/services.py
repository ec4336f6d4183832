"""Domain operations on handbook editions."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from handbook.models import Edition, Item, Page
from villages.access import has_role
from villages.audit import record_audit, snapshot
from villages.models import Membership, Village

# The fields an administrator edits on an item; import, export, diff and audit use the same list.
ITEM_FIELDS = [
    "code",
    "title",
    "description",
    "kind",
    "points",
    "fine_yuan",
    "cap_count",
    "cap_period",
    "validity_months",
    "warning_days",
    "warns_for",
]
Direction = Literal["up", "down"]


def check_handbook_admin(user: AbstractBaseUser, village: Village) -> None:
    if not has_role(user, village, Membership.Role.ADMIN):
        raise ValidationError(_("Only an administrator of the village can change its handbook."), code="not_allowed")


@transaction.atomic
def start_draft(*, village: Village, admin: AbstractBaseUser, title: str = "") -> Edition:
    """A new draft edition, a copy of the latest published edition (or empty if there is none).
    The latest, not the one in force today: an edition published to take effect later already
    holds the newest rules, and a draft started from an older one would silently drop them."""
    check_handbook_admin(admin, village)
    if Edition.objects.filter(village=village, published_at__isnull=True).exists():
        raise ValidationError(_("There is already a draft edition; edit or publish it first."), code="draft_exists")
    source = Edition.objects.published().filter(village=village).order_by("-effective_from", "-number").first()
    number = (Edition.objects.filter(village=village).aggregate(n=Max("number"))["n"] or 0) + 1
    draft = Edition.objects.create(
        village=village, number=number, title=title or (source.title if source else _("Handbook"))
    )
    if source is not None:
        copy_edition_contents(source=source, target=draft)
    record_audit(
        action="handbook.draft.start",
        actor=admin,
        village=village,
        target=str(draft),
        after={"edition": draft.number, "copied_from": source.number if source else None},
    )
    return draft


def copy_edition_contents(*, source: Edition, target: Edition) -> None:
    pages = {}
    for page in source.pages.all():
        pages[page.pk] = Page.objects.create(edition=target, number=page.number, title=page.title)
    Item.objects.bulk_create(
        Item(
            edition=target,
            page=pages[item.page_id],
            position=item.position,
            code=item.code,
            title=item.title,
            description=item.description,
            kind=item.kind,
            points=item.points,
            fine_yuan=item.fine_yuan,
            cap_count=item.cap_count,
            cap_period=item.cap_period,
            validity_months=item.validity_months,
            warning_days=item.warning_days,
            warns_for=item.warns_for,
        )
        for item in source.items.all()
    )


@transaction.atomic
def publish_edition(*, edition: Edition, admin: AbstractBaseUser, effective_from: date) -> Edition:
    """Freeze a draft. From `effective_from` new entries use its items; past entries keep the
    points and fine they were recorded with, and their items (in the older edition) stay as they were."""
    check_handbook_admin(admin, edition.village)
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if not edition.is_draft:
        raise ValidationError(_("This edition is already published."), code="already_published")
    if not edition.items.exists():
        raise ValidationError(_("An edition without items cannot be published."), code="empty")
    if effective_from < edition.village.today():
        raise ValidationError(_("An edition cannot take effect in the past."), code="past_date")
    current = Edition.objects.in_force(village=edition.village, on=edition.village.today())
    edition.published_at = timezone.now()
    edition.published_by = admin
    edition.effective_from = effective_from
    edition.save(update_fields=["published_at", "published_by", "effective_from"])
    diff = diff_editions(draft=edition, current=current)
    record_audit(
        action="handbook.edition.publish",
        actor=admin,
        village=edition.village,
        target=str(edition),
        before={"edition": current.number, "effective_from": str(current.effective_from)} if current else None,
        after={
            "edition": edition.number,
            "effective_from": str(effective_from),
            "added": [item.code for item in diff.added],
            "removed": [item.code for item in diff.removed],
            "changed": [change.code for change in diff.changed],
        },
    )
    return edition


# --- Editing a draft ----------------------------------------------------------------------
# Every function below refuses a published edition: what entries were recorded under never changes.


def _check_draft_editor(admin: AbstractBaseUser, edition: Edition) -> None:
    """Changing an edition takes an administrator of its village, and the edition still a draft."""
    check_handbook_admin(admin, edition.village)
    if not edition.is_draft:
        raise ValidationError(_("A published edition cannot change; start a new draft instead."), code="published")


def _item_target(item: Item) -> str:
    return f"{item.edition} · {item.code} {item.title}"


def _item_snapshot(item: Item) -> dict[str, Any]:
    """The item's fields for the audit trail, points always with one decimal ("2.0", "0.5")."""
    data = snapshot(item, fields=ITEM_FIELDS)
    data["points"] = str(Decimal(item.points).quantize(Decimal("0.1")))
    return data


def _clean_item(item: Item) -> None:
    """Full validation, with a clear message for a code that is already used in the edition."""
    duplicate = Item.objects.filter(edition_id=item.edition_id, code=item.code).exclude(pk=item.pk)
    if item.code and duplicate.exists():
        raise ValidationError(
            {"code": _("Code %(code)s is already used in this edition; choose another.") % {"code": item.code}},
            code="duplicate_code",
        )
    item.full_clean()


@transaction.atomic
def rename_edition(*, edition: Edition, admin: AbstractBaseUser, title: str) -> Edition:
    _check_draft_editor(admin, edition)
    before = edition.title
    edition.title = title.strip()
    edition.full_clean(exclude=["published_by"])
    edition.save(update_fields=["title"])
    record_audit(
        action="handbook.edition.rename",
        actor=admin,
        village=edition.village,
        target=str(edition),
        before={"title": before},
        after={"title": edition.title},
    )
    return edition


@transaction.atomic
def discard_draft(*, edition: Edition, admin: AbstractBaseUser) -> None:
    """Delete a draft with its pages and items. A draft has no entries (only published items can be recorded)."""
    _check_draft_editor(admin, edition)
    record_audit(
        action="handbook.draft.discard",
        actor=admin,
        village=edition.village,
        target=str(edition),
        before={"edition": edition.number, "items": list(edition.items.values_list("code", flat=True))},
    )
    edition.delete()


@transaction.atomic
def add_page(*, edition: Edition, admin: AbstractBaseUser, title: str) -> Page:
    """A new page at the end of the draft."""
    _check_draft_editor(admin, edition)
    number = (edition.pages.aggregate(n=Max("number"))["n"] or 0) + 1
    page = Page(edition=edition, number=number, title=title.strip())
    page.full_clean()
    page.save()
    record_audit(
        action="handbook.page.add",
        actor=admin,
        village=edition.village,
        target=f"{edition} · {page}",
        after={"number": page.number, "title": page.title},
    )
    return page


@transaction.atomic
def rename_page(*, page: Page, admin: AbstractBaseUser, title: str) -> Page:
    _check_draft_editor(admin, page.edition)
    before = page.title
    page.title = title.strip()
    page.full_clean()
    page.save(update_fields=["title"])
    record_audit(
        action="handbook.page.rename",
        actor=admin,
        village=page.edition.village,
        target=f"{page.edition} · {page}",
        before={"title": before},
        after={"title": page.title},
    )
    return page


@transaction.atomic
def remove_page(*, page: Page, admin: AbstractBaseUser) -> None:
    """Remove an empty page; the pages after it move up one number."""
    edition = page.edition
    _check_draft_editor(admin, edition)
    count = page.items.count()
    if count:
        raise ValidationError(
            ngettext(
                "The page still has %(count)d item; remove it or move it to another page first.",
                "The page still has %(count)d items; remove them or move them to another page first.",
                count,
            )
            % {"count": count},
            code="page_not_empty",
        )
    record_audit(
        action="handbook.page.remove",
        actor=admin,
        village=edition.village,
        target=f"{edition} · {page}",
        before={"number": page.number, "title": page.title},
    )
    number = page.number
    page.delete()
    for later in edition.pages.filter(number__gt=number).order_by("number"):
        later.number -= 1
        later.save(update_fields=["number"])


@transaction.atomic
def move_page(*, page: Page, admin: AbstractBaseUser, direction: Direction) -> Page:
    """Swap the page with the one before (up) or after (down) it; at either end nothing changes."""
    edition = page.edition
    _check_draft_editor(admin, edition)
    pages = edition.pages.all()
    neighbour = (
        pages.filter(number__lt=page.number).order_by("-number").first()
        if direction == "up"
        else pages.filter(number__gt=page.number).order_by("number").first()
    )
    if neighbour is None:
        return page
    mine, theirs = page.number, neighbour.number
    # Page numbers are unique per edition: park this page on 0 while the neighbour takes its number.
    page.number = 0
    page.save(update_fields=["number"])
    neighbour.number = mine
    neighbour.save(update_fields=["number"])
    page.number = theirs
    page.save(update_fields=["number"])
    record_audit(
        action="handbook.page.move",
        actor=admin,
        village=edition.village,
        target=f"{edition} · {page.title}",
        before={"number": mine},
        after={"number": theirs},
    )
    return page


@transaction.atomic
def add_item(*, page: Page, admin: AbstractBaseUser, **fields: Any) -> Item:
    """A new item at the end of `page`. `fields` are the names in ITEM_FIELDS; refusals raise
    ValidationError keyed by field, and write nothing."""
    edition = page.edition
    _check_draft_editor(admin, edition)
    item = Item(edition=edition, page=page, position=_next_position(page), **_item_values(fields))
    _clean_item(item)
    item.save()
    record_audit(
        action="handbook.item.add",
        actor=admin,
        village=edition.village,
        target=_item_target(item),
        after=_item_snapshot(item),
    )
    return item


@transaction.atomic
def update_item(*, item: Item, admin: AbstractBaseUser, page: Page | None = None, **fields: Any) -> Item:
    """Change an item of a draft; `page` (of the same draft) moves it to the end of that page."""
    edition = item.edition
    _check_draft_editor(admin, edition)
    before = _item_snapshot(item)
    before_page = item.page
    for name, value in _item_values(fields).items():
        setattr(item, name, value)
    if page is not None and page.pk != item.page_id:
        if page.edition_id != edition.pk:
            raise ValidationError({"page": _("The page belongs to another edition.")}, code="foreign_page")
        item.page = page
        item.position = _next_position(page)
    _clean_item(item)
    item.save()
    after = _item_snapshot(item)
    if item.page_id != before_page.pk:
        before["page"], after["page"] = before_page.number, item.page.number
    changed = {key for key in after if before.get(key) != after[key]}
    if changed:
        record_audit(
            action="handbook.item.update",
            actor=admin,
            village=edition.village,
            target=_item_target(item),
            before={key: before.get(key) for key in sorted(changed)},
            after={key: after[key] for key in sorted(changed)},
        )
    return item


@transaction.atomic
def remove_item(*, item: Item, admin: AbstractBaseUser) -> None:
    edition = item.edition
    _check_draft_editor(admin, edition)
    record_audit(
        action="handbook.item.remove",
        actor=admin,
        village=edition.village,
        target=_item_target(item),
        before=_item_snapshot(item),
    )
    item.delete()


@transaction.atomic
def move_item(*, item: Item, admin: AbstractBaseUser, direction: Direction) -> Item:
    """Swap the item with its neighbour on the page; positions are renumbered 1, 2, 3… on the way."""
    edition = item.edition
    _check_draft_editor(admin, edition)
    siblings = list(Item.objects.filter(page_id=item.page_id).order_by("position", "code"))
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(siblings):
        return item
    siblings[index], siblings[other] = siblings[other], siblings[index]
    for position, sibling in enumerate(siblings, start=1):
        sibling.position = position
    Item.objects.bulk_update(siblings, ["position"])
    record_audit(
        action="handbook.item.move",
        actor=admin,
        village=edition.village,
        target=_item_target(item),
        before={"position": index + 1},
        after={"position": other + 1},
    )
    return next(sibling for sibling in siblings if sibling.pk == item.pk)


def _next_position(page: Page) -> int:
    """The position after the page's last item (one query)."""
    return (page.items.aggregate(n=Max("position"))["n"] or 0) + 1


def _item_values(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown item fields: {sorted(unknown)}")
    values = dict(fields)
    for name in ("code", "title", "description", "warns_for"):
        if name in values:
            values[name] = (values[name] or "").strip()
    if "cap_period" in values:
        values["cap_period"] = values["cap_period"] or ""
    return values


# --- Comparing editions ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class ItemChange:
    code: str
    before: Item
    after: Item
    fields: list[FieldChange]


@dataclass(frozen=True)
class EditionDiff:
    added: list[Item]
    removed: list[Item]
    changed: list[ItemChange]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


# Compared field by field; `page` compares the page's number and title, `cap` the count with its period.
DIFF_FIELDS = [
    "page",
    "title",
    "description",
    "kind",
    "points",
    "fine_yuan",
    "cap",
    "validity_months",
    "warning_days",
    "warns_for",
]


def _diff_value(item: Item, field: str) -> Any:
    if field == "page":
        return (item.page.number, item.page.title)
    if field == "cap":
        return (item.cap_count, item.cap_period) if item.cap_count else None
    if field == "points":
        return Decimal(item.points).normalize()
    return getattr(item, field)


def diff_editions(*, draft: Edition, current: Edition | None) -> EditionDiff:
    """What `draft` changes compared with `current` (None: everything is added), matching items by
    code. Two queries."""
    new = {item.code: item for item in draft.items.select_related("page").order_by("page__number", "position")}
    old = (
        {item.code: item for item in current.items.select_related("page").order_by("page__number", "position")}
        if current is not None
        else {}
    )
    changed = []
    for code, item in new.items():
        if code not in old:
            continue
        fields = [
            FieldChange(field, _diff_value(old[code], field), _diff_value(item, field))
            for field in DIFF_FIELDS
            if _diff_value(old[code], field) != _diff_value(item, field)
        ]
        if fields:
            changed.append(ItemChange(code=code, before=old[code], after=item, fields=fields))
    return EditionDiff(
        added=[item for code, item in new.items() if code not in old],
        removed=[item for code, item in old.items() if code not in new],
        changed=changed,
    )
