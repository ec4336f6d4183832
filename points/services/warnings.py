"""Warnings before deductions: an infraction item may need a warning for it first.

A warning is an entry under a handbook item of kind "warning" (0 points, no fine) that names the
infraction it comes before (`Item.warns_for`, a code, so it holds across editions like caps do).
It counts nothing and stops showing in the ledger after the warning item's period.
"""

from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from handbook.models import Item
from points.models import Entry
from villages.models import Resident


def warning_given(*, resident: Resident, item: Item, occurred_on: date) -> bool:
    """Whether `resident` has a warning for infraction `item` (not withdrawn) dated within
    `item.warning_days` days up to `occurred_on`. One query."""
    since = occurred_on - timedelta(days=item.warning_days)
    return (
        Entry.objects.originals()
        .not_reversed()
        .filter(
            resident=resident,
            points_halves=0,
            item__kind=Item.Kind.WARNING,
            item__warns_for=item.code,
            occurred_on__range=(since, occurred_on),
        )
        .exists()
    )


def check_warning_given(*, resident: Resident, item: Item, occurred_on: date) -> None:
    """Refuse a deduction whose item needs a warning first when the resident has none in time.
    Called by record_entry inside its transaction, after the resident's row is locked."""
    if item.kind != Item.Kind.INFRACTION or not item.warning_days:
        return
    if warning_given(resident=resident, item=item, occurred_on=occurred_on):
        return
    warning = Item.objects.filter(edition_id=item.edition_id, kind=Item.Kind.WARNING, warns_for=item.code).first()
    if warning is not None:
        message = _(
            "“%(item)s” needs a warning first: %(name)s has had no warning for it in the %(days)d days before. "
            "Record the warning “%(warning)s” now; a deduction can follow if it happens again."
        )
    else:
        message = _(
            "“%(item)s” needs a warning first: %(name)s has had no warning for it in the %(days)d days before, "
            "and the handbook has no warning item for it. Ask the administrator to add one."
        )
    raise ValidationError(
        message,
        code="warning_required",
        params={
            "item": item.title,
            "name": resident.name,
            "days": item.warning_days,
            "warning": f"{warning.code} {warning.title}" if warning else "",
        },
    )
