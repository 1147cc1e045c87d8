"""The leaderboard: Redis sorted sets serve reads; the database answers the same questions.

Per campaign, Redis keeps (all keys share the hash tag `{c<id>}`, so one campaign lives on one
Redis Cluster slot and the scripts below may touch all its keys):

- `<prefix>:{c<id>}:players`: a sorted set, score = -points, member = "<reached_ms:015d>:<id:012d>".
  Ascending order is then points descending, who reached them first, participant id: exactly the
  `ORDER BY points DESC, reached_ms, participant_id` of the `Standing` table.
- `<prefix>:{c<id>}:players:m`: a hash, participant id -> "<version>|<member>", to find a
  participant's member and to refuse a late, older push (version = the standing's `updated_at`).
- `<prefix>:{c<id>}:entries` and `:entries:m`: the same for approved entries with likes
  (score = -like_count, member = "<submission_id:012d>").
- `<prefix>:{c<id>}:ready`: set by a rebuild. Without it the keys may be partial (never built, or
  flushed), so readers answer from the database and ask for a rebuild.

Only participants with more than 0 points are listed, and only approved entries with at least one
like, by both backends. Ranks are standard competition ranks (1, 2, 2, 4). Any Redis error makes
a reader fall back to the database (logged once) and skip Redis for a few seconds: PostgreSQL is
the truth, Redis can be flushed at any time.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

import redis
from django.conf import settings
from django.db import connection
from django.db.models import Count, F, Q, Window
from django.db.models.functions import Rank
from django.utils import timezone
from django.utils.translation import gettext

from accounts.models import User
from campaigns.models import Campaign
from sharing.ledger import to_ms
from sharing.models import Standing
from submissions.models import Like, Submission

if TYPE_CHECKING:
    from campaigns.models import Campaign

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_DEFAULT = 0.5
REDIS_RETRY_AFTER = 5.0
REBUILD_REPUSH_WINDOW = timedelta(seconds=60)
CHUNK = 5000


@dataclass(frozen=True)
class StandingRow:
    """One line of the leaderboard."""

    rank: int
    participant_id: int
    display_name: str
    points: int
    reached_ms: int


@dataclass(frozen=True)
class EntryRow:
    """One line of the top entries by likes; `submission` has its author loaded."""

    rank: int
    submission: Submission
    likes: int


class Around(NamedTuple):
    """A participant's own line with the lines just above and below it."""

    mine: StandingRow | None
    above: list[StandingRow]
    below: list[StandingRow]


def public_name(participant_id: int, display_name: str) -> str:
    """What the leaderboard shows for a participant: `User.public_name` without loading a User."""
    return display_name or gettext("Participant #%(id)s") % {"id": participant_id}


