"""While a brand hides live counts, the API gives them away neither by value nor by order."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import BrandMembership
from sharing.selectors import points_statement
from submissions.models import Submission
from tests.factories import CampaignFactory, MembershipFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def hidden_campaign():
    now = timezone.now()
    campaign = CampaignFactory(
        hide_live_counts=True, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1)
    )
    old = SubmissionFactory(campaign=campaign, like_count=1, state=Submission.State.APPROVED)
    popular = SubmissionFactory(campaign=campaign, like_count=9, state=Submission.State.APPROVED)
    Submission.objects.filter(pk=old.pk).update(created_at=now - timedelta(hours=5))
    return campaign, old, popular


def test_gallery_hides_like_counts_and_their_order(hidden_campaign) -> None:
    campaign, old, popular = hidden_campaign

    response = APIClient().get(f"/api/v1/campaigns/{campaign.slug}/submissions/?order=most_liked")

    rows = response.json()["results"]
    assert response.status_code == 200
    assert [row["id"] for row in rows] == [popular.pk, old.pk]  # newest first, not by likes
    assert {row["like_count"] for row in rows} == {None}


def test_entry_detail_hides_the_count(hidden_campaign) -> None:
    _campaign, _old, popular = hidden_campaign

    data = APIClient().get(f"/api/v1/submissions/{popular.pk}/").json()

    assert data["like_count"] is None


def test_the_brand_still_sees_the_counts(hidden_campaign) -> None:
    campaign, _old, popular = hidden_campaign
    client = APIClient()
    client.force_authenticate(
        MembershipFactory(brand=campaign.brand, role=BrandMembership.Role.ANALYST).user
    )

    data = client.get(f"/api/v1/submissions/{popular.pk}/").json()

    assert data["like_count"] == 9


def test_a_brand_cannot_open_the_statement_of_someone_outside_the_campaign(
    hidden_campaign,
) -> None:
    campaign, _old, popular = hidden_campaign
    owner = MembershipFactory(brand=campaign.brand, role=BrandMembership.Role.OWNER).user
    stranger = UserFactory()

    from django.http import Http404

    with pytest.raises(Http404):
        points_statement(campaign=campaign, participant=stranger.pk, viewer=owner)
    statement = points_statement(campaign=campaign, participant=popular.author_id, viewer=owner)
    assert statement.participant == popular.author
