"""Template context for every page: the signed-in person's unread notifications (the nav badge)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from sharing.notifications import notifications_unread_count


def unread_notifications(request: HttpRequest) -> dict[str, object]:
    """`unread_notifications`: how many, counted (one COUNT) only when a template reads it.

    Anonymous visitors cost nothing: no session or user lookup beyond what the page does.
    """
    user = getattr(request, "user", None)
    if user is None:
        return {"unread_notifications": 0}

    def count() -> int:
        return notifications_unread_count(user=user) if user.is_authenticated else 0

    return {"unread_notifications": SimpleLazyObject(count)}