def competition_ranks(points: Sequence[int], *, first_rank: int, first_index: int) -> list[int]:
    """Ranks of consecutive lines sorted by points descending (1, 2, 2, 4).

    `first_rank` is the rank of the first line (1 + how many have strictly more points) and
    `first_index` its 0-based position in the whole ordering; a line whose points differ from
    the previous one is ranked by its position, since everyone before it has more points.
    """
    ranks: list[int] = []
    for i, value in enumerate(points):
        if i == 0:
            ranks.append(first_rank)
        elif value == points[i - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(first_index + i + 1)
    return ranks


# --- Redis access ------------------------------------------------------------------------------

_clients: dict[str, redis.Redis] = {}
_health = {"down_until": 0.0, "warned": False}
_health_lock = threading.Lock()


def _prefix() -> str:
    return getattr(settings, "PASSAPAROLA_LEADERBOARD_KEY_PREFIX", "pp:lb")


def _keys(campaign_id: int) -> dict[str, str]:
    base = f"{_prefix()}:{{c{campaign_id}}}"
    return {
        "players": f"{base}:players",
        "players_m": f"{base}:players:m",
        "entries": f"{base}:entries",
        "entries_m": f"{base}:entries:m",
        "ready": f"{base}:ready",
        "rebuilding": f"{base}:rebuilding",
    }


def redis_client() -> redis.Redis | None:
    """The leaderboard's Redis, or None: no REDIS_URL, turned off, or failing a moment ago."""
    url = getattr(settings, "REDIS_URL", "")
    if not url or not getattr(settings, "PASSAPAROLA_LEADERBOARD_REDIS", True):
        return None
    if time.monotonic() < _health["down_until"]:
        return None
    client = _clients.get(url)
    if client is None:
        timeout = getattr(settings, "PASSAPAROLA_LEADERBOARD_REDIS_TIMEOUT", REDIS_TIMEOUT_DEFAULT)
        client = redis.Redis.from_url(
            url, socket_connect_timeout=timeout, socket_timeout=timeout, decode_responses=True
        )
        _clients[url] = client
    return client


def _redis_failed(exc: Exception, doing: str) -> None:
    """Remember that Redis failed: skip it for a few seconds, and warn once per outage."""
    with _health_lock:
        _health["down_until"] = time.monotonic() + REDIS_RETRY_AFTER
        warn = not _health["warned"]
        _health["warned"] = True
    if warn:
        logger.warning("leaderboard: Redis failed while %s, using the database: %s", doing, exc)


def _redis_worked() -> None:
    if _health["warned"]:
        with _health_lock:
            _health["warned"] = False
        logger.info("leaderboard: Redis answers again")
    if _stale:
        _stale_forget()


# Campaigns whose pushes this process could not make (Redis failing, or skipped while it was
# marked down). Redis may come back without a restart, or from a snapshot, with its `ready`
# marker and a board missing those pushes: once it answers again their marker is deleted, so
# readers answer from the database and ask for a rebuild (which derives and reloads all).
_stale: set[int] = set()


def _push_lost(campaign_id: int) -> None:
    if getattr(settings, "REDIS_URL", "") and getattr(
        settings, "PASSAPAROLA_LEADERBOARD_REDIS", True
    ):
        with _health_lock:
            _stale.add(campaign_id)


def _stale_forget() -> None:
    client = redis_client()
    if client is None:
        return
    with _health_lock:
        stale = sorted(_stale)
        _stale.clear()
    try:
        client.delete(*(_keys(campaign_id)["ready"] for campaign_id in stale))
    except redis.RedisError as exc:
        with _health_lock:
            _stale.update(stale)
        _redis_failed(exc, "marking boards for a rebuild")
        return
    logger.info("leaderboard: boards of campaigns %s will be rebuilt (pushes lost)", stale)


# Apply versioned updates: ARGV holds groups of (id, member, score, version, name); an empty
# score removes the id from the sorted set. The hash keeps `version|member|name` per id (a
# participant's display name, so a viewer's window needs no database; entries keep no name). A
# group older than what the hash records is skipped, so a push that arrives late cannot
# overwrite a newer one; an equal version applies, which is how a renamed person's line is
# rewritten. Versions are stored as the strings sent (Lua would print a 16-digit number in
# exponent form) and compared as numbers. Values written before names were kept have no second
# `|`: their member is the rest.
_PUSH = """
for i = 1, #ARGV, 5 do
  local id, member, score = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local version, name = ARGV[i + 3], ARGV[i + 4]
  local current = redis.call('HGET', KEYS[2], id)
  local apply, old = true, ''
  if current then
    local sep = string.find(current, '|', 1, true)
    old = string.sub(current, sep + 1)
    local sep2 = string.find(old, '|', 1, true)
    if sep2 then old = string.sub(old, 1, sep2 - 1) end
    if tonumber(string.sub(current, 1, sep - 1)) > tonumber(version) then apply = false end
  end
  if apply then
    if old ~= '' and old ~= member then redis.call('ZREM', KEYS[1], old) end
    if score == '' then
      if old ~= '' then redis.call('ZREM', KEYS[1], old) end
      redis.call('HSET', KEYS[2], id, version .. '|')
    else
      redis.call('ZADD', KEYS[1], score, member)
      redis.call('HSET', KEYS[2], id, version .. '|' .. member .. '|' .. name)
    end
  end
end
return 1
"""

# A participant's window: {position of the first line, how many have more points than the first
# line, the lines with their scores}, or nil when the participant is not listed.
_AROUND = """
if redis.call('EXISTS', KEYS[3]) == 0 then return {'not-ready'} end
local current = redis.call('HGET', KEYS[2], ARGV[1])
if not current then return {} end
local member = string.sub(current, string.find(current, '|', 1, true) + 1)
local sep2 = string.find(member, '|', 1, true)
if sep2 then member = string.sub(member, 1, sep2 - 1) end
if member == '' then return {} end
local pos = redis.call('ZRANK', KEYS[1], member)
if not pos then return {} end
local span = tonumber(ARGV[2])
local lo = math.max(0, pos - span)
local window = redis.call('ZRANGE', KEYS[1], lo, pos + span, 'WITHSCORES')
local above = redis.call('ZCOUNT', KEYS[1], '-inf', '(' .. window[2])
local ids = {}
for i = 1, #window, 2 do
  local m = window[i]
  ids[#ids + 1] = tostring(tonumber(string.sub(m, string.find(m, ':', 1, true) + 1)))
end
local values = redis.call('HMGET', KEYS[2], unpack(ids))
local names = {}
for i = 1, #ids do
  local name = false
  local value = values[i]
  if value then
    local first = string.find(value, '|', 1, true)
    local second = string.find(value, '|', first + 1, true)
    if second then name = string.sub(value, second + 1) end
  end
  names[i] = name
end
return {lo, pos, above, window, names}
"""

_scripts: dict[tuple[int, str], Any] = {}


def _script(client: redis.Redis, source: str) -> Any:
    key = (id(client), source)
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def version_of(moment: datetime | None) -> int:
    """Microseconds since the epoch, exactly: the version of a pushed row (Lua reads it as a
    double, exact below 2**53, that is until the year 2255)."""
    if moment is None:
        return 0
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _player_member(reached_ms: int, participant_id: int) -> str:
    return f"{reached_ms:015d}:{participant_id:012d}"


def _member_participant(member: str) -> tuple[int, int]:
    reached, pid = member.split(":")
    return int(reached), int(pid)


def _push_args(groups: Iterable[tuple[int, str, int | None, int, str]]) -> list[str]:
    args: list[str] = []
    for item_id, member, score, version, name in groups:
        args += [str(item_id), member, "" if score is None else str(score), str(version), name]
    return args


def standings_push(campaign_id: int, standings: Iterable[Standing]) -> None:
    """Copy stored standings into the Redis leaderboard; Redis errors are logged, not raised.

    Called after the commit that stored them. Each standing carries its `updated_at` as a
    version, so pushes that arrive out of order leave the newest in place. The participants'
    display names go with them (one query), for viewers' windows.
    """
    client = redis_client()
    rows = list(standings)
    if not rows:
        return
    if client is None:
        _push_lost(campaign_id)
        return
    keys = _keys(campaign_id)
    names = _names(s.participant_id for s in rows if s.points > 0)
    groups = [
        (
            s.participant_id,
            _player_member(s.reached_ms, s.participant_id),
            -s.points if s.points > 0 else None,
            version_of(s.updated_at),
            names.get(s.participant_id, ""),
        )
        for s in rows
    ]
    try:
        script = _script(client, _PUSH)
        for start in range(0, len(groups), 1000):
            script(
                keys=[keys["players"], keys["players_m"]],
                args=_push_args(groups[start : start + 1000]),
            )
    except redis.RedisError as exc:
        _push_lost(campaign_id)
        _redis_failed(exc, "pushing standings")
    else:
        _redis_worked()


def entry_push(
    *, campaign_id: int, submission_id: int, likes: int, listed: bool, version: int
) -> None:
    """Copy an entry's like count into Redis; errors are logged, not raised.

    `listed`: the entry is approved (it is shown only with at least one like). `version` is
    `version_of` the entry's `updated_at`, stamped when its count was stored, so a late push
    loses to a newer one.
    """
    client = redis_client()
    if client is None:
        _push_lost(campaign_id)
        return
    keys = _keys(campaign_id)
    score = -likes if listed and likes > 0 else None
    try:
        _script(client, _PUSH)(
            keys=[keys["entries"], keys["entries_m"]],
            args=_push_args([(submission_id, f"{submission_id:012d}", score, version, "")]),
        )
    except redis.RedisError as exc:
        _push_lost(campaign_id)
        _redis_failed(exc, "pushing an entry")
    else:
        _redis_worked()


def _ask_rebuild(client: redis.Redis, campaign_id: int) -> None:
    """The campaign's keys are not built: have a worker build them (at most once a minute).

    A read never does the rebuild itself, so with tasks run eagerly (tests) it asks nothing:
    the periodic rebuild, or the test, builds the keys.
    """
    from config.celery import app

    if app.conf.task_always_eager:
        return
    try:
        if not client.set(_keys(campaign_id)["rebuilding"], "1", nx=True, ex=60):
            return
    except redis.RedisError as exc:
        _redis_failed(exc, "asking for a rebuild")
        return
    from core.enqueue import task_enqueue
    from sharing.tasks import leaderboard_redis_rebuild_task

    if not task_enqueue(leaderboard_redis_rebuild_task, campaign_id):
        # The broker is away: let the next reader ask again rather than wait out the minute.
        try:
            client.delete(_keys(campaign_id)["rebuilding"])
        except redis.RedisError as exc:
            _redis_failed(exc, "asking for a rebuild")


# --- Rebuild -------------------------------------------------------------------------------------


def _participant_groups(rows: Iterable[tuple[int, int, int, datetime, str]]) -> list[tuple]:
    return [
        (pid, _player_member(reached, pid), -points, version_of(updated), name)
        for pid, points, reached, updated, name in rows
    ]


def _closed_ttl(campaign_id: int, *, now: datetime) -> int | None:
    """Seconds a closed campaign's keys live (PASSAPAROLA_LEADERBOARD_CLOSED_TTL, 7 days);
    None while the campaign may still change (draft, scheduled, open)."""
    ends_at = Campaign.objects.filter(pk=campaign_id).values_list("ends_at", flat=True).first()
    if ends_at is None or now < ends_at:
        return None
    return int(getattr(settings, "PASSAPAROLA_LEADERBOARD_CLOSED_TTL", 7 * 24 * 3600)) or None


def leaderboard_redis_rebuild(*, campaign_id: int) -> bool:
    """Rebuild the campaign's Redis keys from the database, atomically; False without Redis.

    The new sorted sets are written under temporary keys and renamed over the live ones in one
    MULTI, so readers see the old board or the new one, never half of one. Standings stored
    while the rebuild ran are pushed again afterwards (versioned pushes keep the newest).
    """
    client = redis_client()
    if client is None:
        return False
    keys = _keys(campaign_id)
    started = timezone.now()
    token = uuid.uuid4().hex[:12]
    tmp = {name: f"{keys[name]}:tmp:{token}" for name in ("players", "players_m", "entries")}
    tmp["entries_m"] = f"{keys['entries_m']}:tmp:{token}"
    standings = (
        Standing.objects.filter(campaign_id=campaign_id, points__gt=0)
        .order_by("pk")
        .values_list(
            "participant_id", "points", "reached_ms", "updated_at", "participant__display_name"
        )
    )
    entries = (
        Submission.objects.filter(
            campaign_id=campaign_id, state=Submission.State.APPROVED, like_count__gt=0
        )
        .order_by("pk")
        .values_list("pk", "like_count", "updated_at")
    )
    try:
        pipe = client.pipeline(transaction=False)
        batch: list[tuple] = []
        written = {"players": False, "entries": False}

        def flush_players() -> None:
            if batch:
                pipe.zadd(tmp["players"], {member: score for _pid, member, score, _v, _n in batch})
                pipe.hset(
                    tmp["players_m"],
                    mapping={pid: f"{v}|{member}|{name}" for pid, member, _s, v, name in batch},
                )
                written["players"] = True
                pipe.execute()
                batch.clear()

        for row in standings.iterator(chunk_size=CHUNK):
            batch.extend(_participant_groups([row]))
            if len(batch) >= CHUNK:
                flush_players()
        flush_players()
        entry_batch = list(entries)
        for start in range(0, len(entry_batch), CHUNK):
            chunk = entry_batch[start : start + CHUNK]
            pipe.zadd(tmp["entries"], {f"{sid:012d}": -likes for sid, likes, _u in chunk})
            pipe.hset(
                tmp["entries_m"],
                mapping={
                    sid: f"{version_of(updated)}|{sid:012d}" for sid, _likes, updated in chunk
                },
            )
            written["entries"] = True
            pipe.execute()
        for name in tmp.values():
            pipe.expire(name, 3600)  # a crash before the rename leaves nothing behind for long
        pipe.execute()

        # A closed campaign's board no longer changes: its keys expire once nobody has asked
        # for them for a while (the next reader asks for a rebuild, the database answers it
        # meanwhile), so Redis does not keep every board there ever was.
        ttl = _closed_ttl(campaign_id, now=started)
        swap = client.pipeline(transaction=True)
        for name in ("players", "players_m", "entries", "entries_m"):
            if written["players" if name.startswith("players") else "entries"]:
                swap.rename(tmp[name], keys[name])
                if ttl:
                    swap.expire(keys[name], ttl)
                else:
                    swap.persist(keys[name])
            else:
                swap.delete(keys[name])
        swap.set(keys["ready"], to_ms(started), ex=ttl or None)
        swap.delete(keys["rebuilding"])
        swap.execute()
    except redis.RedisError as exc:
        _redis_failed(exc, "rebuilding")
        return False
    _redis_worked()
    _repush_recent(campaign_id=campaign_id, since=started - REBUILD_REPUSH_WINDOW)
    return True


def _repush_recent(*, campaign_id: int, since: datetime) -> None:
    """Push what changed around a rebuild again: the rename may have replaced a newer push."""
    recent = list(Standing.objects.filter(campaign_id=campaign_id, updated_at__gte=since))
    standings_push(campaign_id, recent)
    touched = set(
        Like.objects.filter(submission__campaign_id=campaign_id, updated_at__gte=since)
        .values_list("submission_id", flat=True)
        .distinct()
    ) | set(
        Submission.objects.filter(campaign_id=campaign_id, updated_at__gte=since).values_list(
            "pk", flat=True
        )
    )
    for sid, state, likes, updated in Submission.objects.filter(pk__in=touched).values_list(
        "pk", "state", "like_count", "updated_at"
    ):
        entry_push(
            campaign_id=campaign_id,
            submission_id=sid,
            likes=likes,
            listed=state == Submission.State.APPROVED,
            version=version_of(updated),
        )


def leaderboard_redis_drop(*, campaign_id: int) -> None:
    """Forget a campaign's Redis keys (readers fall back to the database until a rebuild)."""
    client = redis_client()
    if client is None:
        return
    try:
        client.delete(*_keys(campaign_id).values())
    except redis.RedisError as exc:
        _redis_failed(exc, "dropping keys")


# --- Reads ---------------------------------------------------------------------------------------


NAMES_CHUNK = 2000


def _names(participant_ids: Iterable[int]) -> dict[int, str]:
    """Display names by id, in one written-out query: every viewer's window asks for a few,
    and building the ORM's query cost more than running it."""
    ids = sorted(set(participant_ids))
    if not ids:
        return {}
    table = connection.ops.quote_name(User._meta.db_table)
    found: dict[int, str] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(ids), NAMES_CHUNK):
            chunk = ids[start : start + NAMES_CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT id, display_name FROM {table} WHERE id IN ({marks})",  # noqa: S608
                chunk,
            )
            found.update(cursor.fetchall())
    return found


