"""Engagement pages for participants: the full leaderboard, my points, my notifications.

The brand's view of a participant's statement is a brand page (`brand-points-statement` in
campaigns/urls.py), so the brand pages' tenancy matrix covers it.
"""

from django.urls import path

from sharing import web

urlpatterns = [
    path("c/<slug:slug>/leaderboard/", web.campaign_leaderboard, name="campaign-leaderboard"),
    path("c/<slug:slug>/points/", web.my_points_statement, name="points-statement"),
    path("me/notifications/", web.notifications, name="notifications"),
]
