"""Hostile input never gets a 500, generated from the URL resolver like the permission matrix.

Every URL, requested by a persona the matrix lets in, receives each hostile value in each query
parameter its view reads (GET) and in every field of its form (POST): NUL, 100,000 characters, a
lone surrogate and bytes that are not UTF-8, numbers like 1e100 and −10²⁰, deep nesting, markup.
No response is a 500, and a refused request (4xx) writes nothing. A URL missing from PARAMS
fails the suite, so a new view is covered or the test says where to add it. Run it on
PostgreSQL too (`scripts/with-postgres`), where NUL and surrogates are refused by the database.
"""

from html.parser import HTMLParser
from urllib.parse import quote_from_bytes

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from handbook.models import Edition, Item, Page
from points.models import Appeal, Certificate, CertificateBatch, Claim, Entry
from store.models import Goods, Receipt, StockMovement, StoreSettings
from tests import test_permission_matrix as matrix
from tests.test_permission_matrix import MATRIX, URL_NAMES, expected_status
from villages.models import Benefit, GradeBand, Household, Membership, Resident, Village

HOSTILE = {
    "nul": b"a\x00b",
    "long": b"x" * 100_000,
    "surrogate": b"\xed\xa0\x80",
    "not_utf8": b"\xff\xfe\xc0",
    "huge": b"1e100",
    "very_negative": b"-100000000000000000000",
    "deep": b"[" * 20_000 + b'{"a":' * 2_000,
    "markup": b'<img src="/etc/passwd"><br/>&amp;<para>',
}

