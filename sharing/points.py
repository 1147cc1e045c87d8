"""Derivations: turn likes and moderation decisions into ledger lines, counters and standings.

Each derivation reads the facts (like rows, the entry's state) and the ledger, and appends what
is missing under deterministic keys, so it may run twice, concurrently, or after a crash without
changing any score (ARCHITECTURE invariants 2 and 3).

How an entry scores. The entry's author gets `points_entry` while the entry is approved and each
live like of it adds `points_like`. The entry's ledger lines come in *approval periods*: the
n-th entry line has the key `entry:<submission>:<n>`; an even n opens a period (kind `entry`,
+points_entry), an odd n closes it (kind `entry_revoked`) and takes back everything the entry
earned during the period, its likes included, so a rejected or hidden entry scores nothing.
Within period p a like is credited once (`like:<like>`, or `like:<like>:<p>` from the second
period on) and, when it is withdrawn, reversed once by the same amount (`unlike:<like>[:<p>]`).
A like withdrawn before its derivation ran leaves no line. Every count (`n`, `p`) is read under
the entry's row lock, so two runs cannot both append the same step.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Count,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from campaigns.models import Campaign
from sharing.ledger import EventSpec, ledger_append, standings_refresh
from sharing.models import PointEvent
from submissions.models import Like, Submission

logger = logging.getLogger(__name__)

Kind = PointEvent.Kind
ENTRY_KINDS = (Kind.ENTRY, Kind.ENTRY_REVOKED, Kind.LIKE, Kind.UNLIKE)
KEY_CHUNK = 2000
SWEEP_GRACE = timedelta(minutes=1)
SWEEP_WINDOW = timedelta(days=2)
SWEEP_LIMIT = 2000
REBUILD_CLOSED_WITHIN = timedelta(days=2)


@dataclass(frozen=True)
class SyncResult:
    submission_id: int
    approved: bool
    like_count: int
    appended: list[str] = field(default_factory=list)


def _entry_key(submission_id: int, n: int) -> str:
    return f"entry:{submission_id}:{n}"


def _like_keys(like_id: int, period: int) -> tuple[str, str]:
    if period == 1:
        return f"like:{like_id}", f"unlike:{like_id}"
    return f"like:{like_id}:{period}", f"unlike:{like_id}:{period}"


def _entry_lines(submission_id: int) -> int:
    """How many entry lines the ledger holds for this entry (opened and closed periods)."""
    keys = (
        PointEvent.objects.filter(key__startswith=f"entry:{submission_id}:")
        .order_by()
        .values_list("key", flat=True)
    )
    return max((int(k.rsplit(":", 1)[1]) + 1 for k in keys), default=0)


def _existing(keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(keys), KEY_CHUNK):
        found.update(
            PointEvent.objects.filter(key__in=keys[start : start + KEY_CHUNK]).values_list(
                "key", "points"
            )
        )
    return found


def _mark_derived(*, live: list[int], removed: list[int], now: datetime) -> None:
    """Stamp the likes this run derived, as it saw them.

    A like seen live is stamped only if it is still live: an unlike that committed meanwhile
    cleared `derived_at` and must be derived by its own run (the UPDATE re-checks the row).
    """
    for start in range(0, len(live), KEY_CHUNK):
        Like.objects.filter(
            pk__in=live[start : start + KEY_CHUNK], removed_at__isnull=True, derived_at__isnull=True
        ).update(derived_at=now)
    for start in range(0, len(removed), KEY_CHUNK):
        Like.objects.filter(
            pk__in=removed[start : start + KEY_CHUNK], derived_at__isnull=True
        ).update(derived_at=now)


@transaction.atomic
def submission_points_sync(*, submission_id: int, full: bool = False) -> SyncResult | None:
    """Derive an entry's approval and likes into the ledger, then its like count and standing.

    Locks the entry's row for the whole run, FOR NO KEY UPDATE: derivations and moderation
    decisions of the entry wait for each other, but a like or comment committing meanwhile does
    not (its foreign-key check at commit takes only a key-share lock, which FOR UPDATE would
    block); such a like is derived by its own task. Looks at the likes not yet derived, or at
    all of them with `full` (a repair) and whenever an approval period opens. Points are the
    campaign's numbers at derivation time; a reversal takes back exactly what was credited.
    Returns None when the entry no longer exists.
    """
    submission = (
        Submission.objects.select_for_update(of=("self",), no_key=True)
        .select_related("campaign")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return None
    campaign: Campaign = submission.campaign
    now = timezone.now()
    approved = submission.state == Submission.State.APPROVED
    base = {
        "campaign_id": campaign.pk,
        "participant_id": submission.author_id,
        "submission_id": submission.pk,
    }
    events: list[EventSpec] = []

    n = _entry_lines(submission.pk)
    period_open = n % 2 == 1
    if approved and not period_open:
        events.append(
            EventSpec(
                kind=Kind.ENTRY,
                points=campaign.points_entry,
                key=_entry_key(submission.pk, n),
                **base,
            )
        )
        period_open, full = True, True
        n += 1
    elif not approved and period_open:
        earned = PointEvent.objects.filter(
            submission_id=submission.pk, participant_id=submission.author_id, kind__in=ENTRY_KINDS
        ).aggregate(total=Coalesce(Sum("points"), 0))["total"]
        events.append(
            EventSpec(
                kind=Kind.ENTRY_REVOKED,
                points=-earned,
                key=_entry_key(submission.pk, n),
                **base,
            )
        )
        period_open = False
        n += 1

    likes = Like.objects.filter(submission_id=submission.pk)
    if not full:
        likes = likes.filter(derived_at__isnull=True)
    rows = list(likes.order_by("pk").values_list("pk", "removed_at", "created_at", "derived_at"))
    if period_open and rows:
        period = (n + 1) // 2
        keys = {pk: _like_keys(pk, period) for pk, *_rest in rows}
        existing = _existing([k for pair in keys.values() for k in pair])
        for pk, removed_at, created_at, _derived in rows:
            grant, reverse = keys[pk]
            if removed_at is None:
                if (
                    grant not in existing
                    and created_at < campaign.ends_at
                    and campaign.points_like > 0
                ):
                    events.append(
                        EventSpec(kind=Kind.LIKE, points=campaign.points_like, key=grant, **base)
                    )
            elif grant in existing and reverse not in existing:
                events.append(
                    EventSpec(kind=Kind.UNLIKE, points=-existing[grant], key=reverse, **base)
                )
    ledger_append(events)
    new = [pk for pk, removed_at, _c, derived in rows if removed_at is None and derived is None]
    if new:
        from sharing.notifications import notify_likes

        notify_likes(submission_id=submission.pk, new_likes=len(new))
    _mark_derived(
        live=new,
        removed=[pk for pk, removed_at, _c, derived in rows if removed_at and derived is None],
        now=now,
    )

    like_count = Like.objects.filter(submission_id=submission.pk, removed_at__isnull=True).count()
    if like_count != submission.like_count:
        Submission.objects.filter(pk=submission.pk).update(like_count=like_count, updated_at=now)
        submission.updated_at = now
    if events or full:
        standings_refresh(campaign_id=campaign.pk, participant_ids=[submission.author_id])

    from sharing import leaderboard

    version = leaderboard.version_of(submission.updated_at)
    transaction.on_commit(
        lambda: leaderboard.entry_push(
            campaign_id=campaign.pk,
            submission_id=submission.pk,
            likes=like_count,
            listed=approved,
            version=version,
        )
    )
    return SyncResult(
        submission_id=submission.pk,
        approved=approved,
        like_count=like_count,
        appended=[e.key for e in events],
    )


def enqueue_points_sync(submission_id: int) -> None:
    """Ask a worker to derive an entry; call it from `transaction.on_commit`.

    Never raises: with the broker away the like stays underived (`derived_at` is null) and
    `engagement_sweep`, or the repair a leaderboard rebuild runs first, derives it.
    """
    from core.enqueue import task_enqueue
    from sharing.tasks import submission_points_sync_task

    task_enqueue(submission_points_sync_task, submission_id)


# --- Likes, derived in batches ---------------------------------------------------------------

# While this key exists a `likes_derive_task` is queued and has not started: a like committed
# meanwhile sends nothing, that task will see it. It expires on its own, so a task lost on the
# way (a broker that restarted empty) holds further likes back for seconds, never for good.
LIKES_PENDING_KEY = "passaparola:likes-derive:pending"
LIKES_PENDING_SECONDS = 10
LIKES_DERIVE_BATCH = 500


def likes_derive_request() -> None:
    """After a like or an unlike commits: make sure a derivation of underived likes is coming.

    The like path's only contact with Celery, and most of the time not even that: one Redis
    `SET NX` finds a derivation already queued and stops there, so a burst of likes costs one
    publish, not one per like (ARCHITECTURE invariant 4; the likes table is the outbox). The
    task removes the key before it reads the outbox, so a like that saw the key is committed
    before that read and is derived by it. Never raises: with the cache or the broker away the
    like stays underived and `engagement_sweep` derives it.
    """
    from django.core.cache import cache

    from core.enqueue import task_enqueue
    from sharing.tasks import likes_derive_task

    if likes_derive_task.app.conf.task_always_eager or not settings.REDIS_URL:
        # Run here, or no shared cache to hold the key (the embedded default's is per
        # process, and the worker could never clear it): one task per like.
        task_enqueue(likes_derive_task)
        return
    try:
        if not cache.add(LIKES_PENDING_KEY, 1, timeout=LIKES_PENDING_SECONDS):
            return
    except Exception as exc:  # a cache fault must not fail a like that is already committed
        logger.warning("points: likes derivation marker not set: %r", exc)
    if not task_enqueue(likes_derive_task):
        _likes_pending_clear()


def _likes_pending_clear() -> None:
    from django.core.cache import cache

    try:
        cache.delete(LIKES_PENDING_KEY)
    except Exception as exc:  # it expires by itself
        logger.warning("points: likes derivation marker not cleared: %r", exc)


def likes_derive(*, limit: int = LIKES_DERIVE_BATCH) -> SweepResult:
    """Derive the entries that have underived likes (or unlikes), up to `limit` entries.

    Reads the `like_underived` partial index, which holds only likes whose derivation has not
    run, so it costs what is waiting, not what is stored. Each entry is derived as its own
    task would (`submission_points_sync`, under the entry's row lock), so two runs at once,
    or a run beside an entry's own task, wait for each other and append nothing twice.
    """
    _likes_pending_clear()  # first: a like committing from now on asks for a run of its own
    ids = sorted(
        Like.objects.filter(derived_at__isnull=True)
        .order_by()
        .values_list("submission_id", flat=True)
        .distinct()[:limit]
    )
    return _sync_each(ids)


# --- Finding what was never derived --------------------------------------------------------------


def _periods_mismatched(submissions: QuerySet[Submission]) -> QuerySet[Submission]:
    """Entries whose approval disagrees with the ledger.

    Approved without an open approval period, or an open period on an entry no longer approved.
    """

    def lines(kind: str) -> Coalesce:
        return Coalesce(
            Subquery(
                PointEvent.objects.filter(submission_id=OuterRef("pk"), kind=kind)
                .order_by()
                .values("submission_id")
                .annotate(c=Count("pk"))
                .values("c")[:1],
                output_field=IntegerField(),
            ),
            Value(0),
        )

    approved = Q(state=Submission.State.APPROVED)
    return submissions.annotate(opened=lines(Kind.ENTRY), closed=lines(Kind.ENTRY_REVOKED)).filter(
        (approved & Q(opened__lte=F("closed"))) | (~approved & Q(opened__gt=F("closed")))
    )


@dataclass(frozen=True)
class SweepResult:
    submission_ids: list[int]
    failed: list[int] = field(default_factory=list)


def _sync_each(submission_ids: list[int], *, full: bool = False) -> SweepResult:
    done, failed = [], []
    for sid in submission_ids:
        try:
            submission_points_sync(submission_id=sid, full=full)
        except Exception:  # one broken entry must not stop the others; the next run retries
            logger.exception("points: deriving submission %s failed", sid)
            failed.append(sid)
        else:
            done.append(sid)
    return SweepResult(submission_ids=done, failed=failed)


def engagement_sweep(
    *, now: datetime | None = None, grace: timedelta = SWEEP_GRACE, limit: int = SWEEP_LIMIT
) -> SweepResult:
    """Derive facts whose task never ran: the database is the outbox.

    Finds likes not derived `grace` after their last change, and entries changed in the last
    two days whose approval disagrees with the ledger, and derives each entry once.
    """
    moment = now or timezone.now()
    cutoff = moment - grace
    from_likes = list(
        Like.objects.filter(derived_at__isnull=True, updated_at__lt=cutoff)
        .order_by()
        .values_list("submission_id", flat=True)
        .distinct()[:limit]
    )
    recent = Submission.objects.filter(updated_at__lt=cutoff, updated_at__gte=moment - SWEEP_WINDOW)
    from_entries = list(_periods_mismatched(recent).values_list("pk", flat=True)[:limit])
    ids = sorted(set(from_likes) | set(from_entries))
    if ids:
        logger.info("points: sweep derives %d entries", len(ids))
    return _sync_each(ids)


def campaigns_to_rebuild(*, now: datetime | None = None) -> list[int]:
    """Published campaigns that are open or closed in the last two days."""
    moment = now or timezone.now()
    return list(
        Campaign.objects.published()
        .filter(starts_at__lte=moment, ends_at__gte=moment - REBUILD_CLOSED_WITHIN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class RepairResult:
    campaign_id: int
    derived: list[int]
    failed: list[int]
    participants: int
    redis: bool


def campaign_engagement_repair(
    *, campaign_id: int, derive_all: bool = False, rebuild: bool = True
) -> RepairResult:
    """Bring a campaign's derived state back to what its facts say.

    Derives every entry whose likes, like count or approval disagree with the ledger (every
    entry with `derive_all`), then, with `rebuild`, recomputes all standings from the ledger and
    rebuilds the Redis leaderboard. Without `rebuild` it settles the campaign: what closing
    calls before freezing the final standings.
    """
    from sharing.leaderboard import leaderboard_rebuild

    submissions = Submission.objects.filter(campaign_id=campaign_id)
    if derive_all:
        ids = list(submissions.order_by("pk").values_list("pk", flat=True))
    else:
        underived = Like.objects.filter(
            submission__campaign_id=campaign_id, derived_at__isnull=True
        ).values_list("submission_id", flat=True)
        miscounted = submissions.annotate(
            live=Count("likes", filter=Q(likes__removed_at__isnull=True))
        ).exclude(like_count=F("live"))
        ids = sorted(
            set(underived)
            | set(miscounted.values_list("pk", flat=True))
            | set(_periods_mismatched(submissions).values_list("pk", flat=True))
        )
    result = _sync_each(ids, full=derive_all)
    participants, redis_done = 0, False
    if rebuild:
        rebuilt = leaderboard_rebuild(campaign_id=campaign_id)
        participants, redis_done = rebuilt.participants, rebuilt.redis
    return RepairResult(
        campaign_id=campaign_id,
        derived=result.submission_ids,
        failed=result.failed,
        participants=participants,
        redis=redis_done,
    )
