from django.core.management.base import BaseCommand

from villages.demo.loader import load_demo


class Command(BaseCommand):
    help = "Load the demo villages (Dongdao Lu Jia and Teng Jia) and demo accounts, unless already loaded."

    def handle(self, *args, **options):
        if load_demo():
            self.stdout.write(self.style.SUCCESS("Demo villages loaded. Accounts: admin, head, scorer, resident."))
        else:
            self.stdout.write("Demo villages already loaded; nothing changed.")
