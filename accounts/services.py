"""Writes about people and brands."""

from __future__ import annotations

from typing import IO

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from accounts.models import Brand, BrandMembership, User
from core.exceptions import ApplicationError, PermissionDenied
from core.images import image_clean

AVATAR_MAX_SIDE = 512
AVATAR_MAX_BYTES = 5 * 1024 * 1024


def _check_language(language: str) -> None:
    if language and language not in dict(settings.LANGUAGES):
        raise ApplicationError(
            _("Choose one of the offered languages."), fields={"language": [_("Unknown.")]}
        )


@transaction.atomic
def user_create(
    *, email: str, password: str | None, display_name: str = "", language: str = ""
) -> User:
    """Create a person; their email address still needs verifying before they take part."""
    _check_language(language)
    normalized = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=normalized).exists():
        raise ApplicationError(
            _("A user with this email address already exists."),
            code="email_taken",
            fields={"email": [_("Already registered.")]},
        )
    return User.objects.create_user(
        normalized, password, display_name=display_name, language=language
    )


@transaction.atomic
def user_profile_update(
    *,
    user: User,
    display_name: str,
    language: str,
    avatar: IO[bytes] | None = None,
    avatar_name: str = "",
    remove_avatar: bool = False,
) -> User:
    """Change what a person shows of themselves; a new avatar is re-encoded before storing."""
    _check_language(language)
    user = User.objects.select_for_update().get(pk=user.pk)
    old_avatar = user.avatar.name if user.avatar else ""
    user.display_name = display_name.strip()
    user.language = language
    if avatar is not None:
        clean = image_clean(
            upload=avatar, name=avatar_name, max_bytes=AVATAR_MAX_BYTES, max_side=AVATAR_MAX_SIDE
        )
        user.avatar.save(clean.content.name, clean.content, save=False)
    elif remove_avatar:
        user.avatar = ""
    user.save(update_fields=["display_name", "language", "avatar"])
    if old_avatar and old_avatar != (user.avatar.name if user.avatar else ""):
        storage = user.avatar.storage
        transaction.on_commit(lambda: storage.delete(old_avatar))
    return user


def user_language_set(*, user: User, language: str) -> None:
    """Remember the language a signed-in person chose, for every device and email."""
    _check_language(language)
    if user.is_authenticated and user.language != language:
        User.objects.filter(pk=user.pk).update(language=language)
        user.language = language


def user_has_verified_email(*, user: User) -> bool:
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def api_token_issue(*, email: str, password: str, request: HttpRequest | None = None) -> Token:
    """Give an integrator a token for a verified account, given its email and password."""
    user = authenticate(request, email=email, password=password)
    if user is None:
        user = authenticate(request, username=email, password=password)
    if user is None or not user.is_active:
        raise ApplicationError(
            _("Unable to log in with the email address and password provided."),
            code="invalid_credentials",
        )
    if not user_has_verified_email(user=user):
        raise PermissionDenied(
            _("Verify your email address first: follow the link we sent you."),
            code="email_unverified",
        )
    token, _created = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def brand_create(
    *, owner: User, name: str, slug: str, time_zone: str = "Europe/Rome", **fields: str
) -> Brand:
    """Create a brand with its first owner."""
    brand = Brand(name=name, slug=slug, time_zone=time_zone, **fields)
    brand.full_clean()
    brand.save()
    BrandMembership.objects.create(brand=brand, user=owner, role=BrandMembership.Role.OWNER)
    return brand


@transaction.atomic
def brand_membership_set(*, brand: Brand, user: User, role: str) -> BrandMembership:
    """Give a person a role in a brand (adding them if needed); a brand always keeps an owner."""
    if role not in BrandMembership.Role.values:
        raise ApplicationError(_("Unknown role."), fields={"role": [_("Unknown role.")]})
    Brand.objects.select_for_update().get(pk=brand.pk)
    membership, created = BrandMembership.objects.get_or_create(
        brand=brand, user=user, defaults={"role": role}
    )
    if not created and membership.role != role:
        if (
            membership.role == BrandMembership.Role.OWNER
            and not BrandMembership.objects.filter(brand=brand, role=BrandMembership.Role.OWNER)
            .exclude(pk=membership.pk)
            .exists()
        ):
            raise ApplicationError(_("A brand must keep at least one owner."), code="last_owner")
        membership.role = role
        membership.save(update_fields=["role", "updated_at"])
    return membership
