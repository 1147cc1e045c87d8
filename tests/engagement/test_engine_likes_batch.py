"""Likes are derived in batches: a burst of likes sends one task through the real broker.

The like path asks for a derivation with one Redis `SET NX` (`likes_derive_request`); only the
like that sets the key publishes `likes_derive_task`, and the task clears the key before it reads
the likes table, so a like committed after that sends a task of its own. These tests publish to
the real Redis broker with nothing consuming, count what reached the queue, then run the task
here and check what it derived.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis
from django.conf import settings
from django.core.cache import cache

from config.celery import app as celery_app
from sharing.models import PointEvent
from sharing.points import LIKES_PENDING_KEY, likes_derive
from sharing.tasks import likes_derive_task
from submissions.likes import like_remove, like_submit
from submissions.models import Like, Submission
from tests.factories import SubmissionFactory, UserFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]

TASK = likes_derive_task.name


class Queue:
    """The broker's default queue as Redis holds it: the messages of one task name in it."""

    def __init__(self) -> None:
        self.client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        self.name = celery_app.conf.task_default_queue
        self.before = set(self.client.lrange(self.name, 0, -1))

    def ours(self) -> list[bytes]:
        """The messages of `likes_derive_task` sent since this object was made."""
        return [
            raw
            for raw in self.client.lrange(self.name, 0, -1)
            if raw not in self.before and json.loads(raw)["headers"]["task"] == TASK
        ]

    def drop(self) -> None:
        for raw in self.ours():
            self.client.lrem(self.name, 0, raw)


@pytest.fixture
def queue() -> Iterator[Queue]:
    """Tasks go to the broker (not run here); what this test sent is removed afterwards."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    found = Queue()
    try:
        yield found
    finally:
        celery_app.conf.task_always_eager = previous
        found.drop()


def _fans(count: int) -> list:
    return [UserFactory() for _ in range(count)]


def test_a_burst_of_likes_sends_one_task_and_the_task_derives_them_all(queue) -> None:
    entries = [SubmissionFactory() for _ in range(3)]
    fans = _fans(4)

    for entry in entries:
        for fan in fans:
            _like, created = like_submit(user=fan, submission_id=entry.pk)
            assert created

    assert len(queue.ours()) == 1  # twelve likes, one publish
    assert cache.get(LIKES_PENDING_KEY) is not None
    assert Like.objects.filter(derived_at__isnull=True).count() == 12

    result = likes_derive()

    assert result.submission_ids == sorted(e.pk for e in entries)
    assert not Like.objects.filter(derived_at__isnull=True).exists()
    assert [e.like_count for e in Submission.objects.order_by("pk")] == [4, 4, 4]
    assert PointEvent.objects.filter(kind=PointEvent.Kind.LIKE).count() == 12
    assert cache.get(LIKES_PENDING_KEY) is None  # cleared before it read the likes


def test_a_like_after_the_task_started_sends_a_task_of_its_own(queue) -> None:
    entry = SubmissionFactory()
    first, second = _fans(2)
    like_submit(user=first, submission_id=entry.pk)
    likes_derive()  # the queued task runs: the key is gone

    like_submit(user=second, submission_id=entry.pk)

    assert len(queue.ours()) == 2
    likes_derive()
    entry.refresh_from_db()
    assert entry.like_count == 2


def test_an_unlike_asks_for_the_derivation_the_same_way(queue) -> None:
    entry = SubmissionFactory()
    fan = UserFactory()
    like_submit(user=fan, submission_id=entry.pk)
    likes_derive()
    entry.refresh_from_db()
    assert entry.like_count == 1

    like_remove(user=fan, submission=Submission.objects.select_related("campaign").get(pk=entry.pk))

    assert len(queue.ours()) == 2
    likes_derive()
    entry.refresh_from_db()
    assert entry.like_count == 0
    kinds = sorted(PointEvent.objects.filter(submission=entry).values_list("kind", "points"))
    assert kinds == sorted([("entry", 10), ("like", 1), ("unlike", -1)])


def test_the_task_runs_twice_and_changes_nothing(queue) -> None:
    entry = SubmissionFactory()
    for fan in _fans(3):
        like_submit(user=fan, submission_id=entry.pk)

    assert likes_derive_task.apply().get() == 1
    ledger = sorted(PointEvent.objects.values_list("key", "points"))
    assert likes_derive_task.apply().get() == 0

    assert sorted(PointEvent.objects.values_list("key", "points")) == ledger
    entry.refresh_from_db()
    assert entry.like_count == 3


def test_without_a_shared_cache_each_like_sends_its_own_task(queue, settings) -> None:
    """The embedded default: its cache lives in each process, so no key could be shared."""
    settings.REDIS_URL = ""
    entry = SubmissionFactory()

    for fan in _fans(3):
        like_submit(user=fan, submission_id=entry.pk)

    assert len(queue.ours()) == 3
    assert cache.get(LIKES_PENDING_KEY) is None
