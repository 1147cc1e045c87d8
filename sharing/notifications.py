"""In-app notifications, grouped: a participant hears when their entry is liked or commented,
when they move up the leaderboard, and how many people their shares reached.

One unread row per (person, kind, entry) or, for news about a campaign, per (person, kind,
campaign): new likes add to its `count` instead of adding rows, so the list stays short. The
database keeps the grouping true under concurrency (the partial unique constraints
`notification_unread_per_entry` and `notification_unread_per_campaign`); once read, the next
news starts a new row.

The `notify_*` hooks are called by the derivations, inside the transaction that derives the
facts: a derivation that runs twice derives nothing new the second time, so it notifies nothing
twice, and a derivation rolled back takes its notification with it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from accounts.models import User
from campaigns.models import Campaign
from sharing.models import Notification, ShareClick, Standing
from sharing.selectors import freeze_moment
from submissions.models import Comment, Submission

Kind = Notification.Kind
ENTRY_KINDS = (Kind.LIKED, Kind.COMMENTED)
LIST_LIMIT_DEFAULT = 50
# Moving up is news within the top of the board; far below, every like would be a notification.
RANK_NEWS_TOP = 100


def _pk(value: object) -> int | None:
    return value if value is None or isinstance(value, int) else value.pk  # type: ignore[attr-defined]


def _unread(
    *, user_id: int, kind: str, submission_id: int | None, campaign_id: int | None
) -> QuerySet[Notification]:
    """The one unread row this news groups into (what the partial unique constraints key on)."""
    rows = Notification.objects.filter(user_id=user_id, kind=kind, read_at__isnull=True)
    if submission_id is not None:
        return rows.filter(submission_id=submission_id)
    return rows.filter(submission__isnull=True, campaign_id=campaign_id)


@transaction.atomic
def notification_add(
    *,
    user: User | int,
    kind: str,
    submission: Submission | int | None = None,
    campaign: Campaign | int | None = None,
    count: int = 1,
    value: int = 0,
) -> Notification:
    """Add news to the person's unread row of this kind and entry (or campaign), or start one.

    The row's `count` grows by `count`; `value` (a rank, a number of people) is set to the
    latest. Race-safe: the update finds the unread row if there is one; else the insert runs in
    a savepoint, and if a concurrent call inserted the same row first (the partial unique
    constraint refuses ours; PostgreSQL makes us wait for it to commit), the update runs again
    and finds it. A caller's transaction survives the lost insert. An entry's news also records
    its campaign (for the listing); news about a campaign has no entry.
    """
    user_id, submission_id, campaign_id = _pk(user), _pk(submission), _pk(campaign)
    if submission_id is None and campaign_id is None:
        raise ValueError("A notification is about an entry or a campaign.")
    if isinstance(submission, Submission) and campaign_id is None:
        campaign_id = submission.campaign_id
    key = {
        "user_id": user_id,
        "kind": kind,
        "submission_id": submission_id,
        "campaign_id": campaign_id,
    }
    changes = {"count": F("count") + count, "value": value, "updated_at": timezone.now()}
    if not _unread(**key).update(**changes):
        try:
            with transaction.atomic():
                return Notification.objects.create(
                    user_id=user_id,
                    kind=kind,
                    submission_id=submission_id,
                    campaign_id=campaign_id,
                    count=count,
                    value=value,
                )
        except IntegrityError:
            if not _unread(**key).update(**changes):
                raise  # not the grouping constraint: a missing user, entry or campaign
    return _unread(**key).get()


def notifications_mark_read(*, user: User) -> int:
    """Mark every unread notification of the person read; returns how many."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def notifications_unread_count(*, user: User) -> int:
    """How many unread notifications the person has (one COUNT; 0 for anonymous visitors)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class NotificationItem:
    """A notification as its page shows it: a sentence in plain language and where it leads."""

    notification: Notification
    text: str
    url: str

    @property
    def unread(self) -> bool:
        return self.notification.read_at is None


def _entry_label(row: Notification) -> str:
    if row.submission is not None and row.submission.caption:
        return gettext("your entry “%(caption)s”") % {"caption": row.submission.caption}
    if row.campaign is not None:
        return gettext("your entry in “%(campaign)s”") % {"campaign": row.campaign.title}
    return gettext("your entry")


def notification_text(row: Notification) -> str:
    """The sentence for a notification, in the active language."""
    if row.kind == Kind.LIKED:
        return ngettext(
            "%(count)s new like on %(entry)s",
            "%(count)s new likes on %(entry)s",
            row.count,
        ) % {"count": row.count, "entry": _entry_label(row)}
    if row.kind == Kind.COMMENTED:
        return ngettext(
            "%(count)s new comment on %(entry)s",
            "%(count)s new comments on %(entry)s",
            row.count,
        ) % {"count": row.count, "entry": _entry_label(row)}
    title = row.campaign.title if row.campaign is not None else ""
    if row.kind == Kind.RANK_UP:
        return gettext("You moved up to #%(rank)s in “%(campaign)s”") % {
            "rank": row.value,
            "campaign": title,
        }
    if row.kind == Kind.REACH:
        return ngettext(
            "Your shares reached %(count)s person in “%(campaign)s”",
            "Your shares reached %(count)s people in “%(campaign)s”",
            row.value,
        ) % {"count": row.value, "campaign": title}
    return str(row.get_kind_display())


def _notification_url(row: Notification) -> str:
    if row.submission_id is not None:
        url = reverse("entry-detail", args=[row.submission_id])
        return f"{url}#comments" if row.kind == Kind.COMMENTED else url
    if row.campaign is None:
        return reverse("notifications")
    if row.kind == Kind.RANK_UP:
        return reverse("campaign-leaderboard", args=[row.campaign.slug])
    return reverse("points-statement", args=[row.campaign.slug])


def notifications_for(*, user: User, limit: int = LIST_LIMIT_DEFAULT) -> list[NotificationItem]:
    """The person's latest notifications, newest news first, as sentences: one query."""
    if not user.is_authenticated:
        return []
    rows = (
        Notification.objects.filter(user=user)
        .select_related("submission", "campaign")
        .order_by("-updated_at", "-id")[: max(0, limit)]
    )
    return [NotificationItem(row, notification_text(row), _notification_url(row)) for row in rows]


