"""Recording without signal, on the server: the snapshot a scorer's phone keeps, the endpoint that
delivers waiting entries, the service worker, the manifest, the offline page and signing out."""

import json
import re
import uuid
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from handbook.models import Item
from points.models import Entry
from points.offline import ITEM_FIELDS, RESIDENT_FIELDS
from points.services import record_entry
from tests.factories import EditionFactory, HouseholdFactory, PageFactory, ResidentFactory, make_item
from villages.models import Resident

DATA = reverse("points:offline_data")
SYNC = reverse("points:offline_sync")


@pytest.fixture
def scorer_client(client, scorer):
    client.force_login(scorer)
    return client


def login(client, request, who):
    persona = request.getfixturevalue(who)
    client.force_login(persona.user if who in ("resident", "other_resident") else persona)
    return client


def sync(client, resident, item, /, *, key=None, occurred_on=None, **extra):
    """POST one waiting entry as the phone does; `extra` overrides fields with raw values."""
    occurred_on = occurred_on or resident.village.today()
    payload = {
        "resident": resident.pk,
        "item": item.pk,
        "occurred_on": occurred_on.isoformat() if isinstance(occurred_on, date) else occurred_on,
        "idempotency_key": str(key or uuid.uuid4()),
        "note": "修了院墙",
        "witness": "王芳",
    }
    payload.update(extra)
    return client.post(SYNC, json.dumps(payload), content_type="application/json")


# --- The snapshot: only what a scorer may see ------------------------------------------------


@pytest.fixture
def two_villages(village, other_village, resident, other_resident, deed, capped_deed, infraction):
    """Village X with two scorable residents, one who withdrew consent and one who moved away,
    a draft edition; village Y with its own resident and handbook."""
    ResidentFactory(village=village, name="张敏", consent_given_on=None, consent_recorded_by=None)
    ResidentFactory(village=village, name="刘静", status=Resident.Status.MOVED_AWAY)
    ResidentFactory(village=village, name="陈强", status=Resident.Status.DECEASED)
    draft = EditionFactory(village=village, number=2, published_at=None, effective_from=None)
    make_item(PageFactory(edition=draft, number=1), code="9.9", title="草稿条目")
    ResidentFactory(village=other_village, name="杨洋")
    make_item(PageFactory(edition=EditionFactory(village=other_village), number=1), code="1.1", title="滕家村条目")


def test_it_gives_a_scorer_only_the_scorable_residents_of_their_village(scorer_client, two_villages, resident):
    response = scorer_client.get(DATA)
    assert response.status_code == 200
    data = response.json()
    assert sorted(r["name"] for r in data["residents"]) == ["李伟", "王芳"]
    li = next(r for r in data["residents"] if r["name"] == "李伟")
    assert li == {
        "id": resident.pk,
        "name": "李伟",
        "pinyin": "liwei",
        "initials": "lw",
        "household": resident.household.number,
    }


def test_it_gives_no_field_beyond_the_allowed_ones(scorer_client, two_villages):
    data = scorer_client.get(DATA).json()
    assert set(data) == {"village", "edition", "residents", "items", "scorer", "csrf_token"}
    assert set(data["village"]) == {"id", "name", "timezone", "today", "backdate_days"}
    assert set(data["edition"]) == {"id", "title"}
    assert all(tuple(r) == RESIDENT_FIELDS for r in data["residents"])
    assert all(tuple(i) == ITEM_FIELDS for i in data["items"])
    # Nothing personal beyond the search keys: no phone, birthday, balance, ledger or login.
    text = response_text = json.dumps(data, ensure_ascii=False)
    for word in ("phone", "born", "balance", "user", "consent", "status", "points_halves", "note"):
        assert f'"{word}' not in text, word
    assert "张敏" not in response_text and "刘静" not in response_text and "陈强" not in response_text


