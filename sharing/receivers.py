"""allauth's outbound signals, turned into referral capture and credit (STYLE 7).

Wired in `SharingConfig.ready()`. Each receiver calls one function of `sharing.referrals`.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.http import HttpRequest

from accounts.models import User
from sharing.referrals import referral_capture, referral_verify


def on_user_signed_up(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    """A new member: if a share link brought them here (the `pp_ref` cookie), remember it."""
    if request is not None:
        referral_capture(request=request, user=user)


def on_email_confirmed(
    sender: Any, request: HttpRequest | None, email_address: EmailAddress, **kwargs: Any
) -> None:
    """A member verified an address: credit the sharer who referred them (once)."""
    referral_verify(user=email_address.user)
