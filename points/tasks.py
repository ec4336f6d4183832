"""Background work around the ledger. Tasks take ids, never write the ledger, and are safe to run twice."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from points import outbox, snapshots
from points.models import Appeal, Notification

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(smtplib.SMTPException, OSError), retry_backoff=True, max_retries=5)
def email_appeal_decision(notification_id: int) -> None:
    """E-mail the resident the decision on their appeal, if their login has an address.

    Marks the notification as e-mailed, so a retry or a second delivery of the task sends nothing.
    """
    notification = (
        Notification.objects.select_related("user", "appeal__entry__item", "appeal__entry__village")
        .filter(pk=notification_id, emailed_at__isnull=True)
        .first()
    )
    if notification is None or not notification.user.email:
        return
    appeal = notification.appeal
    # Residents have no language preference stored; mail in the site's language (Chinese by default).
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = _appeal_message(appeal)
    send_mail(subject, body, None, [notification.user.email])
    Notification.objects.filter(pk=notification.pk).update(emailed_at=timezone.now())
    log.info("appeal %s: decision e-mailed to user %s", appeal.pk, notification.user_id)


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
def take_monthly_snapshots() -> int:
    """Beat, daily: snapshot last month for every resident (a no-op once done for that month)."""
    return snapshots.take_monthly_snapshots(month=snapshots.previous_month(timezone.localdate()))


@shared_task(autoretry_for=(DatabaseError, OSError), retry_backoff=True, max_retries=3)
def render_certificate_batch(batch_id: int) -> None:
    """Issue and render a certificate batch. Safe to run twice, or again after its worker died:
    the service resumes where the last run stopped and never issues a certificate twice."""
    # Imported here: points.services enqueues this task, so it imports this module first.
    from points.services import run_certificate_batch

    batch = run_certificate_batch(batch_id=batch_id)
    if batch is not None:
        log.info("certificate batch %s: %s of %s", batch.pk, batch.done, batch.total)
