"""Writes about campaigns: creation and the side effects of phase changes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Brand, User
from campaigns.models import Campaign
from core.exceptions import ApplicationError
from core.images import image_clean

logger = logging.getLogger(__name__)


@transaction.atomic
def campaign_create(
    *,
    brand: Brand,
    title: str,
    slug: str,
    starts_at: datetime,
    ends_at: datetime,
    brief: str = "",
    rules: str = "",
    hashtag: str = "",
    cover: IO[bytes] | None = None,
    cover_name: str = "",
    created_by: User | None = None,
    publish: bool = False,
) -> Campaign:
    """Create a campaign (a draft unless `publish`); the cover is re-encoded before storing."""
    if ends_at <= starts_at:
        raise ApplicationError(
            _("The end must come after the start."), fields={"ends_at": [_("Too early.")]}
        )
    campaign = Campaign(
        brand=brand,
        title=title,
        slug=slug,
        brief=brief,
        rules=rules,
        hashtag=hashtag,
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=created_by,
        status=Campaign.Status.PUBLISHED if publish else Campaign.Status.DRAFT,
    )
    campaign.full_clean(exclude=["cover"])
    if cover is not None:
        clean = image_clean(upload=cover, name=cover_name, max_side=1600)
        campaign.cover.save(clean.content.name, clean.content, save=False)
        campaign.cover_width, campaign.cover_height = clean.width, clean.height
    campaign.save()
    return campaign


@dataclass(frozen=True)
class PhaseSync:
    opened: list[int]
    closed: list[int]


def _campaign_open(*, campaign_id: int, now: datetime) -> bool:
    """Perform what opening triggers, once. Must run inside a transaction."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.opened_at is not None or campaign.phase_at(now) not in (
        Campaign.Phase.OPEN,
        Campaign.Phase.CLOSED,
    ):
        return False
    campaign.opened_at = now
    campaign.save(update_fields=["opened_at", "updated_at"])
    logger.info("campaign %s opened", campaign.slug)
    return True


def _campaign_close(*, campaign_id: int, now: datetime) -> bool:
    """Perform what closing triggers, once. Must run inside a transaction."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.closed_at is not None or campaign.phase_at(now) != Campaign.Phase.CLOSED:
        return False
    # Freezing standings and choosing winners hook in here (engagement issue).
    campaign.closed_at = now
    campaign.save(update_fields=["closed_at", "updated_at"])
    logger.info("campaign %s closed", campaign.slug)
    return True


def campaign_phases_sync(*, now: datetime | None = None) -> PhaseSync:
    """Perform the side effects of every phase change that has come due, each exactly once.

    Safe to run at any time and any number of times, concurrently too: each campaign is locked
    and its recorded state checked before anything changes.
    """
    moment = now or timezone.now()
    due_open = Campaign.objects.published().filter(opened_at__isnull=True, starts_at__lte=moment)
    due_close = Campaign.objects.published().filter(closed_at__isnull=True, ends_at__lte=moment)
    opened, closed = [], []
    for campaign_id in due_open.values_list("pk", flat=True):
        with transaction.atomic():
            if _campaign_open(campaign_id=campaign_id, now=moment):
                opened.append(campaign_id)
    for campaign_id in due_close.values_list("pk", flat=True):
        with transaction.atomic():
            if _campaign_close(campaign_id=campaign_id, now=moment):
                closed.append(campaign_id)
    return PhaseSync(opened=opened, closed=closed)
