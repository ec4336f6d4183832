"""Every page each role can reach by links, at 390×844, in Chinese and in English, on the demo village:
no page wider than the phone, date fields the browser can read, targets a thumb can hit, no console
error, and nothing axe-core calls serious or critical.

The crawl follows same-origin GET links from the landing page, breadth first, and visits at most
two pages per URL pattern (digits stand for ids), so a village of 200 residents costs what a
village of three does."""

import os
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command

from points.models import Certificate
from points.verification import verify_path
from tests.browser.conftest import PHONE, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROLES = ["scorer", "resident", "head", "admin", "head_tj", "anonymous"]
# What a visitor without an account reaches: sign-in, the public certificate check.
PUBLIC = ["/accounts/login/", "/verify/", "/verify/DDLJ-2026-0001/"]
LANGUAGES = ["zh-hans", "en"]
PER_PATTERN = 2
SCREENSHOT_EVERY_PAGE = bool(os.environ.get("CRAWL_SCREENSHOTS"))  # else only pages with a problem
MAX_PAGES = 60
# Not pages: signing out, the language switch, files, the service worker, Django's own admin.
SKIP = re.compile(
    r"^/(accounts/logout|i18n/|admin/|sw\.js|manifest|healthz|media/|static/)|\.(pdf|csv|xlsx|yaml|png|jpg|zip)(\?|$)"
    r"|/(pdf|download|export|booklet|photo)(/|$)|[?&](format|download)="
)
TAP_MIN = 44
AXE_OPTIONS = {"resultTypes": ["violations"], "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}

# In the page: what a phone user would trip over. Returns a list of human-readable problems.
PAGE_CHECKS = """() => {
  const problems = [];
  const doc = document.scrollingElement;
  if (doc.scrollWidth > window.innerWidth) {
    const wide = [...document.querySelectorAll('main *, header *, footer *')]
      .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
      .slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''));
    problems.push(`wider than the phone: ${doc.scrollWidth}px > ${window.innerWidth}px (${wide.join(', ')})`);
  }
  for (const input of document.querySelectorAll('input[type=date]')) {
    const value = input.getAttribute('value');
    if (value && !/^\\d{4}-\\d{2}-\\d{2}$/.test(value)) problems.push(`date field ${input.name} = ${value}`);
  }
  const targets = document.querySelectorAll(
    'button, input[type=submit], input[type=button], [role=button], summary, ' +
    'a.button, .subnav a, .tabs a, .tiles a, a.pick, .actions a');
  for (const el of targets) {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!box.width || !box.height || style.visibility === 'hidden') continue;
    if (el.closest('.sr-only, [hidden]')) continue;
    if (box.height < TAP_MIN - 0.5) {
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 30);
      problems.push(`small target ${el.tagName.toLowerCase()} "${name}" ${Math.round(box.height)}px`);
    }
  }
  return problems;
}""".replace("TAP_MIN", str(TAP_MIN))


def pattern(path: str) -> str:
    """/residents/12/statement/?month=2026-01 -> /residents/N/statement/?month"""
    parts = urlsplit(path)
    keys = sorted({pair.split("=")[0] for pair in parts.query.split("&") if pair})
    return re.sub(r"\d+", "N", parts.path) + ("?" + "&".join(keys) if keys else "")


def crawl(page, base: str, starts: list[str]):
    """Yield (path, response, first) for every page reachable from `start`, at most PER_PATTERN per
    pattern; `first` is true for the first page of its pattern."""
    seen_paths, per_pattern = set(), {}
    queue = deque(starts)
    visited = 0
    while queue and visited < MAX_PAGES:
        path = queue.popleft()
        key = pattern(path)
        if path in seen_paths or per_pattern.get(key, 0) >= PER_PATTERN:
            continue
        seen_paths.add(path)
        per_pattern[key] = per_pattern.get(key, 0) + 1
        response = page.goto(base + path)
        visited += 1
        yield path, response, per_pattern[key] == 1
        hrefs = page.eval_on_selector_all(
            "a[href]:not([download]):not([target=_blank])", "links => links.map(a => a.href)"
        )
        for href in hrefs:
            href, _fragment = urldefrag(href)
            if not href.startswith(base):
                continue
            link = href[len(base) :] or "/"
            if SKIP.search(link) or link in seen_paths:
                continue
            queue.append(link)


@pytest.fixture
def demo(transactional_db):
    call_command("loaddemo")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_a_role_reaches_fits_a_phone_and_passes_axe(live_server, browser, artifacts, demo, role):
    """Both languages in one test: the demo is loaded once per role (a flush follows each test)."""
    problems: dict[str, list[str]] = {}
    for language in LANGUAGES:
        visited, found = crawl_as(browser, live_server, artifacts, role, language)
        assert len(visited) >= 3, (language, visited)
        problems |= {f"[{language}] {path}": pf for path, pf in found.items()}
    assert not problems, "\n".join(f"{path}\n  " + "\n  ".join(pf) for path, pf in problems.items())


def crawl_as(browser, live_server, artifacts, role: str, language: str) -> tuple[list[str], dict[str, list[str]]]:
    """Crawl as `role` in `language`: the pages visited, and the problems found on each."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN" if language == "zh-hans" else "en-US", has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    if role == "anonymous":
        starts = [*PUBLIC, verify_path(Certificate.objects.order_by("pk").first())]
    else:
        sign_in(page, live_server, role)
        starts = [urlsplit(page.url).path]
    axe = Axe()
    problems: dict[str, list[str]] = {}
    visited = []
    for path, response, first in crawl(page, live_server.url, starts):
        visited.append(path)
        found = []
        if response is None or (response.status >= 400 and path not in PUBLIC):
            found.append(f"answered {response and response.status}")
        found += page.evaluate(PAGE_CHECKS)
        # axe costs a second a page: once per pattern (the second page of a pattern is the same template).
        results = axe.run(page, options=AXE_OPTIONS) if first else None
        found += (
            []
            if results is None
            else [
                f"axe {v['id']} ({v['impact']}): {v['nodes'][0]['html'][:160]}"
                for v in results.response["violations"]
                if v["impact"] in ("serious", "critical")
            ]
        )
        expected_404 = path in PUBLIC and response is not None and response.status == 404
        found += [f"console: {text}" for text in errors if not (expected_404 and "status of 404" in text)]
        errors.clear()
        if found:
            problems[path] = found
        if found or SCREENSHOT_EVERY_PAGE:
            name = f"{language}-" + re.sub(r"\W+", "_", path).strip("_") + ".png"
            page.screenshot(path=artifacts / name, full_page=True)
    context.close()
    return visited, problems


@pytest.mark.parametrize(
    ("language", "words"),
    [("zh-hans", "找不到这个页面|无权访问|表单已过期"), ("en", "Page not found|Not allowed|The form had expired")],
    ids=["zh-hans", "en"],
)
def test_a_missing_page_a_forbidden_page_and_a_csrf_failure_answer_in_the_frame(
    live_server, new_page, artifacts, head, language, words
):
    missing, forbidden, expired = words.split("|")
    page = new_page(locale="zh-CN" if language == "zh-hans" else "en-US")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])

    def in_the_frame(status, heading, name):
        assert page.locator("header.frame .brand").is_visible()
        assert page.locator("h1").inner_text() == heading
        assert page.locator("main a.button[href='/']").is_visible()  # a way home
        assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth")
        assert page.evaluate("document.documentElement.lang") == language
        page.screenshot(path=artifacts / f"{name}.png", full_page=True)

    # A CSRF failure: the sign-in form sent after its token was lost (cookies cleared meanwhile).
    page.goto(f"{live_server.url}/accounts/login/")
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page.fill("#id_username", "head")
    page.fill("#id_password", "village-demo")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.click("button[type=submit]")
    assert answer.value.status == 403
    in_the_frame(403, expired, "csrf")

    sign_in(page, live_server, "head")
    assert page.goto(f"{live_server.url}/no-such-page/").status == 404
    in_the_frame(404, missing, "404")
    assert page.goto(f"{live_server.url}/handbook/editor/draft/").status == 403  # the administrator's
    in_the_frame(403, forbidden, "403")
