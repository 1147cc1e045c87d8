"""The entries API: a campaign's gallery and entering it, one entry, comments and reports.

Who sees what is the selectors' decision (the public sees visible entries, an author also their
own, staff everything; anything else is a 404); every rule of taking part is the services'.
A photo arrives as multipart; `upload_limited` on the route drops an oversized file before its
bytes are read, and the view answers "too large" for it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import exceptions, serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from accounts.models import User
from campaigns.selectors import campaign_get_public
from core.api import (
    AUTH_ERROR,
    NOT_FOUND,
    CursorPagination,
    Flag,
    StrictInputSerializer,
    error_responses,
    utc_datetime,
)
from core.exceptions import ApplicationError
from core.uploads import image_too_large_error, upload_too_large
from submissions import services
from submissions.likes import like_remove, like_submit
from submissions.models import Report, Submission
from submissions.selectors import (
    GALLERY_MAX_LIMIT,
    GALLERY_ORDERS,
    comment_get,
    comments_for_submission,
    gallery_page,
    submission_get_public,
)
from submissions.video import video_embed_url

UNVERIFIED = "`email_unverified`: only people with a verified email address take part."


def _absolute(request: Request, file: Any) -> str | None:
    return request.build_absolute_uri(file.url) if file else None


def _sees_state(viewer: User | None, submission: Submission) -> bool:
    return bool(
        viewer is not None
        and viewer.is_authenticated
        and (viewer.is_staff or viewer.pk == submission.author_id)
    )


# --- Representations -------------------------------------------------------------------------


class PublicAuthorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField(source="public_name", help_text="Never the email.")


class EntryVideoSerializer(serializers.Serializer):
    provider = serializers.ChoiceField(choices=Submission.VideoProvider.choices)
    id = serializers.CharField()
    url = serializers.URLField(help_text="The plain public address of the video.")
    embed_url = serializers.URLField(help_text="A privacy-friendly address for an iframe.")


class EntryThumbnailsSerializer(serializers.Serializer):
    small = serializers.URLField(allow_null=True, help_text="320 px wide WebP, null until made.")
    medium = serializers.URLField(allow_null=True, help_text="640 px wide WebP.")
    large = serializers.URLField(allow_null=True, help_text="1280 px wide WebP.")


class EntryImageSerializer(serializers.Serializer):
    url = serializers.URLField()
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    thumbnails = EntryThumbnailsSerializer()


class EntrySerializer(serializers.Serializer):
    """An entry; `context["request"]` is required (absolute URLs, and who may see the state)."""

    id = serializers.IntegerField()
    campaign = serializers.SlugField(source="campaign.slug")
    kind = serializers.ChoiceField(choices=Submission.Kind.choices)
    caption = serializers.CharField()
    text = serializers.CharField()
    video = serializers.SerializerMethodField()
    image = serializers.SerializerMethodField()
    author = PublicAuthorSerializer()
    state = serializers.SerializerMethodField()
    like_count = serializers.SerializerMethodField(
        help_text="Null while the brand hides live counts (until the campaign closes)."
    )
    comment_count = serializers.IntegerField()
    created_at = utc_datetime()

    def get_like_count(self, entry: Submission) -> int | None:
        return entry.like_count if self.context.get("counts_visible", True) else None

    @extend_schema_field(EntryVideoSerializer(allow_null=True))
    def get_video(self, entry: Submission) -> dict[str, str] | None:
        if not entry.video_provider:
            return None
        return {
            "provider": entry.video_provider,
            "id": entry.video_id,
            "url": entry.video_url,
            "embed_url": video_embed_url(entry.video_provider, entry.video_id),
        }

    @extend_schema_field(EntryImageSerializer(allow_null=True))
    def get_image(self, entry: Submission) -> dict[str, Any] | None:
        if not entry.image:
            return None
        request = self.context["request"]
        return {
            "url": _absolute(request, entry.image),
            "width": entry.image_width,
            "height": entry.image_height,
            "thumbnails": {
                "small": _absolute(request, entry.thumb_small),
                "medium": _absolute(request, entry.thumb_medium),
                "large": _absolute(request, entry.thumb_large),
            },
        }

    @extend_schema_field(
        serializers.ChoiceField(
            choices=Submission.State.choices,
            allow_null=True,
            help_text="The moderation state, for the entry's author and staff; null for others.",
        )
    )
    def get_state(self, entry: Submission) -> str | None:
        viewer = getattr(self.context["request"], "user", None)
        return entry.state if _sees_state(viewer, entry) else None


class GalleryPageSerializer(serializers.Serializer):
    results = EntrySerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page's address, or null.")


class CommentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    entry = serializers.IntegerField(source="submission_id")
    author = PublicAuthorSerializer()
    body = serializers.CharField(help_text="Plain text: show it escaped.")
    created_at = utc_datetime()
    edited_at = utc_datetime(allow_null=True)
    is_hidden = serializers.BooleanField(
        help_text="Hidden pending review: only its author and staff see it."
    )


class CommentPageSerializer(serializers.Serializer):
    results = CommentSerializer(many=True)
    next = serializers.URLField(allow_null=True, help_text="The next page's address, or null.")


class ReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    details = serializers.CharField()
    created_at = utc_datetime()


# --- Input -----------------------------------------------------------------------------------


class GalleryQuerySerializer(serializers.Serializer):
    order = serializers.ChoiceField(choices=list(GALLERY_ORDERS), default="newest")
    cursor = serializers.CharField(required=False, allow_blank=True)
    page_size = serializers.IntegerField(
        min_value=1, max_value=GALLERY_MAX_LIMIT, default=settings.PASSAPAROLA_GALLERY_PAGE_SIZE
    )


class CommentListQuerySerializer(serializers.Serializer):
    cursor = serializers.CharField(required=False, allow_blank=True)
    page_size = serializers.IntegerField(
        min_value=1,
        max_value=CursorPagination.max_page_size,
        required=False,
        help_text=f"Default {settings.REST_FRAMEWORK['PAGE_SIZE']}.",
    )


class EntryCreateSerializer(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=Submission.Kind.choices)
    caption = serializers.CharField(allow_blank=True, default="")
    text = serializers.CharField(
        allow_blank=True, default="", help_text="For a text entry; the campaign sets its limit."
    )
    video_url = serializers.CharField(
        allow_blank=True, default="", help_text="For a video entry: YouTube, Vimeo or TikTok."
    )
    image = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="For a photo entry (multipart): JPEG, PNG, WebP or HEIC.",
    )
    accept_terms = Flag(default=False, help_text="Required when the campaign has terms.")
    terms_version = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text=(
            "The terms version the participant read (from the campaign). When sent and no "
            "longer current, the entry is refused with 409 `terms_changed`."
        ),
    )


class CommentBodySerializer(StrictInputSerializer):
    body = serializers.CharField(allow_blank=True, help_text="Plain text, at most 1000 characters.")


class ReportCreateSerializer(StrictInputSerializer):
    reason = serializers.ChoiceField(choices=Report.Reason.choices)
    details = serializers.CharField(allow_blank=True, default="")


# --- Pagination of comments ------------------------------------------------------------------


class CommentPagination(CursorPagination):
    """Oldest first, answered as {results, next} like the gallery; a bad cursor is a 400."""

    ordering = ("created_at", "id")

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except exceptions.NotFound:
            raise ApplicationError(
                _("This page link is not valid any more; start again from the first page."),
                code="invalid_cursor",
            ) from None

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"results": data, "next": self.get_next_link()})


def _query(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data


def _counts_visible(request: Request, campaign: Any) -> bool:
    from sharing.selectors import like_counts_visible

    return like_counts_visible(campaign=campaign, viewer=request.user)


def _entry_data(request: Request, entry: Submission) -> dict[str, Any]:
    context = {"request": request, "counts_visible": _counts_visible(request, entry.campaign)}
    return EntrySerializer(entry, context=context).data


# --- Views -----------------------------------------------------------------------------------


class CampaignEntriesApi(APIView):
    """A campaign's gallery of visible entries; verified participants enter it."""

    @extend_schema(
        operation_id="campaigns_entries_list",
        summary="A page of the campaign's gallery",
        parameters=[GalleryQuerySerializer],
        responses={
            200: GalleryPageSerializer,
            **error_responses(
                {
                    400: "`invalid` (order or page_size), `invalid_cursor`.",
                    404: NOT_FOUND,
                }
            ),
        },
        tags=["entries"],
    )
    def get(self, request: Request, slug: str) -> Response:
        query = _query(GalleryQuerySerializer, request)
        campaign = campaign_get_public(slug=slug, user=request.user, with_counts=False)
        counts_visible = _counts_visible(request, campaign)
        # While counts are hidden, sorting by likes would give them away: newest instead.
        order = query["order"] if counts_visible else "newest"
        entries, cursor = gallery_page(
            campaign=campaign,
            order=order,
            limit=query["page_size"],
            cursor=query.get("cursor") or None,
        )
        next_url = (
            replace_query_param(request.build_absolute_uri(), "cursor", cursor) if cursor else None
        )
        context = {"request": request, "counts_visible": counts_visible}
        results = EntrySerializer(entries, many=True, context=context).data
        return Response({"results": results, "next": next_url})

    @extend_schema(
        operation_id="campaigns_entries_create",
        summary="Enter the campaign (verified participants, while it is open)",
        description=(
            "A photo as multipart (`image`), or a text or a video link (JSON or multipart). "
            "The entry starts pending; its state is in the answer. Nothing is stored on refusal."
        ),
        request={
            "multipart/form-data": EntryCreateSerializer,
            "application/json": EntryCreateSerializer,
        },
        responses={
            201: EntrySerializer,
            **error_responses(
                {
                    400: "`invalid` (see `fields`), `campaign_not_open`, `entry_limit`, "
                    "`kind_not_allowed`, `missing_content`, `mixed_content`, "
                    "`caption_too_long`, `text_too_long`, `unsupported_video`, "
                    "`terms_required`, or an image refusal: `file_too_large`, `empty_file`, "
                    "`unsupported_format`, `corrupt_image`, `too_many_pixels`, "
                    "`active_content`, `hidden_data`, `too_many_frames`, `too_many_files`.",
                    401: AUTH_ERROR,
                    403: UNVERIFIED,
                    404: NOT_FOUND,
                }
            ),
        },
        tags=["entries"],
    )
    def post(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_public(slug=slug, user=request.user, with_counts=False)
        data = EntryCreateSerializer(data=request.data)
        if upload_too_large(request):
            raise image_too_large_error()
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        image = values.pop("image", None)
        entry = services.submission_create(
            campaign=campaign,
            author=request.user,
            image=image,
            image_name=getattr(image, "name", ""),
            **values,
        )
        return Response(_entry_data(request, entry), status=201)


class EntryDetailApi(APIView):
    @extend_schema(
        operation_id="entries_retrieve",
        summary="One entry: visible ones for anyone, the author's own in any state",
        responses={200: EntrySerializer, **error_responses({404: NOT_FOUND})},
        tags=["entries"],
    )
    def get(self, request: Request, submission_id: int) -> Response:
        entry = submission_get_public(submission_id=submission_id, user=request.user)
        return Response(_entry_data(request, entry))


class EntryCommentsApi(APIView):
    """An entry's comments, oldest first; verified people comment on visible entries."""

    @extend_schema(
        operation_id="entries_comments_list",
        parameters=[CommentListQuerySerializer],
        responses={
            200: CommentPageSerializer,
            **error_responses({400: "`invalid` (page_size), `invalid_cursor`.", 404: NOT_FOUND}),
        },
        tags=["comments"],
    )
    def get(self, request: Request, submission_id: int) -> Response:
        _query(CommentListQuerySerializer, request)
        entry = submission_get_public(submission_id=submission_id, user=request.user)
        paginator = CommentPagination()
        comments = paginator.paginate_queryset(
            comments_for_submission(submission=entry, user=request.user), request, view=self
        )
        return paginator.get_paginated_response(CommentSerializer(comments, many=True).data)

    @extend_schema(
        operation_id="entries_comments_create",
        request=CommentBodySerializer,
        responses={
            201: CommentSerializer,
            **error_responses(
                {
                    400: "`invalid`, `comment_empty`, `comment_too_long`, `not_commentable`.",
                    401: AUTH_ERROR,
                    403: UNVERIFIED,
                    404: NOT_FOUND,
                }
            ),
        },
        tags=["comments"],
    )
    def post(self, request: Request, submission_id: int) -> Response:
        entry = submission_get_public(submission_id=submission_id, user=request.user)
        data = CommentBodySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_create(
            submission=entry, author=request.user, **data.validated_data
        )
        return Response(CommentSerializer(comment).data, status=201)


class CommentDetailApi(APIView):
    """Its author edits or deletes a comment (a moderator may delete it too)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="comments_partial_update",
        request=CommentBodySerializer,
        responses={
            200: CommentSerializer,
            **error_responses(
                {
                    400: "`invalid`, `comment_empty`, `comment_too_long`.",
                    401: AUTH_ERROR,
                    403: "`not_author`: only its author edits a comment.",
                    404: NOT_FOUND,
                }
            ),
        },
        tags=["comments"],
    )
    def patch(self, request: Request, comment_id: int) -> Response:
        comment = comment_get(comment_id=comment_id, user=request.user)
        data = CommentBodySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = services.comment_update(
            comment=comment, actor=request.user, **data.validated_data
        )
        return Response(CommentSerializer(comment).data)

    @extend_schema(
        operation_id="comments_destroy",
        request=None,
        responses={
            204: None,
            **error_responses(
                {
                    401: AUTH_ERROR,
                    403: "`not_author`: only its author or a moderator deletes a comment.",
                    404: NOT_FOUND,
                }
            ),
        },
        tags=["comments"],
    )
    def delete(self, request: Request, comment_id: int) -> Response:
        comment = comment_get(comment_id=comment_id, user=request.user)
        services.comment_delete(comment=comment, actor=request.user)
        return Response(status=204)


_REPORT_ERRORS = error_responses(
    {
        400: "`invalid` (see `fields`), `details_too_long`, `own_content`, `not_reportable`.",
        401: AUTH_ERROR,
        403: UNVERIFIED,
        404: NOT_FOUND,
        409: "`already_reported`: one report per person per entry or comment.",
    }
)


class EntryReportsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="entries_reports_create",
        summary="Report an entry",
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, **_REPORT_ERRORS},
        tags=["reports"],
    )
    def post(self, request: Request, submission_id: int) -> Response:
        entry = submission_get_public(submission_id=submission_id, user=request.user)
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            reporter=request.user, submission=entry, **data.validated_data
        )
        return Response(ReportSerializer(report).data, status=201)


class CommentReportsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="comments_reports_create",
        summary="Report a comment",
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, **_REPORT_ERRORS},
        tags=["reports"],
    )
    def post(self, request: Request, comment_id: int) -> Response:
        comment = comment_get(comment_id=comment_id, user=request.user)
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.report_create(
            reporter=request.user, comment=comment, **data.validated_data
        )
        return Response(ReportSerializer(report).data, status=201)


# --- Likes -----------------------------------------------------------------------------------


class LikeCreateSerializer(StrictInputSerializer):
    """Nothing to send: the like is the caller's, for the entry in the path."""


class LikeSerializer(serializers.Serializer):
    entry = serializers.IntegerField(help_text="The entry's id.")
    liked = serializers.BooleanField(help_text="Whether the caller likes the entry now.")
    liked_at = utc_datetime(allow_null=True, help_text="When the caller liked it (null: not).")


_LIKED_AT = utc_datetime(allow_null=True)


def like_data(*, entry: int, liked_at: Any) -> dict[str, Any]:
    """What `LikeSerializer` renders, built directly: the like is the hottest write there is.

    A serializer costs more than the rest of the answer; tests hold the two equal.
    """
    return {
        "entry": entry,
        "liked": liked_at is not None,
        "liked_at": _LIKED_AT.to_representation(liked_at),
    }


_LIKE_REFUSALS = {
    401: AUTH_ERROR,
    403: UNVERIFIED + " `brand_member`: the brand's own people do not like its entries.",
    404: NOT_FOUND,
}


class EntryLikeApi(APIView):
    """A verified participant likes, or stops liking, an approved entry of an open campaign.

    Both are idempotent, as the service is: liking what you already like answers 200 with the
    live like, withdrawing a like you do not have answers 200 with `liked: false`. The entry's
    `like_count` follows a moment later (it is derived after the request).
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="entries_like_create",
        summary="Like the entry (201; 200 when the caller already likes it)",
        request={
            "application/json": {
                "type": "object",
                "properties": {},
                "additionalProperties": False,
                "description": "Nothing to send: the like is the caller's, for this entry.",
            }
        },
        responses={
            200: LikeSerializer,
            201: LikeSerializer,
            **error_responses(
                {
                    400: "`invalid` (the body must be empty), `campaign_not_open`, "
                    "`not_likeable` (not approved), `own_entry`.",
                    **_LIKE_REFUSALS,
                }
            ),
        },
        tags=["likes"],
    )
    def post(self, request: Request, submission_id: int) -> Response:
        data = request.data
        if not isinstance(data, dict) or data:  # an empty body needs no serializer to check
            LikeCreateSerializer(data=data).is_valid(raise_exception=True)
        like, created = like_submit(user=request.user, submission_id=submission_id)
        body = like_data(entry=submission_id, liked_at=like.created_at)
        return Response(body, status=201 if created else 200)

    @extend_schema(
        operation_id="entries_like_destroy",
        summary="Withdraw the caller's like (204; 200 when there was none)",
        request=None,
        responses={
            200: LikeSerializer,
            204: None,
            **error_responses({400: "`campaign_not_open`: likes are final.", **_LIKE_REFUSALS}),
        },
        tags=["likes"],
    )
    def delete(self, request: Request, submission_id: int) -> Response:
        entry = submission_get_public(submission_id=submission_id, user=request.user)
        if like_remove(user=request.user, submission=entry) is not None:
            return Response(status=204)
        return Response(like_data(entry=entry.pk, liked_at=None))
