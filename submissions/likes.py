"""Likes: the hottest write of the product, kept to one statement and an enqueue.

A like is a fact written in the request; its points, the entry's like count and the leaderboard
are derived after commit by `sharing.points.submission_points_sync`, for every entry with new
likes at once (`sharing.points.likes_derive`; ARCHITECTURE invariant 4).
Liking twice is not an error: the second call returns the live like (idempotent, so a double
click or a retried request is harmless). Unliking what is not liked returns None, likewise.
"""

from __future__ import annotations

from allauth.account.models import EmailAddress
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import BrandMembership, User
from campaigns.models import Campaign
from core.exceptions import ApplicationError, PermissionDenied
from submissions.models import Like, Submission
from submissions.selectors import submission_get_public


def _derive_later() -> None:
    """Ask for the like's derivation: likes are derived in batches (`likes_derive_request`)."""
    from sharing.points import likes_derive_request

    likes_derive_request()


def _require_open(campaign: Campaign) -> None:
    if campaign.phase_at(timezone.now()) != Campaign.Phase.OPEN:
        raise ApplicationError(
            _("Likes are closed: this campaign is not open."), code="campaign_not_open"
        )


def _require_fair_liker(*, user: User, campaign: Campaign) -> None:
    """An active person with a verified email, not of the brand that runs the campaign.

    One query answers both questions.
    """
    if not user.is_authenticated or not user.is_active:
        raise PermissionDenied(
            _("Verify your email address first: follow the link we sent you."),
            code="email_unverified",
        )
    flags = (
        User.objects.filter(pk=user.pk)
        .annotate(
            verified=Exists(EmailAddress.objects.filter(user=OuterRef("pk"), verified=True)),
            member=Exists(
                BrandMembership.objects.filter(user=OuterRef("pk"), brand_id=campaign.brand_id)
            ),
        )
        .values_list("verified", "member")
        .first()
    )
    verified, member = flags or (False, False)
    if not verified:
        raise PermissionDenied(
            _("Verify your email address first: follow the link we sent you."),
            code="email_unverified",
        )
    if member:
        # Fair play: the brand's own people do not push its entries up.
        raise PermissionDenied(
            _("Members of the brand running this campaign cannot like its entries."),
            code="brand_member",
        )


def like_create(*, user: User, submission: Submission) -> Like:
    """A verified person likes an approved entry of an open campaign; liking twice is harmless.

    Refusals: `campaign_not_open`, `not_likeable` (not approved), `own_entry`,
    `email_unverified`, `brand_member`. One live like per person and entry is the database's
    partial unique constraint: a concurrent or repeated like loses the insert and gets the live
    row back. Pass the entry with its campaign loaded (`select_related("campaign")`): the hot
    path is then one read (the person's standing) and one insert. The derivation is enqueued
    after commit.
    """
    campaign = submission.campaign
    _require_open(campaign)
    if submission.state != Submission.State.APPROVED:
        raise ApplicationError(_("This entry cannot be liked."), code="not_likeable")
    if submission.author_id == user.pk:
        raise ApplicationError(_("You cannot like your own entry."), code="own_entry")
    _require_fair_liker(user=user, campaign=campaign)
    try:
        with transaction.atomic():
            like = Like.objects.create(user=user, submission=submission)
    except IntegrityError:
        live = Like.objects.filter(
            user=user, submission_id=submission.pk, removed_at__isnull=True
        ).first()
        if live is None:  # not the one-like constraint: the entry itself went away
            raise ApplicationError(_("This entry cannot be liked."), code="not_likeable") from None
        return live
    transaction.on_commit(_derive_later)
    return like


