"""python manage.py verify_ledger [--village CODE]: recompute the ledger's hash chains and report
the first entry whose stored hash does not follow from the entries before it (exit status 1)."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from points import chain
from villages.models import Village


class Command(BaseCommand):
    help = "Check that no ledger entry was changed, deleted or inserted behind the application's back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--village", metavar="CODE", help="Check only this village's chain (e.g. DDLJ).")

    def handle(self, *args, village: str | None = None, **options) -> None:
        chosen = None
        if village:
            chosen = Village.objects.filter(code=village.upper()).first()
            if chosen is None:
                raise CommandError(f"No village has the code {village!r}.")
        checked, broken = chain.verify(village=chosen)
        if broken is not None:
            code = Village.objects.filter(pk=broken.village_id).values_list("code", flat=True).first()
            raise CommandError(
                f"Broken link at entry {broken.entry_id} (village {code}): its stored hash {broken.stored} does not "
                f"follow from the entries before it (expected {broken.expected}). {broken.checked} entries before "
                "it are intact; this entry was changed, or one before it in the village was changed or deleted."
            )
        scope = f"village {chosen.code}" if chosen else "every village"
        self.stdout.write(self.style.SUCCESS(f"Ledger intact: {checked} entries checked ({scope})."))