def test_it_gives_the_items_of_the_edition_in_force_only(scorer_client, two_villages, deed, capped_deed, infraction):
    items = scorer_client.get(DATA).json()["items"]
    assert [i["code"] for i in items] == ["1.1", "1.2", "1.3"]
    assert items[0] == {
        "id": deed.pk,
        "code": "1.1",
        "title": "为邻居修剪树木",
        "points": "1",
        "kind": "deed",
        "fine": None,
        "cap": None,
    }
    assert items[1]["cap"] == {"count": 2, "period": "month"}
    assert items[2] == {
        "id": infraction.pk,
        "code": "1.3",
        "title": "鸡跑出鸡舍",
        "points": "-10",
        "kind": "infraction",
        "fine": 200,
        "cap": None,
    }


def test_it_never_gives_another_villages_residents_to_an_outsider_scorer(client, outsider_scorer, two_villages):
    client.force_login(outsider_scorer)
    data = client.get(DATA).json()
    assert [r["name"] for r in data["residents"]] == ["杨洋"]
    assert [i["title"] for i in data["items"]] == ["滕家村条目"]


def test_it_keeps_the_snapshot_out_of_http_caches(scorer_client, two_villages):
    response = scorer_client.get(DATA)
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", ["resident", "head", "admin"])
def test_it_refuses_the_snapshot_to_anyone_but_a_scorer(client, request, two_villages, who):
    assert login(client, request, who).get(DATA).status_code == 403


def test_it_refuses_the_snapshot_to_anonymous_visitors_without_a_login_page(client, two_villages):
    assert client.get(DATA).status_code == 403


def test_it_builds_the_snapshot_in_constant_queries(scorer_client, village, page, deed, django_assert_max_num_queries):
    def grow(n):
        for i in range(n):
            household = HouseholdFactory(village=village)
            ResidentFactory(village=village, household=household)
            make_item(page, code=f"5.{Item.objects.count()}.{i}", title=f"条目{i}")

    grow(2)
    with django_assert_max_num_queries(10) as small:
        scorer_client.get(DATA)
    grow(40)
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = scorer_client.get(DATA).json()
    assert len(data["residents"]) == 42


# --- Delivering a waiting entry --------------------------------------------------------------


def test_it_records_a_waiting_entry_with_the_day_the_deed_happened(scorer_client, scorer, resident, deed):
    deed_day = resident.village.today() - timedelta(days=3)
    response = sync(scorer_client, resident, deed, occurred_on=deed_day)
    assert response.status_code == 200
    entry = Entry.objects.get()
    assert response.json() == {
        "status": "recorded",
        "entry": entry.pk,
        "url": reverse("points:record_done", args=[entry.pk]),
    }
    assert (entry.resident, entry.item, entry.recorded_by) == (resident, deed, scorer)
    assert entry.occurred_on == deed_day
    assert (entry.note, entry.witness) == ("修了院墙", "王芳")


def test_it_records_the_same_key_once(scorer_client, resident, deed):
    key = uuid.uuid4()
    first = sync(scorer_client, resident, deed, key=key).json()
    second = sync(scorer_client, resident, deed, key=key).json()
    assert first == second
    assert Entry.objects.count() == 1


def test_it_refuses_an_entry_over_the_cap_with_the_reason(scorer_client, scorer, resident, capped_deed):
    today = resident.village.today()
    for _ in range(2):
        record_entry(
            scorer=scorer, resident=resident, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )
    response = sync(scorer_client, resident, capped_deed)
    assert response.status_code == 422
    assert response.json()["status"] == "refused"
    assert response.json()["code"] == "cap_reached"
    assert "at most 2 times a month" in response.json()["message"]
    assert Entry.objects.count() == 2


def test_it_refuses_a_resident_who_withdrew_consent_meanwhile(scorer_client, resident, deed):
    Resident.objects.filter(pk=resident.pk).update(consent_given_on=None, consent_recorded_by=None)
    response = sync(scorer_client, resident, deed)
    assert response.status_code == 422
    assert response.json()["code"] == "no_consent"
    assert "李伟 has not agreed" in response.json()["message"]
    assert not Entry.objects.exists()


def test_it_refuses_a_date_outside_the_window_on_arrival(scorer_client, resident, deed):
    too_old = resident.village.today() - timedelta(days=resident.village.backdate_days + 1)
    response = sync(scorer_client, resident, deed, occurred_on=too_old)
    assert (response.status_code, response.json()["code"]) == (422, "too_old")
    future = sync(scorer_client, resident, deed, occurred_on=resident.village.today() + timedelta(days=1))
    assert future.json()["code"] == "future_date"
    assert not Entry.objects.exists()


