import contextlib

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language as django_set_language

from accounts.forms import ProfileForm
from accounts.services import user_language_set, user_profile_update
from core.exceptions import ApplicationError


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
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest) -> HttpResponse:
    user = request.user
    initial = {"display_name": user.display_name, "language": user.language}
    form = ProfileForm(request.POST or None, request.FILES or None, initial=initial)
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
