"""Redeeming at the counter and taking goods back: the service, directly."""

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from points.services import reverse_entry, withdraw_entry
from points.standing import compute_standing
from store.balance import store_balance
from store.models import Receipt, StockMovement
from store.services import configure_store, redeem, return_receipt, stock_of, write_off
from tests.factories import LONG_AGO
from tests.points.test_ledger_chain import POSTGRES

pytestmark = pytest.mark.usefixtures("clock")


def balance(resident, store):
    store.refresh_from_db()
    return store_balance(resident=resident, config=store).balance


def refused_redemption(**kwargs) -> ValidationError:
    before = (Receipt.objects.count(), StockMovement.objects.count())
    with pytest.raises(ValidationError) as caught:
        redeem(idempotency_key=uuid.uuid4(), **kwargs)
    assert (Receipt.objects.count(), StockMovement.objects.count()) == before
    return caught.value


def test_it_spends_store_points_and_takes_goods_out_of_stock(store, keeper, resident, oil, rice, earn):
    earn(resident, 3)  # 30 store points

    receipt = redeem(keeper=keeper, resident=resident, basket={oil.pk: 2, rice.pk: 1}, idempotency_key=uuid.uuid4())

    assert receipt.spent == 30
    assert [(line.goods, line.quantity, line.price_points) for line in receipt.lines.all()] == [
        (oil, 2, 5),
        (rice, 1, 20),
    ]
    assert balance(resident, store) == 0
    assert stock_of([oil.pk, rice.pk]) == {oil.pk: 8, rice.pk: 2}


def test_it_never_changes_the_grade_or_the_standing_balance(store, keeper, resident, oil, earn):
    earn(resident, 1)
    before = compute_standing(resident=resident)

    receipt = redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())
    return_receipt(receipt=receipt, author=keeper, reason="油桶漏了")

    after = compute_standing(resident=resident)
    assert (after.balance, after.grade) == (before.balance, before.grade) == (1010, "A")


def test_it_redeems_once_when_confirm_is_tapped_twice(store, keeper, resident, oil, earn):
    earn(resident, 1)
    key = uuid.uuid4()

    first = redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=key)
    second = redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=key)

    assert first.pk == second.pk
    assert Receipt.objects.count() == 1
    assert balance(resident, store) == 5


def test_it_refuses_a_redemption_beyond_the_balance_and_writes_nothing(store, keeper, resident, rice, earn):
    earn(resident, 1)

    error = refused_redemption(keeper=keeper, resident=resident, basket={rice.pk: 1})

    assert error.code == "not_enough_points"
    assert "10" in error.messages[0] and "20" in error.messages[0]


def test_it_refuses_a_redemption_beyond_the_stock_and_writes_nothing(store, keeper, resident, rice, earn):
    earn(resident, 10)

    error = refused_redemption(keeper=keeper, resident=resident, basket={rice.pk: 4})

    assert error.code == "out_of_stock"
    assert stock_of([rice.pk]) == {rice.pk: 3}


@pytest.mark.parametrize(
    "who, code", [("scorer", "not_allowed"), ("head", "not_allowed"), ("outsider_scorer", "not_allowed")]
)
def test_it_lets_only_a_store_keeper_of_the_village_serve(request, store, resident, oil, earn, who, code):
    earn(resident, 1)
    error = refused_redemption(keeper=request.getfixturevalue(who), resident=resident, basket={oil.pk: 1})
    assert error.code == code


def test_it_refuses_goods_of_another_village_taken_off_offer_or_an_empty_basket(
    store, keeper, head, resident, oil, earn
):
    from store.services import change_goods

    earn(resident, 1)
    assert refused_redemption(keeper=keeper, resident=resident, basket={}).code == "empty_basket"
    assert refused_redemption(keeper=keeper, resident=resident, basket={oil.pk + 999: 1}).code == "unknown_goods"
    change_goods(author=head, goods=oil, name=oil.name, unit=oil.unit, price_points=5, active=False)
    assert refused_redemption(keeper=keeper, resident=resident, basket={oil.pk: 1}).code == "inactive_goods"


