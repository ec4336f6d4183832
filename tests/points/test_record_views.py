"""The scorer's Record screen, search partials, confirmation and My entries, through the test client."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from handbook.contents import forget_contents
from handbook.models import Item
from handbook.services import publish_edition, start_draft, update_item
from points.models import Entry
from points.services import withdraw_entry
from tests.conftest import NOON
from tests.factories import (
    EditionFactory,
    HouseholdFactory,
    MembershipFactory,
    PageFactory,
    ResidentFactory,
    make_item,
    post_entry,
    record,
)
from villages.models import Membership, Resident
from villages.search import resident_matching

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def scorer_client(client, scorer):
    client.force_login(scorer)
    return client


# --- Who may --------------------------------------------------------------------------------

RECORDING_ENDPOINTS = ["points:record", "points:record_residents", "points:record_items", "points:my_entries"]


@pytest.mark.parametrize("name", RECORDING_ENDPOINTS)
def test_it_sends_anonymous_visitors_to_sign_in(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", RECORDING_ENDPOINTS)
@pytest.mark.parametrize("who", ["resident", "head", "admin"])
def test_it_forbids_residents_heads_and_administrators(client, request, name, who):
    persona = request.getfixturevalue(who)
    client.force_login(persona.user if who == "resident" else persona)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("who", ["resident", "head"])
def test_it_refuses_a_post_from_a_resident_or_head_and_writes_nothing(client, request, who, resident, deed):
    persona = request.getfixturevalue(who)
    client.force_login(persona.user if who == "resident" else persona)
    assert post_entry(client, resident, deed).status_code == 403
    assert not Entry.objects.exists()


def test_anonymous_posts_write_nothing(client, resident, deed):
    response = post_entry(client, resident, deed)
    assert response.status_code == 302
    assert not Entry.objects.exists()


def test_it_lands_a_scorer_on_record_after_sign_in(scorer_client):
    response = scorer_client.get(reverse("office:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("points:record")


def test_a_head_who_also_scores_lands_on_the_home_tiles(client, head, village):
    from tests.factories import MembershipFactory
    from villages.models import Membership

    MembershipFactory(user=head, village=village, role=Membership.Role.SCORER)
    client.force_login(head)
    response = client.get(reverse("office:home"))
    assert response.status_code == 200
    assert reverse("points:record") in response.content.decode()


# --- The acting village as the session names it ---------------------------------------------
# The Record POST reads the item with the session's village and the scorer's role there in one
# statement (points.views.record._scoring); these hold whichever way the village is found.


@pytest.fixture
def scorer_of_both(client, scorer, other_village, outsider_scorer, other_deed):
    """The scorer of X also scores in Y and acts in Y; Y has a resident and a handbook."""
    MembershipFactory(user=scorer, village=other_village, role=Membership.Role.SCORER)
    client.force_login(scorer)
    client.post(reverse("villages:switch"), {"village": other_village.pk})
    return client


def test_a_scorer_of_two_villages_records_in_the_one_they_act_in(
    scorer_of_both, other_village, resident, deed, other_deed
):
    neighbour = ResidentFactory(village=other_village, name="滕明")

    assert post_entry(scorer_of_both, resident, deed).status_code == 404
    assert post_entry(scorer_of_both, neighbour, deed).status_code == 404
    assert post_entry(scorer_of_both, neighbour, other_deed).status_code == 302

    [entry] = Entry.objects.all()
    assert (entry.village, entry.resident, entry.item) == (other_village, neighbour, other_deed)


def test_a_scorer_who_no_longer_scores_where_they_act_is_refused(scorer_client, scorer, village, resident, deed):
    scorer_client.get(reverse("points:record"))  # the session names the village
    Membership.objects.filter(user=scorer).update(role=Membership.Role.HEAD)

    assert post_entry(scorer_client, resident, deed).status_code == 403
    assert not Entry.objects.exists()


def test_a_scorer_taken_off_the_village_they_acted_in_records_where_they_still_score(
    scorer_client, scorer, village, other_village, resident, deed, other_deed
):
    MembershipFactory(user=scorer, village=other_village, role=Membership.Role.SCORER)
    scorer_client.get(reverse("points:record"))  # acting in X, the first of the two
    Membership.objects.filter(user=scorer, village=village).delete()
    neighbour = ResidentFactory(village=other_village, name="滕明")

    assert post_entry(scorer_client, resident, deed).status_code == 404
    assert post_entry(scorer_client, neighbour, other_deed).status_code == 302
    assert Entry.objects.get().village == other_village


def test_an_item_is_recorded_under_the_edition_in_force_on_the_villages_own_day(
    clock, scorer_client, admin, village, resident, deed
):
    """23:30 in Shanghai (the site's time zone) is already the next day on Kiritimati (UTC+14),
    where the village is: an edition taking effect that day is the one in force."""
    village.timezone = "Pacific/Kiritimati"
    village.save()
    clock.move_to(NOON.replace(hour=23, minute=30))
    draft = start_draft(village=village, admin=admin)
    publish_edition(edition=draft, admin=admin, effective_from=village.today())
    new_deed = Item.objects.get(edition=draft, code=deed.code)
    scorer_client.get(reverse("points:record"))

    assert post_entry(scorer_client, resident, deed).status_code == 200  # refused: no longer in force
    assert post_entry(scorer_client, resident, new_deed).status_code == 302
    assert Entry.objects.get().item == new_deed


# --- Tampering with ids ---------------------------------------------------------------------


@pytest.fixture
def other_deed(other_village):
    edition = EditionFactory(village=other_village)
    return make_item(PageFactory(edition=edition, number=1), code="1.1", title="别村的条目")


def test_it_404s_an_outsider_scorer_posting_a_resident_of_another_village(
    client, outsider_scorer, resident, other_deed
):
    client.force_login(outsider_scorer)
    assert post_entry(client, resident, other_deed).status_code == 404
    assert not Entry.objects.exists()


def test_it_404s_an_outsider_scorer_posting_an_item_of_another_village(client, outsider_scorer, other_village, deed):
    neighbour = ResidentFactory(village=other_village, name="滕明")
    client.force_login(outsider_scorer)
    assert post_entry(client, neighbour, deed).status_code == 404
    assert not Entry.objects.exists()


def test_it_404s_a_tampered_id_in_the_page_links(client, outsider_scorer, resident, deed):
    client.force_login(outsider_scorer)
    assert client.get(reverse("points:record"), {"resident": resident.pk}).status_code == 404
    assert client.get(reverse("points:record_items"), {"resident": resident.pk}, **HTMX).status_code == 404


def test_it_404s_an_outsider_looking_at_a_confirmation(client, outsider_scorer, scorer, resident, deed):
    entry = record(scorer=scorer, resident=resident, item=deed)
    client.force_login(outsider_scorer)
    assert client.get(reverse("points:record_done", args=[entry.pk])).status_code == 404
    assert client.post(reverse("points:withdraw", args=[entry.pk]), {"reason": "x"}).status_code == 404
    assert not Entry.objects.filter(reverses=entry).exists()


# --- Finding the resident -------------------------------------------------------------------


def test_it_finds_a_resident_by_pinyin_initials(scorer_client, resident, other_resident):
    response = scorer_client.get(reverse("points:record_residents"), {"q": "lw"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="resident-results"')
    assert "李伟" in page and "王芳" not in page
    assert [r.name for r in scorer_client.get(reverse("points:record"), {"q": "lw"}).context["search"].matches] == [
        "李伟"
    ]


@pytest.mark.parametrize("query", ["李", "liwei", "LiWei", "li wei"])
def test_it_finds_a_resident_by_name_or_full_pinyin(scorer_client, resident, other_resident, query):
    response = scorer_client.get(reverse("points:record_residents"), {"q": query})
    assert [r.name for r in response.context["search"].matches] == ["李伟"]


def test_it_finds_a_resident_by_household_number(scorer_client, resident, other_resident):
    response = scorer_client.get(reverse("points:record_residents"), {"q": resident.household.number})
    assert resident in response.context["search"].matches


@pytest.mark.parametrize(
    ("query", "found"),
    [("%", ["王%芳"]), ("_", ["王_芳"]), ("\\", ["王\\芳"]), ("7_", ["刘静"]), ("7%", ["陈强"]), ("王%", ["王%芳"])],
)
def test_it_matches_percent_underscore_and_backslash_literally(scorer_client, village, query, found):
    """The search's statements are compiled once with the query as a value (villages.compiled):
    what the scorer types is still matched as typed, never as a LIKE wildcard."""
    households = {"1": "王%芳", "2": "王_芳", "3": "王\\芳", "4": "王x芳", "7_1": "刘静", "7%1": "陈强"}
    for number, name in households.items():
        ResidentFactory(village=village, household=HouseholdFactory(village=village, number=number), name=name)
    ResidentFactory(village=village, household=HouseholdFactory(village=village, number="751"), name="王y芳")
    ResidentFactory(village=village, name="王z芳", consent_given_on=None, consent_recorded_by=None)
    search = scorer_client.get(reverse("points:record_residents"), {"q": query}).context["search"]
    assert [r.name for r in search.matches] == found
    assert search.unavailable == []
    register = Resident.objects.filter(resident_matching(query), village=village).scorable()
    assert sorted(r.name for r in register) == found


def test_the_search_works_without_javascript(scorer_client, resident):
    response = scorer_client.get(reverse("points:record"), {"q": "lw"})
    page = response.content.decode()
    assert "<html" in page
    assert f"?resident={resident.pk}" in page


def test_it_explains_residents_who_cannot_be_scored(scorer_client, village, head):
    ResidentFactory(village=village, name="刘洋", consent_given_on=None, consent_recorded_by=None)
    ResidentFactory(village=village, name="刘静", status=Resident.Status.MOVED_AWAY)
    page = scorer_client.get(reverse("points:record_residents"), {"q": "刘"}, **HTMX).content.decode()
    assert "No resident you can score" in page
    assert "Not scorable: has not given consent" in page
    assert "Not scorable: moved away" in page
    page = scorer_client.get(reverse("points:record")).content.decode()
    assert "2 residents who have not consented or have moved away are not listed" in page


def test_it_never_offers_residents_of_another_village(scorer_client, other_village, resident):
    ResidentFactory(village=other_village, name="李伟")
    response = scorer_client.get(reverse("points:record_residents"), {"q": "lw"})
    assert response.context["search"].matches == [resident]


def test_it_lists_the_scorers_recent_residents_first(scorer_client, scorer, resident, deed, village):
    namesake = ResidentFactory(village=village, name="李文")
    record(scorer=scorer, resident=namesake, item=deed)
    matches = scorer_client.get(reverse("points:record_residents"), {"q": "lw"}).context["search"].matches
    assert matches == [namesake, resident]
    recent = scorer_client.get(reverse("points:record")).context["search"].matches
    assert recent == [namesake]


def test_a_long_list_shows_the_recent_residents_first_then_the_others_by_pinyin(scorer_client, scorer, village, deed):
    others = [ResidentFactory(village=village, name=f"李{chr(0x4E00 + n)}") for n in range(23)]
    recent = [ResidentFactory(village=village, name=name) for name in ("李文", "李武")]
    for resident in recent:
        record(scorer=scorer, resident=resident, item=deed)
    search = scorer_client.get(reverse("points:record_residents"), {"q": "li"}).context["search"]
    assert search.matches[:2] == recent[::-1]  # the last recorded first
    assert [getattr(r, "is_recent", False) for r in search.matches[:3]] == [True, True, False]
    others.sort(key=lambda r: (r.name_pinyin, r.pk))
    assert search.matches[2:] == others[:18]
    assert search.more


def test_the_resident_search_runs_the_same_few_queries_for_any_village(
    scorer_client, scorer, village, edition, django_assert_max_num_queries
):
    """Session, user, acting village, the scorer's recent residents, the matches (recent ones first),
    the matches who cannot be scored, and the session saved."""
    url, params = reverse("points:record_residents"), {"q": "l"}
    populate(village, scorer, edition, 3)
    small = count_queries(scorer_client, [(url, params, HTMX)])
    populate(village, scorer, edition, 40)
    assert count_queries(scorer_client, [(url, params, HTMX)]) == small
    with django_assert_max_num_queries(9):  # 3 of them save the session
        scorer_client.get(url, params, **HTMX)


# --- Picking the item -----------------------------------------------------------------------


def test_it_picks_an_item_by_code(scorer_client, resident, deed, capped_deed, infraction):
    response = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "iq": "1.2"})
    assert response.context["pick"].items == [capped_deed]
    partial = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "iq": "1.2"}, **HTMX)
    assert partial.content.decode().lstrip().startswith('<div id="item-results"')


def test_it_picks_an_item_by_words_and_by_page(scorer_client, resident, deed, capped_deed, edition):
    other_page = PageFactory(edition=edition, number=7, title="环境卫生")
    litter = make_item(other_page, code="7.1", title="乱扔垃圾", kind=Item.Kind.INFRACTION, points=2)
    by_words = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "iq": "垃圾"})
    assert by_words.context["pick"].items == [litter]
    by_page = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "hp": "7"})
    assert by_page.context["pick"].items == [litter]


def test_it_lists_deeds_first_then_the_scorers_most_used(
    scorer_client, scorer, resident, deed, capped_deed, infraction
):
    record(scorer=scorer, resident=resident, item=infraction)
    record(scorer=scorer, resident=resident, item=infraction)
    record(scorer=scorer, resident=resident, item=capped_deed)
    pick = scorer_client.get(reverse("points:record"), {"resident": resident.pk, "iq": "1."}).context["pick"]
    assert pick.items == [capped_deed, deed, infraction]


def test_it_offers_the_most_used_deeds_as_one_tap_buttons_never_an_infraction(
    scorer_client, scorer, resident, deed, capped_deed, infraction
):
    record(scorer=scorer, resident=resident, item=infraction)
    record(scorer=scorer, resident=resident, item=deed)
    response = scorer_client.get(reverse("points:record"), {"resident": resident.pk})
    assert response.context["pick"].quick == [deed]
    assert response.context["pick"].browsing  # the handbook's pages, not its 100 items
    assert b"quick-pick" in response.content


def test_it_shows_how_many_of_a_capped_item_remain_for_the_resident(scorer_client, scorer, resident, capped_deed):
    record(scorer=scorer, resident=resident, item=capped_deed)
    page = scorer_client.get(reverse("points:record"), {"resident": resident.pk}).content.decode()
    assert "1 of 2 left this month" in page
    page = scorer_client.get(reverse("points:record"), {"resident": resident.pk, "item": capped_deed.pk}).content
    assert "1 of 2 left this month" in page.decode()


def test_the_form_shows_points_and_fine_before_submitting(scorer_client, resident, infraction):
    page = scorer_client.get(reverse("points:record"), {"resident": resident.pk, "item": infraction.pk}).content
    page = page.decode()
    assert "−10 points" in page
    assert "fine ¥200" in page
    assert 'name="idempotency_key"' in page
    assert 'hx-disabled-elt="find button[type=submit]"' in page


# --- Submitting -----------------------------------------------------------------------------


def test_it_records_and_shows_the_confirmation_with_the_new_standing(scorer_client, resident, deed):
    response = post_entry(scorer_client, resident, deed, note="修剪了三棵树", witness="王芳")
    entry = Entry.objects.get()
    assert response["Location"] == reverse("points:record_done", args=[entry.pk])
    page = scorer_client.get(response["Location"]).content.decode()
    assert "Recorded" in page
    assert "李伟 now has 1001 points, grade A." in page
    assert ">Undo</button>" in page
    assert (entry.note, entry.witness, entry.recorded_by.username) == ("修剪了三棵树", "王芳", "scorer")


def test_an_htmx_submission_is_sent_to_the_confirmation(scorer_client, resident, deed):
    data = {
        "resident": resident.pk,
        "item": deed.pk,
        "occurred_on": resident.village.today().isoformat(),
        "idempotency_key": str(uuid.uuid4()),
    }
    response = scorer_client.post(reverse("points:record"), data, **HTMX)
    assert response["HX-Redirect"] == reverse("points:record_done", args=[Entry.objects.get().pk])


def test_the_same_form_posted_twice_records_one_entry(scorer_client, resident, deed):
    key = str(uuid.uuid4())
    first = post_entry(scorer_client, resident, deed, idempotency_key=key)
    second = post_entry(scorer_client, resident, deed, idempotency_key=key)
    assert Entry.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_refusal_comes_back_on_the_same_screen_with_the_input_kept(scorer_client, scorer, resident, capped_deed):
    for _ in range(2):
        record(scorer=scorer, resident=resident, item=capped_deed)
    key = str(uuid.uuid4())
    response = post_entry(scorer_client, resident, capped_deed, note="第三次", idempotency_key=key, headers=HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "at most 2 times a month" in page
    assert "第三次" in page
    assert key in page
    assert 'id="record-form"' in page and "<html" not in page
    assert Entry.objects.count() == 2


def test_a_future_date_is_refused_next_to_the_date(scorer_client, resident, deed):
    from datetime import timedelta

    tomorrow = resident.village.today() + timedelta(days=1)
    response = post_entry(scorer_client, resident, deed, occurred_on=tomorrow.isoformat())
    assert "The date is in the future" in str(response.context["form"].errors["occurred_on"])
    assert not Entry.objects.exists()


def test_a_resident_without_consent_is_refused_in_the_users_language(client, scorer, village, deed, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    refuser = ResidentFactory(village=village, name="赵磊", consent_given_on=None, consent_recorded_by=None)
    client.force_login(scorer)
    page = post_entry(client, refuser, deed).content.decode()
    assert "赵磊" in page
    assert "not agreed" not in page
    assert not Entry.objects.exists()


# --- My entries -----------------------------------------------------------------------------


def test_my_entries_lists_only_the_scorers_own_entries(client, scorer, other_scorer, resident, deed):
    mine = record(scorer=scorer, resident=resident, item=deed)
    record(scorer=other_scorer, resident=resident, item=deed)
    client.force_login(scorer)
    for when in ("today", "week", "all"):
        response = client.get(reverse("points:my_entries"), {"when": when})
        assert [entry for entry, _ in response.context["rows"]] == [mine]


# --- Query counts ---------------------------------------------------------------------------


def populate(village, scorer, edition, size):
    """`size` households with two residents each, `size` items on one more page, an entry per resident."""
    page = PageFactory(edition=edition, number=50 + size)
    items = [
        make_item(page, code=f"{page.number}.{n}", title=f"条目{n}", cap_count=5, cap_period=Item.Period.MONTH)
        for n in range(size)
    ]
    for n in range(size):
        household = HouseholdFactory(village=village, number=f"{size}-{n:03d}")
        for name in ("李明", "刘伟"):
            resident = ResidentFactory(village=village, household=household, name=name)
            record(scorer=scorer, resident=resident, item=items[n])
    ResidentFactory(village=village, name="李无", consent_given_on=None, consent_recorded_by=None)
    return items


def count_queries(client, requests) -> list[int]:
    counts = []
    for url, params, headers in requests:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params, **headers).status_code == 200
        counts.append(len(queries))
    return counts


def test_the_record_page_and_partials_run_a_constant_number_of_queries(
    scorer_client, scorer, village, edition, resident, capped_deed, django_assert_max_num_queries
):
    requests = [
        (reverse("points:record"), {}, {}),
        (reverse("points:record"), {"q": "l"}, {}),
        (reverse("points:record_residents"), {"q": "l"}, HTMX),
        (reverse("points:record"), {"resident": resident.pk}, {}),
        (reverse("points:record_items"), {"resident": resident.pk, "iq": "条目"}, HTMX),
        (reverse("points:record"), {"resident": resident.pk, "item": capped_deed.pk}, {}),
        (reverse("points:my_entries"), {"when": "all"}, {}),
    ]
    populate(village, scorer, edition, 3)
    forget_contents()  # populate adds items to a published edition, which only a test can do
    small = count_queries(scorer_client, requests)
    populate(village, scorer, edition, 40)
    forget_contents()
    large = count_queries(scorer_client, requests)
    assert small == large
    for url, params, headers in requests:
        with django_assert_max_num_queries(12):  # 3 of them save the session
            scorer_client.get(url, params, **headers)


def test_the_item_picker_partial_runs_the_same_few_queries_for_any_ledger(
    scorer_client, scorer, village, edition, resident, capped_deed, django_assert_max_num_queries
):
    """Session, user, acting village, resident, edition in force, use counts, caps left and the
    session saved: the edition's items are read once per process (handbook.contents)."""
    url, params = reverse("points:record_items"), {"resident": resident.pk, "iq": "1"}
    populate(village, scorer, edition, 3)
    forget_contents()  # populate adds items to a published edition, which only a test can do
    scorer_client.get(url, params, **HTMX)
    small = count_queries(scorer_client, [(url, params, HTMX)])
    populate(village, scorer, edition, 40)
    forget_contents()
    scorer_client.get(url, params, **HTMX)
    assert count_queries(scorer_client, [(url, params, HTMX)]) == small
    with django_assert_max_num_queries(10):  # 3 of them save the session
        scorer_client.get(url, params, **HTMX)


def test_recording_runs_a_constant_number_of_queries(
    scorer_client, scorer, village, edition, resident, deed, django_assert_max_num_queries
):
    """No SELECT for the idempotency key before the INSERT (its UNIQUE index catches a replay):
    session and user; the item with the acting village (as the session names it since the Record
    page), the scorer's role there and the edition in force; then the resident's lock (within the
    acting village: no fetch of its own before; on PostgreSQL the village's row, the chain's lock,
    in the same statement), the chain's head, the INSERT and the outbox; the session saved
    afterwards."""

    def post() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert post_entry(scorer_client, resident, deed).status_code == 302
        return len(queries)

    scorer_client.get(reverse("points:record"))
    populate(village, scorer, edition, 3)
    small = post()
    populate(village, scorer, edition, 40)
    assert post() == small
    with django_assert_max_num_queries(12):  # 5 of them are the transaction's and session's
        post_entry(scorer_client, resident, deed)


# --- The quick path (issue 15) ----------------------------------------------------------------


def test_a_most_used_deed_records_from_its_button_and_lands_on_the_confirmation_with_undo(
    scorer_client, scorer, resident, deed
):
    record(scorer=scorer, resident=resident, item=deed)
    page = scorer_client.get(reverse("points:record"), {"resident": resident.pk})
    quick = page.context["pick"].quick[0]
    data = {
        "resident": resident.pk,
        "item": quick.pk,
        "occurred_on": resident.village.today().isoformat(),
        "idempotency_key": str(quick.key),
    }
    assert f'value="{quick.key}"' in page.content.decode()
    first = scorer_client.post(reverse("points:record"), data)
    second = scorer_client.post(reverse("points:record"), data)  # a double tap
    assert first["Location"] == second["Location"]
    assert Entry.objects.filter(item=deed).count() == 2
    done = scorer_client.get(first["Location"]).content.decode()
    assert "李伟 now has 1002 points" in done
    assert "Undo" in done


def test_undo_withdraws_the_entry_in_one_tap_and_returns_to_the_resident(scorer_client, resident, deed):
    post_entry(scorer_client, resident, deed)
    entry = Entry.objects.get()
    response = scorer_client.post(
        reverse("points:withdraw", args=[entry.pk]),
        {"reason": "Undone by the scorer right after recording", "next": f"/record/?resident={resident.pk}"},
    )
    assert response["Location"] == f"/record/?resident={resident.pk}"
    assert Entry.objects.get(reverses=entry).points_halves == -entry.points_halves


def test_an_infraction_needs_its_extra_confirmation(scorer_client, resident, infraction):
    page = scorer_client.get(reverse("points:record"), {"resident": resident.pk, "item": infraction.pk})
    assert "Yes: deduct −10 points from 李伟 and fine ¥200." in page.content.decode()
    refused = post_entry(scorer_client, resident, infraction, headers=HTMX)
    assert "Tick the box to confirm" in refused.content.decode()
    assert not Entry.objects.exists()
    post_entry(scorer_client, resident, infraction, confirmed="on")
    assert Entry.objects.get().points_halves == -20


def test_a_capped_out_item_is_shown_disabled_with_the_reason_before_any_details(
    scorer_client, scorer, resident, capped_deed
):
    for _ in range(2):
        record(scorer=scorer, resident=resident, item=capped_deed)
    results = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "iq": "1.2"}, **HTMX)
    html = results.content.decode()
    assert 'aria-disabled="true"' in html
    assert "none of 2 left this month" in html
    assert f"item={capped_deed.pk}" not in html  # no link to the details form
    quick = scorer_client.get(reverse("points:record"), {"resident": resident.pk}).content.decode()
    assert "quick-pick" in quick and " disabled " in quick


