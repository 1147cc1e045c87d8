"""The reference views the benchmarks compare the product against (served only by bench.urls).

- `BareApi`: a bare logged-in JSON view on the same stack as the like endpoint: a DRF APIView
  with the project's authentication classes (token first), `IsAuthenticated`, `{"ok": true}`.
- `share_redirect_untracked`: `sharing.views.share_redirect` with tracking off: the same cached
  lookup (`share_target_get`), the same 302 and headers and referral cookie, and no insert.
  It mirrors that view line for line except `share_hit_record`; keep the two in step.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from sharing.links import share_target_get
from sharing.referrals import referral_cookie_set


class BareApi(APIView):
    """Authenticate (the project's DRF authentication classes), answer `{"ok": true}`."""

    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"ok": True})

    def post(self, request: Request) -> Response:
        return Response({"ok": True})


@require_safe
def share_redirect_untracked(request: HttpRequest, code: str) -> HttpResponse:
    target = share_target_get(code=code)
    if target is None:
        raise Http404("No such share link.")
    now = timezone.now()
    response = HttpResponseRedirect(reverse("entry-detail", args=[target.submission_id]))
    patch_cache_control(response, private=True, no_store=True)
    response.headers["X-Robots-Tag"] = "noindex"
    if not request.user.is_authenticated:
        referral_cookie_set(response, request=request, link_id=target.link_id, now=now)
    return response
