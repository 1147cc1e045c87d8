"""Fixtures for sharing tests: an open campaign, an entry, its author's share link."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from sharing.links import share_link_get_or_create
from sharing.models import ShareLink
from submissions.models import Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory


@pytest.fixture
def campaign() -> Campaign:
    """Open, with the default scoring: a counted click +2, a verified referral +5."""
    return CampaignFactory(points_click=2, points_referral=5)


@pytest.fixture
def author():
    return UserFactory(display_name="Sharer")


@pytest.fixture
def entry(campaign, author) -> Submission:
    return SubmissionFactory(campaign=campaign, author=author)


@pytest.fixture
def link(entry, author) -> ShareLink:
    return share_link_get_or_create(submission=entry, owner=author)
