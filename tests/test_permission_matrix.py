"""The one permission matrix: every URL pattern of the site × every persona → the expected status.

The URL patterns are walked from the resolver, so a new view is covered or the test fails ("add it
to the matrix"). Personas: anonymous; resident A (whose objects the URLs name) and resident B; the
scorer, head and administrator of village X; the scorer and head of village Y. Object URLs name
village X's objects. Each persona's request runs in a savepoint that is rolled back, so a POST that
changes something (deactivating an account, starting a batch) does not change the next persona's
world.

Reading the codes: 302 from anonymous is the sign-in page; a list or form a role has no business
with answers 403; a URL naming an object the persona may not see answers 404, so nobody learns
what exists; 400 is a form refused for bad data (by someone allowed to send it); 405 a method the
view does not take.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from handbook.services import add_page, start_draft
from points.models import Appeal, Entry
from points.services import (
    decide_appeal,
    file_appeal,
    file_claim,
    issue_certificate,
    record_entry,
    request_review,
    run_certificate_batch,
    start_batch,
)
from points.services.cards import issue_card, run_card_sheet, start_card_sheet
from points.verification import code_for
from store.services import add_goods, configure_store, deliver, redeem
from tests.factories import ResidentFactory, UserFactory, jpeg_bytes, member
from villages.benefits import offer_benefit
from villages.cards import card_path
from villages.models import Membership, Township
from villages.services import record_household_sharing

Role = Membership.Role
PERSONAS = ["anonymous", "resident_a", "resident_b", "scorer", "head", "admin", "scorer_y", "head_y"]

# Django's admin site has its own permission system (staff only): its routes are checked apart,
# by test_no_persona_of_the_site_gets_into_the_admin, which walks them too.
ADMIN_PREFIX = "admin/"


def _walk(patterns, prefix: str = "", namespace: str = ""):
    """Every route of the site as (route, url name), in resolver order, duplicates kept."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            yield route, namespace + (pattern.name or f"<unnamed {route}>")


ROUTES = list(_walk(get_resolver().url_patterns))
SITE_ROUTES = [(route, name) for route, name in ROUTES if not route.startswith(ADMIN_PREFIX)]
ADMIN_ROUTES = [(route, name) for route, name in ROUTES if route.startswith(ADMIN_PREFIX)]
# One route per name (test_url_names_are_unique), so a row of the matrix is a route.
URL_NAMES = sorted({name for _route, name in SITE_ROUTES})
# Methods each route is tried with beyond the matrix's own: a refused persona stays refused.
OTHER_METHODS = ["get", "post", "put", "patch", "delete"]

