"""A corpus of hostile and awkward image files, generated on the fly (nothing binary is committed).

Each generator returns bytes; `HOSTILE` and `BENIGN` list them with the name they are uploaded
under and what the pipeline must answer. The expensive ones are cached for the session.
"""

from __future__ import annotations

import functools
import io
import struct
import zlib
from dataclasses import dataclass

from PIL import Image, ImageCms
from pillow_heif import register_heif_opener

from tests import imagefiles

register_heif_opener()

SCRIPT = b"<script>alert(document.domain)</script>"
HTML_PAGE = b"<!doctype html><html><body>" + SCRIPT + b"</body></html>"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, depth: int, colour: int, idat: bytes, *extra: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + b"".join(extra)
        + _chunk(b"IDAT", idat)
        + _chunk(b"IEND", b"")
    )


def _deflate_repeated(block: bytes, times: int) -> bytes:
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(block) for _ in range(times)]
    parts.append(compressor.flush())
    return b"".join(parts)


# --- Bombs -----------------------------------------------------------------------------------


@functools.cache
def pixel_bomb_png(side: int = 30_000) -> bytes:
    """A real, fully valid 1-bit PNG of side x side pixels (900 megapixels) in about 100 KB."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    rows_per_block = 1000
    idat = _deflate_repeated(row * rows_per_block, side // rows_per_block)
    return _png(side, side, 1, 0, idat)


def header_bomb_png(side: int = 60_000) -> bytes:
    """A tiny PNG whose header claims side x side pixels; its data is not even there."""
    return imagefiles.png_header_claiming(side, side)


def huge_dimensions_jpeg(width: int = 65_000, height: int = 65_000) -> bytes:
    """A real small JPEG whose frame header is patched to claim huge dimensions."""
    data = bytearray(imagefiles.jpeg_bytes(size=(16, 16), gps=False))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


@functools.cache
def compression_bomb_text_png() -> bytes:
    """A 4x4 PNG carrying a zTXt chunk that inflates to 64 MB of zeros (from ~64 KB)."""
    bomb = _deflate_repeated(b"\x00" * (1024 * 1024), 64)
    text = _chunk(b"zTXt", b"Comment\x00\x00" + bomb)
    return _png(4, 4, 8, 0, zlib.compress(b"\x00" * 5 * 4), text)


@functools.cache
def compression_bomb_idat_png() -> bytes:
    """A 64x64 PNG whose image data stream inflates to 64 MB, far more than its pixels need."""
    return _png(64, 64, 8, 0, _deflate_repeated(b"\x00" * (1024 * 1024), 64))


# --- Polyglots and impostors -----------------------------------------------------------------


def polyglot_png_html() -> bytes:
    """A valid PNG that is also an HTML page: markup in a text chunk and after IEND."""
    base = imagefiles.png_bytes((24, 24))
    text = _chunk(b"tEXt", b"Comment\x00" + HTML_PAGE)
    return base[:33] + text + base[33:] + HTML_PAGE


def polyglot_gif_js() -> bytes:
    """A GIF that is also JavaScript: `GIF89a/*...*/=alert(1)` (its width bytes open a comment)."""
    out = io.BytesIO()
    Image.new("P", (8, 8)).save(out, format="GIF")
    data = bytearray(out.getvalue())
    data[6:8] = b"/*"
    return bytes(data) + b"*/=alert(document.domain);//"


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
        + SCRIPT
        + b'<rect width="64" height="64" fill="red"/></svg>'
    )


def saved_as(fmt: str, size: tuple[int, int] = (16, 16)) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, (200, 30, 30))
    if fmt == "GIF":
        img = img.convert("P")
    img.save(out, format=fmt)
    return out.getvalue()


def psd_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    """A minimal valid Photoshop file (Pillow reads but cannot write PSD)."""
    width, height = size
    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, height, width, 8, 3)
    sections = struct.pack(">III", 0, 0, 0)  # colour mode data, resources, layers: empty
    pixels = struct.pack(">H", 0) + b"\xc8" * width * height + b"\x1e" * width * height * 2
    return header + sections + pixels


def truncated_jpeg() -> bytes:
    data = imagefiles.noisy_jpeg_bytes()
    return data[: len(data) // 2]


def truncated_png() -> bytes:
    data = imagefiles.png_bytes((300, 300))
    return data[: len(data) // 2]


# --- Honest photos with awkward insides ------------------------------------------------------


def gps_jpeg() -> bytes:
    """A phone photo: EXIF with camera make, model, orientation and GPS position."""
    return imagefiles.jpeg_bytes(size=(64, 48))


def metadata_jpeg() -> bytes:
    """A JPEG carrying every kind of metadata block: EXIF+GPS, XMP, an ICC profile, a comment."""
    out = io.BytesIO()
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>SpyCam GPS</rdf:RDF></x:xmpmeta>'
    imagefiles.two_colour_image((64, 48)).save(
        out,
        format="JPEG",
        exif=imagefiles.exif_with_gps(),
        icc_profile=icc,
        comment=b"SpyCam serial 123456",
        xmp=xmp,
    )
    return out.getvalue()


def metadata_png() -> bytes:
    """A PNG with EXIF+GPS, an ICC profile and text chunks."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "SpyCam serial 123456")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>SpyCam GPS</x:xmpmeta>")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    imagefiles.two_colour_image((64, 48)).save(
        out, format="PNG", pnginfo=info, icc_profile=icc, exif=imagefiles.exif_with_gps()
    )
    return out.getvalue()


def heic_with_gps() -> bytes:
    out = io.BytesIO()
    imagefiles.two_colour_image((64, 48)).save(
        out, format="HEIF", exif=imagefiles.exif_with_gps().tobytes()
    )
    return out.getvalue()