# url name → the query parameters its GET reads, and the fields its POST form takes (beyond those
# found in the page's own forms). Every URL is listed, with empty lists where a view reads none.
# fmt: off
PARAMS: dict[str, tuple[list[str], list[str]]] = {
    "login":                           (["next"], ["username", "password"]),
    "logout":                          ([], ["next"]),
    "password_change":                 ([], ["old_password", "new_password1", "new_password2"]),
    "password_change_done":            ([], []),
    "set_language":                    ([], ["language", "next"]),
    "healthz":                         ([], []),
    "service_worker":                  ([], []),
    "manifest":                        ([], []),
    "points:verify":                   ([], []),
    "office:home":                     ([], []),
    "villages:switch":                 ([], ["village", "next"]),
    "villages:residents":              (["q", "show", "page"], []),
    "villages:resident_add":           ([], ["name", "household_number", "address", "phone", "born_on"]),
    "villages:resident_import":        ([], ["token", "file"]),
    "villages:resident_export":        ([], []),
    "villages:resident_detail":        ([], ["name", "phone", "born_on"]),
    "villages:resident_move":          ([], ["household_number", "address"]),
    "villages:resident_status":        ([], ["status"]),
    "villages:resident_consent":       ([], ["given", "given_on"]),
    "villages:accounts":               ([], ["username", "role"]),
    "villages:account_add":            (["resident"], ["username", "full_name", "role", "resident", "email"]),
    "villages:account_detail":         ([], []),
    "villages:account_roles":          ([], ["role", "action"]),
    "villages:account_password":       ([], []),
    "villages:account_deactivate":     ([], []),
    "office:dashboard":                (["month"], []),
    "office:reports":                  (["month"], []),
    "office:report_monthly":           (["month"], []),
    "office:ledger_export":            (["resident", "month"], []),
    "points:standing":                 ([], []),
    "points:ledger":                   (["month", "kind", "page"], []),
    "points:appeal_entry":             ([], ["reason"]),
    "points:my_certificates":          ([], []),
    "points:record":                   (["q", "iq", "hp", "resident", "item"],
                                        ["resident", "item", "occurred_on", "idempotency_key", "note", "witness"]),
    "points:record_residents":         (["q"], []),
    "points:record_items":             (["resident", "iq", "hp"], []),
    "points:record_done":              (["next"], []),
    "points:record_offline":           ([], []),
    "points:offline_data":             ([], []),
    "points:offline_sync":             ([], []),  # a JSON body: tests/points/test_offline_views.py
    "points:my_entries":               (["when", "page"], []),
    "points:withdraw":                 (["next"], ["reason", "next"]),
    "points:entry_photo":              ([], []),
    "points:appeal_queue":             ([], []),
    "points:appeal_decide":            ([], ["decision", "reason"]),
    "points:resident_list":            (["q", "page"], []),
    "points:resident_standing":        ([], []),
    "points:resident_ledger":          (["month", "kind", "page"], []),
    "points:statement":                ([], []),
    "points:certificates":             (["q", "page"], []),
    "points:resident_certificates":    ([], []),
    "points:issue_certificate":        ([], ["idempotency_key"]),
    "points:certificate_pdf":          ([], []),
    "points:revoke_certificate":       ([], ["reason"]),
    "points:batch_start":              ([], ["grades"]),
    "points:batch":                    ([], []),
    "points:batch_resume":             ([], []),
    "points:batch_pdf":                ([], []),
    "handbook:index":                  (["q"], []),
    "handbook:page":                   ([], []),
    "handbook:item":                   ([], []),
    "handbook:editor":                 ([], []),
    "handbook:editor_start":           ([], []),
    "handbook:editor_import":          ([], ["file"]),
    "handbook:editor_booklet":         ([], []),
    "handbook:editor_edition_booklet": ([], []),
    "handbook:editor_export":          ([], []),
    "handbook:editor_draft":           ([], ["title", "effective_from"]),
    "handbook:editor_rename":          ([], ["title"]),
    "handbook:editor_discard":         ([], []),
    "handbook:editor_diff":            ([], []),
    "handbook:editor_page_add":        ([], ["title"]),
    "handbook:editor_page":            ([], []),
    "handbook:editor_page_rename":     ([], ["title"]),
    "handbook:editor_page_move":       ([], ["direction"]),
    "handbook:editor_page_remove":     ([], []),
    "handbook:editor_item_add":        ([], ["code", "title", "description", "kind", "points", "fine_yuan",
                                             "cap_count", "cap_period", "validity_months", "page"]),
    "handbook:editor_item":            ([], []),
    "handbook:editor_item_edit":       ([], ["code", "title", "description", "kind", "points", "fine_yuan",
                                             "cap_count", "cap_period", "validity_months", "page"]),
    "handbook:editor_item_move":       ([], ["direction"]),
    "handbook:editor_item_remove":     ([], []),
    "office:grades":                   (["preset"], ["effective_from", "grade", "min_points", "form-TOTAL_FORMS",
                                                     "form-INITIAL_FORMS", "form-0-grade", "form-0-min_points",
                                                     "form-1-grade", "form-1-min_points"]),
    "office:capital":                  ([], ["starting_capital", "amount"]),
    "office:audit":                    (["kind", "page"], []),
    "office:public_address":           ([], ["public_address"]),
    "points:card_issue":               ([], []),
    "points:card_revoke":              ([], []),
    "points:card_sheet":               ([], []),
    "points:card_sheet_pdf":           ([], []),
    "points:card_sheet_start":         ([], ["scope", "resident"]),
    "points:household_ledger":         (["month", "kind", "page"], []),
    "points:household_standing":       ([], []),
    "points:paper_appeal":             ([], ["received_on", "reason", "scan"]),
    "points:resident_card":            ([], []),
    "points:statement_pdf":            ([], []),
    "points:verify_form":              (["code"], []),
    "villages:activate":               ([], ["username", "code", "password1", "password2"]),
    "villages:card_close":             ([], []),
    "villages:card_enter":             ([], ["code"]),
    "villages:card_open":              (["k"], []),
    "villages:logins_for_selected":    ([], ["resident"]),
    "villages:resident_sharing":       ([], ["given", "given_on"]),
    "villages:resident_sms":           ([], ["wanted", "phone"]),
    "points:claim_detail":             ([], ["answer", "reason"]),
    "points:claim_photo":              ([], []),
    "points:claim_queue":              ([], []),
    "points:my_claims":                ([], ["item", "occurred_on", "words", "witness", "idempotency_key", "photo"]),
    "points:my_file_pdf":              ([], []),
    "points:my_file_zip":              ([], []),
    "points:review_case":              ([], ["decision", "reason"]),
    "points:review_queue":             ([], []),
    "points:review_request":           ([], ["reason"]),
    "points:record_group":             (["item", "iq", "hp", "r", "household", "q"],
                                        ["item", "r", "household", "q", "do", "idempotency_key", "occurred_on",
                                         "note", "witness"]),
    "store:counter":                   (["q"], []),
    "store:counter_card":              ([], ["card"]),
    "store:serve":                     (["review", "q1"], ["idempotency_key", "q1"]),
    "store:receipt":                   ([], []),
    "store:receipt_return":            ([], ["reason"]),
    "store:catalogue":                 ([], []),
    "store:goods_add":                 ([], ["name", "unit", "price_points", "active", "photo"]),
    "store:goods_edit":                ([], ["name", "unit", "price_points", "active", "photo"]),
    "store:goods_stock":               ([], ["kind", "quantity", "reason"]),
    "store:goods_photo":               ([], []),
    "store:settings":                  ([], ["credits_from", "points_per_deed_point", "recognise_after_days",
                                             "expires_at_year_end"]),
    "store:report":                    (["month"], []),
    "store:report_download":           (["month"], []),
    "store:mine":                      ([], []),
    "store:benefits":                  ([], ["grade", "text", "provider", "starts_on", "ends_on"]),
    "store:benefit_end":               ([], []),
}
# fmt: on

