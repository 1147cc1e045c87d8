"""Reads about people and brands. Brand tenancy is decided here and nowhere else."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from accounts.models import Brand, BrandInvitation, BrandMembership, User


def brands_for_user(*, user: User) -> QuerySet[Brand]:
    """The brands the acting user belongs to (none for anonymous or inactive users)."""
    if not user.is_authenticated or not user.is_active:
        return Brand.objects.none()
    return Brand.objects.filter(memberships__user=user).distinct()


def memberships_for_user(*, user: User) -> QuerySet[BrandMembership]:
    if not user.is_authenticated or not user.is_active:
        return BrandMembership.objects.none()
    return BrandMembership.objects.filter(user=user).select_related("brand").order_by("brand__name")


def brand_membership_get(
    *, user: User, brand_slug: str, roles: Iterable[str] | None = None
) -> BrandMembership:
    """The acting user's membership of a brand; Http404 when they are not a member.

    `roles` narrows it further (for example owners only); a member without one of those roles
    also gets Http404, so a page never confirms what it will not show.
    """
    memberships = memberships_for_user(user=user).filter(brand__slug=brand_slug)
    if roles is not None:
        memberships = memberships.filter(role__in=list(roles))
    membership = memberships.first()
    if membership is None:
        raise Http404("No such brand.")
    return membership


def brand_members(*, user: User, brand_slug: str) -> QuerySet[BrandMembership]:
    """The team of a brand, for one of its members."""
    membership = brand_membership_get(user=user, brand_slug=brand_slug)
    return (
        BrandMembership.objects.filter(brand=membership.brand)
        .select_related("user")
        .order_by("role", "user__email")
    )


def brand_role_require(*, user: User, brand: Brand, roles: Iterable[str]) -> BrandMembership:
    """The acting user's membership of `brand`, which must have one of `roles`.

    Not a member: Http404 (the brand is not theirs to know about). A member without the role:
    PermissionDenied, with a message saying what their role allows.
    """
    from django.utils.translation import gettext_lazy as _

    from core.exceptions import PermissionDenied

    membership = memberships_for_user(user=user).filter(brand=brand).first()
    if membership is None:
        raise Http404("No such brand.")
    if membership.role not in set(roles):
        if membership.role == BrandMembership.Role.ANALYST:
            message = _("Analysts can see this brand's campaigns but cannot change them.")
        else:
            message = _("Only an owner of this brand can do that.")
        raise PermissionDenied(message, code="role_insufficient")
    return membership


def brand_invitations_pending(*, user: User, brand_slug: str) -> list[BrandInvitation]:
    """A brand's invitations still waiting for an answer, for one of its members."""
    from django.utils import timezone

    membership = brand_membership_get(user=user, brand_slug=brand_slug)
    return list(
        BrandInvitation.objects.filter(
            brand=membership.brand,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )


def brand_invitation_get(*, user: User, brand_slug: str, invitation_id: int) -> BrandInvitation:
    """One invitation of a brand the acting user belongs to; Http404 otherwise."""
    membership = brand_membership_get(user=user, brand_slug=brand_slug)
    invitation = (
        BrandInvitation.objects.filter(brand=membership.brand, pk=invitation_id)
        .select_related("brand")
        .first()
    )
    if invitation is None:
        raise Http404("No such invitation.")
    return invitation


def brand_invitation_by_token(*, token: str) -> BrandInvitation | None:
    """The invitation a link carries (the token is the secret); None when there is none."""
    return BrandInvitation.objects.select_related("brand", "invited_by").filter(token=token).first()


EDITOR_ROLES = (BrandMembership.Role.OWNER, BrandMembership.Role.MANAGER)
OWNER_ROLES = (BrandMembership.Role.OWNER,)
