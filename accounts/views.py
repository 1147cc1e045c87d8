import contextlib
from collections.abc import Callable
from typing import Any

from allauth.account import views as allauth_views
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.i18n import set_language as django_set_language

from accounts.forms import InvitationForm, MemberRoleForm, ProfileForm
from accounts.models import BrandInvitation, BrandMembership, User
from accounts.selectors import (
    brand_invitation_by_token,
    brand_invitation_get,
    brand_invitations_pending,
    brand_members,
    brand_membership_get,
)
from accounts.services import (
    AVATAR_MAX_BYTES,
    brand_invitation_accept,
    brand_invitation_create,
    brand_member_remove,
    brand_member_role_change,
    user_language_set,
    user_profile_update,
)
from accounts.services import brand_invitation_revoke as brand_invitation_revoke_service
from core.exceptions import ApplicationError
from core.uploads import image_too_large_error, upload_limited, upload_too_large

INVITATION_INVALID = gettext_lazy(
    "This invitation link is not valid any more: ask the brand owner for a new one."
)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch language; a signed-in person keeps the choice on every device."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated:
        # Django's view ignores an unknown language; so do we.
        with contextlib.suppress(ApplicationError):
            user_language_set(user=request.user, language=language)
    return django_set_language(request)


@login_required
@upload_limited(max_bytes=AVATAR_MAX_BYTES)
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "language": user.language}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and upload_too_large(request):
        form.add_error("avatar", image_too_large_error(AVATAR_MAX_BYTES).message)
    if request.method == "POST" and form.is_valid():
        avatar = form.cleaned_data["avatar"]
        try:
            user_profile_update(
                user=user,
                display_name=form.cleaned_data["display_name"],
                language=form.cleaned_data["language"],
                avatar=avatar,
                avatar_name=getattr(avatar, "name", ""),
                remove_avatar=form.cleaned_data["remove_avatar"],
            )
        except ApplicationError as exc:
            form.add_error("avatar" if exc.code != "invalid" else None, exc.message)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("profile")
    status = 400 if form.errors else 200
    return render(request, "accounts/profile.html", {"form": form}, status=status)


# --- Brand team ----------------------------------------------------------------------------------

ROLE_ORDER = {role: position for position, role in enumerate(BrandMembership.Role.values)}


def _team_member(user: User, brand_slug: str, member_id: int) -> BrandMembership:
    member = brand_members(user=user, brand_slug=brand_slug).filter(user_id=member_id).first()
    if member is None:
        raise Http404("No such member.")
    return member


def _team_page(
    request: HttpRequest,
    membership: BrandMembership,
    *,
    invite_form: InvitationForm | None = None,
    error: ApplicationError | None = None,
    status: int = 200,
) -> HttpResponse:
    members = sorted(
        brand_members(user=request.user, brand_slug=membership.brand.slug),
        key=lambda m: (ROLE_ORDER[m.role], m.user.email),
    )
    is_owner = membership.role == BrandMembership.Role.OWNER
    context = {
        "brand": membership.brand,
        "membership": membership,
        "is_owner": is_owner,
        "members": members,
        "invitations": (
            brand_invitations_pending(user=request.user, brand_slug=membership.brand.slug)
            if is_owner
            else []
        ),
        "invite_form": invite_form or InvitationForm(),
        "roles": BrandMembership.Role.choices,
        "error": error,
    }
    return render(request, "accounts/team/team.html", context, status=status)


@login_required
@require_safe
def brand_team(request: HttpRequest, brand_slug: str) -> HttpResponse:
    return _team_page(request, brand_membership_get(user=request.user, brand_slug=brand_slug))


@login_required
@require_http_methods(["GET", "POST"])
def brand_team_invite(request: HttpRequest, brand_slug: str) -> HttpResponse:
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    if request.method == "GET":
        return redirect("brand-team", brand_slug)
    form = InvitationForm(request.POST)
    invitation, status = form.call_service(
        lambda: brand_invitation_create(
            brand=membership.brand, actor=request.user, **form.cleaned_data
        )
    )
    if invitation is None:
        return _team_page(request, membership, invite_form=form, status=status)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
    return redirect("brand-team", brand_slug)


