from django.urls import path

from accounts import views

urlpatterns = [
    path("brand/<slug:brand_slug>/team/", views.brand_team, name="brand-team"),
    path("brand/<slug:brand_slug>/team/invite/", views.brand_team_invite, name="brand-team-invite"),
    path("brand/<slug:brand_slug>/team/leave/", views.brand_team_leave, name="brand-team-leave"),
    path(
        "brand/<slug:brand_slug>/team/<int:user_id>/role/",
        views.brand_team_role,
        name="brand-team-role",
    ),
    path(
        "brand/<slug:brand_slug>/team/<int:user_id>/remove/",
        views.brand_team_remove,
        name="brand-team-remove",
    ),
    path(
        "brand/<slug:brand_slug>/team/invitations/<int:invitation_id>/revoke/",
        views.brand_invitation_revoke,
        name="brand-invitation-revoke",
    ),
    path("invitations/<str:token>/", views.invitation_accept, name="brand-invitation-accept"),
]
