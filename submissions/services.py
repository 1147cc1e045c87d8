"""Writes about entries: creating them (moderation, likes and reports arrive with their issues)."""

from __future__ import annotations

import os
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.services import user_has_verified_email
from campaigns.models import Campaign
from core.exceptions import ApplicationError, PermissionDenied
from core.images import image_clean
from submissions.models import Submission

SUBMISSION_IMAGE_MAX_SIDE = 2560

_MISSING_CONTENT = {
    Submission.Kind.PHOTO: (
        "image",
        _("A photo entry needs a photo."),
    ),
    Submission.Kind.TEXT: (
        "text",
        _("A text entry needs some text."),
    ),
    Submission.Kind.VIDEO: (
        "video_url",
        _("A video entry needs a link to the video."),
    ),
}


def _upload_size(upload: IO[bytes]) -> int:
    """Size of a file-like object, so the byte limit holds for in-memory files without `.size`."""
    size = getattr(upload, "size", None)
    if size is not None:
        return int(size)
    upload.seek(0, os.SEEK_END)
    size = upload.tell()
    upload.seek(0)
    return size


@transaction.atomic
def submission_create(
    *,
    campaign: Campaign,
    author: User,
    kind: str,
    caption: str = "",
    text: str = "",
    image: IO[bytes] | None = None,
    image_name: str = "",
    video_url: str = "",
    state: str = Submission.State.PENDING,
) -> Submission:
    """Enter a verified person's photo, text or video link in an open campaign.

    An entry carries the content of its kind and nothing of another kind. A photo is re-encoded
    (oriented, metadata stripped) before anything is stored, and its size is recorded. `state` is
    where moderation starts; callers that have not decided leave it pending.
    """
    if kind not in Submission.Kind.values:
        raise ApplicationError(
            _("Choose a photo, a text or a video link."),
            code="invalid_kind",
            fields={"kind": [_("Unknown kind of entry.")]},
        )
    if state not in Submission.State.values:
        raise ApplicationError(
            _("Unknown moderation state."), fields={"state": [_("Unknown moderation state.")]}
        )
    text, caption, video_url = text.strip(), caption.strip(), video_url.strip()
    content = {"image": image is not None, "text": bool(text), "video_url": bool(video_url)}
    field, message = _MISSING_CONTENT[Submission.Kind(kind)]
    if not content[field]:
        raise ApplicationError(message, code="missing_content", fields={field: [message]})
    if any(present for other, present in content.items() if other != field):
        raise ApplicationError(
            _("An entry carries only the content of its kind."), code="mixed_content"
        )
    if campaign.phase_at(timezone.now()) != Campaign.Phase.OPEN:
        raise ApplicationError(
            _("This campaign is not open for entries."), code="campaign_not_open"
        )
    if not author.is_active or not user_has_verified_email(user=author):
        raise PermissionDenied(
            _("Verify your email address first: follow the link we sent you."),
            code="email_unverified",
        )

    submission = Submission(
        campaign=campaign,
        author=author,
        kind=kind,
        caption=caption,
        text=text,
        video_url=video_url,
        state=state,
    )
    try:
        submission.full_clean(exclude=["image"])
    except ValidationError as exc:
        raise ApplicationError(
            _("Check the entry and try again."), fields=exc.message_dict
        ) from None
    if image is not None:
        clean = image_clean(
            upload=image,
            name=image_name,
            size=_upload_size(image),
            max_side=SUBMISSION_IMAGE_MAX_SIDE,
        )
        submission.image.save(clean.content.name, clean.content, save=False)
        submission.image_width, submission.image_height = clean.width, clean.height
    submission.save()
    return submission
