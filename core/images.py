"""Turn hostile uploaded bytes into a clean, re-encoded image (ARCHITECTURE invariant 7).

Order matters: the size is checked before the body is read, the pixel count from the header
before any pixel is decoded, and only the formats we accept may decode at all. What comes out
is a new file drawn from decoded pixels: oriented, converted to sRGB, no metadata of any kind.
"""

from __future__ import annotations

import io
import os
import uuid
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

from core.exceptions import ApplicationError

register_heif_opener()

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
ACCEPTED_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")
# Pillow only warns between MAX_IMAGE_PIXELS and twice that; we check the header ourselves, and
# keep Pillow's own guard as a second line that errors at our limit.
Image.MAX_IMAGE_PIXELS = None


class ImageRejected(ApplicationError):
    code = "invalid_image"


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    width: int
    height: int
    format: str


def _srgb(img: Image.Image) -> Image.Image:
    icc = img.info.get("icc_profile")
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            mode = "RGBA" if "A" in img.getbands() else "RGB"
            converted = ImageCms.profileToProfile(img, src, dst, outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass  # a broken profile: fall back to plain conversion below
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        return img.convert("RGBA")
    return img.convert("RGB")


def image_clean(
    *,
    upload: IO[bytes],
    name: str = "",
    size: int | None = None,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    max_side: int | None = None,
) -> CleanImage:
    """Validate and re-encode an uploaded image; raise ImageRejected with a reason if hostile."""
    max_bytes = max_bytes or settings.PASSAPAROLA_IMAGE_MAX_BYTES
    max_pixels = max_pixels or settings.PASSAPAROLA_IMAGE_MAX_PIXELS
    if size is None:
        size = getattr(upload, "size", None)
    if size is not None and size > max_bytes:
        raise ImageRejected(
            _("The file is too large: the limit is %(limit)d MB.")
            % {"limit": max(1, max_bytes // (1024 * 1024))},
            code="file_too_large",
        )
    if size == 0:
        raise ImageRejected(_("The file is empty."), code="empty_file")
    ext = os.path.splitext(name)[1].lower()
    if name and ext not in ACCEPTED_EXTENSIONS:
        raise ImageRejected(
            _("Only JPEG, PNG, WebP and HEIC photos are accepted."), code="unsupported_format"
        )
    try:
        upload.seek(0)
        with Image.open(upload, formats=ACCEPTED_FORMATS) as img:
            width, height = img.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise ImageRejected(
                    _("The image is too big: at most %(mp)d megapixels are accepted.")
                    % {"mp": max(1, max_pixels // 1_000_000)},
                    code="too_many_pixels",
                )
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            img.load()
            img = ImageOps.exif_transpose(img)
            img = _srgb(img)
    except ImageRejected:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, SyntaxError):
        raise ImageRejected(
            _("This file is not a JPEG, PNG, WebP or HEIC photo."), code="unsupported_format"
        ) from None
    except (OSError, ValueError, EOFError):
        raise ImageRejected(
            _("The image is damaged or incomplete; please upload it again."), code="corrupt_image"
        ) from None

    if max_side and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)

    out = io.BytesIO()
    if img.mode == "RGBA":
        img.save(out, format="PNG", optimize=True)
        fmt, suffix = "PNG", "png"
    else:
        img.save(out, format="JPEG", quality=85, optimize=True, progressive=True)
        fmt, suffix = "JPEG", "jpg"
    content = ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{suffix}")
    return CleanImage(content=content, width=img.width, height=img.height, format=fmt)
