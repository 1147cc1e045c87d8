"""Turn hostile uploaded bytes into a clean, re-encoded image (ARCHITECTURE invariant 7).

Order matters: the size is checked before the body is read, the pixel count from the header
before any pixel is decoded, and only the formats we accept may decode at all. What comes out
is a new file drawn from decoded pixels: oriented, converted to 8-bit sRGB, no metadata of any
kind (no EXIF, XMP, ICC profile, comment or text chunk).

Besides what cannot be decoded, three kinds of honest-looking file are refused, because no camera
or editor makes them and each is the shape of an attack: a file that also carries web page code
(a PNG+HTML or JPEG+PHP polyglot), a file far larger than its pixels could need (megabytes of
metadata or appended data behind a thumbnail), and an animation of more than `MAX_FRAMES` frames.
"""

from __future__ import annotations

import io
import os
import uuid
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, PngImagePlugin, UnidentifiedImageError
from pillow_heif import register_heif_opener

from core.exceptions import ApplicationError

register_heif_opener()

ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
ACCEPTED_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")
# What we wrote ourselves: the re-encoded originals that thumbnails are made from.
STORED_FORMATS = ("JPEG", "PNG")
# Markup that makes a file a web page or a script as well as an image (matched lower-cased).
MARKUP = (b"<script", b"<html", b"<!doctype html", b"<body", b"<iframe", b"<svg", b"<?php")
_MARKUP_OVERLAP = max(len(marker) for marker in MARKUP) - 1
# A file may exceed its pixels' raw size (8 bytes a pixel: 16-bit RGBA) by this much at most;
# above that it carries something else: metadata, a second file, padding.
EXTRA_BYTES_ALLOWED = 1024 * 1024
MAX_FRAMES = 200
# Text chunks of a PNG decompressed while it is opened, all chunks together (Pillow's own
# default is 64 MB, a compression bomb's room to work in).
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024

# Pillow warns above MAX_IMAGE_PIXELS and raises DecompressionBombError above twice that. We
# check the header against our limit ourselves before decoding, and keep Pillow's guard as a
# second line that errors (never merely warns) at that same limit: half of it here, so Pillow's
# "twice" lands on our limit (`_pillow_guard_set`). The warning between half and the limit is
# then noise about images we accept, and `image_open` silences it.


def _pillow_guard_set(max_pixels: int) -> None:
    """Make Pillow raise DecompressionBombError for anything over `max_pixels`."""
    Image.MAX_IMAGE_PIXELS = (max_pixels + 1) // 2


_pillow_guard_set(settings.PASSAPAROLA_IMAGE_MAX_PIXELS)


class ImageRejected(ApplicationError):
    code = "invalid_image"


@dataclass(frozen=True)
class CleanImage:
    content: ContentFile
    width: int
    height: int
    format: str


def upload_size(upload: IO[bytes]) -> int:
    """Size of a file-like object without reading it (`.size` when it has one, else a seek)."""
    size = getattr(upload, "size", None)
    if size is not None:
        return int(size)
    position = upload.tell()
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(position)
    return size


