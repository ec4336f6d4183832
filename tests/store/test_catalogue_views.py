"""The catalogue, stock, settings and benefits pages of the head and the store keeper."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from store.models import Goods, StockMovement, StoreSettings
from store.services import add_goods, stock_of
from tests.factories import jpeg_bytes
from villages.models import Benefit

pytestmark = pytest.mark.usefixtures("clock")


def test_the_head_adds_goods_with_a_photo_checked_like_an_entry_photo(client, settings, tmp_path, head, store):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(head)
    photo = SimpleUploadedFile("oil.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(
        reverse("store:goods_add"),
        {"name": "花生油", "unit": "5 L", "price_points": "60", "active": "on", "photo": photo},
    )
    goods = Goods.objects.get()
    assert response.status_code == 302 and goods.photo.endswith(".jpg")
    assert client.get(reverse("store:goods_photo", args=[goods.pk]))["Content-Type"] == "image/jpeg"


def test_it_refuses_a_photo_that_is_not_an_image_and_writes_nothing(client, head, store):
    client.force_login(head)
    fake = SimpleUploadedFile("oil.jpg", b"not a photo at all", content_type="image/jpeg")
    response = client.post(reverse("store:goods_add"), {"name": "花生油", "price_points": "60", "photo": fake})
    assert response.status_code == 400
    assert "not a photo" in response.text
    assert not Goods.objects.exists()
    with pytest.raises(ValidationError):
        add_goods(author=head, village=store.village, name="x", price_points=1, photo=b"nope")
    assert not Goods.objects.exists()


def test_the_keeper_records_a_delivery_and_a_write_off_with_a_reason(client, keeper, oil):
    client.force_login(keeper)
    url = reverse("store:goods_stock", args=[oil.pk])
    assert client.post(url, {"kind": "delivery", "quantity": "5", "reason": "供销社"}).status_code == 302
    refused = client.post(url, {"kind": "write_off", "quantity": "99", "reason": "受潮"})
    assert refused.status_code == 400 and "you cannot write off more" in refused.text
    assert client.post(url, {"kind": "write_off", "quantity": "2", "reason": "受潮"}).status_code == 302
    assert stock_of([oil.pk]) == {oil.pk: 13}
    assert StockMovement.objects.filter(goods=oil, kind="write_off").get().author == keeper


def test_the_head_opens_the_store(client, head, village):
    client.force_login(head)
    response = client.post(
        reverse("store:settings"),
        {"credits_from": "2025-01-01", "points_per_deed_point": "10", "recognise_after_days": "7"},
    )
    assert response.status_code == 302
    config = StoreSettings.objects.get(village=village)
    assert (config.points_per_deed_point, config.expires_at_year_end) == (10, False)


def test_the_benefits_page_never_offers_the_lowest_grade(client, head, village):
    client.force_login(head)
    page = client.get(reverse("store:benefits"))
    assert [value for value, _label in page.context["form"].fields["grade"].choices] == ["A+", "A", "B", "C"]
    refused = client.post(
        reverse("store:benefits"), {"grade": "D", "text": "罚", "provider": "村委会", "starts_on": "2025-06-16"}
    )
    assert refused.status_code == 400 and not Benefit.objects.exists()
    offered = client.post(
        reverse("store:benefits"), {"grade": "A", "text": "农具免押金", "provider": "合作社", "starts_on": "2025-06-16"}
    )
    assert offered.status_code == 302 and Benefit.objects.get().grade == "A"
