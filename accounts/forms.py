from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import BrandMembership
from core.forms import ServiceErrorFormMixin


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
