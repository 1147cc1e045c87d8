from collections.abc import Callable
from typing import TypeVar

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import BrandMembership
from core.exceptions import ApplicationError

T = TypeVar("T")


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=60,
        required=False,
        help_text=_("Shown next to your entries and comments instead of your email address."),
    )
    language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=[("", _("Same as my browser")), *settings.LANGUAGES],
        required=False,
    )
    avatar = forms.FileField(
        label=_("Avatar"),
        required=False,
        help_text=_("A JPEG, PNG, WebP or HEIC photo up to 5 MB."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/heic"}
        ),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)


class ServiceErrorFormMixin:
    """Show a service's ApplicationError on a form: on the fields it names, else above the form.

    `service_field_names` maps a service's field name to the form field that shows it, where
    they differ.
    """

    service_field_names: dict[str, str] = {}

    def add_service_error(self, error: ApplicationError) -> None:
        placed: list[str] = []
        for name, messages in error.fields.items():
            field = self.service_field_names.get(name, name)
            if field not in self.fields:  # type: ignore[attr-defined]
                continue
            for message in messages:
                self.add_error(field, message)  # type: ignore[attr-defined]
                placed.append(str(message))
        if str(error.message) not in placed:
            self.add_error(None, error.message)  # type: ignore[attr-defined]

    def call_service(self, action: Callable[[], T]) -> tuple[T | None, int]:
        """Validate, then run `action` (a service call); its error shows on the form.

        Returns the service's result (None when refused) and the status to answer with.
        """
        if not self.is_valid():  # type: ignore[attr-defined]
            return None, 400
        try:
            return action(), 200
        except ApplicationError as error:
            self.add_service_error(error)
            return None, error.status_code


ROLE_HELP = {
    BrandMembership.Role.OWNER: _("Owner: everything, including the team."),
    BrandMembership.Role.MANAGER: _("Manager: creates, edits, publishes and closes campaigns."),
    BrandMembership.Role.ANALYST: _("Analyst: sees campaigns and numbers, changes nothing."),
}


class InvitationForm(ServiceErrorFormMixin, forms.Form):
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("We email them a link, valid for 7 days, to accept with this address."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=[(role, ROLE_HELP[role]) for role in BrandMembership.Role],
        initial=BrandMembership.Role.ANALYST,
        widget=forms.RadioSelect,
    )


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=BrandMembership.Role.choices)
