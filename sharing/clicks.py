"""Share hits in, counted clicks out.

The redirect records every request to a share link as a `ShareHit` (one insert, nothing else).
`clicks_derive`, run by a periodic task, takes the hits not yet derived in batches and gives each
a verdict; only `counted` ones become a `ShareClick` and points:

    head      a HEAD request
    prefetch  Sec-Purpose / Purpose / X-Purpose / X-Moz says prefetch, prerender or preview
    bot       a link-preview fetcher, crawler or HTTP library (by User-Agent), or no User-Agent
    owner     the sharer's own click (signed in as the link's owner)
    unavailable  the entry was not public when the hit was derived (hidden, rejected, or
              pending under pre-moderation): a visitor who reached a missing page was not
              reached, and a hidden entry earns nothing more
    repeat    the visitor already has a counted click on this link this UTC day
    counted   anything else

The hits table is the outbox: a hit is derived when `derived_at` is set, in the same
transaction as its click and ledger lines. On PostgreSQL a batch is taken with
`SELECT ... FOR UPDATE SKIP LOCKED`, so two workers never take the same hits; the unique
(link, visitor, day) constraint and the ledger key `click:<link>:<visitor>:<day>` make a hit
that races another for the same visitor a `repeat`, never a second click.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection, transaction
from django.http import HttpRequest
from django.utils import timezone

from campaigns.models import Campaign
from sharing.ledger import EventSpec, ledger_append, standings_refresh
from sharing.links import ShareTarget
from sharing.models import PointEvent, ShareClick, ShareHit
from sharing.visitors import USER_AGENT_MAX, visitor_of
from submissions.models import Submission

DERIVE_BATCH = 5000
PURPOSE_MAX = 32

# Link-preview fetchers, crawlers and HTTP libraries. Named explicitly, plus the conventions bots
# follow ("...bot/1.0", "+http://..." in the User-Agent, "crawler", "spider"); a bare "bot"
# substring is not used, because phone models such as "CUBOT" carry it in real browsers.
_BOT_RE = re.compile(
    r"""
    slackbot | slack-imgproxy | facebookexternalhit | facebot | facebookcatalog
    | twitterbot | telegrambot | whatsapp | discordbot | linkedinbot | skypeuripreview
    | mastodon | pleroma | misskey | akkoma | friendica | bluesky | cardyb
    | googlebot | google-inspectiontool | googleother | adsbot-google | mediapartners-google
    | feedfetcher-google | google-pagerenderer | storebot-google | apis-google
    | bingbot | bingpreview | msnbot | applebot | duckduckbot | duckduckgo-favicons
    | yandex | baiduspider | sogou | exabot | seznambot | petalbot | bytespider
    | embedly | iframely | redditbot | pinterest | tumblr | vkshare | snap\ url\ preview
    | discourse | nuzzel | qwantify | slurp | ia_archiver | archive\.org_bot
    | gptbot | chatgpt-user | oai-searchbot | claudebot | claude-web | anthropic-ai
    | perplexitybot | amazonbot | ccbot | ahrefsbot | semrushbot | mj12bot | dotbot
    | headlesschrome | phantomjs | lighthouse | pagespeed | w3c_validator
    | curl/ | wget/ | python-requests | python-urllib | python-httpx | aiohttp | httpx
    | go-http-client | okhttp | java/ | apache-httpclient | libwww-perl | lwp:: | node-fetch
    | axios/ | undici | got\ \( | http\.rb | guzzlehttp | scrapy | postmanruntime | insomnia
    | [a-z]bot/ | [a-z]bot; | crawler | crawl/ | spider | \+https?://
    """,
    re.IGNORECASE | re.VERBOSE,
)
_PREFETCH_RE = re.compile(r"prefetch|prerender|preview", re.IGNORECASE)


def is_bot(user_agent: str) -> bool:
    """Whether a User-Agent is a preview fetcher, crawler or library (an empty one is too)."""
    return not user_agent.strip() or _BOT_RE.search(user_agent) is not None


def is_prefetch(purpose: str) -> bool:
    return bool(purpose) and _PREFETCH_RE.search(purpose) is not None


def _purpose(request: HttpRequest) -> str:
    headers = request.headers
    for name in ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz"):
        value = headers.get(name)
        if value:
            return value[:PURPOSE_MAX]
    return ""


# --- Recording (the redirect's one insert) ----------------------------------------------------


_HIT_COLUMNS = (
    "link_id",
    "created_at",
    "channel",
    "visitor",
    "user_id",
    "method",
    "user_agent",
    "purpose",
    "verdict",
)


def _hit_insert_sql(*, relaxed: bool) -> str:
    """The hit's INSERT; `relaxed` (PostgreSQL, autocommit only) commits it without a WAL flush.

    A relaxed insert sets `synchronous_commit = off` for its own implicit transaction (the
    `set_config(..., true)` in the CTE ends with it; PostgreSQL applies the value in force when
    a transaction commits), so the redirect does not wait for the disk. See `share_hit_record`.
    """
    ops = connection.ops
    columns = ", ".join(ops.quote_name(column) for column in _HIT_COLUMNS)
    marks = ", ".join(["%s"] * len(_HIT_COLUMNS))
    table = ops.quote_name(ShareHit._meta.db_table)
    returning = f"RETURNING {ops.quote_name('id')}"
    if relaxed:
        return (
            "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) "  # noqa: S608
            f"INSERT INTO {table} ({columns}) SELECT {marks} FROM relaxed {returning}"
        )
    return f"INSERT INTO {table} ({columns}) VALUES ({marks}) {returning}"  # noqa: S608


def _hit_commit_relaxed() -> bool:
    """Whether the hit's INSERT commits by itself on PostgreSQL (no transaction around it)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def share_hit_record(*, request: HttpRequest, target: ShareTarget, now: datetime) -> ShareHit:
    """Store one request to a share link as it came: one INSERT, no IP address.

    The channel comes from `?c=` when it is one we tag, else `direct`; the visitor is the keyed
    daily hash of `sharing.visitors`. Signed-in visitors are recorded as such (the owner's own
    clicks are recognised by it). The hit is stamped `now`, the moment the request came.

    The statement is written out rather than built by the ORM: this is the redirect's only
    write, and compiling an INSERT per hit cost more than the rest of the redirect.
    IntegrityError when the link no longer exists (the caller's cached target was stale).

    Durability (docs/architecture.md, "Share hits commit asynchronously"): in autocommit on
    PostgreSQL the hit commits with `synchronous_commit = off`, for this statement alone. It
    is visible at once and can never be half written; only a crash of the database server
    itself, within a fraction of a second after the hit, could lose it. Anything derived from
    the hit commits durably and flushes the WAL up to it, so no counted click or point ever
    outlives its hit. Inside a transaction the hit commits with that transaction, as usual.
    """
    channel = request.GET.get("c", "")
    if channel not in ShareHit.Channel.values:
        channel = ShareHit.Channel.DIRECT
    user = request.user
    hit = ShareHit(
        link_id=target.link_id,
        created_at=now,
        channel=channel,
        visitor=visitor_of(request, day=now.astimezone(UTC).date()),
        user_id=user.pk if user.is_authenticated else None,
        method=request.method[:8],
        user_agent=request.headers.get("User-Agent", "")[:USER_AGENT_MAX],
        purpose=_purpose(request),
        verdict="",
    )
    values = [getattr(hit, column) for column in _HIT_COLUMNS]
    values[1] = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.execute(_hit_insert_sql(relaxed=_hit_commit_relaxed()), values)
        hit.pk = cursor.fetchone()[0]
    hit._state.adding = False
    return hit


# --- Derivation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    id: int
    link_id: int
    channel: str
    visitor: str
    user_id: int | None
    method: str
    user_agent: str
    purpose: str
    created_at: datetime
    owner_id: int
    submission_id: int
    campaign_id: int
    entry_state: str
    moderation_mode: str

    @property
    def entry_public(self) -> bool:
        """Whether the entry the link leads to is public (as `Submission.objects.visible()`)."""
        return self.entry_state == Submission.State.APPROVED or (
            self.entry_state == Submission.State.PENDING
            and self.moderation_mode == Campaign.ModerationMode.POST
        )

    @property
    def day(self) -> date:
        return self.created_at.astimezone(UTC).date()

    @property
    def key(self) -> tuple[int, str, date]:
        return (self.link_id, self.visitor, self.day)


def verdict_of(hit: _Hit) -> str | None:
    """The verdict a hit gets on its own; None when it counts unless it is a repeat."""
    Verdict = ShareHit.Verdict
    if hit.method.upper() == "HEAD":
        return Verdict.HEAD
    if is_prefetch(hit.purpose):
        return Verdict.PREFETCH
    if is_bot(hit.user_agent):
        return Verdict.BOT
    if hit.user_id is not None and hit.user_id == hit.owner_id:
        return Verdict.OWNER
    if not hit.entry_public:
        return Verdict.UNAVAILABLE
    return None


def _take_batch(limit: int) -> list[_Hit]:
    """Lock and read the oldest underived hits (skipping hits another worker holds)."""
    hits = ShareHit.objects.filter(derived_at__isnull=True).order_by("id")
    if connection.features.has_select_for_update_skip_locked:
        hits = hits.select_for_update(skip_locked=True, of=("self",))
    rows = hits.values_list(
        "id",
        "link_id",
        "channel",
        "visitor",
        "user_id",
        "method",
        "user_agent",
        "purpose",
        "created_at",
        "link__owner_id",
        "link__submission_id",
        "link__submission__campaign_id",
        "link__submission__state",
        "link__submission__campaign__moderation_mode",
    )[:limit]
    return [_Hit(*row) for row in rows]


def _existing_clicks(hits: list[_Hit]) -> dict[tuple[int, str, date], int]:
    """The clicks already stored for the batch's (link, visitor, day) keys: key -> its hit."""
    keys = {h.key for h in hits}
    if not keys:
        return {}
    found = ShareClick.objects.filter(
        link_id__in={k[0] for k in keys},
        visitor__in={k[1] for k in keys},
        day__in={k[2] for k in keys},
    ).values_list("link_id", "visitor", "day", "hit_id")
    return {
        (link, visitor, day): hit
        for link, visitor, day, hit in found
        if (link, visitor, day) in keys
    }


def _click_events(counted: list[_Hit]) -> list[EventSpec]:
    """Ledger lines for counted clicks made while their campaign was open (and worth points)."""
    campaigns = {
        c.pk: c
        for c in Campaign.objects.filter(pk__in={h.campaign_id for h in counted}).only(
            "id", "status", "starts_at", "ends_at", "points_click"
        )
    }
    events = []
    for hit in counted:
        campaign = campaigns[hit.campaign_id]
        if not campaign.points_click or campaign.phase_at(hit.created_at) != Campaign.Phase.OPEN:
            continue
        events.append(
            EventSpec(
                campaign_id=campaign.pk,
                participant_id=hit.owner_id,
                kind=PointEvent.Kind.CLICK,
                points=campaign.points_click,
                key=f"click:{hit.link_id}:{hit.visitor}:{hit.day.isoformat()}",
                submission_id=hit.submission_id,
            )
        )
    return events


def _sharers_refresh(events: list[EventSpec]) -> None:
    """Refresh the standings of the sharers who gained points, and tell them their reach."""
    from sharing.notifications import notify_reach, shares_reach

    touched: dict[int, set[int]] = defaultdict(set)
    for event in events:
        touched[event.campaign_id].add(event.participant_id)
    for campaign_id in sorted(touched):  # one lock order for concurrent batches
        participant_ids = sorted(touched[campaign_id])
        standings_refresh(campaign_id=campaign_id, participant_ids=participant_ids)
        for pid in participant_ids:
            notify_reach(
                link_owner_id=pid,
                campaign_id=campaign_id,
                total_people=shares_reach(link_owner_id=pid, campaign_id=campaign_id),
            )


def _derive_batch(*, limit: int, now: datetime) -> int:
    """One batch in one transaction: verdicts, clicks, ledger lines, the sharers' standings and
    reach. Returns the hits derived."""
    with transaction.atomic():
        hits = _take_batch(limit)
        if not hits:
            return 0
        verdicts: dict[int, str] = {}
        candidates: list[_Hit] = []
        # A key's click may already exist: made by an earlier hit (this one is a repeat), or by
        # this very hit if its derivation is replayed (it stays counted; the ledger ignores
        # the line it already has).
        clicked = _existing_clicks(hits)
        for hit in hits:
            verdict = verdict_of(hit)
            if verdict is None:
                owner_hit = clicked.get(hit.key)
                if owner_hit is None or owner_hit == hit.id:
                    clicked[hit.key] = hit.id
                    candidates.append(hit)
                    continue
                verdict = ShareHit.Verdict.REPEAT
            verdicts[hit.id] = verdict

        # Another worker may have counted the same visitor meanwhile: the constraint keeps one
        # click, and reading back which hits own a click tells us which of ours counted.
        ShareClick.objects.bulk_create(
            [
                ShareClick(
                    link_id=h.link_id, visitor=h.visitor, day=h.day, channel=h.channel, hit_id=h.id
                )
                for h in candidates
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        owning = set(
            ShareClick.objects.filter(hit_id__in=[h.id for h in candidates]).values_list(
                "hit_id", flat=True
            )
        )
        counted = [h for h in candidates if h.id in owning]
        for hit in candidates:
            verdicts[hit.id] = (
                ShareHit.Verdict.COUNTED if hit.id in owning else ShareHit.Verdict.REPEAT
            )

        events = _click_events(counted)
        ledger_append(events)

        by_verdict: dict[str, list[int]] = defaultdict(list)
        for hit_id, verdict in verdicts.items():
            by_verdict[verdict].append(hit_id)
        for verdict, ids in by_verdict.items():
            ShareHit.objects.filter(pk__in=ids).update(verdict=verdict, derived_at=now)
        # Still inside the batch: a worker killed between the verdicts and these would leave
        # the standings and the reach stale, and no hit would be left to refresh them.
        _sharers_refresh(events)
    return len(hits)


def clicks_derive(*, limit: int = DERIVE_BATCH, now: datetime | None = None) -> int:
    """Derive one batch of at most `limit` underived hits, oldest first; return how many.

    Idempotent: a hit is derived once (its `derived_at` is set in the batch's transaction), a
    visitor's click once per link and day (a constraint), its points once (the ledger key).
    The standings of the sharers who gained points, and their reach, are refreshed in the
    batch's transaction, so a worker dying half-way leaves all of it to the next run.
    """
    return _derive_batch(limit=limit, now=now or timezone.now())
