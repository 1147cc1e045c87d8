"""Response headers Django 5.2 does not set itself: Content-Security-Policy and Permissions-Policy.

The policy is one setting, `PASSAPAROLA_CSP` (directive -> sources), built into a header here.
It has no 'unsafe-inline' and no 'unsafe-eval': pages carry no inline script, style or event
handler, so even markup that slipped past escaping could not run. A view that needs a different
policy for its own route (an embeddable gallery relaxing `frame-ancestors`, say) says so with
`csp_update`; a response that already carries its own policy (media, the QR code: stricter,
sandboxed) keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import checks
from django.http import HttpRequest, HttpResponse

CSP_HEADER = "Content-Security-Policy"
PERMISSIONS_HEADER = "Permissions-Policy"
# Forbidden in the site policy: the system check refuses them.
UNSAFE_SOURCES = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*")


def csp_header(directives: Mapping[str, Sequence[str]]) -> str:
    """`{"default-src": ["'self'"], "object-src": ["'none'"]}` -> `default-src 'self'; ...`."""
    parts = []
    for name, sources in directives.items():
        parts.append(" ".join([name, *sources]) if sources else name)
    return "; ".join(parts)


def permissions_header(features: Mapping[str, Sequence[str]]) -> str:
    """`{"camera": [], "web-share": ["self"]}` -> `camera=(), web-share=(self)`."""
    return ", ".join(f"{name}=({' '.join(allow)})" for name, allow in features.items())


def site_csp(overrides: Mapping[str, Sequence[str]] | None = None) -> str:
    """The site's policy, with the directives of `overrides` replacing its own."""
    directives = dict(settings.PASSAPAROLA_CSP)
    directives.update(overrides or {})
    return csp_header(directives)


def csp_update(directives: Mapping[str, Sequence[str]]) -> Callable[[Callable], Callable]:
    """Let one view replace some directives of the site policy for its own responses.

    `@csp_update({"frame-ancestors": ["https:"]})` (with `xframe_options_exempt`) lets other
    sites frame that route only; every other directive stays as strict as the site's.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.csp_overrides = dict(directives)
            return response

        return wrapped

    return decorator


@checks.register(checks.Tags.security)
def csp_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The site policy stays strict, and the middleware that sends it is installed."""
    messages: list[checks.CheckMessage] = []
    directives = getattr(settings, "PASSAPAROLA_CSP", {})
    for name, sources in directives.items():
        unsafe = [source for source in sources if source in UNSAFE_SOURCES]
        if unsafe:
            messages.append(
                checks.Error(
                    f"PASSAPAROLA_CSP allows {', '.join(unsafe)} in {name}.",
                    hint="Move inline code to static files instead of relaxing the policy.",
                    id="passaparola.E001",
                )
            )
    for required in ("default-src", "script-src", "object-src", "frame-ancestors", "base-uri"):
        if required not in directives:
            messages.append(
                checks.Error(f"PASSAPAROLA_CSP lacks {required}.", id="passaparola.E002")
            )
    middleware = f"{__name__}.{SecurityHeadersMiddleware.__name__}"
    if middleware not in settings.MIDDLEWARE:
        messages.append(
            checks.Warning(
                f"{middleware} is not in MIDDLEWARE: pages go out without a "
                "Content-Security-Policy or Permissions-Policy.",
                id="passaparola.W001",
            )
        )
    return messages


class SecurityHeadersMiddleware:
    """Add the site's Content-Security-Policy and Permissions-Policy to every response.

    Placed first in MIDDLEWARE, so error pages (404, 403, 500), the admin, the API and its docs
    get them too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.default_csp = site_csp()
        self.permissions = permissions_header(settings.PASSAPAROLA_PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if CSP_HEADER not in response.headers:
            overrides = getattr(response, "csp_overrides", None)
            response.headers[CSP_HEADER] = site_csp(overrides) if overrides else self.default_csp
        response.headers.setdefault(PERMISSIONS_HEADER, self.permissions)
        return response
