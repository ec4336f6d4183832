"""The scorer's round on a 390×844 phone, in both languages (issue 15): taps and keystrokes counted
and asserted, the session ending under the scorer's thumb, and the bytes each further entry costs.

`Thumb` is the only way these tests touch the page, so its counts are what a scorer would do.
"""

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import expect

from points.models import Entry
from points.services import record_entry
from tests.browser.conftest import sign_in
from tests.factories import ResidentFactory, make_item

pytestmark = pytest.mark.browser

LANGUAGES = [("en-US", "en"), ("zh-CN", "zh-hans")]


class Thumb:
    """Taps and keystrokes on one page, counted."""

    def __init__(self, page) -> None:
        self.page = page
        self.taps = 0
        self.keys = 0

    def tap(self, locator) -> None:
        locator.click()
        self.taps += 1

    def type(self, locator, text: str) -> None:
        locator.press_sequentially(text)
        self.keys += len(text)

    def reset(self) -> None:
        self.taps = self.keys = 0


def shot(page, artifacts, name: str) -> None:
    page.screenshot(path=artifacts / f"{name}.png", full_page=True)


def assert_tap_targets_at_least_44px(page) -> None:
    """Every visible control a thumb can hit is at least 44 px tall (the skip link is off-screen)."""
    small = page.evaluate(
        """() => Array.from(document.querySelectorAll('main, header, footer'))
            .flatMap((root) => Array.from(root.querySelectorAll('a, button, summary, select, label.check-row, input')))
            .filter((el) => el.type !== 'hidden' && el.type !== 'checkbox' && el.offsetParent !== null)
            .filter((el) => !el.closest('label.check-row, .check') )
            .map((el) => [el.outerHTML.slice(0, 80), el.getBoundingClientRect().height])
            .filter(([, height]) => height > 0 && height < 44)"""
    )
    assert small == [], small


def assert_points_never_wrap(page) -> None:
    wrapped = page.evaluate(
        """() => Array.from(document.querySelectorAll('.pts, .done-points'))
            .filter((el) => el.offsetParent !== null)
            .filter((el) => { const r = document.createRange(); r.selectNodeContents(el);
                              return new Set(Array.from(r.getClientRects(), (c) => Math.round(c.top))).size > 1; })
            .map((el) => el.textContent)"""
    )
    assert wrapped == [], wrapped


