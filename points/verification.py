"""The signed code in a certificate's QR code, and what verifying it says.

The code is the serial number and an HMAC of it (django.core.signing, keyed by SECRET_KEY with a
salt of its own): `DDLJ-2026-0001.<43 URL-safe characters>`. Changing any character of either part
fails the check. No timestamp is signed, so the code of a certificate never changes and a reprint
carries the same QR code. Rotating SECRET_KEY keeps old codes valid only while the old key is
listed in SECRET_KEY_FALLBACKS.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core import signing
from django.db.models import Max
from django.urls import reverse

from points.certificates import CertificateData
from points.models import Certificate
from villages.benefits import benefits_for
from villages.models import Benefit, Village
from villages.public_address import public_address

SALT = "points.certificate.verify"
SEPARATOR = "."  # never in a serial nor in URL-safe base64, and safe in a URL path


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, sep=SEPARATOR)


def code_for(certificate: Certificate) -> str:
    return _signer().sign(certificate.serial)


def serial_from(code: str) -> str | None:
    """The serial a genuine code was made for, or None for anything else."""
    try:
        return _signer().unsign(code)
    except signing.BadSignature:
        return None


SERIAL = re.compile(r"^[A-Z0-9]+-\d{4}-\d+$")


def looks_like_serial(text: str) -> bool:
    """A serial number typed alone (DDLJ-2026-0001): it names a certificate but proves nothing."""
    return bool(SERIAL.match(text.strip().upper()))


def verify_path(certificate: Certificate) -> str:
    return reverse("points:verify", args=[code_for(certificate)])


def verify_url(certificate: Certificate) -> str:
    """The absolute address printed in the QR code: the village's public address (else SITE_URL)."""
    return Printing(certificate.village).verify_url(certificate)


def certificate_data(certificate: Certificate) -> CertificateData:
    """What the PDF shows, all from the record: the same certificate renders to the same bytes."""
    return Printing(certificate.village).data(certificate)


_CODE = "CODE"  # stands for the code while the verify URL's path is reversed (its last occurrence)


class Printing:
    """What the certificates of one village share when they are printed, worked out once: the
    signer, the verify address around the code, and the benefits of each grade on each day. A batch
    prints a thousand certificates through one, so a page costs one signature (no URL reversal,
    no query) beyond its drawing; a single certificate makes its own.

    The benefits are those the grade gave on the day of issue (villages.benefits): benefits are
    ended, never edited or deleted, so a reprint lists the same ones."""

    def __init__(self, village: Village) -> None:
        self.village = village
        self._signer = _signer()
        # The code is unreserved text (serial, ".", URL-safe base64): reverse() would not quote it.
        before, _, after = reverse("points:verify", args=[_CODE]).rpartition(_CODE)
        self._before, self._after = public_address(village) + before, after
        self._benefits: dict[tuple[str, date], tuple[str, ...]] = {}

    def verify_url(self, certificate: Certificate) -> str:
        return f"{self._before}{self._signer.sign(certificate.serial)}{self._after}"

    def data(self, certificate: Certificate) -> CertificateData:
        """The certificate's CertificateData (one of this village's certificates)."""
        day = issued_on(certificate)
        key = (certificate.grade, day)
        if key not in self._benefits:
            found = benefits_for(village=self.village, grade=certificate.grade, on=day)
            self._benefits[key] = tuple(f"{b.text} ({b.provider})" for b in found)
        return CertificateData(
            serial=certificate.serial,
            village_name=certificate.village_name,
            seal_text=certificate.seal_text,
            resident_name=certificate.resident_name,
            grade=certificate.grade,
            balance=certificate.balance,
            issued_on=day,
            verify_url=self.verify_url(certificate),
            benefits=self._benefits[key],
        )


def issued_on(certificate: Certificate) -> date:
    """The day of issue in the village's own time zone."""
    return certificate.issued_at.astimezone(certificate.village.tzinfo).date()


@dataclass(frozen=True)
class Verdict:
    certificate: Certificate
    status: str  # "current", "superseded" or "revoked"
    superseded_on: datetime | None = None

    @property
    def issued_on(self) -> date:
        return issued_on(self.certificate)

    @property
    def revoked_on(self) -> date | None:
        revoked_at = self.certificate.revoked_at
        return revoked_at.astimezone(self.certificate.village.tzinfo).date() if revoked_at else None


def verify(code: str) -> Verdict | None:
    """What a scanned code says, or None if it is not a genuine certificate's code. Two queries.

    Only the newest certificate issued to a resident is current: an older one is superseded by a
    newer one that still stands. A revoked certificate supersedes nothing (it was issued in error),
    so the checker is never sent to ask for a certificate that is no longer valid."""
    serial = serial_from(code)
    if serial is None:
        return None
    certificate = Certificate.objects.select_related("village").filter(serial=serial).first()
    if certificate is None:
        return None
    if certificate.is_revoked:
        return Verdict(certificate, "revoked")
    newer = (
        Certificate.objects.filter(resident_id=certificate.resident_id, pk__gt=certificate.pk, revoked_at__isnull=True)
        .order_by("pk")
        .values_list("issued_at", flat=True)
        .first()
    )
    if newer is not None:
        return Verdict(certificate, "superseded", superseded_on=newer)
    return Verdict(certificate, "current")


def benefits_today(verdict: Verdict) -> list[Benefit]:
    """What the grade of a current certificate gives today, for /verify/: the grade's benefits and
    nothing about the holder. None for a superseded or revoked certificate."""
    if verdict.status != "current":
        return []
    village = verdict.certificate.village
    return benefits_for(village=village, grade=verdict.certificate.grade, on=village.today())


def statuses(certificates: list[Certificate]) -> dict[int, str]:
    """Each certificate's status ("current", "superseded" or "revoked") by pk, as verify() would
    say it. One query for any number of certificates."""
    latest = dict(
        Certificate.objects.filter(resident__in={c.resident_id for c in certificates}, revoked_at__isnull=True)
        .values_list("resident")
        .annotate(latest=Max("pk"))
        .values_list("resident", "latest")
    )
    result = {}
    for certificate in certificates:
        if certificate.is_revoked:
            result[certificate.pk] = "revoked"
        elif latest.get(certificate.resident_id, certificate.pk) > certificate.pk:
            result[certificate.pk] = "superseded"
        else:
            result[certificate.pk] = "current"
    return result
