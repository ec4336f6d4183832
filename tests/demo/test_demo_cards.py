"""The demo village's cards: every consenting resident has one; 刘建国's opens from the README."""

import io

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from demo.cards import DEMO_CARD, DEMO_ELDER
from villages.models import Resident, ResidentCard

pytestmark = pytest.mark.django_db


@pytest.fixture
def printed() -> str:
    out = io.StringIO()
    call_command("loaddemo", stdout=out)
    return out.getvalue()


def test_every_consenting_resident_of_the_demo_village_has_a_card(printed):
    consenting = Resident.objects.filter(village__code="DDLJ").scorable()
    with_card = ResidentCard.objects.usable().filter(village__code="DDLJ").values_list("resident", flat=True)
    assert set(consenting.values_list("pk", flat=True)) == set(with_card)


def test_loaddemo_prints_a_card_address_that_opens_liu_jianguos_standing_and_his_elders(printed):
    line = next(line for line in printed.splitlines() if line.startswith("Card of 刘建国:"))
    address = line.split()[3]
    assert address == f"http://127.0.0.1:8000/card/?k={DEMO_CARD.token}"
    client = Client()
    assert client.get(address.removeprefix("http://127.0.0.1:8000")).status_code == 302
    page = client.get(reverse("points:standing")).content.decode()
    assert "刘建国" in page and DEMO_ELDER in page
    demo = Resident.objects.get(user__username="resident")
    elder = Resident.objects.get(name=DEMO_ELDER, household=demo.household)
    assert client.get(reverse("points:household_standing", args=[elder.pk])).status_code == 200


def test_the_demo_card_code_opens_the_card_too(printed):
    assert Client().post("/card/code/", {"code": DEMO_CARD.code_display}).status_code == 302
    assert "CARD-2018-0001" in printed
