"""Staff disqualify winners in the admin, with a reason; the rank goes to the next candidate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from campaigns.models import Winner
from campaigns.services import campaign_phases_sync
from sharing.models import Standing
from submissions.models import Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/campaigns/winner/"


@pytest.fixture
def closed_with_winner():
    now = timezone.now()
    campaign = CampaignFactory(
        starts_at=now - timedelta(days=3), ends_at=now - timedelta(seconds=1), winner_count=1
    )
    people = []
    for points in (20, 10):
        person = UserFactory()
        SubmissionFactory(campaign=campaign, author=person, state=Submission.State.APPROVED)
        Standing.objects.create(campaign=campaign, participant=person, points=points)
        people.append(person)
    campaign_phases_sync()
    return campaign, people


def test_disqualify_asks_for_a_reason_then_redraws(
    admin_client: Client, closed_with_winner
) -> None:
    campaign, (first, second) = closed_with_winner
    winner = Winner.objects.get(campaign=campaign)
    assert winner.participant == first
    data = {"action": "disqualify_selected", "_selected_action": [str(winner.pk)]}

    asked = admin_client.post(CHANGELIST, data)
    refused = admin_client.post(CHANGELIST, {**data, "apply": "1", "reason": ""})
    done = admin_client.post(CHANGELIST, {**data, "apply": "1", "reason": "Duplicate account"})

    assert asked.status_code == 200
    assert refused.status_code == 400
    assert done.status_code == 302
    winner.refresh_from_db()
    assert winner.disqualified_reason == "Duplicate account"
    current = Winner.objects.get(campaign=campaign, disqualified_at__isnull=True)
    assert (current.rank, current.participant) == (1, second)


def test_winner_records_cannot_be_deleted(admin_client: Client, closed_with_winner) -> None:
    campaign, _people = closed_with_winner
    winner = Winner.objects.get(campaign=campaign)

    response = admin_client.post(f"{CHANGELIST}{winner.pk}/delete/", {"post": "yes"})

    assert response.status_code == 403
    assert Winner.objects.filter(pk=winner.pk).exists()
