"""Two counters at the same instant, on a real database file (SQLite, IMMEDIATE transactions) or on
PostgreSQL (row locks): see tests/points/test_concurrency.py for why the test database is a file."""

import uuid

import pytest
from django.core.exceptions import ValidationError

from store.balance import store_balance
from store.models import Receipt, StoreSettings
from store.services import add_goods, deliver, redeem, stock_of
from tests.factories import ResidentFactory
from tests.points.test_concurrency import at_the_same_instant

pytestmark = pytest.mark.django_db(transaction=True)


def outcome_of(outcomes):
    served = [o for o in outcomes if isinstance(o, Receipt)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(served) == 1 and len(refused) == 1, outcomes
    return refused[0]


@pytest.mark.parametrize("round_", range(5))
def test_it_lets_only_one_of_two_counters_take_the_last_unit(round_, village, head, keeper, other_keeper, store, earn):
    tea = add_goods(author=head, village=village, name=f"茶叶{round_}", price_points=5)
    deliver(author=keeper, goods=tea, quantity=1, reason="供销社")
    first, second = ResidentFactory(village=village), ResidentFactory(village=village)
    earn(first), earn(second)

    def serve(by, resident):
        return lambda: redeem(keeper=by, resident=resident, basket={tea.pk: 1}, idempotency_key=uuid.uuid4())

    refusal = outcome_of(at_the_same_instant(serve(keeper, first), serve(other_keeper, second)))

    assert refusal.code == "out_of_stock"
    assert stock_of([tea.pk]) == {tea.pk: 0}


@pytest.mark.parametrize("round_", range(5))
def test_it_lets_only_one_of_two_counters_spend_a_residents_last_points(
    round_, village, head, keeper, other_keeper, store, earn
):
    soap = add_goods(author=head, village=village, name=f"肥皂{round_}", price_points=10)
    deliver(author=keeper, goods=soap, quantity=5, reason="供销社")
    resident = ResidentFactory(village=village)
    earn(resident)  # 10 store points: one bar

    def serve(by):
        return lambda: redeem(keeper=by, resident=resident, basket={soap.pk: 1}, idempotency_key=uuid.uuid4())

    refusal = outcome_of(at_the_same_instant(serve(keeper), serve(other_keeper)))

    assert refusal.code == "not_enough_points"
    config = StoreSettings.objects.select_related("village").get(village=village)
    assert store_balance(resident=resident, config=config).balance == 0
    assert stock_of([soap.pk]) == {soap.pk: 4}


@pytest.mark.parametrize("round_", range(3))
def test_it_redeems_once_when_the_same_confirm_arrives_twice_at_the_same_instant(
    round_, village, keeper, store, oil, earn
):
    resident = ResidentFactory(village=village)
    earn(resident)
    key = uuid.uuid4()

    def confirm():
        return redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=key)

    first, second = at_the_same_instant(confirm, confirm)

    assert isinstance(first, Receipt) and isinstance(second, Receipt), (first, second)
    assert first.pk == second.pk
    assert Receipt.objects.filter(resident=resident).count() == 1
