"""Forms of the participant pages: they check the shape of the input; the services decide.

Limits a service enforces (text length, caption length, kinds a campaign takes, video hosts)
are left to it, so a page shows the same message, naming the problem, as the API and admin.
The widgets carry the limits as HTML attributes (`maxlength`, `accept`) to help the browser.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignTerms
from core.exceptions import ApplicationError
from core.forms import ServiceErrorFormMixin
from core.images import ImageRejected
from submissions.models import Report, Submission
from submissions.services import CAPTION_MAX_LENGTH, COMMENT_MAX_LENGTH, REPORT_DETAILS_MAX_LENGTH

PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,image/heic,.heic"
# Which input carries the content of each kind; the others are dropped (see EntryForm.clean).
CONTENT_FIELDS = {
    Submission.Kind.PHOTO: "image",
    Submission.Kind.TEXT: "text",
    Submission.Kind.VIDEO: "video_url",
}
KIND_LABELS = {
    Submission.Kind.PHOTO: _("A photo"),
    Submission.Kind.TEXT: _("A text"),
    Submission.Kind.VIDEO: _("A video link"),
}


def _one_line_breaks(value: str) -> str:
    """Browsers send a line break as CRLF but count it as one character, as the services do."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


class EntryForm(ServiceErrorFormMixin, forms.Form):
    """An entry to one campaign: the kinds it takes, its text limit and its current terms."""

    kind = forms.ChoiceField(
        label=_("What are you sending?"),
        choices=Submission.Kind.choices,
        widget=forms.RadioSelect,
    )
    image = forms.FileField(
        label=_("Your photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": PHOTO_ACCEPT}),
    )
    text = forms.CharField(label=_("Your text"), required=False, widget=forms.Textarea)
    video_url = forms.CharField(
        label=_("Link to your video"),
        required=False,
        help_text=_("The https link of a YouTube, Vimeo or TikTok video."),
        widget=forms.URLInput(attrs={"inputmode": "url", "placeholder": "https://"}),
    )
    caption = forms.CharField(
        label=_("Caption"),
        required=False,
        widget=forms.TextInput(attrs={"maxlength": CAPTION_MAX_LENGTH}),
    )

    def __init__(
        self, *args: Any, campaign: Campaign, terms: CampaignTerms | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        allowed = [Submission.Kind(kind) for kind in campaign.allowed_kinds]
        kind = self.fields["kind"]
        # Any kind passes the shape check, so a kind the campaign refuses gets the service's
        # message; the page offers only the kinds it takes.
        kind.widget.choices = [(value, KIND_LABELS[value]) for value in allowed]
        kind.initial = allowed[0]
        self.fields["caption"].help_text = _("At most %(limit)d characters.") % {
            "limit": CAPTION_MAX_LENGTH
        }
        image = self.fields["image"]
        image.help_text = _("A JPEG, PNG, WebP or HEIC photo up to %(limit)d MB.") % {
            "limit": max(1, settings.PASSAPAROLA_IMAGE_MAX_BYTES // (1024 * 1024))
        }
        image.widget.attrs["data-max-bytes"] = settings.PASSAPAROLA_IMAGE_MAX_BYTES
        text = self.fields["text"]
        text.help_text = _("At most %(limit)d characters.") % {"limit": campaign.text_max_length}
        text.widget.attrs.update(
            {"maxlength": campaign.text_max_length, "rows": 6, "data-char-count": ""}
        )
        for value, name in CONTENT_FIELDS.items():
            if value not in allowed:
                del self.fields[name]
        if terms is not None:
            self.fields["accept_terms"] = forms.BooleanField(
                label=_("I accept the terms (version %(version)d)") % {"version": terms.version},
                required=False,
            )
            # The version the person was shown, so a newer one cannot be accepted unseen.
            self.fields["terms_version"] = forms.IntegerField(
                widget=forms.HiddenInput, initial=terms.version, required=False
            )

    def clean_text(self) -> str:
        return _one_line_breaks(self.cleaned_data["text"])

    def clean(self) -> dict[str, Any]:
        """Keep only the content of the chosen kind: a page shows every input at once."""
        data = super().clean()
        chosen = CONTENT_FIELDS.get(data.get("kind"))  # type: ignore[call-overload]
        for name in CONTENT_FIELDS.values():
            if name != chosen and name in data:
                data[name] = None if name == "image" else ""
        return data

    def add_service_error(self, error: ApplicationError) -> None:
        if isinstance(error, ImageRejected) and "image" in self.fields:
            self.add_error("image", error.message)
            return
        super().add_service_error(error)

    def service_arguments(self) -> dict[str, Any]:
        """The cleaned data as `submission_create` takes it."""
        data = self.cleaned_data
        image = data.get("image")
        return {
            "kind": data["kind"],
            "caption": data["caption"],
            "text": data.get("text") or "",
            "image": image,
            "image_name": getattr(image, "name", "") or "",
            "video_url": data.get("video_url") or "",
            "accept_terms": bool(data.get("accept_terms")),
            "terms_version": data.get("terms_version"),
        }


class CommentForm(ServiceErrorFormMixin, forms.Form):
    body = forms.CharField(
        label=_("Your comment"),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = _(
            "Plain text, at most %(limit)d characters. Links are shown as links."
        ) % {"limit": COMMENT_MAX_LENGTH}

    def clean_body(self) -> str:
        return _one_line_breaks(self.cleaned_data["body"])


class ReportForm(ServiceErrorFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label=_("What is wrong with it?"),
        choices=Report.Reason.choices,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=_("Details"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": REPORT_DETAILS_MAX_LENGTH}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["details"].help_text = _(
            "Anything that helps a moderator decide; at most %(limit)d characters."
        ) % {"limit": REPORT_DETAILS_MAX_LENGTH}

    def clean_details(self) -> str:
        return _one_line_breaks(self.cleaned_data["details"])
