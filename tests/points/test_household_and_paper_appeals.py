"""A household member follows a member who agreed to share; the office records paper appeals."""

import io
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from PIL import Image

from points.models import Appeal, Entry
from points.services import record_entry, record_paper_appeal
from points.services.cards import issue_card
from tests.factories import ResidentFactory, member
from villages.cards import card_path
from villages.models import Membership
from villages.services import record_household_sharing, withdraw_household_sharing


@pytest.fixture
def elder(village, resident):
    """An elder without a login in resident 李伟's household."""
    return ResidentFactory(village=village, household=resident.household, name="李老汉")


@pytest.fixture
def signed_in(resident) -> Client:
    client = Client()
    client.force_login(resident.user)
    return client


def test_a_member_sees_an_elder_who_shares_with_the_household(clock, village, head, elder, signed_in):
    record_household_sharing(resident=elder, given_on=village.today(), recorded_by=head)
    standing = signed_in.get(reverse("points:standing")).content.decode()
    assert elder.name in standing and reverse("points:household_standing", args=[elder.pk]) in standing
    page = signed_in.get(reverse("points:household_standing", args=[elder.pk]))
    assert page.status_code == 200 and elder.name in page.content.decode()
    assert signed_in.get(reverse("points:household_ledger", args=[elder.pk])).status_code == 200


def test_nobody_sees_an_elder_who_does_not_share(clock, elder, signed_in):
    assert signed_in.get(reverse("points:household_standing", args=[elder.pk])).status_code == 404


def test_withdrawing_the_agreement_hides_the_elder_at_once(clock, village, head, elder, signed_in):
    record_household_sharing(resident=elder, given_on=village.today(), recorded_by=head)
    withdraw_household_sharing(resident=elder, recorded_by=head)
    assert signed_in.get(reverse("points:household_ledger", args=[elder.pk])).status_code == 404


def test_a_resident_of_another_household_never_sees_the_elder(clock, village, head, elder, other_resident):
    record_household_sharing(resident=elder, given_on=village.today(), recorded_by=head)
    client = Client()
    client.force_login(other_resident.user)
    assert client.get(reverse("points:household_standing", args=[elder.pk])).status_code == 404


def test_a_card_holder_of_the_household_sees_the_elder_too(clock, village, head, elder, resident):
    record_household_sharing(resident=elder, given_on=village.today(), recorded_by=head)
    client = Client()
    client.get(card_path(issue_card(resident=resident, issued_by=head).secrets))
    assert client.get(reverse("points:household_standing", args=[elder.pk])).status_code == 200
    # ... but cannot appeal the elder's lines: the appeal form fetches only the card's own entries.


def test_only_the_office_records_sharing(clock, village, scorer, elder):
    with pytest.raises(ValidationError):
        record_household_sharing(resident=elder, given_on=village.today(), recorded_by=scorer)


# --- Paper appeals ----------------------------------------------------------------------------


@pytest.fixture
def elders_entry(clock, village, scorer, elder, infraction) -> Entry:
    return record_entry(
        scorer=scorer, resident=elder, item=infraction, occurred_on=village.today(), idempotency_key=uuid.uuid4()
    )


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (240, 240, 230)).save(out, "JPEG")
    return out.getvalue()


def test_the_head_records_a_paper_appeal_and_decides_it(clock, village, head, elders_entry, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = Client()
    client.force_login(head)
    scan = io.BytesIO(_jpeg())
    scan.name = "paper.jpg"
    response = client.post(
        reverse("points:paper_appeal", args=[elders_entry.pk]),
        {"received_on": village.today().isoformat(), "reason": "鸡是邻居家的", "scan": scan},
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get(entry=elders_entry)
    assert (appeal.channel, appeal.received_by, appeal.received_on) == (Appeal.Channel.PAPER, head, village.today())
    assert appeal.reason == "鸡是邻居家的" and appeal.scan.name.endswith(".jpg")
    queue = client.get(reverse("points:appeal_queue")).content.decode()
    assert reverse("points:appeal_decide", args=[appeal.pk]) in queue
    decided = client.post(reverse("points:appeal_decide", args=[appeal.pk]), {"decision": "uphold", "reason": "核实"})
    assert decided.status_code == 302
    appeal.refresh_from_db()
    assert appeal.status == Appeal.Status.UPHELD and Entry.objects.filter(reverses=elders_entry).exists()


def test_a_paper_appeal_counts_its_deadline_from_the_day_it_was_received(clock, village, head, elders_entry):
    clock.shift(timedelta(days=3))
    appeal = record_paper_appeal(
        entry=elders_entry, received_by=head, received_on=village.today() - timedelta(days=2), reason="不是我"
    )
    assert (appeal.filed_at.astimezone(village.tzinfo).date()) == village.today() - timedelta(days=2)


def test_a_scorer_cannot_record_a_paper_appeal(clock, village, scorer, elders_entry):
    with pytest.raises(ValidationError):
        record_paper_appeal(entry=elders_entry, received_by=scorer, received_on=village.today(), reason="x")


def test_a_paper_appeal_cannot_be_dated_in_the_future(clock, village, head, elders_entry):
    with pytest.raises(ValidationError):
        record_paper_appeal(
            entry=elders_entry, received_by=head, received_on=village.today() + timedelta(days=1), reason="x"
        )


def test_an_admin_may_record_but_a_head_of_another_village_sees_nothing(
    clock, village, other_village, admin, elders_entry
):
    head_y = member(other_village, Membership.Role.HEAD, "head_y")
    client = Client()
    client.force_login(head_y)
    assert client.get(reverse("points:paper_appeal", args=[elders_entry.pk])).status_code == 404
    record_paper_appeal(entry=elders_entry, received_by=admin, received_on=village.today(), reason="不是我")
