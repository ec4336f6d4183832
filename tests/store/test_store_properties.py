"""The store's invariants under random sequences of operations (Hypothesis state machine).

Deeds and infractions are recorded, some reversed; the store keeper redeems random baskets (some
beyond the balance or the stock, some replayed with the same key), takes receipts back, records
deliveries and write-offs; the clock moves on by hours or days, across a year end. A plain-Python
model beside it says what every store balance and stock must be. After every step:

- no store balance and no stock is negative, and each equals the model's;
- each resident's grade and standing balance are exactly what the points ledger alone gives
  (capital + the entries that count, from the model), and every store operation leaves them as
  they were before it: with and without the redemptions and returns, the same.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from points.models import Entry
from points.services import record_entry, reverse_entry
from points.standing import compute_standing
from store.balance import store_balance
from store.models import Receipt, StockMovement, StoreSettings
from store.services import add_goods, configure_store, deliver, redeem, return_receipt, stock_of, write_off
from tests.factories import (
    LONG_AGO,
    EditionFactory,
    MembershipFactory,
    PageFactory,
    ResidentFactory,
    VillageFactory,
    make_item,
)
from villages.grades import DONGDAO_LU_JIA_BANDS, grade_for
from villages.models import Membership

SHANGHAI = ZoneInfo("Asia/Shanghai")
WINDOW = timedelta(days=2)
PRICES = [3, 7]


@dataclass
class Deed:
    pk: int
    resident: int
    halves: int
    recorded_at: datetime
    reversed_at: datetime | None = None

    def credited(self, now: datetime, year: int) -> int:
        recognised = self.recorded_at + WINDOW
        if self.halves <= 0 or recognised > now or recognised.astimezone(SHANGHAI).year != year:
            return 0
        if self.reversed_at is not None and self.reversed_at < recognised:
            return 0
        return self.halves


@dataclass
class Served:
    pk: int
    resident: int
    halves: int  # negative: spent
    basket: dict[int, int]
    served_at: datetime
    returned: bool = False


class Store(RuleBasedStateMachine):
    @initialize(start=st.datetimes(min_value=datetime(2025, 11, 20), max_value=datetime(2026, 12, 20)))
    def open_the_store(self, start: datetime) -> None:
        self.now = start.replace(tzinfo=SHANGHAI)
        self.travel = time_machine.travel(self.now, tick=False)
        self.clock = self.travel.start()
        self.village = VillageFactory(backdate_days=30)
        member = lambda role: MembershipFactory(village=self.village, role=role).user  # noqa: E731
        self.scorer, self.head, self.keeper = (
            member(Membership.Role.SCORER),
            member(Membership.Role.HEAD),
            member(Membership.Role.STORE_KEEPER),
        )
        self.residents = [ResidentFactory(village=self.village) for _ in range(2)]
        page = PageFactory(edition=EditionFactory(village=self.village, effective_from=LONG_AGO))
        self.items = [
            make_item(page, code="1.1", points=Decimal(5)),
            make_item(page, code="1.2", points=Decimal("2.5")),
            make_item(page, code="2.1", kind="infraction", points=Decimal(10)),
        ]
        configure_store(
            author=self.head,
            village=self.village,
            credits_from=LONG_AGO,
            recognise_after_days=WINDOW.days,
            expires_at_year_end=True,
        )
        self.goods = [
            add_goods(author=self.head, village=self.village, name=f"货{i}", price_points=price)
            for i, price in enumerate(PRICES)
        ]
        self.stock = {g.pk: 0 for g in self.goods}
        self.entries: list[Deed] = []
        self.receipts: list[Served] = []
        self.last_redemption: dict | None = None
        # Some stock and some recognised deeds to start with, so redemptions succeed as well as fail.
        for goods in range(len(self.goods)):
            self.delivery(goods=goods, quantity=6)
        for who in range(len(self.residents)):
            for _ in range(3):
                self.record(who=who, item=0)
        self.time_passes(hours=WINDOW.days * 24 + 1)

    def teardown(self) -> None:
        if hasattr(self, "travel"):
            self.travel.stop()

    # --- the model ------------------------------------------------------------------------

    def expected_store(self, who: int) -> int:
        year = self.now.astimezone(SHANGHAI).year
        credits = sum(d.credited(self.now, year) for d in self.entries if d.resident == who)
        spent = sum(
            r.halves for r in self.receipts if r.resident == who and r.served_at.astimezone(SHANGHAI).year == year
        )
        return credits + spent

    def expected_standing(self, who: int) -> Decimal:
        today = self.now.astimezone(SHANGHAI).date()
        halves = sum(
            d.halves
            for d in self.entries
            if d.resident == who and (d.reversed_at is None or d.reversed_at.astimezone(SHANGHAI).date() > today)
        )
        return self.village.starting_capital + Decimal(halves) / 2

    def standings(self):
        return [(s.balance, s.grade) for s in (compute_standing(resident=r) for r in self.residents)]

    # --- the points ledger ------------------------------------------------------------------

    @rule(who=st.integers(0, 1), item=st.integers(0, 2))
    def record(self, who: int, item: int) -> None:
        entry = record_entry(
            scorer=self.scorer,
            resident=self.residents[who],
            item=self.items[item],
            occurred_on=self.now.astimezone(SHANGHAI).date(),
            idempotency_key=uuid.uuid4(),
        )
        self.entries.append(Deed(entry.pk, who, entry.points_halves, entry.recorded_at))

    @precondition(lambda self: self.entries)
    @rule(pick=st.integers(0, 1000))
    def reverse(self, pick: int) -> None:
        deed = self.entries[pick % len(self.entries)]
        if deed.reversed_at is not None:
            return
        reversal = reverse_entry(entry=Entry.objects.get(pk=deed.pk), author=self.head, reason="错了")
        deed.reversed_at = reversal.recorded_at

    @rule(hours=st.one_of(st.integers(1, 30), st.integers(24, 24 * 20)))
    def time_passes(self, hours: int) -> None:
        self.now += timedelta(hours=hours)
        self.clock.move_to(self.now)

    # --- the store --------------------------------------------------------------------------

    @rule(goods=st.integers(0, 1), quantity=st.integers(1, 4))
    def delivery(self, goods: int, quantity: int) -> None:
        before = self.standings()
        deliver(author=self.keeper, goods=self.goods[goods], quantity=quantity, reason="供销社")
        self.stock[self.goods[goods].pk] += quantity
        assert self.standings() == before

    @rule(goods=st.integers(0, 1), quantity=st.integers(1, 4))
    def write_off(self, goods: int, quantity: int) -> None:
        pk = self.goods[goods].pk
        try:
            write_off(author=self.keeper, goods=self.goods[goods], quantity=quantity, reason="坏了")
        except ValidationError as error:
            assert error.code == "out_of_stock" and quantity > self.stock[pk]
            return
        assert quantity <= self.stock[pk]
        self.stock[pk] -= quantity

    @rule(who=st.integers(0, 1), first=st.integers(0, 3), second=st.integers(0, 3))
    def redeem(self, who: int, first: int, second: int) -> None:
        basket = {g.pk: q for g, q in zip(self.goods, (first, second), strict=True) if q}
        key = uuid.uuid4()
        before, count = self.standings(), Receipt.objects.count()
        total = sum(q * g.price_points for g, q in zip(self.goods, (first, second), strict=True)) * 2
        try:
            receipt = redeem(keeper=self.keeper, resident=self.residents[who], basket=basket, idempotency_key=key)
        except ValidationError as error:
            expected = (
                "empty_basket"
                if not basket
                else "out_of_stock"
                if any(q > self.stock[pk] for pk, q in basket.items())
                else "not_enough_points"
            )
            assert error.code == expected, (error.code, expected)
            assert Receipt.objects.count() == count
        else:
            assert basket and all(q <= self.stock[pk] for pk, q in basket.items())
            assert total <= self.expected_store(who)
            for pk, q in basket.items():
                self.stock[pk] -= q
            self.receipts.append(Served(receipt.pk, who, -total, basket, receipt.served_at))
            self.last_redemption = {"who": who, "basket": basket, "key": key, "pk": receipt.pk}
        assert self.standings() == before

    @rule(who=st.integers(0, 1), goods=st.integers(0, 1))
    def redeem_one(self, who: int, goods: int) -> None:
        """One article: the common case at the counter, and the one most often affordable."""
        self.redeem(who=who, first=int(goods == 0), second=int(goods == 1))

    @precondition(lambda self: self.last_redemption is not None)
    @rule()
    def tap_confirm_again(self) -> None:
        last = self.last_redemption
        count = Receipt.objects.count()
        receipt = redeem(
            keeper=self.keeper, resident=self.residents[last["who"]], basket=last["basket"], idempotency_key=last["key"]
        )
        assert receipt.pk == last["pk"] and Receipt.objects.count() == count

    @precondition(lambda self: self.receipts)
    @rule(pick=st.integers(0, 1000))
    def take_back(self, pick: int) -> None:
        served = self.receipts[pick % len(self.receipts)]
        if served.halves > 0:
            return
        before = self.standings()
        try:
            back = return_receipt(receipt=Receipt.objects.get(pk=served.pk), author=self.keeper, reason="退货")
        except ValidationError as error:
            same_year = served.served_at.astimezone(SHANGHAI).year == self.now.astimezone(SHANGHAI).year
            assert error.code == ("already_returned" if served.returned else "period_closed"), error.code
            assert served.returned or not same_year
            return
        assert not served.returned
        served.returned = True
        for pk, q in served.basket.items():
            self.stock[pk] += q
        self.receipts.append(Served(back.pk, served.resident, -served.halves, {}, back.served_at))
        assert self.standings() == before

    # --- invariants ---------------------------------------------------------------------------

    @invariant()
    def balances_stocks_grades_and_standings_are_what_they_must_be(self) -> None:
        if not hasattr(self, "village"):
            return
        config = StoreSettings.objects.select_related("village").get(village=self.village)
        for who, resident in enumerate(self.residents):
            balance = store_balance(resident=resident, config=config, now=timezone.now())
            assert balance.halves >= 0
            assert balance.halves == self.expected_store(who)
            standing = compute_standing(resident=resident)
            expected = self.expected_standing(who)
            assert (standing.balance, standing.grade) == (expected, grade_for(expected, DONGDAO_LU_JIA_BANDS))
        stock = stock_of(self.stock)
        assert all(quantity >= 0 for quantity in stock.values())
        assert stock == self.stock
        assert StockMovement.objects.filter(village=self.village).count() >= len(self.receipts)


@pytest.mark.django_db
def test_it_keeps_store_balances_and_stock_non_negative_and_never_touches_the_standing():
    run_state_machine_as_test(
        Store,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
