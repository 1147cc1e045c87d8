"""Serve uploaded media (the re-encoded images) with headers that keep them inert.

Every stored image was drawn anew from decoded pixels, but the response still tells the
browser not to guess types (`nosniff`), not to run or load anything in it (a CSP with
`sandbox`), and not to let other sites embed it. Only images are shown inline; anything else
that ever lands in MEDIA_ROOT downloads. With media on object storage, the same headers belong
on the bucket or the proxy in front of it.
"""

from __future__ import annotations

import mimetypes

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from django.views.static import serve

MEDIA_CSP = "default-src 'none'; img-src 'self'; sandbox"
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp")


@require_safe
def media_serve(request: HttpRequest, path: str) -> HttpResponse:
    """A file under MEDIA_ROOT, with nosniff, a sandboxing CSP and same-origin resource policy."""
    try:
        response = serve(request, path, document_root=settings.MEDIA_ROOT)
    except SuspiciousFileOperation:
        raise Http404("No such file.") from None
    content_type = mimetypes.guess_type(path)[0] or ""
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if content_type in INLINE_TYPES:
        response.headers["Content-Disposition"] = "inline"
    else:
        response.headers["Content-Type"] = "application/octet-stream"
        response.headers["Content-Disposition"] = "attachment"
    return response
