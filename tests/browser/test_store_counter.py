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


def phone_problems(page) -> list[str]:
    """What the page crawl (test_every_page) checks, for the counter it does not reach: width, tap
    targets, and nothing axe-core calls serious or critical."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_every_page import AXE_OPTIONS, PAGE_CHECKS

    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return page.evaluate(PAGE_CHECKS) + [v["id"] for v in violations if v["impact"] in ("serious", "critical")]


CARD_TEXT = {
    "en-US": {"scan": "Or open the resident from their card", "refused": "not a valid card of this village"},
    "zh-CN": {"scan": "或用村民的积分卡打开", "refused": "不是本村有效的积分卡"},
}


@pytest.mark.parametrize("locale", ["en-US", "zh-CN"])
def test_the_keeper_opens_the_resident_from_the_card_address_a_scanner_types(
    live_server, new_page, artifacts, locale, head, keeper, store, resident, other_resident
):
    """A barcode scanner acting as a keyboard types the card's whole address into the card field (as
    a paste would); Enter lands the keeper on that resident's counter page, still signed in as the
    keeper. The camera path (BarcodeDetector) cannot run headless: static/js/scan.js hides its
    button where the browser cannot read QR codes, as here."""
    from points.services.cards import issue_card, revoke_card
    from villages.cards import card_path

    card = issue_card(resident=resident, issued_by=head)
    replaced = issue_card(resident=other_resident, issued_by=head)
    revoke_card(card=replaced.card, revoked_by=head)
    text = CARD_TEXT[locale]
    page = new_page(locale=locale)
    console = []
    page.on("console", lambda message: message.type == "error" and console.append(message.text))
    page.on("pageerror", lambda error: console.append(str(error)))
    sign_in(page, live_server, "keeper")

    page.goto(f"{live_server.url}/store/counter/")
    expect(page.locator("#card-form h2")).to_have_text(text["scan"])
    expect(page.locator("[data-scan]")).to_be_hidden()  # no BarcodeDetector with QR codes headless
    page.screenshot(path=artifacts / "01-counter.png", full_page=True)
    assert phone_problems(page) == []

    # A replaced card: refused with the reason, in the keeper's language; still at the counter.
    page.fill("#id_card", f"{live_server.url}{card_path(replaced.secrets)}")
    page.press("#id_card", "Enter")
    expect(page.locator("#card-errors")).to_contain_text(text["refused"])
    expect(page.locator("#id_card")).to_be_focused()
    page.screenshot(path=artifacts / "02-replaced-card.png", full_page=True)
    assert phone_problems(page) == []
    # scan.js runs under the Content-Security-Policy without a complaint (the refusal itself is a 400).
    assert [text for text in console if "status of 400" not in text] == []

    page.fill("#id_card", f"{live_server.url}{card_path(card.secrets)}")
    page.press("#id_card", "Enter")
    expect(page).to_have_url(f"{live_server.url}/store/counter/{resident.pk}/")
    expect(page.locator(".chosen-main")).to_have_text(resident.name)
    expect(page.locator("#pick-form")).to_be_visible()
    page.screenshot(path=artifacts / "03-resident-from-card.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.goto(f"{live_server.url}/store/").status == 200  # still the keeper, not a card session
