"""Reads about points and the leaderboard, as a given viewer may see them.

Pages and the API come through here, never through `sharing.leaderboard` directly, so the
campaign's display rules hold everywhere:

- `hide_live_counts`: while the campaign is open, like counts and the leaderboard are hidden
  from everyone but the brand's own members; they appear when it closes.
- `leaderboard_freeze_hours`: in the last N hours of an open campaign, viewers see the
  standings as they were at the freeze instant (computed from ledger lines up to then, cached);
  the brand's members keep seeing the live board. At the close the final board appears.
- A points statement is shown to the participant and to the campaign's brand; to anyone else
  it does not exist (404).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language

from accounts.models import User
from accounts.selectors import brands_for_user
from campaigns.models import Campaign
from campaigns.selectors import campaign_get_public
from core.local_cache import LocalCache
from sharing import leaderboard
from sharing.leaderboard import EntryRow, StandingRow
from sharing.ledger import to_ms
from sharing.models import PointEvent
from submissions.models import Like

LIMIT_MAX_DEFAULT = 100
FROZEN_SETTLE = timedelta(minutes=5)
# What `leaderboard_for_viewer` reads of the campaign (its phase, display rules and freeze).
BOARD_FIELDS = ("starts_at", "ends_at", "hide_live_counts", "leaderboard_freeze_hours")

# The parts of a board every viewer shares, kept in each process for a moment (see
# `_shared_board`): the top lines and entries, and the published campaigns they belong to.
_shared_parts = LocalCache(max_entries=512)
_board_campaigns = LocalCache(max_entries=512)


def shared_seconds() -> float:
    """PASSAPAROLA_LEADERBOARD_SHARED_SECONDS: how long a board's shared parts are reused."""
    return getattr(settings, "PASSAPAROLA_LEADERBOARD_SHARED_SECONDS", 2)


class BoardState:
    NOT_STARTED = "not_started"  # draft or scheduled: nothing to rank yet
    LIVE = "live"
    HIDDEN = "hidden"  # hide_live_counts, until the close
    FROZEN = "frozen"  # the last hours: as at `frozen_at`
    FINAL = "final"  # the campaign has closed


@dataclass(frozen=True)
class LeaderboardView:
    """What a viewer sees of a campaign's leaderboard."""

    state: str
    rows: list[StandingRow] = field(default_factory=list)
    mine: StandingRow | None = None
    above: list[StandingRow] = field(default_factory=list)
    below: list[StandingRow] = field(default_factory=list)
    entries: list[EntryRow] = field(default_factory=list)
    frozen_at: datetime | None = None
    reveal_at: datetime | None = None

    @property
    def visible(self) -> bool:
        return self.state in (BoardState.LIVE, BoardState.FROZEN, BoardState.FINAL)


def leaderboard_campaign_get(*, slug: str, viewer: User | None) -> Campaign:
    """The campaign behind a leaderboard request, loaded with only what a board reads.

    `campaign_get_public` (a draft only for its brand's members, Http404 otherwise), with a
    published campaign, which anyone may see, reused by this process for
    PASSAPAROLA_LEADERBOARD_SHARED_SECONDS: a board polled by everyone watching it costs no
    campaign read a request. A change to its dates or display rules, or its withdrawal, shows
    that many seconds late, as the shared top lines do.
    """
    seconds = shared_seconds()
    campaign = _board_campaigns.get(slug) if seconds > 0 else None
    if campaign is not None:
        return campaign
    campaign = campaign_get_public(slug=slug, user=viewer, with_counts=False, only=BOARD_FIELDS)
    if campaign.status == Campaign.Status.PUBLISHED:
        _board_campaigns.set(slug, campaign, seconds=seconds)
    return campaign


def _is_brand_member(*, viewer: User | None, campaign: Campaign) -> bool:
    if viewer is None or not viewer.is_authenticated:
        return False
    return brands_for_user(user=viewer).filter(pk=campaign.brand_id).exists()


def freeze_moment(*, campaign: Campaign) -> datetime | None:
    """When the campaign's leaderboard freezes (None: it stays live to the end)."""
    if not campaign.leaderboard_freeze_hours:
        return None
    return max(
        campaign.starts_at, campaign.ends_at - timedelta(hours=campaign.leaderboard_freeze_hours)
    )