def _rows_from_window(
    window: list[str], *, first_rank: int, first_index: int, names: dict[int, str] | None = None
) -> list[StandingRow]:
    """StandingRows from a ZRANGE ... WITHSCORES reply (member, score, member, score, ...)."""
    members = window[0::2]
    points = [-int(float(score)) for score in window[1::2]]
    parsed = [_member_participant(m) for m in members]
    if names is None:
        names = _names(pid for _reached, pid in parsed)
    ranks = competition_ranks(points, first_rank=first_rank, first_index=first_index)
    return [
        StandingRow(
            rank=rank,
            participant_id=pid,
            display_name=public_name(pid, names.get(pid, "")),
            points=value,
            reached_ms=reached,
        )
        for (reached, pid), value, rank in zip(parsed, points, ranks, strict=True)
    ]


def _standings(campaign_id: int):
    return Standing.objects.filter(campaign_id=campaign_id, points__gt=0)


_ORDER = ("-points", "reached_ms", "participant_id")
_REVERSED = ("points", "-reached_ms", "-participant_id")


def _db_row(standing: Standing, rank: int) -> StandingRow:
    return StandingRow(
        rank=rank,
        participant_id=standing.participant_id,
        display_name=public_name(standing.participant_id, standing.name),
        points=standing.points,
        reached_ms=standing.reached_ms,
    )


