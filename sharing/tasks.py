"""Celery tasks of engagement: ids in, a service out (see docs/reliability.md).

Every task here is idempotent: it recomputes from the facts in the database, so running it twice,
or after a worker died half-way, changes nothing. New tasks are appended below.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from celery import shared_task

from core.tasks import RELIABLE_TASK


def _in_batches(batch: Callable[[], tuple[int, int]], *, size: int, budget: float) -> int:
    """Run `batch` (which returns: done, seen) while full batches keep coming and `budget`
    seconds last; whatever is left waits for the next run. Returns the total done."""
    deadline = time.monotonic() + budget
    total = 0
    while True:
        done, seen = batch()
        total += done
        if seen < size or time.monotonic() >= deadline:
            return total


# --- Points and the leaderboard (engine) ----------------------------------------------------


@shared_task(**RELIABLE_TASK)
def submission_points_sync_task(submission_id: int) -> None:
    """Derive an entry's likes and approval into the ledger, its like count and its standing."""
    from sharing.points import submission_points_sync

    submission_points_sync(submission_id=submission_id)


LIKES_DERIVE_BUDGET_SECONDS = 20.0


@shared_task(**RELIABLE_TASK)
def likes_derive_task() -> int:
    """Sent after likes commit (`likes_derive_request`, one for a burst): derive them, in batches.

    Loops while full batches keep coming and the time budget lasts; whatever is left asks for
    a run of its own or is found by the sweep. Returns the entries derived.
    """
    from sharing.points import LIKES_DERIVE_BATCH, likes_derive

    def batch() -> tuple[int, int]:
        result = likes_derive(limit=LIKES_DERIVE_BATCH)
        return len(result.submission_ids), len(result.submission_ids) + len(result.failed)

    return _in_batches(batch, size=LIKES_DERIVE_BATCH, budget=LIKES_DERIVE_BUDGET_SECONDS)


@shared_task(**RELIABLE_TASK)
def leaderboard_rebuild_task(campaign_id: int) -> None:
    """Recompute one campaign's standings from the ledger, repair its counters, rebuild Redis."""
    from sharing.points import campaign_engagement_repair

    campaign_engagement_repair(campaign_id=campaign_id)


@shared_task(**RELIABLE_TASK)
def leaderboard_redis_rebuild_task(campaign_id: int) -> None:
    """Readers found the campaign's Redis keys missing (a flush, or Redis restarted): rebuild.

    Redis lost its keys, so it was probably away for a while, and the likes of that while could
    not enqueue their derivation. Derive what is underived first (a repair), so the rebuilt
    board is the truth now rather than after the next sweep.
    """
    from sharing.points import campaign_engagement_repair

    campaign_engagement_repair(campaign_id=campaign_id)


@shared_task(**RELIABLE_TASK)
def leaderboards_rebuild_task() -> int:
    """Run by beat: rebuild the leaderboards of open and recently closed campaigns (a task each)."""
    from sharing.points import campaigns_to_rebuild

    ids = campaigns_to_rebuild()
    for campaign_id in ids:
        leaderboard_rebuild_task.delay(campaign_id)
    return len(ids)


@shared_task(**RELIABLE_TASK)
def engagement_sweep_task() -> dict[str, int]:
    """Run by beat: derive every like and moderation decision whose task never ran."""
    from sharing.points import engagement_sweep

    result = engagement_sweep()
    return {"submissions": len(result.submission_ids)}


# --- Share clicks (sharing) ------------------------------------------------------------------

CLICKS_DERIVE_BUDGET_SECONDS = 20.0


@shared_task(**RELIABLE_TASK)
def clicks_derive_task() -> int:
    """Run by beat every few seconds: turn raw share hits into counted clicks, batch by batch.

    Loops until no hit is left or the time budget is spent (the next run picks up the rest);
    two runs at once take different hits (SKIP LOCKED). Returns the hits derived.
    """
    from sharing.clicks import DERIVE_BATCH, clicks_derive

    def batch() -> tuple[int, int]:
        derived = clicks_derive(limit=DERIVE_BATCH)
        return derived, derived

    return _in_batches(batch, size=DERIVE_BATCH, budget=CLICKS_DERIVE_BUDGET_SECONDS)
