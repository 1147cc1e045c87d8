"""Version 1 of the REST API: each app contributes its routes."""

from django.urls import path

from accounts import api as accounts_api
from campaigns import api as campaigns_api

urlpatterns = [
    path("auth/token/", accounts_api.TokenObtainApi.as_view(), name="api-token"),
    path("me/", accounts_api.MeApi.as_view(), name="api-me"),
    path("brands/", accounts_api.BrandListApi.as_view(), name="api-brands"),
    path("campaigns/", campaigns_api.CampaignListApi.as_view(), name="api-campaigns"),
]
