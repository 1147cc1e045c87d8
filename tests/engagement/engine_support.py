"""Helpers for the engagement engine tests (fixtures are in conftest.py)."""

from __future__ import annotations

import redis
from django.conf import settings

from accounts.models import User
from campaigns.models import Campaign
from sharing import leaderboard
from sharing.models import PointEvent


def redis_ready(backend: str, campaign: Campaign) -> None:
    """With the Redis backend, build the campaign's keys (as the periodic rebuild would)."""
    if backend == "redis":
        assert leaderboard.leaderboard_redis_rebuild(campaign_id=campaign.pk)


def ledger_of(participant: User, campaign: Campaign) -> list[tuple[str, int]]:
    """The participant's ledger lines in order, as (kind, points)."""
    return list(
        PointEvent.objects.filter(campaign=campaign, participant=participant)
        .order_by("created_at", "pk")
        .values_list("kind", "points")
    )


def score_of(participant: User, campaign: Campaign) -> int:
    return sum(points for _kind, points in ledger_of(participant, campaign))


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)


def campaign_keys(campaign: Campaign) -> list[str]:
    """The Redis keys holding this campaign's leaderboard."""
    prefix = settings.PASSAPAROLA_LEADERBOARD_KEY_PREFIX
    return list(redis_client().scan_iter(match=f"{prefix}:{{c{campaign.pk}}}*"))