def record_before(scorer, resident, item, times: int = 1) -> None:
    for _ in range(times):
        record_entry(
            scorer=scorer,
            resident=resident,
            item=item,
            occurred_on=resident.village.today(),
            idempotency_key=uuid.uuid4(),
        )


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_repeat_deed_takes_two_taps_and_undo_one(
    live_server, new_page, artifacts, scorer, resident, deed, infraction, locale, language
):
    record_before(scorer, resident, deed)
    half = make_item(deed.page, code="1.9", title="捡起路边垃圾", points=Decimal("0.5"))
    record_before(scorer, resident, half)
    page = new_page(locale=locale)
    sign_in(page, live_server, "scorer")
    assert page.locator("html").get_attribute("lang") == language
    shot(page, artifacts, f"01-record-{locale}")
    assert_tap_targets_at_least_44px(page)

    thumb = Thumb(page)
    thumb.tap(page.locator("#resident-results a.pick", has_text="李伟"))
    expect(page.locator("button.quick-pick")).to_have_count(2)
    shot(page, artifacts, f"02-most-used-{locale}")
    assert_tap_targets_at_least_44px(page)
    assert_points_never_wrap(page)
    expect(page.locator("button.quick-pick", has_text="+0.5")).to_be_visible()
    thumb.tap(page.locator("button.quick-pick", has_text="1.1"))
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    expect(page.locator(".standing-line")).to_contain_text("1002.5")
    shot(page, artifacts, f"03-confirmation-{locale}")
    assert (thumb.taps, thumb.keys) == (2, 0)
    assert Entry.objects.filter(item=deed).count() == 2
    assert_tap_targets_at_least_44px(page)

    thumb.reset()
    thumb.tap(page.locator("button.undo-button"))
    page.wait_for_url(re.compile(r"/record/\?resident=\d+$"))
    shot(page, artifacts, f"04-undone-{locale}")
    assert thumb.taps == 1
    newest = Entry.objects.filter(item=deed).order_by("-pk").first()
    assert newest.reverses is not None  # the newest row is the reversal of the one just recorded


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_deed_never_used_before_takes_at_most_four_taps_without_the_keyboard(
    live_server, new_page, artifacts, scorer, resident, deed, capped_deed, locale, language
):
    record_before(scorer, resident, deed)
    page = new_page(locale=locale)
    sign_in(page, live_server, "scorer")
    thumb = Thumb(page)
    thumb.tap(page.locator("#resident-results a.pick", has_text="李伟"))
    thumb.tap(page.locator("a.page-pick").first)
    shot(page, artifacts, f"01-handbook-page-{locale}")
    assert_points_never_wrap(page)
    thumb.tap(page.locator("#item-results a.pick", has_text="1.2"))
    expect(page.locator("#id_occurred_on")).to_have_value(resident.village.today().isoformat())
    shot(page, artifacts, f"02-details-{locale}")
    thumb.tap(page.locator("#record-form button[type=submit]"))
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    shot(page, artifacts, f"03-done-{locale}")
    assert thumb.taps <= 4 and thumb.keys == 0, (thumb.taps, thumb.keys)
    assert Entry.objects.filter(item=capped_deed).count() == 1


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_infraction_needs_its_extra_confirmation_and_a_capped_out_item_is_disabled(
    live_server, new_page, artifacts, scorer, resident, deed, capped_deed, infraction, locale, language
):
    record_before(scorer, resident, capped_deed, times=2)
    page = new_page(locale=locale)
    sign_in(page, live_server, "scorer")
    thumb = Thumb(page)
    thumb.tap(page.locator("#resident-results a.pick", has_text="李伟"))
    thumb.tap(page.locator("a.page-pick").first)
    # Deeds first; the capped-out deed is there, disabled, with its reason.
    picks = page.locator("#item-results .pick")
    expect(picks.last).to_contain_text("1.3")
    expect(page.locator("#item-results span.pick[aria-disabled=true]")).to_contain_text("1.2")
    shot(page, artifacts, f"01-deeds-first-capped-out-disabled-{locale}")
    thumb.tap(page.locator("#item-results a.pick", has_text="1.3"))
    expect(page.locator(".confirm-deduction")).to_contain_text("−10")
    expect(page.locator(".confirm-deduction")).to_contain_text("¥200")
    shot(page, artifacts, f"02-infraction-confirmation-{locale}")
    thumb.tap(page.locator("#record-form button[type=submit]"))
    expect(page.locator("#record-form .errorlist")).to_be_visible()
    assert not Entry.objects.filter(item=infraction).exists()
    shot(page, artifacts, f"03-not-confirmed-{locale}")
    thumb.tap(page.locator("#id_confirmed"))
    thumb.tap(page.locator("#record-form button[type=submit]"))
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    shot(page, artifacts, f"04-infraction-recorded-{locale}")
    assert Entry.objects.get(item=infraction).points_halves == -20


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_group_of_twenty_takes_at_most_25_taps_and_writes_twenty_entries(
    live_server, new_page, artifacts, scorer, village, deed, locale, language
):
    team = [ResidentFactory(village=village) for _ in range(20)]
    for member in team:  # the scorer's regular volunteers
        record_before(scorer, member, deed)
    page = new_page(locale=locale)
    sign_in(page, live_server, "scorer")
    thumb = Thumb(page)
    thumb.tap(page.locator("nav.subnav a[href='/record/group/']"))
    shot(page, artifacts, f"01-group-deed-{locale}")
    thumb.tap(page.locator("a.group-deed", has_text="1.1"))
    boxes = page.locator(".group-offered input[type=checkbox]")
    expect(boxes).to_have_count(20)
    for index in range(20):
        thumb.tap(page.locator(".group-offered label.check-row").nth(index))
    shot(page, artifacts, f"02-twenty-ticked-{locale}")
    assert_tap_targets_at_least_44px(page)
    thumb.tap(page.locator("#group-record"))
    expect(page.locator(".results-list li.recorded")).to_have_count(20)
    shot(page, artifacts, f"03-group-recorded-{locale}")
    assert_tap_targets_at_least_44px(page)
    assert thumb.taps <= 25 and thumb.keys == 0, (thumb.taps, thumb.keys)
    assert Entry.objects.filter(item=deed).count() == 40
    # The browser's back-and-resubmit sends the same submission again: nothing new is written.
    page.go_back()
    page.locator("#group-record").click()
    expect(page.locator(".results-list li.recorded")).to_have_count(20)
    assert Entry.objects.filter(item=deed).count() == 40


