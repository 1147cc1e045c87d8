"""Refuse oversized uploads before their bytes are stored anywhere (ARCHITECTURE invariant 7).

Two lines of defence, both installed by `upload_limited` on a view:

1. Before the body is read, the request's `Content-Length` is compared with the image limit
   (plus a small allowance for the other form fields). A body over it has every file part
   skipped: the ordinary fields (caption, CSRF token) still arrive, the file bytes are drained
   from the connection and dropped, never held in memory or written to disk.
2. While a body is parsed, `SizeLimitUploadHandler` counts each file's bytes and skips the file
   the moment it passes the limit (a body without an honest length, or many fields).
3. A request carries one file at most. A second file part stops the parse with
   `UploadRefused`: a page door answers 400 with the reason as plain text (no form sends two
   files, only a forged request does), the API its JSON error; nothing of either file is kept.

Either way the view finds no file and `upload_too_large(request)` true, and answers "too large"
(a form error, or the API's error) instead of "missing photo". A page view::

    @upload_limited
    @require_http_methods(["GET", "POST"])
    def entry_create(request, slug):
        form = EntryForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and upload_too_large(request):
            form.add_error("image", image_too_large_error().message)
        ...

An API view: `path("...", upload_limited(SubmissionListCreate.as_view()))`, or call
`upload_limit_install(request)` at the start of `initial()`. The reverse proxy in front
(nginx `client_max_body_size`) should stop absurd bodies even earlier.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from core.images import ImageRejected

# Room for the multipart boundaries and the other fields of an upload form (caption, terms...).
FORM_ALLOWANCE_BYTES = 64 * 1024
# Every upload form takes one photo; more file parts in one request are refused.
FILES_PER_REQUEST = 1
_FLAG = "_passaparola_upload_too_large"

View = Callable[..., HttpResponse]


def _limit(max_bytes: int | None) -> int:
    return int(max_bytes or settings.PASSAPAROLA_IMAGE_MAX_BYTES)


def upload_too_large_mark(request: HttpRequest) -> None:
    setattr(request, _FLAG, True)


def upload_too_large(request: Any) -> bool:
    """Whether an upload of this request was dropped for being over the size limit."""
    return bool(getattr(request, _FLAG, False))


def image_too_large_error(max_bytes: int | None = None) -> ImageRejected:
    """The same refusal `image_clean` gives, for a view whose upload was dropped."""
    return ImageRejected(
        _("The file is too large: the limit is %(limit)d MB.")
        % {"limit": max(1, _limit(max_bytes) // (1024 * 1024))},
        code="file_too_large",
    )


class UploadRefused(ImageRejected):
    """Raised while a request body is parsed: the whole request is refused, not one field."""

    code = "too_many_files"


def too_many_files_error() -> UploadRefused:
    return UploadRefused(_("Send one file at a time."), code="too_many_files")


def upload_refused_response(request: HttpRequest, error: UploadRefused) -> HttpResponse:
    """400 with the reason: the API's JSON error shape under /api/, plain text elsewhere."""
    message = force_str(error.message)
    if request.path.startswith("/api/"):
        body = {"error": {"code": error.code, "message": message, "fields": {}}}
        return JsonResponse(body, status=400)
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


def request_content_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class SizeLimitUploadHandler(FileUploadHandler):
    """Skip any uploaded file past `max_bytes` (and every file once the request is marked).

    Put first in `request.upload_handlers`; the handlers after it store what it lets through.
    """

    def __init__(self, request: HttpRequest | None = None, max_bytes: int | None = None) -> None:
        super().__init__(request)
        self.max_bytes = _limit(max_bytes)
        self.files_seen = 0

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.files_seen += 1
        if self.files_seen > FILES_PER_REQUEST:
            raise too_many_files_error()
        if self.request is not None and upload_too_large(self.request):
            raise SkipFile

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.max_bytes:
            if self.request is not None:
                upload_too_large_mark(self.request)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the handlers after this one provide the file


def upload_limit_install(request: HttpRequest, max_bytes: int | None = None) -> bool:
    """Check `Content-Length` and put the size guard first; call before the body is touched.

    Returns False when the body is already known to be too large (its files will be skipped).
    """
    limit = _limit(max_bytes)
    if request_content_length(request) > limit + FORM_ALLOWANCE_BYTES:
        upload_too_large_mark(request)
    request.upload_handlers.insert(0, SizeLimitUploadHandler(request, max_bytes=limit))
    return not upload_too_large(request)


def upload_limited(view: View | None = None, *, max_bytes: int | None = None) -> Any:
    """View decorator: refuse oversized uploads before reading them (see the module docstring).

    Upload handlers can only change before the body is parsed, and CsrfViewMiddleware parses it
    to find the token; so, as Django's documentation prescribes, the outer view is exempt and
    the CSRF check runs inside, after the guard is installed. Views that are already exempt
    (DRF's, which check CSRF in their authentication) stay so. A request with more than one
    file is answered here (DRF views answer it themselves, through the API's error handler).
    """

    def decorator(func: View) -> View:
        inner = func if getattr(func, "csrf_exempt", False) else csrf_protect(func)

        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in ("POST", "PUT", "PATCH"):
                upload_limit_install(request, max_bytes=max_bytes)
            try:
                return inner(request, *args, **kwargs)
            except UploadRefused as error:
                return upload_refused_response(request, error)

        return csrf_exempt(wrapper)

    return decorator(view) if view is not None else decorator
