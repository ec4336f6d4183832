"""The demo village's points store: a store keeper, six goods, benefits by grade, and a month of
history (a delivery, then redemptions, a return and a write-off), written through the services in
time order. Deterministic for a given seed and day."""

import random
import uuid
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from store.services import add_goods, configure_store, deliver, redeem, return_receipt, write_off
from villages.benefits import offer_benefit
from villages.models import Membership, Resident, Village
from villages.services import grant_role

PASSWORD = "village-demo"
GOODS = [  # name, unit, price in store points, first delivery
    ("花生油", "5 L", 60, 20),
    ("大米", "10 kg", 50, 30),
    ("洗衣粉", "1 kg", 15, 40),
    ("肥皂", "块", 5, 80),
    ("酱油", "瓶", 10, 40),
    ("毛巾", "条", 12, 30),
]
BENEFITS = [  # from grade, text, provider
    ("A", "农具租用免押金", "村合作社"),
    ("A", "村卫生室体检优先预约", "村卫生室"),
    ("A+", "小额信用贷款利率优惠", "农村信用社"),
]


def load_demo_store(village: Village, residents: list[Resident], users: dict, rng: random.Random) -> None:
    """Open the store with a month of history. `users` holds the demo's admin and head."""
    keeper, _created = get_user_model().objects.get_or_create(username="keeper")
    keeper.first_name = "姜春生"
    keeper.set_password(PASSWORD)
    keeper.save()
    grant_role(user=keeper, village=village, role=Membership.Role.STORE_KEEPER)
    today = village.today()
    configure_store(
        author=users["head"],
        village=village,
        credits_from=today.replace(month=1, day=1),
        points_per_deed_point=10,  # a fixed conversion: a deed of +2 gives 20 store points
        recognise_after_days=7,
        expires_at_year_end=True,
    )
    for grade, text, provider in BENEFITS:
        offer_benefit(
            village=village,
            grade=grade,
            text=text,
            provider=provider,
            starts_on=today - timedelta(days=60),
            author=users["head"],
        )
    opened = datetime.combine(today - timedelta(days=30), time(9, 0), tzinfo=village.tzinfo)
    goods = []
    for name, unit, price, delivered in GOODS:
        article = add_goods(author=users["head"], village=village, name=name, unit=unit, price_points=price)
        deliver(author=keeper, goods=article, quantity=delivered, reason="镇供销社", at=opened)
        goods.append(article)
    _month_of_redemptions(village, residents, goods, keeper, opened, rng)
    write_off(author=keeper, goods=goods[3], quantity=2, reason="受潮", at=opened + timedelta(days=12, hours=3))


def _month_of_redemptions(
    village: Village, residents: list[Resident], goods: list, keeper, opened: datetime, rng: random.Random
) -> None:
    """About three customers a day on market days, each taking one or two goods they can afford;
    the demo resident (刘建国) is among them twice. One receipt is returned."""
    customers = [r for r in residents if r.user_id is None or getattr(r, "demo_account", "") == "resident"]
    receipts = []
    for day in range(1, 30, 2):
        for slot in range(3):
            resident = residents[0] if slot == 0 and day in (5, 19) else rng.choice(customers)
            basket = {article.pk: rng.randint(1, 2) for article in rng.sample(goods, rng.randint(1, 2))}
            at = opened + timedelta(days=day, hours=slot + 1, minutes=rng.randint(0, 50))
            try:
                receipts.append(
                    redeem(keeper=keeper, resident=resident, basket=basket, idempotency_key=uuid.uuid4(), served_at=at)
                )
            except ValidationError:
                continue  # not enough store points or stock: the keeper says so and nothing is written
    if receipts:
        return_receipt(receipt=receipts[len(receipts) // 2], author=keeper, reason="包装破损，换货")
