"""Store fixtures for tests/store and the browser tests (registered in tests/conftest.py).

The store of village X: open since long ago, deeds spendable at once unless a test says otherwise,
store points that do not lapse; a store keeper; oil (5 points, 10 in stock) and rice (20, 3)."""

from decimal import Decimal

import pytest

from store.services import add_goods, configure_store, deliver
from tests.factories import LONG_AGO, make_item, member, record
from villages.models import Membership


@pytest.fixture
def store(village, head):
    return configure_store(
        author=head, village=village, credits_from=LONG_AGO, recognise_after_days=0, expires_at_year_end=False
    )


@pytest.fixture
def keeper(village):
    return member(village, Membership.Role.STORE_KEEPER, "keeper")


@pytest.fixture
def other_keeper(village):
    return member(village, Membership.Role.STORE_KEEPER, "keeper_b")


@pytest.fixture
def oil(store, village, head, keeper):
    goods = add_goods(author=head, village=village, name="花生油", unit="5 L", price_points=5)
    deliver(author=keeper, goods=goods, quantity=10, reason="供销社")
    return goods


@pytest.fixture
def rice(store, village, head, keeper):
    goods = add_goods(author=head, village=village, name="大米", unit="10 kg", price_points=20)
    deliver(author=keeper, goods=goods, quantity=3, reason="供销社")
    return goods


@pytest.fixture
def big_deed(page):
    """+10, no cap: a quick way to give a resident store points."""
    return make_item(page, code="9.1", title="见义勇为", points=Decimal(10))


@pytest.fixture
def earn(scorer, big_deed):
    """earn(resident, times): record `times` deeds of +10 for the resident."""

    def earn(resident, times=1):
        return [record(scorer=scorer, resident=resident, item=big_deed) for _ in range(times)]

    return earn