def leaderboard_top_db(*, campaign_id: int, limit: int = 50) -> list[StandingRow]:
    """The top of the leaderboard from the `Standing` table: one query, ranks by RANK()."""
    rows = (
        _standings(campaign_id)
        .annotate(
            name=F("participant__display_name"),
            position=Window(Rank(), order_by=F("points").desc()),
        )
        .order_by(*_ORDER)[: max(0, limit)]
    )
    return [_db_row(s, s.position) for s in rows]


def _ranks_of(campaign_id: int, values: Iterable[int]) -> dict[int, int]:
    """1 + how many participants have strictly more points, for each value (one query)."""
    distinct = sorted(set(values))
    if not distinct:
        return {}
    # Only rows above the lowest value matter: an index range scan, not the whole campaign.
    counts = (
        _standings(campaign_id)
        .filter(points__gt=distinct[0])
        .aggregate(**{f"r{i}": Count("pk", filter=Q(points__gt=v)) for i, v in enumerate(distinct)})
    )
    return {v: counts[f"r{i}"] + 1 for i, v in enumerate(distinct)}


def leaderboard_around_db(*, campaign_id: int, participant_id: int, span: int = 2) -> Around:
    """A participant's line with `span` lines above and below, from the `Standing` table."""
    named = _standings(campaign_id).annotate(name=F("participant__display_name"))
    mine = named.filter(participant_id=participant_id).first()
    if mine is None:
        return Around(None, [], [])
    before = (
        Q(points__gt=mine.points)
        | Q(points=mine.points, reached_ms__lt=mine.reached_ms)
        | Q(points=mine.points, reached_ms=mine.reached_ms, participant_id__lt=participant_id)
    )
    after = (
        Q(points__lt=mine.points)
        | Q(points=mine.points, reached_ms__gt=mine.reached_ms)
        | Q(points=mine.points, reached_ms=mine.reached_ms, participant_id__gt=participant_id)
    )
    # The redundant bound on points lets the index scan start at my score instead of an end of
    # the board; only my ties on the far side of me are stepped over.
    above = list(
        named.filter(before, points__gte=mine.points).order_by(*_REVERSED)[: max(0, span)]
    )[::-1]
    below = list(named.filter(after, points__lte=mine.points).order_by(*_ORDER)[: max(0, span)])
    ranks = _ranks_of(campaign_id, [s.points for s in (*above, mine, *below)])
    return Around(
        _db_row(mine, ranks[mine.points]),
        [_db_row(s, ranks[s.points]) for s in above],
        [_db_row(s, ranks[s.points]) for s in below],
    )


