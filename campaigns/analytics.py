"""What a brand sees of a campaign's engagement: totals, per-day series and standings.

Read from the facts (entries, likes, counted clicks, referrals) and the standings table, with a
fixed number of queries whatever the campaign's size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from campaigns.charts import Point
from campaigns.models import Campaign
from campaigns.selectors import campaign_get_for_member
from sharing.models import Referral, ShareClick, ShareHit, Standing
from submissions.models import Like, Submission

MAX_DAYS = 120


@dataclass
class CampaignAnalytics:
    campaign: Campaign
    entries_by_state: dict[str, int]
    likes: int
    clicks_by_channel: list[tuple[str, str, int]]
    referrals: int
    participants: int
    days: list[date]
    series: dict[str, list[Point]] = field(default_factory=dict)
    standings: list[tuple[int, str, int]] = field(default_factory=list)

    @property
    def clicks(self) -> int:
        return sum(count for _code, _label, count in self.clicks_by_channel)


def _days(campaign: Campaign, now: datetime) -> list[date]:
    start = campaign.starts_at.date()
    end = min(campaign.ends_at, now).date()
    if end < start:
        return []
    span = min((end - start).days, MAX_DAYS - 1)
    first = end - timedelta(days=span)
    return [first + timedelta(days=i) for i in range(span + 1)]


def _series(rows: Iterable[dict[str, object]], days: list[date]) -> list[Point]:
    counts = {row["bucket"]: int(row["n"]) for row in rows}  # type: ignore[arg-type]
    return [Point(day, counts.get(day, 0)) for day in days]


def campaign_analytics(
    *, user: User, brand_slug: str, slug: str, now: datetime | None = None
) -> CampaignAnalytics:
    """A campaign's numbers for a member of its brand (any role); Http404 for anyone else."""
    campaign = campaign_get_for_member(user=user, slug=slug, brand_slug=brand_slug)
    moment = now or timezone.now()
    days = _days(campaign, moment)
    since = datetime.combine(days[0], datetime.min.time(), tzinfo=UTC) if days else moment

    entries = Submission.objects.filter(campaign=campaign)
    by_state = dict(entries.values_list("state").annotate(n=Count("id")))
    likes = Like.objects.filter(submission__campaign=campaign, removed_at__isnull=True)
    clicks = ShareClick.objects.filter(link__submission__campaign=campaign)
    referrals = Referral.objects.filter(
        link__submission__campaign=campaign, verified_at__isnull=False
    )
    labels = dict(ShareHit.Channel.choices)
    by_channel = [
        (row["channel"], str(labels.get(row["channel"], row["channel"])), row["n"])
        for row in clicks.values("channel").annotate(n=Count("id")).order_by("-n", "channel")
    ]

    def per_day(queryset, field_name: str) -> list[Point]:
        rows = (
            queryset.filter(**{f"{field_name}__gte": since})
            .annotate(bucket=TruncDate(field_name, tzinfo=UTC))
            .values("bucket")
            .annotate(n=Count("id"))
        )
        return _series(rows, days)

    series = {
        "entries": per_day(entries, "created_at"),
        "likes": per_day(Like.objects.filter(submission__campaign=campaign), "created_at"),
        "clicks": per_day(clicks, "created_at"),
        "referrals": per_day(referrals, "verified_at"),
    }
    standings: list[tuple[int, str, int]] = []
    top = (
        Standing.objects.filter(campaign=campaign, points__gt=0)
        .order_by("-points", "reached_ms", "participant_id")
        .values_list("participant_id", "participant__display_name", "points")[:10]
    )
    for position, (pid, name, points) in enumerate(top, start=1):
        # Standard competition ranking: equal points share the rank of the first of them.
        rank = standings[-1][0] if standings and standings[-1][2] == points else position
        # Never an email address: other people see display names only.
        standings.append((rank, name or _("Participant #%(id)s") % {"id": pid}, points))
    participants = entries.values("author").distinct().count()
    return CampaignAnalytics(
        campaign=campaign,
        entries_by_state={state: by_state.get(state, 0) for state in Submission.State.values},
        likes=likes.count(),
        clicks_by_channel=by_channel,
        referrals=referrals.count(),
        participants=participants,
        days=days,
        series=series,
        standings=standings,
    )
