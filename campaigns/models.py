from __future__ import annotations

from datetime import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, User
from core.models import BaseModel


def _cover_path(instance: Campaign, filename: str) -> str:
    return f"campaigns/covers/{filename}"


class CampaignQuerySet(models.QuerySet["Campaign"]):
    def published(self) -> CampaignQuerySet:
        return self.filter(status=Campaign.Status.PUBLISHED)

    def open_at(self, moment: datetime) -> CampaignQuerySet:
        return self.published().filter(starts_at__lte=moment, ends_at__gt=moment)

    def visible_at(self, moment: datetime) -> CampaignQuerySet:
        """Published campaigns the public may see: scheduled, open or closed."""
        return self.published()


class Campaign(BaseModel):
    """A brand's call for entries, open between two instants.

    Its phase (draft, scheduled, open, closed) follows from `status` and the dates whenever it
    is read, so it is right to the second even if no scheduler runs. `opened_at`/`closed_at`
    record that the side effects of entering that phase have been performed (by the beat task).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    class Phase(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SCHEDULED = "scheduled", _("Scheduled")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class WinnerRule(models.TextChoices):
        TOP_POINTS = "top_points", _("Top participants by points")
        TOP_LIKES = "top_likes", _("Top entries by likes")
        DRAW = "draw", _("Random draw among eligible participants")
        DRAW_WEIGHTED = "draw_weighted", _("Random draw weighted by points")
        JURY = "jury", _("Jury pick")

    class ModerationMode(models.TextChoices):
        PRE = "pre", _("Pre-moderation: entries are hidden until approved")
        POST = "post", _("Post-moderation: entries are visible until removed")

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("brand")
    )
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    brief = models.TextField(_("brief"), blank=True)
    rules = models.TextField(
        _("rules"), blank=True, help_text=_("Markdown: paragraphs, lists, bold, italic, links.")
    )
    rules_html = models.TextField(editable=False, blank=True)
    hashtag = models.CharField(_("hashtag"), max_length=60, blank=True)
    cover = models.ImageField(_("cover image"), upload_to=_cover_path, blank=True)
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    allow_photo = models.BooleanField(_("photo entries"), default=True)
    allow_text = models.BooleanField(_("text entries"), default=True)
    allow_video = models.BooleanField(_("video link entries"), default=False)
    text_max_length = models.PositiveSmallIntegerField(
        _("text length limit"),
        default=280,
        validators=[MinValueValidator(1), MaxValueValidator(5000)],
        help_text=_("Characters allowed in a text entry."),
    )
    max_entries_per_participant = models.PositiveSmallIntegerField(
        _("entries per participant"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    moderation_mode = models.CharField(
        _("moderation"), max_length=8, choices=ModerationMode.choices, default=ModerationMode.PRE
    )
    points_entry = models.PositiveSmallIntegerField(_("points per approved entry"), default=10)
    points_like = models.PositiveSmallIntegerField(_("points per like received"), default=1)
    points_click = models.PositiveSmallIntegerField(_("points per counted share click"), default=2)
    points_referral = models.PositiveSmallIntegerField(_("points per referral"), default=5)
    hide_live_counts = models.BooleanField(
        _("hide like counts and the leaderboard until the campaign closes"), default=False
    )
    leaderboard_freeze_hours = models.PositiveSmallIntegerField(
        _("freeze the leaderboard for the last hours"),
        default=0,
        help_text=_("0: the leaderboard stays live until the end."),
    )
    winner_rule = models.CharField(
        _("how winners are chosen"),
        max_length=16,
        choices=WinnerRule.choices,
        default=WinnerRule.TOP_POINTS,
    )
    winner_count = models.PositiveSmallIntegerField(
        _("number of winners"), default=3, validators=[MinValueValidator(1), MaxValueValidator(100)]
    )
    opened_at = models.DateTimeField(_("opening processed at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closing processed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="campaign_ends_after_start",
                violation_error_message=_("The end must come after the start."),
            ),
            models.CheckConstraint(
                condition=Q(allow_photo=True) | Q(allow_text=True) | Q(allow_video=True),
                name="campaign_allows_some_entry_kind",
                violation_error_message=_("Allow at least one kind of entry."),
            ),
            models.CheckConstraint(
                condition=Q(text_max_length__gte=1, text_max_length__lte=5000),
                name="campaign_text_limit_in_range",
            ),
            models.CheckConstraint(
                condition=Q(max_entries_per_participant__gte=1),
                name="campaign_allows_an_entry",
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at", "ends_at"])]

    def __str__(self) -> str:
        return self.title

    def phase_at(self, moment: datetime) -> Campaign.Phase:
        if self.status != self.Status.PUBLISHED:
            return self.Phase.DRAFT
        if moment < self.starts_at:
            return self.Phase.SCHEDULED
        if moment < self.ends_at:
            return self.Phase.OPEN
        return self.Phase.CLOSED

    @property
    def phase(self) -> Campaign.Phase:
        return self.phase_at(timezone.now())

    @property
    def allowed_kinds(self) -> list[str]:
        flags = [
            ("photo", self.allow_photo),
            ("text", self.allow_text),
            ("video", self.allow_video),
        ]
        return [kind for kind, allowed in flags if allowed]


class Prize(BaseModel):
    """What the participant at a rank wins."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="prizes", verbose_name=_("campaign")
    )
    rank = models.PositiveSmallIntegerField(_("rank"), validators=[MinValueValidator(1)])
    description = models.CharField(_("prize"), max_length=300)

    class Meta:
        verbose_name = _("prize")
        verbose_name_plural = _("prizes")
        ordering = ["campaign", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "rank"], name="prize_once_per_rank"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="prize_rank_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.description}"


