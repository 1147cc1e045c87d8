from collections import defaultdict
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.models import BrandMembership, User
from accounts.selectors import (
    EDITOR_ROLES,
    brand_membership_get,
    brand_role_require,
    memberships_for_user,
)
from campaigns import analytics, services
from campaigns import charts as charts_module
from campaigns.forms import CampaignForm, CloseCampaignForm
from campaigns.models import Campaign
from campaigns.selectors import (
    campaign_get_for_member,
    campaign_terms_current,
    campaigns_dashboard,
    campaigns_open,
    campaigns_upcoming,
)
from core.exceptions import ApplicationError, PermissionDenied
from core.uploads import image_too_large_error, upload_limited, upload_too_large

FORM_TEMPLATE = "campaigns/brand/campaign_form.html"


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    context = {"open_campaigns": campaigns_open(), "upcoming_campaigns": campaigns_upcoming()}
    return render(request, "campaigns/home.html", context)


def _member_campaign(user: User, brand_slug: str, slug: str) -> Campaign:
    return campaign_get_for_member(user=user, slug=slug, brand_slug=brand_slug)


def _editing_denied(user: User, membership: BrandMembership) -> PermissionDenied | None:
    try:
        brand_role_require(user=user, brand=membership.brand, roles=EDITOR_ROLES)
    except PermissionDenied as error:
        return error
    return None


def _manage_page(
    request: HttpRequest,
    membership: BrandMembership,
    campaign: Campaign,
    *,
    error: ApplicationError | None = None,
) -> HttpResponse:
    context = {
        "brand": membership.brand,
        "membership": membership,
        "campaign": campaign,
        "phase": campaign.phase,
        "terms": campaign_terms_current(campaign=campaign),
        "now": timezone.now(),
        "error": error,
    }
    status = error.status_code if error else 200
    return render(request, "campaigns/brand/campaign_manage.html", context, status=status)


@login_required
@require_safe
def brand_dashboard(request: HttpRequest) -> HttpResponse:
    campaigns: dict[int, list[Campaign]] = defaultdict(list)
    for campaign in campaigns_dashboard(user=request.user):
        campaigns[campaign.brand_id].append(campaign)
    brands = [(m, campaigns[m.brand_id]) for m in memberships_for_user(user=request.user)]
    return render(request, "campaigns/brand/dashboard.html", {"brands": brands})


@login_required
@upload_limited
@require_http_methods(["GET", "POST"])
def campaign_create(request: HttpRequest, brand_slug: str) -> HttpResponse:
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    context = {"brand": membership.brand, "membership": membership}
    if denied := _editing_denied(request.user, membership):
        return render(request, FORM_TEMPLATE, {**context, "denied": denied}, status=403)
    data = (request.POST, request.FILES) if request.method == "POST" else ()
    form = CampaignForm(*data, brand_time_zone=membership.brand.time_zone)
    status = 200
    if request.method == "POST":
        if upload_too_large(request):
            form.add_error("cover", image_too_large_error().message)
        campaign, status = form.call_service(
            lambda: services.campaign_create(
                brand=membership.brand,
                created_by=request.user,
                publish=form.publish_requested,
                **form.create_kwargs(),
            )
        )
        if campaign is not None:
            messages.success(request, _created_message(campaign))
            return redirect("brand-campaign-manage", brand_slug, campaign.slug)
    return render(request, FORM_TEMPLATE, {**context, "form": form}, status=status)


def _created_message(campaign: Campaign) -> str:
    return {
        Campaign.Phase.DRAFT: _("Saved as a draft. Only your team can see it."),
        Campaign.Phase.SCHEDULED: _("Scheduled: the campaign opens by itself at its start."),
        Campaign.Phase.OPEN: _("Published: the campaign is open for entries."),
    }.get(campaign.phase, _("Saved."))


