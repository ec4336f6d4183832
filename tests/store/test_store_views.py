"""The store's pages through the test client: the counter, the receipt, the resident's store page."""

import uuid

import pytest
from django.urls import reverse

from points.standing import compute_standing
from store.models import Receipt
from store.services import redeem

pytestmark = pytest.mark.usefixtures("clock")


def test_the_counter_finds_a_resident_by_pinyin_initials(client, keeper, store, resident):
    client.force_login(keeper)
    response = client.get(reverse("store:counter"), {"q": "lw"})
    assert response.status_code == 200
    assert "李伟" in response.text
    assert reverse("store:serve", args=[resident.pk]) in response.text


def test_it_redeems_from_review_to_receipt_and_a_second_confirm_changes_nothing(
    client, keeper, store, resident, oil, rice, earn
):
    earn(resident, 3)
    client.force_login(keeper)
    url = reverse("store:serve", args=[resident.pk])
    review = client.get(url, {"review": "1", f"q{oil.pk}": "2", f"q{rice.pk}": "1"})
    assert review.status_code == 200 and review.context["form"].total == 30
    key = review.context["key"]
    confirm = {"idempotency_key": str(key), f"q{oil.pk}": "2", f"q{rice.pk}": "1"}

    first = client.post(url, confirm)
    second = client.post(url, confirm)

    receipt = Receipt.objects.get()
    assert first.status_code == second.status_code == 302
    assert first.url == second.url == reverse("store:receipt", args=[receipt.pk])
    assert client.get(first.url).status_code == 200


def test_a_keeper_of_two_villages_cannot_confirm_for_a_resident_outside_the_village_they_act_in(
    client, keeper, store, resident, oil, earn, other_village
):
    """The Confirm POST leaves the resident's fetch to redeem's lock: a resident of another village
    (even one where the keeper also keeps the store) is not found, and nothing is written."""
    from tests.factories import MembershipFactory, ResidentFactory
    from villages.models import Membership

    MembershipFactory(user=keeper, village=other_village, role=Membership.Role.STORE_KEEPER)
    elsewhere = ResidentFactory(village=other_village, name="王芳")
    earn(resident, 1)
    client.force_login(keeper)
    session = client.session
    session["acting_village_id"] = resident.village_id
    session.save()
    confirm = {"idempotency_key": str(uuid.uuid4()), f"q{oil.pk}": "1"}

    assert client.post(reverse("store:serve", args=[elsewhere.pk]), confirm).status_code == 404
    assert client.post(reverse("store:serve", args=[elsewhere.pk]), {"idempotency_key": "x"}).status_code == 404
    assert not Receipt.objects.exists()
    assert client.post(reverse("store:serve", args=[resident.pk]), confirm).status_code == 302


def test_a_redemption_beyond_the_balance_is_refused_with_the_reason(client, keeper, store, resident, rice, earn):
    earn(resident, 1)
    client.force_login(keeper)
    response = client.post(
        reverse("store:serve", args=[resident.pk]), {"idempotency_key": str(uuid.uuid4()), f"q{rice.pk}": "1"}
    )
    assert response.status_code == 400
    assert "has 10 store points; these goods cost 20" in response.text
    assert not Receipt.objects.exists()


def test_the_resident_sees_store_points_expiry_receipts_and_an_unchanged_grade(
    client, keeper, store, resident, oil, earn
):
    earn(resident, 1)
    grade = compute_standing(resident=resident).grade
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=uuid.uuid4())
    client.force_login(resident.user)

    response = client.get(reverse("store:mine"))

    assert response.status_code == 200
    assert "5 store points" in response.text
    assert f'data-testid="grade">{grade}<' in response.text
    assert "5 spent" in response.text


def test_the_catalogue_shows_stock(client, keeper, store, oil):
    client.force_login(keeper)
    response = client.get(reverse("store:catalogue"))
    assert f'data-testid="stock-{oil.pk}">10<' in response.text


