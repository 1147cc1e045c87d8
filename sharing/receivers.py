"""Signals from other apps: allauth's, turned into referral capture and credit (STYLE 7), and
a person's saved profile, whose display name the leaderboard may keep in Redis.

Wired in `SharingConfig.ready()`. Each receiver calls one function of `sharing`.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from django.db import transaction
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


def on_user_saved(
    sender: Any, instance: User, created: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    """A person saved through any door (profile, admin): their leaderboard lines in Redis carry
    their display name, so push them again."""
    if created or (update_fields is not None and "display_name" not in update_fields):
        return
    from sharing.leaderboard import names_refresh

    transaction.on_commit(lambda: names_refresh(participant_id=instance.pk))
