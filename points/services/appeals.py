"""Residents dispute entries; the head decides."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points import outbox
from points.models import Appeal, Entry, Notification
from points.services.entries import refuse, write_reversal
from points.tasks import email_appeal_decision
from villages.access import has_role
from villages.models import Membership, Resident


def file_appeal(*, entry: Entry, resident_user: AbstractBaseUser, reason: str) -> Appeal:
    """The resident disputes one of their own entries, within APPEAL_WINDOW_DAYS of its recording."""
    reason = reason.strip()
    if entry.resident.user_id != resident_user.pk:
        raise refuse(_("You can only appeal entries in your own ledger."), "not_allowed")
    if not reason:
        raise refuse(_("Say why the entry is wrong."), "reason_required")
    if entry.is_reversal or Entry.objects.filter(reverses=entry).exists():
        raise refuse(_("This entry has been reversed already; there is nothing to appeal."), "already_reversed")
    if timezone.now() - entry.recorded_at > timedelta(days=settings.APPEAL_WINDOW_DAYS):
        raise refuse(
            _("Entries can be appealed for %(days)d days after they were recorded; this one is older."),
            "too_late",
            days=settings.APPEAL_WINDOW_DAYS,
        )
    try:
        with transaction.atomic():
            return Appeal.objects.create(entry=entry, filed_by=resident_user, reason=reason)
    except IntegrityError:
        raise refuse(_("This entry already has an open appeal."), "appeal_open") from None


def decide_appeal(*, appeal: Appeal, head: AbstractBaseUser, upheld: bool, reason: str) -> Appeal:
    """Uphold (the entry is reversed, with the decision's reason) or reject an open appeal."""
    reason = reason.strip()
    if not has_role(head, appeal.entry.village_id, Membership.Role.HEAD):
        raise refuse(_("Only the village head decides appeals."), "not_allowed")
    if not reason:
        raise refuse(_("Write the reason for your decision; the resident will read it."), "reason_required")
    with transaction.atomic():
        appeal = Appeal.objects.select_for_update().select_related("entry__village").get(pk=appeal.pk)
        if appeal.status != Appeal.Status.OPEN:
            raise refuse(_("This appeal has already been decided."), "already_decided")
        if upheld and not Entry.objects.filter(reverses=appeal.entry).exists():
            # (If the entry was reversed meanwhile, e.g. withdrawn, upholding only records the decision.)
            write_reversal(entry=appeal.entry, author=head, reason=reason)
        appeal.status = Appeal.Status.UPHELD if upheld else Appeal.Status.REJECTED
        appeal.decided_by = head
        appeal.decided_at = timezone.now()
        appeal.decision_reason = reason
        appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
        _notify_decision(appeal)
    return appeal


def _notify_decision(appeal: Appeal) -> None:
    """An in-app notice for the resident (if they have a login) and, after commit, an e-mail."""
    user_id = Resident.objects.filter(pk=appeal.entry.resident_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return  # no login: the head's printed statement tells them
    notification = Notification.objects.create(user_id=user_id, kind=Notification.Kind.APPEAL_DECIDED, appeal=appeal)
    outbox.enqueue(email_appeal_decision, notification.pk)
