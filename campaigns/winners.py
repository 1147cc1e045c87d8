"""The end of a campaign: frozen standings and winners chosen by a rule anyone can check.

A draw records its seed and the exact candidate pool (in order, with weights), so re-running
`draw_pick(pool, seed, count)` gives the same winners. Disqualifying a winner keeps the row with
its reason, and the free rank goes to the next candidate by the same rule.
"""

from __future__ import annotations

import hashlib
import logging
import random
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from campaigns.models import Campaign, FinalStanding, Winner, WinnerDraw
from core.enqueue import task_enqueue
from core.exceptions import ApplicationError, Conflict, PermissionDenied

logger = logging.getLogger(__name__)

Rule = Campaign.WinnerRule


def _competition_ranks(rows: Sequence[tuple[int, int, int]]) -> list[int]:
    """Standard competition ranks (1, 2, 2, 4) for rows already sorted by points descending."""
    ranks: list[int] = []
    previous_points: int | None = None
    for position, (_pid, points, _reached) in enumerate(rows, start=1):
        if points != previous_points:
            rank = position
            previous_points = points
        ranks.append(rank)
    return ranks


def standings_freeze(*, campaign: Campaign) -> int:
    """Store the campaign's standings as they are now; a second call changes nothing.

    Must run inside a transaction holding a SELECT FOR UPDATE lock on the campaign row.
    """
    from sharing.models import Standing

    if FinalStanding.objects.filter(campaign=campaign).exists():
        return 0
    rows = list(
        Standing.objects.filter(campaign=campaign, points__gt=0)
        .order_by("-points", "reached_ms", "participant_id")
        .values_list("participant_id", "points", "reached_ms")
    )
    ranks = _competition_ranks(rows)
    FinalStanding.objects.bulk_create(
        [
            FinalStanding(
                campaign=campaign, participant_id=pid, rank=rank, points=points, reached_ms=reached
            )
            for (pid, points, reached), rank in zip(rows, ranks, strict=True)
        ]
    )
    return len(rows)


def draw_pick(pool: Sequence[dict[str, int]], seed: str, count: int, weighted: bool) -> list[int]:
    """Pick `count` distinct participants from `pool` with a generator seeded by `seed`.

    `pool` is a list of {"participant": id, "weight": w} in a fixed order. Weighted draws pick
    one at a time, each with probability weight / remaining total weight. Pure: the same
    arguments always give the same winners.
    """
    generator = random.Random(hashlib.sha256(seed.encode()).hexdigest())
    remaining = [dict(entry) for entry in pool]
    chosen: list[int] = []
    while remaining and len(chosen) < count:
        if weighted:
            total = sum(max(0, e["weight"]) for e in remaining)
            if total <= 0:
                break
            target = generator.uniform(0, total)
            running = 0.0
            index = len(remaining) - 1
            for i, entry in enumerate(remaining):
                running += max(0, entry["weight"])
                if target < running:
                    index = i
                    break
        else:
            index = generator.randrange(len(remaining))
        chosen.append(remaining.pop(index)["participant"])
    return chosen


def _eligible_participants(campaign: Campaign) -> set[int]:
    """People with an approved entry in the campaign, still active, not the brand's own."""
    from accounts.models import BrandMembership
    from submissions.models import Submission

    members = BrandMembership.objects.filter(brand_id=campaign.brand_id).values("user_id")
    return set(
        Submission.objects.filter(
            campaign=campaign, state=Submission.State.APPROVED, author__is_active=True
        )
        .exclude(author_id__in=members)
        .values_list("author_id", flat=True)
    )


def _excluded(campaign: Campaign) -> set[int]:
    """Participants who already hold a rank or were disqualified from this campaign."""
    return set(Winner.objects.filter(campaign=campaign).values_list("participant_id", flat=True))


def _candidates(campaign: Campaign, rule: str) -> list[dict[str, int]]:
    """Every eligible candidate in the rule's order (fixed for draws: by participant id)."""
    from submissions.models import Submission

    eligible = _eligible_participants(campaign) - _excluded(campaign)
    if rule == Rule.TOP_LIKES:
        candidates: list[dict[str, int]] = []
        seen: set[int] = set()
        entries = (
            Submission.objects.filter(
                campaign=campaign, state=Submission.State.APPROVED, author_id__in=eligible
            )
            .order_by("-like_count", "created_at", "id")
            .values_list("author_id", "id", "like_count")
        )
        for author_id, entry_id, likes in entries:
            if author_id in seen:
                continue
            seen.add(author_id)
            candidates.append({"participant": author_id, "submission": entry_id, "weight": likes})
        return candidates
    finals = {
        f.participant_id: f
        for f in FinalStanding.objects.filter(campaign=campaign, participant_id__in=eligible)
    }
    if rule == Rule.TOP_POINTS:
        ordered = sorted(finals.values(), key=lambda f: (-f.points, f.reached_ms, f.participant_id))
        return [{"participant": f.participant_id, "weight": f.points} for f in ordered]
    # Draws: every eligible participant, in id order, weighted by frozen points (0 if none).
    return [
        {"participant": pid, "weight": finals[pid].points if pid in finals else 0}
        for pid in sorted(eligible)
    ]


