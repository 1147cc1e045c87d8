"""The part of a leaderboard every viewer shares is read once a moment, and the API's hand-built
body is exactly the documented serializer's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign
from core.local_cache import local_caches_clear
from sharing.leaderboard import StandingRow
from sharing.leaderboard_api import LeaderboardSerializer, leaderboard_data
from sharing.selectors import (
    BoardState,
    LeaderboardView,
    leaderboard_campaign_get,
    leaderboard_for_viewer,
)
from submissions.likes import like_create
from tests.factories import CampaignFactory, MembershipFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_viewers_share_the_top_for_a_moment_but_see_their_own_line_fresh(
    campaign, award, settings, database_only
) -> None:
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 60
    first, second = UserFactory.create_batch(2)
    award(campaign, first, 5)
    award(campaign, second, 3)
    before = leaderboard_for_viewer(campaign=campaign, viewer=first)

    award(campaign, second, 10)  # second now leads
    with CaptureQueriesContext(connection) as queries:
        after = leaderboard_for_viewer(campaign=campaign, viewer=second)

    assert [r.participant_id for r in after.rows] == [r.participant_id for r in before.rows]
    assert (after.mine.rank, after.mine.points) == (1, 13)  # the viewer's own line is fresh
    assert not any("sharing_standing" in q["sql"] and "LIMIT 50" in q["sql"] for q in queries)

    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 0
    fresh = leaderboard_for_viewer(campaign=campaign, viewer=None)
    assert [r.participant_id for r in fresh.rows] == [second.pk, first.pk]


def test_the_shared_copy_is_per_limit(campaign, award, settings, database_only) -> None:
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 60
    for points, person in enumerate(UserFactory.create_batch(4), start=1):
        award(campaign, person, points)

    assert len(leaderboard_for_viewer(campaign=campaign, viewer=None, limit=2).rows) == 2
    assert len(leaderboard_for_viewer(campaign=campaign, viewer=None, limit=3).rows) == 3


def _body_equals_serializer(board) -> None:
    body = leaderboard_data(board)
    assert body == LeaderboardSerializer(body).data
    assert body == dict(LeaderboardSerializer(body).data)


def test_the_live_body_is_the_serializers(campaign, award, database_only) -> None:
    people = UserFactory.create_batch(5)
    for points, person in zip([9, 7, 7, 3, 1], people, strict=True):
        award(campaign, person, points)
    entry = SubmissionFactory(campaign=campaign, caption="“quoted” <b>caption</b>")
    like_create(user=people[0], submission=entry)

    board = leaderboard_for_viewer(campaign=campaign, viewer=people[2], limit=3, span=1)

    assert board.state == BoardState.LIVE
    assert board.mine is not None
    assert board.above
    _body_equals_serializer(board)


def test_the_frozen_body_is_the_serializers(award, database_only) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(hours=1),
        leaderboard_freeze_hours=3,
    )
    award(campaign, UserFactory(), 4)

    board = leaderboard_for_viewer(campaign=campaign, viewer=None)

    assert board.state == BoardState.FROZEN
    assert board.frozen_at is not None
    assert board.reveal_at is not None
    body = leaderboard_data(board)
    assert body["frozen_at"].endswith("Z")
    _body_equals_serializer(board)


def test_a_published_campaign_is_reused_for_a_moment(settings) -> None:
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 60
    campaign = CampaignFactory()
    first = leaderboard_campaign_get(slug=campaign.slug, viewer=None)

    Campaign.objects.filter(pk=campaign.pk).update(hide_live_counts=True)
    someone = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        again = leaderboard_campaign_get(slug=campaign.slug, viewer=someone)

    assert again is first
    assert len(queries) == 0
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 0
    local_caches_clear()
    assert leaderboard_campaign_get(slug=campaign.slug, viewer=None).hide_live_counts is True


def test_a_draft_is_never_reused_and_stays_hidden_from_outsiders(settings) -> None:
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 60
    draft = CampaignFactory(status=Campaign.Status.DRAFT)
    member = MembershipFactory(brand=draft.brand).user

    assert leaderboard_campaign_get(slug=draft.slug, viewer=member).pk == draft.pk
    with pytest.raises(Http404):
        leaderboard_campaign_get(slug=draft.slug, viewer=UserFactory())
    with pytest.raises(Http404):
        leaderboard_campaign_get(slug=draft.slug, viewer=None)


def test_shared_lines_are_rendered_once_per_list_and_never_confused(settings) -> None:
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 60
    first = [StandingRow(rank=1, participant_id=7, display_name="Ana", points=5, reached_ms=1)]
    second = [StandingRow(rank=1, participant_id=8, display_name="Ben", points=9, reached_ms=2)]

    shown = leaderboard_data(LeaderboardView(state=BoardState.LIVE, rows=first))
    again = leaderboard_data(LeaderboardView(state=BoardState.LIVE, rows=first))
    other = leaderboard_data(LeaderboardView(state=BoardState.LIVE, rows=second))

    assert again["top"] is shown["top"]  # the same shared list: rendered once
    assert [line["name"] for line in shown["top"]] == ["Ana"]
    assert [line["name"] for line in other["top"]] == ["Ben"]
