"""The product's URLs plus the benchmarks' reference views (DJANGO_ROOT_URLCONF=bench.urls).

Only the benchmark harness serves this URLconf; the product's own URLs never include it.
"""

from django.urls import include, path, re_path

from bench import views
from sharing.links import CODE_PATTERN

urlpatterns = [
    path("bench/bare/", views.BareApi.as_view(), name="bench-bare"),
    re_path(
        rf"^bench/s/(?P<code>{CODE_PATTERN})",
        views.share_redirect_untracked,
        name="bench-share-redirect-untracked",
    ),
    path("", include("config.urls")),
]
