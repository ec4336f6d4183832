"""Deeds residents claim: a scorer or head confirms (one entry, authored by them) or declines (none)."""

import io
import uuid
import zipfile
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image

from points.models import Claim, Entry, Notification
from points.services import confirm_claim, decline_claim, file_claim


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 160, 40)).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def claim_for(resident, item, **fields) -> Claim:
    values = {"occurred_on": resident.village.today(), "words": "帮王奶奶修好了篱笆", "idempotency_key": uuid.uuid4()}
    return file_claim(resident=resident, filed_by=resident.user, item=item, **{**values, **fields})


def test_a_confirmed_claim_writes_exactly_one_entry_even_when_confirmed_twice(clock, resident, scorer, deed):
    claim = claim_for(resident, deed, witness="王奶奶", photo=_jpeg())

    confirm_claim(claim=claim, confirmer=scorer)
    confirm_claim(claim=Claim.objects.get(pk=claim.pk), confirmer=scorer)

    claim.refresh_from_db()
    entry = Entry.objects.get()
    assert (claim.status, claim.entry, entry.recorded_by, entry.witness) == (
        Claim.Status.CONFIRMED,
        entry,
        scorer,
        "王奶奶",
    )
    assert entry.note == "帮王奶奶修好了篱笆" and entry.photo
    assert Notification.objects.filter(user=resident.user, kind=Notification.Kind.CLAIM_DECIDED).count() == 1


def test_a_stale_copy_confirmed_again_still_records_one_entry(clock, resident, scorer, head, deed):
    claim = claim_for(resident, deed)
    stale = Claim.objects.get(pk=claim.pk)
    confirm_claim(claim=claim, confirmer=scorer)
    confirm_claim(claim=stale, confirmer=scorer)  # the record_entry key is the claim's: same entry
    assert Entry.objects.count() == 1


def test_a_head_may_confirm(clock, resident, head, deed):
    confirm_claim(claim=claim_for(resident, deed), confirmer=head)
    assert Entry.objects.get().recorded_by == head


def test_a_declined_claim_writes_no_entry_and_the_resident_reads_why(client, clock, resident, scorer, deed):
    claim = claim_for(resident, deed)
    decline_claim(claim=claim, decider=scorer, reason="那天篱笆是村里修的")

    assert Entry.objects.count() == 0
    client.force_login(resident.user)
    assert "那天篱笆是村里修的" in client.get(reverse("points:my_claims")).content.decode()
    with pytest.raises(ValidationError):
        confirm_claim(claim=Claim.objects.get(pk=claim.pk), confirmer=scorer)
    assert Entry.objects.count() == 0


def test_infractions_cannot_be_claimed(clock, resident, infraction):
    with pytest.raises(ValidationError) as refusal:
        claim_for(resident, infraction)
    assert refusal.value.code == "not_a_deed" and Claim.objects.count() == 0


def test_the_photo_is_checked_like_the_scorers(clock, resident, deed):
    with pytest.raises(ValidationError) as refusal:
        claim_for(resident, deed, photo=b"not an image at all")
    assert refusal.value.code.startswith("photo") and Claim.objects.count() == 0


def test_filing_the_same_form_twice_files_one_claim(clock, resident, deed):
    key = uuid.uuid4()
    assert claim_for(resident, deed, idempotency_key=key) == claim_for(resident, deed, idempotency_key=key)
    assert Claim.objects.count() == 1


def test_caps_and_the_date_window_apply_at_confirmation(clock, resident, scorer, capped_deed, deed, village):
    claims = [claim_for(resident, capped_deed) for _ in range(3)]
    confirm_claim(claim=claims[0], confirmer=scorer)
    confirm_claim(claim=claims[1], confirmer=scorer)
    with pytest.raises(ValidationError) as refusal:
        confirm_claim(claim=claims[2], confirmer=scorer)
    assert refusal.value.code == "cap_reached"

    late = claim_for(resident, deed, occurred_on=village.today() - timedelta(days=village.backdate_days))
    clock.shift(timedelta(days=2))
    with pytest.raises(ValidationError) as refusal:
        confirm_claim(claim=late, confirmer=scorer)
    assert refusal.value.code == "too_old"
    assert Entry.objects.count() == 2 and Claim.objects.filter(status=Claim.Status.OPEN).count() == 2


