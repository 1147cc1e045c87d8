"""Entries through the API: the gallery, entering a campaign, and one entry's page."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.utils import timezone

from campaigns.models import Campaign
from submissions.models import Submission
from tests import hostile, imagefiles
from tests.api.helpers import error_of, photo_file
from tests.factories import (
    CampaignFactory,
    CampaignTermsFactory,
    StaffFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.submissions.helpers import stored_files

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign(brand_a) -> Campaign:
    """Open, post-moderated, taking photos, texts and video links, with no terms."""
    return CampaignFactory(
        brand=brand_a,
        slug="open",
        allow_video=True,
        moderation_mode=Campaign.ModerationMode.POST,
        text_max_length=50,
    )


def _gallery(slug: str = "open") -> str:
    return f"/api/v1/campaigns/{slug}/submissions/"


def _entry(entry_id: int) -> str:
    return f"/api/v1/submissions/{entry_id}/"


def _aged(entry: Submission, minutes: int) -> Submission:
    """Back-date an entry (created_at is set on insert, so a factory cannot)."""
    moment = timezone.now() - timedelta(minutes=minutes)
    Submission.objects.filter(pk=entry.pk).update(created_at=moment)
    return entry


def _assert_nothing_stored() -> None:
    assert not Submission.objects.exists()
    assert stored_files() == []


# --- Gallery ---------------------------------------------------------------------------------


def test_gallery_shows_visible_entries_newest_first(anonymous, campaign) -> None:
    newer = _aged(SubmissionFactory(campaign=campaign), 60)
    older = _aged(SubmissionFactory(campaign=campaign), 120)
    pending = SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)
    SubmissionFactory(campaign=campaign, state=Submission.State.REJECTED)
    SubmissionFactory(campaign=campaign, state=Submission.State.HIDDEN)
    SubmissionFactory()

    response = anonymous.get(_gallery())

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next"}
    assert [row["id"] for row in body["results"]] == [pending.pk, newer.pk, older.pk]
    assert body["next"] is None


def test_gallery_pages_follow_their_next_address(anonymous, campaign) -> None:
    entries = [_aged(SubmissionFactory(campaign=campaign), minutes) for minutes in range(5)]
    seen, url, pages = [], _gallery() + "?page_size=2", 0
    while url:
        body = anonymous.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
        if url:
            assert url.startswith("http://testserver/api/v1/campaigns/open/submissions/?")
            assert "page_size=2" in url

    assert seen == [entry.pk for entry in entries]
    assert pages == 3


def test_gallery_most_liked_first(anonymous, campaign) -> None:
    few = SubmissionFactory(campaign=campaign, like_count=1)
    many = SubmissionFactory(campaign=campaign, like_count=9)

    rows = anonymous.get(_gallery(), {"order": "most_liked"}).json()["results"]

    assert [row["id"] for row in rows] == [many.pk, few.pk]


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"cursor": "not-a-cursor"}, "invalid_cursor", None),
        ({"order": "oldest"}, "invalid", "order"),
        ({"page_size": "0"}, "invalid", "page_size"),
        ({"page_size": "101"}, "invalid", "page_size"),
        ({"page_size": "lots"}, "invalid", "page_size"),
    ],
    ids=["bad-cursor", "bad-order", "page-size-zero", "page-size-too-big", "page-size-word"],
)
def test_gallery_refuses_bad_queries(anonymous, campaign, query, code, field) -> None:
    error = error_of(anonymous.get(_gallery(), query), 400, code)

    if field:
        assert error["fields"][field]


def test_a_cursor_of_the_other_order_is_refused(anonymous, campaign) -> None:
    SubmissionFactory.create_batch(3, campaign=campaign)
    next_url = anonymous.get(_gallery(), {"page_size": 1}).json()["next"]
    cursor = next_url.split("cursor=")[1].split("&")[0]

    response = anonymous.get(_gallery(), {"cursor": cursor, "order": "most_liked"})

    error_of(response, 400, "invalid_cursor")


def test_bad_cursor_in_italian(client_for, campaign) -> None:
    response = client_for(None, language="it").get(_gallery(), {"cursor": "x"})

    error = error_of(response, 400, "invalid_cursor")
    assert error["message"] == (
        "Questo link di pagina non è più valido: ricomincia dalla prima pagina."
    )


def test_gallery_of_a_draft_is_a_404_for_the_public(anonymous, participant, client_for) -> None:
    draft = CampaignFactory(status=Campaign.Status.DRAFT)

    error_of(anonymous.get(_gallery(draft.slug)), 404, "not_found")
    error_of(client_for(participant).get(_gallery(draft.slug)), 404, "not_found")


# --- Representation --------------------------------------------------------------------------


def test_text_entry_representation(anonymous, campaign) -> None:
    author = UserFactory(display_name="Ada", email="ada@example.com")
    entry = SubmissionFactory(campaign=campaign, author=author, caption="Hi", text="Story")

    response = anonymous.get(_entry(entry.pk))

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "id": entry.pk,
        "campaign": "open",
        "kind": "text",
        "caption": "Hi",
        "text": "Story",
        "video": None,
        "image": None,
        "author": {"id": author.pk, "display_name": "Ada"},
        "state": None,
        "like_count": 0,
        "comment_count": 0,
        "created_at": body["created_at"],
    }
    assert body["created_at"].endswith("Z")
    assert "ada@example.com" not in response.content.decode()


def test_author_without_a_name_is_shown_by_number(anonymous, campaign) -> None:
    author = UserFactory(display_name="", email="secret@example.com")
    entry = SubmissionFactory(campaign=campaign, author=author)

    response = anonymous.get(_entry(entry.pk))

    assert response.json()["author"]["display_name"] == f"Participant #{author.pk}"
    assert "secret@example.com" not in response.content.decode()


def test_photo_entry_has_clean_image_and_thumbnails(
    client_for, participant, campaign, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(participant).post(
            _gallery(),
            {"kind": "photo", "caption": "Sunset", "image": photo_file(hostile.gps_jpeg())},
            format="multipart",
        )
    assert response.status_code == 201
    created = response.json()
    assert created["state"] == "pending"

    body = client_for(None).get(_entry(created["id"])).json()

    image = body["image"]
    assert image["url"].startswith("http://testserver/media/submissions/")
    assert image["width"] > 0
    assert image["height"] > 0
    assert set(image["thumbnails"]) == {"small", "medium", "large"}
    assert all(url.startswith("http://testserver/") for url in image["thumbnails"].values())
    entry = Submission.objects.get()
    assert not imagefiles.has_metadata(Path(settings.MEDIA_ROOT, entry.image.name).read_bytes())


def test_photo_entry_before_its_thumbnails_are_made(client_for, participant, campaign) -> None:
    response = client_for(participant).post(
        _gallery(), {"kind": "photo", "image": photo_file()}, format="multipart"
    )

    assert response.json()["image"]["thumbnails"] == {"small": None, "medium": None, "large": None}


def test_video_entry_has_a_privacy_friendly_embed(client_for, participant, campaign) -> None:
    response = client_for(participant).post(
        _gallery(),
        {"kind": "video", "video_url": "https://youtu.be/dQw4w9WgXcQ?si=tracking"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["video"] == {
        "provider": "youtube",
        "id": "dQw4w9WgXcQ",
        "url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "embed_url": "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
    }


# --- Entering --------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["token", "session"])
def test_participant_enters_a_text(client_for, participant, campaign, how) -> None:
    CampaignTermsFactory(campaign=campaign, version=1)

    response = client_for(participant, how=how).post(
        _gallery(),
        {"kind": "text", "text": "  My summer  ", "accept_terms": True},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "pending"
    assert body["text"] == "My summer"
    assert body["author"]["id"] == participant.pk
    entry = Submission.objects.get()
    assert entry.terms.version == 1
    assert entry.terms_accepted_at is not None


def test_terms_accepted_through_a_multipart_checkbox(client_for, participant, campaign) -> None:
    CampaignTermsFactory(campaign=campaign, version=1)

    response = client_for(participant).post(
        _gallery(),
        {"kind": "photo", "image": photo_file(), "accept_terms": "on"},
        format="multipart",
    )

    assert response.status_code == 201


def _closed(campaign: Campaign) -> None:
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now - timedelta(days=9), ends_at=now - timedelta(seconds=1)
    )


def _scheduled(campaign: Campaign) -> None:
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now + timedelta(days=1), ends_at=now + timedelta(days=9)
    )


def _with_terms(campaign: Campaign) -> None:
    CampaignTermsFactory(campaign=campaign, version=1)


def _no_video(campaign: Campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(allow_video=False)


def _photo(**extra: Any) -> dict[str, Any]:
    return {"kind": "photo", "image": photo_file(), **extra}


REFUSALS = [
    # id, prepare the campaign, body, multipart?, status, code, field
    ("closed", _closed, {"kind": "text", "text": "Hi"}, False, 400, "campaign_not_open", None),
    ("scheduled", _scheduled, {"kind": "text", "text": "Hi"}, False, 400, "campaign_not_open",
     None),
    ("no-terms", _with_terms, {"kind": "text", "text": "Hi"}, False, 400, "terms_required",
     "accept_terms"),
    ("terms-false", _with_terms, {"kind": "text", "text": "Hi", "accept_terms": False}, False,
     400, "terms_required", "accept_terms"),
    ("kind-not-taken", _no_video, {"kind": "video", "video_url": "https://youtu.be/dQw4w9WgXcQ"},
     False, 400, "kind_not_allowed", "kind"),
    ("unknown-kind", None, {"kind": "poem", "text": "Hi"}, False, 400, "invalid", "kind"),
    ("no-kind", None, {"text": "Hi"}, False, 400, "invalid", "kind"),
    ("photo-without-photo", None, {"kind": "photo"}, True, 400, "missing_content", "image"),
    ("text-without-text", None, {"kind": "text", "text": "   "}, False, 400, "missing_content",
     "text"),
    ("text-with-a-photo", None, {"kind": "text", "text": "Hi", "image": None}, True, 400,
     "mixed_content", None),
    ("text-too-long", None, {"kind": "text", "text": "x" * 51}, False, 400, "text_too_long",
     "text"),
    ("caption-too-long", None, {"kind": "text", "text": "Hi", "caption": "x" * 281}, False, 400,
     "caption_too_long", "caption"),
    ("unsupported-video-host", None, {"kind": "video", "video_url": "https://example.com/v/1"},
     False, 400, "unsupported_video", "video_url"),
    ("video-over-http", None, {"kind": "video", "video_url": "http://youtu.be/dQw4w9WgXcQ"},
     False, 400, "unsupported_video", "video_url"),
    ("self-approval", None, {"kind": "text", "text": "Hi", "state": "approved"}, False, 400,
     "invalid", "state"),
    ("image-not-a-file", None, {"kind": "photo", "image": "photo.jpg"}, False, 400, "invalid",
     "image"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("prepare", "body", "multipart", "status", "code", "field"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
def test_entry_refusals_store_nothing(
    client_for, participant, campaign, prepare, body, multipart, status, code, field
) -> None:
    if prepare:
        prepare(campaign)
    if "image" in body and body["image"] is None:
        body = {**body, "image": photo_file()}

    response = client_for(participant).post(
        _gallery(), body, format="multipart" if multipart else "json"
    )

    error = error_of(response, status, code)
    if field:
        assert error["fields"][field]
    _assert_nothing_stored()


def test_entry_limit(client_for, participant, campaign) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(max_entries_per_participant=1)
    SubmissionFactory(campaign=campaign, author=participant)

    response = client_for(participant).post(_gallery(), {"kind": "text", "text": "Hi"})

    error_of(response, 400, "entry_limit")
    assert Submission.objects.count() == 1


def test_anonymous_cannot_enter(anonymous, campaign) -> None:
    error_of(anonymous.post(_gallery(), _photo(), format="multipart"), 401, "not_authenticated")
    _assert_nothing_stored()


def test_unverified_cannot_enter(client_for, campaign) -> None:
    response = client_for(UserFactory(verified=False)).post(
        _gallery(), _photo(), format="multipart"
    )

    error_of(response, 403, "email_unverified")
    _assert_nothing_stored()


def test_draft_takes_no_entries_and_is_not_shown(client_for, participant) -> None:
    draft = CampaignFactory(status=Campaign.Status.DRAFT)

    response = client_for(participant).post(_gallery(draft.slug), {"kind": "text", "text": "Hi"})

    error_of(response, 404, "not_found")
    _assert_nothing_stored()


def test_entry_body_that_is_not_json(client_for, participant, campaign) -> None:
    response = client_for(participant).post(
        _gallery(), "{kind: text", content_type="application/json"
    )

    error_of(response, 400, "parse_error")
    _assert_nothing_stored()


@pytest.mark.parametrize("case", hostile.HOSTILE, ids=[case.id for case in hostile.HOSTILE])
def test_hostile_photo_is_refused_and_nothing_stored(client_for, participant, campaign, case):
    response = client_for(participant).post(
        _gallery(),
        {"kind": "photo", "image": photo_file(case.data(), name=case.name)},
        format="multipart",
    )

    error_of(response, 400, case.code)
    _assert_nothing_stored()


@pytest.mark.parametrize(
    "extra_bytes",
    [1, 3 * 1024 * 1024],
    ids=["just-over-counted-while-parsing", "far-over-by-content-length"],
)
def test_photo_over_the_size_limit_is_dropped_unread(
    client_for, participant, campaign, settings, extra_bytes
) -> None:
    settings.PASSAPAROLA_IMAGE_MAX_BYTES = 1024 * 1024
    jpeg = imagefiles.jpeg_bytes()
    data = jpeg + b"\x00" * (1024 * 1024 - len(jpeg) + extra_bytes)

    with mock.patch("submissions.services.image_clean") as image_clean:
        response = client_for(participant).post(
            _gallery(), {"kind": "photo", "image": photo_file(data)}, format="multipart"
        )

    error = error_of(response, 400, "file_too_large")
    assert "1 MB" in error["message"]
    # Refused by the upload guard, before any service saw (or any decoder read) the bytes.
    image_clean.assert_not_called()
    _assert_nothing_stored()


def test_refusals_in_italian(client_for, participant, campaign) -> None:
    _with_terms(campaign)
    client = client_for(participant, language="it")

    missing = error_of(client.post(_gallery(), {"text": "Hi"}, format="json"), 400, "invalid")
    terms = error_of(
        client.post(_gallery(), {"kind": "text", "text": "Hi"}, format="json"),
        400,
        "terms_required",
    )

    assert missing["fields"]["kind"] == ["Campo obbligatorio."]
    assert terms["message"] == "Accetta il regolamento della campagna per partecipare."
    _assert_nothing_stored()


# --- One entry -------------------------------------------------------------------------------


@pytest.fixture
def pending_pre(brand_a, participant) -> Submission:
    campaign = CampaignFactory(brand=brand_a, moderation_mode=Campaign.ModerationMode.PRE)
    return SubmissionFactory(campaign=campaign, author=participant, state=Submission.State.PENDING)


def test_author_sees_their_pending_entry_and_its_state(client_for, participant, pending_pre):
    response = client_for(participant).get(_entry(pending_pre.pk))

    assert response.status_code == 200
    assert response.json()["state"] == "pending"


def test_staff_see_any_entry_with_its_state(client_for, pending_pre) -> None:
    response = client_for(StaffFactory()).get(_entry(pending_pre.pk))

    assert response.json()["state"] == "pending"


@pytest.mark.parametrize("viewer", ["someone", "owner_a", None])
def test_others_get_a_404_for_an_entry_not_public(client_for, pending_pre, viewer, request):
    user = (
        UserFactory()
        if viewer == "someone"
        else request.getfixturevalue(viewer)
        if viewer
        else None
    )

    error_of(client_for(user).get(_entry(pending_pre.pk)), 404, "not_found")


def test_state_is_not_shown_to_others(client_for, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign)

    assert client_for(UserFactory()).get(_entry(entry.pk)).json()["state"] is None


def test_rejected_entry_shows_its_author_why_not(client_for, participant, campaign) -> None:
    entry = SubmissionFactory(
        campaign=campaign, author=participant, state=Submission.State.REJECTED
    )

    assert client_for(participant).get(_entry(entry.pk)).json()["state"] == "rejected"
    error_of(client_for(None).get(_entry(entry.pk)), 404, "not_found")


def test_unknown_entry_is_a_404(anonymous) -> None:
    error_of(anonymous.get(_entry(999_999)), 404, "not_found")


def test_no_answer_ever_carries_an_email(client_for, participant, campaign) -> None:
    entry = SubmissionFactory(campaign=campaign, author=participant)
    client = client_for(participant)

    bodies = [
        client.get(_entry(entry.pk)).content,
        client.get(_gallery()).content,
        client.post(_gallery(), {"kind": "text", "text": "Again"}, format="json").content,
    ]

    assert all(participant.email.encode() not in body for body in bodies)
    assert all("@" not in json.dumps(json.loads(body)) for body in bodies)