@login_required
@upload_limited
@require_http_methods(["GET", "POST"])
def campaign_edit(request: HttpRequest, brand_slug: str, slug: str) -> HttpResponse:
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    campaign = _member_campaign(request.user, brand_slug, slug)
    denied = _editing_denied(request.user, membership)
    data = (request.POST, request.FILES) if request.method == "POST" and not denied else ()
    form = CampaignForm(
        *data,
        brand_time_zone=membership.brand.time_zone,
        campaign=campaign,
        terms=campaign_terms_current(campaign=campaign),
        read_only=denied is not None,
    )
    status = 403 if denied and request.method == "POST" else 200
    if data:
        if upload_too_large(request):
            form.add_error("cover", image_too_large_error().message)
        updated, status = form.call_service(
            lambda: services.campaign_update(
                campaign=campaign, actor=request.user, data=form.update_data()
            )
        )
        if updated is not None:
            messages.success(request, _("Your changes have been saved."))
            return redirect("brand-campaign-manage", brand_slug, updated.slug)
    context = {"brand": membership.brand, "membership": membership, "campaign": campaign}
    context |= {"form": form, "denied": denied}
    return render(request, FORM_TEMPLATE, context, status=status)


@login_required
@require_safe
def campaign_manage(request: HttpRequest, brand_slug: str, slug: str) -> HttpResponse:
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    return _manage_page(request, membership, _member_campaign(request.user, brand_slug, slug))


@login_required
@require_safe
def campaign_analytics(request: HttpRequest, brand_slug: str, slug: str) -> HttpResponse:
    numbers = analytics.campaign_analytics(user=request.user, brand_slug=brand_slug, slug=slug)
    charts = [
        {
            "name": name,
            "title": title,
            "points": numbers.series[name],
            "svg": charts_module.bar_chart(
                chart_id=f"chart-{name}",
                title=title,
                description=description,
                points=numbers.series[name],
            ),
        }
        for name, title, description in CHARTS
    ]
    context = {
        "brand": numbers.campaign.brand,
        "campaign": numbers.campaign,
        "current": _("Analytics"),
        "a": numbers,
        "charts": charts,
    }
    return render(request, "campaigns/brand/analytics.html", context)


CHARTS = [
    ("entries", _lazy("Entries per day"), _lazy("New entries each day, every moderation state.")),
    ("likes", _lazy("Likes per day"), _lazy("Likes given each day, including withdrawn ones.")),
    ("clicks", _lazy("Counted share clicks per day"), _lazy("Share link visits that counted.")),
    ("referrals", _lazy("Referrals per day"), _lazy("New members who verified their email.")),
]


def _lifecycle_action(
    request: HttpRequest,
    brand_slug: str,
    slug: str,
    action: Callable[..., Campaign],
    message: Callable[[Campaign], str],
) -> HttpResponse:
    """POST: run a lifecycle service and go back to the campaign; GET: just go back."""
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    campaign = _member_campaign(request.user, brand_slug, slug)
    if request.method == "POST":
        try:
            campaign = action(campaign=campaign, actor=request.user)
        except ApplicationError as error:
            return _manage_page(request, membership, campaign, error=error)
        messages.success(request, message(campaign))
    return redirect("brand-campaign-manage", brand_slug, slug)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_publish(request: HttpRequest, brand_slug: str, slug: str) -> HttpResponse:
    return _lifecycle_action(request, brand_slug, slug, services.campaign_publish, _created_message)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_unpublish(request: HttpRequest, brand_slug: str, slug: str) -> HttpResponse:
    return _lifecycle_action(
        request,
        brand_slug,
        slug,
        services.campaign_unpublish,
        lambda campaign: _("Back to draft: the campaign will not open until you publish it again."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def campaign_close(request: HttpRequest, brand_slug: str, slug: str) -> HttpResponse:
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    campaign = _member_campaign(request.user, brand_slug, slug)
    form = CloseCampaignForm(request.POST if request.method == "POST" else None)
    status = 403 if (denied := _editing_denied(request.user, membership)) else 200
    if request.method == "POST" and not denied:
        closed, status = form.call_service(
            lambda: services.campaign_close(campaign=campaign, actor=request.user)
        )
        if closed is not None:
            messages.success(request, _("The campaign is closed: it takes no more entries."))
            return redirect("brand-campaign-manage", brand_slug, slug)
    context = {"brand": membership.brand, "campaign": campaign, "form": form, "denied": denied}
    context["phase"] = campaign.phase
    return render(request, "campaigns/brand/campaign_close.html", context, status=status)
