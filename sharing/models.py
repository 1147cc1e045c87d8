"""Engagement facts (share hits, counted clicks, referrals), the points ledger and standings.

Facts are written in the request that causes them; everything else here is derived from them by
tasks and can be rebuilt: `Standing` rows and the Redis leaderboard from the ledger, the ledger
from the facts (ARCHITECTURE invariants 1 and 2).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from campaigns.models import Campaign
from core.models import BaseModel
from submissions.models import Submission


class ShareLink(BaseModel):
    """A participant's personal link to one of their entries: /s/<code>."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="share_links", verbose_name=_("entry")
    )
    owner = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="share_links", verbose_name=_("owner")
    )

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        constraints = [
            models.UniqueConstraint(fields=["submission", "owner"], name="share_link_once"),
        ]

    def __str__(self) -> str:
        return f"/s/{self.code}"


class ShareHit(models.Model):
    """One request to a share link, kept as it came (the raw fact). No IP address is stored.

    `visitor` is a keyed hash (HMAC) of what identifies a browser, so repeat visits can be
    recognised without keeping who the visitor is. `derived_at` marks hits whose counting ran:
    the table is the outbox of the click derivation.
    """

    class Channel(models.TextChoices):
        DIRECT = "direct", _("Direct link")
        COPY = "copy", _("Copied link")
        X = "x", "X"
        FACEBOOK = "facebook", "Facebook"
        LINKEDIN = "linkedin", "LinkedIn"
        WHATSAPP = "whatsapp", "WhatsApp"
        TELEGRAM = "telegram", "Telegram"
        EMAIL = "email", _("Email")
        QR = "qr", _("QR code")
        NATIVE = "native", _("Phone share sheet")

    class Verdict(models.TextChoices):
        COUNTED = "counted", _("Counted")
        REPEAT = "repeat", _("Repeat visit the same day")
        HEAD = "head", _("HEAD request")
        PREFETCH = "prefetch", _("Prefetch")
        BOT = "bot", _("Bot or link preview")
        OWNER = "owner", _("The sharer's own click")
        UNAVAILABLE = "unavailable", _("The entry was not public (hidden, rejected, pending)")

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="hits")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.DIRECT)
    visitor = models.CharField(max_length=64)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    method = models.CharField(max_length=8)
    user_agent = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(
        max_length=32, blank=True, help_text="Sec-Purpose or Purpose request header."
    )
    verdict = models.CharField(max_length=16, choices=Verdict.choices, blank=True)
    derived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("share hit")
        verbose_name_plural = _("share hits")
        indexes = [
            models.Index(fields=["id"], condition=Q(derived_at__isnull=True), name="hit_underived"),
            models.Index(fields=["link", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.link} {self.method} {self.created_at:%Y-%m-%d %H:%M:%S}"


class ShareClick(BaseModel):
    """A counted click: once per visitor per link per day (UTC)."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="clicks")
    visitor = models.CharField(max_length=64)
    day = models.DateField()
    channel = models.CharField(max_length=16, choices=ShareHit.Channel.choices)
    hit = models.OneToOneField(ShareHit, on_delete=models.CASCADE, related_name="click")

    class Meta:
        verbose_name = _("counted click")
        verbose_name_plural = _("counted clicks")
        constraints = [
            models.UniqueConstraint(
                fields=["link", "visitor", "day"], name="click_once_per_visitor_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.link} {self.day} {self.channel}"


class Referral(BaseModel):
    """A person who arrived through a share link and signed up; credited once they verify."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="referrals")
    referred = models.OneToOneField(
        User, on_delete=models.CASCADE, related_name="referral", verbose_name=_("new member")
    )
    arrived_at = models.DateTimeField(_("arrived through the link at"))
    verified_at = models.DateTimeField(_("email verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"{self.referred} via {self.link}"


class PointEvent(models.Model):
    """One line of the points ledger. Never edited: a reversal is a new row.

    `key` makes every derivation idempotent: replaying a task inserts nothing new.
    """

    class Kind(models.TextChoices):
        ENTRY = "entry", _("Entry approved")
        ENTRY_REVOKED = "entry_revoked", _("Entry no longer approved")
        LIKE = "like", _("Like received")
        UNLIKE = "unlike", _("Like withdrawn")
        CLICK = "click", _("Counted share click")
        REFERRAL = "referral", _("Referral verified")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="point_events")
    participant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="point_events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    points = models.IntegerField()
    key = models.CharField(max_length=120, unique=True)
    submission = models.ForeignKey(
        Submission, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("point event")
        verbose_name_plural = _("points ledger")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["campaign", "participant", "created_at"])]

    def __str__(self) -> str:
        return f"{self.participant} {self.points:+d} ({self.key})"


class Standing(models.Model):
    """A participant's total in a campaign, derived from the ledger (the database leaderboard).

    Ordered by points, then by who reached them first (`reached_ms`, the time of the last event
    that changed the total), then by id: the same order the Redis sorted set keeps.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="standings")
    participant = models.ForeignKey(User, on_delete=models.CASCADE, related_name="standings")
    points = models.IntegerField(default=0)
    reached_ms = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("standing")
        verbose_name_plural = _("standings")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "participant"], name="standing_once_per_participant"
            ),
        ]
        indexes = [
            models.Index(
                "campaign",
                models.F("points").desc(),
                "reached_ms",
                "participant",
                name="standing_rank_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.participant} {self.points}"


class Notification(BaseModel):
    """In-app news for a participant, grouped: one unread row per kind and entry, with a count."""

    class Kind(models.TextChoices):
        LIKED = "liked", _("New likes")
        COMMENTED = "commented", _("New comments")
        RANK_UP = "rank_up", _("You moved up")
        REACH = "reach", _("People reached by your shares")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    count = models.PositiveIntegerField(default=1)
    value = models.IntegerField(default=0, help_text="A rank, a number of people: by kind.")
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "submission"],
                condition=Q(read_at__isnull=True, submission__isnull=False),
                name="notification_unread_per_entry",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "campaign"],
                condition=Q(read_at__isnull=True, submission__isnull=True),
                name="notification_unread_per_campaign",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()} ({self.count})"
