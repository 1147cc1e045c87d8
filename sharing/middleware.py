"""The referral cookie is used once: the response to the sign-up that used it deletes it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sharing.referrals import COOKIE_NAME, referral_cookie_used


class ReferralCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if referral_cookie_used(request):
            response.delete_cookie(COOKIE_NAME, samesite="Lax")
        return response
