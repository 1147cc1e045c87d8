"""Fixtures for the engagement doors: an open campaign with entries, its people, and the points
of a leaderboard written straight into the ledger."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import pytest
from django.test import Client

from accounts.models import BrandMembership, User
from campaigns.models import Campaign
from sharing import leaderboard
from sharing.ledger import EventSpec, ledger_append, standings_refresh
from sharing.models import PointEvent
from submissions.models import Submission
from tests.browser.conftest import (  # noqa: F401 - Chromium for test_ui_browser.py
    browser,
    compiled_translations,
    new_page,
    page,
)
from tests.factories import (
    BrandFactory,
    CampaignFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _leaderboard_keys(settings) -> Iterator[None]:
    """Each test reads the leaderboard from the database, and any Redis key it writes has a
    prefix of its own, deleted afterwards (never FLUSHDB: the broker may share the database)."""
    prefix = f"pptest:{uuid.uuid4().hex[:12]}:lb"
    settings.PASSAPAROLA_LEADERBOARD_KEY_PREFIX = prefix
    settings.PASSAPAROLA_LEADERBOARD_REDIS = False
    leaderboard._health.update(down_until=0.0, warned=False)
    yield
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


@pytest.fixture
def brand():
    return BrandFactory(name="Acme", slug="acme", time_zone="Europe/Rome")


@pytest.fixture
def campaign(brand) -> Campaign:
    """Open, with the ARCHITECTURE defaults: entry +10, like +1."""
    return CampaignFactory(brand=brand, title="Summer stories", slug="summer")


@pytest.fixture
def author() -> User:
    return UserFactory(display_name="Ada Author", email="ada@example.com")


@pytest.fixture
def entry(campaign, author) -> Submission:
    return SubmissionFactory(campaign=campaign, author=author, caption="Sunrise")


@pytest.fixture
def fan() -> User:
    return UserFactory(display_name="Fran Fan", email="fran@example.com")


@pytest.fixture
def owner(brand) -> User:
    return MembershipFactory(brand=brand, role=BrandMembership.Role.OWNER).user


@pytest.fixture
def other_owner() -> User:
    return MembershipFactory(role=BrandMembership.Role.OWNER).user


@pytest.fixture
def signed_in() -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


Award = Callable[..., None]


@pytest.fixture
def award() -> Award:
    """Write a ledger line for a participant at a chosen instant and refresh their standing."""
    counter = iter(range(10**9))

    def give(
        campaign: Campaign,
        participant: User,
        points: int,
        at: datetime | None = None,
        kind: str = PointEvent.Kind.CLICK,
        submission: Submission | None = None,
    ) -> None:
        key = f"ui:{participant.pk}:{next(counter)}:{uuid.uuid4().hex[:6]}"
        ledger_append(
            [
                EventSpec(
                    campaign_id=campaign.pk,
                    participant_id=participant.pk,
                    kind=kind,
                    points=points,
                    key=key,
                    submission_id=submission.pk if submission else None,
                )
            ]
        )
        if at is not None:
            PointEvent.objects.filter(key=key).update(created_at=at)
        standings_refresh(campaign_id=campaign.pk, participant_ids=[participant.pk])

    return give
