"""Derived work that survives a broker outage: the transactional outbox.

`enqueue(task, *args)` writes a message in the caller's transaction. After commit it is published
at once; if the broker is down the user's action has still succeeded, and the sweeper publishes
the message when the broker is back. Tasks sent this way must be idempotent.
"""

import logging
from datetime import timedelta

from celery import Task, current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from points.models import OutboxMessage

log = logging.getLogger(__name__)

# A message younger than this is left to its own on-commit publish.
SWEEP_AFTER = timedelta(seconds=30)


def enqueue(task: Task, *args: int | str) -> OutboxMessage:
    """Queue `task(*args)` to run after the current transaction commits (exactly once in effect)."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: publish(message.pk), robust=True)
    return message


def publish(message_id: int) -> bool:
    """Send one message to the broker (or run it, when tasks are eager). False if it failed."""
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True
    OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1)
    try:
        current_app.tasks[message.task].apply_async(args=message.args, retry=False)
    except Exception as error:  # broker down, or an eager task failed: the sweeper tries again
        log.warning("outbox %s: %s(%s) not sent: %r", message.pk, message.task, message.args, error)
        return False
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    return True


def sweep(*, older_than: timedelta = SWEEP_AFTER, limit: int = 500) -> int:
    """Publish messages whose on-commit publish failed. Returns how many went out."""
    cutoff = timezone.now() - older_than
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)
    return sum(publish(pk) for pk in list(pending[:limit]))
