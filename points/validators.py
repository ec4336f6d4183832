"""Checks on what scorers upload: photos are judged by their content, never by their name."""

import io
import warnings
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_UPLOAD_MB = 8
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 1024 * 1024
MAX_MEGAPIXELS = 40
MAX_PIXELS = MAX_MEGAPIXELS * 1_000_000
# A long side of 1600 px shows a fence, a litter heap or a repaired path clearly and keeps
# the stored JPEG near 200 KB.
MAX_SIDE = 1600
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}


@dataclass(frozen=True)
class CleanPhoto:
    """A photo that passed `clean_photo`: JPEG bytes, at most MAX_SIDE px long, without metadata."""

    jpeg: bytes


def clean_photo(upload: IO[bytes] | bytes) -> CleanPhoto:
    """Check an uploaded photo by content, size and pixel count, and re-encode it as a JPEG.

    Re-encoding keeps only the pixels (turned upright first), so EXIF data such as the GPS
    position and the phone's serial number never reach the disk. The pixel count is read from
    the header and checked before any decoding, so a small file claiming 30000×30000 pixels
    cannot make the server allocate gigabytes. Raises ValidationError with a translated message."""
    data = upload if isinstance(upload, bytes) else _read(upload)
    if not data:
        raise ValidationError(_("The photo is empty. Take the photo again."), code="photo_empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(
            _("The photo is larger than %(mb)d MB. Take it again at a lower resolution."),
            code="photo_too_large",
            params={"mb": MAX_UPLOAD_MB},
        )
    too_many_pixels = ValidationError(
        _("The photo has more than %(mp)d million pixels. Take it again at a lower resolution."),
        code="photo_too_many_pixels",
        params={"mp": MAX_MEGAPIXELS},
    )
    not_a_photo = ValidationError(
        _("This file is not a photo (JPEG, PNG or WebP). Choose a photo."), code="photo_not_an_image"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))  # reads the header only
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise too_many_pixels from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise not_a_photo from None
        if image.format not in ACCEPTED_FORMATS:
            raise not_a_photo
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise too_many_pixels
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            out = io.BytesIO()
            image.save(out, format="JPEG", quality=82, optimize=True)
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ValidationError(
                _("The photo is damaged and cannot be read. Take it again."), code="photo_damaged"
            ) from None
    return CleanPhoto(jpeg=out.getvalue())


def _read(upload: IO[bytes]) -> bytes:
    """Read at most one byte past the limit: an oversized upload is refused without reading it all."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    return upload.read(MAX_UPLOAD_BYTES + 1)
