"""Personas: village X with its administrator, head, scorer and two residents; village Y with
its own scorer and head. Each resident has a login and a consent record."""

import pytest

from handbook.models import Item
from tests.factories import (
    EditionFactory,
    MembershipFactory,
    PageFactory,
    ResidentFactory,
    UserFactory,
    VillageFactory,
    make_item,
)
from villages.models import Membership

Role = Membership.Role


@pytest.fixture(autouse=True)
def english_by_default(settings):
    """The site defaults to Chinese; tests read English unless they ask for zh-hans."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def village(db):
    return VillageFactory(name="东岛刘家村", code="DDLJ")


@pytest.fixture
def other_village(db):
    return VillageFactory(name="滕家村", code="TJ")


@pytest.fixture
def edition(village):
    return EditionFactory(village=village)


@pytest.fixture
def page(edition):
    return PageFactory(edition=edition, number=1, title="邻里互助")


@pytest.fixture
def deed(page) -> Item:
    """+1, no cap."""
    return make_item(page, code="1.1", title="为邻居修剪树木")


@pytest.fixture
def capped_deed(page) -> Item:
    """+1, at most twice a calendar month per resident."""
    return make_item(
        page, code="1.2", title="送老人去医院或集市", cap_count=2, cap_period=Item.Period.MONTH
    )


@pytest.fixture
def infraction(page) -> Item:
    """−10 and a 200 yuan fine; stops counting after 12 months."""
    return make_item(
        page, code="1.3", title="鸡跑出鸡舍", kind=Item.Kind.INFRACTION, points=10, fine_yuan=200, validity_months=12
    )


def _member(village, role, username):
    return MembershipFactory(user=UserFactory(username=username), village=village, role=role).user


@pytest.fixture
def admin(village):
    return _member(village, Role.ADMIN, "admin")


@pytest.fixture
def head(village):
    return _member(village, Role.HEAD, "head")


@pytest.fixture
def scorer(village):
    return _member(village, Role.SCORER, "scorer")


@pytest.fixture
def resident(village):
    user = _member(village, Role.RESIDENT, "resident")
    return ResidentFactory(village=village, name="李伟", user=user)


@pytest.fixture
def other_resident(village):
    user = _member(village, Role.RESIDENT, "resident_b")
    return ResidentFactory(village=village, name="王芳", user=user)


@pytest.fixture
def outsider_scorer(other_village):
    return _member(other_village, Role.SCORER, "outsider_scorer")


@pytest.fixture
def outsider_head(other_village):
    return _member(other_village, Role.HEAD, "outsider_head")
