"""Two requests or two workers at the same moment (PostgreSQL, real connections per thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections, transaction

from sharing.models import PointEvent, Standing
from sharing.points import submission_points_sync
from submissions.likes import like_create
from submissions.models import Like, Submission
from tests.factories import LikeFactory, SubmissionFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 10.0


def _blocked_backends() -> int:
    """Other sessions of this database waiting for a lock right now."""
    with connection.cursor() as cursor:
        # Inside a transaction PostgreSQL keeps its first view of pg_stat_activity: drop it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def _hold_until_the_other_waits() -> None:
    stop = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if _blocked_backends():
            return
        stop.wait(0.01)


def _race(first: Callable[[], object], second: Callable[[], object]) -> dict[str, object]:
    """Run `first` in a transaction held open until `second` is queued behind it, then commit."""
    started = threading.Event()
    outcomes: dict[str, object] = {}

    def run_first() -> None:
        try:
            with transaction.atomic():
                outcomes["first"] = first()
                started.set()
                _hold_until_the_other_waits()
        except Exception as exc:
            outcomes["first"] = exc
        finally:
            started.set()
            connections.close_all()

    def run_second() -> None:
        try:
            assert started.wait(WAIT)
            outcomes["second"] = second()
        except Exception as exc:
            outcomes["second"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    return outcomes


def test_a_like_inserted_twice_concurrently_leaves_one_like() -> None:
    entry = Submission.objects.select_related("campaign").get(pk=SubmissionFactory().pk)
    fan = UserFactory()

    outcomes = _race(
        lambda: like_create(user=fan, submission=entry),
        lambda: like_create(user=fan, submission=entry),
    )

    assert isinstance(outcomes["first"], Like), outcomes
    assert isinstance(outcomes["second"], Like), outcomes
    assert outcomes["first"].pk == outcomes["second"].pk
    assert Like.objects.filter(submission=entry, user=fan).count() == 1


def test_two_derivations_of_one_entry_at_once_count_each_fact_once() -> None:
    entry = SubmissionFactory()
    LikeFactory.create_batch(3, submission=entry)

    outcomes = _race(
        lambda: submission_points_sync(submission_id=entry.pk),
        lambda: submission_points_sync(submission_id=entry.pk),
    )

    assert not any(isinstance(o, Exception) for o in outcomes.values()), outcomes
    assert sorted(PointEvent.objects.values_list("kind", "points")) == [
        ("entry", 10),
        ("like", 1),
        ("like", 1),
        ("like", 1),
    ]
    assert Standing.objects.get(participant=entry.author).points == 13
    entry.refresh_from_db()
    assert entry.like_count == 3


def test_two_refreshes_of_one_participant_store_the_later_total() -> None:
    """Two entries of one author derived at once: the standing sums both, whoever commits last."""
    author = UserFactory()
    first_entry = SubmissionFactory(author=author)
    second_entry = SubmissionFactory(author=author, campaign=first_entry.campaign)

    outcomes = _race(
        lambda: submission_points_sync(submission_id=first_entry.pk),
        lambda: submission_points_sync(submission_id=second_entry.pk),
    )

    assert not any(isinstance(o, Exception) for o in outcomes.values()), outcomes
    assert Standing.objects.get(participant=author).points == 20


def test_a_like_does_not_wait_for_a_running_derivation_of_its_entry() -> None:
    """The derivation locks the entry's row without blocking the like's foreign-key check."""
    entry = Submission.objects.select_related("campaign").get(pk=SubmissionFactory().pk)
    fan = UserFactory()
    deriving, liked = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def derive() -> None:
        try:
            with transaction.atomic():
                submission_points_sync(submission_id=entry.pk)
                deriving.set()
                outcome["liked_meanwhile"] = liked.wait(WAIT / 2)
        finally:
            deriving.set()
            connections.close_all()

    def like() -> None:
        try:
            assert deriving.wait(WAIT)
            with transaction.atomic():
                # Registered first, so it runs as soon as the like commits (foreign keys are
                # checked at commit), before the like's own derivation, which must wait.
                transaction.on_commit(liked.set)
                outcome["like"] = like_create(user=fan, submission=entry)
        except Exception as exc:
            outcome["like"] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=derive), threading.Thread(target=like)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)

    assert isinstance(outcome["like"], Like), outcome
    assert outcome["liked_meanwhile"] is True