def top_entries_db(*, campaign_id: int, limit: int = 10) -> list[EntryRow]:
    rows = (
        Submission.objects.filter(
            campaign_id=campaign_id, state=Submission.State.APPROVED, like_count__gt=0
        )
        .select_related("author")
        .annotate(position=Window(Rank(), order_by=F("like_count").desc()))
        .order_by("-like_count", "pk")[: max(0, limit)]
    )
    return [EntryRow(rank=s.position, submission=s, likes=s.like_count) for s in rows]


def _campaign_id(campaign: Campaign | int) -> int:
    return campaign if isinstance(campaign, int) else campaign.pk


def _ready_window(campaign_id: int, name: str, limit: int, *, doing: str) -> list | None:
    """The first `limit` members of one of the campaign's sorted sets, with their scores; None
    when the database must answer (no Redis, Redis failing, or the board not built: then a
    rebuild is asked for)."""
    client = redis_client()
    if client is None:
        return None
    keys = _keys(campaign_id)
    try:
        pipe = client.pipeline(transaction=False)
        pipe.exists(keys["ready"])
        pipe.zrange(keys[name], 0, limit - 1, withscores=True)
        ready, window = pipe.execute()
    except redis.RedisError as exc:
        _redis_failed(exc, doing)
        return None
    _redis_worked()
    if not ready:
        _ask_rebuild(client, campaign_id)
        return None
    return window


