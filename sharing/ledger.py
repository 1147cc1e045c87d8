"""The points ledger: append events idempotently, and derive standings from it.

Every scoring fact becomes one `PointEvent` with a unique key; appending the same key twice
inserts nothing. A participant's standing is computed from their events (sum, and the time of
the last event that changed it), never incremented, so any derivation may run twice or be
interrupted without changing a score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max, Sum
from django.utils import timezone

from sharing.models import PointEvent, Standing


@dataclass(frozen=True)
class EventSpec:
    """A ledger line to append: who, how many points, why, and its idempotency key."""

    campaign_id: int
    participant_id: int
    kind: str
    points: int
    key: str
    submission_id: int | None = None


def ledger_append(events: Iterable[EventSpec]) -> None:
    """Insert the events whose key is new; existing keys are left untouched (idempotent)."""
    rows = [
        PointEvent(
            campaign_id=e.campaign_id,
            participant_id=e.participant_id,
            kind=e.kind,
            points=e.points,
            key=e.key,
            submission_id=e.submission_id,
        )
        for e in events
    ]
    if rows:
        PointEvent.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


def _to_ms(moment: object) -> int:
    return int(moment.timestamp() * 1000) if moment is not None else 0  # type: ignore[attr-defined]


@transaction.atomic
def standings_refresh(*, campaign_id: int, participant_ids: Iterable[int]) -> list[Standing]:
    """Recompute the standings of these participants from the ledger and store them.

    `reached_ms` is the time of the participant's latest event: who reached a total first is
    listed first among equals. Returns the stored rows; the leaderboard cache is updated from
    them after commit.
    """
    ids = sorted(set(participant_ids))
    if not ids:
        return []
    totals = {
        row["participant_id"]: row
        for row in PointEvent.objects.filter(campaign_id=campaign_id, participant_id__in=ids)
        .values("participant_id")
        .annotate(total=Sum("points"), last=Max("created_at"))
    }
    existing = {
        s.participant_id: s
        for s in Standing.objects.select_for_update().filter(
            campaign_id=campaign_id, participant_id__in=ids
        )
    }
    changed: list[Standing] = []
    created: list[Standing] = []
    for pid in ids:
        row = totals.get(pid)
        points = int(row["total"] or 0) if row else 0
        reached = _to_ms(row["last"]) if row else 0
        standing = existing.get(pid)
        if standing is None:
            if row is None:
                continue
            created.append(
                Standing(
                    campaign_id=campaign_id, participant_id=pid, points=points, reached_ms=reached
                )
            )
        elif (standing.points, standing.reached_ms) != (points, reached):
            standing.points, standing.reached_ms = points, reached
            standing.updated_at = timezone.now()
            changed.append(standing)
    if created:
        Standing.objects.bulk_create(created, ignore_conflicts=True)
    if changed:
        Standing.objects.bulk_update(changed, ["points", "reached_ms", "updated_at"])
    stored = list(Standing.objects.filter(campaign_id=campaign_id, participant_id__in=ids))
    from sharing import leaderboard

    transaction.on_commit(lambda: leaderboard.standings_push(campaign_id, stored))
    return stored