def _best_entry(campaign: Campaign, participant_id: int) -> int | None:
    from submissions.models import Submission

    return (
        Submission.objects.filter(
            campaign=campaign, author_id=participant_id, state=Submission.State.APPROVED
        )
        .order_by("-like_count", "created_at", "id")
        .values_list("id", flat=True)
        .first()
    )


def _award(
    *, campaign: Campaign, ranks: Sequence[int], actor: User | None, reason: str, seed: str = ""
) -> WinnerDraw:
    rule = campaign.winner_rule
    pool = _candidates(campaign, rule)
    if rule in (Rule.DRAW, Rule.DRAW_WEIGHTED):
        seed = seed or secrets.token_hex(16)
        picked = draw_pick(pool, seed, len(ranks), weighted=rule == Rule.DRAW_WEIGHTED)
    else:
        seed = ""
        picked = [entry["participant"] for entry in pool[: len(ranks)]]
    draw = WinnerDraw.objects.create(
        campaign=campaign, rule=rule, seed=seed, pool=pool, reason=reason, drawn_by=actor
    )
    by_participant = {entry["participant"]: entry for entry in pool}
    finals = dict(
        FinalStanding.objects.filter(campaign=campaign, participant_id__in=picked).values_list(
            "participant_id", "points"
        )
    )
    Winner.objects.bulk_create(
        [
            Winner(
                campaign=campaign,
                draw=draw,
                rank=rank,
                participant_id=pid,
                submission_id=by_participant[pid].get("submission") or _best_entry(campaign, pid),
                points=finals.get(pid, 0),
            )
            for rank, pid in zip(ranks, picked, strict=False)
        ]
    )
    from campaigns.tasks import winners_notify_task

    transaction.on_commit(lambda: task_enqueue(winners_notify_task, campaign.pk))
    return draw


def _require_staff(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and actor.is_staff):
        raise PermissionDenied(_("Only staff can change winners."), code="not_staff")


def campaign_winners_choose(
    *, campaign: Campaign, now: datetime | None = None
) -> WinnerDraw | None:
    """At closing: freeze standings and apply the campaign's rule, once.

    Must run inside a transaction holding a SELECT FOR UPDATE lock on the campaign row. A jury
    campaign only freezes; its winners are picked by staff (`winners_jury_set`).
    """
    standings_freeze(campaign=campaign)
    if campaign.winner_rule == Rule.JURY or campaign.draws.exists():
        return None
    return _award(
        campaign=campaign,
        ranks=range(1, campaign.winner_count + 1),
        actor=None,
        reason="closing",
    )


