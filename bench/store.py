"""A redemption at the store counter against the record-entry floor (the issue's goal: ≤ 2×).

The store keeper's Confirm POST through the whole stack (middleware, session, access check, form,
the resident's and goods' row locks, the balance derived from the points ledger, the stock sum, the
receipt, its line and the stock movement), interleaved with the bare view doing one INSERT into the
ledger table that bench.run uses as the floor of recording an entry. The county's village gets a
store, a keeper and one article priced at one store point with plenty of stock; its residents'
deeds pay for it. Safe to run again on the same county.
"""

import random
import uuid
from datetime import date

GOAL = 2.0


def open_store(village, head):
    """The village's store keeper and an article to redeem (made once)."""
    from django.contrib.auth import get_user_model

    from store.models import Goods, StoreSettings
    from store.services import add_goods, configure_store, deliver, stock_of
    from villages.models import Membership
    from villages.services import grant_role

    keeper, _created = get_user_model().objects.get_or_create(username=f"keeper_{village.code}")
    grant_role(user=keeper, village=village, role=Membership.Role.STORE_KEEPER)
    if not StoreSettings.objects.filter(village=village).exists():
        configure_store(author=head, village=village, credits_from=date(2018, 7, 1), recognise_after_days=0)
    goods = Goods.objects.filter(village=village, name="肥皂").first()
    if goods is None:
        goods = add_goods(author=head, village=village, name="肥皂", price_points=1)
    if stock_of([goods.pk])[goods.pk] < 10_000:
        deliver(author=head, goods=goods, quantity=100_000, reason="bench")
    return keeper, goods


def give_back(village, keeper) -> None:
    """Return every redemption of the village not yet returned (untimed): the residents' deeds of
    the year pay for a few dozen, and every run redeems for the same residents."""
    from store.models import Receipt
    from store.services import return_receipt

    for receipt in Receipt.objects.filter(village=village, reverses__isnull=True, reversal__isnull=True):
        return_receipt(receipt=receipt, author=keeper, reason="bench: given back")


def measure_redemption(county, n: int):
    from django.urls import reverse

    from bench.run import GOALS, Measurement, _floor_insert, count_queries, expect, interleaved

    keeper, goods = open_store(county.village, county.head)
    tiny_keeper, tiny_goods = open_store(county.tiny_village, county.tiny_head)
    give_back(county.village, keeper)  # what earlier runs took, or the same picks run out of store points

    def confirm(client, resident, article):
        data = {"idempotency_key": str(uuid.uuid4()), f"q{article.pk}": "1"}
        expect(client.post(reverse("store:serve", args=[resident.pk]), data), 302)

    client = county.client(keeper)
    rng = random.Random(3)
    picks = [rng.choice(county.residents) for _ in range(n)]
    confirm(client, picks[0], goods)  # warm: templates, forms, first connection
    cpu = ([], [])
    real, floor = interleaved(
        lambda i: confirm(client, picks[i], goods),
        lambda i: _floor_insert(county, client, picks[i], county.item),
        n,
        cpu,
    )
    tiny = county.client(tiny_keeper)
    give_back(county.tiny_village, tiny_keeper)
    queries_small = count_queries(lambda: confirm(tiny, county.tiny_resident, tiny_goods))
    return Measurement(
        name="redeem at the store counter (keeper's Confirm POST)",
        unit="request",
        times=real,
        floor_name="bare view, one INSERT (the record-entry floor)",
        floor_times=floor,
        cpu_times=cpu[0],
        floor_cpu_times=cpu[1],
        queries=count_queries(lambda: confirm(client, picks[0], goods)),
        queries_small=queries_small,
        goal=GOALS["redeem"],
    )