def test_it_does_not_let_a_store_keeper_serve_themself(store, keeper, village, oil, earn):
    from tests.factories import ResidentFactory

    own = ResidentFactory(village=village, user=keeper)
    earn(own, 1)
    assert refused_redemption(keeper=keeper, resident=own, basket={oil.pk: 1}).code == "own_receipt"


def test_each_redemption_reads_its_own_residents_balance_and_moment(
    store, head, keeper, resident, other_resident, oil, earn, clock
):
    """The counter's read is compiled once (villages.compiled): every run binds its own resident,
    village, time and window, so one resident's balance never decides for another's."""
    earn(resident, 3)
    earn(other_resident, 1)
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 6}, idempotency_key=uuid.uuid4())  # 30 points
    caught = refused_redemption(keeper=keeper, resident=other_resident, basket={oil.pk: 3})
    assert caught.code == "not_enough_points"  # 10 points, not the first resident's 30
    redeem(keeper=keeper, resident=other_resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())

    configure_store(author=head, village=store.village, credits_from=LONG_AGO, recognise_after_days=7)
    earn(resident, 1)
    assert refused_redemption(keeper=keeper, resident=resident, basket={oil.pk: 1}).code == "not_enough_points"
    clock.shift(timedelta(days=7))
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())
    assert (balance(resident, store), balance(other_resident, store)) == (0, 0)


def test_a_return_gives_the_points_and_the_goods_back_once(store, keeper, resident, oil, earn):
    earn(resident, 1)
    receipt = redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())

    back = return_receipt(receipt=receipt, author=keeper, reason="买错了")

    assert back.reverses == receipt and back.points == 10
    assert balance(resident, store) == 10
    assert stock_of([oil.pk]) == {oil.pk: 10}
    with pytest.raises(ValidationError) as caught:
        return_receipt(receipt=receipt, author=keeper, reason="again")
    assert caught.value.code == "already_returned"
    with pytest.raises(ValidationError) as caught:
        return_receipt(receipt=back, author=keeper, reason="again")
    assert caught.value.code == "is_return"


def test_infractions_never_take_store_points(store, scorer, keeper, resident, oil, earn, infraction):
    from tests.factories import record

    earn(resident, 1)
    record(scorer=scorer, resident=resident, item=infraction)
    assert balance(resident, store) == 10


def test_a_deed_is_spendable_only_after_the_recognition_window(store, head, keeper, resident, oil, earn, clock):
    configure_store(author=head, village=store.village, credits_from=LONG_AGO, recognise_after_days=7)
    earn(resident, 1)
    store.refresh_from_db()
    pending = store_balance(resident=resident, config=store)
    assert (pending.balance, pending.pending, pending.pending_from) == (0, 10, store.village.today() + timedelta(7))
    clock.shift(timedelta(days=7))
    assert balance(resident, store) == 10


def test_a_deed_withdrawn_within_the_window_never_reaches_the_store_and_a_later_reversal_keeps_it(
    store, head, scorer, keeper, resident, oil, earn, clock
):
    configure_store(author=head, village=store.village, credits_from=LONG_AGO, recognise_after_days=7)
    withdrawn, kept = earn(resident, 2)
    withdraw_entry(entry=withdrawn, scorer=scorer, reason="记错人了")
    clock.shift(timedelta(days=8))
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())

    reverse_entry(entry=kept, author=head, reason="申诉成立")

    assert balance(resident, store) == 0  # spent, and never below zero
    assert compute_standing(resident=resident).balance == 1000


def test_store_points_lapse_at_the_end_of_the_year(store, head, keeper, resident, oil, earn, clock):
    configure_store(author=head, village=store.village, credits_from=LONG_AGO, recognise_after_days=0)
    earn(resident, 1)
    store.refresh_from_db()
    now = store_balance(resident=resident, config=store)
    assert now.balance == 10 and now.expires_on == store.village.today().replace(month=12, day=31)
    receipt = redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=uuid.uuid4())

    clock.shift(timedelta(days=200))  # into next January

    assert balance(resident, store) == 0
    with pytest.raises(ValidationError) as caught:
        return_receipt(receipt=receipt, author=keeper, reason="late")
    assert caught.value.code == "period_closed"


