"""Domain operations on handbook editions."""

from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from handbook.models import Edition, Item, Page
from villages.models import Membership, Village
from villages.services import has_role


def _check_admin(user: AbstractBaseUser, village: Village) -> None:
    if not has_role(user, village, Membership.Role.ADMIN):
        raise ValidationError(_("Only an administrator of the village can change its handbook."), code="not_allowed")


@transaction.atomic
def start_draft(*, village: Village, admin: AbstractBaseUser, title: str = "") -> Edition:
    """A new draft edition, a copy of the edition in force today (or empty if there is none)."""
    _check_admin(admin, village)
    if Edition.objects.filter(village=village, published_at__isnull=True).exists():
        raise ValidationError(_("There is already a draft edition; edit or publish it first."), code="draft_exists")
    source = Edition.objects.in_force(village=village, on=village.today())
    number = (Edition.objects.filter(village=village).aggregate(n=Max("number"))["n"] or 0) + 1
    draft = Edition.objects.create(
        village=village, number=number, title=title or (source.title if source else _("Handbook"))
    )
    if source is not None:
        copy_edition_contents(source=source, target=draft)
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
        )
        for item in source.items.all()
    )


@transaction.atomic
def publish_edition(*, edition: Edition, admin: AbstractBaseUser, effective_from: date) -> Edition:
    """Freeze a draft. From `effective_from` new entries use its items; past entries keep the
    points and fine they were recorded with, and their items (in the older edition) stay as they were."""
    _check_admin(admin, edition.village)
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if not edition.is_draft:
        raise ValidationError(_("This edition is already published."), code="already_published")
    if not edition.items.exists():
        raise ValidationError(_("An edition without items cannot be published."), code="empty")
    if effective_from < edition.village.today():
        raise ValidationError(_("An edition cannot take effect in the past."), code="past_date")
    edition.published_at = timezone.now()
    edition.published_by = admin
    edition.effective_from = effective_from
    edition.save(update_fields=["published_at", "published_by", "effective_from"])
    return edition
