"""Reads about entries: galleries, one entry, a person's own entries, comments, dashboard counts.

Each returns what its page shows with the queries included (authors and campaigns joined), so
templates never query. Who may see what is decided here: the public sees visible entries
(`SubmissionQuerySet.visible`), an author also their own, staff everything.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from campaigns.models import Campaign
from core.exceptions import ApplicationError
from submissions.models import Comment, Submission

GALLERY_ORDERS = ("newest", "most_liked")
GALLERY_MAX_LIMIT = 100

_ORDERING = {
    "newest": ("-created_at", "-id"),
    "most_liked": ("-like_count", "-created_at", "-id"),
}


def _invalid_cursor() -> ApplicationError:
    return ApplicationError(
        _("This page link is not valid any more; start again from the first page."),
        code="invalid_cursor",
    )


def _cursor_encode(*, order: str, submission: Submission) -> str:
    payload: dict[str, Any] = {
        "o": order,
        "t": submission.created_at.isoformat(),
        "i": submission.pk,
    }
    if order == "most_liked":
        payload["l"] = submission.like_count
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_decode(*, cursor: str, order: str) -> Q:
    """The filter for the entries that come after the cursor's, in `order`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        if not isinstance(payload, dict) or payload.get("o") != order:
            raise ValueError("cursor of another order")
        created_at = datetime.fromisoformat(payload["t"])
        pk = payload["i"]
        if created_at.tzinfo is None or type(pk) is not int:
            raise ValueError("bad cursor values")
        after = Q(created_at__lt=created_at) | Q(created_at=created_at, pk__lt=pk)
        if order == "most_liked":
            likes = payload["l"]
            if type(likes) is not int:
                raise ValueError("bad like count")
            return Q(like_count__lt=likes) | (Q(like_count=likes) & after)
        return after
    except (ValueError, TypeError, KeyError, UnicodeDecodeError, binascii.Error):
        raise _invalid_cursor() from None


def gallery_page(
    *, campaign: Campaign, order: str, limit: int, cursor: str | None
) -> tuple[list[Submission], str | None]:
    """One page of a campaign's visible entries and the cursor of the next (None at the end).

    Keyset pagination: stable while entries arrive or likes change order, one query per page
    whatever its size. Newest: (-created_at, -id); most liked: (-like_count, -created_at, -id).
    A malformed cursor is an ApplicationError (`invalid_cursor`).
    """
    if order not in GALLERY_ORDERS:
        raise ApplicationError(
            _("Sort by newest or most liked."),
            code="invalid_order",
            fields={"order": [_("Unknown order.")]},
        )
    limit = max(1, min(int(limit), GALLERY_MAX_LIMIT))
    entries = (
        Submission.objects.visible()
        .filter(campaign=campaign)
        .select_related("author", "campaign")
        .order_by(*_ORDERING[order])
    )
    if cursor:
        entries = entries.filter(_cursor_decode(cursor=cursor, order=order))
    rows = list(entries[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, _cursor_encode(order=order, submission=rows[-1])


def submission_get_public(*, submission_id: int, user: User) -> Submission:
    """An entry for its page: visible ones to anyone, the rest to their author and staff only.

    Http404 otherwise, so a page never confirms that a hidden entry exists. The result has
    `is_public` (whether the public sees it) and its author, campaign and brand joined.
    """
    visible = Submission.objects.visible().filter(
        pk=OuterRef("pk"), campaign__status=Campaign.Status.PUBLISHED
    )
    submission = (
        Submission.objects.select_related("author", "campaign", "campaign__brand", "terms")
        .annotate(is_public=Exists(visible))
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        raise Http404("No such entry.")
    if submission.is_public:
        return submission
    if (
        user.is_authenticated
        and user.is_active
        and (user.is_staff or user.pk == submission.author_id)
    ):
        return submission
    raise Http404("No such entry.")


def submissions_for_author(*, user: User) -> QuerySet[Submission]:
    """A person's own entries in every state, newest first, with their campaigns."""
    if not user.is_authenticated:
        return Submission.objects.none()
    return (
        Submission.objects.filter(author=user)
        .select_related("campaign", "campaign__brand")
        .order_by("-created_at", "-id")
    )


def comments_for_submission(*, submission: Submission, user: User) -> QuerySet[Comment]:
    """An entry's comments, oldest first; hidden ones only to their author and to staff."""
    comments = (
        Comment.objects.filter(submission=submission)
        .select_related("author")
        .order_by("created_at", "id")
    )
    if user.is_authenticated and user.is_active and user.is_staff:
        return comments
    if user.is_authenticated:
        return comments.filter(Q(is_hidden=False) | Q(author=user))
    return comments.filter(is_hidden=False)


def submission_counts_by_state(*, campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Entries per state for each campaign (every state present, zeros included): one query.

    Callers pass campaigns the acting user may see (`campaigns_for_member`).
    """
    ids = list(campaign_ids)
    counts = {pk: dict.fromkeys(Submission.State.values, 0) for pk in ids}
    if not ids:
        return counts
    rows = (
        Submission.objects.filter(campaign_id__in=ids)
        .values("campaign_id", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        counts[row["campaign_id"]][row["state"]] = row["n"]
    return counts


def comment_get(*, comment_id: int, user: User) -> Comment:
    """A comment for its reader: on an entry they may see, and not hidden unless theirs or staff.

    Http404 otherwise, like `submission_get_public`, so nothing confirms what is not shown.
    """
    comment = Comment.objects.select_related("author").filter(pk=comment_id).first()
    if comment is None:
        raise Http404("No such comment.")
    submission_get_public(submission_id=comment.submission_id, user=user)
    may_see_hidden = (
        user.is_authenticated and user.is_active and (user.is_staff or user.pk == comment.author_id)
    )
    if comment.is_hidden and not may_see_hidden:
        raise Http404("No such comment.")
    return comment
