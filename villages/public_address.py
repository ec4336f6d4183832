"""The address certificates' QR codes point at, and whether a phone in the village can reach it.

The embedded default cannot guess the address villagers will scan (it serves on 127.0.0.1), so the
village's administrator sets it once under Grades and settings; until then SITE_URL is used
(required with PRODUCTION=1), and the head's certificate pages warn while it is a loopback address.
It is a village's setting rather than a site one because administrators act within a village; in a
county every village normally gives the same address, or leaves it blank and relies on SITE_URL."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from villages.audit import record_audit
from villages.models import Membership, Village
from villages.services import has_role


def public_address(village: Village) -> str:
    """The village's public address without a trailing slash: its own setting, else SITE_URL."""
    return (village.public_address or settings.SITE_URL).rstrip("/")


def is_loopback(address: str) -> bool:
    """True for an address only this machine can open (localhost, 127.0.0.0/8, ::1)."""
    host = (urlsplit(address).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@transaction.atomic
def set_public_address(*, village: Village, admin: AbstractBaseUser, address: str) -> Village:
    """Set (or with "" clear) the address printed in the village's certificates' QR codes. Audited.
    Reprinting an older certificate afterwards prints the new address."""
    if not has_role(admin, village, Membership.Role.ADMIN):
        raise ValidationError(_("Only an administrator of the village can change its settings."), code="not_allowed")
    address = address.strip().rstrip("/")
    if address:
        try:
            URLValidator(schemes=["http", "https"])(address)
        except ValidationError:
            raise ValidationError(
                _("Enter the address as a phone would open it, e.g. https://points.example.org"), code="bad_address"
            ) from None
        if urlsplit(address).query or urlsplit(address).fragment:
            raise ValidationError(_("The address cannot hold ? or #."), code="bad_address")
    village = Village.objects.select_for_update().get(pk=village.pk)
    before = village.public_address
    if before != address:
        village.public_address = address
        village.save(update_fields=["public_address"])
        record_audit(
            action="village.public_address",
            actor=admin,
            village=village,
            target=village.name,
            before={"public_address": before},
            after={"public_address": address},
        )
    return village
