from django.urls import path

from submissions import views

urlpatterns = [
    path("c/<slug:slug>/", views.campaign_detail, name="campaign-detail"),
    path("c/<slug:slug>/enter/", views.entry_create, name="entry-create"),
    path("entries/<int:submission_id>/", views.entry_detail, name="entry-detail"),
    path("entries/<int:submission_id>/like/", views.entry_like, name="entry-like"),
    path("entries/<int:submission_id>/comments/", views.comment_create, name="comment-create"),
    path("entries/<int:submission_id>/report/", views.entry_report, name="entry-report"),
    path("comments/<int:comment_id>/edit/", views.comment_edit, name="comment-edit"),
    path("comments/<int:comment_id>/delete/", views.comment_delete, name="comment-delete"),
    path("comments/<int:comment_id>/report/", views.comment_report, name="comment-report"),
    path("me/entries/", views.my_entries, name="my-entries"),
]
