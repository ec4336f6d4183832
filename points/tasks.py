"""Background work around the ledger. Tasks take ids, never write the ledger, and are safe to run twice."""

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from points import notices, outbox, sms, snapshots
from points.models import Appeal, Entry, Notification
from points.sms_backends import SmsError

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=5)
def email_appeal_decision(notification_id: int) -> None:
    """E-mail the resident the decision on their appeal, if their login has an address."""
    notification = (
        Notification.objects.select_related("user", "appeal__entry__item", "appeal__entry__village")
        .filter(pk=notification_id)
        .first()
    )
    if notification is not None:
        _email_once(notification, lambda: _appeal_message(notification.appeal))


@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=5)
def notify_entry_recorded(entry_id: int) -> None:
    """Tell the resident about a new line in their ledger: in the app and, if their login has an
    address, by e-mail. Sent through the outbox, so it arrives even if the broker was down."""
    notification = notices.entry_recorded(entry_id)
    if notification is not None:
        entry = Entry.objects.select_related("item", "village", "recorded_by").get(pk=entry_id)
        _email_once(notification, lambda: _entry_message(entry))


def _email_once(notification: Notification, message: Callable[[], tuple[str, str]]) -> None:
    """Send the notice by e-mail unless it went out already or the user has no address.
    Marked as e-mailed once sent, so a retry or a second delivery of the task sends nothing."""
    if notification.emailed_at is not None or not notification.user.email:
        return
    # Residents have no language preference stored; mail in the site's language (Chinese by default).
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = message()
    send_mail(subject, body, None, [notification.user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    log.info("notification %s (%s) e-mailed to user %s", notification.pk, notification.kind, notification.user_id)


def _entry_message(entry: Entry) -> tuple[str, str]:
    params = {
        "village": entry.village.name,
        "item": f"{entry.item.code} {entry.item.title}",
        "points": f"{entry.points:+}",
        "date": entry.occurred_on.isoformat(),
        "by": entry.recorded_by.get_full_name() or entry.recorded_by.get_username(),
    }
    subject = _("A new entry in your ledger")
    body = _(
        "%(by)s recorded “%(item)s” (%(points)s points) of %(date)s in your ledger at %(village)s. "
        "If it is wrong, you can appeal it on your ledger page."
    )
    return subject, body % params


def _appeal_message(appeal: Appeal) -> tuple[str, str]:
    entry = appeal.entry
    params = {
        "village": entry.village.name,
        "item": f"{entry.item.code} {entry.item.title}",
        "date": entry.occurred_on.isoformat(),
        "reason": appeal.decision_reason,
    }
    if appeal.status == Appeal.Status.UPHELD:
        subject = _("Your appeal was upheld")
        body = _(
            "The village head of %(village)s upheld your appeal about “%(item)s” of %(date)s. "
            "The entry no longer counts.\n\nReason: %(reason)s"
        )
    else:
        subject = _("Your appeal was rejected")
        body = _(
            "The village head of %(village)s rejected your appeal about “%(item)s” of %(date)s. "
            "The entry still counts.\n\nReason: %(reason)s"
        )
    return subject, body % params


@shared_task
def send_outbox() -> int:
    """Beat, every minute: publish outbox messages whose on-commit publish failed."""
    return outbox.sweep()


@shared_task
def notify_expired_deductions() -> int:
    """Beat, daily: tell residents which deductions stopped counting."""
    return notices.deductions_expired()


@shared_task
def remind_overdue_appeals() -> int:
    """Beat, daily: remind heads of appeals waiting past the deadline."""
    return notices.appeals_overdue() + notices.reviews_overdue()


@shared_task
def discard_old_batch_pdfs() -> int:
    """Beat, daily: remove printable batch PDFs kept longer than CERTIFICATE_BATCH_KEEP_DAYS."""
    from points.services import discard_old_batch_pdfs as discard  # services import this module

    return discard(older_than=timedelta(days=settings.CERTIFICATE_BATCH_KEEP_DAYS))


@shared_task
def take_monthly_snapshots() -> int:
    """Beat, daily: snapshot each village's settled month, once entries can no longer be backdated
    into it (a no-op once done for that month)."""
    return snapshots.take_settled_snapshots()


@shared_task
def resume_stalled_batches() -> int:
    """Beat, every minute: enqueue again certificate batches whose worker died mid-batch."""
    from points.services import resume_stalled_batches as resume  # services import this module

    return resume()


@shared_task(autoretry_for=(DatabaseError, OSError), retry_backoff=True, max_retries=3)
def render_certificate_batch(batch_id: int) -> None:
    """Issue and render a certificate batch. Safe to run twice, or again after its worker died:
    the service resumes where the last run stopped and never issues a certificate twice."""
    # Imported here: points.services enqueues this task, so it imports this module first.
    from points.services import run_certificate_batch

    batch = run_certificate_batch(batch_id=batch_id)
    if batch is not None:
        log.info("certificate batch %s: %s of %s", batch.pk, batch.done, batch.total)


@shared_task(autoretry_for=(SmsError,), retry_backoff=True, max_retries=5)
def send_sms_notice(notice_id: int) -> None:
    """Text the resident about one notice: at once if it is their first today, else the digest will.
    Retried (bounded) while the gateway fails; never sends a message twice."""
    message_id = sms.prepare_notice(notice_id)
    if message_id is not None:
        sms.deliver(message_id)


@shared_task(autoretry_for=(SmsError,), retry_backoff=True, max_retries=5)
def deliver_sms(message_id: int) -> None:
    sms.deliver(message_id)


@shared_task
def send_sms_digests() -> int:
    """Beat, hourly: the day's digest for residents with several notices, once the digest hour passed."""
    return sms.send_digests()


@shared_task(autoretry_for=(DatabaseError, OSError), retry_backoff=True, max_retries=3)
def render_card_sheet(sheet_id: int) -> None:
    """Issue and render a sheet of resident cards. Safe to run twice (see run_card_sheet)."""
    from points.services.cards import run_card_sheet

    sheet = run_card_sheet(sheet_id=sheet_id)
    if sheet is not None:
        log.info("card sheet %s: %s of %s", sheet.pk, sheet.done, sheet.total)
