"""Image files made on the fly for upload tests: honest photos and hostile ones."""

from __future__ import annotations

import io
import random
import struct
import zlib

from PIL import ExifTags, Image

RED = (220, 20, 20)
BLUE = (20, 20, 220)

SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>'
)
HTML_PAGE = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def two_colour_image(size: tuple[int, int] = (40, 20), mode: str = "RGB") -> Image.Image:
    """Left half red, right half blue: enough to tell which way an image was turned."""
    width, height = size
    fill = (*RED, 255) if mode == "RGBA" else RED
    img = Image.new(mode, size, fill)
    img.paste((*BLUE, 255) if mode == "RGBA" else BLUE, (width // 2, 0, width, height))
    return img


def exif_with_gps(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Model] = "Tracker 3000"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (45.0, 27.0, 51.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (9.0, 11.0, 25.0),
    }
    return exif


def jpeg_bytes(
    size: tuple[int, int] = (40, 20), *, orientation: int = 1, gps: bool = True
) -> bytes:
    """A JPEG carrying camera EXIF (orientation, make, model and, unless told, GPS)."""
    exif = exif_with_gps(orientation)
    if not gps:
        del exif[ExifTags.IFD.GPSInfo]
    out = io.BytesIO()
    two_colour_image(size).save(out, format="JPEG", quality=95, exif=exif)
    return out.getvalue()


def png_bytes(size: tuple[int, int] = (40, 20), *, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    img = two_colour_image(size, mode=mode if mode in ("RGB", "RGBA") else "RGB")
    if mode not in ("RGB", "RGBA"):
        img = img.convert(mode)
    img.save(out, format="PNG")
    return out.getvalue()


def webp_bytes(size: tuple[int, int] = (40, 20)) -> bytes:
    out = io.BytesIO()
    two_colour_image(size).save(out, format="WEBP", exif=exif_with_gps())
    return out.getvalue()


def gif_bytes(size: tuple[int, int] = (10, 10)) -> bytes:
    out = io.BytesIO()
    Image.new("P", size).save(out, format="GIF")
    return out.getvalue()


def noisy_jpeg_bytes(size: tuple[int, int] = (300, 300)) -> bytes:
    """A JPEG that does not compress to almost nothing, so cutting it loses real data."""
    rng = random.Random(7)
    raw = bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 3))
    out = io.BytesIO()
    Image.frombytes("RGB", size, raw).save(out, format="JPEG", quality=90)
    return out.getvalue()


def black_png_bytes(size: tuple[int, int]) -> bytes:
    """A real, fully decodable all-black PNG: many pixels in few bytes."""
    out = io.BytesIO()
    Image.new("L", size, 0).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a decompression bomb's face."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


def has_metadata(data: bytes) -> bool:
    """Whether an encoded image still carries EXIF (any tag), GPS or XMP."""
    with Image.open(io.BytesIO(data)) as img:
        exif = img.getexif()
        return bool(
            len(exif)
            or exif.get_ifd(ExifTags.IFD.GPSInfo)
            or "exif" in img.info
            or "xmp" in img.info
            or b"GPS" in data
            or b"SpyCam" in data
        )
