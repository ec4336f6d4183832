"""Resident cards on a 390×844 phone: open a card, appeal a line, reach nothing else; revoke and
reissue; ten wrong codes; an elder followed by the household; a paper appeal decided by the head."""

import re
import subprocess

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect

from points.models import Appeal
from points.services.cards import issue_card
from tests.browser.conftest import sign_in
from tests.factories import ResidentFactory, record
from villages.cards import card_path
from villages.services import record_household_sharing

pytestmark = pytest.mark.browser


def _status(page, url: str) -> int:
    return page.goto(url).status


def test_a_card_opens_the_residents_pages_and_nothing_else(
    live_server, new_page, artifacts, head, resident, other_resident, scorer, deed, infraction
):
    record(scorer=scorer, resident=resident, item=deed)
    wrong = record(scorer=scorer, resident=resident, item=infraction, note="鸡在路上")
    card = issue_card(resident=resident, issued_by=head)

    phone = new_page()
    response = phone.goto(live_server.url + card_path(card.secrets))
    assert response.ok
    expect(phone).to_have_url(re.compile(r"/me/$"))  # the token is gone from the address bar
    expect(phone.get_by_test_id("balance")).to_have_text("991 points")
    expect(phone.get_by_role("button", name="Close the card")).to_be_visible()
    phone.screenshot(path=artifacts / "1-card-standing.png", full_page=True)

    phone.get_by_role("link", name="My ledger").click()
    phone.locator(f"#entry-{wrong.pk}").get_by_role("link", name="Appeal this entry").click()
    phone.get_by_label("Why is this entry wrong?").fill("那几只鸡是邻居家的。")
    phone.get_by_role("button", name="Send the appeal").click()
    expect(phone.locator(f"#entry-{wrong.pk}")).to_contain_text("under appeal")
    phone.screenshot(path=artifacts / "2-card-appealed.png", full_page=True)
    assert Appeal.objects.get(entry=wrong).channel == Appeal.Channel.CARD

    for url in [
        f"/residents/{other_resident.pk}/",
        f"/residents/{resident.pk}/ledger/",
        "/office/residents/",
        "/appeals/",
        "/dashboard/",
        "/record/",
        "/certificates/",
        "/accounts/login/",
    ]:
        assert _status(phone, live_server.url + url) == 404, url
    phone.screenshot(path=artifacts / "3-card-404.png", full_page=True)


def test_reissuing_a_lost_card_stops_the_old_address_at_once(
    live_server, new_page, artifacts, head, resident, tmp_path
):
    old = issue_card(resident=resident, issued_by=head)
    phone = new_page()
    phone.goto(live_server.url + card_path(old.secrets))
    expect(phone).to_have_url(re.compile(r"/me/$"))

    office = new_page()
    sign_in(office, live_server, "head")
    office.goto(f"{live_server.url}/residents/{resident.pk}/card/")
    office.screenshot(path=artifacts / "1-head-card-page.png", full_page=True)
    # The resident reports the card lost: the head stops it, and it stops at once.
    office.get_by_role("button", name="Card lost: stop it now").click()
    expect(office.get_by_role("status")).to_contain_text("no longer works")
    assert _status(new_page(), live_server.url + card_path(old.secrets)) == 404
    phone.reload()
    expect(phone).to_have_url(re.compile(r"/accounts/login/"))  # the open session ended too

    # ... and prints a new one.
    with office.expect_download() as download:
        office.get_by_role("button", name="Print a new card (the old one stops working)").click()
    pdf = tmp_path / "card.pdf"
    download.value.save_as(pdf)
    assert _status(new_page(), live_server.url + card_path(old.secrets)) == 404

    subprocess.run(["pdftoppm", "-r", "150", "-png", "-singlefile", str(pdf), str(tmp_path / "card")], check=True)
    (address,) = {result.text for result in zxingcpp.read_barcodes(Image.open(tmp_path / "card.png"))}
    fresh = new_page()
    fresh.goto(address.replace("http://127.0.0.1:8000", live_server.url))
    expect(fresh).to_have_url(re.compile(r"/me/$"))
    expect(fresh.get_by_role("heading", name=resident.name)).to_be_visible()
    fresh.screenshot(path=artifacts / "2-new-card-opens.png", full_page=True)