def test_consent_withdrawn_before_confirmation_refuses_it(clock, resident, scorer, head, deed):
    from villages.services import withdraw_consent

    claim = claim_for(resident, deed)
    withdraw_consent(resident=resident, recorded_by=head)
    with pytest.raises(ValidationError) as refusal:
        confirm_claim(claim=claim, confirmer=scorer)
    assert refusal.value.code == "no_consent" and Entry.objects.count() == 0


def test_nobody_else_confirms(clock, resident, other_resident, outsider_scorer, admin, deed):
    claim = claim_for(resident, deed)
    for user in (resident.user, other_resident.user, outsider_scorer, admin):
        with pytest.raises(ValidationError):
            confirm_claim(claim=claim, confirmer=user)
    assert Entry.objects.count() == 0


def test_the_resident_claims_through_the_form_and_the_scorer_confirms_through_the_page(
    client, clock, resident, scorer, deed
):
    client.force_login(resident.user)
    form = client.get(reverse("points:my_claims")).context["form"]
    photo = io.BytesIO(_jpeg())
    photo.name = "deed.jpg"
    data = {
        "item": deed.pk,
        "occurred_on": resident.village.today().isoformat(),
        "words": "扫了村口的路",
        "witness": "",
        "photo": photo,
        "idempotency_key": form.initial["idempotency_key"],
    }
    assert client.post(reverse("points:my_claims"), data).status_code == 302
    claim = Claim.objects.get()

    client.force_login(scorer)
    assert "扫了村口的路" in client.get(reverse("points:claim_queue")).content.decode()
    assert client.get(reverse("points:claim_photo", args=[claim.pk]))["Content-Type"] == "image/jpeg"
    assert client.post(reverse("points:claim_detail", args=[claim.pk]), {"answer": "confirm"}).status_code == 302
    assert Entry.objects.get().recorded_by == scorer


# --- My whole file -------------------------------------------------------------------------------


def test_the_resident_downloads_their_whole_file_as_a_zip_and_a_pdf(client, clock, resident, scorer, deed):
    confirm_claim(claim=claim_for(resident, deed), confirmer=scorer)
    client.force_login(resident.user)

    archive = zipfile.ZipFile(io.BytesIO(client.get(reverse("points:my_file_zip")).content))
    assert set(archive.namelist()) == {
        "resident.csv",
        "entries.csv",
        "appeals.csv",
        "claims.csv",
        "notices.csv",
        "certificates.csv",
    }
    assert "为邻居修剪树木" in archive.read("entries.csv").decode("utf-8-sig")
    assert "帮王奶奶修好了篱笆" in archive.read("claims.csv").decode("utf-8-sig")
    pdf = client.get(reverse("points:my_file_pdf"))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_the_whole_file_is_in_the_residents_language(client, clock, resident, scorer, deed):
    confirm_claim(claim=claim_for(resident, deed), confirmer=scorer)
    client.force_login(resident.user)
    english = zipfile.ZipFile(io.BytesIO(client.get(reverse("points:my_file_zip")).content))
    client.cookies["django_language"] = "zh-hans"
    chinese = zipfile.ZipFile(
        io.BytesIO(client.get(reverse("points:my_file_zip"), HTTP_ACCEPT_LANGUAGE="zh-hans").content)
    )
    assert english.read("entries.csv").decode("utf-8-sig").startswith("Date,")
    assert chinese.read("entries.csv").decode("utf-8-sig").startswith("日期,")


def test_the_whole_file_costs_the_same_queries_however_long_the_ledger(
    client, clock, resident, scorer, deed, django_assert_max_num_queries
):
    client.force_login(resident.user)
    confirm_claim(claim=claim_for(resident, deed), confirmer=scorer)
    with django_assert_max_num_queries(14):
        client.get(reverse("points:my_file_zip"))
    for _ in range(6):
        confirm_claim(claim=claim_for(resident, deed), confirmer=scorer)
    with django_assert_max_num_queries(14):
        client.get(reverse("points:my_file_zip"))
