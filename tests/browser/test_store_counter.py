"""The store keeper at the counter on a 390×844 phone, in English and in Chinese: two goods for a
resident, a double tap on Confirm that redeems once, the resident's new store balance beside an
unchanged grade, and redemptions beyond the balance or the stock refused with the reason."""

import re

import pytest
from playwright.sync_api import expect

from points.standing import compute_standing
from store.models import Receipt, StockMovement
from store.services import stock_of
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

TEXT = {
    "en-US": {"spent": "25 store points spent", "balance": "5 store points", "poor": "has 5 store points"},
    "zh-CN": {"spent": "使用25个超市积分", "balance": "5 超市积分", "poor": "有5个超市积分"},
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_keeper_redeems_two_goods_once_and_the_grade_stays(
    live_server, new_page, artifacts, locale, keeper, store, resident, oil, rice, earn
):
    earn(resident, 3)  # 30 store points; the grade is A+ (1,030)
    grade = compute_standing(resident=resident).grade
    text = TEXT[locale]
    page = new_page(locale=locale)
    sign_in(page, live_server, "keeper")

    # Find 李伟 by pinyin initials, pick one bottle of oil and one bag of rice.
    page.goto(f"{live_server.url}/store/counter/")
    page.fill("#resident-q", "lw")
    page.locator("#resident-results a.pick", has_text="李伟").click()
    expect(page).to_have_url(re.compile(r"/store/counter/\d+/$"))
    page.fill(f"#id_q{oil.pk}", "1")
    page.fill(f"#id_q{rice.pk}", "1")
    page.screenshot(path=artifacts / "01-pick.png", full_page=True)
    page.locator("#pick-form button[type=submit]").click()
    expect(page.get_by_test_id("total")).to_have_text("25")
    page.screenshot(path=artifacts / "02-confirm.png", full_page=True)

    # A double tap on Confirm: one receipt.
    page.locator("#confirm-form button[type=submit]").dblclick()
    expect(page).to_have_url(re.compile(r"/store/receipts/\d+/$"))  # polls: the second tap aborts the first load
    expect(page.get_by_test_id("receipt-points")).to_have_text(text["spent"])
    page.screenshot(path=artifacts / "03-receipt.png", full_page=True)
    assert Receipt.objects.count() == 1
    assert stock_of([oil.pk, rice.pk]) == {oil.pk: 9, rice.pk: 2}

    # Beyond the balance (5 left): refused with the reason, nothing written.
    page.goto(f"{live_server.url}/store/counter/{resident.pk}/?review=1&q{rice.pk}=1")
    page.locator("#confirm-form button[type=submit]").click()
    expect(page.locator(".refusal")).to_contain_text(text["poor"])
    page.screenshot(path=artifacts / "04-refused-balance.png", full_page=True)

    # Beyond the stock (9 bottles): refused before the balance is even asked.
    page.goto(f"{live_server.url}/store/counter/{resident.pk}/?review=1&q{oil.pk}=10")
    page.locator("#confirm-form button[type=submit]").click()
    expect(page.locator(".refusal")).to_contain_text("9")
    page.screenshot(path=artifacts / "05-refused-stock.png", full_page=True)
    assert Receipt.objects.count() == 1 and StockMovement.objects.filter(kind="redemption").count() == 2

    # The resident, on their own phone: the new store balance and the same grade.
    mine = new_page(locale=locale)
    sign_in(mine, live_server, "resident")
    mine.goto(f"{live_server.url}/me/store/")
    expect(mine.get_by_test_id("store-balance")).to_have_text(text["balance"])
    expect(mine.get_by_test_id("grade")).to_have_text(grade)
    expect(mine.get_by_test_id("store-expiry")).to_have_count(0)  # this store's points never lapse
    mine.screenshot(path=artifacts / "06-resident.png", full_page=True)
    mine.goto(f"{live_server.url}/me/")
    expect(mine.get_by_test_id("grade")).to_have_text(grade)
    assert compute_standing(resident=resident).grade == grade


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_heads_store_pages_and_verify_fit_a_phone(
    live_server, new_page, artifacts, locale, head, keeper, store, resident, oil, rice, earn
):
    import uuid

    from points.services import issue_certificate
    from points.verification import verify_path
    from store.services import redeem
    from villages.benefits import offer_benefit

    earn(resident, 3)
    redeem(keeper=keeper, resident=resident, basket={oil.pk: 2, rice.pk: 1}, idempotency_key=uuid.uuid4())
    offer_benefit(
        village=resident.village,
        grade="A",
        text="农具租用免押金",
        provider="村合作社",
        starts_on=resident.village.today(),
        author=head,
    )
    certificate = issue_certificate(resident=resident, issued_by=head)
    page = new_page(locale=locale)
    sign_in(page, live_server, "head")
    for name, path in [
        ("catalogue", "/store/"),
        ("report", "/store/report/"),
        ("benefits", "/benefits/"),
        ("dashboard", "/dashboard/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
    visitor = new_page(locale=locale)
    visitor.goto(f"{live_server.url}{verify_path(certificate)}")
    expect(visitor.get_by_test_id("benefits")).to_contain_text("农具租用免押金")
    visitor.screenshot(path=artifacts / "verify.png", full_page=True)
    assert visitor.evaluate("document.documentElement.scrollWidth") <= 390
