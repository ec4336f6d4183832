import pytest
from django.urls import reverse

from tests.factories import EditionFactory, PageFactory, make_item


@pytest.fixture
def reader(client, resident):
    client.force_login(resident.user)
    return client


def test_it_shows_the_pages_of_the_edition_in_force(reader, edition, page, deed, infraction):
    PageFactory(edition=edition, number=2, title="环境卫生")
    response = reader.get(reverse("handbook:index"))
    html = response.content.decode()
    assert "1. 邻里互助" in html
    assert "2. 环境卫生" in html
    assert reverse("handbook:page", args=[edition.pk, 1]) in html


def test_it_searches_by_code_or_words(reader, edition, page, deed, infraction):
    by_words = reader.get(reverse("handbook:index"), {"q": "鸡舍"}).context["results"]
    by_code = reader.get(reverse("handbook:index"), {"q": "1.1"}).context["results"]
    assert by_words == [infraction]
    assert by_code == [deed]


def test_the_search_renders_only_the_results_for_htmx(reader, edition, page, deed):
    html = reader.get(reverse("handbook:index"), {"q": "修剪"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "为邻居修剪树木" in html


def test_a_page_shows_its_items_with_points_fines_and_validity(reader, edition, page, infraction, capped_deed):
    html = reader.get(reverse("handbook:page", args=[edition.pk, page.number])).content.decode()
    assert 'id="item-1.3"' in html
    assert "fine ¥200" in html
    assert "Stops counting after 12 months." in html
    assert "At most 2 times a month." in html


def test_an_item_of_an_older_edition_says_so(reader, village, edition, page, deed):
    newer = EditionFactory(village=village, number=edition.number + 1)
    make_item(PageFactory(edition=newer, number=1), code="1.1", title="新条目")
    html = reader.get(reverse("handbook:item", args=[deed.pk])).content.decode()
    assert "为邻居修剪树木" in html
    assert "This is an earlier edition" in html


def test_drafts_are_not_shown(reader, village):
    draft = EditionFactory(village=village, published_at=None, effective_from=None)
    assert reader.get(reverse("handbook:page", args=[draft.pk, 1])).status_code == 404


def test_a_village_without_a_handbook_says_so(reader):
    assert "has not published a handbook yet" in reader.get(reverse("handbook:index")).content.decode()
