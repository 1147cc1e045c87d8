"""The brand pages: dashboard, campaign settings, summary and lifecycle buttons, and tenancy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, reverse
from django.utils import timezone

from accounts import urls as account_urls
from accounts.models import Brand, BrandInvitation, BrandMembership, User
from campaigns import urls as campaign_urls
from campaigns.models import Campaign, CampaignTerms
from submissions.models import Submission
from tests.factories import (
    BrandFactory,
    CampaignFactory,
    InvitationFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.imagefiles import HTML_PAGE, jpeg_bytes

pytestmark = pytest.mark.django_db

Role = BrandMembership.Role
Phase = Campaign.Phase
DAY = timedelta(days=1)
ROME = ZoneInfo("Europe/Rome")


@dataclass
class World:
    acme: Brand
    globex: Brand
    users: dict[str, User]
    draft: Campaign
    scheduled: Campaign
    open: Campaign
    closed: Campaign
    globex_campaign: Campaign
    invitation: BrandInvitation

    def client(self, actor: str) -> Client:
        client = Client()
        if actor != "anonymous":
            client.force_login(self.users[actor])
        return client


@pytest.fixture
def world() -> World:
    acme = BrandFactory(name="Acme", slug="acme", time_zone="Europe/Rome")
    globex = BrandFactory(name="Globex", slug="globex", time_zone="America/New_York")
    users = {
        "owner": MembershipFactory(brand=acme, role=Role.OWNER).user,
        "manager": MembershipFactory(brand=acme, role=Role.MANAGER).user,
        "analyst": MembershipFactory(brand=acme, role=Role.ANALYST).user,
        "other_owner": MembershipFactory(brand=globex, role=Role.OWNER).user,
        "participant": UserFactory(),
    }
    now = timezone.now()
    draft = CampaignFactory(
        brand=acme,
        slug="acme-draft",
        status=Campaign.Status.DRAFT,
        starts_at=now + DAY,
        ends_at=now + 9 * DAY,
    )
    scheduled = CampaignFactory(
        brand=acme, slug="acme-scheduled", starts_at=now + DAY, ends_at=now + 9 * DAY
    )
    opened = CampaignFactory(
        brand=acme, slug="acme-open", starts_at=now - DAY, ends_at=now + 9 * DAY
    )
    closed = CampaignFactory(
        brand=acme, slug="acme-closed", starts_at=now - 9 * DAY, ends_at=now - DAY
    )
    globex_campaign = CampaignFactory(brand=globex, slug="globex-open")
    invitation = InvitationFactory(brand=acme, invited_by=users["owner"])
    return World(acme, globex, users, draft, scheduled, opened, closed, globex_campaign, invitation)


def _local(moment: datetime, zone: ZoneInfo = ROME) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def campaign_data(**overrides: Any) -> dict[str, Any]:
    """A valid POST of the campaign form: dates next year, two prizes, terms."""
    year = timezone.now().year + 1
    data: dict[str, Any] = {
        "title": "Summer stories",
        "slug": "",
        "brief": "Tell us about your summer.",
        "rules": "- One entry a day\n- **Be kind**",
        "hashtag": "#SummerStories",
        "starts_at": f"{year}-06-01T09:00",
        "ends_at": f"{year}-06-30T18:00",
        "kinds": ["photo", "text"],
        "text_max_length": "280",
        "max_entries_per_participant": "3",
        "moderation_mode": "pre",
        "terms": "Your entry is your own work.",
        "action": "draft",
        "prizes-TOTAL_FORMS": "5",
        "prizes-INITIAL_FORMS": "5",
        "prizes-MIN_NUM_FORMS": "0",
        "prizes-MAX_NUM_FORMS": "20",
    }
    prizes = [("1", "A year of coffee"), ("2", "A moka pot")] + [("", "")] * 3
    for i, (rank, description) in enumerate(prizes):
        data[f"prizes-{i}-rank"] = rank
        data[f"prizes-{i}-description"] = description
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _create_url(brand: str = "acme") -> str:
    return reverse("brand-campaign-create", args=[brand])


def _edit_data(campaign: Campaign, **overrides: Any) -> dict[str, Any]:
    """The edit form as a browser would send it back untouched (disabled fields left out)."""
    data = campaign_data(
        title=campaign.title,
        slug=campaign.slug,
        brief=campaign.brief,
        rules=campaign.rules,
        hashtag=campaign.hashtag,
        starts_at=_local(campaign.starts_at),
        ends_at=_local(campaign.ends_at),
        kinds=campaign.allowed_kinds,
        text_max_length=str(campaign.text_max_length),
        max_entries_per_participant=str(campaign.max_entries_per_participant),
        moderation_mode=campaign.moderation_mode,
        terms="",
    )
    for i in range(5):
        data[f"prizes-{i}-rank"] = str(i + 1)
        data[f"prizes-{i}-description"] = ""
    data.update(overrides)
    return data


# --- Pages render for each role ----------------------------------------------------------------


PAGES = [
    ("brand-dashboard", lambda w: []),
    ("brand-campaign-create", lambda w: ["acme"]),
    ("brand-campaign-manage", lambda w: ["acme", w.draft.slug]),
    ("brand-campaign-edit", lambda w: ["acme", w.draft.slug]),
    ("brand-campaign-edit", lambda w: ["acme", w.open.slug]),
    ("brand-campaign-edit", lambda w: ["acme", w.closed.slug]),
    ("brand-campaign-close", lambda w: ["acme", w.open.slug]),
    ("brand-team", lambda w: ["acme"]),
]
# Analysts see everything, but the pages that exist only to change something say no.
ANALYST_REFUSED = {"brand-campaign-create", "brand-campaign-close"}


@pytest.mark.parametrize("actor", ["owner", "manager", "analyst"])
@pytest.mark.parametrize(("name", "args"), PAGES)
def test_each_brand_page_renders_for_each_role(
    world: World, actor: str, name: str, args: Any
) -> None:
    response = world.client(actor).get(reverse(name, args=args(world)))

    refused = actor == "analyst" and name in ANALYST_REFUSED
    assert response.status_code == (403 if refused else 200)
    body = response.content.decode()
    assert "<h1" in body
    if refused:
        assert "Analysts can see this brand" in body
        assert "<form" not in body.split('id="main"')[1].split("</main>")[0]


@pytest.mark.parametrize("phase", ["draft", "scheduled", "open", "closed"])
def test_analyst_sees_the_campaign_but_no_change_button(world: World, phase: str) -> None:
    campaign = getattr(world, phase)

    response = world.client("analyst").get(
        reverse("brand-campaign-manage", args=["acme", campaign.slug])
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert campaign.title in body
    for action in ("publish", "unpublish", "close"):
        assert reverse(f"brand-campaign-{action}", args=["acme", campaign.slug]) not in body
    assert "only owners and managers can change it" in body


@pytest.mark.parametrize(
    ("phase", "buttons", "absent"),
    [
        ("draft", ["brand-campaign-publish", "brand-campaign-edit"], ["brand-campaign-close"]),
        ("scheduled", ["brand-campaign-unpublish"], ["brand-campaign-publish"]),
        ("open", ["brand-campaign-close", "brand-campaign-edit"], ["brand-campaign-unpublish"]),
        ("closed", [], ["brand-campaign-close", "brand-campaign-publish"]),
    ],
)
def test_manage_page_offers_the_actions_of_the_phase(
    world: World, phase: str, buttons: list[str], absent: list[str]
) -> None:
    campaign = getattr(world, phase)

    body = (
        world.client("manager")
        .get(reverse("brand-campaign-manage", args=["acme", campaign.slug]))
        .content.decode()
    )

    for name in buttons:
        assert reverse(name, args=["acme", campaign.slug]) in body
    for name in absent:
        assert reverse(name, args=["acme", campaign.slug]) not in body


def test_a_draft_with_a_future_start_offers_schedule_and_a_preview(world: World) -> None:
    body = (
        world.client("owner")
        .get(reverse("brand-campaign-manage", args=["acme", world.draft.slug]))
        .content.decode()
    )

    assert ">Schedule<" in body
    assert f'/c/{world.draft.slug}/"' in body
    assert "Preview" in body


def test_manage_page_shows_dates_in_the_brand_time_zone_with_the_offset(world: World) -> None:
    campaign = CampaignFactory(
        brand=world.acme,
        status=Campaign.Status.DRAFT,
        starts_at=datetime(2027, 1, 10, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 7, 10, 16, 30, tzinfo=UTC),
    )

    body = (
        world.client("owner")
        .get(reverse("brand-campaign-manage", args=["acme", campaign.slug]))
        .content.decode()
    )

    assert '09:00</time> <span class="muted">(UTC+0100)' in body
    assert '18:30</time> <span class="muted">(UTC+0200)' in body
    assert "Europe/Rome" in body


# --- Creating ----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ["owner", "manager"])
def test_save_draft_creates_a_draft_and_opens_its_page(world: World, actor: str) -> None:
    response = world.client(actor).post(_create_url(), campaign_data())

    campaign = Campaign.objects.get(slug="summer-stories")
    assert response.status_code == 302
    assert response["Location"] == reverse("brand-campaign-manage", args=["acme", campaign.slug])
    assert campaign.brand == world.acme
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.created_by == world.users[actor]
    assert campaign.hashtag == "SummerStories"
    assert campaign.allowed_kinds == ["photo", "text"]
    assert [(p.rank, p.description) for p in campaign.prizes.all()] == [
        (1, "A year of coffee"),
        (2, "A moka pot"),
    ]
    assert campaign.terms_versions.get().version == 1
    assert "<strong>Be kind</strong>" in campaign.rules_html


def test_publish_with_a_future_start_schedules_the_campaign(world: World) -> None:
    response = world.client("owner").post(_create_url(), campaign_data(action="publish"))

    campaign = Campaign.objects.get(slug="summer-stories")
    assert response.status_code == 302
    assert campaign.status == Campaign.Status.PUBLISHED
    assert campaign.phase == Phase.SCHEDULED
    follow = world.client("owner").get(response["Location"])
    assert "Scheduled" in follow.content.decode()


def test_publish_with_a_past_start_opens_the_campaign(world: World) -> None:
    now = timezone.now()
    data = campaign_data(
        action="publish", starts_at=_local(now - DAY), ends_at=_local(now + 5 * DAY)
    )

    world.client("owner").post(_create_url(), data)

    assert Campaign.objects.get(slug="summer-stories").phase == Phase.OPEN


@pytest.mark.parametrize(
    ("brand_zone", "typed", "utc"),
    [
        ("Europe/Rome", "2027-01-10T09:00", datetime(2027, 1, 10, 8, 0, tzinfo=UTC)),
        ("Europe/Rome", "2027-07-10T09:00", datetime(2027, 7, 10, 7, 0, tzinfo=UTC)),
        ("America/New_York", "2027-01-10T09:00", datetime(2027, 1, 10, 14, 0, tzinfo=UTC)),
        ("Asia/Kathmandu", "2027-01-10T09:00", datetime(2027, 1, 10, 3, 15, tzinfo=UTC)),
    ],
)
def test_dates_are_read_in_the_brand_time_zone(brand_zone: str, typed: str, utc: datetime) -> None:
    owner = MembershipFactory(brand__slug="zoned", brand__time_zone=brand_zone).user
    client = Client()
    client.force_login(owner)

    with timezone.override("Pacific/Kiritimati"):  # whatever zone is active, the brand's wins
        response = client.post(
            _create_url("zoned"), campaign_data(starts_at=typed, ends_at="2027-12-31T23:00")
        )

    assert response.status_code == 302
    assert Campaign.objects.get().starts_at == utc


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2027-03-28T02:30", "does not exist in Europe/Rome"),  # clocks jump 02:00 -> 03:00
        ("2027-10-31T02:30", "happens twice in Europe/Rome"),  # clocks go 03:00 -> 02:00
    ],
)
def test_a_time_the_clocks_skip_or_repeat_is_refused_clearly(
    world: World, typed: str, message: str
) -> None:
    response = world.client("owner").post(_create_url(), campaign_data(starts_at=typed))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Campaign.objects.filter(slug="summer-stories").exists()


def test_the_zone_is_named_next_to_the_date_fields(world: World) -> None:
    body = world.client("owner").get(_create_url()).content.decode()

    assert 'type="datetime-local"' in body
    assert "Local time in Europe/Rome" in body


def test_an_empty_slug_is_made_from_the_title(world: World) -> None:
    world.client("owner").post(_create_url(), campaign_data(title="Caffè & Friends!"))

    assert Campaign.objects.filter(slug="caffe-friends").exists()


def test_a_cover_image_is_stored_reencoded(world: World) -> None:
    cover = SimpleUploadedFile("cover.jpg", jpeg_bytes(), content_type="image/jpeg")

    response = world.client("owner").post(_create_url(), campaign_data(cover=cover))

    assert response.status_code == 302
    campaign = Campaign.objects.get(slug="summer-stories")
    assert campaign.cover.name.startswith("campaigns/covers/")


BAD_INPUTS = {
    "end-before-start": ({"ends_at": "2027-01-01T09:00", "starts_at": "2027-01-02T09:00"}, "end"),
    "end-equals-start": ({"ends_at": "2027-01-02T09:00", "starts_at": "2027-01-02T09:00"}, "end"),
    "no-kind": ({"kinds": []}, "Allow at least one kind of entry."),
    "text-limit-0": ({"text_max_length": "0"}, "greater than or equal to 1"),
    "text-limit-6000": ({"text_max_length": "6000"}, "less than or equal to 5000"),
    "entries-0": ({"max_entries_per_participant": "0"}, "greater than or equal to 1"),
    "missing-title": ({"title": ""}, "This field is required."),
    "missing-start": ({"starts_at": ""}, "This field is required."),
    "garbled-date": ({"starts_at": "next tuesday"}, "Enter a date and a time."),
    "taken-slug": ({"slug": "acme-draft"}, "Another campaign already uses this address."),
    "bad-slug": ({"slug": "Not a slug!"}, "Enter a valid"),
    "unknown-kind": ({"kinds": ["audio"]}, "Select a valid choice"),
    "unknown-moderation": ({"moderation_mode": "never"}, "Select a valid choice"),
    "prize-without-rank": ({"prizes-0-rank": ""}, "Give this prize a rank."),
    "duplicate-prize-rank": ({"prizes-1-rank": "1"}, "Two prizes have rank 1."),
    "hashtag-with-space": ({"hashtag": "#summer stories"}, "A hashtag has no spaces."),
    "non-image-cover": (
        {"cover": lambda: SimpleUploadedFile("cover.jpg", HTML_PAGE, content_type="image/jpeg")},
        "This file is not a JPEG, PNG, WebP or HEIC photo.",
    ),
    "svg-cover": (
        {"cover": lambda: SimpleUploadedFile("cover.svg", b"<svg/>", content_type="image/svg")},
        "Only JPEG, PNG, WebP and HEIC photos are accepted.",
    ),
}


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_answers_400_with_a_message_and_stores_nothing(
    world: World, overrides: dict[str, Any], message: str
) -> None:
    overrides = {k: v() if callable(v) else v for k, v in overrides.items()}
    before = Campaign.objects.count()

    response = world.client("owner").post(_create_url(), campaign_data(**overrides))

    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert Campaign.objects.count() == before
    assert not CampaignTerms.objects.filter(text="Your entry is your own work.").exists()


def test_field_errors_are_linked_to_their_input(world: World) -> None:
    response = world.client("owner").post(_create_url(), campaign_data(text_max_length="0"))

    body = response.content.decode()
    assert 'aria-invalid="true"' in body
    assert 'id="id_text_max_length_error"' in body
    assert 'aria-describedby="id_text_max_length_helptext id_text_max_length_error"' in body


def test_analyst_post_to_create_is_403_and_stores_nothing(world: World) -> None:
    before = Campaign.objects.count()

    response = world.client("analyst").post(_create_url(), campaign_data(action="publish"))

    assert response.status_code == 403
    assert "Analysts can see this brand" in response.content.decode()
    assert Campaign.objects.count() == before


def test_new_campaign_link_only_for_owners_and_managers(world: World) -> None:
    url = _create_url()

    for actor, shown in [("owner", True), ("manager", True), ("analyst", False)]:
        body = world.client(actor).get(reverse("brand-dashboard")).content.decode()
        assert (f'href="{url}"' in body) is shown


# --- Editing -----------------------------------------------------------------------------------


def test_editing_a_draft_saves_the_changes(world: World) -> None:
    url = reverse("brand-campaign-edit", args=["acme", world.draft.slug])
    data = _edit_data(
        world.draft,
        title="Renamed",
        slug="renamed",
        starts_at="2027-01-10T09:00",
        ends_at="2027-02-10T09:00",
        kinds=["video"],
        terms="New terms",
        **{"prizes-0-description": "A bike"},
    )

    response = world.client("manager").post(url, data)

    assert response.status_code == 302
    assert response["Location"] == reverse("brand-campaign-manage", args=["acme", "renamed"])
    campaign = Campaign.objects.get(pk=world.draft.pk)
    assert (campaign.title, campaign.slug) == ("Renamed", "renamed")
    assert campaign.starts_at == datetime(2027, 1, 10, 8, 0, tzinfo=UTC)
    assert campaign.allowed_kinds == ["video"]
    assert [(p.rank, p.description) for p in campaign.prizes.all()] == [(1, "A bike")]
    assert campaign.terms_versions.get().text == "New terms"


def test_the_edit_form_shows_the_dates_in_the_brand_time_zone(world: World) -> None:
    campaign = CampaignFactory(
        brand=world.acme,
        status=Campaign.Status.DRAFT,
        starts_at=datetime(2027, 1, 10, 8, 0, tzinfo=UTC),
        ends_at=datetime(2027, 2, 10, 8, 0, tzinfo=UTC),
    )

    body = (
        world.client("owner")
        .get(reverse("brand-campaign-edit", args=["acme", campaign.slug]))
        .content.decode()
    )

    assert 'value="2027-01-10T09:00"' in body


def test_sending_the_edit_form_back_untouched_changes_nothing(
    world: World, django_assert_num_queries: Any
) -> None:
    campaign = world.draft
    CampaignTerms.objects.create(campaign=campaign, version=1, text="Terms v1")
    before = Campaign.objects.filter(pk=campaign.pk).values().get()

    response = world.client("owner").post(
        reverse("brand-campaign-edit", args=["acme", campaign.slug]),
        _edit_data(campaign, terms="Terms v1"),
    )

    assert response.status_code == 302
    after = Campaign.objects.filter(pk=campaign.pk).values().get()
    assert {k: v for k, v in after.items() if k != "updated_at"} == {
        k: v for k, v in before.items() if k != "updated_at"
    }
    assert campaign.terms_versions.count() == 1


def test_changing_the_terms_adds_a_version_shown_on_the_form(world: World) -> None:
    campaign = world.draft
    CampaignTerms.objects.create(campaign=campaign, version=1, text="Terms v1")
    url = reverse("brand-campaign-edit", args=["acme", campaign.slug])

    assert "Current version: 1" in world.client("owner").get(url).content.decode()
    world.client("owner").post(url, _edit_data(campaign, terms="Terms v2"))

    assert list(campaign.terms_versions.order_by("version").values_list("text", flat=True)) == [
        "Terms v1",
        "Terms v2",
    ]
    assert "Current version: 2" in world.client("owner").get(url).content.decode()


def test_removing_the_terms_is_refused(world: World) -> None:
    campaign = world.draft
    CampaignTerms.objects.create(campaign=campaign, version=1, text="Terms v1")

    response = world.client("owner").post(
        reverse("brand-campaign-edit", args=["acme", campaign.slug]),
        _edit_data(campaign, terms=""),
    )

    assert response.status_code == 400
    assert "Terms cannot be removed once set" in response.content.decode()


def test_an_open_campaign_shows_its_locked_fields_disabled(world: World) -> None:
    body = (
        world.client("owner")
        .get(reverse("brand-campaign-edit", args=["acme", world.open.slug]))
        .content.decode()
    )

    assert "Locked while the campaign is open." in body
    for name in ("slug", "starts_at", "text_max_length", "max_entries_per_participant"):
        field = body.split(f'name="{name}"')[1].split(">")[0]
        assert "disabled" in field, name
    assert "disabled" not in body.split('name="title"')[1].split(">")[0]
    assert "disabled" not in body.split('name="ends_at"')[1].split(">")[0]


def test_an_open_campaign_changes_its_title_and_keeps_its_locked_fields(world: World) -> None:
    campaign = world.open
    # A tampered request: disabled fields are sent anyway, with other values.
    data = _edit_data(
        campaign,
        title="Renamed",
        slug="moved",
        starts_at="2020-01-01T00:00",
        text_max_length="5",
        kinds=["video"],
    )

    response = world.client("owner").post(
        reverse("brand-campaign-edit", args=["acme", campaign.slug]), data
    )

    assert response.status_code == 302
    after = Campaign.objects.get(pk=campaign.pk)
    assert after.title == "Renamed"
    assert (after.slug, after.starts_at, after.text_max_length) == (
        campaign.slug,
        campaign.starts_at,
        campaign.text_max_length,
    )
    assert after.allowed_kinds == campaign.allowed_kinds


def test_a_closed_campaign_is_shown_read_only_and_cannot_be_changed(world: World) -> None:
    url = reverse("brand-campaign-edit", args=["acme", world.closed.slug])

    body = world.client("owner").get(url).content.decode()
    response = world.client("owner").post(url, _edit_data(world.closed, title="Late"))

    assert "This campaign is closed" in body
    assert "Save changes" not in body
    assert "disabled" in body.split('name="title"')[1].split(">")[0]
    assert response.status_code == 409
    assert "This campaign is closed and can no longer be changed." in response.content.decode()
    assert Campaign.objects.get(pk=world.closed.pk).title != "Late"


def test_analyst_sees_the_settings_read_only_and_a_post_is_403(world: World) -> None:
    url = reverse("brand-campaign-edit", args=["acme", world.draft.slug])

    body = world.client("analyst").get(url).content.decode()
    response = world.client("analyst").post(url, _edit_data(world.draft, title="Hacked"))

    assert "Save changes" not in body
    assert "disabled" in body.split('name="title"')[1].split(">")[0]
    assert response.status_code == 403
    assert "Analysts can see this brand" in response.content.decode()
    assert Campaign.objects.get(pk=world.draft.pk).title != "Hacked"


# --- Lifecycle buttons -------------------------------------------------------------------------


def test_publish_button_schedules_a_draft(world: World) -> None:
    response = world.client("manager").post(
        reverse("brand-campaign-publish", args=["acme", world.draft.slug])
    )

    assert response.status_code == 302
    assert Campaign.objects.get(pk=world.draft.pk).phase == Phase.SCHEDULED


def test_back_to_draft_button_unschedules(world: World) -> None:
    world.client("owner").post(
        reverse("brand-campaign-unpublish", args=["acme", world.scheduled.slug])
    )

    assert Campaign.objects.get(pk=world.scheduled.pk).phase == Phase.DRAFT


def test_publishing_a_published_campaign_is_a_409_with_the_message(world: World) -> None:
    response = world.client("owner").post(
        reverse("brand-campaign-publish", args=["acme", world.open.slug])
    )

    assert response.status_code == 409
    assert "This campaign is already published." in response.content.decode()


def test_close_asks_for_confirmation_first(world: World, django_capture_on_commit_callbacks):
    url = reverse("brand-campaign-close", args=["acme", world.open.slug])
    client = world.client("owner")

    page = client.get(url)
    unconfirmed = client.post(url, {})
    assert page.status_code == 200
    assert "Close the campaign now" in page.content.decode()
    assert unconfirmed.status_code == 400
    assert "Tick the box to confirm." in unconfirmed.content.decode()
    assert Campaign.objects.get(pk=world.open.pk).phase == Phase.OPEN

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(url, {"confirm": "on"})

    assert confirmed.status_code == 302
    closed = Campaign.objects.get(pk=world.open.pk)
    assert closed.phase == Phase.CLOSED
    assert closed.closed_at is not None


@pytest.mark.parametrize(
    ("action", "phase", "data"),
    [
        ("publish", "draft", {}),
        ("unpublish", "scheduled", {}),
        ("close", "open", {"confirm": "on"}),
    ],
)
def test_analyst_posts_to_lifecycle_buttons_get_403_and_change_nothing(
    world: World, action: str, phase: str, data: dict[str, str]
) -> None:
    campaign = getattr(world, phase)

    response = world.client("analyst").post(
        reverse(f"brand-campaign-{action}", args=["acme", campaign.slug]), data
    )

    assert response.status_code == 403
    assert "Analysts can see this brand" in response.content.decode()
    assert Campaign.objects.get(pk=campaign.pk).phase == phase


@pytest.mark.parametrize("action", ["publish", "unpublish"])
def test_lifecycle_urls_answer_a_get_by_going_back_to_the_campaign(
    world: World, action: str
) -> None:
    response = world.client("owner").get(
        reverse(f"brand-campaign-{action}", args=["acme", world.draft.slug])
    )

    assert response.status_code == 302
    assert Campaign.objects.get(pk=world.draft.pk).phase == Phase.DRAFT


# --- Dashboard ---------------------------------------------------------------------------------


def test_dashboard_lists_campaigns_with_phase_counts_and_local_dates(world: World) -> None:
    campaign = CampaignFactory(
        brand=world.acme,
        title="Counted",
        starts_at=datetime(2026, 1, 10, 8, 0, tzinfo=UTC),
        ends_at=datetime(2030, 1, 10, 8, 0, tzinfo=UTC),
    )
    states = Submission.State
    for state, count in [
        (states.PENDING, 3),
        (states.APPROVED, 2),
        (states.REJECTED, 1),
        (states.HIDDEN, 4),
    ]:
        SubmissionFactory.create_batch(count, campaign=campaign, state=state)

    body = world.client("analyst").get(reverse("brand-dashboard")).content.decode()

    row = body.split(f'id="campaign-{campaign.pk}-title"')[1].split("</article>")[0]
    assert "badge--phase-open" in row
    assert "09:00</time>" in row
    assert "<dt>Pending</dt><dd>3</dd>" in row
    assert "<dt>Approved</dt><dd>2</dd>" in row
    assert "<dt>Rejected</dt><dd>1</dd>" in row
    assert "<dt>Hidden</dt><dd>4</dd>" in row
    assert reverse("brand-campaign-manage", args=["acme", campaign.slug]) in row
    assert f"/c/{campaign.slug}/" in row
    for phase in ("draft", "scheduled", "open", "closed"):
        assert f"badge--phase-{phase}" in body
    assert world.globex_campaign.title not in body


def test_dashboard_of_someone_without_a_brand_is_a_friendly_empty_state(world: World) -> None:
    response = world.client("participant").get(reverse("brand-dashboard"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "You are not in a brand's team yet." in body
    assert "Acme" not in body
    assert "Globex" not in body


def test_dashboard_needs_a_login(world: World) -> None:
    response = world.client("anonymous").get(reverse("brand-dashboard"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_dashboard_shows_only_the_other_owners_brand(world: World) -> None:
    body = world.client("other_owner").get(reverse("brand-dashboard")).content.decode()

    assert world.globex_campaign.title in body
    assert "Acme" not in body
    for campaign in (world.draft, world.scheduled, world.open, world.closed):
        assert campaign.slug not in body


def _dashboard_queries(user: User) -> int:
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("brand-dashboard"))
    assert response.status_code == 200
    return len(queries)


def test_dashboard_query_count_does_not_grow_with_campaigns() -> None:
    small = MembershipFactory(role=Role.MANAGER)
    large = MembershipFactory(role=Role.MANAGER)
    for membership, count in [(small, 2), (large, 12)]:
        for campaign in CampaignFactory.create_batch(count, brand=membership.brand):
            SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)
    MembershipFactory(user=large.user, role=Role.ANALYST)  # a second brand, no campaigns

    assert _dashboard_queries(small.user) == _dashboard_queries(large.user)


# --- Tenancy: every brand URL x method x actor -------------------------------------------------

ALL_PATTERNS: list[URLPattern] = [*campaign_urls.urlpatterns, *account_urls.urlpatterns]
BRAND_PATTERNS = [p for p in ALL_PATTERNS if "brand_slug" in p.pattern.converters]
# Brand pages whose URL names no brand, each covered by its own tests above or in test_team.
UNSCOPED = {"brand-dashboard", "brand-invitation-accept"}


def _kwargs(world: World, pattern: URLPattern, brand: str = "acme") -> dict[str, Any]:
    if "participant_id" in pattern.pattern.converters:
        # A statement exists for the campaign's participants: give this one a ledger line.
        from sharing.models import PointEvent

        PointEvent.objects.get_or_create(
            key=f"test:{world.draft.pk}",
            defaults={
                "campaign": world.draft,
                "participant": world.users["participant"],
                "kind": PointEvent.Kind.ENTRY,
                "points": 10,
            },
        )
    values = {
        "brand_slug": brand,
        "slug": world.draft.slug,
        "user_id": world.users["manager"].pk,
        "invitation_id": world.invitation.pk,
        "participant_id": world.users["participant"].pk,
    }
    return {name: values[name] for name in pattern.pattern.converters}


def test_every_brand_url_is_in_the_tenancy_matrix() -> None:
    names = {p.name for p in ALL_PATTERNS if p.name and p.name.startswith("brand-")}

    assert names - UNSCOPED == {p.name for p in BRAND_PATTERNS}
    assert len(BRAND_PATTERNS) >= 12


@pytest.mark.parametrize("actor", ["owner", "other_owner", "participant", "anonymous"])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("pattern", BRAND_PATTERNS, ids=lambda p: p.name)
def test_tenancy_matrix(world: World, pattern: URLPattern, method: str, actor: str) -> None:
    url = reverse(pattern.name, kwargs=_kwargs(world, pattern))
    response = getattr(world.client(actor), method)(url)
    # A page that takes no POST says so (405) to every signed-in person alike: nothing leaks.
    owners = response if actor == "owner" else getattr(world.client("owner"), method)(url)
    accepted = owners.status_code != 405

    if actor == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login") + "?next=")
    elif not accepted:
        assert method == "post"
        assert response.status_code == 405
    elif actor == "owner":
        assert response.status_code in ({200, 302} if method == "get" else {200, 302, 400, 409})
    else:
        assert response.status_code == 404
        assert world.draft.title not in response.content.decode()


def test_tenancy_matrix_leaves_acme_untouched_by_outsiders(world: World) -> None:
    for pattern in BRAND_PATTERNS:
        url = reverse(pattern.name, kwargs=_kwargs(world, pattern))
        for actor in ("other_owner", "participant", "anonymous"):
            world.client(actor).post(url, {**campaign_data(), "confirm": "on", "role": "owner"})

    assert Campaign.objects.get(pk=world.draft.pk).status == Campaign.Status.DRAFT
    assert Campaign.objects.filter(brand=world.acme).count() == 4
    assert BrandMembership.objects.filter(brand=world.acme).count() == 3
    assert BrandInvitation.objects.get(pk=world.invitation.pk).revoked_at is None


@pytest.mark.parametrize(
    "pattern", [p for p in BRAND_PATTERNS if "slug" in p.pattern.converters], ids=lambda p: p.name
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_another_brands_campaign_under_your_own_brand_is_404(
    world: World, pattern: URLPattern, method: str
) -> None:
    # The owner of both brands still cannot reach Globex's campaign through Acme's URLs.
    MembershipFactory(brand=world.globex, user=world.users["owner"], role=Role.OWNER)
    kwargs = _kwargs(world, pattern) | {"slug": world.globex_campaign.slug}

    response = getattr(world.client("owner"), method)(reverse(pattern.name, kwargs=kwargs))

    # 405: a page that takes no POST says so before looking anything up.
    assert response.status_code == 404 or (method == "post" and response.status_code == 405)


@pytest.mark.parametrize(
    "pattern",
    [p for p in BRAND_PATTERNS if {"user_id", "invitation_id"} & set(p.pattern.converters)],
    ids=lambda p: p.name,
)
def test_another_brands_member_or_invitation_under_your_own_brand_is_404(
    world: World, pattern: URLPattern
) -> None:
    other = InvitationFactory(brand=world.globex)
    kwargs = _kwargs(world, pattern)
    kwargs |= {
        k: v
        for k, v in {"user_id": world.users["other_owner"].pk, "invitation_id": other.pk}.items()
        if k in kwargs
    }

    response = world.client("owner").post(reverse(pattern.name, kwargs=kwargs), {"role": "owner"})

    assert response.status_code == 404
    assert BrandInvitation.objects.get(pk=other.pk).revoked_at is None
    assert BrandMembership.objects.get(user=world.users["other_owner"]).role == Role.OWNER


def test_an_unknown_brand_is_404_for_everyone_signed_in(world: World) -> None:
    for actor in ("owner", "participant"):
        response = world.client(actor).get(reverse("brand-team", args=["no-such-brand"]))
        assert response.status_code == 404
