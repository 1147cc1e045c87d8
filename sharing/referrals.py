"""Referrals: a visitor who came through a share link, signed up and verified within 30 days.

The redirect remembers the arrival in a signed cookie (`pp_ref`: link id and arrival time);
allauth's `user_signed_up` turns it into a `Referral` (one per new member, a database
constraint), and `email_confirmed` verifies it and credits the sharer once: the `verified_at`
guard under a row lock, and the ledger key `referral:<id>`, each make a second signal a no-op.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.models import User
from campaigns.models import Campaign
from sharing.ledger import EventSpec, ledger_append, standings_refresh
from sharing.models import PointEvent, Referral, ShareLink

REFERRAL_WINDOW = timedelta(days=30)
COOKIE_NAME = "pp_ref"
_COOKIE_SALT = "passaparola.sharing.referral"


def referral_cookie_set(
    response: HttpResponse, *, request: HttpRequest, link_id: int, now: datetime
) -> None:
    """Remember on the visitor's browser that they arrived through this link, now."""
    response.set_signed_cookie(
        COOKIE_NAME,
        f"{link_id}:{int(now.timestamp())}",
        salt=_COOKIE_SALT,
        max_age=int(REFERRAL_WINDOW.total_seconds()),
        secure=request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def referral_cookie_read(request: HttpRequest, *, now: datetime) -> tuple[int, datetime] | None:
    """The link and arrival time the request's cookie carries, if valid and under 30 days old."""
    try:
        value = request.get_signed_cookie(COOKIE_NAME, salt=_COOKIE_SALT, max_age=REFERRAL_WINDOW)
        link_part, time_part = value.split(":")
        link_id, arrived_at = int(link_part), datetime.fromtimestamp(int(time_part), tz=UTC)
    except (KeyError, signing.BadSignature, ValueError, OverflowError, OSError):
        return None
    if arrived_at > now or now - arrived_at > REFERRAL_WINDOW:
        return None
    return link_id, arrived_at


def referral_capture(
    *, request: HttpRequest, user: User, now: datetime | None = None
) -> Referral | None:
    """Record that a new member arrived through a share link (from the request's cookie).

    Nothing without a valid cookie younger than 30 days, for a link that no longer exists, or
    when the new member owns the link. Once per member: a second call returns None.
    """
    found = referral_cookie_read(request, now=now or timezone.now())
    if found is None:
        return None
    link_id, arrived_at = found
    link = ShareLink.objects.filter(pk=link_id).only("id", "owner_id").first()
    if link is None or link.owner_id == user.pk:
        return None
    try:
        with transaction.atomic():
            referral = Referral.objects.create(link=link, referred=user, arrived_at=arrived_at)
    except IntegrityError:
        return None
    # One arrival, one newcomer: a second sign-up in the same browser is not the link's doing
    # (`sharing.middleware` deletes the cookie on this request's response).
    request._referral_cookie_used = True
    return referral


def referral_cookie_used(request: HttpRequest) -> bool:
    """Whether this request turned its referral cookie into a referral."""
    return getattr(request, "_referral_cookie_used", False)


def referral_verify(*, user: User, now: datetime | None = None) -> Referral | None:
    """Credit the sharer when the member a link brought verifies their email within 30 days.

    Exactly once: the referral row is locked and `verified_at` checked before it is set, and
    the ledger key `referral:<id>` ignores a replay. Points (the campaign's `points_referral`)
    only while the campaign is open. Returns the referral verified now, else None.
    """
    moment = now or timezone.now()
    with transaction.atomic():
        referral = (
            Referral.objects.select_for_update(of=("self",))
            .select_related("link__submission__campaign")
            .filter(referred=user, verified_at__isnull=True)
            .first()
        )
        if referral is None or moment - referral.arrived_at > REFERRAL_WINDOW:
            return None
        referral.verified_at = moment
        referral.save(update_fields=["verified_at", "updated_at"])
        submission = referral.link.submission
        campaign = submission.campaign
        scores = campaign.points_referral and campaign.phase_at(moment) == Campaign.Phase.OPEN
        if scores:
            ledger_append(
                [
                    EventSpec(
                        campaign_id=campaign.pk,
                        participant_id=referral.link.owner_id,
                        kind=PointEvent.Kind.REFERRAL,
                        points=campaign.points_referral,
                        key=f"referral:{referral.pk}",
                        submission_id=submission.pk,
                    )
                ]
            )
    if scores:
        standings_refresh(campaign_id=campaign.pk, participant_ids=[referral.link.owner_id])
    return referral
