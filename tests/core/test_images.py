"""Uploads are hostile until re-encoded (ARCHITECTURE invariant 7)."""

from __future__ import annotations

import io
import warnings

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from core.images import ImageRejected, image_clean, image_thumbnails
from tests import hostile
from tests import imagefiles as files


def _upload(data: bytes, name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def _clean(data: bytes, name: str = "photo.jpg", **limits: int):
    return image_clean(upload=_upload(data, name), name=name, **limits)


def _decoded(content) -> Image.Image:
    content.seek(0)
    img = Image.open(io.BytesIO(content.read()))
    img.load()
    return img


def _rejection(data: bytes, name: str = "photo.jpg", **limits: int) -> ImageRejected:
    with pytest.raises(ImageRejected) as excinfo:
        _clean(data, name, **limits)
    assert str(excinfo.value.message)  # every refusal says why
    return excinfo.value


# --- Accepted --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "out_format"),
    [
        (files.jpeg_bytes(), "photo.jpg", "JPEG"),
        (files.jpeg_bytes(), "PHOTO.JPEG", "JPEG"),
        (files.png_bytes(), "drawing.png", "JPEG"),
        (files.png_bytes(mode="RGBA"), "sticker.png", "PNG"),
        (files.png_bytes(mode="P"), "palette.png", "JPEG"),
        (files.png_bytes(mode="L"), "grey.png", "JPEG"),
        (files.webp_bytes(), "phone.webp", "WEBP"),
    ],
    ids=["jpeg", "jpeg-upper-ext", "png", "rgba-png", "palette-png", "grey-png", "webp"],
)
def test_valid_image_is_re_encoded(data: bytes, name: str, out_format: str) -> None:
    clean = _clean(data, name)

    img = _decoded(clean.content)
    expected = "PNG" if out_format == "PNG" else "JPEG"  # WebP comes out as JPEG
    assert clean.format == expected
    assert img.format == expected
    assert (clean.width, clean.height) == img.size == (40, 20)
    assert clean.content.name.endswith(".png" if expected == "PNG" else ".jpg")
    assert name.lower().rsplit(".", 1)[0] not in clean.content.name  # never the given name
    clean.content.seek(0)
    assert clean.content.read() != data


def test_rgba_png_keeps_its_transparency() -> None:
    img = files.two_colour_image(mode="RGBA")
    img.putpixel((0, 0), (0, 0, 0, 0))
    out = io.BytesIO()
    img.save(out, format="PNG")

    clean = _clean(out.getvalue(), "sticker.png")

    decoded = _decoded(clean.content)
    assert clean.format == "PNG"
    assert decoded.mode == "RGBA"
    assert decoded.getpixel((0, 0))[3] == 0
    assert decoded.getpixel((39, 19))[3] == 255


@pytest.mark.parametrize("data", [files.jpeg_bytes(), files.webp_bytes()], ids=["jpeg", "webp"])
def test_gps_and_every_exif_tag_are_stripped(data: bytes) -> None:
    assert files.has_metadata(data)  # the input really carries them

    clean = _clean(data, "photo.jpg" if data[:2] == b"\xff\xd8" else "photo.webp")

    clean.content.seek(0)
    assert not files.has_metadata(clean.content.read())


@pytest.mark.parametrize(
    ("orientation", "size", "top_left_colour"),
    [
        (1, (40, 20), files.RED),  # as stored
        (3, (40, 20), files.BLUE),  # upside down: blue half comes to the left
        (6, (20, 40), files.RED),  # rotate 90 clockwise: the left (red) half goes to the top
        (8, (20, 40), files.BLUE),  # rotate 90 counter-clockwise: the right (blue) half on top
    ],
)
def test_exif_orientation_is_applied(
    orientation: int, size: tuple[int, int], top_left_colour: tuple[int, int, int]
) -> None:
    clean = _clean(files.jpeg_bytes(orientation=orientation), "photo.jpg")

    img = _decoded(clean.content)
    assert img.size == size == (clean.width, clean.height)
    assert img.getexif().get(0x0112) is None  # not rotated twice by a viewer
    pixel = img.convert("RGB").getpixel((2, 2))
    assert all(abs(a - b) < 40 for a, b in zip(pixel, top_left_colour, strict=True))