def test_it_explains_a_refusal_in_chinese(scorer_client, resident, deed, settings):
    Resident.objects.filter(pk=resident.pk).update(consent_given_on=None, consent_recorded_by=None)
    scorer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert "尚未同意" in sync(scorer_client, resident, deed).json()["message"]


@pytest.mark.parametrize("body", ["not json", "[1, 2]", ""])
def test_it_answers_a_malformed_body_with_400_and_writes_nothing(scorer_client, resident, deed, body):
    response = scorer_client.post(SYNC, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Entry.objects.exists()


def test_it_answers_a_missing_key_or_bad_date_with_400(scorer_client, resident, deed):
    assert sync(scorer_client, resident, deed, idempotency_key="").status_code == 400
    assert sync(scorer_client, resident, deed, occurred_on="yesterday").status_code == 400
    assert not Entry.objects.exists()


# --- Who may deliver -------------------------------------------------------------------------


def test_it_refuses_an_anonymous_delivery_with_403_and_writes_nothing(client, resident, deed):
    assert sync(client, resident, deed).status_code == 403
    assert not Entry.objects.exists()


@pytest.mark.parametrize("who", ["resident", "head", "admin"])
def test_it_refuses_a_delivery_from_a_resident_head_or_administrator(client, request, resident, deed, who):
    assert sync(login(client, request, who), resident, deed).status_code == 403
    assert not Entry.objects.exists()


def test_it_answers_an_outsider_scorer_with_404_and_writes_nothing(client, outsider_scorer, resident, deed):
    client.force_login(outsider_scorer)
    assert sync(client, resident, deed).status_code == 404
    assert not Entry.objects.exists()


def test_it_answers_tampered_ids_with_404_and_writes_nothing(scorer_client, other_village, resident, deed):
    stranger = ResidentFactory(village=other_village, name="杨洋")
    foreign_item = make_item(PageFactory(edition=EditionFactory(village=other_village), number=1), code="1.1")
    assert sync(scorer_client, stranger, deed).status_code == 404
    assert sync(scorer_client, resident, foreign_item).status_code == 404
    assert sync(scorer_client, resident, deed, resident="x").status_code == 404
    assert sync(scorer_client, resident, deed, item=999999).status_code == 404
    assert not Entry.objects.exists()


def test_it_needs_the_csrf_token(scorer, resident, deed):
    client = Client(enforce_csrf_checks=True)
    client.force_login(scorer)
    assert sync(client, resident, deed).status_code == 403
    token = client.get(DATA).json()["csrf_token"]
    response = client.post(
        SYNC,
        json.dumps(
            {
                "resident": resident.pk,
                "item": deed.pk,
                "occurred_on": resident.village.today().isoformat(),
                "idempotency_key": str(uuid.uuid4()),
            }
        ),
        content_type="application/json",
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    assert Entry.objects.count() == 1


def test_it_refuses_get_on_the_sync_endpoint(scorer_client):
    assert scorer_client.get(SYNC).status_code == 405


# --- The app shell: worker, manifest, offline page, signing out -----------------------------


def test_it_serves_the_service_worker_from_the_root_for_the_whole_site(client, db):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    first_line, source = response.content.decode().split("\n", 1)
    config = json.loads(re.fullmatch(r"self\.VP_CONFIG = (.*);", first_line).group(1))
    assert config["offline"] == reverse("points:record_offline")
    assert "/static/js/offline.js" in config["assets"]
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])
    assert "eval(" not in source and "new Function" not in source


def test_the_service_worker_keeps_no_personal_data_itself(client, db):
    source = client.get("/sw.js").content.decode()
    # It only ever *reads* the user's cache; offline.js writes and clears it.
    assert ".put(" not in source
    config = json.loads(source.split("\n", 1)[0][len("self.VP_CONFIG = ") : -1])
    assert all(url.startswith("/static/") for url in config["assets"])


