import pytest
from django.core.management import call_command
from django.urls import reverse

from demo.loader import PASSWORD
from handbook.models import Edition, Item
from points.standing import compute_standing
from villages.models import Resident, Village

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("loaddemo")


def test_it_loads_a_twelve_page_handbook_in_force_today(demo):
    village = Village.objects.get(code="DDLJ")
    edition = Edition.objects.in_force(village=village, on=village.today())
    assert edition.pages.count() == 12
    chickens = edition.items.get(title="放鸡出舍")
    assert (chickens.kind, chickens.points, chickens.fine_yuan) == (Item.Kind.INFRACTION, 10, 200)
    hospital = edition.items.get(code="2.1")
    assert (hospital.cap_count, hospital.cap_period) == (2, Item.Period.MONTH)


def test_it_gives_the_village_residents_in_every_grade(demo):
    village = Village.objects.get(code="DDLJ")
    residents = Resident.objects.filter(village=village).select_related("village")
    assert 180 <= len(residents) <= 220
    assert {compute_standing(resident=r).grade for r in residents} == {"A+", "A", "B", "C", "D"}


def test_it_does_nothing_when_run_twice(demo):
    counts = (Village.objects.count(), Resident.objects.count(), Item.objects.count())
    call_command("loaddemo")
    assert (Village.objects.count(), Resident.objects.count(), Item.objects.count()) == counts


def test_every_demo_account_signs_in_and_lands_on_a_page(demo, client):
    for username in [
        "admin",
        "head",
        "scorer",
        "resident",
        "resident2",
        "resident3",
        "head_tj",
        "scorer_tj",
        "township",
    ]:
        response = client.post(reverse("login"), {"username": username, "password": PASSWORD}, follow=True)
        assert response.status_code == 200, username
        assert response.context["user"].username == username
        client.logout()


def test_the_demo_resident_has_a_mixed_ledger(demo):
    resident = Resident.objects.get(user__username="resident")
    standing = compute_standing(resident=resident)
    assert standing.grade == "B"
    assert standing.next_expiry is not None
    assert resident.entries.filter(reverses__isnull=False).exists()
    assert resident.entries.filter(expires_on__lte=resident.village.today()).exists()


def test_the_demo_handbook_scores_no_speech_petitions_or_politics(demo):
    words = ["标语", "上访", "信访", "政府", "言论", "政治", "请愿"]
    texts = Item.objects.values_list("title", "description")
    assert not [t for t in texts if any(w in " ".join(t) for w in words)]


def test_it_opens_a_small_store_with_a_month_of_history(demo):
    from store.models import Receipt, StockMovement, StoreSettings
    from store.report import build_report

    village = Village.objects.get(code="DDLJ")
    config = StoreSettings.objects.select_related("village").get(village=village)
    receipts = Receipt.objects.filter(village=village)
    assert receipts.filter(reverses__isnull=True).count() >= 10
    assert receipts.filter(reverses__isnull=False).count() == 1
    assert StockMovement.objects.filter(village=village, kind="write_off").exists()
    assert receipts.filter(resident__user__username="resident").exists()
    assert build_report(config=config, month=village.today().replace(day=1)).reconciled


def test_its_ledger_is_intact_up_to_every_published_month_head(demo):
    from points import chain, heads
    from points.models import Entry, PublishedHead

    assert chain.verify() == (Entry.objects.count(), None)
    assert PublishedHead.objects.filter(village__code="DDLJ").count() >= 12  # a year, as beat publishes
    assert heads.check(heads.stored_heads()) == []