def test_browsing_a_handbook_page_lists_its_items_deeds_first(scorer_client, resident, deed, infraction, capped_deed):
    page = scorer_client.get(reverse("points:record"), {"resident": resident.pk})
    assert f"hp={deed.page.number}" in page.content.decode()
    items = scorer_client.get(reverse("points:record"), {"resident": resident.pk, "hp": deed.page.number})
    assert [item.kind for item in items.context["pick"].items] == ["deed", "deed", "infraction"]


def test_a_withdrawn_entry_frees_its_place_in_the_picker(scorer_client, scorer, resident, capped_deed):
    first = record(scorer=scorer, resident=resident, item=capped_deed)
    record(scorer=scorer, resident=resident, item=capped_deed)
    withdraw_entry(entry=first, scorer=scorer, reason="记错了人")
    html = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "iq": "1.2"}, **HTMX)
    html = html.content.decode()
    assert "1 of 2 left this month" in html
    assert f"item={capped_deed.pk}" in html
    assert 'aria-disabled="true"' not in html


def test_the_item_picker_offers_a_newly_published_edition_at_once(scorer_client, admin, village, resident, deed):
    """A published edition's items are kept per process; publishing makes a new edition, read anew."""
    url, params = reverse("points:record_items"), {"resident": resident.pk, "iq": "1"}
    assert deed.title in scorer_client.get(url, params, **HTMX).content.decode()
    draft = start_draft(village=village, admin=admin)
    update_item(item=Item.objects.get(page__edition=draft, code=deed.code), admin=admin, title="扶老人过马路")
    publish_edition(edition=draft, admin=admin, effective_from=village.today())

    html = scorer_client.get(url, params, **HTMX).content.decode()
    assert "扶老人过马路" in html
    assert deed.title not in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ["page 1", "fine ¥200", "often used", "1 of 2 left this month"]),
        ("zh-hans", ["第 1 页", "罚款 ¥200", "常用", "本月还剩 1 次（共 2 次）"]),
    ],
)
def test_the_item_picker_says_page_fine_use_and_cap_in_both_languages(
    scorer_client, scorer, resident, capped_deed, infraction, settings, language, expected
):
    settings.LANGUAGE_CODE = language
    record(scorer=scorer, resident=resident, item=capped_deed)
    html = scorer_client.get(reverse("points:record_items"), {"resident": resident.pk, "iq": "1"}, **HTMX)
    html = html.content.decode()
    for text in expected:
        assert text in html
