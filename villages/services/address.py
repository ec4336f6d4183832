"""The village's public address, printed in its certificates' QR codes (see villages.public_address)."""

from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.translation import gettext as _

from villages.access import has_role
from villages.audit import record_audit
from villages.models import Membership, Village


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