def like_counts_visible(*, campaign: Campaign, viewer: User | None) -> bool:
    """May this viewer see the campaign's like counts now? (`hide_live_counts`)."""
    if not campaign.hide_live_counts or campaign.phase_at(timezone.now()) != Campaign.Phase.OPEN:
        return True
    return _is_brand_member(viewer=viewer, campaign=campaign)


def submission_ids_liked(*, user: User | None, submission_ids: Iterable[int]) -> set[int]:
    """Which of these entries the person likes now (for the like buttons of a page)."""
    ids = list(submission_ids)
    if user is None or not user.is_authenticated or not ids:
        return set()
    return set(
        Like.objects.filter(user=user, submission_id__in=ids, removed_at__isnull=True).values_list(
            "submission_id", flat=True
        )
    )


def _frozen(*, campaign: Campaign, at: datetime, now: datetime) -> dict:
    """The ranked standings at the freeze instant, cached: {"rows": [...], "index": {id: i}}.

    Lines derived a little after the instant may still commit for a moment, so the first
    minutes are cached briefly; after that the answer is final until the close.
    """
    key = f"lb-frozen:{campaign.pk}:{to_ms(at)}"
    frozen = cache.get(key)
    if frozen is None:
        rows = leaderboard.standings_ranked_at(campaign_id=campaign.pk, until=at)
        frozen = {"rows": rows, "index": {pid: i for i, (_r, pid, _p, _m) in enumerate(rows)}}
        settled = now >= at + FROZEN_SETTLE
        timeout = (campaign.ends_at - now).total_seconds() + 3600 if settled else 30
        cache.set(key, frozen, timeout=max(1, int(timeout)))
    return frozen


def _frozen_view(
    *, campaign: Campaign, viewer: User | None, at: datetime, now: datetime, limit: int, span: int
) -> tuple[list[StandingRow], StandingRow | None, list[StandingRow], list[StandingRow]]:
    frozen = _frozen(campaign=campaign, at=at, now=now)
    rows = frozen["rows"]
    window: list = []
    mine_at = None
    if viewer is not None and viewer.is_authenticated and viewer.pk in frozen["index"]:
        position = frozen["index"][viewer.pk]
        lo = max(0, position - span)
        window = rows[lo : position + span + 1]
        mine_at = position - lo
    named = leaderboard.rows_named([*rows[:limit], *window])
    top, around = named[: len(rows[:limit])], named[len(rows[:limit]) :]
    if mine_at is None:
        return top, None, [], []
    return top, around[mine_at], around[:mine_at], around[mine_at + 1 :]


def leaderboard_for_viewer(
    *,
    campaign: Campaign,
    viewer: User | None,
    limit: int = 50,
    span: int = 2,
    entries_limit: int = 10,
) -> LeaderboardView:
    """The campaign's leaderboard as this viewer may see it, with their own line when listed.

    `limit` is capped at PASSAPAROLA_LEADERBOARD_LIMIT_MAX (100). The top entries by likes
    follow `hide_live_counts` but not the freeze: their like counts are public on the gallery.
    """
    now = timezone.now()
    cap = getattr(settings, "PASSAPAROLA_LEADERBOARD_LIMIT_MAX", LIMIT_MAX_DEFAULT)
    limit, span = max(0, min(limit, cap)), max(0, min(span, 10))
    phase = campaign.phase_at(now)
    if phase in (Campaign.Phase.DRAFT, Campaign.Phase.SCHEDULED):
        return LeaderboardView(state=BoardState.NOT_STARTED)
    if phase == Campaign.Phase.OPEN:
        frozen_at = freeze_moment(campaign=campaign)
        frozen = frozen_at is not None and now >= frozen_at
        # Only a hidden or frozen board looks different to the brand's own people, so the
        # membership question is asked only then (a live board is the same for everyone).
        if (campaign.hide_live_counts or frozen) and not _is_brand_member(
            viewer=viewer, campaign=campaign
        ):
            if campaign.hide_live_counts:
                return LeaderboardView(state=BoardState.HIDDEN, reveal_at=campaign.ends_at)
            rows, mine, above, below = _frozen_view(
                campaign=campaign, viewer=viewer, at=frozen_at, now=now, limit=limit, span=span
            )
            return LeaderboardView(
                state=BoardState.FROZEN,
                rows=rows,
                mine=mine,
                above=above,
                below=below,
                entries=_shared_board(campaign=campaign, limit=0, entries_limit=entries_limit)[1],
                frozen_at=frozen_at,
                reveal_at=campaign.ends_at,
            )
    mine, above, below = None, [], []
    if viewer is not None and viewer.is_authenticated:
        mine, above, below = leaderboard.leaderboard_around(
            campaign=campaign, participant=viewer, span=span
        )
    rows, entries = _shared_board(campaign=campaign, limit=limit, entries_limit=entries_limit)
    return LeaderboardView(
        state=BoardState.FINAL if phase == Campaign.Phase.CLOSED else BoardState.LIVE,
        rows=rows,
        mine=mine,
        above=above,
        below=below,
        entries=entries,
    )