def _team_action(
    request: HttpRequest,
    brand_slug: str,
    action: Callable[[BrandMembership], object],
    message: str,
    *,
    leaves: bool = False,
) -> HttpResponse:
    """POST: run a team service for this brand and go back to the team; GET: just go back.

    `leaves`: the acting person is no longer in the team afterwards, so they go to the dashboard.
    """
    membership = brand_membership_get(user=request.user, brand_slug=brand_slug)
    if request.method == "POST":
        try:
            action(membership)
        except ApplicationError as error:
            return _team_page(request, membership, error=error, status=error.status_code)
        messages.success(request, message)
        if leaves:
            return redirect("brand-dashboard")
    return redirect("brand-team", brand_slug)


@login_required
@require_http_methods(["GET", "POST"])
def brand_team_role(request: HttpRequest, brand_slug: str, user_id: int) -> HttpResponse:
    member = _team_member(request.user, brand_slug, user_id)
    form = MemberRoleForm(request.POST or None)
    role = form.cleaned_data["role"] if form.is_valid() else ""
    return _team_action(
        request,
        brand_slug,
        lambda m: brand_member_role_change(
            brand=m.brand, actor=request.user, member=member.user, role=role
        ),
        _("%(name)s's role has been changed.") % {"name": member.user},
    )


@login_required
@require_http_methods(["GET", "POST"])
def brand_team_remove(request: HttpRequest, brand_slug: str, user_id: int) -> HttpResponse:
    member = _team_member(request.user, brand_slug, user_id)
    return _team_action(
        request,
        brand_slug,
        lambda m: brand_member_remove(brand=m.brand, actor=request.user, member=member.user),
        _("%(name)s is no longer in the team.") % {"name": member.user},
        leaves=member.user_id == request.user.pk,
    )


@login_required
@require_http_methods(["GET", "POST"])
def brand_team_leave(request: HttpRequest, brand_slug: str) -> HttpResponse:
    return _team_action(
        request,
        brand_slug,
        lambda m: brand_member_remove(brand=m.brand, actor=request.user, member=request.user),
        _("You have left the brand."),
        leaves=True,
    )


@login_required
@require_http_methods(["GET", "POST"])
def brand_invitation_revoke(
    request: HttpRequest, brand_slug: str, invitation_id: int
) -> HttpResponse:
    invitation = brand_invitation_get(
        user=request.user, brand_slug=brand_slug, invitation_id=invitation_id
    )
    return _team_action(
        request,
        brand_slug,
        lambda m: brand_invitation_revoke_service(invitation=invitation, actor=request.user),
        _("The invitation to %(email)s has been revoked.") % {"email": invitation.email},
    )


# --- Accepting an invitation ---------------------------------------------------------------------


def _invitation_page(
    request: HttpRequest,
    invitation: BrandInvitation | None,
    *,
    error: ApplicationError | None = None,
) -> HttpResponse:
    context = {"invitation": invitation, "error": error, "next": request.get_full_path()}
    status = error.status_code if error else 200
    return render(request, "accounts/team/invitation.html", context, status=status)


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = brand_invitation_by_token(token=token)
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if request.method == "POST":
        try:
            membership = brand_invitation_accept(token=token, user=request.user)
        except ApplicationError as error:
            shown = invitation if error.status_code == 403 else None
            return _invitation_page(request, shown, error=error)
        messages.success(request, _("Welcome to %(brand)s!") % {"brand": membership.brand})
        return redirect("brand-dashboard")
    if invitation is None or not invitation.is_pending_at(timezone.now()):
        return _invitation_page(request, None, error=ApplicationError(INVITATION_INVALID))
    return _invitation_page(request, invitation)


class ConfirmEmailView(allauth_views.ConfirmEmailView):
    """allauth's confirmation page, except that opening the link (GET) signs no one out.

    allauth signs out whoever is signed in when the link belongs to another account; on GET that
    let any page (an <img> pointing at a confirmation link) sign a visitor out. Confirming (POST)
    still does it.
    """

    def logout_other_user(self, confirmation: Any) -> None:
        if self.request.method == "POST":
            super().logout_other_user(confirmation)
