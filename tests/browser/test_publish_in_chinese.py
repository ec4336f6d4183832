"""An administrator publishes a new edition in Chinese on a phone, picking the date in the date
field: the field shows the day (not a blank the browser refused), Publish asks first, and the
edition takes effect on the day picked."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demo.handbook_data import fill_with_demo_pages
from handbook.models import Edition
from handbook.services import start_draft
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_an_administrator_publishes_an_edition_in_chinese_from_a_picked_date(
    live_server, new_page, artifacts, village, admin, deed
):
    page = new_page(locale="zh-CN")
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/handbook/editor/")
    page.get_by_role("button", name="新建草稿").click()
    page.wait_for_url(re.compile(r"/handbook/editor/draft/$"))
    page.goto(f"{live_server.url}/handbook/editor/draft/diff/")

    date_field = page.locator("input[type=date]#id_effective_from")
    today = village.today()
    expect(date_field).to_have_value(today.isoformat())  # 2026/12/07 would show as an empty field
    page.screenshot(path=artifacts / "01-diff-zh.png", full_page=True)

    # Pick a day three weeks on in the field itself, as a thumb would: year, month, day.
    picked = today + timedelta(days=21)
    # The field's parts follow the browser's own language (Debian's chromium: month, day, year),
    # whatever the page's; each full part moves on to the next by itself.
    date_field.focus()
    date_field.press_sequentially(f"{picked:%m%d%Y}")
    expect(date_field).to_have_value(picked.isoformat())

    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        dialog.dismiss() if len(questions) == 1 else dialog.accept()

    page.on("dialog", answer)
    publish = page.get_by_role("button", name=re.compile("发布第"))
    publish.click()  # the first time the administrator says no: nothing is published
    expect(page.locator("#id_effective_from")).to_be_visible()
    draft = Edition.objects.get(village=village, published_at__isnull=True)
    publish.click()
    # The answer to this Publish, not a message of an earlier page.
    expect(page.locator(".messages")).to_contain_text(f"第{draft.number}版已发布")
    page.screenshot(path=artifacts / "02-published-zh.png", full_page=True)

    assert picked.isoformat() in questions[0] and "发布第" in questions[0]
    edition = Edition.objects.get(pk=draft.pk)
    assert edition.effective_from == picked


def test_the_draft_of_a_twelve_page_handbook_is_a_few_screens_on_a_phone(
    live_server, new_page, artifacts, village, admin
):
    handbook = Edition.objects.create(village=village, number=1, title="村民积分手册")
    fill_with_demo_pages(handbook)
    handbook.published_at, handbook.effective_from = timezone.now(), village.today() - timedelta(days=30)
    handbook.save()
    start_draft(village=village, admin=admin)
    page = new_page(locale="zh-CN")
    page.context.add_cookies([{"name": "django_language", "value": "zh-hans", "url": live_server.url}])
    sign_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/handbook/editor/draft/")
    page.screenshot(path=artifacts / "draft-zh.png", full_page=True)
    height = page.evaluate("document.scrollingElement.scrollHeight")
    assert height < 4000, height  # was 11,000 px with every page unfolded
    # Every page is one tap away: its title opens it.
    page.get_by_text("8. 安全与防火").click()
    section = page.locator("section.editor-page", has_text="8. 安全与防火")
    expect(section.locator(".edit-row").first).to_be_visible()
