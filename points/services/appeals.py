"""Residents dispute entries; the head decides."""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from points import outbox, sms
from points.access import AppealDeciders, Conflict
from points.models import Appeal, Entry, Notification
from points.services.entries import refuse, write_reversal
from points.tasks import email_appeal_decision
from points.validators import CleanPhoto
from villages.access import OFFICE, has_role
from villages.models import Resident, ResidentCard


def file_appeal(
    *, entry: Entry, reason: str, resident_user: AbstractBaseUser | None = None, card: ResidentCard | None = None
) -> Appeal:
    """The resident disputes one of their own entries, within APPEAL_WINDOW_DAYS of its recording:
    signed in with their login (`resident_user`) or from their card (`card`, a usable one)."""
    if card is not None:
        if card.resident_id != entry.resident_id or not ResidentCard.objects.usable().filter(pk=card.pk).exists():
            raise refuse(_("You can only appeal entries in your own ledger."), "not_allowed")
        filed = {"channel": Appeal.Channel.CARD, "card": card}
    elif resident_user is not None and entry.resident.user_id == resident_user.pk:
        filed = {"channel": Appeal.Channel.ACCOUNT, "filed_by": resident_user}
    else:
        raise refuse(_("You can only appeal entries in your own ledger."), "not_allowed")
    return _file(entry=entry, reason=reason, filed=filed)


def record_paper_appeal(
    *,
    entry: Entry,
    received_by: AbstractBaseUser,
    received_on: date,
    reason: str,
    scan: CleanPhoto | None = None,
) -> Appeal:
    """The village office records an appeal the resident handed in on paper: who received it, on
    which day, the resident's own words and optionally a scan. It then follows the same path as
    any appeal (the deadline counts from the day it was received). The appeal window counts to
    the day it was received, too."""
    if not has_role(received_by, entry.village_id, *OFFICE):
        raise refuse(_("Only the village head or an administrator records paper appeals."), "not_allowed")
    if received_on > entry.village.today():
        raise refuse(_("The day it was received cannot be in the future."), "future")
    filed_at = timezone.make_aware(datetime.combine(received_on, time(12)), entry.village.tzinfo)
    filed_at = min(filed_at, timezone.now())
    filed = {
        "channel": Appeal.Channel.PAPER,
        "received_by": received_by,
        "received_on": received_on,
        "filed_at": filed_at,
    }
    appeal = _file(entry=entry, reason=reason, filed=filed, at=filed_at)
    if scan is not None:
        # The scan is re-encoded (points.validators.clean_photo), like an entry's photo.
        appeal.scan.save(f"appeal-{appeal.pk}.jpg", ContentFile(scan.jpeg), save=True)
    return appeal


def _file(*, entry: Entry, reason: str, filed: dict, at: datetime | None = None) -> Appeal:
    reason = reason.strip()
    if not reason:
        raise refuse(_("Say why the entry is wrong."), "reason_required")
    if entry.is_reversal or Entry.objects.filter(reverses=entry).exists():
        raise refuse(_("This entry has been reversed already; there is nothing to appeal."), "already_reversed")
    if (at or timezone.now()) - entry.recorded_at > timedelta(days=settings.APPEAL_WINDOW_DAYS):
        raise refuse(
            _("Entries can be appealed for %(days)d days after they were recorded; this one is older."),
            "too_late",
            days=settings.APPEAL_WINDOW_DAYS,
        )
    try:
        with transaction.atomic():
            return Appeal.objects.create(entry=entry, reason=reason, **filed)
    except IntegrityError:
        raise refuse(_("This entry already has an open appeal."), "appeal_open") from None


def check_may_decide(*, appeal: Appeal, user: AbstractBaseUser) -> None:
    """Nobody judges their own case: refuse `user` unless appeal_route names them. The route: a
    head of the village with no conflict, else an administrator, else the township's reviewer."""
    deciders = AppealDeciders(appeal.entry.village)
    if user.pk in deciders.route(appeal).deciders:
        return
    could_decide = user.pk in deciders.reviewers or any(d.user_id == user.pk for d in deciders.office)
    conflict = deciders.conflict(appeal, user.pk) if could_decide else None
    if conflict == Conflict.RECORDED:
        raise refuse(_("You recorded this entry, so you cannot decide the appeal against it."), "conflict")
    if conflict in (Conflict.SELF, Conflict.HOUSEHOLD):
        raise refuse(_("The entry is in your own or your household's ledger; someone else decides."), "conflict")
    raise refuse(_("You cannot decide this appeal."), "not_allowed")


def decide_appeal(*, appeal: Appeal, head: AbstractBaseUser, upheld: bool, reason: str) -> Appeal:
    """Uphold (the entry is reversed, with the decision's reason) or reject an open appeal.
    `head` is whoever decides: see check_may_decide."""
    reason = reason.strip()
    check_may_decide(appeal=appeal, user=head)
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
    """An in-app notice for the resident (if they have a login) and, after commit, an e-mail; a
    text message if they opted in."""
    sms.notify_appeal_decided(appeal)
    user_id = Resident.objects.filter(pk=appeal.entry.resident_id).values_list("user_id", flat=True).first()
    if user_id is None:
        return  # no login: the head's printed statement tells them
    notification = Notification.objects.create(user_id=user_id, kind=Notification.Kind.APPEAL_DECIDED, appeal=appeal)
    outbox.enqueue(email_appeal_decision, notification.pk)
