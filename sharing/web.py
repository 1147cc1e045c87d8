"""Engagement pages: a campaign's full leaderboard, points statements, notifications.

Each view parses its input, calls the selectors and renders. Who sees what is theirs to decide:
`campaign_get_public` (a draft only for its brand), `campaign_get_for_member` (the brand's
pages), `leaderboard_for_viewer` (hidden, frozen, live) and `points_statement` (the
participant and the brand; anyone else a 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.selectors import brands_for_user
from campaigns.models import Campaign
from campaigns.selectors import campaign_get_for_member, campaign_get_public
from campaigns.winners import winners_current
from sharing.notifications import notifications_for, notifications_mark_read
from sharing.selectors import Statement, leaderboard_for_viewer, points_statement

LEADERBOARD_PAGE_LIMIT = 100
LEADERBOARD_PAGE_ENTRIES = 10
STATEMENT_PAGE_SIZE = 100
NOTIFICATIONS_LIMIT = 100


def _is_brand_member(request: HttpRequest, campaign: Campaign) -> bool:
    return brands_for_user(user=request.user).filter(pk=campaign.brand_id).exists()


@require_safe
def campaign_leaderboard(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = campaign_get_public(slug=slug, user=request.user, with_counts=False)
    phase = campaign.phase
    context = {
        "campaign": campaign,
        "phase": phase,
        "board": leaderboard_for_viewer(
            campaign=campaign,
            viewer=request.user,
            limit=LEADERBOARD_PAGE_LIMIT,
            entries_limit=LEADERBOARD_PAGE_ENTRIES,
        ),
        "board_limit": LEADERBOARD_PAGE_LIMIT,
        "board_entries": LEADERBOARD_PAGE_ENTRIES,
        "winners": winners_current(campaign=campaign) if phase == Campaign.Phase.CLOSED else [],
        "brand_view": _is_brand_member(request, campaign),
    }
    return render(request, "sharing/leaderboard_page.html", context)


def _statement_page(
    request: HttpRequest, statement: Statement, *, brand_view: bool
) -> HttpResponse:
    """A statement, newest line first (each with the total after it), a page at a time."""
    paginator = Paginator(statement.lines[::-1], STATEMENT_PAGE_SIZE)
    context = {
        "statement": statement,
        "campaign": statement.campaign,
        "page": paginator.get_page(request.GET.get("page")),
        "brand_view": brand_view,
    }
    return render(request, "sharing/statement.html", context)


@login_required
@require_safe
def my_points_statement(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = campaign_get_public(slug=slug, user=request.user, with_counts=False)
    statement = points_statement(campaign=campaign, participant=request.user, viewer=request.user)
    return _statement_page(request, statement, brand_view=False)


@login_required
@require_safe
def brand_points_statement(
    request: HttpRequest, brand_slug: str, slug: str, participant_id: int
) -> HttpResponse:
    campaign = campaign_get_for_member(user=request.user, slug=slug, brand_slug=brand_slug)
    statement = points_statement(campaign=campaign, participant=participant_id, viewer=request.user)
    return _statement_page(request, statement, brand_view=True)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """GET lists the news (unread ones marked as new); POST "Mark all read" reads them all."""
    if request.method == "POST":
        if notifications_mark_read(user=request.user):
            messages.success(request, _("All caught up: your notifications are marked read."))
        return redirect(reverse("notifications"))
    items = notifications_for(user=request.user, limit=NOTIFICATIONS_LIMIT)
    context = {"items": items, "unread": sum(1 for item in items if item.unread)}
    return render(request, "sharing/notifications.html", context)
