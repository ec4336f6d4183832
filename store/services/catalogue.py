"""The catalogue and the store's settings: for the village head and administrators."""

import uuid
from datetime import date
from typing import IO

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from points.validators import CleanPhoto, clean_photo
from store.models import Goods, StoreSettings
from store.services.stock import refuse
from villages.access import OFFICE, has_role
from villages.audit import record_audit
from villages.models import Village


def _check_office(author: AbstractBaseUser, village: Village | int) -> None:
    if not has_role(author, village, *OFFICE):
        raise refuse(_("Only the village head or an administrator can change the store."), "not_allowed")


def _store_photo(photo: CleanPhoto | IO[bytes] | bytes, village: Village) -> str:
    """Check and re-encode the photo like an entry photo, and save it under an unguessable name."""
    if not isinstance(photo, CleanPhoto):
        photo = clean_photo(photo)
    return default_storage.save(f"store/{village.code}/{uuid.uuid4().hex}.jpg", ContentFile(photo.jpeg))


def add_goods(
    *,
    author: AbstractBaseUser,
    village: Village,
    name: str,
    price_points: int,
    unit: str = "",
    active: bool = True,
    photo: CleanPhoto | IO[bytes] | bytes | None = None,
) -> Goods:
    """A new article, with no stock until a delivery is recorded."""
    _check_office(author, village)
    if price_points <= 0:
        raise refuse(_("The price must be at least 1 store point."), "price")
    photo_name = _store_photo(photo, village) if photo is not None else ""
    with transaction.atomic():
        goods = Goods.objects.create(
            village=village,
            name=name.strip(),
            unit=unit.strip(),
            price_points=price_points,
            active=active,
            photo=photo_name,
        )
        record_audit(
            action="goods.add", actor=author, village=village, target=str(goods), after={"price_points": price_points}
        )
    return goods


def change_goods(
    *,
    author: AbstractBaseUser,
    goods: Goods,
    name: str,
    price_points: int,
    unit: str = "",
    active: bool = True,
    photo: CleanPhoto | IO[bytes] | bytes | None = None,
) -> Goods:
    """Rename, reprice, take off or put back on offer, or give a new photo. Past receipts keep the price
    they were served at."""
    _check_office(author, goods.village_id)
    if price_points <= 0:
        raise refuse(_("The price must be at least 1 store point."), "price")
    before = {"name": goods.name, "unit": goods.unit, "price_points": goods.price_points, "active": goods.active}
    old_photo = goods.photo
    if photo is not None:
        goods.photo = _store_photo(photo, goods.village)
    goods.name, goods.unit, goods.price_points, goods.active = name.strip(), unit.strip(), price_points, active
    with transaction.atomic():
        goods.save()
        after = {"name": goods.name, "unit": goods.unit, "price_points": goods.price_points, "active": goods.active}
        record_audit(
            action="goods.change", actor=author, village=goods.village, target=str(goods), before=before, after=after
        )
    if photo is not None and old_photo:
        default_storage.delete(old_photo)
    return goods


@transaction.atomic
def configure_store(
    *,
    author: AbstractBaseUser,
    village: Village,
    credits_from: date,
    points_per_deed_point: int = 1,
    recognise_after_days: int = 7,
    expires_at_year_end: bool = True,
) -> StoreSettings:
    """Open the village's store, or change how it credits deeds."""
    _check_office(author, village)
    config, _created = StoreSettings.objects.update_or_create(
        village=village,
        defaults={
            "credits_from": credits_from,
            "points_per_deed_point": points_per_deed_point,
            "recognise_after_days": recognise_after_days,
            "expires_at_year_end": expires_at_year_end,
        },
    )
    record_audit(
        action="store.configure",
        actor=author,
        village=village,
        target=str(village),
        after={
            "credits_from": credits_from.isoformat(),
            "points_per_deed_point": points_per_deed_point,
            "recognise_after_days": recognise_after_days,
            "expires_at_year_end": expires_at_year_end,
        },
    )
    return config
