from django.urls import reverse

from tests.factories import ResidentFactory


def test_the_head_finds_a_resident_by_pinyin_initials_or_household(client, head, village, resident):
    elder = ResidentFactory(village=village, name="刘静", user=None)
    client.force_login(head)
    by_initials = client.get(reverse("points:resident_list"), {"q": "lj"}).context["page"].object_list
    by_household = client.get(reverse("points:resident_list"), {"q": elder.household.number}).context["page"]
    assert list(by_initials) == [elder]
    assert list(by_household.object_list) == [elder]
    html = client.get(reverse("points:resident_list")).content.decode()
    assert reverse("points:statement", args=[elder.pk]) in html
    assert "no login" in html


def test_the_search_renders_only_the_results_for_htmx(client, head, resident):
    client.force_login(head)
    html = client.get(reverse("points:resident_list"), {"q": "li"}, HTTP_HX_REQUEST="true").content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert resident.name in html