def test_the_report_reconciles_stock_and_points(client, head, keeper, store, resident, oil, earn):
    earn(resident, 1)
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())
    client.force_login(head)
    report = client.get(reverse("store:report")).context["report"]
    (row,) = report.rows
    assert (row.opening, row.delivered, row.redeemed, row.written_off, row.closing) == (0, 10, 2, 0, 8)
    assert report.reconciled and (report.credited, report.spent) == (10, 10)
    for fmt in ("pdf", "csv", "xlsx"):
        assert client.get(reverse("store:report_download", args=[fmt])).status_code == 200
    csv = b"".join(client.get(reverse("store:report_download", args=["csv"])).streaming_content).decode("utf-8-sig")
    assert "花生油 (5 L),0,10,2,0,0,8" in csv and "Store points spent,10" in csv


@pytest.mark.parametrize("receipts", [1, 30])
def test_the_dashboard_shows_points_spent_and_the_goods_most_taken_in_constant_queries(
    client, head, keeper, store, village, oil, rice, earn, receipts, django_assert_max_num_queries
):
    from store.services import deliver
    from tests.factories import ResidentFactory

    deliver(author=keeper, goods=oil, quantity=100, reason="供销社")
    for _ in range(receipts):
        buyer = ResidentFactory(village=village)
        earn(buyer, 1)
        redeem(keeper=keeper, resident=buyer, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())
    client.force_login(head)
    # The dashboard's own queries (months without snapshots are graded live) and the store's 3:
    # the same for 1 receipt as for 30.
    with django_assert_max_num_queries(26):
        response = client.get(reverse("office:dashboard"))
    figures = response.context["store"]
    assert figures.spent_this_month == 10 * receipts
    assert figures.top_goods == [("花生油 (5 L)", 2 * receipts)]


def test_the_dashboard_counts_a_receipt_in_the_month_of_the_village_clock(
    clock, keeper, store, village, resident, oil, earn
):
    """Half an hour after midnight on 1 July in Shanghai is still 30 June in UTC: July's."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from store.figures import store_figures
    from store.services import deliver

    deliver(author=keeper, goods=oil, quantity=100, reason="供销社")
    earn(resident, 3)
    shanghai = ZoneInfo("Asia/Shanghai")
    clock.move_to(datetime(2025, 6, 30, 23, 30, tzinfo=shanghai))
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=uuid.uuid4())
    clock.move_to(datetime(2025, 7, 1, 0, 30, tzinfo=shanghai))
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())

    figures = store_figures(village=village, month=date(2025, 7, 1))

    assert figures.months[-2:] == [(date(2025, 6, 1), 5), (date(2025, 7, 1), 10)]


def test_a_past_months_report_reconciles_returns_and_write_offs_and_carries_stock_over(
    head, keeper, store, resident, oil, earn, clock
):
    from datetime import date, timedelta

    from store.report import build_report
    from store.services import return_receipt, write_off

    earn(resident, 2)
    kept = redeem(keeper=keeper, resident=resident, basket={oil.pk: 2}, idempotency_key=uuid.uuid4())
    back = redeem(keeper=keeper, resident=resident, basket={oil.pk: 1}, idempotency_key=uuid.uuid4())
    return_receipt(receipt=back, author=keeper, reason="买错了")
    write_off(author=keeper, goods=oil, quantity=2, reason="漏油")
    clock.shift(timedelta(days=30))  # into July
    store.refresh_from_db()

    june = build_report(config=store, month=date(2025, 6, 1))
    (row,) = june.rows
    assert (row.opening, row.delivered, row.redeemed, row.returned, row.written_off, row.closing) == (0, 10, 3, 1, 2, 6)
    assert june.reconciled
    assert (june.credited, june.spent, june.returned, june.net, june.receipts) == (20, 15, 5, 10, 2)
    assert kept.spent == 10
    july = build_report(config=store, month=date(2025, 7, 1))
    assert [(r.opening, r.closing) for r in july.rows] == [(6, 6)]
