"""Every list of residents the head searches finds the same people for the same words."""

import pytest
from django.urls import reverse

from tests.factories import HouseholdFactory, ResidentFactory

QUERIES = ["李", "伟", "liwei", "lw", "wei", "iwe", "012", "01", "Li Wei", "  lj ", "xyz", ""]


@pytest.fixture
def register(village):
    for number, names in {"012": ["李伟", "刘静"], "013": ["王芳", "李卫东"], "120": ["陈强"]}.items():
        household = HouseholdFactory(village=village, number=number)
        for name in names:
            ResidentFactory(village=village, household=household, name=name)


@pytest.mark.parametrize("query", QUERIES)
def test_it_finds_the_same_residents_on_both_of_the_heads_lists(client, head, register, query):
    client.force_login(head)
    office = client.get(reverse("villages:residents"), {"q": query}).context["page"].object_list
    standing = client.get(reverse("points:resident_list"), {"q": query}).context["page"].object_list
    assert [r.pk for r in office] == [r.pk for r in standing]


def test_it_finds_pinyin_inside_a_name_and_households_by_their_start_on_the_standing_list(client, head, register):
    client.force_login(head)
    found = client.get(reverse("points:resident_list"), {"q": "wei"}).context["page"].object_list
    assert {r.name for r in found} == {"李伟", "李卫东"}
    by_household = client.get(reverse("points:resident_list"), {"q": "01"}).context["page"].object_list
    assert {r.name for r in by_household} == {"李伟", "刘静", "王芳", "李卫东"}


def test_it_offers_the_same_residents_to_issue_a_certificate_to(client, head, register):
    client.force_login(head)
    offered = client.get(reverse("points:certificates"), {"q": "wei"}).context["residents"]
    assert {r.name for r in offered} == {"李伟", "李卫东"}
