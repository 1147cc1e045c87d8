from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from campaigns import views as campaign_views
from core import views as core_views
from core.media import media_serve

admin.site.site_header = "Passaparola"
admin.site.site_title = "Passaparola"

urlpatterns = [
    path("", campaign_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    # Uploaded images with nosniff and a sandboxing CSP; with object storage, MEDIA_URL points
    # elsewhere and the same headers are set on the bucket.
    path("media/<path:path>", media_serve, name="media"),
    path("i18n/setlang/", account_views.set_language, name="set_language"),
    path("accounts/profile/", account_views.profile_edit, name="profile"),
    path("", include("accounts.urls")),
    path("", include("campaigns.urls")),
    path("", include("submissions.urls")),
    path("", include("sharing.urls")),
    path("", include("sharing.web_urls")),
    # Before allauth's own: opening a confirmation link (GET) signs no one out.
    re_path(
        r"^accounts/confirm-email/(?P<key>[-:\w]+)/$",
        account_views.ConfirmEmailView.as_view(),
        name="account_confirm_email",
    ),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (strict CSP).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]
# Under /api/ a path no route matches is answered in the API's JSON error shape.
handler404 = "core.api.not_found"
