"""The hostile-file corpus (tests/hostile.py) through the real door: submission_create.

Each hostile file gets its own refusal code and leaves nothing behind; each awkward but honest
file is accepted and stored as a clean, metadata-free re-encoding.
"""

from __future__ import annotations

import io
import warnings

import pytest
from PIL import ExifTags, Image

from core.exceptions import ApplicationError
from submissions.models import Submission
from submissions.services import submission_create
from tests import hostile
from tests.submissions.helpers import stored_files

pytestmark = pytest.mark.django_db


def _enter(campaign, author, data: bytes, name: str) -> Submission:
    return submission_create(
        campaign=campaign, author=author, kind="photo", image=io.BytesIO(data), image_name=name
    )


@pytest.mark.parametrize("case", hostile.HOSTILE, ids=[case.id for case in hostile.HOSTILE])
def test_hostile_file_is_refused_and_nothing_is_stored(
    campaign, participant, case: hostile.Hostile
) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        _enter(campaign, participant, case.data(), case.name)

    assert excinfo.value.code == case.code
    assert str(excinfo.value.message)
    assert Submission.objects.count() == 0
    assert stored_files() == []


def test_over_the_byte_limit_is_refused_and_nothing_is_stored(
    campaign, participant, settings
) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_BYTES = 1024 * 1024
    data = hostile.gps_jpeg() + b"\x00" * (1024 * 1024)

    with pytest.raises(ApplicationError) as excinfo:
        _enter(campaign, participant, data, "big.jpg")

    assert excinfo.value.code == "file_too_large"
    assert Submission.objects.count() == 0
    assert stored_files() == []


@pytest.mark.parametrize(
    ("name", "make"),
    [(name, make) for _id, name, make in hostile.BENIGN],
    ids=[case[0] for case in hostile.BENIGN],
)
def test_benign_file_is_stored_without_any_metadata(campaign, participant, name, make) -> None:
    data = make()

    submission = _enter(campaign, participant, data, name)

    stored = submission.image.read()
    assert stored != data
    assert b"SpyCam" not in stored
    assert b"<script" not in stored
    assert b"GPS" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format in {"JPEG", "PNG"}
        assert getattr(img, "n_frames", 1) == 1
        assert len(img.getexif()) == 0
        assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "icc_profile", "comment", "Comment"):
            assert key not in img.info
        assert img.mode in {"RGB", "RGBA"}
    assert stored_files() == [submission.image.name]


def test_gps_tagged_input_really_carries_gps() -> None:
    with Image.open(io.BytesIO(hostile.gps_jpeg())) as img:
        assert img.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_cmyk_photo_keeps_its_colour(campaign, participant) -> None:
    submission = _enter(campaign, participant, hostile.cmyk_jpeg(), "print.jpg")

    with Image.open(submission.image.path) as img:
        red, green, blue = img.convert("RGB").getpixel((10, 10))
    assert (red, green, blue) != (0, 0, 0)
    assert red < 60 < min(green, blue)  # cyan, not inverted into red


def test_16_bit_grey_is_scaled_not_clipped_to_white(campaign, participant) -> None:
    submission = _enter(campaign, participant, hostile.png_16bit_grey(), "scan.png")

    with Image.open(submission.image.path) as img:
        value = img.convert("L").getpixel((10, 10))
    assert 118 <= value <= 138


@pytest.mark.parametrize("make", [hostile.animated_webp, hostile.animated_png])
def test_animation_keeps_only_its_first_frame(campaign, participant, make) -> None:
    submission = _enter(campaign, participant, make(), "loop.webp")

    with Image.open(submission.image.path) as img:
        red, _green, blue = img.convert("RGB").getpixel((10, 10))
        assert getattr(img, "n_frames", 1) == 1
    assert red > 180 > blue


def test_transparent_palette_and_grey_alpha_keep_their_transparency(campaign, participant) -> None:
    palette = _enter(campaign, participant, hostile.png_palette_transparent(), "logo.png")
    grey = _enter(campaign, participant, hostile.png_la(), "shadow.png")

    with Image.open(palette.image.path) as img:
        assert img.mode == "RGBA"
        assert img.getpixel((0, 0))[3] == 0
        assert img.getpixel((5, 5))[3] == 255
    with Image.open(grey.image.path) as img:
        assert img.mode == "RGBA"
        assert img.getpixel((5, 5)) == (128, 128, 128, 100)


def test_the_pixel_bomb_is_a_real_decodable_png() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        previous, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with Image.open(io.BytesIO(hostile.pixel_bomb_png())) as img:
                assert img.size == (30_000, 30_000)
                assert img.format == "PNG"
        finally:
            Image.MAX_IMAGE_PIXELS = previous
    assert len(hostile.pixel_bomb_png()) < 200_000


@pytest.mark.parametrize(
    ("make", "fmt"),
    [
        (lambda: hostile.saved_as("GIF"), "GIF"),
        (lambda: hostile.saved_as("BMP"), "BMP"),
        (lambda: hostile.saved_as("TIFF"), "TIFF"),
        (lambda: hostile.saved_as("ICO"), "ICO"),
        (hostile.psd_bytes, "PSD"),
        (hostile.polyglot_gif_js, "GIF"),
    ],
    ids=["gif", "bmp", "tiff", "ico", "psd", "gif-js"],
)
def test_impostors_are_real_files_of_their_format(make, fmt: str) -> None:
    with Image.open(io.BytesIO(make())) as img:
        assert img.format == fmt
