"""Thumbnails: three WebP widths, never upscaled, made once however often the task runs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from submissions.images import submission_thumbnails_make
from submissions.services import submission_create
from submissions.tasks import submission_thumbnails_task
from tests import imagefiles
from tests.factories import SubmissionFactory
from tests.submissions.helpers import photo, stored_files

pytestmark = pytest.mark.django_db

FIELDS = ("thumb_small", "thumb_medium", "thumb_large")


def _photo_entry(campaign, author, size: tuple[int, int]):
    return submission_create(
        campaign=campaign,
        author=author,
        kind="photo",
        image=photo(imagefiles.jpeg_bytes(size=size)),
    )


def _sizes(submission) -> list[tuple[int, int]]:
    sizes = []
    for field in FIELDS:
        with Image.open(getattr(submission, field).path) as img:
            assert img.format == "WEBP"
            assert not img.info.get("exif")
            assert not img.info.get("xmp")
            assert not img.info.get("icc_profile")
            assert len(img.getexif()) == 0
            sizes.append(img.size)
    return sizes


def test_three_webp_widths_from_a_large_photo(campaign, participant) -> None:
    submission = _photo_entry(campaign, participant, (2000, 1000))

    submission_thumbnails_make(submission_id=submission.pk)

    submission.refresh_from_db()
    assert _sizes(submission) == [(320, 160), (640, 320), (1280, 640)]


def test_a_small_photo_is_never_upscaled(campaign, participant) -> None:
    submission = _photo_entry(campaign, participant, (500, 250))

    submission_thumbnails_make(submission_id=submission.pk)

    submission.refresh_from_db()
    assert _sizes(submission) == [(320, 160), (500, 250), (500, 250)]


def test_running_twice_leaves_the_same_three_files(campaign, participant) -> None:
    submission = _photo_entry(campaign, participant, (800, 600))
    submission_thumbnails_make(submission_id=submission.pk)
    first = stored_files()
    submission.refresh_from_db()
    names = [getattr(submission, field).name for field in FIELDS]

    submission_thumbnails_make(submission_id=submission.pk)

    submission.refresh_from_db()
    assert [getattr(submission, field).name for field in FIELDS] == names
    assert stored_files() == first
    assert len(first) == 4  # the photo and its three thumbnails


def test_a_lost_thumbnail_is_made_again_under_its_name(campaign, participant) -> None:
    submission = _photo_entry(campaign, participant, (800, 600))
    submission_thumbnails_make(submission_id=submission.pk)
    submission.refresh_from_db()
    before = stored_files()
    submission.thumb_medium.storage.delete(submission.thumb_medium.name)

    submission_thumbnails_make(submission_id=submission.pk)

    assert stored_files() == before


def test_a_file_left_by_an_interrupted_run_is_replaced_not_duplicated(
    campaign, participant
) -> None:
    submission = _photo_entry(campaign, participant, (800, 600))
    submission_thumbnails_make(submission_id=submission.pk)
    submission.refresh_from_db()
    expected = stored_files()
    # The worker died after writing the file and before recording it.
    type(submission).objects.filter(pk=submission.pk).update(thumb_large="")

    submission_thumbnails_make(submission_id=submission.pk)

    assert stored_files() == expected


@pytest.mark.parametrize("kind", ["missing", "text"])
def test_task_tolerates_an_entry_that_is_gone_or_has_no_photo(kind: str) -> None:
    submission_id = SubmissionFactory().pk if kind == "text" else 987_654

    submission_thumbnails_task.delay(submission_id)

    assert stored_files() == []


def test_task_makes_the_thumbnails(campaign, participant) -> None:
    submission = _photo_entry(campaign, participant, (700, 700))

    submission_thumbnails_task.delay(submission.pk)

    submission.refresh_from_db()
    assert _sizes(submission) == [(320, 320), (640, 640), (700, 700)]


def test_transparent_photo_keeps_its_alpha_in_thumbnails(campaign, participant) -> None:
    sticker = Image.new("RGBA", (400, 200), (220, 20, 20, 255))
    sticker.paste((0, 0, 0, 0), (0, 0, 200, 200))
    out = io.BytesIO()
    sticker.save(out, format="PNG")
    submission = submission_create(
        campaign=campaign,
        author=participant,
        kind="photo",
        image=photo(out.getvalue()),
        image_name="sticker.png",
    )

    submission_thumbnails_make(submission_id=submission.pk)

    submission.refresh_from_db()
    with Image.open(submission.thumb_small.path) as img:
        assert img.mode == "RGBA"
        assert img.getpixel((10, 10))[3] == 0
        assert img.getpixel((300, 100))[3] == 255
