from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from campaigns.models import Campaign
from core.models import BaseModel


def _image_path(instance: Submission, filename: str) -> str:
    return f"submissions/{instance.campaign_id}/{filename}"


class Submission(BaseModel):
    """An entry to a campaign: a photo, a text or a video link, with its moderation state."""

    class Kind(models.TextChoices):
        PHOTO = "photo", _("Photo")
        TEXT = "text", _("Text")
        VIDEO = "video", _("Video link")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        HIDDEN = "hidden", _("Hidden pending review")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("campaign")
    )
    author = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("author")
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    caption = models.CharField(_("caption"), max_length=280, blank=True)
    text = models.TextField(_("text"), blank=True)
    image = models.ImageField(_("image"), upload_to=_image_path, blank=True)
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    video_url = models.URLField(_("video link"), blank=True)
    state = models.CharField(
        _("moderation state"), max_length=16, choices=State.choices, default=State.PENDING
    )

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="photo", image__gt="")
                    | Q(kind="text", text__gt="")
                    | Q(kind="video", video_url__gt="")
                ),
                name="submission_has_content_of_its_kind",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "state", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.campaign})"