# --- The session ended under the scorer's thumb --------------------------------------------------


def end_the_session() -> None:
    """What 12 hours without use do: the server forgets the session; the phone keeps its cookie."""
    Session.objects.all().delete()


def sign_in_here(page) -> None:
    page.fill("#id_username", "scorer")
    page.fill("#id_password", "village-demo")
    page.click("form button[type=submit]")


def test_the_htmx_form_submitted_after_the_session_ended_loses_nothing(
    live_server, phone, artifacts, scorer, resident, deed
):
    page = phone
    sign_in(page, live_server, "scorer")
    page.goto(f"{live_server.url}/record/?resident={resident.pk}&item={deed.pk}")
    page.fill("#id_note", "帮五保户挑水")
    key = page.locator("input[name=idempotency_key]").input_value()
    end_the_session()
    page.click("#record-form button[type=submit]")  # htmx posts the form
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    expect(page.locator("p.kept")).to_be_visible()
    assert page.locator("#record-form").count() == 0
    shot(page, artifacts, "01-sign-in-again")
    sign_in_here(page)
    page.wait_for_url(re.compile(r"/record/\?resume=1$"))
    expect(page.locator("#id_note")).to_have_value("帮五保户挑水")
    assert page.locator("input[name=idempotency_key]").input_value() == key
    shot(page, artifacts, "02-kept-entry")
    assert not Entry.objects.exists()
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    entry = Entry.objects.get()
    assert (str(entry.idempotency_key), entry.note) == (key, "帮五保户挑水")


def test_a_quick_tap_after_the_session_ended_is_recorded_once_after_sign_in(
    live_server, phone, artifacts, scorer, resident, deed
):
    page = phone
    record_before(scorer, resident, deed)
    sign_in(page, live_server, "scorer")
    page.goto(f"{live_server.url}/record/?resident={resident.pk}")
    end_the_session()
    page.click("button.quick-pick")  # a plain form post
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    sign_in_here(page)
    page.wait_for_url(re.compile(r"/record/\?resume=1$"))
    shot(page, artifacts, "01-kept-quick-entry")
    page.click("#record-form button[type=submit]")
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    assert Entry.objects.filter(item=deed).count() == 2


def test_an_htmx_search_after_the_session_ended_goes_to_sign_in_not_into_the_results(
    live_server, phone, artifacts, scorer, resident, deed
):
    page = phone
    sign_in(page, live_server, "scorer")
    page.goto(f"{live_server.url}/record/?resident={resident.pk}")
    end_the_session()
    page.fill("#item-q", "1.1")  # htmx asks for the results
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/record/%3Fresident%3D\d+"))
    shot(page, artifacts, "01-search-sends-to-sign-in")
    sign_in_here(page)
    page.wait_for_url(re.compile(rf"/record/\?resident={resident.pk}$"))