class CampaignTerms(BaseModel):
    """One version of the terms a participant accepts; versions are never edited, only added."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="terms_versions",
        verbose_name=_("campaign"),
    )
    version = models.PositiveIntegerField(_("version"))
    text = models.TextField(_("terms"))

    class Meta:
        verbose_name = _("terms version")
        verbose_name_plural = _("terms versions")
        ordering = ["campaign", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "version"], name="terms_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} terms v{self.version}"


class FinalStanding(BaseModel):
    """The standings frozen when a campaign closed: what winners are chosen from."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="final_standings")
    participant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveIntegerField()
    points = models.IntegerField()
    reached_ms = models.BigIntegerField(help_text="When the participant reached these points.")

    class Meta:
        verbose_name = _("final standing")
        verbose_name_plural = _("final standings")
        ordering = ["campaign", "rank", "reached_ms", "participant_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "participant"], name="final_standing_once_per_participant"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.rank} {self.participant} ({self.points})"


class WinnerDraw(BaseModel):
    """One run of a campaign's winner rule, with what anyone needs to run it again."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="draws")
    rule = models.CharField(max_length=16, choices=Campaign.WinnerRule.choices)
    seed = models.CharField(_("random seed"), max_length=64, blank=True)
    pool = models.JSONField(
        _("eligible pool"),
        default=list,
        help_text=_("The candidates in order, with their weights, as the draw saw them."),
    )
    reason = models.TextField(_("why this draw was made"), blank=True)
    drawn_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("winner draw")
        verbose_name_plural = _("winner draws")
        ordering = ["campaign", "-created_at"]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.get_rule_display()} ({self.created_at:%Y-%m-%d %H:%M})"


class Winner(BaseModel):
    """A winner of a campaign at a rank; a disqualified winner keeps the row, with the reason."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="winners")
    draw = models.ForeignKey(WinnerDraw, on_delete=models.CASCADE, related_name="winners")
    rank = models.PositiveSmallIntegerField(_("rank"))
    participant = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="wins", verbose_name=_("participant")
    )
    submission = models.ForeignKey(
        "submissions.Submission",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("winning entry"),
    )
    points = models.IntegerField(_("points"), default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    disqualified_at = models.DateTimeField(_("disqualified at"), null=True, blank=True)
    disqualified_reason = models.TextField(_("reason for disqualification"), blank=True)
    disqualified_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("winner")
        verbose_name_plural = _("winners")
        ordering = ["campaign", "rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "rank"],
                condition=Q(disqualified_at__isnull=True),
                name="winner_one_per_rank",
            ),
            models.UniqueConstraint(
                fields=["campaign", "participant"],
                condition=Q(disqualified_at__isnull=True),
                name="winner_once_per_participant",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign} #{self.rank}: {self.participant}"
