"""The sharing API: an entry's personal share link, and its share statistics.

Who sees what follows the pages: an entry the caller may not see is a 404 (as its page); on an
entry they see, a link is its author's only and the statistics are the author's and the
campaign's brand's, anything else a 403 saying so.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import AUTH_ERROR, NOT_FOUND, StrictInputSerializer, error_responses
from sharing.links import share_link_get_or_create, share_stats_get, share_url
from sharing.models import ShareHit
from submissions.selectors import submission_get_public


class ShareLinkSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="The link's code: the link is `/s/{code}`.")
    url = serializers.URLField(
        help_text="The absolute personal link. Add `?c=<channel>` to tag where it was shared."
    )


class ShareLinkCreateSerializer(StrictInputSerializer):
    """Nothing to send: the link is the caller's, for the entry in the path."""


class LinkStatsSerializer(serializers.Serializer):
    code = serializers.CharField()
    counted_clicks = serializers.IntegerField()
    channels = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Counted clicks per channel: " + ", ".join(ShareHit.Channel.values) + ".",
    )
    referrals_signed_up = serializers.IntegerField()
    referrals_verified = serializers.IntegerField()


class ShareStatsSerializer(serializers.Serializer):
    entry = serializers.IntegerField()
    counted_clicks = serializers.IntegerField(
        help_text="Counted clicks: once per visitor per link per day; no bots, previews, "
        "prefetches, HEAD requests or the sharer's own clicks."
    )
    channels = serializers.DictField(child=serializers.IntegerField())
    referrals_signed_up = serializers.IntegerField(
        help_text="People who arrived through a link and signed up."
    )
    referrals_verified = serializers.IntegerField(
        help_text="Of those, people who verified their email within 30 days (credited)."
    )
    links = LinkStatsSerializer(many=True)


class EntryShareLinkApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="entries_share_link_create",
        summary="The author's personal share link for the entry (made on first call)",
        # No input: documented as an empty object (spectacular drops a serializer with no fields).
        request={
            "application/json": {
                "type": "object",
                "properties": {},
                "additionalProperties": False,
                "description": "Nothing to send: the link is the caller's, for this entry.",
            }
        },
        responses={
            200: ShareLinkSerializer,
            201: ShareLinkSerializer,
            **error_responses(
                {
                    400: "`invalid`: the body must be empty.",
                    401: AUTH_ERROR,
                    403: "`not_author`: only the entry's author gets a share link.",
                    404: NOT_FOUND,
                    409: "`not_shareable`: the entry is not public (yet).",
                }
            ),
        },
        tags=["sharing"],
    )
    def post(self, request: Request, submission_id: int) -> Response:
        ShareLinkCreateSerializer(data=request.data).is_valid(raise_exception=True)
        entry = submission_get_public(submission_id=submission_id, user=request.user)
        link = share_link_get_or_create(submission=entry, owner=request.user)
        body = {"code": link.code, "url": share_url(request=request, code=link.code)}
        return Response(body, status=201 if link.is_new else 200)


class EntryShareStatsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="entries_share_stats_retrieve",
        summary="Counted clicks per link and channel, and referrals, of the entry's share links",
        description="For the entry's author and the members of the campaign's brand. Clicks are "
        "counted by a periodic task a few seconds after they happen.",
        responses={
            200: ShareStatsSerializer,
            **error_responses(
                {
                    401: AUTH_ERROR,
                    403: "`not_allowed`: neither the entry's author nor its campaign's brand.",
                    404: NOT_FOUND,
                }
            ),
        },
        tags=["sharing"],
    )
    def get(self, request: Request, submission_id: int) -> Response:
        entry, stats = share_stats_get(submission_id=submission_id, user=request.user)
        body = {
            "entry": entry.pk,
            "counted_clicks": stats.counted_clicks,
            "channels": {c.channel: c.clicks for c in stats.channels},
            "referrals_signed_up": stats.referrals_signed_up,
            "referrals_verified": stats.referrals_verified,
            "links": [
                {
                    "code": link.code,
                    "counted_clicks": link.counted_clicks,
                    "channels": link.channels,
                    "referrals_signed_up": link.referrals_signed_up,
                    "referrals_verified": link.referrals_verified,
                }
                for link in stats.links
            ],
        }
        return Response(ShareStatsSerializer(body).data)
