"""Factories for tests and benchmarks. Ledger rows are never built here: tests record them
through points.services, like every other caller."""

import io
import uuid
from datetime import date, timedelta
from decimal import Decimal

import factory
import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from handbook.models import Edition, Item, Page
from points.models import Entry
from points.services import record_entry
from villages.grades import DONGDAO_LU_JIA_BANDS
from villages.models import GradeBand, Household, Membership, Resident, Village

PASSWORD = "village-demo"
LONG_AGO = date(2018, 7, 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class VillageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Village
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"东岛刘家村{n}")
    code = factory.Sequence(lambda n: f"V{n}")
    seal_text = "东岛刘家村村民委员会"

    @factory.post_generation
    def bands(obj, create, extracted, **kwargs):
        if create:
            GradeBand.objects.bulk_create(
                GradeBand(village=obj, effective_from=LONG_AGO, grade=b.grade, min_points=b.min_points)
                for b in (extracted or DONGDAO_LU_JIA_BANDS)
            )


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Household

    village = factory.SubFactory(VillageFactory)
    number = factory.Sequence(lambda n: f"{n + 1:03d}")


class ResidentFactory(factory.django.DjangoModelFactory):
    """A resident living in the village who has consented to be scored."""

    class Meta:
        model = Resident

    village = factory.SubFactory(VillageFactory)
    household = factory.SubFactory(HouseholdFactory, village=factory.SelfAttribute("..village"))
    name = factory.Iterator(["李伟", "王芳", "张敏", "刘静", "陈强", "杨洋", "赵磊", "黄艳"])
    consent_given_on = LONG_AGO
    consent_recorded_by = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    village = factory.SubFactory(VillageFactory)
    role = Membership.Role.SCORER


def member(village: Village, role: Membership.Role, username: str):
    """A user called `username` holding `role` in `village` (the personas of tests/conftest.py)."""
    return MembershipFactory(user=UserFactory(username=username), village=village, role=role).user


class EditionFactory(factory.django.DjangoModelFactory):
    """A published edition, in force since long ago."""

    class Meta:
        model = Edition

    village = factory.SubFactory(VillageFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = "村民积分手册"
    published_at = factory.LazyFunction(timezone.now)
    effective_from = LONG_AGO


class PageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Page

    edition = factory.SubFactory(EditionFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"第{n + 1}页")


def make_item(page: Page, **fields) -> Item:
    """An item on `page`. Items of published editions are frozen, so this writes with bulk_create,
    the way a draft's items become part of an edition when it is published."""
    defaults = {
        "code": f"{page.number}.{page.items.count() + 1}",
        "title": "为邻居修剪树木",
        "kind": Item.Kind.DEED,
        "points": Decimal("1"),
    }
    defaults.update(fields)
    (item,) = Item.objects.bulk_create([Item(edition=page.edition, page=page, **defaults)])
    return item


def record(*, scorer, resident, item: Item, occurred_on: date | None = None, **fields):
    """Record through the one service that writes the ledger, with a fresh idempotency key and
    the village's today unless told otherwise."""
    return record_entry(
        scorer=scorer,
        resident=resident,
        item=item,
        occurred_on=occurred_on or resident.village.today(),
        idempotency_key=fields.pop("idempotency_key", None) or uuid.uuid4(),
        **fields,
    )


def post_entry(client, resident, item, headers=None, **extra):
    """The Record form as a scorer's phone posts it: today, a fresh idempotency key, `extra` on top."""
    data = {
        "resident": resident.pk,
        "item": item.pk,
        "occurred_on": resident.village.today().isoformat(),
        "idempotency_key": str(uuid.uuid4()),
        "note": "",
        "witness": "",
    }
    data.update(extra)
    return client.post(reverse("points:record"), data, **(headers or {}))


def refused(attempt) -> ValidationError:
    """Run `attempt`, which must be refused, check that it wrote no entry, and return the refusal."""
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as caught:
        attempt()
    assert Entry.objects.count() == before
    return caught.value


def fill_ledger(scorer, resident, deed: Item, infraction: Item, count: int) -> None:
    """`count` entries spread over the last year, every seventh an infraction, each recorded on its
    own day through the service."""
    today = resident.village.today()
    for n in range(count):
        day = today - timedelta(days=(n * 365) // count)
        with time_machine.travel(day.isoformat() + " 12:00 +0800", tick=False):
            record(scorer=scorer, resident=resident, item=infraction if n % 7 == 0 else deed, occurred_on=day)


def jpeg_bytes(size: tuple[int, int] = (800, 600), exif: bool = True) -> bytes:
    """A JPEG photo as a phone sends it, by default with EXIF tags naming the camera."""
    image = Image.new("RGB", size, (200, 120, 40))
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"  # Make
        data[0x0131] = "SecretCam 1.0"  # Software
        kwargs["exif"] = data.tobytes()
    image.save(out, format="JPEG", **kwargs)
    return out.getvalue()
