"""Derived work that survives a broker outage: the transactional outbox.

`enqueue(task, *args)` writes a message in the caller's transaction. After commit it is published
at once; if the broker is down the user's action has still succeeded, and the sweeper publishes
the message when the broker is back. Tasks sent this way must be idempotent.

A request never waits for a broker that is down: publishing has a short connect timeout
(CELERY_BROKER_CONNECTION_TIMEOUT), and after one failure this process stops trying for
BREAKER_SECONDS (a circuit breaker), leaving its messages to the sweeper's next run. So with Redis
down, only the first request of a minute pays the timeout; the others cost what they cost with
Redis up.
"""

import logging
import time
from datetime import timedelta

from celery import Task, current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from points.models import OutboxMessage

log = logging.getLogger(__name__)

# A message younger than this is left to its own on-commit publish.
SWEEP_AFTER = timedelta(seconds=30)
# After a failed publish, this process leaves publishing to the sweeper (which runs every minute).
BREAKER_SECONDS = 60.0
_broker_down_until = 0.0  # time.monotonic() before which on-commit publishing is skipped


def broker_presumed_down() -> bool:
    """True while the circuit breaker is open: a publish failed in this process less than
    BREAKER_SECONDS ago."""
    return time.monotonic() < _broker_down_until


def enqueue(task: Task, *args: int | str) -> OutboxMessage:
    """Queue `task(*args)` to run after the current transaction commits (exactly once in effect)."""
    message = OutboxMessage.objects.create(task=task.name, args=list(args))
    transaction.on_commit(lambda: publish(message.pk), robust=True)
    return message


def publish(message_id: int, *, sweeping: bool = False) -> bool:
    """Send one message to the broker (or run it, when tasks are eager). False if it failed, or if
    the circuit breaker is open and this is not the sweeper (the message waits for its next run)."""
    global _broker_down_until
    if not sweeping and broker_presumed_down():
        return False
    message = OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).first()
    if message is None:
        return True
    OutboxMessage.objects.filter(pk=message_id).update(attempts=F("attempts") + 1)
    try:
        current_app.tasks[message.task].apply_async(args=message.args, retry=False)
    except Exception as error:  # broker down, or an eager task failed: the sweeper tries again
        log.warning("outbox %s: %s(%s) not sent: %r", message.pk, message.task, message.args, error)
        if not current_app.conf.task_always_eager:  # a failing eager task says nothing about a broker
            _broker_down_until = time.monotonic() + BREAKER_SECONDS
        return False
    _broker_down_until = 0.0
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    return True


def sweep(*, older_than: timedelta = SWEEP_AFTER, limit: int = 500) -> int:
    """Publish messages whose on-commit publish failed. Returns how many went out."""
    cutoff = timezone.now() - older_than
    pending = OutboxMessage.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).values_list("pk", flat=True)
    return sum(publish(pk, sweeping=True) for pk in list(pending[:limit]))