def test_max_side_shrinks_keeping_the_aspect_ratio() -> None:
    clean = _clean(files.jpeg_bytes(size=(400, 200)), "photo.jpg", max_side=100)

    assert (clean.width, clean.height) == (100, 50)
    assert _decoded(clean.content).size == (100, 50)


def test_image_exactly_at_the_pixel_limit_is_accepted() -> None:
    clean = _clean(files.black_png_bytes((1000, 1000)), "black.png", max_pixels=1_000_000)

    assert (clean.width, clean.height) == (1000, 1000)


def test_name_is_optional_and_content_decides() -> None:
    clean = image_clean(upload=io.BytesIO(files.png_bytes()))

    assert clean.format == "JPEG"


# --- Refused ---------------------------------------------------------------------------------


def test_header_claiming_too_many_pixels_is_refused_before_decoding(monkeypatch) -> None:
    def never_decode(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", never_decode)
    data = files.png_header_claiming(20_000, 20_000)
    assert len(data) < 200

    error = _rejection(data, "bomb.png")

    assert error.code == "too_many_pixels"


def test_real_compressed_image_over_the_pixel_limit_is_refused() -> None:
    data = files.black_png_bytes((1001, 1000))

    assert _rejection(data, "black.png", max_pixels=1_000_000).code == "too_many_pixels"


def test_pixel_limit_comes_from_settings(settings) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_PIXELS = 399

    assert _rejection(files.png_bytes((20, 20)), "small.png").code == "too_many_pixels"
    assert _clean(files.png_bytes((19, 21)), "small.png").width == 19


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_jpeg_is_refused_as_corrupt(cut: float) -> None:
    data = files.noisy_jpeg_bytes()

    error = _rejection(data[: int(len(data) * cut)], "cut.jpg")

    assert error.code == "corrupt_image"


def test_truncated_png_is_refused() -> None:
    data = files.png_bytes((300, 300))

    error = _rejection(data[: len(data) // 2], "cut.png")

    assert error.code in {"corrupt_image", "unsupported_format"}


def test_jpeg_header_only_is_refused() -> None:
    assert _rejection(files.jpeg_bytes()[:40], "stub.jpg").code in {
        "corrupt_image",
        "unsupported_format",
    }


def test_zero_bytes_is_refused_as_empty() -> None:
    assert _rejection(b"", "empty.jpg").code == "empty_file"


@pytest.mark.parametrize(
    "name", ["drawing.svg", "anim.gif", "page.html", "photo.jpg.html", "noext", "photo.JPG.exe"]
)
def test_wrong_extension_is_refused_even_with_a_real_photo(name: str) -> None:
    assert _rejection(files.jpeg_bytes(), name).code == "unsupported_format"


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (files.SVG_WITH_SCRIPT, "innocent.png"),
        (files.SVG_WITH_SCRIPT, "innocent.jpg"),
        (files.HTML_PAGE, "photo.jpg"),
        (files.gif_bytes(), "anim.png"),
        (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "scan.jpg"),
        (b"\x00" * 1024, "zeros.webp"),
    ],
    ids=["svg-as-png", "svg-as-jpg", "html-as-jpg", "gif-as-png", "pdf-as-jpg", "zeros"],
)
def test_content_that_is_not_an_accepted_image_is_refused(data: bytes, name: str) -> None:
    assert _rejection(data, name).code == "unsupported_format"


def test_over_the_byte_limit_is_refused_before_reading() -> None:
    class Unreadable(io.BytesIO):
        size = 2048

        def read(self, *args: object) -> bytes:
            raise AssertionError("the body was read")

    with pytest.raises(ImageRejected) as excinfo:
        image_clean(upload=Unreadable(), name="big.jpg", max_bytes=1024)

    assert excinfo.value.code == "file_too_large"


def test_byte_limit_comes_from_settings(settings) -> None:
    data = files.jpeg_bytes()
    settings.PASSAPAROLA_IMAGE_MAX_BYTES = len(data) - 1

    assert _rejection(data, "photo.jpg").code == "file_too_large"

    settings.PASSAPAROLA_IMAGE_MAX_BYTES = len(data)
    assert _clean(data, "photo.jpg").format == "JPEG"


def test_byte_limit_message_names_the_limit_in_megabytes() -> None:
    error = _rejection(b"x" * 3 * 1024 * 1024, "big.jpg", max_bytes=2 * 1024 * 1024)

    assert error.code == "file_too_large"
    assert "2 MB" in str(error.message)


def test_refusal_is_an_application_error_with_status_400() -> None:
    error = _rejection(b"", "empty.jpg")

    assert error.status_code == 400


# --- Hardening: Pillow's own guard, decoders, modes, metadata --------------------------------


@pytest.fixture(autouse=True)
def _pillow_guard_restored():
    """Tests that lower the pixel limit must not leave Pillow's global guard lowered."""
    previous = Image.MAX_IMAGE_PIXELS
    yield
    Image.MAX_IMAGE_PIXELS = previous


def test_pillow_guard_errors_at_our_pixel_limit(settings) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_PIXELS = 10_000
    _clean(files.png_bytes((100, 100)), "exact.png")  # exactly at the limit: accepted

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        with pytest.raises(Image.DecompressionBombError):
            Image.open(io.BytesIO(files.black_png_bytes((101, 100))))
        assert Image.open(io.BytesIO(files.black_png_bytes((100, 100)))).size == (100, 100)


def test_no_bomb_warning_for_images_under_the_limit(settings) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_PIXELS = 10_000

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clean = _clean(files.png_bytes((90, 90)), "between-half-and-limit.png")

    assert (clean.width, clean.height) == (90, 90)


@pytest.mark.parametrize(
    "case",
    hostile.HOSTILE,
    ids=[case.id for case in hostile.HOSTILE],
)
def test_hostile_corpus_gets_its_refusal(case: hostile.Hostile) -> None:
    assert _rejection(case.data(), case.name).code == case.code


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (hostile.metadata_jpeg, "camera.jpg"),
        (hostile.metadata_png, "screen.png"),
        (hostile.heic_with_gps, "IMG_0001.heic"),
    ],
    ids=["jpeg", "png", "heic"],
)
def test_no_metadata_block_survives(make, name: str) -> None:
    clean = _clean(make(), name)

    clean.content.seek(0)
    data = clean.content.read()
    img = _decoded(clean.content)
    assert not files.has_metadata(data)
    for key in ("exif", "xmp", "icc_profile", "comment", "Comment", "XML:com.adobe.xmp"):
        assert key not in img.info
    assert b"<script" not in data
    assert b"SpyCam" not in data


