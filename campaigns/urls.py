from django.urls import path

from campaigns import views
from sharing import web as sharing_web

urlpatterns = [
    path("brand/", views.brand_dashboard, name="brand-dashboard"),
    path(
        "brand/<slug:brand_slug>/campaigns/new/",
        views.campaign_create,
        name="brand-campaign-create",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/",
        views.campaign_manage,
        name="brand-campaign-manage",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/edit/",
        views.campaign_edit,
        name="brand-campaign-edit",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/publish/",
        views.campaign_publish,
        name="brand-campaign-publish",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/unpublish/",
        views.campaign_unpublish,
        name="brand-campaign-unpublish",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/analytics/",
        views.campaign_analytics,
        name="brand-campaign-analytics",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/close/",
        views.campaign_close,
        name="brand-campaign-close",
    ),
    path(
        "brand/<slug:brand_slug>/campaigns/<slug:slug>/points/<int:participant_id>/",
        sharing_web.brand_points_statement,
        name="brand-points-statement",
    ),
]
