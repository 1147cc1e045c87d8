"""The share redirect (the hot path) and the QR code of a share link.

`/s/<code>` answers a 302 to the entry page on this site, built with `reverse()` from the id the
code resolves to: nothing from the query string or the rest of the path ever reaches
`Location`. It does a cached lookup, one insert and the redirect; counting happens later, in
`sharing.clicks.clicks_derive`. Anything after the code in the path (a trailing dot from a chat
message, `//evil.example`) is ignored.
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from sharing.clicks import share_hit_record
from sharing.links import QR_CHANNEL, qr_svg, share_target_forget, share_target_get, share_url
from sharing.referrals import referral_cookie_set

QR_CSP = "default-src 'none'; sandbox"


@require_safe
def share_redirect(request: HttpRequest, code: str) -> HttpResponse:
    target = share_target_get(code=code)
    if target is None:
        raise Http404("No such share link.")
    now = timezone.now()
    if getattr(settings, "PASSAPAROLA_SHARE_TRACKING", True):
        try:
            share_hit_record(request=request, target=target, now=now)
        except IntegrityError:  # the link was deleted since it was cached
            share_target_forget(code=code)
            raise Http404("No such share link.") from None
    response = HttpResponseRedirect(reverse("entry-detail", args=[target.submission_id]))
    patch_cache_control(response, private=True, no_store=True)
    response.headers["X-Robots-Tag"] = "noindex"
    if not request.user.is_authenticated:
        referral_cookie_set(response, request=request, link_id=target.link_id, now=now)
    return response


@require_safe
def share_qr(request: HttpRequest, code: str) -> HttpResponse:
    """The link's QR code (tagged `?c=qr`) as an SVG file to download and print."""
    if share_target_get(code=code) is None:
        raise Http404("No such share link.")
    svg = qr_svg(share_url(request=request, code=code, channel=QR_CHANNEL))
    response = HttpResponse(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + svg,
        content_type="image/svg+xml; charset=utf-8",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="passaparola-{code}.svg"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = QR_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    patch_cache_control(response, private=True, max_age=3600)
    return response
