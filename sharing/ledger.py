"""The points ledger: append events idempotently, and derive standings from it.

Every scoring fact becomes one `PointEvent` with a unique key; appending the same key twice
inserts nothing. A participant's standing is computed from their events (sum, and the time of
the last event that changed it), never incremented, so any derivation may run twice or be
interrupted without changing a score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Max, Q, Sum
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


def to_ms(moment: datetime | None) -> int:
    """Milliseconds since the epoch (0 for none): the `reached_ms` of a standing."""
    return int(moment.timestamp() * 1000) if moment is not None else 0


def standings_totals(
    *, campaign_id: int, participant_ids: Iterable[int] | None = None, until: datetime | None = None
) -> dict[int, tuple[int, int]]:
    """Each participant's (points, reached_ms) summed from the ledger, optionally up to `until`.

    `reached_ms` is the time of the latest event that moved the total: zero-point lines (an
    entry approved in a campaign that gives no entry points) do not make anyone "reach" later.
    """
    events = PointEvent.objects.filter(campaign_id=campaign_id)
    if participant_ids is not None:
        events = events.filter(participant_id__in=list(participant_ids))
    if until is not None:
        events = events.filter(created_at__lte=until)
    rows = (
        events.order_by()
        .values("participant_id")
        .annotate(total=Sum("points"), last=Max("created_at", filter=~Q(points=0)))
        .values_list("participant_id", "total", "last")
    )
    return {pid: (int(total or 0), to_ms(last)) for pid, total, last in rows}


@transaction.atomic
def standings_refresh(
    *, campaign_id: int, participant_ids: Iterable[int], push: bool = True
) -> list[Standing]:
    """Recompute the standings of these participants from the ledger and store them.

    `reached_ms` is the time of the participant's latest scoring event: who reached a total
    first is listed first among equals. The standing rows are locked before the ledger is read,
    so two refreshes of one participant run one after the other and the second reads what the
    first committed (a refresh that read first and locked later could store a stale total).
    Returns the stored rows; with `push` the Redis leaderboard is updated from them after commit.
    """
    ids = sorted(set(participant_ids))
    if not ids:
        return []
    locked = {
        s.participant_id: s
        for s in Standing.objects.select_for_update()
        .filter(campaign_id=campaign_id, participant_id__in=ids)
        .order_by("participant_id")
    }
    missing = [pid for pid in ids if pid not in locked]
    if missing:
        # ON CONFLICT DO NOTHING waits for a concurrent insert of the same row, then skips it.
        Standing.objects.bulk_create(
            [Standing(campaign_id=campaign_id, participant_id=pid) for pid in missing],
            ignore_conflicts=True,
        )
        for s in (
            Standing.objects.select_for_update()
            .filter(campaign_id=campaign_id, participant_id__in=missing)
            .order_by("participant_id")
        ):
            locked[s.participant_id] = s
    totals = standings_totals(campaign_id=campaign_id, participant_ids=ids)
    now = timezone.now()
    changed: list[Standing] = []
    rises: list[tuple[int, int, int]] = []
    for pid in ids:
        standing = locked[pid]
        points, reached = totals.get(pid, (0, 0))
        if (standing.points, standing.reached_ms) != (points, reached):
            if points > standing.points:
                rises.append((pid, standing.points, points))
            standing.points, standing.reached_ms = points, reached
            standing.updated_at = now
            changed.append(standing)
    if changed:
        Standing.objects.bulk_update(changed, ["points", "reached_ms", "updated_at"])
    if rises and push:
        # Rebuilds (push=False) stay silent: only new points move someone up.
        from sharing.notifications import notify_rank_rises

        notify_rank_rises(campaign_id=campaign_id, rises=rises)
    stored = [locked[pid] for pid in ids]
    if push:
        from sharing import leaderboard

        transaction.on_commit(lambda: leaderboard.standings_push(campaign_id, stored))
    return stored
