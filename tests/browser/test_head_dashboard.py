"""The village head on a 390×844 phone and at desktop width: sign in, import the sample file, see the
residents, open the dashboard and a chart; in English and in Chinese."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.factories import record
from villages.models import Resident

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).resolve().parents[2] / "demo" / "sample_residents.csv"
DESKTOP = {"width": 1366, "height": 900}


def test_a_head_imports_the_sample_file_and_reads_the_dashboard(
    live_server, phone, artifacts, village, head, scorer, resident, other_resident, deed, infraction
):
    record(scorer=scorer, resident=resident, item=deed)
    record(scorer=scorer, resident=other_resident, item=infraction)
    page = phone

    sign_in(page, live_server, "head")
    page.screenshot(path=artifacts / "01-home.png", full_page=True)

    # Import: choose the file, check the preview, confirm.
    page.get_by_role("link", name="Register of residents, consent and import").click()
    page.locator("nav.subnav").get_by_role("link", name="Import").click()
    page.set_input_files("#id_file", str(SAMPLE))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview: nothing has been written yet")).to_be_visible()
    expect(page.locator("main")).to_contain_text("12 new residents")
    page.screenshot(path=artifacts / "02-import-preview.png", full_page=True)
    assert not Resident.objects.filter(village=village, name="刘建国").exists()
    page.get_by_role("button", name="Import these residents").click()
    expect(page.locator(".messages")).to_contain_text("12 residents added")
    page.screenshot(path=artifacts / "03-residents.png", full_page=True)
    assert Resident.objects.filter(village=village).count() == 14

    # The register answers pinyin initials as one types.
    page.fill("#id_q", "ljg")
    expect(page.locator("#results li")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("刘建国")
    page.screenshot(path=artifacts / "04-search.png", full_page=True)

    # The dashboard, and one chart with its figures.
    page.goto(f"{live_server.url}/")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dashboard")
    chart = page.get_by_role("img", name="Residents by grade")
    expect(chart).to_be_visible()
    page.screenshot(path=artifacts / "05-dashboard.png", full_page=True)
    figures = page.locator("#chart-grades details")
    figures.locator("summary").click()
    expect(figures.locator("table")).to_contain_text("13")  # 12 imported + 李伟 at A
    figures.scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "06-grades-chart.png")

    # The same in Chinese, on a desktop screen.
    page.locator("footer").get_by_role("button", name="简体中文").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("村情看板")
    expect(page.get_by_role("img", name="各等级村民人数")).to_be_visible()
    page.screenshot(path=artifacts / "07-dashboard-zh.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=artifacts / "08-dashboard-zh-desktop.png", full_page=True)
    page.goto(f"{live_server.url}/office/residents/")
    page.screenshot(path=artifacts / "09-residents-zh-desktop.png", full_page=True)
