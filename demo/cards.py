"""Demo resident cards: every consenting resident of 东岛刘家村 has one. 刘建国's card has a known
address and code (printed by `loaddemo`, listed in the README), so anyone trying the demo can open
it; the others' secrets are random and were never printed, as in a village before its print run.
His household shares: an elder of it agreed that the family follows her standing."""

from datetime import timedelta

from points.services.cards import issue_cards
from villages.cards import CardSecrets, card_url
from villages.models import Resident, Village
from villages.services import opt_in_sms, record_household_sharing

DEMO_CARD = CardSecrets(token="demo-card-liujianguo-2018", code="CARD20180001")
DEMO_ELDER = "刘桂兰"


def give_demo_cards(village: Village, users: dict) -> None:
    head = users["head"]
    residents = list(Resident.objects.filter(village=village).scorable().select_related("household").order_by("pk"))
    demo = next(r for r in residents if r.user_id == users["resident"].pk)
    issue_cards(
        village=village,
        residents=residents,
        issued_by=head,
        card_secrets=[DEMO_CARD if r.pk == demo.pk else None for r in residents],
    )
    elder = Resident.objects.filter(household=demo.household, user__isnull=True).exclude(pk=demo.pk).first()
    if elder is None:
        elder = Resident.objects.create(
            village=village,
            household=demo.household,
            name=DEMO_ELDER,
            consent_given_on=demo.consent_given_on,
            consent_recorded_by=demo.consent_recorded_by,
        )
    else:
        elder.name = DEMO_ELDER
        elder.save()
    record_household_sharing(resident=elder, given_on=village.today() - timedelta(days=30), recorded_by=head)
    opt_in_sms(resident=demo, phone="139 0000 0001", given_on=village.today() - timedelta(days=30), recorded_by=head)


def demo_card_url() -> str:
    return card_url(DEMO_CARD)
