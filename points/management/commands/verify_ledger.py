"""python manage.py verify_ledger [--village CODE] [--published FILE]: recompute the ledger's keyed
hash chains and report the first entry whose stored hash does not follow from the entries before it
(or that names a key LEDGER_CHAIN_KEYS lacks), then check the chain against every published head
(PublishedHead, and the heads in FILE, a CSV written earlier by `chain_heads`), so that entries
deleted from the end are found too. Exit status 1 on any finding."""

from django.core.management.base import BaseCommand, CommandError, CommandParser

from points import chain, heads
from villages.models import Village

PROBLEMS = {
    "missing": "its entry {entry} is gone (entries were deleted from the end of the chain?)",
    "hash": "its entry {entry} now has another hash",
    "count": "the chain up to its entry {entry} no longer holds {entries} entries",
    "village": "no village has this code",
}


class Command(BaseCommand):
    help = "Check that no ledger entry was changed, deleted or inserted behind the application's back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--village", metavar="CODE", help="Check only this village's chain (e.g. DDLJ).")
        parser.add_argument(
            "--published", metavar="FILE", help="Also check the heads in this CSV (written by `chain_heads`)."
        )

    def handle(self, *args, village: str | None = None, published: str | None = None, **options) -> None:
        chosen = None
        if village:
            chosen = Village.objects.filter(code=village.upper()).first()
            if chosen is None:
                raise CommandError(f"No village has the code {village!r}.")
        checked, broken = chain.verify(village=chosen)
        if broken is not None:
            code = Village.objects.filter(pk=broken.village_id).values_list("code", flat=True).first()
            if broken.unknown_key:
                raise CommandError(
                    f"Entry {broken.entry_id} (village {code}) names the chain key {broken.unknown_key!r}, which "
                    f"LEDGER_CHAIN_KEYS does not hold: add the key (keep old keys listed after a rotation) or the "
                    f"entry was forged. {broken.checked} entries before it are intact."
                )
            raise CommandError(
                f"Broken link at entry {broken.entry_id} (village {code}): its stored hash {broken.stored} does not "
                f"follow from the entries before it (expected {broken.expected}). {broken.checked} entries before "
                "it are intact; this entry was changed, or one before it in the village was changed or deleted, "
                "or the chain was sealed again without the key."
            )
        given = heads.stored_heads(chosen)
        if published:
            try:
                with open(published, newline="", encoding="utf-8") as file:
                    given += heads.read_csv(file)
            except (OSError, ValueError) as error:
                raise CommandError(f"Cannot read published heads from {published}: {error}") from None
        mismatches = heads.check(given, village=chosen)
        if mismatches:
            raise CommandError(
                "The ledger no longer reaches its published heads:\n"
                + "\n".join(
                    f"  {m.head.village_code} {m.head.month:%Y-%m} (entry {m.head.entry_id}, {m.head.entries} "
                    f"entries, hash {m.head.chain_hash}): "
                    + PROBLEMS[m.problem].format(entry=m.head.entry_id, entries=m.head.entries)
                    for m in mismatches
                )
            )
        scope = f"village {chosen.code}" if chosen else "every village"
        self.stdout.write(
            self.style.SUCCESS(
                f"Ledger intact: {checked} entries checked ({scope}); {len(given)} published heads reached."
            )
        )
