"""Fixtures for the engagement engine: an open campaign, an entry, fans, and the leaderboard
backends (the database, and Redis under a key prefix of the test's own)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest

from accounts.models import User
from campaigns.models import Campaign
from sharing import leaderboard
from sharing.ledger import EventSpec, ledger_append, standings_refresh
from sharing.models import PointEvent
from submissions.models import Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory


@pytest.fixture(autouse=True)
def _leaderboard_keys(settings) -> Iterator[str]:
    """Every test gets its own Redis key prefix, deleted afterwards (never FLUSHDB: the broker
    may share the database), and starts with Redis considered healthy."""
    prefix = f"pptest:{uuid.uuid4().hex[:12]}:lb"
    settings.PASSAPAROLA_LEADERBOARD_KEY_PREFIX = prefix
    leaderboard._health.update(down_until=0.0, warned=False)
    yield prefix
    leaderboard._health.update(down_until=0.0, warned=False)
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, settings, monkeypatch) -> str:
    """Answer leaderboard reads from one backend only: the other one would fail the test."""
    if request.param == "database":
        settings.PASSAPAROLA_LEADERBOARD_REDIS = False
    else:
        settings.PASSAPAROLA_LEADERBOARD_REDIS = True

        def no_database(**kwargs: object) -> None:
            raise AssertionError("read the database although Redis was ready")

        for name in ("leaderboard_top_db", "leaderboard_around_db", "top_entries_db"):
            monkeypatch.setattr(leaderboard, name, no_database)
    return request.param


@pytest.fixture
def database_only(settings) -> None:
    settings.PASSAPAROLA_LEADERBOARD_REDIS = False


@pytest.fixture
def campaign() -> Campaign:
    """Open, with the ARCHITECTURE defaults: entry +10, like +1."""
    return CampaignFactory(points_entry=10, points_like=1)


@pytest.fixture
def author() -> User:
    return UserFactory(display_name="Author")


@pytest.fixture
def entry(campaign: Campaign, author: User) -> Submission:
    return SubmissionFactory(campaign=campaign, author=author)


@pytest.fixture
def fan() -> User:
    return UserFactory(display_name="Fan")


Award = Callable[..., None]


@pytest.fixture
def award() -> Award:
    """Write ledger lines directly, at chosen instants, and refresh the standings."""
    counter = iter(range(10**9))

    def give(campaign: Campaign, participant: User, points: int, at: datetime | None = None):
        key = f"award:{participant.pk}:{next(counter)}:{uuid.uuid4().hex[:6]}"
        ledger_append(
            [
                EventSpec(
                    campaign_id=campaign.pk,
                    participant_id=participant.pk,
                    kind=PointEvent.Kind.CLICK,
                    points=points,
                    key=key,
                )
            ]
        )
        if at is not None:
            PointEvent.objects.filter(key=key).update(created_at=at)
        standings_refresh(campaign_id=campaign.pk, participant_ids=[participant.pk])

    return give
