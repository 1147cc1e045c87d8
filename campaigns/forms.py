"""Forms of the brand pages. They check the shape of the input; the services decide the rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.forms.fields import BaseTemporalField
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.text import format_lazy, slugify
from django.utils.translation import gettext_lazy as _

from campaigns.models import Campaign, CampaignTerms
from campaigns.services import EDITABLE_WHILE_OPEN
from core.forms import ServiceErrorFormMixin

MAX_PRIZES = 20
PRIZE_ROWS = 5

KIND_CHOICES = [
    ("photo", _("Photo")),
    ("text", _("Text")),
    ("video", _("Video link (YouTube, Vimeo, TikTok)")),
]
# A form field and the service fields it stands for.
SERVICE_FIELDS: dict[str, tuple[str, ...]] = {
    "kinds": ("allow_photo", "allow_text", "allow_video"),
}


class LocalDateTimeField(forms.DateTimeField):
    """A wall-clock date and time in a given zone (the brand's), read with zoneinfo.

    A time the zone skips (the clocks jump forward) or lives twice (they go back) is refused with
    a message saying so, rather than silently moved by an hour.
    """

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]
    default_error_messages = {
        "invalid": _("Enter a date and a time."),
        "nonexistent": _(
            "%(time)s does not exist in %(zone)s: the clocks jump forward an hour that night. "
            "Choose another time."
        ),
        "ambiguous": _(
            "%(time)s happens twice in %(zone)s: the clocks go back an hour that night. "
            "Choose another time."
        ),
    }

    def __init__(self, *, zone: ZoneInfo | None = None, **kwargs: Any) -> None:
        self.zone = zone or ZoneInfo("UTC")
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            wall = value
        else:
            try:
                wall = parse_datetime(str(value).strip()) or BaseTemporalField.to_python(
                    self, value
                )
            except ValueError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        if wall.tzinfo is not None:
            return wall
        return self._in_zone(wall)

    def _in_zone(self, wall: datetime) -> datetime:
        first = wall.replace(tzinfo=self.zone, fold=0)
        second = wall.replace(tzinfo=self.zone, fold=1)
        if first.utcoffset() == second.utcoffset():
            return first
        # Both readings differ: a time that never happens comes back changed from a round trip.
        moment = f"{date_format(wall, 'DATE_FORMAT')}, {date_format(wall, 'H:i')}"
        params = {"time": moment, "zone": self.zone.key}
        if first.astimezone(UTC).astimezone(self.zone).replace(tzinfo=None) != wall:
            raise ValidationError(
                self.error_messages["nonexistent"], code="nonexistent", params=params
            )
        raise ValidationError(self.error_messages["ambiguous"], code="ambiguous", params=params)

    def has_changed(self, initial: Any, data: Any) -> bool:
        # The input shows minutes: an initial value with seconds is unchanged if its minute is.
        if isinstance(initial, datetime):
            initial = initial.replace(second=0, microsecond=0)
        return super().has_changed(initial, data)


class PrizeForm(forms.Form):
    rank = forms.IntegerField(label=_("Rank"), min_value=1, max_value=999, required=False)
    description = forms.CharField(label=_("Prize"), max_length=300, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if (data.get("description") or "").strip() and data.get("rank") is None:
            self.add_error("rank", _("Give this prize a rank."))
        return data


SCORING_FIELDS = (
    "points_entry",
    "points_like",
    "points_click",
    "points_referral",
    "hide_live_counts",
    "leaderboard_freeze_hours",
    "winner_rule",
    "winner_count",
)


class CampaignForm(ServiceErrorFormMixin, forms.Form):
    """A campaign's settings; `brand` gives the time zone its dates are read in.

    `campaign` (editing) locks what its phase keeps fixed; `read_only` locks everything.
    """

    service_field_names = {
        "allow_photo": "kinds",
        "allow_text": "kinds",
        "allow_video": "kinds",
    }

    title = forms.CharField(label=_("Title"), max_length=120)
    slug = forms.SlugField(
        label=_("Address"),
        max_length=80,
        required=False,
        help_text=_(
            "The end of the campaign's web address: lower-case letters, digits and hyphens. "
            "Leave it empty to make one from the title."
        ),
    )
    brief = forms.CharField(
        label=_("Brief"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you ask people to share, in a few sentences."),
    )
    rules = forms.CharField(
        label=_("Rules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Markdown: paragraphs, **bold**, *italic*, lists (- or 1.), headings (###), quotes "
            "(>) and links [text](https://…). HTML, images and scripts are shown as plain text."
        ),
    )
    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        help_text=_("A JPEG, PNG, WebP or HEIC image, shown at the top of the campaign page."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/heic"}
        ),
    )
    hashtag = forms.CharField(
        label=_("Hashtag"),
        max_length=60,
        required=False,
        help_text=_("Without spaces, for example #SummerStories."),
    )
    starts_at = LocalDateTimeField(label=_("Starts at"))
    ends_at = LocalDateTimeField(label=_("Ends at"))
    kinds = forms.MultipleChoiceField(
        label=_("Entry kinds allowed"),
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Allow at least one kind of entry.")},
    )
    text_max_length = forms.IntegerField(
        label=_("Text length limit"),
        min_value=1,
        max_value=5000,
        initial=280,
        help_text=_("Characters allowed in a text entry, from 1 to 5000."),
    )
    max_entries_per_participant = forms.IntegerField(
        label=_("Entries per participant"),
        min_value=1,
        max_value=100,
        initial=3,
        help_text=_("How many entries one person may send, from 1 to 100."),
    )
    moderation_mode = forms.ChoiceField(
        label=_("Moderation"),
        choices=Campaign.ModerationMode.choices,
        initial=Campaign.ModerationMode.PRE,
        widget=forms.RadioSelect,
    )
    # Not required: left empty, each keeps the campaign's default (ARCHITECTURE's numbers).
    points_entry = forms.IntegerField(
        label=_("Points per approved entry"), min_value=0, max_value=1000, required=False
    )
    points_like = forms.IntegerField(
        label=_("Points per like received"), min_value=0, max_value=1000, required=False
    )
    points_click = forms.IntegerField(
        label=_("Points per counted share click"), min_value=0, max_value=1000, required=False
    )
    points_referral = forms.IntegerField(
        label=_("Points per referral who verifies"), min_value=0, max_value=1000, required=False
    )
    hide_live_counts = forms.BooleanField(
        label=_("Hide like counts and the leaderboard until the campaign closes"),
        required=False,
    )
    leaderboard_freeze_hours = forms.IntegerField(
        label=_("Freeze the leaderboard for the last hours"),
        min_value=0,
        max_value=720,
        required=False,
        help_text=_("Empty or 0 keeps it live until the end."),
    )
    winner_rule = forms.ChoiceField(
        label=_("How winners are chosen"),
        choices=Campaign.WinnerRule.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    winner_count = forms.IntegerField(
        label=_("Number of winners"), min_value=1, max_value=100, required=False
    )
    terms = forms.CharField(
        label=_("Terms participants accept"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def __init__(
        self,
        *args: Any,
        brand_time_zone: str,
        campaign: Campaign | None = None,
        terms: CampaignTerms | None = None,
        read_only: bool = False,
        **kwargs: Any,
    ) -> None:
        self.campaign = campaign
        if campaign is not None:
            kwargs.setdefault("initial", self.initial_from(campaign, terms))
        super().__init__(*args, **kwargs)
        zone = ZoneInfo(brand_time_zone)
        zone_help = _("Local time in %(zone)s, the brand's time zone.") % {"zone": zone.key}
        for name in ("starts_at", "ends_at"):
            self.fields[name].zone = zone
            self.fields[name].help_text = zone_help
        self.fields["kinds"].initial = ["photo", "text"]
        for name in SCORING_FIELDS:
            self.fields[name].initial = Campaign._meta.get_field(name).default
        self.fields["terms"].help_text = self._terms_help(terms.version if terms else None)
        self.fields["slug"].widget.attrs["data-slug-from"] = self["title"].auto_id
        self.prize_forms = self._prize_formset(*args)
        self.prize_errors: list[Any] = []
        self.locked_while_open = False
        self.read_only = read_only or (
            campaign is not None and campaign.phase == Campaign.Phase.CLOSED
        )
        if self.read_only:
            for field in self.fields.values():
                field.disabled = True
            for prize_form in self.prize_forms:
                for field in prize_form.fields.values():
                    field.disabled = True
        elif campaign is not None and campaign.phase == Campaign.Phase.OPEN:
            self.locked_while_open = True
            for name, field in self.fields.items():
                if not set(SERVICE_FIELDS.get(name, (name,))) <= EDITABLE_WHILE_OPEN:
                    field.disabled = True
                    field.help_text = format_lazy(
                        "{} {}", _("Locked while the campaign is open."), field.help_text
                    )

    @staticmethod
    def initial_from(campaign: Campaign, terms: CampaignTerms | None) -> dict[str, Any]:
        return {
            "title": campaign.title,
            "slug": campaign.slug,
            "brief": campaign.brief,
            "rules": campaign.rules,
            "hashtag": f"#{campaign.hashtag}" if campaign.hashtag else "",
            "starts_at": campaign.starts_at,
            "ends_at": campaign.ends_at,
            "kinds": campaign.allowed_kinds,
            "text_max_length": campaign.text_max_length,
            "max_entries_per_participant": campaign.max_entries_per_participant,
            "moderation_mode": campaign.moderation_mode,
            **{name: getattr(campaign, name) for name in SCORING_FIELDS},
            "terms": terms.text if terms else "",
        }

    @staticmethod
    def _terms_help(version: int | None) -> str:
        if version is None:
            return _(
                "Participants accept these terms when they send an entry. Once set, a change "
                "publishes a new version; entries keep the version their author accepted."
            )
        return _(
            "Current version: %(version)d. Participants accept these terms when they send an "
            "entry; a change publishes version %(next)d, and entries keep the version their "
            "author accepted."
        ) % {"version": version, "next": version + 1}

    def _prize_formset(self, *args: Any) -> forms.BaseFormSet:
        existing = [
            {"rank": prize.rank, "description": prize.description}
            for prize in (self.campaign.prizes.all() if self.campaign is not None else [])
        ]
        self.initial_prizes = [(row["rank"], row["description"]) for row in existing]
        rows = min(MAX_PRIZES, max(PRIZE_ROWS, len(existing) + 2))
        next_rank = max((row["rank"] for row in existing), default=0) + 1
        initial = existing + [
            {"rank": next_rank + i, "description": ""} for i in range(rows - len(existing))
        ]
        formset_class = forms.formset_factory(
            PrizeForm, extra=0, max_num=MAX_PRIZES, validate_max=True, absolute_max=MAX_PRIZES
        )
        data = args[0] if args else None
        return formset_class(data, initial=initial, prefix="prizes")

    def clean_hashtag(self) -> str:
        hashtag = self.cleaned_data["hashtag"].strip()
        if any(ch.isspace() for ch in hashtag):
            raise ValidationError(_("A hashtag has no spaces."))
        return hashtag

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug:
            return slug
        if self.campaign is not None:
            return self.campaign.slug
        slug = slugify(self.cleaned_data.get("title", ""))[:80].strip("-")
        if not slug and self.cleaned_data.get("title"):
            raise ValidationError(_("Choose an address: the title gives none."))
        return slug

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.read_only:
            data["prizes"] = self.initial_prizes
        elif not self.prize_forms.is_valid():
            self.add_error(None, _("Check the prizes: some rows are not complete."))
        else:
            data["prizes"] = [
                (row["rank"], row["description"].strip())
                for row in self.prize_forms.cleaned_data
                if row and (row.get("description") or "").strip()
            ]
        return data

    def add_service_error(self, error: Any) -> None:
        if "prizes" in error.fields:
            self.prize_errors.extend(error.fields["prizes"])
        super().add_service_error(error)

    def _scoring_defaults(self) -> None:
        """An empty scoring setting means the campaign's default."""
        for name in SCORING_FIELDS:
            if self.cleaned_data.get(name) in (None, ""):
                self.cleaned_data[name] = (
                    getattr(self.campaign, name)
                    if self.campaign is not None
                    else Campaign._meta.get_field(name).default
                )

    def create_kwargs(self) -> dict[str, Any]:
        """What `campaign_create` takes, from the cleaned data."""
        self._scoring_defaults()
        data = dict(self.cleaned_data)
        kinds = set(data.pop("kinds"))
        cover = data.pop("cover")
        return {
            **data,
            "allow_photo": "photo" in kinds,
            "allow_text": "text" in kinds,
            "allow_video": "video" in kinds,
            "cover": cover,
            "cover_name": getattr(cover, "name", ""),
        }

    def update_data(self) -> dict[str, Any]:
        """The changed settings, as `campaign_update` takes them (untouched ones left out)."""
        assert self.campaign is not None
        self._scoring_defaults()
        data: dict[str, Any] = {}
        for name in self.changed_data:
            if self.fields[name].disabled:
                continue
            value = self.cleaned_data[name]
            if name == "kinds":
                data.update({f"allow_{kind}": kind in value for kind in ("photo", "text", "video")})
            elif name == "cover":
                if value:
                    data["cover"] = value
            elif name != "terms":
                data[name] = value
        if self.cleaned_data["prizes"] != self.initial_prizes:
            data["prizes"] = self.cleaned_data["prizes"]
        if (self.cleaned_data["terms"] or "").strip() != (self.initial.get("terms") or "").strip():
            data["terms"] = self.cleaned_data["terms"]
        return data

    @property
    def publish_requested(self) -> bool:
        return self.data.get("action") == "publish"


class CloseCampaignForm(ServiceErrorFormMixin, forms.Form):
    """Closing needs a deliberate confirmation."""

    confirm = forms.BooleanField(
        label=_("Yes, close this campaign now. New entries stop immediately."),
        error_messages={"required": _("Tick the box to confirm.")},
    )
