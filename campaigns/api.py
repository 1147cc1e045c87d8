"""The campaigns API: the public list and page of a campaign, and what brand members do with it.

Reads of drafts and every write are for members of the campaign's brand; anything not theirs is
a 404 (the tenancy selectors decide), a member whose role may not change it gets a 403 from the
service. A brand's own listing, drafts included, is `GET /api/v1/brands/{brand_slug}/campaigns/`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import brand_membership_get
from campaigns import services
from campaigns.models import Campaign
from campaigns.selectors import (
    campaign_get_for_member,
    campaign_get_public,
    campaign_terms_current,
    campaigns_dashboard,
    campaigns_open,
)
from core.api import (
    AUTH_ERROR,
    NOT_FOUND,
    Flag,
    StrictInputSerializer,
    error_responses,
    utc_datetime,
)
from core.uploads import image_too_large_error, upload_too_large

# --- Campaign representations ----------------------------------------------------------------


class CampaignBrandSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text="The brand's IANA time zone, for showing dates.")


class CampaignPrizeSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    description = serializers.CharField()


class CampaignTermsVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    text = serializers.CharField()


class CampaignDetailSerializer(serializers.Serializer):
    """One campaign as its page shows it; `context["terms"]` is its current terms version."""

    slug = serializers.SlugField()
    title = serializers.CharField()
    brand = CampaignBrandSerializer()
    brief = serializers.CharField()
    rules = serializers.CharField(help_text="The rules as written (Markdown).")
    rules_html = serializers.CharField(help_text="The rules as safe HTML.")
    hashtag = serializers.CharField()
    cover = serializers.ImageField(allow_null=True)
    cover_width = serializers.IntegerField(allow_null=True)
    cover_height = serializers.IntegerField(allow_null=True)
    starts_at = utc_datetime()
    ends_at = utc_datetime()
    time_zone = serializers.CharField(source="brand.time_zone")
    phase = serializers.ChoiceField(choices=Campaign.Phase.choices)
    allowed_kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=["photo", "text", "video"])
    )
    text_max_length = serializers.IntegerField()
    max_entries_per_participant = serializers.IntegerField()
    moderation_mode = serializers.ChoiceField(choices=Campaign.ModerationMode.choices)
    points_entry = serializers.IntegerField()
    points_like = serializers.IntegerField()
    points_click = serializers.IntegerField()
    points_referral = serializers.IntegerField()
    hide_live_counts = serializers.BooleanField()
    leaderboard_freeze_hours = serializers.IntegerField()
    winner_rule = serializers.ChoiceField(choices=Campaign.WinnerRule.choices)
    winner_count = serializers.IntegerField()
    prizes = CampaignPrizeSerializer(many=True, source="prizes.all")
    terms = serializers.SerializerMethodField()
    entry_count = serializers.IntegerField(help_text="Approved entries.")

    @extend_schema_field(CampaignTermsVersionSerializer(allow_null=True))
    def get_terms(self, campaign: Campaign) -> dict[str, Any] | None:
        terms = self.context.get("terms")
        return CampaignTermsVersionSerializer(terms).data if terms is not None else None


def campaign_detail_data(request: Request, campaign: Campaign) -> dict[str, Any]:
    terms = campaign_terms_current(campaign=campaign)
    return CampaignDetailSerializer(campaign, context={"request": request, "terms": terms}).data


def _member_detail_response(request: Request, campaign: Campaign, status: int = 200) -> Response:
    """Render a campaign just written, read back as its page shows it (counts and prizes)."""
    fresh = campaign_get_public(slug=campaign.slug, user=request.user)
    return Response(campaign_detail_data(request, fresh), status=status)


# --- Input -----------------------------------------------------------------------------------


class CampaignPrizeInputSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    description = serializers.CharField(allow_blank=True)


def _prize_pairs(prizes: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(prize["rank"], prize["description"]) for prize in prizes]


class CampaignCreateSerializer(StrictInputSerializer):
    brand = serializers.SlugField(help_text="The slug of the brand the campaign belongs to.")
    title = serializers.CharField()
    slug = serializers.SlugField()
    starts_at = utc_datetime()
    ends_at = utc_datetime()
    brief = serializers.CharField(allow_blank=True, default="")
    rules = serializers.CharField(allow_blank=True, default="", help_text="Markdown.")
    hashtag = serializers.CharField(allow_blank=True, default="")
    cover = serializers.FileField(
        required=False, allow_empty_file=True, help_text="A photo (multipart only)."
    )
    allow_photo = Flag(default=True)
    allow_text = Flag(default=True)
    allow_video = Flag(default=False)
    text_max_length = serializers.IntegerField(default=280)
    max_entries_per_participant = serializers.IntegerField(default=3)
    moderation_mode = serializers.ChoiceField(
        choices=Campaign.ModerationMode.choices, default=Campaign.ModerationMode.PRE
    )
    points_entry = serializers.IntegerField(min_value=0, max_value=1000, default=10)
    points_like = serializers.IntegerField(min_value=0, max_value=1000, default=1)
    points_click = serializers.IntegerField(min_value=0, max_value=1000, default=2)
    points_referral = serializers.IntegerField(min_value=0, max_value=1000, default=5)
    hide_live_counts = Flag(default=False)
    leaderboard_freeze_hours = serializers.IntegerField(min_value=0, max_value=720, default=0)
    winner_rule = serializers.ChoiceField(
        choices=Campaign.WinnerRule.choices, default=Campaign.WinnerRule.TOP_POINTS
    )
    winner_count = serializers.IntegerField(min_value=1, max_value=100, default=3)
    prizes = CampaignPrizeInputSerializer(
        many=True,
        required=False,
        help_text="JSON: a list of {rank, description}; multipart: `prizes[0]rank`, ...",
    )
    terms = serializers.CharField(
        allow_blank=True, default="", help_text="What a participant accepts (version 1)."
    )
    publish = Flag(
        default=False, help_text="Publish at once (it opens at its start) instead of a draft."
    )


class CampaignUpdateSerializer(StrictInputSerializer):
    """Every setting `campaign_update` may change (services.EDITABLE_FIELDS), each optional."""

    title = serializers.CharField()
    slug = serializers.SlugField()
    brief = serializers.CharField(allow_blank=True)
    rules = serializers.CharField(allow_blank=True, help_text="Markdown.")
    hashtag = serializers.CharField(allow_blank=True)
    starts_at = utc_datetime()
    ends_at = utc_datetime()
    cover = serializers.FileField(allow_empty_file=True, help_text="A photo (multipart only).")
    allow_photo = Flag()
    allow_text = Flag()
    allow_video = Flag()
    text_max_length = serializers.IntegerField()
    max_entries_per_participant = serializers.IntegerField()
    moderation_mode = serializers.ChoiceField(choices=Campaign.ModerationMode.choices)
    points_entry = serializers.IntegerField(min_value=0, max_value=1000)
    points_like = serializers.IntegerField(min_value=0, max_value=1000)
    points_click = serializers.IntegerField(min_value=0, max_value=1000)
    points_referral = serializers.IntegerField(min_value=0, max_value=1000)
    hide_live_counts = Flag()
    leaderboard_freeze_hours = serializers.IntegerField(min_value=0, max_value=720)
    winner_rule = serializers.ChoiceField(choices=Campaign.WinnerRule.choices)
    winner_count = serializers.IntegerField(min_value=1, max_value=100)
    prizes = CampaignPrizeInputSerializer(many=True, help_text="Replaces every prize.")
    terms = serializers.CharField(
        allow_blank=True, help_text="The full terms text; a change adds a version."
    )


def _cover_refused_if_dropped(request: Request) -> None:
    if upload_too_large(request):
        raise image_too_large_error()


# --- Views -----------------------------------------------------------------------------------


class CampaignListApi(APIView):
    """The campaigns open right now, ending soonest first; members create campaigns here."""

    permission_classes = [IsAuthenticatedOrReadOnly]

    class CampaignSummarySerializer(serializers.Serializer):
        slug = serializers.SlugField()
        title = serializers.CharField()
        brand = serializers.CharField(source="brand.name")
        brief = serializers.CharField()
        hashtag = serializers.CharField()
        cover = serializers.ImageField(allow_null=True)
        starts_at = serializers.DateTimeField()
        ends_at = serializers.DateTimeField()
        phase = serializers.CharField()
        entry_count = serializers.IntegerField()

    @extend_schema(
        operation_id="campaigns_open_list",
        responses={200: CampaignSummarySerializer(many=True)},
        tags=["campaigns"],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        campaigns = campaigns_open()
        data = self.CampaignSummarySerializer(
            campaigns, many=True, context={"request": request}
        ).data
        return Response(data)

    @extend_schema(
        operation_id="campaigns_create",
        summary="Create a campaign (owners and managers of its brand)",
        description=(
            "JSON, or multipart with a `cover` photo. A draft unless `publish` is true. "
            "Dates are ISO 8601 instants; without an offset they are read as UTC."
        ),
        request={
            "application/json": CampaignCreateSerializer,
            "multipart/form-data": CampaignCreateSerializer,
        },
        responses={
            201: CampaignDetailSerializer,
            **error_responses(
                {
                    400: "`invalid` (see `fields`), `slug_taken`, `ends_in_past`, or an image "
                    "refusal for the cover (`file_too_large`, `unsupported_format`, ...).",
                    401: AUTH_ERROR,
                    403: "`role_insufficient`: analysts cannot create campaigns.",
                    404: "`not_found`: the brand does not exist or the caller is not a member.",
                }
            ),
        },
        tags=["campaigns"],
    )
    def post(self, request: Request) -> Response:
        data = CampaignCreateSerializer(data=request.data)
        _cover_refused_if_dropped(request)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        membership = brand_membership_get(user=request.user, brand_slug=values.pop("brand"))
        cover = values.pop("cover", None)
        campaign = services.campaign_create(
            brand=membership.brand,
            created_by=request.user,
            cover=cover,
            cover_name=getattr(cover, "name", ""),
            prizes=_prize_pairs(values.pop("prizes", [])),
            **values,
        )
        return _member_detail_response(request, campaign, status=201)


class CampaignDetailApi(APIView):
    """A published campaign for anyone, a draft for its brand's members; members change it."""

    @extend_schema(
        operation_id="campaigns_retrieve",
        responses={200: CampaignDetailSerializer, **error_responses({404: NOT_FOUND})},
        tags=["campaigns"],
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_public(slug=slug, user=request.user)
        return Response(campaign_detail_data(request, campaign))

    @extend_schema(
        operation_id="campaigns_partial_update",
        summary="Change a campaign's settings (owners and managers of its brand)",
        description=(
            "Only the settings sent change. While the campaign is open its entry rules and "
            "start are locked (409 `campaign_open_locked`, naming them in `fields`); a closed "
            "campaign no longer changes. `prizes` replaces every prize; a new `terms` text adds "
            "a terms version."
        ),
        request={
            "application/json": CampaignUpdateSerializer,
            "multipart/form-data": CampaignUpdateSerializer,
        },
        responses={
            200: CampaignDetailSerializer,
            **error_responses(
                {
                    400: "`invalid` (see `fields`), `slug_taken`, `ends_in_past`, or an image "
                    "refusal for the cover.",
                    401: AUTH_ERROR,
                    403: "`role_insufficient`: analysts cannot change campaigns.",
                    404: NOT_FOUND,
                    409: "`campaign_open_locked` or `campaign_closed`.",
                }
            ),
        },
        tags=["campaigns"],
    )
    def patch(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_member(user=request.user, slug=slug)
        data = CampaignUpdateSerializer(data=request.data, partial=True)
        _cover_refused_if_dropped(request)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if "prizes" in values:
            values["prizes"] = _prize_pairs(values["prizes"])
        campaign = services.campaign_update(campaign=campaign, actor=request.user, data=values)
        return _member_detail_response(request, campaign)


def _lifecycle_schema(operation_id: str, summary: str, conflicts: str) -> Any:
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        request=None,
        responses={
            200: CampaignDetailSerializer,
            **error_responses(
                {
                    400: "`ends_in_past`: the campaign would already be over.",
                    401: AUTH_ERROR,
                    403: "`role_insufficient`: analysts cannot change campaigns.",
                    404: NOT_FOUND,
                    409: conflicts,
                }
            ),
        },
        tags=["campaigns"],
    )


class CampaignPublishApi(APIView):
    permission_classes = [IsAuthenticated]

    @_lifecycle_schema(
        "campaigns_publish",
        "Publish a draft: it opens at its start (at once if that has passed)",
        "`already_published`.",
    )
    def post(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_member(user=request.user, slug=slug)
        campaign = services.campaign_publish(campaign=campaign, actor=request.user)
        return _member_detail_response(request, campaign)


class CampaignUnpublishApi(APIView):
    permission_classes = [IsAuthenticated]

    @_lifecycle_schema(
        "campaigns_unpublish",
        "Take a scheduled campaign back to draft",
        "`not_scheduled`: only a scheduled campaign goes back to draft.",
    )
    def post(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_member(user=request.user, slug=slug)
        campaign = services.campaign_unpublish(campaign=campaign, actor=request.user)
        return _member_detail_response(request, campaign)


class CampaignCloseApi(APIView):
    permission_classes = [IsAuthenticated]

    @_lifecycle_schema(
        "campaigns_close", "End an open campaign now", "`not_open`: only an open one closes."
    )
    def post(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_for_member(user=request.user, slug=slug)
        campaign = services.campaign_close(campaign=campaign, actor=request.user)
        return _member_detail_response(request, campaign)


class BrandCampaignListApi(APIView):
    """Every campaign of one of the caller's brands, drafts included, with entry counts."""

    permission_classes = [IsAuthenticated]

    class BrandCampaignSerializer(serializers.Serializer):
        slug = serializers.SlugField()
        title = serializers.CharField()
        status = serializers.ChoiceField(choices=Campaign.Status.choices)
        phase = serializers.ChoiceField(choices=Campaign.Phase.choices)
        starts_at = utc_datetime()
        ends_at = utc_datetime()
        pending_count = serializers.IntegerField()
        approved_count = serializers.IntegerField()
        rejected_count = serializers.IntegerField()
        hidden_count = serializers.IntegerField()

    @extend_schema(
        operation_id="brands_campaigns_list",
        summary="A brand's campaigns, drafts included (any member of the brand)",
        responses={
            200: BrandCampaignSerializer(many=True),
            **error_responses({401: AUTH_ERROR, 404: NOT_FOUND}),
        },
        tags=["campaigns"],
    )
    def get(self, request: Request, brand_slug: str) -> Response:
        membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
        # Narrowing the selector's own tenancy-checked set to the brand in the URL.
        campaigns = campaigns_dashboard(user=request.user).filter(brand=membership.brand)
        return Response(self.BrandCampaignSerializer(campaigns, many=True).data)
