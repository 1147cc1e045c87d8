"""The end of a campaign: frozen standings, winners by rule, reproducible draws."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from campaigns.models import Campaign, FinalStanding, Winner, WinnerDraw
from campaigns.services import campaign_phases_sync
from campaigns.winners import (
    draw_pick,
    draw_verify,
    standings_freeze,
    winner_disqualify,
    winners_current,
    winners_jury_set,
    winners_notify,
)
from core.exceptions import ApplicationError, Conflict, PermissionDenied
from sharing.models import Standing
from submissions.models import Submission
from tests.factories import (
    CampaignFactory,
    MembershipFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

Rule = Campaign.WinnerRule


def _ended_campaign(**fields: object) -> Campaign:
    """A published campaign whose end has just passed, closing not yet processed."""
    now = timezone.now()
    return CampaignFactory(
        starts_at=now - timedelta(days=10), ends_at=now - timedelta(seconds=1), **fields
    )


def _participant(campaign: Campaign, points: int, reached_ms: int, **user: object) -> int:
    person = UserFactory(**user)
    SubmissionFactory(campaign=campaign, author=person, state=Submission.State.APPROVED)
    Standing.objects.create(
        campaign=campaign, participant=person, points=points, reached_ms=reached_ms
    )
    return person.pk


def test_freeze_ranks_ties_by_standard_competition_ranking() -> None:
    campaign = _ended_campaign()
    a = _participant(campaign, 30, 100)
    b = _participant(campaign, 20, 300)
    c = _participant(campaign, 20, 200)
    d = _participant(campaign, 10, 50)

    standings_freeze(campaign=campaign)
    standings_freeze(campaign=campaign)

    rows = list(
        FinalStanding.objects.filter(campaign=campaign).values_list("participant_id", "rank")
    )
    assert rows == [(a, 1), (c, 2), (b, 2), (d, 4)]


def test_closing_freezes_and_picks_top_participants_by_points() -> None:
    campaign = _ended_campaign(winner_rule=Rule.TOP_POINTS, winner_count=2)
    first = _participant(campaign, 50, 10)
    early_tie = _participant(campaign, 40, 5)
    _late_tie = _participant(campaign, 40, 9)

    campaign_phases_sync()

    assert [w.participant_id for w in winners_current(campaign=campaign)] == [first, early_tie]
    assert FinalStanding.objects.filter(campaign=campaign).count() == 3


def test_closing_twice_chooses_winners_once() -> None:
    campaign = _ended_campaign(winner_count=1)
    _participant(campaign, 5, 1)

    campaign_phases_sync()
    campaign_phases_sync()

    assert WinnerDraw.objects.filter(campaign=campaign).count() == 1
    assert Winner.objects.filter(campaign=campaign).count() == 1


def test_top_entries_by_likes_one_win_per_participant() -> None:
    campaign = _ended_campaign(winner_rule=Rule.TOP_LIKES, winner_count=2)
    star, other = UserFactory(), UserFactory()
    best = SubmissionFactory(campaign=campaign, author=star, like_count=9)
    SubmissionFactory(campaign=campaign, author=star, like_count=8)
    runner_up = SubmissionFactory(campaign=campaign, author=other, like_count=3)

    campaign_phases_sync()

    winners = winners_current(campaign=campaign)
    assert [(w.participant, w.submission) for w in winners] == [(star, best), (other, runner_up)]


@pytest.mark.parametrize("rule", [Rule.DRAW, Rule.DRAW_WEIGHTED])
def test_a_draw_is_reproducible_from_its_recorded_seed(rule: str) -> None:
    campaign = _ended_campaign(winner_rule=rule, winner_count=3)
    for points in (1, 5, 9, 13, 17, 21):
        _participant(campaign, points, points)

    campaign_phases_sync()

    draw = WinnerDraw.objects.get(campaign=campaign)
    assert draw.seed
    assert draw_verify(draw=draw)
    again = draw_pick(draw.pool, draw.seed, 3, weighted=rule == Rule.DRAW_WEIGHTED)
    assert again == [w.participant_id for w in winners_current(campaign=campaign)]


def test_draw_pick_depends_only_on_its_arguments() -> None:
    pool = [{"participant": pid, "weight": pid} for pid in range(1, 40)]

    assert draw_pick(pool, "seed-a", 5, weighted=False) == draw_pick(
        pool, "seed-a", 5, weighted=False
    )
    assert draw_pick(pool, "seed-a", 5, weighted=False) != draw_pick(
        pool, "seed-b", 5, weighted=False
    )


def test_a_weighted_draw_never_picks_someone_without_points() -> None:
    pool = [{"participant": 1, "weight": 0}, {"participant": 2, "weight": 3}]

    for seed in ("a", "b", "c", "d", "e"):
        assert draw_pick(pool, seed, 2, weighted=True) == [2]


def test_brand_members_and_inactive_people_are_not_eligible() -> None:
    campaign = _ended_campaign(winner_count=3)
    member = MembershipFactory(brand=campaign.brand).user
    SubmissionFactory(campaign=campaign, author=member)
    Standing.objects.create(campaign=campaign, participant=member, points=99, reached_ms=1)
    _participant(campaign, 50, 1, is_active=False)
    honest = _participant(campaign, 10, 1)

    campaign_phases_sync()

    assert [w.participant_id for w in winners_current(campaign=campaign)] == [honest]


def test_disqualifying_keeps_the_record_and_gives_the_rank_to_the_next() -> None:
    campaign = _ended_campaign(winner_count=2)
    cheat = _participant(campaign, 90, 1)
    second = _participant(campaign, 50, 1)
    third = _participant(campaign, 40, 1)
    campaign_phases_sync()
    staff = StaffFactory()
    first_place = Winner.objects.get(campaign=campaign, participant_id=cheat)

    winner_disqualify(winner=first_place, actor=staff, reason="Bought likes")

    assert [(w.rank, w.participant_id) for w in winners_current(campaign=campaign)] == [
        (1, third),
        (2, second),
    ]
    first_place.refresh_from_db()
    assert first_place.disqualified_reason == "Bought likes"
    assert first_place.disqualified_by == staff
    assert WinnerDraw.objects.filter(campaign=campaign).count() == 2


def test_disqualifying_needs_staff_and_a_reason() -> None:
    campaign = _ended_campaign(winner_count=1)
    _participant(campaign, 9, 1)
    campaign_phases_sync()
    winner = Winner.objects.get(campaign=campaign)

    with pytest.raises(PermissionDenied):
        winner_disqualify(winner=winner, actor=UserFactory(), reason="No")
    with pytest.raises(ApplicationError):
        winner_disqualify(winner=winner, actor=StaffFactory(), reason="  ")

    winner.refresh_from_db()
    assert winner.disqualified_at is None


def test_disqualifying_twice_is_a_conflict() -> None:
    campaign = _ended_campaign(winner_count=1)
    _participant(campaign, 9, 1)
    campaign_phases_sync()
    winner = Winner.objects.get(campaign=campaign)
    staff = StaffFactory()
    winner_disqualify(winner=winner, actor=staff, reason="Fake entry", redraw=False)

    with pytest.raises(Conflict):
        winner_disqualify(winner=winner, actor=staff, reason="Again")


def test_jury_campaigns_only_freeze_then_staff_pick() -> None:
    campaign = _ended_campaign(winner_rule=Rule.JURY)
    entry = SubmissionFactory(campaign=campaign)
    campaign_phases_sync()
    assert not Winner.objects.filter(campaign=campaign).exists()

    winners_jury_set(campaign=campaign, actor=StaffFactory(), picks=[(1, entry.pk)])

    assert [(w.rank, w.submission) for w in winners_current(campaign=campaign)] == [(1, entry)]


def test_winners_are_emailed_once_in_their_language(django_capture_on_commit_callbacks) -> None:
    campaign = _ended_campaign(winner_count=1)
    _participant(campaign, 9, 1, language="it")

    with django_capture_on_commit_callbacks(execute=True):
        campaign_phases_sync()
    winners_notify(campaign_id=campaign.pk)

    assert len(mail.outbox) == 1
    assert "Congratulazioni" in mail.outbox[0].body or campaign.title in mail.outbox[0].subject
    assert Winner.objects.get(campaign=campaign).notified_at is not None


def test_winners_whose_email_task_never_ran_are_told_by_a_later_phase_sync(
    django_capture_on_commit_callbacks,
) -> None:
    campaign = _ended_campaign(winner_count=1)
    _participant(campaign, 9, 1)
    with django_capture_on_commit_callbacks(execute=False):  # the notify task is lost
        campaign_phases_sync()
    assert Winner.objects.get(campaign=campaign).notified_at is None

    campaign_phases_sync()  # right away: the task may still come
    assert mail.outbox == []
    campaign_phases_sync(now=timezone.now() + timedelta(minutes=5))
    campaign_phases_sync(now=timezone.now() + timedelta(minutes=6))

    assert len(mail.outbox) == 1
    assert Winner.objects.get(campaign=campaign).notified_at is not None