def test_ten_wrong_codes_lock_the_card_and_then_the_right_code_is_refused(
    live_server, new_page, artifacts, head, resident
):
    card = issue_card(resident=resident, issued_by=head)
    right = card.secrets.code_display
    wrong = right[:5] + ("0" if right[5] != "0" else "1") + right[6:]
    phone = new_page()
    phone.goto(f"{live_server.url}/card/code/")
    phone.screenshot(path=artifacts / "1-enter-code.png", full_page=True)
    for _ in range(9):
        phone.get_by_label("Card code").fill(wrong)
        phone.get_by_role("button", name="Open").click()
        expect(phone.get_by_text("This code does not open a card.")).to_be_visible()
    phone.get_by_label("Card code").fill(wrong)
    phone.get_by_role("button", name="Open").click()
    expect(phone.get_by_role("alert")).to_contain_text("Too many wrong codes")
    phone.get_by_label("Card code").fill(right)
    phone.get_by_role("button", name="Open").click()
    expect(phone.get_by_role("alert")).to_contain_text("Too many wrong codes")
    expect(phone).to_have_url(re.compile(r"/card/code/$"))
    phone.screenshot(path=artifacts / "2-locked.png", full_page=True)


def test_a_daughters_card_follows_the_elder_who_shares(live_server, new_page, artifacts, village, head, resident):
    elder = ResidentFactory(village=village, household=resident.household, name="李老太")
    record_household_sharing(resident=elder, given_on=village.today(), recorded_by=head)
    card = issue_card(resident=resident, issued_by=head)
    phone = new_page()
    phone.goto(live_server.url + card_path(card.secrets))
    phone.get_by_role("link", name="李老太").click()
    expect(phone.get_by_role("heading", name="李老太")).to_be_visible()
    expect(phone.get_by_role("link", name="Appeal this entry")).to_have_count(0)
    phone.screenshot(path=artifacts / "1-elder-standing.png", full_page=True)
    phone.get_by_role("link", name="Ledger", exact=True).click()
    expect(phone).to_have_url(re.compile(rf"/me/household/{elder.pk}/ledger/$"))
    phone.screenshot(path=artifacts / "2-elder-ledger.png", full_page=True)


def test_the_head_records_a_paper_appeal_and_decides_it(
    live_server, new_page, artifacts, village, head, scorer, infraction
):
    elder = ResidentFactory(village=village, name="王大爷")
    entry = record(scorer=scorer, resident=elder, item=infraction)
    office = new_page()
    sign_in(office, live_server, "head")
    office.goto(f"{live_server.url}/residents/{elder.pk}/ledger/")
    office.locator(f"#entry-{entry.pk}").get_by_role("link", name="Record a paper appeal").click()
    office.get_by_label("The resident's words").fill("那天我在镇上医院，鸡不是我家的。")
    office.screenshot(path=artifacts / "1-paper-appeal.png", full_page=True)
    office.get_by_role("button", name="Record the appeal").click()
    expect(office.get_by_role("status")).to_contain_text("The paper appeal was recorded")
    office.goto(f"{live_server.url}/appeals/")
    office.get_by_role("link", name=re.compile("王大爷")).click()
    expect(office.get_by_text("on paper, at the village office")).to_be_visible()
    office.get_by_label("Reason for your decision").fill("经核实属实。")
    office.get_by_role("button", name="Uphold: reverse the entry").click()
    expect(office.get_by_role("status")).to_contain_text("Appeal upheld")
    office.screenshot(path=artifacts / "2-decided.png", full_page=True)
    assert Appeal.objects.get(entry=entry).status == Appeal.Status.UPHELD


def test_the_card_pages_read_in_chinese(live_server, new_page, artifacts, village, head, resident):
    elder = ResidentFactory(village=village, household=resident.household, name="李老太")
    record_household_sharing(resident=elder, given_on=village.today(), recorded_by=head)
    card = issue_card(resident=resident, issued_by=head)
    phone = new_page(locale="zh-CN")
    phone.goto(f"{live_server.url}/card/code/")
    expect(phone.get_by_role("heading", name="打开积分卡")).to_be_visible()
    phone.screenshot(path=artifacts / "1-zh-enter-code.png", full_page=True)
    phone.goto(live_server.url + card_path(card.secrets))
    expect(phone.get_by_role("button", name="退出积分卡")).to_be_visible()
    expect(phone.get_by_role("heading", name="您的家庭")).to_be_visible()
    phone.screenshot(path=artifacts / "2-zh-card-standing.png", full_page=True)