# What a refused request must leave as it was (the audit trail records refusals by design).
WRITTEN = [Entry, Appeal, Certificate, CertificateBatch, Resident, Household, Membership, Village, GradeBand]
WRITTEN_HANDBOOK = [Edition, Page, Item]
WRITTEN_STORE = [Receipt, StockMovement, Goods, StoreSettings, Benefit]
world = matrix.world  # the permission matrix's objects and personas
PREFERRED = ["admin", "head", "scorer", "resident_a", "store_keeper", "anonymous"]


def _persona(name: str) -> str | None:
    """A persona the matrix lets through to the view (200 or a form's 400 before a redirect)."""
    for wanted in ({200, 400}, {302}):
        for persona in PREFERRED:
            if expected_status(name, persona) in wanted and not (persona == "anonymous" and 302 in wanted):
                return persona
    return None


def _counts() -> dict[str, int]:
    models = [*WRITTEN, *WRITTEN_HANDBOOK, *WRITTEN_STORE, get_user_model()]
    return {model.__name__: model.objects.count() for model in models}


def test_every_url_is_in_the_hostile_table():
    missing = [name for name in URL_NAMES if name not in PARAMS]
    assert not missing, f"add it to PARAMS in tests/test_hostile_input.py: {missing}"
    stale = [name for name in PARAMS if name not in URL_NAMES]
    assert not stale, f"no such URL any more; remove it from PARAMS: {stale}"


