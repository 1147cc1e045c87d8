"""Reads about campaigns. Brand-scoped reads go through the tenancy selector in accounts."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.selectors import brands_for_user
from campaigns.models import Campaign
from submissions.models import Submission


def _with_entry_count(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.select_related("brand").annotate(
        entry_count=Count(
            "submissions", filter=Q(submissions__state=Submission.State.APPROVED), distinct=True
        )
    )


def campaigns_open(*, now: datetime | None = None, limit: int | None = None) -> list[Campaign]:
    """Open campaigns for the public, ending soonest first, each with its approved entry count."""
    moment = now or timezone.now()
    campaigns = _with_entry_count(Campaign.objects.open_at(moment)).order_by("ends_at", "pk")
    return list(campaigns[: limit or settings.PASSAPAROLA_HOME_CAMPAIGNS])


def campaigns_upcoming(*, now: datetime | None = None, limit: int = 6) -> list[Campaign]:
    moment = now or timezone.now()
    campaigns = Campaign.objects.published().filter(starts_at__gt=moment)
    return list(_with_entry_count(campaigns).order_by("starts_at", "pk")[:limit])


def campaigns_for_member(*, user: User) -> QuerySet[Campaign]:
    """Every campaign, drafts included, of the brands the acting user belongs to."""
    return _with_entry_count(Campaign.objects.filter(brand__in=brands_for_user(user=user)))