def leaderboard_top(*, campaign: Campaign | int, limit: int = 50) -> list[StandingRow]:
    """The first `limit` lines of a campaign's leaderboard (Redis, else the database)."""
    campaign_id = _campaign_id(campaign)
    if limit <= 0:
        return []
    window = _ready_window(campaign_id, "players", limit, doing="reading the top")
    if window is not None:
        flat = [str(x) for pair in window for x in (pair[0], pair[1])]
        return _rows_from_window(flat, first_rank=1, first_index=0)
    return leaderboard_top_db(campaign_id=campaign_id, limit=limit)


def leaderboard_around(
    *, campaign: Campaign | int, participant: User | int, span: int = 2
) -> Around:
    """A participant's own line (None when not listed) with up to `span` lines each side."""
    campaign_id = _campaign_id(campaign)
    participant_id = participant if isinstance(participant, int) else participant.pk
    client = redis_client()
    if client is not None:
        keys = _keys(campaign_id)
        try:
            reply = _script(client, _AROUND)(
                keys=[keys["players"], keys["players_m"], keys["ready"]],
                args=[participant_id, max(0, span)],
            )
        except redis.RedisError as exc:
            _redis_failed(exc, "reading around a participant")
        else:
            _redis_worked()
            if reply != ["not-ready"]:
                if not reply:
                    return Around(None, [], [])
                lo, pos, above_count, window, kept = reply
                window = [str(x) for x in window]
                rows = _rows_from_window(
                    window,
                    first_rank=int(above_count) + 1,
                    first_index=int(lo),
                    names=_window_names(window[0::2], kept),
                )
                mine_at = int(pos) - int(lo)
                return Around(rows[mine_at], rows[:mine_at], rows[mine_at + 1 :])
            _ask_rebuild(client, campaign_id)
    return leaderboard_around_db(campaign_id=campaign_id, participant_id=participant_id, span=span)


