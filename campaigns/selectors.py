"""Reads about campaigns. Brand-scoped reads go through the tenancy selector in accounts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.selectors import brands_for_user
from campaigns.models import Campaign, CampaignTerms
from submissions.models import Submission


def _with_entry_count(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    """Each campaign with its approved entries counted: one index-only count per campaign.

    A subquery rather than a join with COUNT(DISTINCT): the join grouped every entry of the
    listed campaigns (1.7 s for a campaign of a million entries); this counts each campaign's
    through the (campaign, state, created) index.
    """
    approved = (
        Submission.objects.filter(campaign=OuterRef("pk"), state=Submission.State.APPROVED)
        .order_by()
        .values("campaign")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return campaigns.select_related("brand").annotate(
        entry_count=Coalesce(Subquery(approved, output_field=IntegerField()), Value(0))
    )


def _shared_list(key: str, read: Callable[[], list[Campaign]]) -> list[Campaign]:
    """A public list everyone sees alike, reused for PASSAPAROLA_PUBLIC_LISTS_SECONDS (30 s by
    default; 0 reads it every time): the home page is the most visited page, and its entry
    counts need not be fresher than that."""
    seconds = getattr(settings, "PASSAPAROLA_PUBLIC_LISTS_SECONDS", 30)
    if seconds <= 0:
        return read()
    found = cache.get(key)
    if found is None:
        found = read()
        cache.set(key, found, timeout=seconds)
    return found


def campaigns_open(*, now: datetime | None = None, limit: int | None = None) -> list[Campaign]:
    """Open campaigns for the public, ending soonest first, each with its approved entry count."""
    limit = limit or settings.PASSAPAROLA_HOME_CAMPAIGNS
    if now is not None:
        return _campaigns_open(now, limit)
    return _shared_list(f"campaigns-open:{limit}", lambda: _campaigns_open(timezone.now(), limit))


def _campaigns_open(moment: datetime, limit: int) -> list[Campaign]:
    campaigns = _with_entry_count(Campaign.objects.open_at(moment)).order_by("ends_at", "pk")
    return list(campaigns[:limit])


def campaigns_upcoming(*, now: datetime | None = None, limit: int = 6) -> list[Campaign]:
    if now is not None:
        return _campaigns_upcoming(now, limit)
    return _shared_list(
        f"campaigns-upcoming:{limit}", lambda: _campaigns_upcoming(timezone.now(), limit)
    )


def _campaigns_upcoming(moment: datetime, limit: int) -> list[Campaign]:
    campaigns = Campaign.objects.published().filter(starts_at__gt=moment)
    return list(_with_entry_count(campaigns).order_by("starts_at", "pk")[:limit])


def campaigns_for_member(*, user: User) -> QuerySet[Campaign]:
    """Every campaign, drafts included, of the brands the acting user belongs to."""
    return _with_entry_count(Campaign.objects.filter(brand__in=brands_for_user(user=user)))


def campaigns_dashboard(*, user: User) -> QuerySet[Campaign]:
    """The acting user's brands' campaigns with entry counts per moderation state."""
    states = Submission.State
    counts = {
        f"{state}_count": Count("submissions", filter=Q(submissions__state=state), distinct=True)
        for state in (states.PENDING, states.APPROVED, states.REJECTED, states.HIDDEN)
    }
    return (
        Campaign.objects.filter(brand__in=brands_for_user(user=user))
        .select_related("brand")
        .annotate(**counts)
        .order_by("brand__name", "-starts_at", "pk")
    )


def campaign_get_for_member(*, user: User, slug: str, brand_slug: str | None = None) -> Campaign:
    """A campaign of one of the acting user's brands, drafts included, with its entry counts.

    With `brand_slug` the campaign must also belong to that brand (a URL that names the brand
    never reaches another brand's campaign, even for a member of both). Http404 otherwise.
    """
    campaigns = campaigns_dashboard(user=user).filter(slug=slug)
    if brand_slug is not None:
        campaigns = campaigns.filter(brand__slug=brand_slug)
    campaign = campaigns.prefetch_related("prizes").first()
    if campaign is None:
        raise Http404("No such campaign.")
    return campaign


def campaign_get_public(
    *,
    slug: str,
    user: User | None = None,
    with_counts: bool = True,
    with_prizes: bool | None = None,
    only: Sequence[str] | None = None,
) -> Campaign:
    """A published campaign for anyone; a draft only for its brand's members (preview).

    `with_counts=False` skips counting its approved entries, which scans every entry of the
    campaign (seconds at a million): pages and endpoints that do not show the count pass it.
    Prizes are prefetched along with the counts unless `with_prizes` says otherwise. `only`
    loads just those fields (and not the brand), for hot endpoints that read a few: building
    the whole campaign and its brand cost more than the rest of the leaderboard request.
    """
    campaigns = Campaign.objects.filter(slug=slug)
    if only:
        campaigns = campaigns.only("id", "slug", "status", "brand_id", *only)
    elif with_counts:
        campaigns = _with_entry_count(campaigns)
    else:
        campaigns = campaigns.select_related("brand")
    if with_counts if with_prizes is None else with_prizes:
        campaigns = campaigns.prefetch_related("prizes")
    campaign = campaigns.first()
    if campaign is None:
        raise Http404("No such campaign.")
    if campaign.status != Campaign.Status.PUBLISHED and not (
        user is not None and brands_for_user(user=user).filter(pk=campaign.brand_id).exists()
    ):
        raise Http404("No such campaign.")
    return campaign


def campaign_terms_current(*, campaign: Campaign) -> CampaignTerms | None:
    """The terms version a participant accepts today (None when the campaign has none)."""
    return campaign.terms_versions.order_by("-version").first()
