"""python manage.py chain_heads [--village CODE] [--output FILE]: each village's chain head at the
end of every ended month, as CSV (village, month, entry, chain_hash, entries). Publishes the months
not yet published (points.services.publish_heads). Keep the file away from the database (print it,
mail it, store it elsewhere): `verify_ledger --published FILE` checks the ledger still reaches it."""

import csv
import io

from django.core.management.base import BaseCommand, CommandError, CommandParser

from points.heads import CSV_HEADER, Head
from points.services import publish_heads
from villages.models import Village


class Command(BaseCommand):
    help = "Export (and publish) every village's chain head at the end of each ended month, as CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--village", metavar="CODE", help="Only this village (e.g. DDLJ).")
        parser.add_argument("--output", metavar="FILE", help="Write to this file instead of standard output.")

    def handle(self, *args, village: str | None = None, output: str | None = None, **options) -> None:
        chosen = None
        if village:
            chosen = Village.objects.filter(code=village.upper()).first()
            if chosen is None:
                raise CommandError(f"No village has the code {village!r}.")
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(CSV_HEADER)
        for h in publish_heads(village=chosen):
            writer.writerow(Head(h.village.code, h.month, h.entry_id, h.chain_hash, h.entries).as_row())
        if output:
            with open(output, "w", newline="", encoding="utf-8") as file:
                file.write(text.getvalue())
        else:
            self.stdout.write(text.getvalue(), ending="")
