"""The administrator's handbook editor through the test client: who may reach it, in-place editing
with htmx and the same actions as plain form posts, the diff and publishing."""

from decimal import Decimal

import pytest
from django.urls import reverse

from handbook.models import Edition, Item
from handbook.services import start_draft
from tests.factories import PageFactory, make_item

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PARTIALS = {
    '<li class="edit-row editing"': "item-form",
    '<li class="edit-row"': "item-row",
    '<section class="card editor-page"': "page-section",
}


def _partial(response) -> str:
    """Which partial of the draft page a response is: only that fragment, never the whole page."""
    html = response.content.decode().strip()
    assert "<html" not in html
    return next(name for start, name in PARTIALS.items() if html.startswith(start))


@pytest.fixture
def draft(village, admin, deed, capped_deed, infraction):
    return start_draft(village=village, admin=admin)


@pytest.fixture
def draft_item(draft):
    return draft.items.get(code="1.1")


def _urls(draft, draft_item, edition):
    page = draft_item.page
    return [
        ("get", reverse("handbook:editor")),
        ("get", reverse("handbook:editor_draft")),
        ("get", reverse("handbook:editor_diff")),
        ("get", reverse("office:grades")),
        ("get", reverse("office:audit")),
        ("get", reverse("handbook:editor_booklet")),
        ("get", reverse("handbook:editor_export", args=[edition.pk])),
        ("get", reverse("handbook:editor_item_edit", args=[draft_item.pk])),
        ("get", reverse("handbook:editor_item_add", args=[page.pk])),
        ("post", reverse("handbook:editor_item_remove", args=[draft_item.pk])),
        ("post", reverse("handbook:editor_item_move", args=[draft_item.pk])),
        ("post", reverse("handbook:editor_page_remove", args=[page.pk])),
        ("post", reverse("handbook:editor_discard")),
        ("post", reverse("handbook:editor_start")),
        ("post", reverse("office:capital")),
    ]


@pytest.mark.parametrize("persona", ["head", "scorer", "resident", "outsider_head", "outsider_scorer"])
def test_it_refuses_everyone_but_the_administrators_of_the_village(
    client, request, persona, draft, draft_item, edition
):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", None) or user)  # the resident persona is a Resident
    for method, url in _urls(draft, draft_item, edition):
        assert getattr(client, method)(url).status_code == 403, url
    assert Item.objects.filter(pk=draft_item.pk).exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, draft, draft_item, edition):
    for method, url in _urls(draft, draft_item, edition):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_it_hides_another_villages_handbook_from_its_administrator(client, outsider_admin, draft, draft_item, edition):
    client.force_login(outsider_admin)
    assert client.get(reverse("handbook:editor")).status_code == 200  # their own village's editor
    for name, pk in [
        ("handbook:editor_item_edit", draft_item.pk),
        ("handbook:editor_item", draft_item.pk),
        ("handbook:editor_page", draft_item.page_id),
        ("handbook:editor_export", edition.pk),
        ("handbook:editor_edition_booklet", edition.pk),
    ]:
        assert client.get(reverse(name, args=[pk]), **HTMX).status_code == 404, name
    assert client.post(reverse("handbook:editor_item_remove", args=[draft_item.pk])).status_code == 404
    assert Item.objects.filter(pk=draft_item.pk).exists()


def test_it_lets_the_administrator_in(client, admin, draft, draft_item, edition):
    client.force_login(admin)
    for method, url in _urls(draft, draft_item, edition)[:9]:
        assert getattr(client, method)(url).status_code == 200, url


def test_it_shows_published_items_as_not_editable(client, admin, edition, deed):
    client.force_login(admin)
    assert client.get(reverse("handbook:editor_item_edit", args=[deed.pk])).status_code == 404


def test_the_home_page_offers_the_editor_to_administrators_only(client, admin, head):
    client.force_login(admin)
    assert reverse("handbook:editor") in client.get(reverse("office:home")).content.decode()
    client.force_login(head)
    assert reverse("handbook:editor") not in client.get(reverse("office:home")).content.decode()


# --- Editing in place -------------------------------------------------------------------------


def _item_data(item, **changes):
    data = {
        "code": item.code,
        "title": item.title,
        "description": item.description,
        "kind": item.kind,
        "points": str(item.points),
        "fine_yuan": item.fine_yuan or "",
        "cap_count": item.cap_count or "",
        "cap_period": item.cap_period,
        "validity_months": item.validity_months or "",
        "page": item.page_id,
    }
    data.update(changes)
    return {f"item-{item.pk}-{key}": value for key, value in data.items()}


def test_htmx_swaps_a_row_for_its_form_and_back(client, admin, draft_item):
    client.force_login(admin)
    form = client.get(reverse("handbook:editor_item_edit", args=[draft_item.pk]), **HTMX)
    assert _partial(form) == "item-form"
    html = form.content.decode()
    assert "<html" not in html and f'id="item-{draft_item.pk}"' in html and 'name="item-' in html

    saved = client.post(
        reverse("handbook:editor_item_edit", args=[draft_item.pk]), _item_data(draft_item, points="2.5"), **HTMX
    )
    assert _partial(saved) == "item-row"
    assert "+2.5" in saved.content.decode()
    draft_item.refresh_from_db()
    assert draft_item.points == Decimal("2.5")

    cancel = client.get(reverse("handbook:editor_item", args=[draft_item.pk]), **HTMX)
    assert _partial(cancel) == "item-row"


