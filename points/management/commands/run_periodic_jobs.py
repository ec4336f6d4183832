from django.conf import settings
from django.core.management.base import BaseCommand

from points import tasks


class Command(BaseCommand):
    help = (
        "Run every periodic job once, in-process: the outbox sweep, monthly snapshots, expiry notices, "
        "overdue-appeal reminders and old batch PDFs. Each is safe to run twice. In production Celery "
        "beat runs them (CELERY_BEAT_SCHEDULE); on the embedded default, run this from cron."
    )

    def handle(self, *args, **options):
        for name in settings.CELERY_BEAT_SCHEDULE.values():
            task = getattr(tasks, name["task"].rsplit(".", 1)[1])
            result = task.apply().get()
            self.stdout.write(f"{task.name}: {result}")
