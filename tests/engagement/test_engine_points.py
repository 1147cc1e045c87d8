"""Derivations: likes and moderation decisions become ledger lines, counts and standings, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from sharing.leaderboard import leaderboard_rebuild
from sharing.models import PointEvent, Standing
from sharing.points import (
    campaign_engagement_repair,
    engagement_sweep,
    submission_points_sync,
)
from sharing.tasks import (
    engagement_sweep_task,
    leaderboards_rebuild_task,
    submission_points_sync_task,
)
from submissions import services
from submissions.likes import like_create, like_remove
from submissions.models import Like, Submission
from tests.engagement.engine_support import ledger_of, score_of
from tests.factories import (
    CampaignFactory,
    LikeFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def _snapshot(campaign) -> tuple[list, list, list]:
    ledger = sorted(
        PointEvent.objects.filter(campaign=campaign).values_list("key", "participant_id", "points")
    )
    standings = sorted(
        Standing.objects.filter(campaign=campaign).values_list(
            "participant_id", "points", "reached_ms"
        )
    )
    counts = sorted(Submission.objects.filter(campaign=campaign).values_list("pk", "like_count"))
    return ledger, standings, counts


@pytest.fixture
def moderator():
    return StaffFactory()


def _moderate(submission, moderator, action, capture) -> None:
    with capture(execute=True):
        services.submission_moderate(
            submission=submission, moderator=moderator, action=action, reason="Because."
        )
    submission.refresh_from_db()


def test_approve_reject_approve_gives_plus_minus_plus(
    campaign, moderator, django_capture_on_commit_callbacks
) -> None:
    entry = SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)

    for action in ("approve", "reject", "approve"):
        _moderate(entry, moderator, action, django_capture_on_commit_callbacks)

    assert ledger_of(entry.author, campaign) == [
        ("entry", 10),
        ("entry_revoked", -10),
        ("entry", 10),
    ]
    assert Standing.objects.get(campaign=campaign, participant=entry.author).points == 10


def test_a_rejected_entry_scores_nothing_and_its_likes_return_with_it(
    campaign, moderator, django_capture_on_commit_callbacks
) -> None:
    entry = SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)
    fans = UserFactory.create_batch(3)
    _moderate(entry, moderator, "approve", django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        for fan in fans:
            like_create(user=fan, submission=entry)

    _moderate(entry, moderator, "reject", django_capture_on_commit_callbacks)
    assert score_of(entry.author, campaign) == 0
    with django_capture_on_commit_callbacks(execute=True):
        like_remove(user=fans[0], submission=entry)  # withdrawn while rejected
    assert score_of(entry.author, campaign) == 0

    _moderate(entry, moderator, "approve", django_capture_on_commit_callbacks)

    assert ledger_of(entry.author, campaign) == [
        ("entry", 10),
        ("like", 1),
        ("like", 1),
        ("like", 1),
        ("entry_revoked", -13),
        ("entry", 10),
        ("like", 1),
        ("like", 1),
    ]
    assert Standing.objects.get(participant=entry.author).points == 12
    entry.refresh_from_db()
    assert entry.like_count == 2


def test_an_entry_hidden_by_reports_stops_scoring(
    campaign, entry, settings, django_capture_on_commit_callbacks
) -> None:
    settings.PASSAPAROLA_REPORTS_TO_HIDE = 2
    submission_points_sync(submission_id=entry.pk)
    assert score_of(entry.author, campaign) == 10

    with django_capture_on_commit_callbacks(execute=True):
        for reporter in UserFactory.create_batch(2):
            services.report_create(reporter=reporter, reason="spam", submission=entry)

    assert ledger_of(entry.author, campaign)[-1] == ("entry_revoked", -10)
    assert Standing.objects.get(participant=entry.author).points == 0


def test_bulk_moderation_derives_every_entry(
    campaign, moderator, django_capture_on_commit_callbacks
) -> None:
    entries = SubmissionFactory.create_batch(3, campaign=campaign, state="pending")

    with django_capture_on_commit_callbacks(execute=True):
        services.submissions_moderate_bulk(
            submission_ids=[e.pk for e in entries], moderator=moderator, action="approve"
        )

    assert sorted(Standing.objects.values_list("points", flat=True)) == [10, 10, 10]


def test_points_are_the_campaigns_numbers(django_capture_on_commit_callbacks) -> None:
    campaign = CampaignFactory(points_entry=25, points_like=3)
    entry = SubmissionFactory(campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=UserFactory(), submission=entry)

    assert ledger_of(entry.author, campaign) == [("entry", 25), ("like", 3)]


def test_a_campaign_giving_no_like_points_writes_no_like_lines(
    django_capture_on_commit_callbacks,
) -> None:
    campaign = CampaignFactory(points_entry=0, points_like=0)
    entry = SubmissionFactory(campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        like_create(user=UserFactory(), submission=entry)

    assert ledger_of(entry.author, campaign) == [("entry", 0)]
    entry.refresh_from_db()
    assert entry.like_count == 1
    assert not Standing.objects.filter(points__gt=0).exists()


def test_a_like_made_after_the_close_never_scores(campaign, entry) -> None:
    like = LikeFactory(submission=entry)
    Like.objects.filter(pk=like.pk).update(created_at=campaign.ends_at + timedelta(seconds=1))

    submission_points_sync(submission_id=entry.pk)

    assert ledger_of(entry.author, campaign) == [("entry", 10)]


def test_a_like_withdrawn_before_its_derivation_leaves_no_line(campaign, entry) -> None:
    like = LikeFactory(submission=entry)
    Like.objects.filter(pk=like.pk).update(removed_at=timezone.now())

    submission_points_sync(submission_id=entry.pk)

    assert ledger_of(entry.author, campaign) == [("entry", 10)]
    assert Like.objects.get(pk=like.pk).derived_at is not None


def test_an_unlike_committed_during_a_derivation_is_not_lost(campaign, entry, monkeypatch) -> None:
    """The run saw the like live; the unlike clears derived_at; the run must not stamp it."""
    like = LikeFactory(submission=entry)
    from sharing import points

    original = points._mark_derived

    def unlike_first(**kwargs):
        Like.objects.filter(pk=like.pk).update(removed_at=timezone.now(), derived_at=None)
        original(**kwargs)

    monkeypatch.setattr(points, "_mark_derived", unlike_first)
    submission_points_sync(submission_id=entry.pk)
    monkeypatch.setattr(points, "_mark_derived", original)
    assert Like.objects.get(pk=like.pk).derived_at is None

    submission_points_sync(submission_id=entry.pk)

    assert ledger_of(entry.author, campaign) == [("entry", 10), ("like", 1), ("unlike", -1)]


def test_running_every_derivation_twice_changes_no_score(
    campaign, moderator, django_capture_on_commit_callbacks
) -> None:
    entries = SubmissionFactory.create_batch(3, campaign=campaign, state="pending")
    fans = UserFactory.create_batch(4)
    with django_capture_on_commit_callbacks(execute=True):
        services.submissions_moderate_bulk(
            submission_ids=[e.pk for e in entries], moderator=moderator, action="approve"
        )
    for entry in entries:
        entry.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        for i, fan in enumerate(fans):
            for entry in entries[: i % 3 + 1]:
                like_create(user=fan, submission=entry)
        like_remove(user=fans[0], submission=entries[0])
    _moderate(entries[2], moderator, "reject", django_capture_on_commit_callbacks)
    before = _snapshot(campaign)
    assert before[1]

    for entry in entries:
        submission_points_sync(submission_id=entry.pk)
        submission_points_sync(submission_id=entry.pk, full=True)
        submission_points_sync_task.delay(entry.pk)
        submission_points_sync_task.delay(entry.pk)
    engagement_sweep(now=timezone.now() + timedelta(minutes=5))
    engagement_sweep_task.delay()
    campaign_engagement_repair(campaign_id=campaign.pk)
    campaign_engagement_repair(campaign_id=campaign.pk, derive_all=True)
    leaderboard_rebuild(campaign_id=campaign.pk)
    leaderboards_rebuild_task.delay()
    call_command("rebuild_leaderboards", stdout=None)

    assert _snapshot(campaign) == before


def test_the_sweep_derives_a_like_whose_task_never_ran(campaign, entry) -> None:
    submission_points_sync(submission_id=entry.pk)
    like = LikeFactory(submission=entry)  # written, but its task was lost
    assert engagement_sweep().submission_ids == []  # too fresh: its task may still come

    Like.objects.filter(pk=like.pk).update(updated_at=timezone.now() - timedelta(minutes=2))
    result = engagement_sweep()

    assert result.submission_ids == [entry.pk]
    assert ledger_of(entry.author, campaign) == [("entry", 10), ("like", 1)]
    entry.refresh_from_db()
    assert entry.like_count == 1
    assert Like.objects.get(pk=like.pk).derived_at is not None
    assert engagement_sweep().submission_ids == []


def test_the_sweep_derives_an_approval_whose_task_never_ran(campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)  # approved, never derived
    rejected = SubmissionFactory(campaign=campaign)
    submission_points_sync(submission_id=rejected.pk)
    Submission.objects.filter(pk=rejected.pk).update(state="rejected")
    Submission.objects.filter(pk__in=[entry.pk, rejected.pk]).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )

    result = engagement_sweep()

    assert sorted(result.submission_ids) == sorted([entry.pk, rejected.pk])
    assert score_of(entry.author, campaign) == 10
    assert score_of(rejected.author, campaign) == 0
    assert engagement_sweep().submission_ids == []


def test_repair_fixes_a_wrong_like_count_and_a_lost_standing(campaign, entry) -> None:
    LikeFactory.create_batch(2, submission=entry)
    submission_points_sync(submission_id=entry.pk)
    Submission.objects.filter(pk=entry.pk).update(like_count=7)
    Standing.objects.filter(participant=entry.author).update(points=99)

    result = campaign_engagement_repair(campaign_id=campaign.pk)

    assert result.derived == [entry.pk]
    entry.refresh_from_db()
    assert entry.like_count == 2
    assert Standing.objects.get(participant=entry.author).points == 12


def test_submission_created_approved_is_derived(campaign, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        entry = services.submission_create(
            campaign=campaign, author=UserFactory(), kind="text", text="Hi", state="approved"
        )

    assert score_of(entry.author, campaign) == 10


def test_a_deleted_entry_is_no_error() -> None:
    assert submission_points_sync(submission_id=987654) is None