def test_a_write_off_never_takes_stock_below_zero(store, keeper, rice):
    with pytest.raises(ValidationError) as caught:
        write_off(author=keeper, goods=rice, quantity=4, reason="受潮")
    assert caught.value.code == "out_of_stock"
    write_off(author=keeper, goods=rice, quantity=3, reason="受潮")
    assert stock_of([rice.pk]) == {rice.pk: 0}


def test_receipts_and_movements_are_never_changed(store, keeper, resident, oil, earn):
    from villages.models import AppendOnlyError

    earn(resident, 1)
    receipt = redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=uuid.uuid4())
    with pytest.raises(AppendOnlyError):
        receipt.save()
    with pytest.raises(AppendOnlyError):
        StockMovement.objects.filter(goods=oil).update(quantity=99)
    with pytest.raises(AppendOnlyError):
        Receipt.objects.all().delete()


@pytest.mark.skipif(not POSTGRES, reason="the append-only trigger is installed on PostgreSQL only")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE store_receipt SET points_halves = -2 WHERE id = %s",
        "DELETE FROM store_stockmovement WHERE receipt_id = %s",
        "UPDATE store_receiptline SET quantity = 9 WHERE receipt_id = %s",
    ],
)
def test_postgresql_refuses_to_change_the_store_ledgers(store, keeper, resident, oil, earn, sql):
    from django.db import DatabaseError, connection, transaction

    earn(resident, 1)
    receipt = redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=uuid.uuid4())
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [receipt.pk])
    assert stock_of([oil.pk]) == {oil.pk: 9}


REDEEM_STATEMENTS = 9  # BEGIN (SQLite), 3 reads with the locks, 3 INSERTs, COMMIT, and one to spare


@pytest.mark.parametrize("lines", [1, 3])
def test_a_redemption_costs_the_same_statements_whatever_the_lines_and_earlier_receipts(
    django_assert_max_num_queries, store, head, keeper, resident, oil, rice, earn, lines
):
    from store.services import add_goods, deliver

    soap = add_goods(author=head, village=resident.village, name="肥皂", price_points=1)
    deliver(author=keeper, goods=soap, quantity=50, reason="供销社")
    earn(resident, 10)
    for _earlier in range(5):
        redeem(keeper=keeper, resident=resident, basket={soap.pk: 1}, idempotency_key=uuid.uuid4())
    basket = dict(list({oil.pk: 1, rice.pk: 1, soap.pk: 2}.items())[:lines])
    with django_assert_max_num_queries(REDEEM_STATEMENTS):
        receipt = redeem(keeper=keeper, resident=resident, basket=basket, idempotency_key=uuid.uuid4())
    assert receipt.lines.count() == lines and StockMovement.objects.filter(receipt=receipt).count() == lines


def test_the_counters_confirm_costs_the_same_statements_whatever_the_lines(
    django_assert_max_num_queries, client, store, keeper, resident, oil, rice, earn
):
    """The keeper's Confirm POST: the session, the user and their village, the redemption (which
    fetches the resident with its lock), and the session saved again (its age counts from the last
    request)."""
    earn(resident, 10)
    client.force_login(keeper)
    url = f"/store/counter/{resident.pk}/"
    client.post(url, {"idempotency_key": str(uuid.uuid4()), f"q{oil.pk}": "1"})  # warm
    for basket in ({f"q{oil.pk}": "1"}, {f"q{oil.pk}": "2", f"q{rice.pk}": "1"}):
        with django_assert_max_num_queries(3 + REDEEM_STATEMENTS + 3):
            response = client.post(url, {"idempotency_key": str(uuid.uuid4()), **basket})
        assert response.status_code == 302
