"""Background work around the ledger. Tasks take ids, never write the ledger, and are safe to run twice."""

import logging
import smtplib

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone, translation
from django.utils.translation import gettext as _

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
