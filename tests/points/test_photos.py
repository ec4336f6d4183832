"""Photos are refused by content, size and pixel count; kept ones are re-encoded without metadata,
stored outside the web root and served only to those allowed to see the entry."""

import io
import struct
import uuid
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from points.models import Entry
from points.services import record_entry
from points.validators import MAX_SIDE, clean_photo
from tests.factories import jpeg_bytes, post_entry


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width×height pixels, followed by a tiny, meaningless body."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def stored_files(media) -> list:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


BAD_PHOTOS = {
    "empty": (b"", "empty"),
    "20 MB": (b"\xff\xd8\xff\xe0" + b"\0" * (20 * 1024 * 1024), "larger than 8 MB"),
    "text named .jpg": (b"This is not a photo, just some text.\n" * 20, "not a photo"),
    "30000x30000 header": (png_header(30000, 30000), "more than 40 million pixels"),
}


@pytest.mark.parametrize("name", BAD_PHOTOS)
def test_it_refuses_a_bad_photo_by_content(name):
    data, message = BAD_PHOTOS[name]
    with pytest.raises(ValidationError) as refusal:
        clean_photo(SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"))
    assert message in refusal.value.messages[0]


def test_it_refuses_a_header_over_the_pixel_limit_but_under_pillows_own():
    with pytest.raises(ValidationError) as refusal:
        clean_photo(png_header(8000, 6000))  # 48 megapixels: Pillow would decode it
    assert refusal.value.code == "photo_too_many_pixels"


def test_it_reencodes_a_photo_smaller_and_without_metadata():
    cleaned = clean_photo(SimpleUploadedFile("x.png", jpeg_bytes(size=(4000, 3000))))
    image = Image.open(io.BytesIO(cleaned.jpeg))
    assert image.format == "JPEG"
    assert max(image.size) == MAX_SIDE
    assert dict(image.getexif()) == {}
    assert b"SecretCam" not in cleaned.jpeg


@pytest.mark.parametrize("name", BAD_PHOTOS)
def test_it_writes_nothing_for_an_entry_posted_with_a_bad_photo(client, scorer, resident, deed, media, name):
    data, message = BAD_PHOTOS[name]
    client.force_login(scorer)
    response = post_entry(
        client, resident, deed, photo=SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Entry.objects.exists()
    assert stored_files(media) == []


def test_it_stores_the_photo_of_a_recorded_entry_outside_the_web_root(client, scorer, resident, deed, media):
    client.force_login(scorer)
    response = post_entry(
        client, resident, deed, photo=SimpleUploadedFile("IMG_0001.JPG", jpeg_bytes(), content_type="image/jpeg")
    )
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.photo.name.endswith(".jpg")
    assert "IMG_0001" not in entry.photo.name
    (path,) = stored_files(media)
    assert b"SecretCam" not in path.read_bytes()


def test_it_leaves_no_file_behind_when_the_entry_is_refused(scorer, resident, capped_deed, media):
    today = resident.village.today()
    for _ in range(2):
        record_entry(
            scorer=scorer, resident=resident, item=capped_deed, occurred_on=today, idempotency_key=uuid.uuid4()
        )
    with pytest.raises(ValidationError):
        record_entry(
            scorer=scorer,
            resident=resident,
            item=capped_deed,
            occurred_on=today,
            idempotency_key=uuid.uuid4(),
            photo=jpeg_bytes(),
        )
    assert Entry.objects.count() == 2
    assert stored_files(media) == []


def test_it_writes_one_file_when_the_same_form_is_posted_twice(scorer, resident, deed, media):
    key = uuid.uuid4()
    today = resident.village.today()
    first = record_entry(
        scorer=scorer, resident=resident, item=deed, occurred_on=today, idempotency_key=key, photo=jpeg_bytes()
    )
    again = record_entry(
        scorer=scorer, resident=resident, item=deed, occurred_on=today, idempotency_key=key, photo=jpeg_bytes()
    )
    assert again == first
    assert len(stored_files(media)) == 1


@pytest.fixture
def entry_with_photo(scorer, resident, deed):
    return record_entry(
        scorer=scorer,
        resident=resident,
        item=deed,
        occurred_on=resident.village.today(),
        idempotency_key=uuid.uuid4(),
        photo=jpeg_bytes(),
    )


@pytest.mark.parametrize("who", ["resident", "head", "admin", "scorer"])
def test_it_serves_the_photo_to_those_allowed(client, entry_with_photo, request, who):
    persona = request.getfixturevalue(who)
    client.force_login(persona.user if who == "resident" else persona)
    response = client.get(reverse("points:entry_photo", args=[entry_with_photo.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8")


@pytest.mark.parametrize("who", ["other_resident", "other_scorer", "outsider_head", "outsider_scorer"])
def test_it_hides_the_photo_from_everyone_else(client, entry_with_photo, request, who):
    persona = request.getfixturevalue(who)
    client.force_login(persona.user if who == "other_resident" else persona)
    response = client.get(reverse("points:entry_photo", args=[entry_with_photo.pk]))
    assert response.status_code == 404


def test_it_sends_anonymous_visitors_to_sign_in_for_a_photo(client, entry_with_photo):
    response = client.get(reverse("points:entry_photo", args=[entry_with_photo.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