def test_a_plain_post_edits_an_item_without_javascript(client, admin, draft_item):
    client.force_login(admin)
    page = client.get(reverse("handbook:editor_item_edit", args=[draft_item.pk]))
    assert "<html" in page.content.decode()
    response = client.post(
        reverse("handbook:editor_item_edit", args=[draft_item.pk]), _item_data(draft_item, title="修剪果树")
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("handbook:editor_draft") + f"#item-{draft_item.pk}"
    draft_item.refresh_from_db()
    assert draft_item.title == "修剪果树"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"points": "0.3"}, "steps of 0.5"),
        ({"code": "1.2"}, "1.2 is already used"),
        ({"cap_count": "3", "cap_period": ""}, "A cap needs both a number and a period."),
        ({"validity_months": "6"}, "Only deductions stop counting"),
    ],
)
def test_it_shows_what_to_fix_and_saves_nothing(client, admin, draft_item, changes, message):
    client.force_login(admin)
    response = client.post(
        reverse("handbook:editor_item_edit", args=[draft_item.pk]), _item_data(draft_item, **changes), **HTMX
    )
    assert response.status_code == 200
    assert _partial(response) == "item-form"
    assert message in response.content.decode()
    assert Item.objects.get(pk=draft_item.pk).points == Decimal("1")
    assert Item.objects.get(pk=draft_item.pk).code == "1.1"


def test_it_adds_an_item_with_htmx_and_returns_the_page(client, admin, draft):
    client.force_login(admin)
    page = draft.pages.get()
    url = reverse("handbook:editor_item_add", args=[page.pk])
    form = client.get(url, **HTMX)
    assert _partial(form) == "page-section"
    data = {"code": "1.9", "title": "借出农具", "kind": "deed", "points": "0.5", "page": page.pk, "cap_period": ""}
    response = client.post(url, {f"new-{page.pk}-{key}": value for key, value in data.items()}, **HTMX)
    assert _partial(response) == "page-section"
    assert "借出农具" in response.content.decode()
    assert draft.items.filter(code="1.9", points=Decimal("0.5")).exists()


def test_it_moves_and_removes_items_with_htmx_and_without(client, admin, draft):
    client.force_login(admin)
    third = draft.items.get(code="1.3")
    response = client.post(reverse("handbook:editor_item_move", args=[third.pk]), {"direction": "up"}, **HTMX)
    assert _partial(response) == "page-section"
    assert list(draft.pages.get().items.order_by("position").values_list("code", flat=True)) == ["1.1", "1.3", "1.2"]
    response = client.post(reverse("handbook:editor_item_remove", args=[third.pk]))
    assert response.status_code == 302
    assert not draft.items.filter(code="1.3").exists()


def test_it_adds_renames_moves_and_removes_pages_with_plain_posts(client, admin, draft):
    client.force_login(admin)
    client.post(reverse("handbook:editor_page_add"), {"title": "敬老助老"})
    new = draft.pages.get(number=2)
    client.post(reverse("handbook:editor_page_rename", args=[new.pk]), {"title": "敬老"})
    client.post(reverse("handbook:editor_page_move", args=[new.pk]), {"direction": "up"})
    assert list(draft.pages.order_by("number").values_list("title", flat=True)) == ["敬老", "邻里互助"]
    client.post(reverse("handbook:editor_page_remove", args=[new.pk]))
    assert list(draft.pages.values_list("title", flat=True)) == ["邻里互助"]


def test_the_draft_page_costs_the_same_queries_for_a_small_and_a_large_draft(
    client, admin, draft, django_assert_max_num_queries
):
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("handbook:editor_draft")).status_code == 200
    for number in range(2, 13):
        page = PageFactory(edition=draft, number=number)
        for _ in range(6):
            make_item(page)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("handbook:editor_draft"))
    assert response.content.decode().count('class="edit-row"') == 3 + 11 * 6


# --- Diff and publish ---------------------------------------------------------------------------


def test_the_diff_shows_a_changed_value_before_and_after(client, admin, draft_item):
    client.force_login(admin)
    client.post(reverse("handbook:editor_item_edit", args=[draft_item.pk]), _item_data(draft_item, points="3"))
    html = client.get(reverse("handbook:editor_diff")).content.decode()
    assert 'id="change-1.1"' in html
    assert "<del>1</del>" in html and "<ins>3</ins>" in html


def test_publishing_from_the_diff_page_makes_the_draft_the_edition_in_force(client, admin, village, draft, edition):
    client.force_login(admin)
    response = client.post(reverse("handbook:editor_diff"), {"effective_from": village.today().isoformat()})
    assert response.status_code == 302
    assert Edition.objects.in_force(village=village, on=village.today()) == draft


def test_it_refuses_to_publish_in_the_past_and_says_so(client, admin, village, draft):
    client.force_login(admin)
    response = client.post(reverse("handbook:editor_diff"), {"effective_from": "2020-01-01"})
    assert response.status_code == 400
    assert "cannot take effect in the past" in response.content.decode()
    draft.refresh_from_db()
    assert draft.is_draft


def test_it_starts_and_discards_a_draft(client, admin, village, edition, deed):
    client.force_login(admin)
    assert client.post(reverse("handbook:editor_start"))["Location"] == reverse("handbook:editor_draft")
    assert Edition.objects.filter(village=village, published_at__isnull=True).count() == 1
    client.post(reverse("handbook:editor_discard"))
    assert not Edition.objects.filter(village=village, published_at__isnull=True).exists()


def test_the_booklet_is_a_pdf(client, admin, edition, deed):
    client.force_login(admin)
    response = client.get(reverse("handbook:editor_booklet"))
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
