"""Words for the editor's pages: a diff's field changes and the audit trail's events, as people read them."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from handbook.models import Item
from handbook.services import EditionDiff, ItemChange
from villages.models import AuditEvent
from villages.templatetags.points_format import format_points

FIELD_LABELS = {
    "page": gettext_lazy("Page"),
    "code": gettext_lazy("Code"),
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "kind": gettext_lazy("Kind"),
    "points": gettext_lazy("Points"),
    "fine_yuan": gettext_lazy("Fine (yuan)"),
    "cap": gettext_lazy("Cap"),
    "cap_count": gettext_lazy("At most"),
    "cap_period": gettext_lazy("Per"),
    "validity_months": gettext_lazy("Counts for (months)"),
    "warning_days": gettext_lazy("Warning period (days)"),
    "warns_for": gettext_lazy("Warning for item"),
    "position": gettext_lazy("Position"),
    "number": gettext_lazy("Page"),
    "edition": gettext_lazy("Edition"),
    "copied_from": gettext_lazy("Copied from edition"),
    "effective_from": gettext_lazy("In force from"),
    "bands": gettext_lazy("Grades"),
    "starting_capital": gettext_lazy("Starting capital"),
    "added": gettext_lazy("Items added"),
    "removed": gettext_lazy("Items removed"),
    "changed": gettext_lazy("Items changed"),
    "items": gettext_lazy("Items"),
    "pages": gettext_lazy("Pages"),
    "role": gettext_lazy("Role"),
    "status": gettext_lazy("Status"),
}

ACTION_LABELS = {
    "handbook.draft.start": gettext_lazy("Started a draft edition"),
    "handbook.draft.discard": gettext_lazy("Discarded the draft edition"),
    "handbook.edition.rename": gettext_lazy("Renamed the draft edition"),
    "handbook.edition.publish": gettext_lazy("Published an edition"),
    "handbook.import": gettext_lazy("Imported a handbook file as a draft"),
    "handbook.page.add": gettext_lazy("Added a page"),
    "handbook.page.rename": gettext_lazy("Renamed a page"),
    "handbook.page.move": gettext_lazy("Moved a page"),
    "handbook.page.remove": gettext_lazy("Removed a page"),
    "handbook.item.add": gettext_lazy("Added an item"),
    "handbook.item.update": gettext_lazy("Changed an item"),
    "handbook.item.move": gettext_lazy("Moved an item"),
    "handbook.item.remove": gettext_lazy("Removed an item"),
    "grades.set": gettext_lazy("Set the grade bands"),
    "village.starting_capital": gettext_lazy("Changed the starting capital"),
    "village.public_address": gettext_lazy("Changed the public address for QR codes"),
    "role.grant": gettext_lazy("Gave a role"),
    "role.revoke": gettext_lazy("Took a role away"),
    "account.create": gettext_lazy("Created an account"),
    "account.deactivate": gettext_lazy("Deactivated an account"),
    "account.reactivate": gettext_lazy("Reactivated an account"),
    "account.password_reset": gettext_lazy("Reset a password"),
    "consent.record": gettext_lazy("Recorded a resident's consent"),
    "consent.withdraw": gettext_lazy("Withdrew a resident's consent"),
    "resident.create": gettext_lazy("Added a resident"),
    "resident.import": gettext_lazy("Imported residents"),
    "resident.update": gettext_lazy("Changed a resident's details"),
    "resident.move": gettext_lazy("Moved a resident to another household"),
    "resident.status": gettext_lazy("Changed whether a resident lives in the village"),
    "certificate.issue": gettext_lazy("Issued a certificate"),
    "certificate.batch": gettext_lazy("Issued certificates for the village"),
    "certificate.revoke": gettext_lazy("Revoked a certificate"),
    "auth.sign_in": gettext_lazy("Signed in"),
    "auth.sign_in_failed": gettext_lazy("Wrong password at sign-in"),
    "auth.locked_out": gettext_lazy("Locked out after too many wrong passwords"),
    "access.denied": gettext_lazy("Access refused"),
}


@dataclass(frozen=True)
class ChangeLine:
    label: str
    before: str
    after: str


def describe_value(field: str, value: Any) -> str:
    """A diffed item value as a person reads it; '—' for nothing."""
    if value is None or value == "":
        return "—"
    if field == "page":
        number, title = value
        return f"{number}. {title}"
    if field == "cap":
        count, period = value
        if period == Item.Period.YEAR:
            return ngettext("at most %(count)d time a year", "at most %(count)d times a year", count) % {"count": count}
        return ngettext("at most %(count)d time a month", "at most %(count)d times a month", count) % {"count": count}
    if field == "kind":
        return Item.Kind(value).label
    if field == "points":
        return format_points(Decimal(value))
    if field == "fine_yuan":
        return _("¥%(fine)d") % {"fine": value}
    if field == "validity_months":
        return ngettext("%(months)d month", "%(months)d months", value) % {"months": value}
    return str(value)


def describe_diff(diff: EditionDiff) -> list[tuple[ItemChange, list[ChangeLine]]]:
    return [
        (
            change,
            [
                ChangeLine(
                    str(FIELD_LABELS.get(f.field, f.field)),
                    describe_value(f.field, f.before),
                    describe_value(f.field, f.after),
                )
                for f in change.fields
            ],
        )
        for change in diff.changed
    ]


def describe_event(event: AuditEvent) -> dict:
    """An audit event's label and its values before and after, key by key."""
    before, after = event.before or {}, event.after or {}
    keys = list(dict.fromkeys([*before, *after]))
    lines = [
        ChangeLine(str(FIELD_LABELS.get(key, key)), _plain(before.get(key)), _plain(after.get(key)))
        for key in keys
        if before.get(key) != after.get(key) or key not in before or key not in after
    ]
    return {"event": event, "label": ACTION_LABELS.get(event.action, event.action), "lines": lines}


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        return ", ".join(
            " ≥ ".join(str(part) for part in entry if part is not None) if isinstance(entry, list) else str(entry)
            for entry in value
        )
    if isinstance(value, dict):
        return ", ".join(f"{key}: {_plain(val)}" for key, val in value.items())
    return str(value)