# url name → (method, POST data or None, expected status per persona in PERSONAS order).
# fmt: off
MATRIX = {
    # --- Sign-in, language, health, the installable app: public ---------------------------------
    "login":                           ("get",  None, [200, 302, 302, 302, 302, 302, 302, 302]),
    "logout":                          ("post", {},   [302, 302, 302, 302, 302, 302, 302, 302]),
    "password_change":                 ("get",  None, [302, 200, 200, 200, 200, 200, 200, 200]),
    "password_change_done":            ("get",  None, [302, 200, 200, 200, 200, 200, 200, 200]),
    "set_language":                    ("post", {"language": "en"}, [302, 302, 302, 302, 302, 302, 302, 302]),
    "healthz":                         ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    "service_worker":                  ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    "manifest":                        ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    "points:verify":                   ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    "points:verify_form":              ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    # --- Home and the village switch --------------------------------------------------------------
    "office:home":                   ("get",  None, [302, 302, 302, 302, 200, 200, 302, 200]),
    "villages:switch":                 ("post", {"village": "X"}, [302, 302, 302, 302, 302, 302, 302, 302]),
    # --- The village office: register of residents (heads, administrators) ------------------------
    "villages:residents":              ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "villages:resident_add":           ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "villages:resident_import":        ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "villages:resident_export":        ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "villages:resident_detail":        ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "villages:resident_move":          ("post", {},   [302, 404, 404, 404, 400, 400, 404, 404]),
    "villages:resident_status":        ("post", {},   [302, 404, 404, 404, 400, 400, 404, 404]),
    "villages:resident_consent":       ("post", {},   [302, 404, 404, 404, 400, 400, 404, 404]),
    "villages:resident_sharing":       ("post", {},   [302, 404, 404, 404, 400, 400, 404, 404]),
    "villages:resident_sms":           ("post", {},   [302, 404, 404, 404, 400, 400, 404, 404]),
    # --- Resident cards: opening one (public), and the office's cards ----------------------------
    "villages:card_open":              ("get",  None, [404, 404, 404, 404, 404, 404, 404, 404]),
    "villages:card_enter":             ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    "villages:card_close":             ("post", {},   [302, 302, 302, 302, 302, 302, 302, 302]),
    "points:resident_card":            ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:card_issue":               ("post", {},   [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:card_revoke":              ("post", {},   [302, 404, 404, 404, 302, 302, 404, 404]),
    "points:card_sheet_start":         ("post", {},   [302, 403, 403, 403, 302, 302, 403, 302]),
    "points:card_sheet":               ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:card_sheet_pdf":           ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    # --- A household member's shared pages (resident A shares with the household) ------------------
    "points:household_standing":       ("get",  None, [302, 404, 404, 404, 404, 404, 404, 404]),
    "points:household_ledger":         ("get",  None, [302, 404, 404, 404, 404, 404, 404, 404]),
    # --- Accounts and roles (administrators) ------------------------------------------------------
    "villages:accounts":               ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "villages:account_add":            ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "villages:account_detail":         ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "villages:account_roles":          ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "villages:account_password":       ("post", {},   [302, 403, 403, 403, 403, 200, 403, 403]),
    "villages:account_deactivate":     ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "villages:logins_for_selected":    ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "villages:activate":               ("get",  None, [200, 200, 200, 200, 200, 200, 200, 200]),
    # --- The head's dashboard and reports ---------------------------------------------------------
    "office:dashboard":              ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "office:reports":                ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "office:report_monthly":         ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "office:ledger_export":          ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    # --- A resident's own pages ---------------------------------------------------------------------
    "points:standing":                 ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    "points:ledger":                   ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    "points:appeal_entry":             ("get",  None, [302, 200, 404, 404, 404, 404, 404, 404]),
    "points:my_certificates":          ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    # --- The volunteer scorer --------------------------------------------------------------------
    "points:record":                   ("get",  None, [302, 403, 403, 200, 403, 403, 200, 403]),
    "points:record_residents":         ("get",  None, [302, 403, 403, 200, 403, 403, 200, 403]),
    "points:record_items":             ("get",  None, [302, 403, 403, 200, 403, 403, 200, 403]),
    "points:record_group":             ("get",  None, [302, 403, 403, 200, 403, 403, 200, 403]),
    "points:record_done":              ("get",  None, [302, 403, 403, 200, 403, 403, 404, 403]),
    "points:record_offline":           ("get",  None, [302, 403, 403, 200, 403, 403, 200, 403]),
    "points:offline_data":             ("get",  None, [403, 403, 403, 200, 403, 403, 200, 403]),
    "points:offline_sync":             ("post", {},   [403, 403, 403, 400, 403, 403, 400, 403]),
    "points:my_entries":               ("get",  None, [302, 403, 403, 200, 403, 403, 200, 403]),
    "points:withdraw":                 ("get",  None, [302, 403, 403, 200, 403, 403, 404, 403]),
    "points:entry_photo":              ("get",  None, [302, 200, 404, 200, 200, 200, 404, 404]),
    # --- The head: appeals, residents' standings, statements ----------------------------------------
    "points:appeal_queue":             ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "points:appeal_decide":            ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    # --- The township's second level (the reviewer is a column below) ------------------------------
    "points:review_request":           ("get",  None, [302, 200, 404, 404, 404, 404, 404, 404]),
    "points:review_queue":             ("get",  None, [302, 403, 403, 403, 403, 403, 403, 403]),
    "points:review_case":              ("get",  None, [302, 404, 404, 404, 404, 404, 404, 404]),
    # --- Claimed deeds and a resident's whole file --------------------------------------------------
    "points:my_claims":                ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    "points:claim_queue":              ("get",  None, [302, 403, 403, 200, 200, 403, 200, 200]),
    "points:claim_detail":             ("get",  None, [302, 404, 404, 200, 200, 404, 404, 404]),
    "points:claim_photo":              ("get",  None, [302, 200, 404, 200, 200, 404, 404, 404]),
    "points:my_file_pdf":              ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    "points:my_file_zip":              ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    "points:resident_list":            ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "points:resident_standing":        ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:resident_ledger":          ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:statement":                ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:statement_pdf":            ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:paper_appeal":             ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    # --- Certificates -------------------------------------------------------------------------------
    "points:certificates":             ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "points:resident_certificates":    ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:issue_certificate":        ("post", {},   [302, 404, 404, 404, 302, 302, 404, 404]),
    "points:certificate_pdf":          ("get",  None, [302, 200, 404, 404, 200, 200, 404, 404]),
    "points:revoke_certificate":       ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:batch_start":              ("post", {},   [302, 403, 403, 403, 302, 302, 403, 302]),
    "points:batch":                    ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "points:batch_resume":             ("post", {},   [302, 404, 404, 404, 302, 302, 404, 404]),
    "points:batch_pdf":                ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    # --- The handbook, to read ----------------------------------------------------------------------
    "handbook:index":                  ("get",  None, [302, 200, 200, 200, 200, 200, 200, 200]),
    "handbook:page":                   ("get",  None, [302, 200, 200, 200, 200, 200, 404, 404]),
    "handbook:item":                   ("get",  None, [302, 200, 200, 200, 200, 200, 404, 404]),
    # --- The administrator's handbook editor, grades and audit trail -------------------------------
    "handbook:editor":                 ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_start":           ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_import":          ("post", {},   [302, 403, 403, 403, 403, 400, 403, 403]),
    "handbook:editor_booklet":         ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_edition_booklet": ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_export":          ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_draft":           ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_rename":          ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_discard":         ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_diff":            ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_page_add":        ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_page":            ("get",  None, [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_page_rename":     ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_page_move":       ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_page_remove":     ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_item_add":        ("post", {},   [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_item":            ("get",  None, [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_item_edit":       ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "handbook:editor_item_move":       ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "handbook:editor_item_remove":     ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "office:grades":          ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    "office:capital":         ("post", {},   [302, 403, 403, 403, 403, 400, 403, 403]),
    "office:public_address":  ("post", {},   [302, 403, 403, 403, 403, 302, 403, 403]),
    "office:audit":           ("get",  None, [302, 403, 403, 403, 403, 200, 403, 403]),
    # --- The points store: the counter (store keepers), catalogue and stock, reports, benefits ---------
    "store:counter":                   ("get",  None, [302, 403, 403, 403, 403, 403, 403, 403]),
    "store:counter_card":              ("post", {},   [302, 403, 403, 403, 403, 403, 403, 403]),
    "store:serve":                     ("get",  None, [302, 403, 403, 403, 403, 403, 403, 403]),
    "store:receipt":                   ("get",  None, [302, 200, 404, 404, 200, 200, 404, 404]),
    "store:receipt_return":            ("post", {},   [302, 404, 404, 404, 400, 400, 404, 404]),
    "store:catalogue":                 ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "store:goods_add":                 ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "store:goods_edit":                ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "store:goods_stock":               ("get",  None, [302, 404, 404, 404, 200, 200, 404, 404]),
    "store:goods_photo":               ("get",  None, [302, 200, 200, 200, 200, 200, 404, 404]),
    "store:settings":                  ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "store:report":                    ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "store:report_download":           ("get",  None, [302, 403, 403, 403, 200, 200, 403, 404]),
    "store:mine":                      ("get",  None, [302, 200, 200, 404, 404, 404, 404, 404]),
    "store:benefits":                  ("get",  None, [302, 403, 403, 403, 200, 200, 403, 200]),
    "store:benefit_end":               ("post", {},   [302, 404, 404, 404, 302, 302, 404, 404]),
}
# Further methods of a URL above, with the data a legitimate user would send: the forms' POSTs.
# (url name, method) → (data, expected status per persona in PERSONAS order).
FORM_POSTS = {
    ("points:appeal_entry", "post"):  ({"reason": "I was away that day"},
                                       [302, 302, 404, 404, 404, 404, 404, 404]),
    # The administrator sees the appeal but decides only when every head has a conflict: 403.
    ("points:appeal_decide", "post"): ({"decision": "uphold", "reason": "Checked with the witness"},
                                       [302, 404, 404, 404, 302, 403, 404, 404]),
    ("points:paper_appeal", "post"):  ({"received_on": "2025-06-16", "reason": "纸质申诉：那天我不在家"},
                                       [302, 404, 404, 404, 302, 302, 404, 404]),
}
# fmt: on


@dataclass(frozen=True)
class Column:
    """A persona added beside the table: one status for most URLs, and the URLs that differ.
    Its `sign_in` prepares a test client (force_login, a card session, ...)."""

    default: int
    exceptions: dict[str, int] = field(default_factory=dict)


# persona -> its column; each persona's client is prepared by world["sign_in"][persona].
COLUMNS: dict[str, Column] = {}
# A township reviewer over village X holds no role in any village: every page of a role answers 403
# (as to a resident, who holds none of them either) and every object 404, except the cases sent up to
# the township. The matrix's objects are village X's; tests/points/test_reviews.py covers village Y.
_SIGNED_IN_WITHOUT_A_ROLE = {
    name: 403 for name, (_method, _data, row) in MATRIX.items() if row[PERSONAS.index("resident_b")] == 403
}
COLUMNS["reviewer"] = Column(
    default=404,
    exceptions={
        **_SIGNED_IN_WITHOUT_A_ROLE,
        **dict.fromkeys(["healthz", "manifest", "service_worker", "points:verify", "points:verify_form"], 200),
        **dict.fromkeys(["villages:activate", "villages:card_enter"], 200),
        "villages:card_close": 302,
        **dict.fromkeys(["password_change", "password_change_done"], 200),
        **dict.fromkeys(["login", "logout", "set_language", "villages:switch", "villages:card_close"], 302),
        "office:home": 302,  # to the cases
        "points:review_queue": 200,
        "points:review_case": 200,
    },
)

# Resident A's card, opened on a phone: A's own pages, the handbook, the card pages; 404 for the rest.
COLUMNS["card_holder"] = Column(
    default=404,
    exceptions={
        "points:standing": 200,
        "points:ledger": 200,
        "points:appeal_entry": 200,
        "points:my_claims": 200,
        "points:claim_photo": 200,
        "points:my_certificates": 200,
        "points:certificate_pdf": 200,
        "points:entry_photo": 200,
        "points:verify": 200,
        "handbook:index": 200,
        "handbook:page": 200,
        "handbook:item": 200,
        "villages:card_enter": 200,
        "villages:card_close": 302,
        "set_language": 302,
    },
)
# A resident with a login in resident A's household (A shares with it): resident B's rights, plus
# A's shared standing and ledger.
COLUMNS["household_member"] = Column(
    default=404,
    exceptions={name: row[PERSONAS.index("resident_b")] for name, (_m, _d, row) in MATRIX.items()}
    | {"points:household_standing": 200, "points:household_ledger": 200},
)

# The store keeper of village X (and nothing else there): the counter, the catalogue and stock,
# receipts; like any signed-in user the public and account pages, the handbook and home; 404 for
# residents, entries and certificates; 403 for every other list.
_KEEPER_SEES = [
    *["password_change", "password_change_done", "healthz", "service_worker", "manifest", "points:verify"],
    *["office:home", "handbook:index", "handbook:page", "handbook:item"],
    *["points:verify_form", "villages:activate", "villages:card_enter"],
    *["store:counter", "store:serve", "store:receipt", "store:catalogue", "store:goods_stock", "store:goods_photo"],
]
_KEEPER_NOT_FOUND = [
    *["villages:resident_detail", "villages:resident_move", "villages:resident_status", "villages:resident_consent"],
    *["points:standing", "points:ledger", "points:appeal_entry", "points:my_certificates", "points:entry_photo"],
    *["points:appeal_decide", "points:resident_standing", "points:resident_ledger", "points:statement"],
    *["points:resident_certificates", "points:issue_certificate", "points:certificate_pdf"],
    *["points:revoke_certificate", "points:batch", "points:batch_resume", "points:batch_pdf"],
    *["store:goods_edit", "store:mine", "store:benefit_end"],
    *["points:card_issue", "points:card_revoke", "points:card_sheet", "points:card_sheet_pdf"],
    *["points:claim_detail", "points:claim_photo", "points:household_ledger", "points:household_standing"],
    *["points:my_claims", "points:my_file_pdf", "points:my_file_zip", "points:paper_appeal"],
    *["points:resident_card", "points:review_case", "points:review_request", "points:statement_pdf"],
    *["villages:card_open", "villages:resident_sharing", "villages:resident_sms"],
]
COLUMNS["store_keeper"] = Column(
    default=403,
    exceptions={
        **dict.fromkeys(_KEEPER_SEES, 200),
        **dict.fromkeys(_KEEPER_NOT_FOUND, 404),
        **dict.fromkeys(["login", "logout", "set_language", "villages:switch", "villages:card_close"], 302),
        "store:receipt_return": 400,
        "store:counter_card": 400,  # an empty card field: says what to do
    },
)


def expected_status(name: str, persona: str) -> int:
    if persona in COLUMNS:
        column = COLUMNS[persona]
        return column.exceptions.get(name, column.default)
    return dict(zip(PERSONAS, MATRIX[name][2], strict=True))[persona]


@pytest.fixture
def world(
    request,
    settings,
    tmp_path,
    village,
    other_village,
    admin,
    head,
    scorer,
    resident,
    other_resident,
    deed,
    infraction,
    clock,
):
    """Village X's objects that URLs name, and the personas of both villages."""
    settings.MEDIA_ROOT = tmp_path  # the photo and the PDFs
    scorer_y = member(other_village, Role.SCORER, "scorer_y")
    head_y = member(other_village, Role.HEAD, "head_y")

    def entry(item, **fields):
        return record_entry(
            scorer=scorer,
            resident=resident,
            item=item,
            occurred_on=village.today(),
            idempotency_key=uuid.uuid4(),
            **fields,
        )

    with_photo = entry(deed, photo=jpeg_bytes(size=(64, 48), exif=False))
    appealed = entry(infraction)
    appeal = file_appeal(entry=appealed, resident_user=resident.user, reason="I was away")
    record_entry(
        scorer=scorer,
        resident=other_resident,
        item=deed,
        occurred_on=village.today(),
        idempotency_key=uuid.uuid4(),
    )
    certificate = issue_certificate(resident=resident, issued_by=head)
    store = _open_store(village=village, head=head, admin=admin, resident=resident)
    batch = start_batch(village=village, requested_by=head)
    if getattr(request.node, "callspec", None) and request.node.callspec.params.get("name") == "points:batch_pdf":
        run_certificate_batch(batch_id=batch.pk)  # renders the PDF: only where it is asked for
    sheet = start_card_sheet(village=village, requested_by=head)
    if getattr(request.node, "callspec", None) and request.node.callspec.params.get("name") == "points:card_sheet_pdf":
        run_card_sheet(sheet_id=sheet.pk)  # issues cards to everyone: before resident A's card below
    card = issue_card(resident=resident, issued_by=head)
    record_household_sharing(resident=resident, given_on=village.today(), recorded_by=head)
    household_member = ResidentFactory(
        village=village, household=resident.household, name="刘娟", user=member(village, Role.RESIDENT, "member")
    )
    # The second level: an appeal head rejected and resident A sent up to village X's township.
    reviewer = UserFactory(username="reviewer")
    township = Township.objects.create(name="东岛镇")
    township.reviewers.add(reviewer)
    village.township = township
    village.save(update_fields=["township"])
    rejected = file_appeal(entry=entry(infraction), resident_user=resident.user, reason="不是我")
    rejected = decide_appeal(appeal=rejected, head=head, upheld=False, reason="有证人")
    request_review(appeal=rejected, resident_user=resident.user, reason="证人是他亲戚")
    claim = file_claim(
        resident=resident,
        filed_by=resident.user,
        item=deed,
        occurred_on=village.today(),
        words="帮邻居修路",
        photo=jpeg_bytes(),
        idempotency_key=uuid.uuid4(),
    )
    draft = start_draft(village=village, admin=admin)
    draft_page = draft.pages.order_by("number").first() or add_page(edition=draft, admin=admin, title="新页")
    draft_item = draft_page.items.first()
    assert draft_item is not None, "the draft copies the published edition's items"
    published = deed.edition
    users = {
        "anonymous": None,
        "resident_a": resident.user,
        "resident_b": other_resident.user,
        "scorer": scorer,
        "head": head,
        "admin": admin,
        "scorer_y": scorer_y,
        "head_y": head_y,
        "reviewer": reviewer,
        "store_keeper": store["keeper"],
    }
    a = resident.pk
    args = {
        "villages:resident_export": ["csv"],
        "villages:resident_detail": [a],
        "villages:resident_move": [a],
        "villages:resident_status": [a],
        "villages:resident_consent": [a],
        "villages:account_detail": [resident.user.pk],
        "villages:account_roles": [resident.user.pk],
        "villages:account_password": [resident.user.pk],
        "villages:account_deactivate": [resident.user.pk],
        "office:ledger_export": ["csv"],
        "points:record_done": [with_photo.pk],
        "points:withdraw": [with_photo.pk],
        "points:entry_photo": [with_photo.pk],
        "points:appeal_entry": [with_photo.pk],
        "points:appeal_decide": [appeal.pk],
        "points:review_request": [rejected.pk],
        "points:review_case": [rejected.pk],
        "points:claim_detail": [claim.pk],
        "points:claim_photo": [claim.pk],
        "points:resident_standing": [a],
        "points:resident_ledger": [a],
        "points:statement": [a],
        "points:statement_pdf": [a],
        "points:paper_appeal": [with_photo.pk],
        "villages:resident_sharing": [a],
        "villages:resident_sms": [a],
        "points:resident_card": [a],
        "points:card_issue": [a],
        "points:card_revoke": [a],
        "points:card_sheet": [sheet.pk],
        "points:card_sheet_pdf": [sheet.pk],
        "points:household_standing": [a],
        "points:household_ledger": [a],
        "points:resident_certificates": [a],
        "points:issue_certificate": [a],
        "points:certificate_pdf": [certificate.pk],
        "points:revoke_certificate": [certificate.pk],
        "points:batch": [batch.pk],
        "points:batch_resume": [batch.pk],
        "points:batch_pdf": [batch.pk],
        "points:verify": [code_for(certificate)],
        "store:serve": [a],
        "store:receipt": [store["receipt"].pk],
        "store:receipt_return": [store["receipt"].pk],
        "store:goods_edit": [store["goods"].pk],
        "store:goods_stock": [store["goods"].pk],
        "store:goods_photo": [store["goods"].pk],
        "store:report_download": ["csv"],
        "store:benefit_end": [store["benefit"].pk],
        "handbook:page": [published.pk, deed.page.number],
        "handbook:item": [deed.pk],
        "handbook:editor_edition_booklet": [published.pk],
        "handbook:editor_export": [published.pk],
        "handbook:editor_page": [draft_page.pk],
        "handbook:editor_page_rename": [draft_page.pk],
        "handbook:editor_page_move": [draft_page.pk],
        "handbook:editor_page_remove": [draft_page.pk],
        "handbook:editor_item_add": [draft_page.pk],
        "handbook:editor_item": [draft_item.pk],
        "handbook:editor_item_edit": [draft_item.pk],
        "handbook:editor_item_move": [draft_item.pk],
        "handbook:editor_item_remove": [draft_item.pk],
    }
    data = {"villages:switch": {"village": str(village.pk)}}
    assert Entry.objects.filter(village=village).count() == 4 and Appeal.objects.count() == 2
    sign_in: dict[str, Callable[[Client], None]] = {
        persona: (lambda client, user=user: client.force_login(user)) if user else (lambda client: None)
        for persona, user in users.items()
    }
    sign_in["card_holder"] = lambda client: client.get(card_path(card.secrets))
    sign_in["household_member"] = lambda client: client.force_login(household_member.user)
    return {"sign_in": sign_in, "args": args, "data": data}


def _open_store(*, village, head, admin, resident) -> dict:
    """Village X's store: a keeper, oil with a photo and stock, a receipt of resident A, a benefit."""
    keeper = member(village, Role.STORE_KEEPER, "keeper")
    configure_store(author=head, village=village, credits_from=village.today(), recognise_after_days=0)
    goods = add_goods(
        author=head, village=village, name="花生油", price_points=1, photo=jpeg_bytes(size=(64, 48), exif=False)
    )
    deliver(author=keeper, goods=goods, quantity=5, reason="供销社")
    receipt = redeem(keeper=keeper, resident=resident, basket={goods.pk: 1}, idempotency_key=uuid.uuid4())
    benefit = offer_benefit(
        village=village, grade="A", text="免押金租用农具", provider="合作社", starts_on=village.today(), author=admin
    )
    return {"keeper": keeper, "goods": goods, "receipt": receipt, "benefit": benefit}


def _status(world, name: str, persona: str, *, method: str | None = None, data: dict | None = None) -> int:
    """The status `persona` gets from the URL `name`: with the matrix's method and data unless told."""
    if method is None:
        method, data, _row = MATRIX[name]
        data = world["data"].get(name, data)
    client = Client()
    world["sign_in"][persona](client)
    url = reverse(name, args=world["args"].get(name, []))
    with transaction.atomic():
        response = client.post(url, data) if method == "post" else getattr(client, method)(url)
        transaction.set_rollback(True)
    return response.status_code


def test_url_names_are_unique():
    """A second route under an existing name would hide behind the first one's row of the matrix."""
    names = [name for _route, name in ROUTES if not name.startswith("admin:")]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    assert not duplicates, f"each URL needs its own name: {duplicates}"
    unnamed = [name for name in names if name.startswith("<unnamed")]
    assert not unnamed, f"name these URLs: {unnamed}"


REFUSALS = {302, 403, 404}


@pytest.mark.parametrize("name", URL_NAMES)
def test_every_method_refuses_whom_the_matrix_refuses(world, name):
    """A view that takes a second method must check permissions for it too: each persona the
    matrix refuses (anonymous sent to sign in, 403, 404) gets that refusal, or 405, from every
    method, with nothing written."""
    assert name in MATRIX, f"{name} is not in the matrix: add it to the matrix"
    main = MATRIX[name][0]
    problems = []
    for persona in [*PERSONAS, *COLUMNS]:
        refused = expected_status(name, persona)
        if refused not in REFUSALS or (refused == 302 and persona != "anonymous"):
            continue
        for method in OTHER_METHODS:
            if method == main:
                continue
            before = (Entry.objects.count(), Appeal.objects.count())
            got = _status(world, name, persona, method=method, data={})
            if got not in (refused, 405) and not (persona == "anonymous" and got in (302, 403)):
                problems.append(f"{method.upper()} as {persona}: {got} (the matrix's {main.upper()}: {refused})")
            assert (Entry.objects.count(), Appeal.objects.count()) == before
    assert not problems, f"{name}: " + "; ".join(problems)


def _admin_url(name: str) -> str | None:
    """A URL of the admin route `name`, with made-up arguments."""
    for kwargs in ({}, {"object_id": "1"}, {"app_label": "points"}, {"content_type_id": "1", "object_id": "1"}):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            continue
    return None


def test_no_persona_of_the_site_gets_into_the_admin(world):
    """The admin is for site staff only: every persona of the matrix, on every admin route and
    method, is sent to the admin's sign-in page (or told the method is not allowed)."""
    public = {"admin:login", "admin:logout"}  # the admin's own sign-in and sign-out pages
    urls = sorted({url for _route, name in ADMIN_ROUTES if name not in public and (url := _admin_url(name))})
    assert len(urls) > 20, "the admin routes were walked"
    problems = []
    for persona in PERSONAS:
        client = Client()
        world["sign_in"][persona](client)
        for url in urls:
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                if response.status_code != 302 or "/admin/login/" not in response["Location"]:
                    problems.append(f"{method.upper()} {url} as {persona}: {response.status_code}")
    assert not problems, "\n".join(problems[:20])


def test_every_url_is_in_the_matrix():
    missing = [name for name in URL_NAMES if name not in MATRIX]
    assert not missing, f"add it to the matrix (tests/test_permission_matrix.py): {missing}"
    stale = [name for name in MATRIX if name not in URL_NAMES]
    assert not stale, f"no such URL any more; remove it from the matrix: {stale}"


@pytest.mark.parametrize("name", URL_NAMES)
def test_each_persona_gets_exactly_the_expected_status(world, name):
    assert name in MATRIX, f"{name} is not in the matrix: add it to the matrix"
    personas = [*PERSONAS, *COLUMNS]
    expected = {persona: expected_status(name, persona) for persona in personas}
    got = {persona: _status(world, name, persona) for persona in personas}
    assert got == expected, f"{name}: observed {[got[p] for p in personas]}"


def test_the_matrix_rows_have_one_status_per_persona():
    for name, (method, _data, row) in MATRIX.items():
        assert method in ("get", "post") and len(row) == len(PERSONAS), name
    for persona, column in COLUMNS.items():
        stale = [name for name in column.exceptions if name not in MATRIX]
        assert not stale, f"{persona}: exceptions for URLs not in the matrix: {stale}"


@pytest.mark.parametrize(("name", "method"), list(FORM_POSTS))
def test_each_persona_gets_exactly_the_expected_status_for_a_forms_post(world, name, method):
    data, row = FORM_POSTS[(name, method)]
    got = {persona: _status(world, name, persona, method=method, data=data) for persona in PERSONAS}
    assert got == dict(zip(PERSONAS, row, strict=True)), f"{name} {method}"


def test_the_card_holder_appeals_their_own_line_and_nothing_else(world):
    client = Client()
    world["sign_in"]["card_holder"](client)
    free = world["args"]["points:appeal_entry"][0]
    appeal = Appeal.objects.get(status="open")
    data = FORM_POSTS[("points:appeal_decide", "post")][0]
    assert client.post(reverse("points:appeal_decide", args=[appeal.pk]), data).status_code == 404
    assert client.post(reverse("points:paper_appeal", args=[free]), {"reason": "x"}).status_code == 404
    response = client.post(reverse("points:appeal_entry", args=[free]), {"reason": "那天我不在村里"})
    assert response.status_code == 302
    assert Appeal.objects.get(entry_id=free).channel == Appeal.Channel.CARD


# --- What a refused persona learns and changes ------------------------------------------------------


def test_refused_appeal_posts_write_nothing(client, world, other_resident, scorer, admin):
    appeal = Appeal.objects.get(status="open")
    free = Entry.objects.get(pk=world["args"]["points:appeal_entry"][0])
    for user in (other_resident.user, scorer, admin):
        client.force_login(user)
        client.post(reverse("points:appeal_entry", args=[free.pk]), FORM_POSTS[("points:appeal_entry", "post")][0])
        client.post(reverse("points:appeal_decide", args=[appeal.pk]), FORM_POSTS[("points:appeal_decide", "post")][0])
    assert not Appeal.objects.filter(entry=free).exists()
    assert Appeal.objects.get(pk=appeal.pk).status == "open"
    assert not Entry.objects.filter(reverses__isnull=False).exists()


def test_resident_b_sees_nothing_of_as_ledger(client, world, resident, other_resident):
    client.force_login(other_resident.user)
    free = world["args"]["points:appeal_entry"][0]
    for name in ("points:standing", "points:ledger"):
        html = client.get(reverse(name)).content.decode()
        assert resident.name not in html
        assert f"entry-{free}" not in html
    appealed = Appeal.objects.get(status="open").entry_id
    assert client.get(reverse("points:appeal_entry", args=[appealed])).status_code == 404


def test_the_head_of_another_village_sees_none_of_its_appeals_or_residents(client, world, resident, outsider_head):
    client.force_login(outsider_head)
    assert client.get(reverse("points:appeal_queue")).context["waiting"] == []
    assert resident.name not in client.get(reverse("points:resident_list")).content.decode()
    assert client.get(reverse("handbook:index")).context["edition"] is None


def test_the_home_page_offers_the_head_the_queue_and_the_residents(client, head):
    client.force_login(head)
    html = client.get(reverse("office:home")).content.decode()
    assert reverse("points:appeal_queue") in html
    assert reverse("points:resident_list") in html
