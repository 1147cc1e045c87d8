from __future__ import annotations

from datetime import datetime

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

    brand = models.ForeignKey(
        Brand, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("brand")
    )
    title = models.CharField(_("title"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    brief = models.TextField(_("brief"), blank=True)
    rules = models.TextField(_("rules"), blank=True)
    hashtag = models.CharField(_("hashtag"), max_length=60, blank=True)
    cover = models.ImageField(_("cover image"), upload_to=_cover_path, blank=True)
    cover_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    cover_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
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
