"""submission_create: who may enter what, when; every refusal names itself and stores nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from campaigns.models import Campaign
from core.exceptions import ApplicationError, PermissionDenied
from submissions.models import Submission
from submissions.services import submission_create
from tests import imagefiles
from tests.factories import (
    CampaignFactory,
    CampaignTermsFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
)
from tests.submissions.helpers import photo, stored_files

pytestmark = pytest.mark.django_db


def _refusal(**kwargs: object) -> ApplicationError:
    with pytest.raises(ApplicationError) as excinfo:
        submission_create(**kwargs)
    assert str(excinfo.value.message)
    return excinfo.value


def _assert_nothing_stored() -> None:
    assert Submission.objects.count() == 0
    assert stored_files() == []


# --- Accepted --------------------------------------------------------------------------------


def test_photo_entry_is_stored_re_encoded_and_pending(campaign, participant) -> None:
    submission = submission_create(
        campaign=campaign, author=participant, kind="photo", image=photo(), caption=" Hi "
    )

    assert submission.state == Submission.State.PENDING
    assert submission.caption == "Hi"
    assert (submission.image_width, submission.image_height) == (64, 48)
    assert submission.image.name.startswith(f"submissions/{campaign.pk}/")
    with Image.open(submission.image.path) as stored:
        assert stored.format == "JPEG"
        assert len(stored.getexif()) == 0
    assert stored_files() == [submission.image.name]


def test_text_entry_is_stored(campaign, participant) -> None:
    submission = submission_create(
        campaign=campaign, author=participant, kind="text", text="  My story.  "
    )

    assert submission.text == "My story."
    assert not submission.image


def test_video_entry_keeps_host_id_and_plain_address(campaign, participant) -> None:
    submission = submission_create(
        campaign=campaign,
        author=participant,
        kind="video",
        video_url="https://youtu.be/dQw4w9WgXcQ?si=tracking",
    )

    assert submission.video_provider == Submission.VideoProvider.YOUTUBE
    assert submission.video_id == "dQw4w9WgXcQ"
    assert submission.video_url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def test_photo_thumbnails_are_made_after_commit(
    campaign, participant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = submission_create(
            campaign=campaign, author=participant, kind="photo", image=photo()
        )

    assert len(callbacks) == 1
    submission.refresh_from_db()
    assert all([submission.thumb_small, submission.thumb_medium, submission.thumb_large])


def test_text_entry_enqueues_nothing(
    campaign, participant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        submission_create(campaign=campaign, author=participant, kind="text", text="Words")

    assert callbacks == []


def test_terms_acceptance_is_recorded_with_the_latest_version(campaign, participant) -> None:
    CampaignTermsFactory(campaign=campaign, version=1)
    latest = CampaignTermsFactory(campaign=campaign, version=2)

    submission = submission_create(
        campaign=campaign, author=participant, kind="text", text="Hi", accept_terms=True
    )

    assert submission.terms == latest
    assert timezone.now() - submission.terms_accepted_at < timedelta(minutes=1)


def test_without_terms_nothing_needs_accepting(campaign, participant) -> None:
    submission = submission_create(campaign=campaign, author=participant, kind="text", text="Hi")

    assert submission.terms is None
    assert submission.terms_accepted_at is None


def test_seed_may_set_the_initial_state(campaign, participant) -> None:
    submission = submission_create(
        campaign=campaign,
        author=participant,
        kind="text",
        text="Hi",
        state=Submission.State.APPROVED,
    )

    assert submission.state == Submission.State.APPROVED
    assert submission.moderated_at is not None


def test_text_exactly_at_the_limit_is_accepted(participant) -> None:
    campaign = CampaignFactory(text_max_length=10)

    submission = submission_create(
        campaign=campaign, author=participant, kind="text", text="x" * 10
    )

    assert len(submission.text) == 10


# --- Refused ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "starts_in", "ends_in"),
    [
        (Campaign.Status.DRAFT, -1, 10),
        (Campaign.Status.PUBLISHED, 1, 10),
        (Campaign.Status.PUBLISHED, -10, -1),
    ],
    ids=["draft", "scheduled", "closed"],
)
def test_campaign_not_open_refuses(participant, status: str, starts_in: int, ends_in: int) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        status=status,
        starts_at=now + timedelta(days=starts_in),
        ends_at=now + timedelta(days=ends_in),
    )

    error = _refusal(campaign=campaign, author=participant, kind="photo", image=photo())

    assert error.code == "campaign_not_open"
    _assert_nothing_stored()


@pytest.mark.parametrize("who", ["unverified", "inactive"])
def test_only_active_verified_people_enter(campaign, who: str) -> None:
    author = UserFactory(verified=False) if who == "unverified" else UserFactory(is_active=False)

    error = _refusal(campaign=campaign, author=author, kind="photo", image=photo())

    assert isinstance(error, PermissionDenied)
    assert error.code == "email_unverified"
    _assert_nothing_stored()


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("photo", {"image": None}),
        ("text", {"text": "Hi"}),
        ("video", {"video_url": "https://vimeo.com/76979871"}),
    ],
)
def test_kind_not_allowed_by_the_campaign(participant, kind: str, content: dict) -> None:
    flags = {"allow_photo": True, "allow_text": True, "allow_video": True}
    flags[f"allow_{kind}"] = False
    campaign = CampaignFactory(**flags)
    if kind == "photo":
        content = {"image": photo()}

    error = _refusal(campaign=campaign, author=participant, kind=kind, **content)

    assert error.code == "kind_not_allowed"
    assert "kind" in error.fields
    _assert_nothing_stored()


def test_unknown_kind_is_refused(campaign, participant) -> None:
    assert _refusal(campaign=campaign, author=participant, kind="poem", text="x").code == (
        "invalid_kind"
    )


def test_entry_limit_refuses_one_more(participant) -> None:
    campaign = CampaignFactory(max_entries_per_participant=2)
    SubmissionFactory.create_batch(2, campaign=campaign, author=participant)

    error = _refusal(campaign=campaign, author=participant, kind="photo", image=photo())

    assert error.code == "entry_limit"
    assert "2" in str(error.message)
    assert Submission.objects.count() == 2
    assert stored_files() == []


def test_rejected_entries_do_not_count_toward_the_limit(participant) -> None:
    campaign = CampaignFactory(max_entries_per_participant=1)
    SubmissionFactory(campaign=campaign, author=participant, state=Submission.State.REJECTED)

    submission = submission_create(campaign=campaign, author=participant, kind="text", text="x")

    assert submission.pk


@pytest.mark.parametrize("state", [Submission.State.PENDING, Submission.State.HIDDEN])
def test_pending_and_hidden_entries_count_toward_the_limit(participant, state: str) -> None:
    campaign = CampaignFactory(max_entries_per_participant=1)
    SubmissionFactory(campaign=campaign, author=participant, state=state)

    assert _refusal(campaign=campaign, author=participant, kind="text", text="x").code == (
        "entry_limit"
    )


def test_other_campaigns_entries_do_not_count(participant) -> None:
    campaign = CampaignFactory(max_entries_per_participant=1)
    SubmissionFactory(author=participant)

    assert submission_create(campaign=campaign, author=participant, kind="text", text="x").pk


def test_terms_must_be_accepted(campaign, participant) -> None:
    CampaignTermsFactory(campaign=campaign)

    error = _refusal(campaign=campaign, author=participant, kind="photo", image=photo())

    assert error.code == "terms_required"
    assert "accept_terms" in error.fields
    _assert_nothing_stored()


def test_text_over_the_campaign_limit_is_refused_naming_the_limit(participant) -> None:
    campaign = CampaignFactory(text_max_length=140)

    error = _refusal(campaign=campaign, author=participant, kind="text", text="x" * 141)

    assert error.code == "text_too_long"
    assert "140" in str(error.message)
    assert "text" in error.fields
    _assert_nothing_stored()


def test_caption_over_280_is_refused(campaign, participant) -> None:
    error = _refusal(
        campaign=campaign, author=participant, kind="photo", image=photo(), caption="x" * 281
    )

    assert error.code == "caption_too_long"
    _assert_nothing_stored()


@pytest.mark.parametrize(
    ("kind", "content"),
    [("photo", {}), ("text", {"text": "   "}), ("video", {"video_url": ""})],
)
def test_empty_content_of_the_kind_is_refused(
    campaign, participant, kind: str, content: dict
) -> None:
    error = _refusal(campaign=campaign, author=participant, kind=kind, **content)

    assert error.code == "missing_content"
    _assert_nothing_stored()


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        ("text", {"text": "Hi", "video_url": "https://vimeo.com/76979871"}),
        ("video", {"video_url": "https://vimeo.com/76979871", "text": "Hi"}),
        ("text", {"text": "Hi", "image": "photo"}),
        ("photo", {"image": "photo", "text": "Hi"}),
    ],
)
def test_content_of_another_kind_is_refused(
    campaign, participant, kind: str, content: dict
) -> None:
    if content.get("image"):
        content["image"] = photo()

    error = _refusal(campaign=campaign, author=participant, kind=kind, **content)

    assert error.code == "mixed_content"
    _assert_nothing_stored()


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/watch?v=dQw4w9WgXcQ",
        "http://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://www.youtube.com/watch?v=short",
        "javascript:alert(1)",
        "not a link",
    ],
)
def test_unsupported_video_link_is_refused(campaign, participant, url: str) -> None:
    error = _refusal(campaign=campaign, author=participant, kind="video", video_url=url)

    assert error.code == "unsupported_video"
    assert "video_url" in error.fields
    _assert_nothing_stored()


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "empty.jpg", "empty_file"),
        (imagefiles.HTML_PAGE, "photo.jpg", "unsupported_format"),
        (imagefiles.png_header_claiming(20_000, 20_000), "bomb.png", "too_many_pixels"),
        (imagefiles.noisy_jpeg_bytes()[:2000], "cut.jpg", "corrupt_image"),
    ],
    ids=["empty", "html", "bomb", "truncated"],
)
def test_photo_problems_are_refused(campaign, participant, data: bytes, name: str, code: str):
    error = _refusal(
        campaign=campaign, author=participant, kind="photo", image=photo(data), image_name=name
    )

    assert error.code == code
    _assert_nothing_stored()


def test_photo_over_the_byte_limit_is_refused(campaign, participant, settings) -> None:
    data = imagefiles.jpeg_bytes()
    settings.PASSAPAROLA_IMAGE_MAX_BYTES = len(data) - 1

    error = _refusal(campaign=campaign, author=participant, kind="photo", image=photo(data))

    assert error.code == "file_too_large"
    _assert_nothing_stored()


def test_a_failing_save_leaves_no_file(campaign, participant, monkeypatch) -> None:
    def broken_save(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(Submission, "save", broken_save)

    with pytest.raises(RuntimeError):
        submission_create(campaign=campaign, author=participant, kind="photo", image=photo())

    assert stored_files() == []


def test_unknown_state_is_refused(campaign, participant) -> None:
    error = _refusal(
        campaign=campaign, author=participant, kind="text", text="x", state="published"
    )

    assert error.code == "invalid_state"


@pytest.mark.parametrize("role", ["owner", "manager", "analyst"])
def test_the_brands_own_people_cannot_enter_its_campaigns(campaign, role: str) -> None:
    member = MembershipFactory(brand=campaign.brand, role=role).user

    refusal = _refusal(campaign=campaign, author=member, kind="text", text="Our best coffee")

    assert isinstance(refusal, PermissionDenied)
    assert refusal.code == "brand_member"
    _assert_nothing_stored()


def test_a_member_of_another_brand_may_enter(campaign) -> None:
    outsider = MembershipFactory(role="owner").user

    entry = submission_create(campaign=campaign, author=outsider, kind="text", text="Hello")

    assert entry.author == outsider


def test_terms_accepted_are_the_version_the_person_read(campaign, participant) -> None:
    CampaignTermsFactory(campaign=campaign, version=1)
    CampaignTermsFactory(campaign=campaign, version=2)

    refusal = _refusal(
        campaign=campaign,
        author=participant,
        kind="text",
        text="Hello",
        accept_terms=True,
        terms_version=1,
    )
    entry = submission_create(
        campaign=campaign,
        author=participant,
        kind="text",
        text="Hello",
        accept_terms=True,
        terms_version=2,
    )

    assert refusal.code == "terms_changed"
    assert entry.terms.version == 2