def _like_insert_if_allowed(*, user: User, submission_id: int) -> Like | None:
    """The whole happy path of a like in one statement: insert it if every rule allows it.

    An INSERT ... SELECT whose WHERE holds the rules `like_create` checks one by one (an
    approved entry of a published campaign open now, not the person's own, a verified person
    outside the brand), and ON CONFLICT DO NOTHING for the one-live-like constraint. In
    autocommit it is one round trip and commits itself. None when nothing was inserted: then
    `like_create` finds out which rule refused (tests hold the two in agreement).
    """
    if not (user.is_authenticated and user.is_active) or not 0 < submission_id < 2**63:
        return None  # (an id no row can have: the ORM's lookup answers it with a 404)
    now = timezone.now()
    ops = connection.ops
    stamp = ops.adapt_datetimefield_value(now)
    table = {model: ops.quote_name(model._meta.db_table) for model in (Like, Submission)}
    sql = (
        f"INSERT INTO {table[Like]} "  # noqa: S608 - table names from the models, values bound
        "(user_id, submission_id, created_at, updated_at, removed_at, derived_at) "
        "SELECT %s, s.id, %s, %s, NULL, NULL "
        f"FROM {table[Submission]} s "
        f"INNER JOIN {ops.quote_name(Campaign._meta.db_table)} c ON c.id = s.campaign_id "
        "WHERE s.id = %s AND s.state = %s AND s.author_id <> %s "
        "AND c.status = %s AND c.starts_at <= %s AND c.ends_at > %s "
        f"AND EXISTS (SELECT 1 FROM {ops.quote_name(EmailAddress._meta.db_table)} e "
        "WHERE e.user_id = %s AND e.verified) "
        f"AND NOT EXISTS (SELECT 1 FROM {ops.quote_name(BrandMembership._meta.db_table)} m "
        "WHERE m.user_id = %s AND m.brand_id = c.brand_id) "
        "ON CONFLICT DO NOTHING RETURNING id"
    )
    params = [
        *(user.pk, stamp, stamp, submission_id, Submission.State.APPROVED.value, user.pk),
        *(Campaign.Status.PUBLISHED.value, stamp, stamp, user.pk, user.pk),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return Like(
        id=row[0], user_id=user.pk, submission_id=submission_id, created_at=now, updated_at=now
    )


def like_submit(*, user: User, submission_id: int) -> tuple[Like, bool]:
    """Like the entry with this id: the live like, and whether this call made it.

    The door for callers that hold only the id (the API): when the like is allowed it costs
    one statement and an enqueue, with no read before the write. Otherwise the entry is looked
    up as its page shows it (Http404 when the person may not see it) and `like_create` names
    the rule that refuses, or returns the like that already exists.
    """
    like = _like_insert_if_allowed(user=user, submission_id=submission_id)
    if like is not None:
        transaction.on_commit(_derive_later)
        return like, True
    submission = submission_get_public(submission_id=submission_id, user=user)
    started = timezone.now()
    like = like_create(user=user, submission=submission)
    # The live like, new or not; only a like made by this call is newer than the call.
    return like, like.created_at >= started


def like_remove(*, user: User, submission: Submission) -> Like | None:
    """Withdraw a person's like while the campaign is open; None when there was none.

    One UPDATE stamps `removed_at` (the row stays: its reversal is derived from it) and clears
    `derived_at`, so the derivation, enqueued after commit, or else the sweep, picks it up.
    After the campaign closes likes are final (`campaign_not_open`): the standings are.
    """
    if not user.is_authenticated:
        raise PermissionDenied(_("Sign in first."), code="not_authenticated")
    _require_open(submission.campaign)
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    table = connection.ops.quote_name(Like._meta.db_table)
    # UPDATE ... RETURNING (PostgreSQL, SQLite 3.35+): the change and the changed row at once.
    rows = list(
        Like.objects.raw(
            f"UPDATE {table} SET removed_at = %s, derived_at = NULL, updated_at = %s "  # noqa: S608
            "WHERE user_id = %s AND submission_id = %s AND removed_at IS NULL "
            "RETURNING id, user_id, submission_id, created_at, updated_at, removed_at, derived_at",
            [now, now, user.pk, submission.pk],
        )
    )
    if not rows:
        return None
    transaction.on_commit(_derive_later)
    return rows[0]
