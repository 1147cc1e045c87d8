"""Version 1 of the REST API: each app contributes its routes.

Routes that take a photo are wrapped in `upload_limited`, so an oversized file is dropped
before its bytes are read (core/uploads.py).
"""

from django.urls import path

from accounts import api as accounts_api
from campaigns import api as campaigns_api
from core.uploads import upload_limited
from sharing import api as sharing_api
from sharing import leaderboard_api
from submissions import api as submissions_api

urlpatterns = [
    path("auth/token/", accounts_api.TokenObtainApi.as_view(), name="api-token"),
    path("me/", accounts_api.MeApi.as_view(), name="api-me"),
    path("brands/", accounts_api.BrandListApi.as_view(), name="api-brands"),
    path(
        "brands/<slug:brand_slug>/campaigns/",
        campaigns_api.BrandCampaignListApi.as_view(),
        name="api-brand-campaigns",
    ),
    path(
        "campaigns/",
        upload_limited(campaigns_api.CampaignListApi.as_view()),
        name="api-campaigns",
    ),
    path(
        "campaigns/<slug:slug>/",
        upload_limited(campaigns_api.CampaignDetailApi.as_view()),
        name="api-campaign",
    ),
    path(
        "campaigns/<slug:slug>/publish/",
        campaigns_api.CampaignPublishApi.as_view(),
        name="api-campaign-publish",
    ),
    path(
        "campaigns/<slug:slug>/unpublish/",
        campaigns_api.CampaignUnpublishApi.as_view(),
        name="api-campaign-unpublish",
    ),
    path(
        "campaigns/<slug:slug>/close/",
        campaigns_api.CampaignCloseApi.as_view(),
        name="api-campaign-close",
    ),
    path(
        "campaigns/<slug:slug>/submissions/",
        upload_limited(submissions_api.CampaignEntriesApi.as_view()),
        name="api-campaign-submissions",
    ),
    path(
        "campaigns/<slug:slug>/leaderboard/",
        leaderboard_api.CampaignLeaderboardApi.as_view(),
        name="api-campaign-leaderboard",
    ),
    path(
        "campaigns/<slug:slug>/points/",
        leaderboard_api.CampaignPointsApi.as_view(),
        name="api-campaign-points",
    ),
    path(
        "submissions/<int:submission_id>/",
        submissions_api.EntryDetailApi.as_view(),
        name="api-submission",
    ),
    path(
        "submissions/<int:submission_id>/like/",
        submissions_api.EntryLikeApi.as_view(),
        name="api-submission-like",
    ),
    path(
        "submissions/<int:submission_id>/comments/",
        submissions_api.EntryCommentsApi.as_view(),
        name="api-submission-comments",
    ),
    path(
        "submissions/<int:submission_id>/reports/",
        submissions_api.EntryReportsApi.as_view(),
        name="api-submission-reports",
    ),
    path(
        "submissions/<int:submission_id>/share-links/",
        sharing_api.EntryShareLinkApi.as_view(),
        name="api-submission-share-links",
    ),
    path(
        "submissions/<int:submission_id>/share-stats/",
        sharing_api.EntryShareStatsApi.as_view(),
        name="api-submission-share-stats",
    ),
    path(
        "comments/<int:comment_id>/",
        submissions_api.CommentDetailApi.as_view(),
        name="api-comment",
    ),
    path(
        "comments/<int:comment_id>/reports/",
        submissions_api.CommentReportsApi.as_view(),
        name="api-comment-reports",
    ),
]
