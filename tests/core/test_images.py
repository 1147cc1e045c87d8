"""Uploads are hostile until re-encoded (ARCHITECTURE invariant 7)."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageFile

from core.images import ImageRejected, image_clean
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
