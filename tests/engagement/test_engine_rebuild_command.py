"""`manage.py rebuild_leaderboards` repairs and says what it did."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from sharing.models import Standing
from tests.factories import CampaignFactory, LikeFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("rebuild_leaderboards", *args, stdout=out)
    return out.getvalue()


def test_it_derives_and_rebuilds_one_campaign(database_only, campaign, entry) -> None:
    LikeFactory.create_batch(2, submission=entry)

    output = _run("--campaign", campaign.slug)

    assert output == f"{campaign.slug}: 1 entries derived, 1 standings recomputed, Redis not used\n"
    assert Standing.objects.get(participant=entry.author).points == 12
    assert _run("--campaign", campaign.slug).startswith(f"{campaign.slug}: 0 entries derived")


def test_without_a_slug_it_takes_open_and_recently_closed_campaigns(database_only) -> None:
    now = timezone.now()
    current = CampaignFactory()
    recent = CampaignFactory(starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1))
    CampaignFactory(starts_at=now - timedelta(days=30), ends_at=now - timedelta(days=20))
    CampaignFactory(starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=5))
    SubmissionFactory(campaign=current)

    output = _run()

    assert [line.split(":")[0] for line in output.splitlines()] == [current.slug, recent.slug]


def test_nothing_to_rebuild() -> None:
    assert _run() == "No campaign to rebuild.\n"


def test_an_unknown_campaign_is_an_error() -> None:
    with pytest.raises(CommandError, match="No campaign"):
        _run("--campaign", "nope")