def test_it_serves_a_manifest_that_opens_on_record(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == reverse("points:record")
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_it_shows_the_offline_record_page_to_scorers_under_a_strict_policy(scorer_client, village):
    response = scorer_client.get(reverse("points:record_offline"))
    assert response.status_code == 200
    assert "script-src 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert 'id="offline-record"' in html
    assert "Photos cannot be added without signal." in html
    # Under script-src 'self': every script comes from a file, and no handler is inline.
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(" src=" in tag for tag in scripts)
    assert not re.search(r"\son[a-z]+=|hx-on|javascript:", html)
    assert 'rel="manifest"' in html


def test_it_sends_anonymous_visitors_of_the_offline_page_to_sign_in(client, db):
    response = client.get(reverse("points:record_offline"))
    assert response.status_code == 302


@pytest.mark.parametrize("who", ["resident", "head", "admin"])
def test_it_forbids_the_offline_page_to_anyone_but_scorers(client, request, village, who):
    assert login(client, request, who).get(reverse("points:record_offline")).status_code == 403


def test_the_record_page_lists_waiting_entries_and_loads_the_offline_script(scorer_client, village):
    html = scorer_client.get(reverse("points:record")).content.decode()
    assert 'id="waiting-entries"' in html
    assert "js/offline.js" in html
    assert 'data-scorer="1"' in html


def test_a_resident_gets_no_manifest_and_no_offline_layer(client, resident):
    client.force_login(resident.user)
    html = client.get(reverse("points:standing")).content.decode()
    assert 'rel="manifest"' not in html
    assert 'data-scorer=""' in html  # the script is there only to clear the phone on signing out


def test_signing_out_asks_the_browser_to_clear_the_sites_data_and_still_redirects(scorer_client):
    response = scorer_client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert response["Clear-Site-Data"] == '"cache", "storage"'
    assert scorer_client.get(DATA).status_code == 403


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"occurred_on": 20250616}, "occurred_on has the wrong type"),
        ({"note": {"a": 1}}, "note has the wrong type"),
        ({"note": [[[[[]]]]]}, "note has the wrong type"),
        ({"note": "\ud800"}, "note holds a character that cannot be stored"),
        ({"note": "x" * 1001}, "note is longer than 1000 characters"),
        ({"resident": 10**30}, "resident is out of range"),
        ({"resident": True}, "resident has the wrong type"),
        ({"extra": 1}, "a field the app does not know: extra"),
        ({"item": None}, "lacks its item"),
    ],
)
def test_it_answers_an_entry_that_breaks_the_schema_with_400_and_the_reason(
    scorer_client, resident, deed, change, reason
):
    body = {
        "idempotency_key": str(uuid.uuid4()),
        "resident": resident.pk,
        "item": deed.pk,
        "occurred_on": resident.village.today().isoformat(),
        "note": "",
        "witness": "",
        **change,
    }
    response = scorer_client.post(SYNC, json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert reason in response.json()["message"]
    assert not Entry.objects.exists()


@pytest.mark.parametrize("body", ["[" * 100_000, "[" * 5_000 + "]" * 5_000, '{"a":' * 3000])
def test_it_answers_deep_or_huge_json_with_400(scorer_client, body):
    response = scorer_client.post(SYNC, body, content_type="application/json")
    assert response.status_code == 400


# --- Fetched only when it changed (issue 15) -----------------------------------------------------


def test_it_answers_304_while_the_phones_copy_is_current_and_200_when_it_changed(scorer_client, two_villages, village):
    url = reverse("points:offline_data")
    first = scorer_client.get(url)
    etag = first["ETag"]
    again = scorer_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    ResidentFactory(village=village, name="新来的")
    changed = scorer_client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert "新来的" in changed.content.decode()
    assert changed["ETag"] != etag


def test_a_new_sign_in_gets_the_snapshot_again_with_a_token_that_works(client, scorer, two_villages):
    client.force_login(scorer)
    etag = client.get(reverse("points:offline_data"))["ETag"]
    client.logout()
    client.force_login(scorer)
    client.cookies.pop("csrftoken", None)  # signing in again gives a new CSRF secret
    assert client.get(reverse("points:offline_data"), HTTP_IF_NONE_MATCH=etag).status_code == 200
