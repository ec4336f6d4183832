"""The address certificates' QR codes point at, and whether a phone in the village can reach it.

The embedded default cannot guess the address villagers will scan (it serves on 127.0.0.1), so the
village's administrator sets it once (villages.services.set_public_address); until then SITE_URL is used
(required with PRODUCTION=1), and the head's certificate pages warn while it is a loopback address.
It is a village's setting rather than a site one because administrators act within a village; in a
county every village normally gives the same address, or leaves it blank and relies on SITE_URL."""

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

from villages.models import Village


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
