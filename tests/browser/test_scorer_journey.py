"""The volunteer scorer on a 390×844 phone: sign in, find, pick, submit once, withdraw."""

import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from points.models import Entry
from points.services import record_entry
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def find_resident(page, query: str, name: str) -> None:
    page.fill("#resident-q", query)  # htmx asks after 300 ms of quiet
    page.locator("#resident-results a.pick", has_text=name).click()
    page.wait_for_url(re.compile(r"\?resident=\d+$"))


def pick_item(page, code: str) -> None:
    page.fill("#item-q", code)
    link = page.locator("#item-results a.pick", has_text=code)
    expect(page.locator("#item-results a.pick")).to_have_count(1)
    link.click()
    page.wait_for_url(re.compile(r"&item=\d+$"))


def test_a_scorer_records_once_and_withdraws_within_the_window(
    live_server, phone, artifacts, settings, scorer, resident, other_resident, deed, capped_deed
):
    page = phone
    today = resident.village.today()
    for _ in range(2):  # the capped deed's two places this month are taken
        record_entry(
            scorer=scorer, resident=resident, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )

    # Sign in: the scorer lands on Record.
    sign_in(page, live_server, "scorer")
    assert page.url.endswith("/record/")
    page.screenshot(path=artifacts / "01-record.png", full_page=True)

    # Find 李伟 by the initials of the pinyin, pick item 1.1 by its code.
    page.fill("#resident-q", "lw")
    expect(page.locator("#resident-results a.pick")).to_have_count(1)
    expect(page.locator("#resident-results")).to_contain_text("李伟")
    page.screenshot(path=artifacts / "02-resident-found.png", full_page=True)
    find_resident(page, "lw", "李伟")
    page.fill("#item-q", "1.1")
    expect(page.locator("#item-results a.pick")).to_have_count(1)
    page.screenshot(path=artifacts / "03-item-found.png", full_page=True)
    pick_item(page, "1.1")
    expect(page.locator("#id_occurred_on")).to_have_value(today.isoformat())
    page.fill("#id_note", "帮邻居修剪了院子里的树")
    page.screenshot(path=artifacts / "04-form.png", full_page=True)

    # A double tap on the button records one entry.
    page.locator("#record-form button[type=submit]").dblclick()
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    expect(page.locator("h1#done-title")).to_contain_text("Recorded")
    expect(page.locator(".standing-line")).to_contain_text("1003 points, grade A")
    page.screenshot(path=artifacts / "05-confirmation.png", full_page=True)
    assert Entry.objects.filter(item=deed).count() == 1
    entry = Entry.objects.get(item=deed)

    # Undo within the window: one tap, and the scorer is back at 李伟's items.
    page.click("button.undo-button")
    expect(page.locator(".messages")).to_contain_text("withdrawn")
    page.screenshot(path=artifacts / "06-undone.png", full_page=True)
    assert Entry.objects.get(reverses=entry).reason == "Undone by the scorer right after recording"

    # Record again for 李伟 (the recent resident comes first), then let the window pass.
    page.goto(f"{live_server.url}{reverse('points:record')}")
    expect(page.locator("#resident-results a.pick").first).to_contain_text("李伟")
    page.locator("#resident-results a.pick").first.click()
    pick_item(page, "1.1")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    second = Entry.objects.filter(item=deed, reverses__isnull=True).exclude(pk=entry.pk).get()
    settings.SCORER_WITHDRAW_MINUTES = 0  # the window has passed while the page was open
    page.click("button.undo-button")
    expect(page.locator(".refusal")).to_contain_text("can be withdrawn for 0 minutes")
    page.screenshot(path=artifacts / "08-undo-too-late.png", full_page=True)
    assert not Entry.objects.filter(reverses=second).exists()
    page.goto(f"{live_server.url}/record/{second.pk}/done/")
    expect(page.locator("button.undo-button")).to_have_count(0)

    # Withdrawing with a reason stays possible from My entries while the window is open.
    settings.SCORER_WITHDRAW_MINUTES = 10
    page.goto(f"{live_server.url}{reverse('points:my_entries')}?when=today")
    page.locator("details.withdraw summary").first.click()
    page.locator("details.withdraw textarea[name=reason]").first.fill("记错了日期")
    page.screenshot(path=artifacts / "08b-withdraw-with-reason.png", full_page=True)
    page.locator("details.withdraw button[type=submit]").first.click()
    expect(page.locator(".messages")).to_contain_text("withdrawn")
    assert Entry.objects.get(reverses=second).reason == "记错了日期"

    # The capped deed: none left this month, shown disabled with the reason before any details are
    # typed; a details form opened anyway (an old link) says so and cannot be sent.
    settings.SCORER_WITHDRAW_MINUTES = 10
    page.goto(f"{live_server.url}/record/?resident={resident.pk}")
    page.fill("#item-q", "1.2")
    expect(page.locator("#item-results span.pick[aria-disabled=true]")).to_contain_text("none of 2 left this month")
    expect(page.locator("#item-results a.pick")).to_have_count(0)
    page.screenshot(path=artifacts / "09-cap-reached.png", full_page=True)
    page.goto(f"{live_server.url}/record/?resident={resident.pk}&item={capped_deed.pk}")
    expect(page.locator("#record-form .refusal")).to_contain_text("none of 2 left this month")
    expect(page.locator("#record-form button[type=submit]")).to_be_disabled()
    assert Entry.objects.filter(item=capped_deed).count() == 2

    # My entries lists what this scorer recorded.
    page.click("nav.subnav >> text=My entries")
    expect(page.locator(".ledger li")).to_have_count(4)
    page.screenshot(path=artifacts / "10-my-entries.png", full_page=True)


def test_the_record_screens_read_in_chinese(live_server, new_page, artifacts, scorer, resident, deed, capped_deed):
    page = new_page(locale="zh-CN")
    sign_in(page, live_server, "scorer")
    page.fill("#resident-q", "lw")
    expect(page.locator("#resident-results a.pick")).to_have_count(1)
    page.screenshot(path=artifacts / "01-record-zh.png", full_page=True)
    find_resident(page, "lw", "李伟")
    page.screenshot(path=artifacts / "02-items-zh.png", full_page=True)
    pick_item(page, "1.2")
    page.screenshot(path=artifacts / "03-form-zh.png", full_page=True)
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    expect(page.locator("h1#done-title")).to_contain_text("已记录")
    page.screenshot(path=artifacts / "04-done-zh.png", full_page=True)
