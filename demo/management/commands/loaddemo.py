from django.core.management.base import BaseCommand

from demo.cards import DEMO_CARD, demo_card_url
from demo.loader import load_demo
from points.models import Certificate
from points.verification import verify_url
from villages.models import Village
from villages.public_address import is_loopback, public_address


class Command(BaseCommand):
    help = "Load the demo villages (Dongdao Lu Jia and Teng Jia) and demo accounts, unless already loaded."

    def handle(self, *args, **options):
        if load_demo():
            self.stdout.write(self.style.SUCCESS("Demo villages loaded. Accounts: admin, head, scorer, resident."))
            for certificate in Certificate.objects.select_related("village").order_by("pk"):
                state = "revoked" if certificate.is_revoked else "current"
                self.stdout.write(f"Certificate {certificate.serial} ({state}): {verify_url(certificate)}")
            address = public_address(Village.objects.get(code="DDLJ"))
            if is_loopback(address):
                self.stdout.write(
                    self.style.WARNING(
                        f"QR codes point at {address}, which no phone can open. Sign in as admin and set the "
                        "public address (handbook editor, Grades and starting capital), or set SITE_URL."
                    )
                )
        else:
            self.stdout.write("Demo villages already loaded; nothing changed.")
        # The same every time: 刘建国's demo card (it stops working if the head reprints it).
        self.stdout.write(f"Card of 刘建国: {demo_card_url()}  (or type {DEMO_CARD.code_display} at /card/code/)")