@pytest.mark.parametrize(
    ("make", "mode"),
    [
        (hostile.cmyk_jpeg, "RGB"),
        (hostile.png_16bit_grey, "RGB"),
        (hostile.png_16bit_rgba, "RGBA"),
        (hostile.png_la, "RGBA"),
        (hostile.png_palette_transparent, "RGBA"),
    ],
    ids=["cmyk", "16-bit-grey", "16-bit-rgba", "la", "palette-transparent"],
)
def test_awkward_modes_come_out_as_8_bit_srgb(make, mode: str) -> None:
    assert _decoded(_clean(make(), "awkward.png").content).mode == mode


def test_thumbnails_are_webp_never_upscaled_and_bare() -> None:
    source = _clean(files.jpeg_bytes(size=(800, 400)), "photo.jpg").content

    thumbs = image_thumbnails(source=source, widths=[320, 1280])

    assert [(t.width, t.height, t.format) for t in thumbs] == [
        (320, 160, "WEBP"),
        (800, 400, "WEBP"),
    ]
    for thumb in thumbs:
        img = _decoded(thumb.content)
        assert img.format == "WEBP"
        assert len(img.getexif()) == 0
        assert "icc_profile" not in img.info


def test_thumbnails_decode_only_what_we_store() -> None:
    with pytest.raises(ImageRejected) as excinfo:
        image_thumbnails(source=io.BytesIO(files.webp_bytes()), widths=[320])

    assert excinfo.value.code == "unsupported_format"


def test_size_is_measured_without_a_size_attribute() -> None:
    with pytest.raises(ImageRejected) as excinfo:
        image_clean(upload=io.BytesIO(b""), name="empty.jpg")

    assert excinfo.value.code == "empty_file"
