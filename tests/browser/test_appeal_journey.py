"""A resident on a 390×844 phone appeals an entry; the head upholds it; the resident sees the result."""

import re

import pytest
from playwright.sync_api import expect

from points.models import Appeal
from tests.browser.conftest import sign_in
from tests.factories import record

pytestmark = pytest.mark.browser


def test_a_resident_appeals_and_the_head_upholds(
    live_server, new_page, artifacts, resident, scorer, head, deed, infraction
):
    record(scorer=scorer, resident=resident, item=deed, witness="王芳")
    wrong = record(scorer=scorer, resident=resident, item=infraction, note="鸡在路上")

    # The resident signs in and lands on their standing: 1,000 + 1 − 10 = 991, grade B.
    page = new_page()
    sign_in(page, live_server, "resident")
    expect(page).to_have_url(re.compile(r"/me/$"))
    expect(page.get_by_test_id("grade")).to_have_text("B")
    expect(page.get_by_test_id("balance")).to_have_text("991 points")
    page.screenshot(path=artifacts / "1-resident-standing.png", full_page=True)

    # ... reads the ledger ...
    page.get_by_role("link", name="My ledger").click()
    line = page.locator(f"#entry-{wrong.pk}")
    expect(line).to_contain_text("1.3 鸡跑出鸡舍")
    expect(line).to_contain_text("fine ¥200")
    expect(line).to_contain_text("counting")
    page.screenshot(path=artifacts / "2-resident-ledger.png", full_page=True)

    # ... and appeals the deduction.
    line.get_by_role("link", name="Appeal this entry").click()
    page.get_by_label("Why is this entry wrong?").fill("那几只鸡是邻居家的，我家的鸡一直关在鸡舍里。")
    page.screenshot(path=artifacts / "3-resident-appeal-form.png", full_page=True)
    page.get_by_role("button", name="Send the appeal").click()
    expect(page.get_by_role("status")).to_contain_text("Your appeal has been sent to the village head.")
    expect(page.locator(f"#entry-{wrong.pk}")).to_contain_text("under appeal")
    page.screenshot(path=artifacts / "4-resident-under-appeal.png", full_page=True)

    # The head signs in, opens the queue and upholds the appeal with a reason.
    office = new_page()
    sign_in(office, live_server, "head")
    office.get_by_role("link", name="Appeals to decide").click()
    office.screenshot(path=artifacts / "5-head-queue.png", full_page=True)
    office.get_by_role("link", name=re.compile("李伟")).click()
    expect(office.locator("blockquote")).to_contain_text("邻居家的")
    office.get_by_label("Reason for your decision").fill("经核实，跑出来的是邻居家的鸡。")
    office.screenshot(path=artifacts / "6-head-decide.png", full_page=True)
    office.get_by_role("button", name="Uphold: reverse the entry").click()
    expect(office.get_by_role("status")).to_contain_text("Appeal upheld")
    expect(office.get_by_text("No appeals are waiting.")).to_be_visible()
    assert Appeal.objects.get().status == Appeal.Status.UPHELD

    # The resident sees the decision, the new balance and grade, and the reversal in the ledger.
    page.get_by_role("link", name="My standing").click()
    expect(page.locator(".notices")).to_contain_text("The village head upheld your appeal")
    expect(page.get_by_test_id("grade")).to_have_text("A")
    expect(page.get_by_test_id("balance")).to_have_text("1001 points")
    page.screenshot(path=artifacts / "7-resident-after-decision.png", full_page=True)
    page.get_by_role("link", name="My ledger").click()
    line = page.locator(f"#entry-{wrong.pk}")
    expect(line).to_contain_text("reversed")
    expect(line).to_contain_text("by head: 经核实，跑出来的是邻居家的鸡。")
    page.screenshot(path=artifacts / "8-resident-ledger-reversed.png", full_page=True)

    # The same pages read in Chinese.
    zh = new_page(locale="zh-CN")
    sign_in(zh, live_server, "resident")
    expect(zh.get_by_test_id("balance")).to_have_text("1001 分")
    zh.screenshot(path=artifacts / "9-resident-standing-zh.png", full_page=True)
    zh.get_by_role("link", name="我的积分记录").click()
    expect(zh.locator(f"#entry-{wrong.pk}")).to_contain_text("已冲销")
    zh.screenshot(path=artifacts / "10-resident-ledger-zh.png", full_page=True)
    head_zh = new_page(locale="zh-CN")
    sign_in(head_zh, live_server, "head")
    head_zh.goto(f"{live_server.url}/residents/{resident.pk}/statement/")
    head_zh.screenshot(path=artifacts / "11-statement-zh.png", full_page=True)
    head_zh.emulate_media(media="print")
    head_zh.screenshot(path=artifacts / "12-statement-print-zh.png", full_page=True)
