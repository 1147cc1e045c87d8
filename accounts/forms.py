from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


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
