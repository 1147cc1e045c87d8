"""A fresh recount of the engagement state from the facts, compared with what was derived.

`mismatches(campaign_ids)` recomputes every counter and score from the fact tables (likes,
entries' states, share hits) with the rules of ARCHITECTURE.md, independently of the
derivation code, and lists each place where the stored or Redis state disagrees. An empty list
means everything derived equals the truth.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import redis
from django.conf import settings
from django.db.models import Count, Max, Q, Sum

from campaigns.models import Campaign
from sharing.models import Notification, PointEvent, ShareClick, ShareHit, ShareLink, Standing
from submissions.models import Like, Submission

LIKE_KEY = re.compile(r"^(?:un)?like:(\d+)(?::\d+)?$")


def leaderboard_keys(campaign_id: int) -> dict[str, str]:
    prefix = getattr(settings, "PASSAPAROLA_LEADERBOARD_KEY_PREFIX", "pp:lb")
    base = f"{prefix}:{{c{campaign_id}}}"
    return {"players": f"{base}:players", "entries": f"{base}:entries"}


def leaderboard_keys_drop(campaign_ids: list[int]) -> None:
    """Forget Redis keys an earlier run may have left under the same campaign ids."""
    prefix = getattr(settings, "PASSAPAROLA_LEADERBOARD_KEY_PREFIX", "pp:lb")
    client = redis.Redis.from_url(settings.REDIS_URL)
    for campaign_id in campaign_ids:
        keys = list(client.scan_iter(match=f"{prefix}:{{c{campaign_id}}}*"))
        if keys:
            client.delete(*keys)


def expected_points(campaign: Campaign) -> dict[int, int]:
    """Each participant's score from the facts: approved entries, their live likes, clicks."""
    points: Counter[int] = Counter()
    entries = Submission.objects.filter(campaign=campaign).annotate(
        live=Count("likes", filter=Q(likes__removed_at__isnull=True))
    )
    for entry in entries:
        if entry.state == Submission.State.APPROVED:
            points[entry.author_id] += campaign.points_entry + campaign.points_like * entry.live
    clicks = (
        ShareClick.objects.filter(link__submission__campaign=campaign)
        .values("link__owner_id")
        .annotate(n=Count("pk"))
    )
    for row in clicks:
        points[row["link__owner_id"]] += campaign.points_click * row["n"]
    return dict(points)


def mismatches(campaign_ids: list[int]) -> list[str]:
    found: list[str] = []
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    for campaign in Campaign.objects.filter(pk__in=campaign_ids).order_by("pk"):
        cid = campaign.pk
        # Like counts.
        for sid, stored, live in (
            Submission.objects.filter(campaign=campaign)
            .annotate(live=Count("likes", filter=Q(likes__removed_at__isnull=True)))
            .values_list("pk", "like_count", "live")
        ):
            if stored != live:
                found.append(f"entry {sid}: like_count {stored}, live likes {live}")
        # Share hits: every hit derived; one click per (link, visitor, day) that counts.
        underived = ShareHit.objects.filter(
            link__submission__campaign=campaign, derived_at__isnull=True
        ).count()
        if underived:
            found.append(f"campaign {cid}: {underived} share hits not derived")
        for link_id in ShareLink.objects.filter(submission__campaign=campaign).values_list(
            "pk", flat=True
        ):
            # A visitor hash is per UTC day, so distinct hashes are distinct visitor-days. A hit
            # derived while its entry was not public counts for nobody.
            hits = ShareHit.objects.filter(link_id=link_id).exclude(verdict="unavailable")
            people = hits.values("visitor").distinct().count()
            clicks = ShareClick.objects.filter(link_id=link_id).count()
            if clicks != people:
                found.append(f"link {link_id}: {clicks} clicks, {people} distinct visitor-days")
        # Reach: what the sharer was last told equals the people their links brought.
        for owner_id in set(
            ShareLink.objects.filter(submission__campaign=campaign).values_list(
                "owner_id", flat=True
            )
        ):
            reach = (
                ShareClick.objects.filter(
                    link__owner_id=owner_id, link__submission__campaign=campaign
                )
                .values("visitor")
                .distinct()
                .count()
            )
            told = (
                Notification.objects.filter(
                    user_id=owner_id, kind=Notification.Kind.REACH, campaign=campaign
                ).aggregate(m=Max("value"))["m"]
                or 0
            )
            if told != reach:
                found.append(f"sharer {owner_id}: told reach {told}, reach {reach}")
        # The ledger: each like credited once while live, reversed once when withdrawn.
        per_like: dict[int, int] = defaultdict(int)
        for key, pts in PointEvent.objects.filter(
            campaign=campaign, kind__in=[PointEvent.Kind.LIKE, PointEvent.Kind.UNLIKE]
        ).values_list("key", "points"):
            match = LIKE_KEY.match(key)
            if match is None:
                found.append(f"ledger: unexpected like key {key}")
                continue
            per_like[int(match.group(1))] += pts
        # (An entry rejected since takes its likes' points back in one line: skip its likes.)
        revoked = PointEvent.objects.filter(
            campaign=campaign, kind=PointEvent.Kind.ENTRY_REVOKED
        ).values_list("submission_id", flat=True)
        for like_id, removed in (
            Like.objects.filter(submission__campaign=campaign)
            .exclude(submission_id__in=revoked)
            .values_list("pk", "removed_at")
        ):
            want = 0 if removed else campaign.points_like
            if per_like.get(like_id, 0) != want:
                found.append(f"like {like_id}: ledger {per_like.get(like_id, 0)}, expected {want}")
        click_events = PointEvent.objects.filter(campaign=campaign, kind=PointEvent.Kind.CLICK)
        clicks_total = ShareClick.objects.filter(link__submission__campaign=campaign).count()
        if click_events.count() != clicks_total:
            found.append(
                f"campaign {cid}: {click_events.count()} click lines, {clicks_total} clicks"
            )
        # Scores: the ledger, the standings and Redis all equal the recount from the facts.
        expected = expected_points(campaign)
        ledger = dict(
            PointEvent.objects.filter(campaign=campaign)
            .values("participant_id")
            .annotate(total=Sum("points"))
            .values_list("participant_id", "total")
        )
        standings = {s.participant_id: s for s in Standing.objects.filter(campaign=campaign)}
        for pid in set(expected) | set(ledger) | set(standings):
            want = expected.get(pid, 0)
            if ledger.get(pid, 0) != want:
                found.append(f"participant {pid}: ledger {ledger.get(pid, 0)}, facts {want}")
            stored = standings[pid].points if pid in standings else 0
            if stored != want:
                found.append(f"participant {pid}: standing {stored}, facts {want}")
        keys = leaderboard_keys(cid)
        want_players = {
            f"{s.reached_ms:015d}:{s.participant_id:012d}": -s.points
            for s in standings.values()
            if s.points > 0
        }
        have_players = {
            m: int(score) for m, score in client.zrange(keys["players"], 0, -1, withscores=True)
        }
        if have_players != want_players:
            found.append(f"campaign {cid}: Redis players {have_players} != {want_players}")
        want_entries = {
            f"{sid:012d}": -likes
            for sid, likes in Submission.objects.filter(
                campaign=campaign, state=Submission.State.APPROVED, like_count__gt=0
            ).values_list("pk", "like_count")
        }
        have_entries = {
            m: int(score) for m, score in client.zrange(keys["entries"], 0, -1, withscores=True)
        }
        if have_entries != want_entries:
            found.append(f"campaign {cid}: Redis entries {have_entries} != {want_entries}")
    return found