def _window_names(members: list[str], kept: list[str | None]) -> dict[int, str]:
    """The window's display names: as Redis keeps them beside each line, else (a line pushed
    before names were kept, until the next push or rebuild) from the database."""
    pids = [_member_participant(member)[1] for member in members]
    names = {pid: name for pid, name in zip(pids, kept, strict=True) if name is not None}
    missing = [pid for pid in pids if pid not in names]
    if missing:
        names.update(_names(missing))
    return names


def names_refresh(*, participant_id: int) -> None:
    """A person's display name changed: push their lines again, with the new name.

    An equal version applies (see `_PUSH`), so the line keeps its place and takes the name.
    Only boards that are built are touched: a closed campaign whose keys expired gets no stray
    line (its next rebuild brings the name).
    """
    client = redis_client()
    if client is None:
        return
    by_campaign: dict[int, list[Standing]] = {}
    for standing in Standing.objects.filter(participant_id=participant_id, points__gt=0):
        by_campaign.setdefault(standing.campaign_id, []).append(standing)
    if not by_campaign:
        return
    try:
        pipe = client.pipeline(transaction=False)
        for campaign_id in by_campaign:
            pipe.exists(_keys(campaign_id)["ready"])
        built = pipe.execute()
    except redis.RedisError as exc:
        _redis_failed(exc, "refreshing a display name")
        return
    for (campaign_id, standings), ready in zip(by_campaign.items(), built, strict=True):
        if ready:
            standings_push(campaign_id, standings)


