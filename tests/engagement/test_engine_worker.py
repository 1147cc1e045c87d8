"""The engagement tasks travel through Redis to a real worker and derive in PostgreSQL, twice."""

from __future__ import annotations

import pytest

from sharing.models import PointEvent, Standing
from sharing.tasks import engagement_sweep_task, submission_points_sync_task
from submissions.models import Like
from tests.factories import LikeFactory, SubmissionFactory
from tests.integration.conftest import live_worker, worker  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

RESULT_TIMEOUT = 20.0


def _run(worker, task, *args):  # noqa: F811
    return task.apply_async(args=args, queue=worker.queue, ignore_result=False).get(
        timeout=RESULT_TIMEOUT
    )


def test_a_worker_derives_an_entry_and_a_second_run_changes_nothing(worker) -> None:  # noqa: F811
    entry = SubmissionFactory()
    likes = LikeFactory.create_batch(2, submission=entry)

    _run(worker, submission_points_sync_task, entry.pk)
    _run(worker, submission_points_sync_task, entry.pk)
    _run(worker, engagement_sweep_task)

    assert sorted(PointEvent.objects.values_list("key", "points")) == sorted(
        [(f"entry:{entry.pk}:0", 10)] + [(f"like:{like.pk}", 1) for like in likes]
    )
    assert Standing.objects.get(participant=entry.author).points == 12
    assert not Like.objects.filter(derived_at__isnull=True).exists()
    entry.refresh_from_db()
    assert entry.like_count == 2
