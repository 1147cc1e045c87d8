"""The leaderboard and points API: a campaign's standings as the caller may see them, and the
caller's own points statement.

What a caller sees is `sharing.selectors`' decision (hidden until the close, frozen in the last
hours, the brand's members seeing the live board); a campaign the caller may not see is a 404,
as its page. Names are public names, never email addresses.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.selectors import campaign_get_public
from core.api import AUTH_ERROR, NOT_FOUND, error_responses, utc_datetime
from core.local_cache import LocalCache
from sharing.leaderboard import EntryRow, StandingRow
from sharing.models import PointEvent
from sharing.selectors import (
    LIMIT_MAX_DEFAULT,
    BoardState,
    LeaderboardView,
    leaderboard_campaign_get,
    leaderboard_for_viewer,
    points_statement,
    shared_seconds,
)

LIMIT_MAX = getattr(settings, "PASSAPAROLA_LEADERBOARD_LIMIT_MAX", LIMIT_MAX_DEFAULT)
STATES = [
    BoardState.NOT_STARTED,
    BoardState.LIVE,
    BoardState.HIDDEN,
    BoardState.FROZEN,
    BoardState.FINAL,
]


class LeaderboardQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=LIMIT_MAX, default=50, help_text="How many lines of the top."
    )


class StandingSerializer(serializers.Serializer):
    rank = serializers.IntegerField(
        help_text="Competition rank: equal points share it (1, 2, 2, 4)."
    )
    participant_id = serializers.IntegerField()
    name = serializers.CharField(help_text="The participant's public name, never the email.")
    points = serializers.IntegerField()


class TopEntrySerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    entry = serializers.IntegerField(help_text="The entry's id.")
    caption = serializers.CharField(allow_blank=True)
    author_name = serializers.CharField(help_text="The author's public name.")
    likes = serializers.IntegerField()
    url = serializers.CharField(help_text="The entry's page, a path on this site.")


class LeaderboardSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=STATES,
        help_text="`not_started` (nothing to rank yet), `live`, `hidden` (the brand hides the "
        "board and like counts until the close: every list is empty), `frozen` (the standings "
        "as at `frozen_at`, in the last hours), `final` (closed).",
    )
    frozen_at = utc_datetime(allow_null=True)
    reveal_at = utc_datetime(allow_null=True, help_text="When a hidden or frozen board opens.")
    top = StandingSerializer(many=True)
    me = StandingSerializer(allow_null=True, help_text="The caller's own line, when listed.")
    above = StandingSerializer(many=True, help_text="Up to two lines just above the caller's.")
    below = StandingSerializer(many=True, help_text="Up to two lines just below the caller's.")
    top_entries = TopEntrySerializer(many=True, help_text="The entries with the most likes.")


class StatementLineSerializer(serializers.Serializer):
    at = utc_datetime()
    kind = serializers.CharField(
        help_text="Why: " + ", ".join(f"`{kind}`" for kind in PointEvent.Kind.values) + "."
    )
    reason = serializers.CharField(help_text="The kind in words, in the caller's language.")
    points = serializers.IntegerField()
    balance = serializers.IntegerField(help_text="The running total after this line.")
    entry = serializers.IntegerField(allow_null=True, source="submission_id")


class StatementSerializer(serializers.Serializer):
    campaign = serializers.SlugField()
    participant_id = serializers.IntegerField()
    total = serializers.IntegerField()
    lines = StatementLineSerializer(many=True, help_text="Every ledger line, oldest first.")


def _standing(row: StandingRow | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "rank": row.rank,
        "participant_id": row.participant_id,
        "name": row.display_name,
        "points": row.points,
    }


def _entry(row: EntryRow) -> dict[str, Any]:
    entry = row.submission
    return {
        "rank": row.rank,
        "entry": entry.pk,
        "caption": entry.caption,
        "author_name": entry.author.public_name,
        "likes": row.likes,
        "url": reverse("entry-detail", args=[entry.pk]),
    }


_INSTANT = utc_datetime(allow_null=True)


def _instant(moment: datetime | None) -> str | None:
    return None if moment is None else _INSTANT.to_representation(moment)


# The shared lines, rendered: the selectors hand every viewer of a moment the same list
# objects (`sharing.selectors._shared_board`), so their representation is made once per list.
# An entry holds the very lists it was made from, so an id can never be reused meanwhile.
_rendered = LocalCache(max_entries=512)


def _rendered_list(rows: list, render: Callable[[Any], Any]) -> list:
    seconds = shared_seconds()
    if not rows or seconds <= 0:
        return [render(row) for row in rows]
    found = _rendered.get(id(rows))
    if found is not None and found[0] is rows:
        return found[1]
    rendered = [render(row) for row in rows]
    _rendered.set(id(rows), (rows, rendered), seconds=seconds)
    return rendered


def leaderboard_data(board: LeaderboardView) -> dict[str, Any]:
    """The API's representation of a viewer's board, exactly as `LeaderboardSerializer` gives it.

    Built by hand: every viewer polling a popular campaign asks for it, and running the
    serializer over 60 lines cost more than the rest of the request together. The shared top
    lines and entries are rendered once for everyone who gets the same lists.
    `LeaderboardSerializer` stays the documented shape (a test holds the two equal).
    """
    return {
        "state": board.state,
        "frozen_at": _instant(board.frozen_at),
        "reveal_at": _instant(board.reveal_at),
        "top": _rendered_list(board.rows, _standing),
        "me": _standing(board.mine),
        "above": [_standing(row) for row in board.above],
        "below": [_standing(row) for row in board.below],
        "top_entries": _rendered_list(board.entries, _entry),
    }


def _limit(request: Request) -> int:
    """`?limit=`: a plain number in range is read directly, anything else by the serializer
    (which answers the error)."""
    raw = request.query_params.get("limit")
    if raw is None and len(request.query_params) == 0:
        return 50
    if raw is not None and raw.isascii() and raw.isdigit() and len(request.query_params) == 1:
        value = int(raw)
        if 1 <= value <= LIMIT_MAX:
            return value
    query = LeaderboardQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    return query.validated_data["limit"]


class CampaignLeaderboardApi(APIView):
    @extend_schema(
        operation_id="campaigns_leaderboard_retrieve",
        summary="The campaign's leaderboard as the caller may see it",
        description="The top participants by points, the caller's own line with the lines "
        "just above and below it, and the top entries by likes. Updated a few seconds after "
        "each like, click or referral; poll it (every 15 s is plenty) while the campaign is "
        "open.",
        parameters=[LeaderboardQuerySerializer],
        responses={
            200: LeaderboardSerializer,
            **error_responses({400: "`invalid`: `limit` is 1 to 100.", 404: NOT_FOUND}),
        },
        tags=["leaderboard"],
    )
    def get(self, request: Request, slug: str) -> Response:
        limit = _limit(request)
        campaign = leaderboard_campaign_get(slug=slug, viewer=request.user)
        board = leaderboard_for_viewer(campaign=campaign, viewer=request.user, limit=limit)
        return Response(leaderboard_data(board))


class CampaignPointsApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="campaigns_points_retrieve",
        summary="The caller's own points in the campaign: every line, why and when",
        responses={
            200: StatementSerializer,
            **error_responses({401: AUTH_ERROR, 404: NOT_FOUND}),
        },
        tags=["leaderboard"],
    )
    def get(self, request: Request, slug: str) -> Response:
        campaign = campaign_get_public(slug=slug, user=request.user, with_counts=False)
        statement = points_statement(
            campaign=campaign, participant=request.user, viewer=request.user
        )
        body = {
            "campaign": campaign.slug,
            "participant_id": request.user.pk,
            "total": statement.total,
            "lines": statement.lines,
        }
        return Response(StatementSerializer(body).data)