def _too_many_pixels(max_pixels: int) -> ImageRejected:
    return ImageRejected(
        _("The image is too big: at most %(mp)d megapixels are accepted.")
        % {"mp": max(1, max_pixels // 1_000_000)},
        code="too_many_pixels",
    )


def _carries_markup(upload: IO[bytes]) -> bool:
    """Whether the bytes contain HTML, SVG, PHP or script markup anywhere (read in chunks)."""
    upload.seek(0)
    tail = b""
    while chunk := upload.read(1024 * 1024):
        window = (tail + chunk).lower()
        if any(marker in window for marker in MARKUP):
            return True
        tail = window[-_MARKUP_OVERLAP:]
    return False


def _eight_bit(img: Image.Image) -> Image.Image:
    """Bring 16-bit and 32-bit greyscale down to 8 bits by scaling, not by clipping."""
    if img.mode.startswith("I;16") or img.mode == "I":
        # convert("L") would clip everything above 255 to white; scale 0..65535 to 0..255.
        return img.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if img.mode == "F":
        return img.point(lambda value: value * 255).convert("L")
    return img


def _srgb(img: Image.Image) -> Image.Image:
    """8-bit sRGB (RGB, or RGBA when the image has any transparency channel or key)."""
    icc = img.info.get("icc_profile")
    transparent = img.mode in ("RGBA", "LA", "La", "RGBa", "PA") or (
        img.mode in ("P", "L", "RGB") and "transparency" in img.info
    )
    img = _eight_bit(img)
    mode = "RGBA" if transparent else "RGB"
    if icc:
        try:
            src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            dst = ImageCms.createProfile("sRGB")
            converted = ImageCms.profileToProfile(img, src, dst, outputMode=mode)
            if converted is not None:
                return converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken or mismatched profile: fall back to plain conversion below
    return img.convert(mode)


def _without_metadata(img: Image.Image) -> Image.Image:
    """Forget everything the decoder read besides pixels, so no encoder can write it back.

    Pillow's encoders copy some of `info` into the output on their own (a JPEG's comment, a
    PNG's ICC profile and transparency key), so the dictionary is emptied, not just ignored.
    """
    img.info = {}
    return img


def image_open(
    *, upload: IO[bytes], max_pixels: int, formats: Sequence[str] = ACCEPTED_FORMATS
) -> Image.Image:
    """Decode the first frame of an image of an accepted format, at most `max_pixels` large.

    The pixel count is read from the header and checked before any pixel is decoded. Returns
    an 8-bit sRGB image, oriented, with no metadata left. Raises ImageRejected.
    """
    _pillow_guard_set(max(max_pixels, settings.PASSAPAROLA_IMAGE_MAX_PIXELS))
    try:
        upload.seek(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(upload, formats=tuple(formats))
        with img:
            width, height = img.size
            if width < 1 or height < 1 or width * height > max_pixels:
                raise _too_many_pixels(max_pixels)
            if upload_size(upload) > width * height * 8 + EXTRA_BYTES_ALLOWED:
                raise ImageRejected(
                    _(
                        "This file carries much more data than its picture needs (hidden "
                        "metadata or another file); please upload the photo itself."
                    ),
                    code="hidden_data",
                )
            frames = getattr(img, "n_frames", 1)
            if frames > MAX_FRAMES:
                raise ImageRejected(
                    _("An animation may have at most %(frames)d frames.") % {"frames": MAX_FRAMES},
                    code="too_many_frames",
                )
            if frames > 1:
                img.seek(0)  # animated WebP/PNG: the first frame only
            img.load()
            oriented = ImageOps.exif_transpose(img)
            clean = _srgb(oriented)
    except ImageRejected:
        raise
    except Image.DecompressionBombError:
        raise _too_many_pixels(max_pixels) from None
    except (UnidentifiedImageError, SyntaxError):
        raise ImageRejected(
            _("This file is not a JPEG, PNG, WebP or HEIC photo."), code="unsupported_format"
        ) from None
    except (OSError, ValueError, EOFError, MemoryError):
        # ValueError includes Pillow's refusal of oversized compressed text and ICC chunks.
        raise ImageRejected(
            _("The image is damaged or incomplete; please upload it again."), code="corrupt_image"
        ) from None
    return _without_metadata(clean)


def image_clean(
    *,
    upload: IO[bytes],
    name: str = "",
    size: int | None = None,
    max_bytes: int | None = None,
    max_pixels: int | None = None,
    max_side: int | None = None,
) -> CleanImage:
    """Validate and re-encode an uploaded image; raise ImageRejected with a reason if hostile.

    The result is a JPEG (a PNG when the image has transparency) under a random name, never
    the uploaded one. `max_bytes` and `max_pixels` default to the site-wide limits.
    """
    max_bytes = max_bytes or settings.PASSAPAROLA_IMAGE_MAX_BYTES
    max_pixels = max_pixels or settings.PASSAPAROLA_IMAGE_MAX_PIXELS
    if size is None:
        size = upload_size(upload)
    if size > max_bytes:
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
    img = image_open(upload=upload, max_pixels=max_pixels)
    # A real image that is also a web page or a script (a polyglot): whatever is not a picture
    # at all was refused above as one.
    if _carries_markup(upload):
        raise ImageRejected(
            _("This file carries web page code (HTML, SVG or script); upload a plain photo."),
            code="active_content",
        )

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


def image_thumbnails(
    *, source: IO[bytes], widths: Sequence[int], quality: int = 80
) -> list[CleanImage]:
    """WebP copies of an image we stored ourselves, one per width, never wider than the source.

    Only our own re-encoded formats may decode here; the result carries no metadata. Names
    are left to the caller (`content.name` is empty).
    """
    img = image_open(
        upload=source, max_pixels=settings.PASSAPAROLA_IMAGE_MAX_PIXELS, formats=STORED_FORMATS
    )
    results = []
    for width in widths:
        target = min(width, img.width)
        height = max(1, round(img.height * target / img.width))
        resized = (
            img if target == img.width else img.resize((target, height), Image.Resampling.LANCZOS)
        )
        out = io.BytesIO()
        _without_metadata(resized).save(out, format="WEBP", quality=quality, method=4)
        results.append(
            CleanImage(
                content=ContentFile(out.getvalue()), width=target, height=height, format="WEBP"
            )
        )
    return results