# --- Hooks: called by the derivations, inside their transaction -------------------------------


def _board_hidden(campaign: Campaign) -> bool:
    """True while the campaign keeps its counts hidden or its leaderboard frozen.

    A notification must not tell what the pages do not show yet (`hide_live_counts`, the
    frozen last hours): the news is skipped then, not delayed.
    """
    now = timezone.now()
    if campaign.phase_at(now) != Campaign.Phase.OPEN:
        return False
    if campaign.hide_live_counts:
        return True
    frozen_at = freeze_moment(campaign=campaign)
    return frozen_at is not None and now >= frozen_at


def notify_likes(*, submission_id: int, new_likes: int) -> Notification | None:
    """Tell an entry's author about likes the derivation just saw (not while counts are hidden).

    Call from the derivation of the entry's likes, inside its transaction, with the number of
    likes it derived as live for the first time.
    """
    if new_likes <= 0:
        return None
    entry = Submission.objects.select_related("campaign").filter(pk=submission_id).first()
    if entry is None or _board_hidden(entry.campaign):
        return None
    return notification_add(
        user=entry.author_id,
        kind=Kind.LIKED,
        submission=entry.pk,
        campaign=entry.campaign_id,
        count=new_likes,
    )


def notify_comment(*, comment: Comment) -> Notification | None:
    """Tell an entry's author about a new comment (not about their own)."""
    entry = comment.submission
    if comment.author_id == entry.author_id:
        return None
    return notification_add(
        user=entry.author_id,
        kind=Kind.COMMENTED,
        submission=entry.pk,
        campaign=entry.campaign_id,
    )


def notify_rank_change(
    *, campaign_id: int, participant_id: int, old_rank: int | None, new_rank: int | None
) -> Notification | None:
    """Tell a participant they moved up (rank numbers are competition ranks, 1 the best).

    Only a move up from a place they held is news; a first place on the board, or a move
    down, is not. Skipped while the board is hidden or frozen for the public.
    """
    if old_rank is None or new_rank is None or new_rank >= old_rank:
        return None
    campaign = Campaign.objects.filter(pk=campaign_id).first()
    if campaign is None or _board_hidden(campaign):
        return None
    return notification_add(
        user=participant_id, kind=Kind.RANK_UP, campaign=campaign_id, value=new_rank
    )


def _rank_within(campaign_id: int, participant_id: int, points: int) -> int | None:
    """1 + how many others have more points, if that is within the top RANK_NEWS_TOP; else None.

    The count stops at the cap, so it costs the same on a board of a million.
    """
    if points <= 0:
        return None
    above = (
        Standing.objects.filter(campaign_id=campaign_id, points__gt=points)
        .exclude(participant_id=participant_id)
        .order_by()
        .values("pk")[:RANK_NEWS_TOP]
        .count()
    )
    return above + 1 if above < RANK_NEWS_TOP else None


def notify_rank_rises(*, campaign_id: int, rises: Iterable[tuple[int, int, int]]) -> int:
    """Tell each participant whose total rose (participant id, old points, new points) their
    new rank, when they moved up within the top RANK_NEWS_TOP. Returns how many were told.

    Call from `standings_refresh`, inside its transaction, with the standings whose points
    rose; before or after the new totals are stored (a participant's own row is left out of
    the counts). Coming up from beyond the top counts as moving up; a first place on the
    board (from no points) does not.
    """
    told = 0
    for participant_id, old_points, new_points in rises:
        if new_points <= old_points or old_points <= 0:
            continue
        new_rank = _rank_within(campaign_id, participant_id, new_points)
        if new_rank is None:
            continue
        old_rank = _rank_within(campaign_id, participant_id, old_points) or RANK_NEWS_TOP + 1
        if notify_rank_change(
            campaign_id=campaign_id,
            participant_id=participant_id,
            old_rank=old_rank,
            new_rank=new_rank,
        ):
            told += 1
    return told


def notify_reach(*, link_owner_id: int, campaign_id: int, total_people: int) -> Notification | None:
    """Tell a sharer how many people their links in a campaign have reached, when it grew.

    `total_people` is the running total (see `shares_reach`); a total already told (in an
    unread or a read notification) is not told again.
    """
    if total_people <= 0:
        return None
    told = (
        Notification.objects.filter(
            user_id=link_owner_id,
            kind=Kind.REACH,
            campaign_id=campaign_id,
            submission__isnull=True,
        )
        .order_by("-value")
        .values_list("value", flat=True)
        .first()
    )
    if told is not None and told >= total_people:
        return None
    return notification_add(
        user=link_owner_id, kind=Kind.REACH, campaign=campaign_id, value=total_people
    )


def shares_reach(*, link_owner_id: int, campaign_id: int) -> int:
    """How many people a sharer's links in a campaign have brought: distinct counted visitors.

    A visitor counted on two links the same day is one person. Visitor hashes change every day
    by design (`sharing.visitors`), so someone who comes back another day counts again.
    """
    return (
        ShareClick.objects.filter(
            link__owner_id=link_owner_id, link__submission__campaign_id=campaign_id
        )
        .order_by()
        .values("visitor")
        .distinct()
        .count()
    )
