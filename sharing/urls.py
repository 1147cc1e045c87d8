from django.urls import path, re_path

from sharing import views
from sharing.links import CODE_PATTERN

urlpatterns = [
    path("s/<str:code>/qr.svg", views.share_qr, name="share-qr"),
    # No `$`: whatever follows the code (a trailing dot pasted from a chat, "//evil.example")
    # is ignored, and the visitor still lands on the entry.
    re_path(rf"^s/(?P<code>{CODE_PATTERN})", views.share_redirect, name="share-redirect"),
]
