"""What each viewer may see: statements, hidden counts, the frozen last hours."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.models import BrandMembership
from sharing.selectors import (
    BoardState,
    leaderboard_for_viewer,
    like_counts_visible,
    points_statement,
    submission_ids_liked,
)
from submissions.likes import like_create, like_remove
from tests.factories import CampaignFactory, MembershipFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _viewer(kind: str, campaign, participant):
    if kind == "self":
        return participant
    if kind == "anonymous":
        return None
    if kind == "other":
        return UserFactory()
    if kind == "other-brand":
        return MembershipFactory().user
    return MembershipFactory(brand=campaign.brand, role=kind).user


@pytest.mark.parametrize(
    ("kind", "visible"),
    [
        ("self", True),
        *[(role, True) for role in BrandMembership.Role.values],
        ("other", False),
        ("other-brand", False),
        ("anonymous", False),
    ],
)
def test_a_statement_is_for_its_participant_and_the_brand(
    kind, visible, campaign, entry, fan, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=fan, submission=entry)
    with django_capture_on_commit_callbacks(execute=True):
        like_remove(user=fan, submission=entry)
    viewer = _viewer(kind, campaign, entry.author)

    if not visible:
        with pytest.raises(Http404):
            points_statement(campaign=campaign, participant=entry.author, viewer=viewer)
        with pytest.raises(Http404):
            points_statement(campaign=campaign, participant=entry.author.pk, viewer=viewer)
        return
    statement = points_statement(campaign=campaign, participant=entry.author.pk, viewer=viewer)

    assert statement.participant == entry.author
    assert statement.total == 10
    assert [(line.kind, line.points, line.balance) for line in statement.lines] == [
        ("entry", 10, 10),
        ("like", 1, 11),
        ("unlike", -1, 10),
    ]
    assert all(line.submission_id == entry.pk for line in statement.lines)
    assert str(statement.lines[0].reason) == "Entry approved"


def test_a_statement_of_nobody_is_404_for_the_brand(campaign) -> None:
    owner = MembershipFactory(brand=campaign.brand).user

    with pytest.raises(Http404):
        points_statement(campaign=campaign, participant=987654, viewer=owner)


def test_the_live_board_shows_my_rank(campaign, award) -> None:
    people = UserFactory.create_batch(5)
    for points, person in zip([9, 7, 5, 3, 1], people, strict=True):
        award(campaign, person, points)

    view = leaderboard_for_viewer(campaign=campaign, viewer=people[2], limit=2, span=1)

    assert view.state == BoardState.LIVE
    assert view.visible
    assert [r.participant_id for r in view.rows] == [people[0].pk, people[1].pk]
    assert view.mine.rank == 3
    assert [r.participant_id for r in view.above] == [people[1].pk]
    assert [r.participant_id for r in view.below] == [people[3].pk]


def test_the_limit_is_capped(campaign, award, settings) -> None:
    settings.PASSAPAROLA_LEADERBOARD_LIMIT_MAX = 3
    for person in UserFactory.create_batch(5):
        award(campaign, person, 1)

    assert len(leaderboard_for_viewer(campaign=campaign, viewer=None, limit=50).rows) == 3


@pytest.mark.parametrize(
    ("kind", "state"),
    [
        ("participant", BoardState.HIDDEN),
        ("anonymous", BoardState.HIDDEN),
        ("brand", BoardState.LIVE),
    ],
)
def test_hidden_live_counts_hide_the_board_until_the_close(kind, state, award) -> None:
    campaign = CampaignFactory(hide_live_counts=True)
    person = UserFactory()
    award(campaign, person, 4)
    viewer = {
        "participant": person,
        "anonymous": None,
        "brand": MembershipFactory(brand=campaign.brand, role="analyst").user,
    }[kind]

    view = leaderboard_for_viewer(campaign=campaign, viewer=viewer)

    assert view.state == state
    assert like_counts_visible(campaign=campaign, viewer=viewer) is (state == BoardState.LIVE)
    if state == BoardState.HIDDEN:
        assert (view.rows, view.mine, view.entries) == ([], None, [])
        assert view.reveal_at == campaign.ends_at
    else:
        assert view.rows[0].points == 4

    campaign.starts_at -= timedelta(days=30)
    campaign.ends_at = timezone.now() - timedelta(minutes=1)
    campaign.save()
    closed = leaderboard_for_viewer(campaign=campaign, viewer=viewer)
    assert closed.state == BoardState.FINAL
    assert closed.rows[0].points == 4
    assert like_counts_visible(campaign=campaign, viewer=viewer)


def test_the_last_hours_show_the_board_as_it_froze(award) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        starts_at=now - timedelta(days=2),
        ends_at=now + timedelta(hours=1),
        leaderboard_freeze_hours=3,
    )  # froze two hours ago
    early, climber, newcomer = UserFactory.create_batch(3)
    award(campaign, early, 5, at=now - timedelta(hours=5))
    award(campaign, climber, 3, at=now - timedelta(hours=4))
    award(campaign, climber, 4, at=now - timedelta(minutes=30))  # after the freeze
    award(campaign, newcomer, 1, at=now - timedelta(minutes=10))  # after the freeze

    frozen = leaderboard_for_viewer(campaign=campaign, viewer=climber)
    newcomer_view = leaderboard_for_viewer(campaign=campaign, viewer=newcomer)
    brand_view = leaderboard_for_viewer(
        campaign=campaign, viewer=MembershipFactory(brand=campaign.brand).user
    )

    assert frozen.state == BoardState.FROZEN
    assert frozen.frozen_at == campaign.ends_at - timedelta(hours=3)
    assert [(r.rank, r.participant_id, r.points) for r in frozen.rows] == [
        (1, early.pk, 5),
        (2, climber.pk, 3),
    ]
    assert (frozen.mine.rank, frozen.mine.points) == (2, 3)
    assert [r.participant_id for r in frozen.above] == [early.pk]
    assert frozen.below == []
    assert newcomer_view.mine is None
    assert brand_view.state == BoardState.LIVE
    assert [r.points for r in brand_view.rows] == [7, 5, 1]

    campaign.starts_at -= timedelta(days=30)
    campaign.ends_at = now - timedelta(minutes=1)
    campaign.save()
    final = leaderboard_for_viewer(campaign=campaign, viewer=climber)
    assert final.state == BoardState.FINAL
    assert [r.points for r in final.rows] == [7, 5, 1]
    assert final.mine.rank == 1


def test_a_campaign_not_started_has_no_board() -> None:
    campaign = CampaignFactory(
        starts_at=timezone.now() + timedelta(days=1), ends_at=timezone.now() + timedelta(days=9)
    )

    assert leaderboard_for_viewer(campaign=campaign, viewer=None).state == BoardState.NOT_STARTED


def test_which_entries_a_person_likes(campaign, fan) -> None:
    liked, unliked, untouched = SubmissionFactory.create_batch(3, campaign=campaign)
    like_create(user=fan, submission=liked)
    like_create(user=fan, submission=unliked)
    like_remove(user=fan, submission=unliked)
    ids = [liked.pk, unliked.pk, untouched.pk]

    assert submission_ids_liked(user=fan, submission_ids=ids) == {liked.pk}
    assert submission_ids_liked(user=None, submission_ids=ids) == set()
