"""Campaigns through the API: the public page, and brand members creating and running them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns import services
from campaigns.api import CampaignUpdateSerializer
from campaigns.models import Campaign, CampaignTerms, Prize
from submissions.models import Submission
from tests import hostile, imagefiles
from tests.api.helpers import error_of, photo_file
from tests.factories import CampaignFactory, CampaignTermsFactory, SubmissionFactory
from tests.submissions.helpers import stored_files

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/api/v1/campaigns/"


def _iso(moment) -> str:
    return moment.isoformat()


def campaign_body(**overrides: Any) -> dict[str, Any]:
    now = timezone.now()
    body = {
        "brand": "brand-a",
        "title": "Summer stories",
        "slug": "summer-stories",
        "starts_at": _iso(now + timedelta(days=1)),
        "ends_at": _iso(now + timedelta(days=10)),
        "brief": "Tell us about your summer.",
        "rules": "**Be kind.**",
        "hashtag": "#summer",
        "allow_video": True,
        "text_max_length": 500,
        "max_entries_per_participant": 2,
        "moderation_mode": "post",
        "prizes": [{"rank": 2, "description": "A hat"}, {"rank": 1, "description": "A bike"}],
        "terms": "Your entry is your own work.",
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not None}


def _detail(slug: str) -> str:
    return f"{CAMPAIGNS}{slug}/"


@pytest.fixture
def draft_a(brand_a) -> Campaign:
    now = timezone.now()
    return CampaignFactory(
        brand=brand_a,
        title="Secret launch",
        slug="secret-launch",
        status=Campaign.Status.DRAFT,
        starts_at=now + timedelta(days=2),
        ends_at=now + timedelta(days=9),
    )


@pytest.fixture
def open_a(brand_a) -> Campaign:
    return CampaignFactory(brand=brand_a, slug="open-a", allow_video=False)


# --- Reading ---------------------------------------------------------------------------------


def test_published_campaign_page_for_anyone(anonymous, brand_a) -> None:
    campaign = CampaignFactory(
        brand=brand_a,
        slug="spring",
        rules="Be *original*.",
        rules_html="<p>Be <em>original</em>.</p>",
        moderation_mode=Campaign.ModerationMode.POST,
        allow_video=True,
        text_max_length=400,
        max_entries_per_participant=5,
    )
    Prize.objects.create(campaign=campaign, rank=1, description="A bike")
    CampaignTermsFactory(campaign=campaign, version=1, text="Old terms")
    CampaignTermsFactory(campaign=campaign, version=2, text="New terms")
    SubmissionFactory.create_batch(2, campaign=campaign)
    SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)

    response = anonymous.get(_detail("spring"))

    assert response.status_code == 200
    body = response.json()
    assert body["slug"] == "spring"
    assert body["brand"] == {"slug": "brand-a", "name": "Brand A", "time_zone": "America/New_York"}
    assert body["time_zone"] == "America/New_York"
    assert body["rules_html"] == "<p>Be <em>original</em>.</p>"
    assert body["prizes"] == [{"rank": 1, "description": "A bike"}]
    assert body["terms"] == {"version": 2, "text": "New terms"}
    assert body["allowed_kinds"] == ["photo", "text", "video"]
    assert body["text_max_length"] == 400
    assert body["max_entries_per_participant"] == 5
    assert body["moderation_mode"] == "post"
    assert body["phase"] == "open"
    assert body["entry_count"] == 2
    assert body["cover"] is None
    assert body["starts_at"].endswith("Z")
    assert body["ends_at"].endswith("Z")


def test_campaign_without_terms_has_null_terms(anonymous, open_a) -> None:
    assert anonymous.get(_detail(open_a.slug)).json()["terms"] is None


@pytest.mark.parametrize("member", ["owner_a", "manager_a", "analyst_a"])
def test_members_preview_their_draft(client_for, draft_a, member, request) -> None:
    response = client_for(request.getfixturevalue(member)).get(_detail(draft_a.slug))

    assert response.status_code == 200
    assert response.json()["phase"] == "draft"


def test_unknown_campaign_is_a_404(anonymous) -> None:
    error_of(anonymous.get(_detail("nothing-here")), 404, "not_found")


def test_public_list_never_shows_drafts_even_to_members(client_for, owner_a, draft_a) -> None:
    rows = client_for(owner_a).get(CAMPAIGNS).json()

    assert draft_a.slug not in {row["slug"] for row in rows}


# --- Creating --------------------------------------------------------------------------------


def test_owner_creates_a_draft_with_every_setting(client_for, owner_a) -> None:
    response = client_for(owner_a).post(CAMPAIGNS, campaign_body(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "summer-stories"
    assert body["phase"] == "draft"
    assert body["hashtag"] == "summer"
    assert body["rules_html"].startswith("<p><strong>Be kind.</strong>")
    assert body["allowed_kinds"] == ["photo", "text", "video"]
    assert body["moderation_mode"] == "post"
    assert body["prizes"] == [
        {"rank": 1, "description": "A bike"},
        {"rank": 2, "description": "A hat"},
    ]
    assert body["terms"] == {"version": 1, "text": "Your entry is your own work."}
    assert body["entry_count"] == 0
    campaign = Campaign.objects.get(slug="summer-stories")
    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.created_by == owner_a


def test_manager_creates_and_publishes_with_a_session(client_for, manager_a) -> None:
    response = client_for(manager_a, how="session").post(
        CAMPAIGNS, campaign_body(publish=True), format="json"
    )

    assert response.status_code == 201
    assert response.json()["phase"] == "scheduled"
    assert Campaign.objects.get().status == Campaign.Status.PUBLISHED


def test_create_by_multipart_with_a_cover_stores_it_clean(client_for, owner_a) -> None:
    body = campaign_body(prizes=None, allow_video=None)
    body |= {
        "prizes[0]rank": "1",
        "prizes[0]description": "A bike",
        "cover": photo_file(hostile.gps_jpeg(), name="cover.jpg"),
    }

    response = client_for(owner_a).post(CAMPAIGNS, body, format="multipart")

    assert response.status_code == 201
    data = response.json()
    assert data["cover"].startswith("http://testserver/")
    assert data["cover_width"] > 0
    assert data["prizes"] == [{"rank": 1, "description": "A bike"}]
    # Booleans left out of a multipart body keep their defaults, not False.
    assert data["allowed_kinds"] == ["photo", "text"]
    campaign = Campaign.objects.get()
    stored = Path(settings.MEDIA_ROOT, campaign.cover.name).read_bytes()
    assert not imagefiles.has_metadata(stored)


@pytest.mark.parametrize(
    ("actor", "status", "code"),
    [
        ("analyst_a", 403, "role_insufficient"),
        ("owner_b", 404, "not_found"),
        ("participant", 404, "not_found"),
        (None, 401, "not_authenticated"),
    ],
    ids=["analyst", "other-brand", "participant", "anonymous"],
)
def test_only_owners_and_managers_create(client_for, brand_a, actor, status, code, request) -> None:
    user = request.getfixturevalue(actor) if actor else None

    response = client_for(user).post(CAMPAIGNS, campaign_body(), format="json")

    error_of(response, status, code)
    assert not Campaign.objects.exists()


def test_analyst_refusal_says_why(client_for, analyst_a) -> None:
    error = error_of(client_for(analyst_a).post(CAMPAIGNS, campaign_body(), format="json"), 403)

    assert "Analysts" in error["message"]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": None}, "invalid", "title"),
        ({"title": ""}, "invalid", "title"),
        ({"brand": None}, "invalid", "brand"),
        ({"slug": "Not a slug"}, "invalid", "slug"),
        ({"starts_at": "tomorrow"}, "invalid", "starts_at"),
        ({"ends_at": _iso(timezone.now())}, "invalid", "ends_at"),
        ({"text_max_length": 0}, "invalid", "text_max_length"),
        ({"text_max_length": "many"}, "invalid", "text_max_length"),
        ({"max_entries_per_participant": 0}, "invalid", "max_entries_per_participant"),
        ({"moderation_mode": "later"}, "invalid", "moderation_mode"),
        ({"allow_photo": False, "allow_text": False, "allow_video": False}, "invalid", None),
        (
            {"prizes": [{"rank": 1, "description": "A"}, {"rank": 1, "description": "B"}]},
            "invalid",
            "prizes",
        ),
        ({"prizes": [{"rank": 0, "description": "A"}]}, "invalid", "prizes"),
        ({"prizes": "a bike"}, "invalid", "prizes"),
        ({"status": "published"}, "invalid", "status"),
        ({"created_by": 1}, "invalid", "created_by"),
        (
            {
                "publish": True,
                "starts_at": _iso(timezone.now() - timedelta(days=9)),
                "ends_at": _iso(timezone.now() - timedelta(days=1)),
            },
            "ends_in_past",
            "ends_at",
        ),
    ],
    ids=[
        "no-title",
        "blank-title",
        "no-brand",
        "bad-slug",
        "bad-date",
        "ends-before-start",
        "text-limit-zero",
        "text-limit-not-a-number",
        "entry-limit-zero",
        "unknown-moderation",
        "no-entry-kind",
        "duplicate-prize-rank",
        "prize-rank-zero",
        "prizes-not-a-list",
        "status-is-not-an-input",
        "created-by-is-not-an-input",
        "publish-already-over",
    ],
)
def test_create_refuses_bad_input_and_stores_nothing(
    client_for, owner_a, overrides, code, field
) -> None:
    response = client_for(owner_a).post(CAMPAIGNS, campaign_body(**overrides), format="json")

    error = error_of(response, 400, code)
    if field is not None:
        assert error["fields"][field]
    assert not Campaign.objects.exists()
    assert not CampaignTerms.objects.exists()


def test_create_with_a_taken_slug(client_for, owner_a) -> None:
    CampaignFactory(slug="summer-stories")

    response = client_for(owner_a).post(CAMPAIGNS, campaign_body(), format="json")

    assert error_of(response, 400, "slug_taken")["fields"]["slug"]
    assert Campaign.objects.count() == 1


def test_create_refuses_a_body_that_is_not_json(client_for, owner_a) -> None:
    response = client_for(owner_a).post(CAMPAIGNS, "{nope", content_type="application/json")

    error_of(response, 400, "parse_error")


@pytest.mark.parametrize(
    "case",
    [case for case in hostile.HOSTILE if case.id in {"html-named-jpg", "truncated-jpeg"}],
    ids=lambda case: case.id,
)
def test_hostile_cover_is_refused_and_nothing_stored(client_for, owner_a, case) -> None:
    body = campaign_body(prizes=None) | {"cover": photo_file(case.data(), name=case.name)}

    response = client_for(owner_a).post(CAMPAIGNS, body, format="multipart")

    error_of(response, 400, case.code)
    assert not Campaign.objects.exists()
    assert stored_files() == []


def test_cover_over_the_size_limit_is_dropped_unread(client_for, owner_a, settings) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_BYTES = 1024 * 1024
    big = imagefiles.jpeg_bytes() + b"\x00" * (2 * 1024 * 1024)
    body = campaign_body(prizes=None) | {"cover": photo_file(big)}

    response = client_for(owner_a).post(CAMPAIGNS, body, format="multipart")

    error_of(response, 400, "file_too_large")
    assert not Campaign.objects.exists()
    assert stored_files() == []


def test_validation_errors_in_italian(client_for, owner_a) -> None:
    response = client_for(owner_a, language="it").post(
        CAMPAIGNS, campaign_body(title=None), format="json"
    )

    error = error_of(response, 400, "invalid")
    assert error["message"] == "Alcuni dei dati inviati non sono validi."
    assert error["fields"]["title"] == ["Campo obbligatorio."]


# --- Changing --------------------------------------------------------------------------------


def test_owner_changes_a_draft(client_for, owner_a, draft_a) -> None:
    CampaignTermsFactory(campaign=draft_a, version=1, text="First terms")
    body = {
        "title": "Renamed",
        "allow_video": True,
        "moderation_mode": "post",
        "prizes": [{"rank": 1, "description": "A boat"}],
        "terms": "Second terms",
    }

    response = client_for(owner_a).patch(_detail(draft_a.slug), body, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["title"] == "Renamed"
    assert data["allowed_kinds"] == ["photo", "text", "video"]
    assert data["prizes"] == [{"rank": 1, "description": "A boat"}]
    assert data["terms"] == {"version": 2, "text": "Second terms"}
    draft_a.refresh_from_db()
    assert draft_a.title == "Renamed"
    assert draft_a.moderation_mode == "post"


def test_a_new_slug_moves_the_campaign(client_for, owner_a, draft_a) -> None:
    client = client_for(owner_a)

    response = client.patch(_detail(draft_a.slug), {"slug": "winter-launch"}, format="json")

    assert response.json()["slug"] == "winter-launch"
    assert client.get(_detail("winter-launch")).status_code == 200
    error_of(client.get(_detail(draft_a.slug)), 404, "not_found")


def test_a_reserved_slug_is_refused(client_for, owner_a, draft_a) -> None:
    response = client_for(owner_a).patch(_detail(draft_a.slug), {"slug": "new"}, format="json")

    assert error_of(response, 400, "slug_reserved")["fields"]["slug"]


def test_open_campaign_changes_its_words(client_for, owner_a, open_a) -> None:
    SubmissionFactory.create_batch(2, campaign=open_a)
    response = client_for(owner_a).patch(
        _detail(open_a.slug), {"title": "Better title", "allow_video": False}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Better title"
    assert response.json()["entry_count"] == 2


def test_open_campaign_keeps_its_entry_rules(client_for, owner_a, open_a) -> None:
    response = client_for(owner_a).patch(
        _detail(open_a.slug),
        {"title": "Sneaky", "allow_video": True, "max_entries_per_participant": 50},
        format="json",
    )

    error = error_of(response, 409, "campaign_open_locked")
    assert set(error["fields"]) == {"allow_video", "max_entries_per_participant"}
    open_a.refresh_from_db()
    assert open_a.title != "Sneaky"
    assert open_a.allow_video is False


def test_closed_campaign_no_longer_changes(client_for, owner_a, brand_a) -> None:
    now = timezone.now()
    closed = CampaignFactory(
        brand=brand_a, starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=1)
    )

    response = client_for(owner_a).patch(_detail(closed.slug), {"title": "X"}, format="json")

    error_of(response, 409, "campaign_closed")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "published"}, "status"),
        ({"brand": "brand-b"}, "brand"),
        ({"title": ""}, "title"),
        ({"ends_at": "soon"}, "ends_at"),
        ({"text_max_length": 9999}, "text_max_length"),
    ],
    ids=["status", "brand", "blank-title", "bad-date", "text-limit-too-high"],
)
def test_change_refuses_bad_input(client_for, owner_a, draft_a, body, field) -> None:
    response = client_for(owner_a).patch(_detail(draft_a.slug), body, format="json")

    error = error_of(response, 400, "invalid")
    assert error["fields"][field]
    draft_a.refresh_from_db()
    assert draft_a.status == Campaign.Status.DRAFT
    assert draft_a.title == "Secret launch"


def test_change_a_cover_by_multipart(client_for, owner_a, draft_a) -> None:
    response = client_for(owner_a).patch(
        _detail(draft_a.slug), {"cover": photo_file()}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json()["cover"]
    draft_a.refresh_from_db()
    # Left out of the multipart body: unchanged, not False.
    assert draft_a.allow_photo is True


@pytest.mark.parametrize(
    ("actor", "status", "code"),
    [
        ("analyst_a", 403, "role_insufficient"),
        ("owner_b", 404, "not_found"),
        ("participant", 404, "not_found"),
        (None, 401, "not_authenticated"),
    ],
    ids=["analyst", "other-brand", "participant", "anonymous"],
)
def test_only_owners_and_managers_change_a_published_campaign(
    client_for, open_a, actor, status, code, request
) -> None:
    user = request.getfixturevalue(actor) if actor else None

    response = client_for(user).patch(_detail(open_a.slug), {"title": "Mine"}, format="json")

    error_of(response, status, code)
    open_a.refresh_from_db()
    assert open_a.title != "Mine"


def test_the_api_takes_exactly_the_settings_the_service_changes() -> None:
    assert set(CampaignUpdateSerializer().fields) == services.EDITABLE_FIELDS


# --- Lifecycle -------------------------------------------------------------------------------


def _action(client, campaign: Campaign, action: str):
    return client.post(f"{_detail(campaign.slug)}{action}/")


def test_publish_unpublish_and_close(client_for, owner_a, draft_a) -> None:
    client = client_for(owner_a)

    assert _action(client, draft_a, "publish").json()["phase"] == "scheduled"
    assert _action(client, draft_a, "unpublish").json()["phase"] == "draft"

    Campaign.objects.filter(pk=draft_a.pk).update(starts_at=timezone.now() - timedelta(hours=1))
    assert _action(client, draft_a, "publish").json()["phase"] == "open"
    closed = _action(client, draft_a, "close")
    assert closed.status_code == 200
    assert closed.json()["phase"] == "closed"


@pytest.mark.parametrize(
    ("status", "action", "code"),
    [
        (Campaign.Status.PUBLISHED, "publish", "already_published"),
        (Campaign.Status.PUBLISHED, "unpublish", "not_scheduled"),
        (Campaign.Status.DRAFT, "close", "not_open"),
    ],
)
def test_lifecycle_conflicts(client_for, owner_a, brand_a, status, action, code) -> None:
    campaign = CampaignFactory(brand=brand_a, status=status)

    error_of(_action(client_for(owner_a), campaign, action), 409, code)


def test_publishing_what_is_already_over(client_for, owner_a, brand_a) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        brand=brand_a,
        status=Campaign.Status.DRAFT,
        starts_at=now - timedelta(days=9),
        ends_at=now - timedelta(days=1),
    )

    error_of(_action(client_for(owner_a), campaign, "publish"), 400, "ends_in_past")
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.parametrize("action", ["publish", "unpublish", "close"])
def test_analysts_do_not_run_the_lifecycle(client_for, analyst_a, draft_a, action) -> None:
    error_of(_action(client_for(analyst_a), draft_a, action), 403, "role_insufficient")
    draft_a.refresh_from_db()
    assert draft_a.status == Campaign.Status.DRAFT


@pytest.mark.parametrize("action", ["publish", "unpublish", "close"])
def test_other_brands_cannot_touch_a_published_campaign(
    client_for, owner_b, participant, open_a, action
) -> None:
    for user in (owner_b, participant):
        error_of(_action(client_for(user), open_a, action), 404, "not_found")
    open_a.refresh_from_db()
    assert open_a.phase == Campaign.Phase.OPEN


# --- A brand's own listing -------------------------------------------------------------------


def test_brand_listing_shows_drafts_and_counts_to_members(
    client_for, analyst_a, draft_a, open_a, brand_b
) -> None:
    CampaignFactory(brand=brand_b, title="Not theirs")
    SubmissionFactory(campaign=open_a, state=Submission.State.PENDING)
    SubmissionFactory.create_batch(2, campaign=open_a, state=Submission.State.APPROVED)

    response = client_for(analyst_a).get("/api/v1/brands/brand-a/campaigns/")

    assert response.status_code == 200
    rows = {row["slug"]: row for row in response.json()}
    assert set(rows) == {draft_a.slug, open_a.slug}
    assert rows[draft_a.slug]["status"] == "draft"
    assert rows[draft_a.slug]["phase"] == "draft"
    assert rows[open_a.slug]["pending_count"] == 1
    assert rows[open_a.slug]["approved_count"] == 2


def test_brand_listing_of_another_brand_is_a_404(client_for, owner_a, owner_b, draft_a) -> None:
    error_of(client_for(owner_b).get("/api/v1/brands/brand-a/campaigns/"), 404, "not_found")


def test_campaign_not_open_in_italian(client_for, participant, draft_a, owner_a) -> None:
    response = client_for(owner_a, language="it").post(
        f"{_detail(draft_a.slug)}submissions/", {"kind": "text", "text": "Hi"}, format="json"
    )

    error = error_of(response, 400, "campaign_not_open")
    assert error["message"] == "Questa campagna non è aperta ai contributi."