def top_entries_by_likes(*, campaign: Campaign | int, limit: int = 10) -> list[EntryRow]:
    """The approved entries with the most likes; ties in order of entry (oldest first)."""
    campaign_id = _campaign_id(campaign)
    if limit <= 0:
        return []
    window = _ready_window(campaign_id, "entries", limit, doing="reading the top entries")
    if window is not None:
        ids = [int(member) for member, _score in window]
        likes = [-int(score) for _member, score in window]
        loaded = Submission.objects.select_related("author").in_bulk(ids)
        ranks = competition_ranks(likes, first_rank=1, first_index=0)
        return [
            EntryRow(rank=rank, submission=loaded[sid], likes=count)
            for sid, count, rank in zip(ids, likes, ranks, strict=True)
            if sid in loaded
        ]
    return top_entries_db(campaign_id=campaign_id, limit=limit)


# --- Frozen standings (the last hours of a campaign) ---------------------------------------------


def standings_ranked_at(*, campaign_id: int, until: datetime) -> list[tuple[int, int, int, int]]:
    """Every listed participant's (rank, id, points, reached_ms) from ledger lines to `until`."""
    from sharing.ledger import standings_totals

    totals = standings_totals(campaign_id=campaign_id, until=until)
    ordered = sorted(
        ((pid, points, reached) for pid, (points, reached) in totals.items() if points > 0),
        key=lambda row: (-row[1], row[2], row[0]),
    )
    ranks = competition_ranks([p for _pid, p, _r in ordered], first_rank=1, first_index=0)
    return [(rank, pid, p, r) for rank, (pid, p, r) in zip(ranks, ordered, strict=True)]


def rows_named(rows: Sequence[tuple[int, int, int, int]]) -> list[StandingRow]:
    """StandingRows for (rank, id, points, reached_ms) tuples, display names in one query."""
    names = _names(pid for _rank, pid, _p, _r in rows)
    return [
        StandingRow(
            rank=rank,
            participant_id=pid,
            display_name=public_name(pid, names.get(pid, "")),
            points=points,
            reached_ms=reached,
        )
        for rank, pid, points, reached in rows
    ]


# --- Rebuild from the ledger ---------------------------------------------------------------------


@dataclass(frozen=True)
class RebuildResult:
    campaign_id: int
    participants: int
    listed: int
    redis: bool


def leaderboard_rebuild(*, campaign_id: int) -> RebuildResult:
    """Recompute every standing of the campaign from the ledger, then rebuild its Redis keys.

    Standings are refreshed in chunks (each its own short transaction, rows locked as
    `standings_refresh` does), so a rebuild of a large campaign never holds many locks for long.
    """
    from sharing.ledger import standings_refresh
    from sharing.models import PointEvent

    ids = set(
        PointEvent.objects.filter(campaign_id=campaign_id)
        .order_by()
        .values_list("participant_id", flat=True)
        .distinct()
    ) | set(
        Standing.objects.filter(campaign_id=campaign_id).values_list("participant_id", flat=True)
    )
    ordered = sorted(ids)
    for start in range(0, len(ordered), CHUNK):
        standings_refresh(
            campaign_id=campaign_id, participant_ids=ordered[start : start + CHUNK], push=False
        )
    redis_done = leaderboard_redis_rebuild(campaign_id=campaign_id)
    return RebuildResult(
        campaign_id=campaign_id,
        participants=len(ordered),
        listed=_standings(campaign_id).count(),
        redis=redis_done,
    )