def _shared_board(
    *, campaign: Campaign, limit: int, entries_limit: int
) -> tuple[list[StandingRow], list[EntryRow]]:
    """The top lines and the top entries: the part of a board every viewer shares.

    A popular campaign's board is polled by everyone watching it, so this part is kept in the
    memory of each process for PASSAPAROLA_LEADERBOARD_SHARED_SECONDS (2 s by default; 0 turns
    it off): one viewer a moment reads Redis and names the lines, the others reuse that answer
    without even a trip to the cache. The viewer's own line is always read fresh.
    """
    seconds = shared_seconds()
    # Per language too: a line without a display name is named in the viewer's language.
    key = (campaign.pk, limit, entries_limit, get_language())
    shared = _shared_parts.get(key) if seconds > 0 else None
    if shared is not None:
        return shared
    shared = (
        leaderboard.leaderboard_top(campaign=campaign, limit=limit),
        leaderboard.top_entries_by_likes(campaign=campaign, limit=entries_limit),
    )
    _shared_parts.set(key, shared, seconds=seconds)
    return shared


# --- The points statement ------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    at: datetime
    kind: str
    reason: str
    points: int
    balance: int
    submission_id: int | None


@dataclass(frozen=True)
class Statement:
    """Every ledger line of one participant in one campaign, oldest first, with the balance."""

    campaign: Campaign
    participant: User
    total: int
    lines: list[StatementLine]


def points_statement(
    *, campaign: Campaign, participant: User | int, viewer: User | None
) -> Statement:
    """A participant's points in a campaign: every line, why and when.

    For the participant themself and for members of the campaign's brand (any role); for
    anyone else Http404, whether or not the participant exists.
    """
    if viewer is None or not viewer.is_authenticated:
        raise Http404("No such statement.")
    participant_id = participant if isinstance(participant, int) else participant.pk
    if viewer.pk != participant_id and not _is_brand_member(viewer=viewer, campaign=campaign):
        raise Http404("No such statement.")
    if isinstance(participant, int):
        person = User.objects.filter(pk=participant_id).first()
        if person is None:
            raise Http404("No such statement.")
    else:
        person = participant
    if viewer.pk != participant_id and not (
        PointEvent.objects.filter(campaign=campaign, participant_id=participant_id).exists()
        or campaign.submissions.filter(author_id=participant_id).exists()
    ):
        # A brand sees the statements of its campaign's participants, not of anyone at all.
        raise Http404("No such statement.")
    labels = dict(PointEvent.Kind.choices)
    balance = 0
    lines = []
    for at, kind, points, submission_id in (
        PointEvent.objects.filter(campaign=campaign, participant_id=participant_id)
        .order_by("created_at", "pk")
        .values_list("created_at", "kind", "points", "submission_id")
    ):
        balance += points
        lines.append(
            StatementLine(
                at=at,
                kind=kind,
                reason=labels.get(kind, kind),
                points=points,
                balance=balance,
                submission_id=submission_id,
            )
        )
    return Statement(campaign=campaign, participant=person, total=balance, lines=lines)