class _FormFields(HTMLParser):
    """The fields, with their values as the page fills them in, of the page's POST forms that send
    to `action` (the page itself when the form names no action)."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action, self.fields, self.inside, self.textarea = action, {}, False, None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "form":
            target = (attrs.get("action") or self.action).split("?")[0]
            self.inside = (attrs.get("method") or "get").lower() == "post" and target == self.action
        elif self.inside and attrs.get("name") and attrs["name"] != "csrfmiddlewaretoken":
            if tag == "input" and attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                self.fields.setdefault(attrs["name"], "")
            elif tag == "input":
                self.fields[attrs["name"]] = attrs.get("value") or ""
            elif tag == "select":
                self.fields.setdefault(attrs["name"], "")
                self.select = attrs["name"]
            elif tag == "textarea":
                self.textarea = attrs["name"]
                self.fields[attrs["name"]] = ""
        if tag == "option" and self.inside and "selected" in attrs and getattr(self, "select", None):
            self.fields[self.select] = attrs.get("value") or ""

    def handle_data(self, data: str) -> None:
        if self.textarea:
            self.fields[self.textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "textarea":
            self.textarea = None


def _page_form(client: Client, url: str) -> dict[str, str]:
    """The fields of the page's own POST forms, filled in as a user would find them."""
    response = client.get(url)
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return {}
    parser = _FormFields(url)
    parser.feed(response.content.decode())
    return parser.fields


def _body(fields: dict[str, str], hostile_field: str, value: bytes) -> bytes:
    pairs = [(name.encode(), text.encode()) for name, text in fields.items() if name != hostile_field]
    pairs.append((hostile_field.encode(), value))
    return b"&".join(quote_from_bytes(name).encode() + b"=" + quote_from_bytes(text).encode() for name, text in pairs)


@pytest.mark.parametrize("name", URL_NAMES)
def test_no_hostile_value_gets_a_500_or_writes_on_refusal(world, name):
    persona = _persona(name)
    if persona is None or name not in PARAMS:
        pytest.skip("nobody reaches this view" if persona is None else "not in PARAMS")
    method = MATRIX[name][0]
    params, fields = PARAMS[name]
    url = reverse(name, args=world["args"].get(name, []))
    client = Client(raise_request_exception=False)
    world["sign_in"][persona](client)
    form = _page_form(client, url) if method == "get" else {}
    form.update({field: form.get(field, "") for field in fields})
    attempts = [("get", param) for param in params or ["unexpected"]]
    if method == "post" or form:
        attempts += [("post", field) for field in form or ["unexpected"]]
    failures = []
    for how, field in attempts:
        for label, value in HOSTILE.items():
            with transaction.atomic():
                before = _counts()
                if how == "get":
                    response = client.get(f"{url}?{quote_from_bytes(field.encode())}={quote_from_bytes(value)}")
                else:
                    body = _body(form, field, value)
                    response = client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")
                after = _counts()
                transaction.set_rollback(True)
            if response.status_code >= 500:
                failures.append(f"{how} {field} = {label}: {response.status_code}")
            elif response.status_code >= 400 and before != after:
                changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
                failures.append(f"{how} {field} = {label}: refused with {response.status_code} but wrote {changed}")
    assert not failures, f"{name} as {persona}:\n" + "\n".join(failures)


@pytest.mark.parametrize("label", list(HOSTILE))
def test_the_card_holders_claim_form_refuses_hostile_values_and_files_nothing(world, label):
    client = Client(raise_request_exception=False)
    world["sign_in"]["card_holder"](client)
    url = reverse("points:my_claims")
    form = _page_form(client, url)
    form.update({field: form.get(field, "") for field in PARAMS["points:my_claims"][1]})
    before = Claim.objects.count()
    for field in form:
        body = _body(form, field, HOSTILE[label])
        response = client.generic("POST", url, body, content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, field
    assert Claim.objects.count() == before


PATH_ARGS = {"points:verify": "CODE", "villages:resident_export": "csv", "office:ledger_export": "csv"}


@pytest.mark.parametrize("name", list(PATH_ARGS))
@pytest.mark.parametrize("label", ["nul", "long", "markup", "huge", "not_utf8"])
def test_a_hostile_value_in_the_path_is_refused_never_a_500(world, name, label):
    client = Client(raise_request_exception=False)
    world["sign_in"][_persona(name)](client)
    plain = reverse(name, args=[PATH_ARGS[name]])
    head, _sep, tail = plain.rpartition(PATH_ARGS[name])
    assert client.get(head + quote_from_bytes(HOSTILE[label]) + tail).status_code in (400, 404)
