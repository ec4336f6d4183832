"""Hostile input renders inert: script tags, event handlers, htmx attributes and javascript: links
entered as an entry's note (through the scorer's Record page) and as residents' names (through the
office's resident form) show as plain text on every page that shows them, on a 390×844 phone:
no dialog opens, nothing asks for the injected hx-get target, the CSP reports no violation."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from points.models import Appeal, Entry
from points.services import file_appeal, issue_certificate
from points.verification import verify_path
from tests.browser.conftest import sign_in
from tests.factories import MembershipFactory, ResidentFactory, UserFactory, record
from villages.models import Membership, Resident
from villages.services import record_consent

pytestmark = pytest.mark.browser

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HTMX = '<div hx-get="/evil" hx-trigger="load">x</div>'
JS_LINK = "javascript:alert(1)"
PAYLOADS = [SCRIPT, IMG, HTMX, JS_LINK]
NOTE = f'{SCRIPT} {IMG} {HTMX} <a href="{JS_LINK}">{JS_LINK}</a>'
WATCH = Path(__file__).with_name("hostile_watch.js")


class Watcher:
    """What a page did that it must not: dialogs, requests to /evil, CSP violations."""

    def __init__(self, page):
        self.dialogs: list[str] = []
        self.evil: list[str] = []
        self.csp: list[str] = []
        page.add_init_script(path=str(WATCH))
        page.on("dialog", self._dialog)
        page.on("request", lambda request: "/evil" in request.url and self.evil.append(request.url))
        page.on("console", self._console)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "securitypolicyviolation" in text:
            self.csp.append(text)

    def assert_inert(self, where: str) -> None:
        assert self.dialogs == [], f"dialog on {where}: {self.dialogs}"
        assert self.evil == [], f"request to the injected target on {where}: {self.evil}"
        assert self.csp == [], f"CSP violation on {where}: {self.csp}"


def _visit(page, watcher: Watcher, live_server, url: str, artifacts: Path, shot: str, expect_text: str | None = None):
    response = page.goto(live_server.url + url)
    assert response.status == 200, f"{url} answered {response.status}"
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(150)  # htmx processes the document on load; give "load" triggers a moment
    if expect_text is not None:
        expect(page.locator("main")).to_contain_text(expect_text)
    page.screenshot(path=artifacts / f"{shot}.png", full_page=True)
    watcher.assert_inert(url)


@pytest.fixture
def hostile(village, admin, head, scorer, deed, infraction):
    """Residents named with each payload except the htmx one (the browser adds that one), each with
    an entry whose note is a payload, an appeal, and a certificate."""
    residents = []
    for number, name in enumerate([SCRIPT, IMG, JS_LINK], start=1):
        user = MembershipFactory(
            village=village, role=Membership.Role.RESIDENT, user=UserFactory(username=f"h{number}")
        )
        resident = ResidentFactory(village=village, name=name, user=user.user)
        entry = record(scorer=scorer, resident=resident, item=infraction, note=PAYLOADS[number % 4], witness=IMG)
        file_appeal(entry=entry, resident_user=resident.user, reason=NOTE)
        residents.append(resident)
    return residents


def test_hostile_notes_and_names_render_inert_on_every_page(
    live_server, new_page, artifacts, hostile, village, head, deed
):
    # The administrator adds a resident named with the htmx payload through the office's form.
    page = new_page()
    watcher = Watcher(page)
    sign_in(page, live_server, "admin")
    page.goto(live_server.url + reverse("villages:resident_add"))
    page.fill("#id_name", HTMX)
    page.fill("#id_household_number", "099")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r"/office/residents/\d+/$"))
    expect(page.locator("h1")).to_contain_text(HTMX)
    watcher.assert_inert("the new resident's page")
    named = Resident.objects.get(name=HTMX)
    record_consent(resident=named, given_on=village.today() - timedelta(days=1), recorded_by=head)
    login = MembershipFactory(village=village, role=Membership.Role.RESIDENT, user=UserFactory(username="h0")).user
    Resident.objects.filter(pk=named.pk).update(user=login)
    named.refresh_from_db()
    residents = [named, *hostile]

    # The scorer records an entry for them through the Record page, with every payload in the note.
    page = new_page()
    watcher = Watcher(page)
    sign_in(page, live_server, "scorer")
    _visit(page, watcher, live_server, f"/record/?resident={named.pk}&item={deed.pk}", artifacts, "01-record", HTMX)
    page.fill("#id_note", NOTE)
    page.locator("#record-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/record/\d+/done/$"))
    expect(page.locator("main")).to_contain_text(SCRIPT)
    watcher.assert_inert("the confirmation")
    entry = Entry.objects.get(resident=named, note=NOTE)
    certificates = [issue_certificate(resident=r, issued_by=head) for r in residents]

    scorer_pages = [
        reverse("points:my_entries"),
        reverse("points:record_done", args=[entry.pk]),
        reverse("points:record") + f"?resident={named.pk}",
        reverse("points:record_residents") + "?q=099",
    ]
    for number, url in enumerate(scorer_pages):
        _visit(page, watcher, live_server, url, artifacts, f"02-scorer-{number}")
    expect(page.locator("main")).to_contain_text(HTMX)

    # The resident with the htmx name sees their own pages.
    page = new_page()
    watcher = Watcher(page)
    sign_in(page, live_server, "h0")
    for number, url in enumerate(
        [reverse("points:standing"), reverse("points:ledger"), reverse("points:my_certificates")]
    ):
        _visit(page, watcher, live_server, url, artifacts, f"03-resident-{number}")
    _visit(page, watcher, live_server, reverse("points:ledger"), artifacts, "03-resident-ledger", SCRIPT)

    # The head and the administrator see every view of them.
    for persona in ("head", "admin"):
        page = new_page()
        watcher = Watcher(page)
        sign_in(page, live_server, persona)
        urls = [
            reverse("office:home"),
            reverse("office:dashboard"),
            reverse("villages:residents"),
            reverse("points:resident_list"),
            reverse("points:certificates"),
        ]
        if persona == "head":
            urls.append(reverse("points:appeal_queue"))
            appeals = Appeal.objects.filter(entry__resident__in=residents)
            urls += [reverse("points:appeal_decide", args=[appeal.pk]) for appeal in appeals]
        else:
            urls += [reverse("villages:accounts"), reverse("office:audit")]
            urls += [reverse("villages:account_detail", args=[r.user_id]) for r in residents]
        for resident in residents:
            urls += [
                reverse("points:resident_standing", args=[resident.pk]),
                reverse("points:resident_ledger", args=[resident.pk]),
                reverse("points:statement", args=[resident.pk]),
                reverse("points:resident_certificates", args=[resident.pk]),
                reverse("villages:resident_detail", args=[resident.pk]),
            ]
        for number, url in enumerate(urls):
            _visit(page, watcher, live_server, url, artifacts, f"04-{persona}-{number:02d}")

    # Anyone checking a certificate sees the name as text.
    page = new_page()
    watcher = Watcher(page)
    for number, certificate in enumerate(certificates):
        _visit(
            page,
            watcher,
            live_server,
            verify_path(certificate),
            artifacts,
            f"05-verify-{number}",
            residents[number].name,
        )


def test_the_watcher_sees_a_dialog_an_injected_request_and_a_csp_violation(live_server, phone):
    """The test above would pass vacuously if its watcher were blind: show it is not."""
    watcher = Watcher(phone)
    phone.goto(live_server.url + reverse("login"))
    phone.evaluate("""() => {
        const script = document.createElement("script");
        script.textContent = "alert(1)";  // inline: refused by script-src 'self'
        document.body.append(script);
        fetch("/evil").catch(() => {});
    }""")
    phone.evaluate("() => setTimeout(() => alert('shown'), 0)")
    phone.wait_for_timeout(300)
    assert watcher.dialogs == ["shown"]
    assert watcher.evil
    assert any("script-src" in text for text in watcher.csp)
