from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from campaigns.models import Campaign, CampaignTerms
from core.models import BaseModel


def _image_path(instance: Submission, filename: str) -> str:
    return f"submissions/{instance.campaign_id}/{filename}"


def _thumb_path(instance: Submission, filename: str) -> str:
    return f"submissions/{instance.campaign_id}/thumbs/{filename}"


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def visible(self) -> SubmissionQuerySet:
        """Entries the public may see: approved ones, and pending ones under post-moderation."""
        return self.filter(
            Q(state=Submission.State.APPROVED)
            | Q(
                state=Submission.State.PENDING,
                campaign__moderation_mode=Campaign.ModerationMode.POST,
            )
        )


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

    class VideoProvider(models.TextChoices):
        YOUTUBE = "youtube", "YouTube"
        VIMEO = "vimeo", "Vimeo"
        TIKTOK = "tiktok", "TikTok"

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
    thumb_small = models.ImageField(upload_to=_thumb_path, blank=True, editable=False)
    thumb_medium = models.ImageField(upload_to=_thumb_path, blank=True, editable=False)
    thumb_large = models.ImageField(upload_to=_thumb_path, blank=True, editable=False)
    video_url = models.URLField(_("video link"), blank=True)
    video_provider = models.CharField(
        _("video host"), max_length=16, choices=VideoProvider.choices, blank=True
    )
    video_id = models.CharField(_("video id"), max_length=64, blank=True)
    state = models.CharField(
        _("moderation state"), max_length=16, choices=State.choices, default=State.PENDING
    )
    state_reason = models.TextField(_("reason of the last decision"), blank=True)
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    terms = models.ForeignKey(
        CampaignTerms,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("terms accepted"),
    )
    terms_accepted_at = models.DateTimeField(_("terms accepted at"), null=True, blank=True)
    report_count = models.PositiveIntegerField(_("open reports"), default=0, editable=False)
    comment_count = models.PositiveIntegerField(_("comments"), default=0, editable=False)
    # Derived from the likes by a task (engagement issue); the gallery sorts on it.
    like_count = models.PositiveIntegerField(_("likes"), default=0, editable=False)

    objects = SubmissionQuerySet.as_manager()

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
        indexes = [
            models.Index(fields=["campaign", "state", "-created_at"]),
            models.Index(fields=["author", "-created_at"]),
            models.Index(fields=["campaign", "-like_count", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.campaign})"


class Comment(BaseModel):
    """A participant's plain-text comment on an entry."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="comments", verbose_name=_("entry")
    )
    author = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="comments", verbose_name=_("author")
    )
    body = models.TextField(_("comment"), max_length=1000)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    is_hidden = models.BooleanField(_("hidden pending review"), default=False)
    report_count = models.PositiveIntegerField(_("open reports"), default=0, editable=False)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at"]
        indexes = [models.Index(fields=["submission", "created_at"])]

    def __str__(self) -> str:
        return f"{self.author}: {self.body[:40]}"


class Report(BaseModel):
    """Someone flags an entry or a comment; enough open reports hide it until a moderator looks."""

    class Reason(models.TextChoices):
        SPAM = "spam", _("Spam or advertising")
        OFFENSIVE = "offensive", _("Offensive or hateful")
        COPYRIGHT = "copyright", _("Not their own work")
        PERSONAL = "personal", _("Shows private information")
        OTHER = "other", _("Something else")

    reporter = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="reports", verbose_name=_("reporter")
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("entry"),
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("comment"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    details = models.TextField(_("details"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(submission__isnull=False, comment__isnull=True)
                    | Q(submission__isnull=True, comment__isnull=False)
                ),
                name="report_has_one_target",
            ),
            models.UniqueConstraint(
                fields=["reporter", "submission"],
                condition=Q(submission__isnull=False),
                name="report_entry_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["reporter", "comment"],
                condition=Q(comment__isnull=False),
                name="report_comment_once_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} by {self.reporter}"


class ModerationDecision(BaseModel):
    """The moderation log: who changed an entry's or a comment's state, when and why."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approved")
        REJECT = "reject", _("Rejected")
        HIDE = "hide", _("Hidden after reports")
        RESTORE = "restore", _("Restored")

    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("entry"),
    )
    comment = models.ForeignKey(
        Comment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("comment"),
    )
    moderator = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moderator"),
        help_text=_("Empty when the system decided (for example after reports)."),
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_state = models.CharField(_("from"), max_length=16, blank=True)
    to_state = models.CharField(_("to"), max_length=16, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    notified_at = models.DateTimeField(_("author notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("moderation decision")
        verbose_name_plural = _("moderation log")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(submission__isnull=False, comment__isnull=True)
                    | Q(submission__isnull=True, comment__isnull=False)
                ),
                name="decision_has_one_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class Like(BaseModel):
    """One person's like of an entry: an engagement fact, written in the request that makes it.

    An unlike stamps `removed_at` instead of deleting the row, so the derivation can write the
    reversal into the points ledger; liking again makes a new row. At most one live like per
    person and entry (a partial unique constraint).
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="likes", verbose_name=_("person")
    )
    submission = models.ForeignKey(
        Submission,
        on_delete=models.CASCADE,
        related_name="likes",
        verbose_name=_("entry"),
        # The (submission, removed_at) index below starts with it and serves every lookup by
        # entry; a second index would only cost each like one more index insert.
        db_index=False,
    )
    removed_at = models.DateTimeField(_("unliked at"), null=True, blank=True)
    derived_at = models.DateTimeField(editable=False, null=True, blank=True)

    class Meta:
        verbose_name = _("like")
        verbose_name_plural = _("likes")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "submission"],
                condition=Q(removed_at__isnull=True),
                name="like_once_per_user",
            ),
        ]
        indexes = [
            models.Index(fields=["submission", "removed_at"]),
            models.Index(
                fields=["updated_at"], condition=Q(derived_at__isnull=True), name="like_underived"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ♥ {self.submission_id}"