def cmyk_jpeg() -> bytes:
    """A print-shop JPEG: CMYK, pure cyan."""
    out = io.BytesIO()
    Image.new("CMYK", (64, 48), (255, 0, 0, 0)).save(out, format="JPEG", quality=95)
    return out.getvalue()


def png_16bit_grey(level: int = 32_896) -> bytes:
    """A 16-bit greyscale PNG at mid grey (naive conversion clips it to white)."""
    row = b"\x00" + struct.pack(">H", level) * 64
    return _png(64, 48, 16, 0, zlib.compress(row * 48))


def png_16bit_rgba() -> bytes:
    row = b"\x00" + struct.pack(">HHHH", 65535, 0, 32768, 65535) * 64
    return _png(64, 48, 16, 6, zlib.compress(row * 48))


def png_la() -> bytes:
    out = io.BytesIO()
    Image.new("LA", (64, 48), (128, 100)).save(out, format="PNG")
    return out.getvalue()


def png_palette_transparent() -> bytes:
    img = Image.new("P", (64, 48), 1)
    img.putpalette([0, 0, 0, 220, 20, 20] + [0] * 762)
    img.putpixel((0, 0), 0)
    out = io.BytesIO()
    img.save(out, format="PNG", transparency=0)
    return out.getvalue()


def animated_webp() -> bytes:
    """Two frames, red then blue: only the first may survive."""
    frames = [
        Image.new("RGB", (64, 48), imagefiles.RED),
        Image.new("RGB", (64, 48), imagefiles.BLUE),
    ]
    out = io.BytesIO()
    frames[0].save(out, format="WEBP", save_all=True, append_images=frames[1:], lossless=True)
    return out.getvalue()


def animated_png() -> bytes:
    frames = [
        Image.new("RGB", (64, 48), imagefiles.RED),
        Image.new("RGB", (64, 48), imagefiles.BLUE),
    ]
    out = io.BytesIO()
    frames[0].save(out, format="PNG", save_all=True, append_images=frames[1:])
    return out.getvalue()


# --- The corpus ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    id: str
    name: str
    make: object  # a zero-argument callable returning bytes
    code: str

    def data(self) -> bytes:
        return self.make()  # type: ignore[operator]


HOSTILE: tuple[Hostile, ...] = (
    Hostile("pixel-bomb-png-30000x30000", "bomb.png", pixel_bomb_png, "too_many_pixels"),
    Hostile("header-bomb-png-60000x60000", "bomb.png", header_bomb_png, "too_many_pixels"),
    Hostile("huge-dimensions-jpeg", "huge.jpg", huge_dimensions_jpeg, "too_many_pixels"),
    Hostile("compression-bomb-ztxt", "bomb.png", compression_bomb_text_png, "corrupt_image"),
    Hostile("polyglot-gif-js-as-jpg", "funny.jpg", polyglot_gif_js, "unsupported_format"),
    Hostile("polyglot-gif-js-as-gif", "funny.gif", polyglot_gif_js, "unsupported_format"),
    Hostile("truncated-jpeg", "cut.jpg", truncated_jpeg, "corrupt_image"),
    Hostile("truncated-png", "cut.png", truncated_png, "corrupt_image"),
    Hostile("zero-bytes", "empty.jpg", lambda: b"", "empty_file"),
    Hostile("png-named-txt", "photo.txt", imagefiles.png_bytes, "unsupported_format"),
    Hostile("html-named-jpg", "photo.jpg", lambda: HTML_PAGE, "unsupported_format"),
    Hostile("svg-with-script", "drawing.svg", svg_with_script, "unsupported_format"),
    Hostile("svg-with-script-as-png", "drawing.png", svg_with_script, "unsupported_format"),
    Hostile("gif-as-jpg", "photo.jpg", lambda: saved_as("GIF"), "unsupported_format"),
    Hostile("bmp-as-jpg", "photo.jpg", lambda: saved_as("BMP"), "unsupported_format"),
    Hostile("tiff-as-jpg", "photo.jpg", lambda: saved_as("TIFF"), "unsupported_format"),
    Hostile("ico-as-jpg", "photo.jpg", lambda: saved_as("ICO"), "unsupported_format"),
    Hostile("psd-as-jpg", "photo.jpg", psd_bytes, "unsupported_format"),
    Hostile(
        "pdf-as-jpg",
        "scan.jpg",
        lambda: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n",
        "unsupported_format",
    ),
)

# Accepted, and stored clean: (id, upload name, generator).
BENIGN: tuple[tuple[str, str, object], ...] = (
    ("gps-jpeg", "phone.jpg", gps_jpeg),
    ("every-metadata-jpeg", "camera.jpg", metadata_jpeg),
    ("every-metadata-png", "screenshot.png", metadata_png),
    ("heic-with-gps", "IMG_0001.HEIC", heic_with_gps),
    ("gps-webp", "phone.webp", imagefiles.webp_bytes),
    ("polyglot-png-html", "innocent.png", polyglot_png_html),
    ("compression-bomb-idat", "dense.png", compression_bomb_idat_png),
    ("cmyk-jpeg", "print.jpg", cmyk_jpeg),
    ("16-bit-grey-png", "scan.png", png_16bit_grey),
    ("16-bit-rgba-png", "scan.png", png_16bit_rgba),
    ("la-png", "shadow.png", png_la),
    ("palette-transparent-png", "logo.png", png_palette_transparent),
    ("animated-webp", "loop.webp", animated_webp),
    ("animated-png", "loop.png", animated_png),
)
