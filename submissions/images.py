"""Thumbnails of photo entries: three WebP widths for srcset, made by a task after commit."""

from __future__ import annotations

import os

from django.core.files.storage import Storage
from django.db import transaction

from core.images import image_thumbnails
from submissions.models import Submission

# (field, width in CSS pixels); a thumbnail is never wider than its photo.
THUMBNAIL_SIZES = (("thumb_small", 320), ("thumb_medium", 640), ("thumb_large", 1280))


def _thumbnail_name(submission: Submission, width: int) -> str:
    stem = os.path.splitext(os.path.basename(submission.image.name))[0]
    return f"{stem}-{width}.webp"


@transaction.atomic
def submission_thumbnails_make(*, submission_id: int) -> Submission | None:
    """Make whichever of an entry's three thumbnails is missing; None if there is no entry.

    Idempotent: names follow from the photo's name, a thumbnail already recorded and on disk
    is kept, and a file left at a thumbnail's name by an interrupted run is replaced, so any
    number of runs leaves the same three files and nothing else. Holds the entry's row lock
    while it works, so two runs never race.
    """
    submission = Submission.objects.select_for_update().filter(pk=submission_id).first()
    if submission is None or not submission.image:
        return None
    storage = submission.image.storage
    missing = [
        (field, width)
        for field, width in THUMBNAIL_SIZES
        if not getattr(submission, field) or not storage.exists(getattr(submission, field).name)
    ]
    if not missing:
        return submission
    with submission.image.open("rb") as source:
        thumbnails = image_thumbnails(source=source, widths=[width for _f, width in missing])
    replaced = []
    for (field, width), thumbnail in zip(missing, thumbnails, strict=True):
        file = getattr(submission, field)
        if file.name:
            replaced.append(file.name)
        name = file.field.generate_filename(submission, _thumbnail_name(submission, width))
        if storage.exists(name):
            storage.delete(name)  # left by a run that died before recording it
        file.save(os.path.basename(name), thumbnail.content, save=False)
    submission.save(update_fields=[field for field, _w in missing] + ["updated_at"])
    current = {getattr(submission, field).name for field, _w in THUMBNAIL_SIZES}
    stale = [name for name in replaced if name not in current]
    if stale:
        transaction.on_commit(lambda: _delete_files(storage, stale))
    return submission


def _delete_files(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)
