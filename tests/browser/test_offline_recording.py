"""The volunteer scorer on a 390×844 phone loses the signal: entries are kept on the phone,
shown as waiting, and each arrives exactly once when the connection returns (issue 11).

The service worker runs for real: the offline Record page is opened *without* network, from
what the worker kept. `context.set_offline` also cuts the worker off (Chromium applies network
emulation to service workers). Every page of the journey is checked for Content-Security-Policy
violations and script errors: the offline page and the worker are served under script-src 'self'.
"""

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from points.models import Entry
from points.services import record_entry
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

WAITING = "#waiting-list li[data-state=waiting]"
RECORDED = "#waiting-list li[data-state=recorded]"
REFUSED = "#waiting-list li[data-state=refused]"


def watch_for_problems(page) -> list[str]:
    """Script errors and CSP violations on the page, collected for a final assertion."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text
            or (message.type == "error" and not message.text.startswith("Failed to load resource"))
            else None
        ),
    )
    return problems


def open_record_online(page, live_server) -> None:
    """Sign in (the scorer lands on Record) and wait until the phone keeps the offline page and data."""
    sign_in(page, live_server, "scorer")
    assert page.url.endswith("/record/")
    page.wait_for_function("document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("navigator.serviceWorker.controller !== null")


def go_offline_to_the_offline_page(page) -> None:
    page.context.set_offline(True)
    expect(page.locator("#offline-banner")).to_be_visible()
    page.locator("#offline-banner a").click()  # no network: the worker answers with the kept page
    page.wait_for_url(re.compile(r"/record/offline/$"))
    expect(page.locator("#offline-form")).to_be_visible()


def keep(page, query: str, name: str, code: str, *, note: str = "", on=None, confirm=False, waiting: int) -> None:
    """Record one entry on the offline page; it joins the list as waiting."""
    page.fill("#offline-resident-q", query)
    page.locator("#offline-resident-results button.pick", has_text=name).click()
    page.fill("#offline-item-q", code)
    page.locator("#offline-item-results button.pick", has_text=code).first.click()
    if confirm:  # a deduction: one more tick that repeats its points and fine (issue 15)
        expect(page.locator("#offline-confirm-row")).to_contain_text("¥200")
        page.check("#offline-confirm")
    if on is not None:
        page.fill("#offline-date", on.isoformat())
    page.fill("#offline-note", note)
    page.click("#offline-form button[type=submit]")
    expect(page.locator(WAITING)).to_have_count(waiting)
    expect(page.locator("#offline-kept")).to_be_visible()


def keep_three(page, today) -> None:
    keep(page, "lw", "李伟", "1.1", note="帮邻居修剪了院子里的树", waiting=1)
    keep(page, "wangf", "王芳", "1.1", note="扫了村道", on=today - timedelta(days=2), waiting=2)
    keep(page, "李", "李伟", "1.3", note="鸡跑出鸡舍", confirm=True, waiting=3)


def test_three_entries_recorded_without_signal_arrive_once_when_the_signal_returns(
    live_server, phone, artifacts, scorer, resident, other_resident, deed, infraction
):
    page = phone
    problems = watch_for_problems(page)
    today = resident.village.today()
    open_record_online(page, live_server)
    go_offline_to_the_offline_page(page)
    page.screenshot(path=artifacts / "01-offline-record.png", full_page=True)

    page.fill("#offline-resident-q", "lw")
    expect(page.locator("#offline-resident-results button.pick")).to_have_count(1)
    page.screenshot(path=artifacts / "02-offline-resident-found.png", full_page=True)
    keep_three(page, today)
    expect(page.locator("#waiting-summary")).to_contain_text("3 waiting to send")
    page.screenshot(path=artifacts / "03-three-waiting.png", full_page=True)
    assert not Entry.objects.exists()

    page.context.set_offline(False)  # the `online` event sends them
    expect(page.locator(RECORDED)).to_have_count(3)
    expect(page.locator("#waiting-summary")).to_contain_text("Nothing is waiting")
    page.screenshot(path=artifacts / "04-three-recorded.png", full_page=True)
    assert Entry.objects.count() == 3
    wang = Entry.objects.get(resident=other_resident)
    assert wang.occurred_on == today - timedelta(days=2)  # the day of the deed, not of the sending
    assert wang.note == "扫了村道"
    assert Entry.objects.filter(resident=resident, item=infraction).get().points_halves == -20

    # Loading any page sends again whatever is waiting; nothing is, so nothing more arrives.
    page.goto(f"{live_server.url}/record/")
    expect(page.locator(RECORDED)).to_have_count(3)
    assert Entry.objects.count() == 3
    assert problems == []


def test_entries_whose_answer_was_lost_after_the_server_committed_still_arrive_once(
    live_server, phone, artifacts, scorer, resident, other_resident, deed, infraction
):
    page = phone
    problems = watch_for_problems(page)
    open_record_online(page, live_server)
    go_offline_to_the_offline_page(page)
    keep_three(page, resident.village.today())

    # The request reaches the server, which records the entry, but the phone never hears back.
    delivered = []

    def drop_the_answer(route):
        delivered.append(route.fetch().status)
        route.abort()

    page.route("**/record/offline/sync/", drop_the_answer)
    page.context.set_offline(False)
    expect(page.locator("#waiting-list .we-note")).to_have_count(3)  # each one tried once
    expect(page.locator(WAITING)).to_have_count(3)
    page.screenshot(path=artifacts / "01-answers-lost.png", full_page=True)
    assert delivered == [200, 200, 200]
    assert Entry.objects.count() == 3

    # The next page load sends the same three keys again: the server answers with the same entries.
    page.unroute("**/record/offline/sync/")
    page.reload()
    expect(page.locator(RECORDED)).to_have_count(3)
    page.screenshot(path=artifacts / "02-recorded-after-retry.png", full_page=True)
    assert Entry.objects.count() == 3
    assert Entry.objects.filter(resident=resident).count() == 2
    assert problems == []


@pytest.mark.parametrize(
    ("locale", "reason", "sign_out"),
    [("en-US", "at most 2 times a month", "Sign out"), ("zh-CN", "每月最多记 2 次", "退出")],
)
def test_an_entry_over_the_cap_is_refused_on_arrival_and_signing_out_clears_the_phone(
    live_server, new_page, artifacts, scorer, resident, deed, capped_deed, locale, reason, sign_out
):
    page = new_page(locale=locale)
    problems = watch_for_problems(page)
    today = resident.village.today()
    for _ in range(2):  # the capped deed's two places this month are taken
        record_entry(
            scorer=scorer, resident=resident, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )
    open_record_online(page, live_server)
    go_offline_to_the_offline_page(page)
    keep(page, "lw", "李伟", "1.2", note="第三次送老人去集市", waiting=1)
    keep(page, "lw", "李伟", "1.1", waiting=2)
    page.screenshot(path=artifacts / f"01-waiting-{locale}.png", full_page=True)

    page.context.set_offline(False)
    expect(page.locator(REFUSED)).to_have_count(1)
    expect(page.locator(RECORDED)).to_have_count(1)
    expect(page.locator(REFUSED)).to_contain_text(reason)
    expect(page.locator(REFUSED)).to_contain_text("1.2")
    page.screenshot(path=artifacts / f"02-refused-{locale}.png", full_page=True)
    assert Entry.objects.filter(item=capped_deed).count() == 2
    assert Entry.objects.filter(item=deed).count() == 1

    # The refused entry stays listed, with its reason, on Record too, until the scorer removes it.
    page.goto(f"{live_server.url}/record/")
    expect(page.locator(REFUSED)).to_contain_text(reason)
    page.screenshot(path=artifacts / f"03-record-with-answers-{locale}.png", full_page=True)

    # Signing out clears the kept residents, pages and entries from the phone.
    kept = page.evaluate("caches.keys()")
    assert "vp-user" in kept
    page.get_by_role("button", name=sign_out).click()
    page.wait_for_url(re.compile(r"/accounts/login/$"))
    assert page.evaluate("caches.keys()") == []
    stored = page.evaluate(
        """() => new Promise((resolve) => {
            const request = indexedDB.open("village-points");
            request.onupgradeneeded = () => { request.transaction.abort(); resolve(0); };
            request.onsuccess = () => {
              const db = request.result;
              const n = db.objectStoreNames.contains("entries") ? -1 : 0;
              db.close();
              resolve(n);
            };
            request.onerror = () => resolve(0);
        })"""
    )
    assert stored == 0
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then((r) => r.length)") == 0
    assert problems == []
