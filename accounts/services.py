"""Writes about people and brands."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import IO

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from rest_framework.authtoken.models import Token

from accounts.lockout import login_attempt, login_client_address
from accounts.models import Brand, BrandInvitation, BrandMembership, User
from accounts.selectors import OWNER_ROLES, brand_role_require
from core.enqueue import task_enqueue
from core.exceptions import ApplicationError, Conflict, PermissionDenied
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
    """Give an integrator a token for a verified account, given its email and password.

    The password check runs under the login lockout (`accounts.lockout`): raises `LoginLocked`
    (429) while the email, the client's address or the account is locked.
    """

    def check() -> User | None:
        user = authenticate(request, email=email, password=password)
        if user is None:
            user = authenticate(request, username=email, password=password)
        return user if user is not None and user.is_active else None

    address = login_client_address(request) if request is not None else "unknown"
    user = login_attempt(login=email, address=address, check=check)
    if user is None:
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


INVITATION_VALID_FOR = timedelta(days=7)


@transaction.atomic
def brand_invitation_create(
    *, brand: Brand, actor: User, email: str, role: str, now: datetime | None = None
) -> BrandInvitation:
    """An owner invites an email address to the brand; the invitation is emailed after commit."""
    moment = now or timezone.now()
    brand_role_require(user=actor, brand=brand, roles=OWNER_ROLES)
    if role not in BrandMembership.Role.values:
        raise ApplicationError(_("Unknown role."), fields={"role": [_("Unknown role.")]})
    email = User.objects.normalize_email(email.strip()).lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ApplicationError(
            _("Enter a valid email address."), fields={"email": [_("Enter a valid email address.")]}
        ) from None
    if BrandMembership.objects.filter(brand=brand, user__email__iexact=email).exists():
        raise Conflict(
            _("%(email)s is already a member of %(brand)s.") % {"email": email, "brand": brand},
            code="already_member",
            fields={"email": [_("Already a member.")]},
        )
    # An expired pending invitation makes room for a new one.
    BrandInvitation.objects.filter(
        brand=brand,
        email__iexact=email,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__lte=moment,
    ).update(revoked_at=moment)
    try:
        with transaction.atomic():
            invitation = BrandInvitation.objects.create(
                brand=brand,
                email=email,
                role=role,
                token=secrets.token_urlsafe(32),
                invited_by=actor,
                expires_at=moment + INVITATION_VALID_FOR,
            )
    except IntegrityError:
        raise Conflict(
            _("This address already has a pending invitation."),
            code="already_invited",
            fields={"email": [_("Already invited.")]},
        ) from None
    from accounts.tasks import brand_invitation_email_task

    language = translation.get_language() or settings.LANGUAGE_CODE
    transaction.on_commit(
        lambda: task_enqueue(brand_invitation_email_task, invitation.pk, language)
    )
    return invitation


@transaction.atomic
def brand_invitation_accept(
    *, token: str, user: User, now: datetime | None = None
) -> BrandMembership:
    """The invited person joins the brand, if the invitation was sent to one of their addresses."""
    moment = now or timezone.now()
    invitation = BrandInvitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_pending_at(moment):
        raise ApplicationError(
            _("This invitation link is not valid any more: ask the brand owner for a new one."),
            code="invitation_invalid",
        )
    addresses = {
        address.lower()
        for address in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    }
    if invitation.email.lower() not in addresses:
        raise PermissionDenied(
            _(
                "This invitation was sent to %(email)s. Sign in with that address (verified) "
                "to accept it."
            )
            % {"email": invitation.email},
            code="invitation_other_address",
        )
    membership = brand_membership_set(brand=invitation.brand, user=user, role=invitation.role)
    invitation.accepted_at = moment
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return membership


@transaction.atomic
def brand_invitation_revoke(
    *, invitation: BrandInvitation, actor: User, now: datetime | None = None
) -> BrandInvitation:
    invitation = BrandInvitation.objects.select_for_update().get(pk=invitation.pk)
    brand_role_require(user=actor, brand=invitation.brand, roles=OWNER_ROLES)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(_("This invitation is no longer pending."), code="not_pending")
    invitation.revoked_at = now or timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


@transaction.atomic
def brand_member_role_change(
    *, brand: Brand, actor: User, member: User, role: str
) -> BrandMembership:
    """An owner changes a member's role; a brand always keeps an owner."""
    brand_role_require(user=actor, brand=brand, roles=OWNER_ROLES)
    if not BrandMembership.objects.filter(brand=brand, user=member).exists():
        raise Http404("No such member.")
    return brand_membership_set(brand=brand, user=member, role=role)


@transaction.atomic
def brand_member_remove(*, brand: Brand, actor: User, member: User) -> None:
    """An owner removes a member, or a member leaves; a brand always keeps an owner."""
    if actor.pk != member.pk:
        brand_role_require(user=actor, brand=brand, roles=OWNER_ROLES)
    Brand.objects.select_for_update().get(pk=brand.pk)
    membership = BrandMembership.objects.filter(brand=brand, user=member).first()
    if membership is None:
        raise Http404("No such member.")
    if (
        membership.role == BrandMembership.Role.OWNER
        and not BrandMembership.objects.filter(brand=brand, role=BrandMembership.Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    ):
        raise ApplicationError(_("A brand must keep at least one owner."), code="last_owner")
    membership.delete()