def test_an_entry_kept_offline_arrives_once_after_the_session_ended_and_the_scorer_signed_in(
    live_server, phone, artifacts, scorer, resident, deed
):
    page = phone
    sign_in(page, live_server, "scorer")
    page.wait_for_function("document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    page.locator("#offline-banner a").click()
    page.wait_for_url(re.compile(r"/record/offline/$"))
    page.fill("#offline-resident-q", "lw")
    page.locator("#offline-resident-results button.pick", has_text="李伟").click()
    page.fill("#offline-item-q", "1.1")
    page.locator("#offline-item-results button.pick", has_text="1.1").first.click()
    page.fill("#offline-note", "夜里帮忙抢修水管")
    page.click("#offline-form button[type=submit]")
    expect(page.locator("#waiting-list li[data-state=waiting]")).to_have_count(1)
    end_the_session()
    page.context.set_offline(False)
    expect(page.locator("#waiting-list li[data-state=waiting]")).to_contain_text("sign in again")
    shot(page, artifacts, "01-waiting-sign-in-again")
    assert not Entry.objects.exists()
    page.goto(f"{live_server.url}/accounts/login/?next=/record/")
    sign_in_here(page)
    page.wait_for_url(re.compile(r"/record/$"))
    expect(page.locator("#waiting-list li[data-state=recorded]")).to_have_count(1)
    shot(page, artifacts, "02-sent-once")
    page.goto(f"{live_server.url}/record/")
    expect(page.locator("#waiting-list li[data-state=recorded]")).to_have_count(1)
    entry = Entry.objects.get()
    assert entry.note == "夜里帮忙抢修水管"


# --- Bytes ------------------------------------------------------------------------------------------


def test_each_further_entry_transfers_at_most_20_kb(live_server, phone, artifacts, scorer, resident, deed):
    page = phone
    record_before(scorer, resident, deed)
    transferred: list[int] = []

    def count(request) -> None:
        response = request.response()
        if response is not None and response.from_service_worker:
            return  # answered on the phone; the worker's own network requests are counted themselves
        sizes = request.sizes()
        transferred.append(
            sizes["requestHeadersSize"]
            + sizes["requestBodySize"]
            + sizes["responseHeadersSize"]
            + sizes["responseBodySize"]
        )

    page.context.on("requestfinished", count)
    sign_in(page, live_server, "scorer")
    page.wait_for_function("document.documentElement.dataset.offlineReady === '1'")
    per_entry = []
    for _ in range(4):
        transferred.clear()
        page.goto(f"{live_server.url}/record/")  # where a scorer starts each entry
        page.locator("#resident-results a.pick").first.click()
        page.locator("button.quick-pick").first.click()
        page.wait_for_url(re.compile(r"/record/\d+/done/$"))
        page.wait_for_load_state("networkidle")
        per_entry.append(sum(transferred))
    shot(page, artifacts, "01-last-entry")
    (artifacts / "bytes-per-entry.txt").write_text(" ".join(map(str, per_entry)) + "\n")
    assert Entry.objects.filter(item=deed).count() == 5
    assert all(size <= 20 * 1024 for size in per_entry[1:]), per_entry


def test_a_group_kept_without_signal_arrives_once_per_resident(
    live_server, phone, artifacts, scorer, resident, other_resident, deed, infraction
):
    page = phone
    sign_in(page, live_server, "scorer")
    page.wait_for_function("document.documentElement.dataset.offlineReady === '1'")
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    page.locator("#offline-banner a").click()
    page.wait_for_url(re.compile(r"/record/offline/$"))
    page.fill("#offline-resident-q", "lw")
    page.locator("#offline-resident-results button.pick", has_text="李伟").click()
    page.click("[data-change=add]")
    page.fill("#offline-resident-q", "wangf")
    page.locator("#offline-resident-results button.pick", has_text="王芳").click()
    expect(page.locator("#offline-resident-chosen")).to_contain_text("李伟、王芳")
    # A deduction is never recorded for a group.
    page.fill("#offline-item-q", "1.3")
    page.locator("#offline-item-results button.pick", has_text="1.3").first.click()
    page.click("#offline-form button[type=submit]")
    expect(page.locator("#offline-error")).to_contain_text("cannot be recorded for a group")
    page.click("[data-change=item]")
    page.fill("#offline-item-q", "1.1")
    page.locator("#offline-item-results button.pick", has_text="1.1").first.click()
    page.fill("#offline-note", "一起清扫村道")
    page.click("#offline-form button[type=submit]")
    expect(page.locator("#waiting-list li[data-state=waiting]")).to_have_count(2)
    shot(page, artifacts, "01-group-kept-offline")
    assert not Entry.objects.exists()
    page.context.set_offline(False)
    expect(page.locator("#waiting-list li[data-state=recorded]")).to_have_count(2)
    shot(page, artifacts, "02-group-sent")
    page.goto(f"{live_server.url}/record/")  # sending again on the next page load writes nothing new
    expect(page.locator("#waiting-list li[data-state=recorded]")).to_have_count(2)
    assert sorted(Entry.objects.values_list("resident_id", "note")) == sorted(
        [(resident.pk, "一起清扫村道"), (other_resident.pk, "一起清扫村道")]
    )
