"""One deed for many residents at once: a clean-up day, a volunteer team."""

import uuid
from dataclasses import dataclass
from datetime import date

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from handbook.models import Item
from points.models import Entry
from points.services.entries import record_entry, refuse
from villages.models import Resident

GROUP_LIMIT = 100


@dataclass(frozen=True)
class GroupOutcome:
    """What happened for one resident of a group: the entry, or the refusal's code and message."""

    resident: Resident
    entry: Entry | None = None
    code: str = ""
    message: str = ""

    @property
    def recorded(self) -> bool:
        return self.entry is not None


def member_key(idempotency_key: uuid.UUID, resident: Resident) -> uuid.UUID:
    """The idempotency key of one resident's entry in a group submission: the same submission
    always gives the same key per resident, two submissions never share one."""
    return uuid.uuid5(idempotency_key, f"resident:{resident.pk}")


def record_group(
    *,
    scorer: AbstractBaseUser,
    residents: list[Resident],
    item: Item,
    occurred_on: date,
    idempotency_key: uuid.UUID,
    note: str = "",
    witness: str = "",
) -> list[GroupOutcome]:
    """Record the deed `item` for each of `residents` and say, per resident, what happened.

    Each resident gets an entry of their own through record_entry, in its own transaction and
    with its own idempotency key derived from the submission's (member_key): caps, consent and
    the date window apply per resident, one refusal does not stop the others, and replaying the
    submission (a double tap, a retry, the phone's queue) returns the entries already recorded and
    writes nothing new. Infractions are refused for a group: a deduction is decided one resident
    at a time. Locks: those of record_entry, one resident after another, never two at once.
    """
    if item.kind != Item.Kind.DEED:
        raise refuse(
            _("Deductions cannot be recorded for a group. Record them one resident at a time."), "group_infraction"
        )
    if not residents:
        raise refuse(_("Pick at least one resident."), "group_empty")
    if len(residents) > GROUP_LIMIT:
        raise refuse(_("A group can have at most %(limit)d residents."), "group_too_big", limit=GROUP_LIMIT)
    outcomes = []
    for resident in dict.fromkeys(residents):  # once each, in the order picked
        try:
            entry = record_entry(
                scorer=scorer,
                resident=resident,
                item=item,
                occurred_on=occurred_on,
                idempotency_key=member_key(idempotency_key, resident),
                note=note,
                witness=witness,
            )
        except ValidationError as error:
            outcomes.append(
                GroupOutcome(resident=resident, code=error.code or "refused", message=" ".join(error.messages))
            )
        else:
            outcomes.append(GroupOutcome(resident=resident, entry=entry))
    return outcomes
