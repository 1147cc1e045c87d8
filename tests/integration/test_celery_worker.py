"""A task travels through real Redis to a real worker process; its effect lands in PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from celery.result import AsyncResult
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.tasks import campaign_phases_sync_task
from tests.factories import CampaignFactory

if TYPE_CHECKING:
    from tests.integration.conftest import WorkerProcess

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

RESULT_TIMEOUT = 20.0


class Rollback(Exception):
    pass


def _ended_campaign(**kwargs: object) -> Campaign:
    """A published campaign that ended an hour ago and whose closing was never processed."""
    starts_at = timezone.now() - timedelta(days=8)
    return CampaignFactory(
        starts_at=starts_at, ends_at=starts_at + timedelta(days=7, hours=23), **kwargs
    )


@transaction.atomic
def _enqueue_then_roll_back(worker: WorkerProcess, *, task_id: str) -> None:
    _ended_campaign(slug="never-committed")
    transaction.on_commit(lambda: worker.enqueue(campaign_phases_sync_task, task_id=task_id))
    raise Rollback


def test_worker_closes_an_ended_campaign_in_postgres(worker: WorkerProcess) -> None:
    campaign = _ended_campaign()
    assert campaign.closed_at is None

    result = worker.enqueue(campaign_phases_sync_task).get(timeout=RESULT_TIMEOUT)

    assert result == {"opened": [campaign.pk], "closed": [campaign.pk]}
    campaign.refresh_from_db()
    assert campaign.closed_at is not None
    assert campaign.closed_at >= campaign.ends_at


def test_worker_closes_a_campaign_once_when_the_task_runs_twice(worker: WorkerProcess) -> None:
    campaign = _ended_campaign()

    first = worker.enqueue(campaign_phases_sync_task).get(timeout=RESULT_TIMEOUT)
    campaign.refresh_from_db()
    closed_at, updated_at = campaign.closed_at, campaign.updated_at
    second = worker.enqueue(campaign_phases_sync_task).get(timeout=RESULT_TIMEOUT)

    assert first == {"opened": [campaign.pk], "closed": [campaign.pk]}
    assert second == {"opened": [], "closed": []}
    campaign.refresh_from_db()
    assert closed_at is not None
    assert campaign.closed_at == closed_at
    assert campaign.updated_at == updated_at


def test_task_enqueued_in_a_rolled_back_transaction_is_never_sent(worker: WorkerProcess) -> None:
    campaign = _ended_campaign()
    ghost_task_id = f"rolled-back-{uuid.uuid4()}"

    with pytest.raises(Rollback):
        _enqueue_then_roll_back(worker, task_id=ghost_task_id)

    # The worker takes one message at a time, oldest first: once the marker has run, anything
    # sent before it would have run too. The marker closing the campaign itself proves nothing did.
    marker = worker.enqueue(campaign_phases_sync_task).get(timeout=RESULT_TIMEOUT)

    assert marker == {"opened": [campaign.pk], "closed": [campaign.pk]}
    assert AsyncResult(ghost_task_id).state == "PENDING"  # the backend never heard of it
    assert not Campaign.objects.filter(slug="never-committed").exists()
