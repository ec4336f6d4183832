"""An administrator changes a point value in a draft on a 390×844 phone, sees it in the diff and
publishes it; a scorer then records with the new value while the resident's older entry keeps the old one."""

import re

import pytest
from playwright.sync_api import expect

from handbook.models import Edition
from points.models import Entry
from tests.browser.conftest import sign_in
from tests.factories import record

pytestmark = pytest.mark.browser


def test_an_administrator_changes_a_value_and_the_past_keeps_its_own(
    live_server, new_page, artifacts, village, admin, scorer, resident, deed, capped_deed
):
    older = record(scorer=scorer, resident=resident, item=deed)
    assert older.points_halves == 2

    # The administrator opens the editor from the home page and starts a draft.
    page = new_page()
    sign_in(page, live_server, "admin")
    page.click("text=Edit the handbook")
    page.click("button:has-text('Start a new draft')")
    page.wait_for_url(re.compile(r"/handbook/editor/draft/$"))
    page.screenshot(path=artifacts / "01-draft.png", full_page=True)

    # Item 1.1: the row turns into its form in place (htmx), 1 becomes 2.5, the row comes back.
    row = page.locator(".edit-row", has=page.locator(".code", has_text="1.1"))
    row.get_by_role("link", name="Edit item 1.1").click()
    form = page.locator("li.editing")
    expect(form).to_be_visible()
    assert page.url.endswith("/handbook/editor/draft/")  # swapped in place, no page load
    form.get_by_label("Points").fill("2.7")
    form.get_by_role("button", name="Save").click()
    expect(form).to_contain_text("steps of 0.5")  # refused in place, nothing saved
    page.screenshot(path=artifacts / "02-refused.png", full_page=True)
    form.get_by_label("Points").fill("2.5")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("li.editing")).to_have_count(0)
    expect(row.locator(".pts")).to_have_text("+2.5")
    page.screenshot(path=artifacts / "03-saved.png", full_page=True)

    # The diff shows the value before and after; publish from today.
    page.click("text=See the changes and publish")
    change = page.locator("#change-1\\.1")
    expect(change).to_contain_text("Points")
    expect(change.locator("del")).to_have_text("1")
    expect(change.locator("ins")).to_have_text("2.5")
    expect(page.locator("#id_effective_from")).to_have_value(village.today().isoformat())
    page.screenshot(path=artifacts / "04-diff.png", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())  # "Publish edition 2 from …?"
    page.get_by_role("button", name=re.compile("Publish edition")).click()
    expect(page.locator(".messages")).to_contain_text("is published")
    page.screenshot(path=artifacts / "05-published.png", full_page=True)
    new_edition = Edition.objects.in_force(village=village, on=village.today())
    assert new_edition.number != deed.edition.number

    # The scorer records 1.1 for 李伟 on the Record page: it counts 2.5 now.
    page = new_page()
    sign_in(page, live_server, "scorer")
    page.fill("#resident-q", "lw")
    page.locator("#resident-results a.pick", has_text="李伟").click()
    page.wait_for_url(re.compile(r"\?resident=\d+$"))
    page.fill("#item-q", "1.1")
    expect(page.locator("#item-results a.pick")).to_have_count(1)
    expect(page.locator("#item-results")).to_contain_text("+2.5")
    page.locator("#item-results a.pick", has_text="1.1").click()
    page.wait_for_url(re.compile(r"&item=\d+$"))
    page.screenshot(path=artifacts / "06-record.png", full_page=True)
    page.locator("#record-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    page.screenshot(path=artifacts / "07-recorded.png", full_page=True)
    newer = Entry.objects.exclude(pk=older.pk).get(resident=resident)
    assert (newer.points_halves, newer.item.edition_id) == (5, new_edition.pk)
    older.refresh_from_db()
    assert (older.points_halves, older.item.points, older.item.edition_id) == (2, 1, deed.edition_id)

    # The resident's ledger: the new entry at +2.5, the older one still at +1.
    page = new_page()
    sign_in(page, live_server, "resident")
    page.goto(f"{live_server.url}/me/ledger/")
    expect(page.locator(f"#entry-{newer.pk} .pts")).to_have_text("+2.5")
    expect(page.locator(f"#entry-{older.pk} .pts")).to_have_text("+1")
    page.screenshot(path=artifacts / "08-ledger.png", full_page=True)


def test_the_editor_reads_well_in_chinese(live_server, new_page, artifacts, village, admin, deed, capped_deed):
    page = new_page(locale="zh-CN")
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/handbook/editor/")
    page.click("button:has-text('新建草稿')")
    page.wait_for_url(re.compile(r"/handbook/editor/draft/$"))
    page.get_by_role("link", name="编辑条目1.2").click()
    expect(page.locator("li.editing")).to_contain_text("编号")
    page.screenshot(path=artifacts / "01-draft-zh.png", full_page=True)
    page.goto(f"{live_server.url}/handbook/editor/grades/?preset=rongcheng")
    expect(page.locator("h1")).to_have_text("等级与基础分")
    page.screenshot(path=artifacts / "02-grades-zh.png", full_page=True)