@transaction.atomic
def winner_disqualify(*, winner: Winner, actor: User, reason: str, redraw: bool = True) -> Winner:
    """Staff disqualify a winner with a reason; the rank goes to the next by the same rule."""
    _require_staff(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(
            _("Say why this winner is disqualified."),
            code="reason_required",
            fields={"reason": [_("Required.")]},
        )
    campaign = Campaign.objects.select_for_update().get(pk=winner.campaign_id)
    winner = Winner.objects.select_for_update().get(pk=winner.pk)
    if winner.disqualified_at is not None:
        raise Conflict(_("This winner is already disqualified."), code="already_disqualified")
    winner.disqualified_at = timezone.now()
    winner.disqualified_reason = reason
    winner.disqualified_by = actor
    winner.save(
        update_fields=["disqualified_at", "disqualified_reason", "disqualified_by", "updated_at"]
    )
    if redraw and campaign.winner_rule != Rule.JURY:
        _award(
            campaign=campaign,
            ranks=[winner.rank],
            actor=actor,
            reason=f"redraw after disqualifying #{winner.rank}: {reason}",
        )
    return winner


@transaction.atomic
def winners_jury_set(
    *, campaign: Campaign, actor: User, picks: Sequence[tuple[int, int]]
) -> WinnerDraw:
    """Staff record the jury's winners as (rank, entry id) pairs, for a closed jury campaign."""
    from submissions.models import Submission

    _require_staff(actor)
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.winner_rule != Rule.JURY:
        raise Conflict(_("This campaign's winners are chosen by its rule."), code="not_jury")
    if campaign.phase != Campaign.Phase.CLOSED:
        raise Conflict(_("Winners are chosen once the campaign has closed."), code="not_closed")
    entries = {
        s.pk: s
        for s in Submission.objects.filter(
            campaign=campaign,
            state=Submission.State.APPROVED,
            pk__in=[entry_id for _rank, entry_id in picks],
        )
    }
    taken = Winner.objects.filter(campaign=campaign, disqualified_at__isnull=True)
    ranks_taken = set(taken.values_list("rank", flat=True))
    eligible = _eligible_participants(campaign)
    winners: list[Winner] = []
    draw = WinnerDraw.objects.create(
        campaign=campaign,
        rule=Rule.JURY,
        pool=[{"rank": rank, "submission": entry_id} for rank, entry_id in picks],
        reason="jury",
        drawn_by=actor,
    )
    for rank, entry_id in picks:
        entry = entries.get(entry_id)
        if entry is None or entry.author_id not in eligible:
            raise ApplicationError(
                _("Entry %(id)s is not an approved entry of an eligible participant.")
                % {"id": entry_id},
                code="not_eligible",
            )
        if rank in ranks_taken:
            raise Conflict(_("Rank %(rank)d already has a winner.") % {"rank": rank})
        ranks_taken.add(rank)
        winners.append(
            Winner(
                campaign=campaign,
                draw=draw,
                rank=rank,
                participant_id=entry.author_id,
                submission=entry,
            )
        )
    Winner.objects.bulk_create(winners)
    from campaigns.tasks import winners_notify_task

    transaction.on_commit(lambda: task_enqueue(winners_notify_task, campaign.pk))
    return draw


def winners_current(*, campaign: Campaign) -> list[Winner]:
    """The winners standing now, by rank (disqualified ones left out)."""
    return list(
        Winner.objects.filter(campaign=campaign, disqualified_at__isnull=True)
        .select_related("participant", "submission")
        .order_by("rank")
    )


def draw_verify(*, draw: WinnerDraw) -> bool:
    """Re-run a recorded draw from its pool and seed: True when it picks the same people."""
    if draw.rule not in (Rule.DRAW, Rule.DRAW_WEIGHTED):
        return True
    picked = draw_pick(
        draw.pool, draw.seed, draw.winners.count(), weighted=draw.rule == Rule.DRAW_WEIGHTED
    )
    recorded = list(draw.winners.order_by("rank").values_list("participant_id", flat=True))
    return picked == recorded


def winners_notify_due(*, now: datetime | None = None) -> list[int]:
    """Campaigns with a winner not yet told although the news is over two minutes old (its
    email task never ran): `campaign_phases_sync` sends them. Winners of the last 30 days."""
    moment = now or timezone.now()
    return sorted(
        set(
            Winner.objects.filter(
                notified_at__isnull=True,
                disqualified_at__isnull=True,
                created_at__gte=moment - timedelta(days=30),
                created_at__lte=moment - timedelta(minutes=2),
            ).values_list("campaign_id", flat=True)
        )
    )


def winners_unnotified(*, campaign_id: int) -> list[Winner]:
    return list(
        Winner.objects.filter(
            Q(campaign_id=campaign_id), disqualified_at__isnull=True, notified_at__isnull=True
        ).select_related("participant", "campaign", "campaign__brand")
    )


def winners_notify(*, campaign_id: int) -> int:
    """Email each winner not yet told, in their language; each exactly once."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    sent = 0
    for winner in winners_unnotified(campaign_id=campaign_id):
        with transaction.atomic():
            locked = Winner.objects.select_for_update().filter(
                pk=winner.pk, notified_at__isnull=True, disqualified_at__isnull=True
            )
            if not locked.exists():
                continue
            person = winner.participant
            context = {
                "winner": winner,
                "campaign": winner.campaign,
                "campaign_url": settings.SITE_URL
                + reverse("campaign-detail", args=[winner.campaign.slug]),
            }
            with translation.override(person.language or settings.LANGUAGE_CODE):
                subject = " ".join(
                    render_to_string("campaigns/email/winner_subject.txt", context).split()
                )
                body = render_to_string("campaigns/email/winner_message.txt", context)
            send_mail(subject, body, None, [person.email])
            locked.update(notified_at=timezone.now())
            sent += 1
    return sent
