from django import template

from villages.public_address import is_loopback, public_address

register = template.Library()


@register.inclusion_tag("villages/_address_warning.html")
def loopback_warning(village):
    """A warning while the village's certificates would carry QR codes no phone can open."""
    address = public_address(village) if village else ""
    return {"address": address, "loopback": bool(address) and is_loopback(address)}
