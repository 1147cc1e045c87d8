"""Fixtures for entry tests: an open campaign and verified people."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from tests.factories import CampaignFactory, StaffFactory, UserFactory


@pytest.fixture
def campaign() -> Campaign:
    """Open, taking photos, texts and video links, post-moderated unless a test says otherwise."""
    return CampaignFactory(allow_video=True, moderation_mode=Campaign.ModerationMode.POST)


@pytest.fixture
def participant():
    return UserFactory()


@pytest.fixture
def moderator():
    return StaffFactory()
