"""The campaign lifecycle services: who may do what, in which phase, and what each change keeps."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from accounts.models import Brand, BrandMembership, User
from campaigns.models import Campaign, CampaignTerms, Prize
from campaigns.services import (
    campaign_close,
    campaign_create,
    campaign_publish,
    campaign_unpublish,
    campaign_update,
)
from core.exceptions import ApplicationError, Conflict, PermissionDenied
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory
from tests.imagefiles import SVG_WITH_SCRIPT, jpeg_bytes

pytestmark = pytest.mark.django_db

Role = BrandMembership.Role
Phase = Campaign.Phase
DAY = timedelta(days=1)


@dataclass
class World:
    acme: Brand
    users: dict[str, User]


@pytest.fixture
def world() -> World:
    acme = BrandFactory(name="Acme", slug="acme")
    globex = BrandFactory(name="Globex", slug="globex")
    users = {
        "owner": MembershipFactory(brand=acme, role=Role.OWNER).user,
        "manager": MembershipFactory(brand=acme, role=Role.MANAGER).user,
        "analyst": MembershipFactory(brand=acme, role=Role.ANALYST).user,
        "other_owner": MembershipFactory(brand=globex, role=Role.OWNER).user,
        "participant": UserFactory(),
    }
    return World(acme, users)


EDITORS = ["owner", "manager"]
OUTSIDERS = ["other_owner", "participant"]


def _create(world: World, actor: str = "owner", **fields: Any) -> Campaign:
    now = timezone.now()
    values: dict[str, Any] = {
        "brand": world.acme,
        "title": "Summer stories",
        "slug": "summer-stories",
        "starts_at": now + DAY,
        "ends_at": now + 30 * DAY,
        "created_by": world.users[actor],
    }
    return campaign_create(**(values | fields))


def _campaign(world: World, phase: str) -> Campaign:
    now = timezone.now()
    dates = {
        Phase.DRAFT: (now + DAY, now + 10 * DAY),
        Phase.SCHEDULED: (now + DAY, now + 10 * DAY),
        Phase.OPEN: (now - DAY, now + 10 * DAY),
        Phase.CLOSED: (now - 10 * DAY, now - DAY),
    }[phase]
    status = Campaign.Status.DRAFT if phase == Phase.DRAFT else Campaign.Status.PUBLISHED
    campaign = CampaignFactory(
        brand=world.acme, status=status, starts_at=dates[0], ends_at=dates[1]
    )
    assert campaign.phase == phase
    return campaign


# --- Creating ----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", EDITORS)
def test_owner_and_manager_create_a_draft(world: World, actor: str) -> None:
    campaign = _create(world, actor)

    assert campaign.status == Campaign.Status.DRAFT
    assert campaign.phase == Phase.DRAFT
    assert campaign.created_by == world.users[actor]


def test_analyst_cannot_create_a_campaign(world: World) -> None:
    with pytest.raises(PermissionDenied) as excinfo:
        _create(world, "analyst")

    assert "Analysts" in str(excinfo.value.message)
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_outsiders_cannot_create_a_campaign_for_the_brand(world: World, actor: str) -> None:
    with pytest.raises(Http404):
        _create(world, actor)

    assert not Campaign.objects.exists()


def test_create_with_publish_and_a_future_start_schedules_it(world: World) -> None:
    campaign = _create(world, publish=True)

    assert campaign.status == Campaign.Status.PUBLISHED
    assert campaign.phase == Phase.SCHEDULED


def test_create_with_publish_and_a_past_start_opens_it_and_the_sync_records_it(
    world: World, django_capture_on_commit_callbacks
) -> None:
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        campaign = _create(world, publish=True, starts_at=now - DAY, ends_at=now + DAY)

    campaign.refresh_from_db()
    assert campaign.phase == Phase.OPEN
    assert campaign.opened_at is not None


def test_publishing_a_campaign_already_over_is_refused(world: World) -> None:
    now = timezone.now()
    with pytest.raises(ApplicationError) as excinfo:
        _create(world, publish=True, starts_at=now - 10 * DAY, ends_at=now - DAY)

    assert excinfo.value.code == "ends_in_past"
    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"ends_at": "start"}, "ends_at"),
        ({"ends_at": "before"}, "ends_at"),
        ({"text_max_length": 0}, "text_max_length"),
        ({"text_max_length": 5001}, "text_max_length"),
        ({"max_entries_per_participant": 0}, "max_entries_per_participant"),
        ({"title": ""}, "title"),
        ({"slug": "not a slug"}, "slug"),
        ({"moderation_mode": "sometimes"}, "moderation_mode"),
        ({"allow_photo": False, "allow_text": False, "allow_video": False}, "non_field_errors"),
    ],
)
def test_create_refuses_bad_settings_and_stores_nothing(
    world: World, fields: dict[str, Any], error_field: str
) -> None:
    start = timezone.now() + DAY
    if fields.get("ends_at") == "start":
        fields["ends_at"] = start
    elif fields.get("ends_at") == "before":
        fields["ends_at"] = start - timedelta(seconds=1)

    with pytest.raises(ApplicationError) as excinfo:
        _create(world, starts_at=start, **fields)

    assert error_field in excinfo.value.fields
    assert excinfo.value.message
    assert not Campaign.objects.exists()


def test_create_with_a_slug_already_taken_names_the_slug(world: World) -> None:
    CampaignFactory(slug="summer-stories")

    with pytest.raises(ApplicationError) as excinfo:
        _create(world, slug="summer-stories")

    assert "slug" in excinfo.value.fields
    assert Campaign.objects.count() == 1


def test_create_reencodes_the_cover(world: World) -> None:
    campaign = _create(world, cover=io.BytesIO(jpeg_bytes()), cover_name="cover.jpg")

    assert campaign.cover.name.startswith("campaigns/covers/")
    assert campaign.cover_width
    assert campaign.cover_height


def test_create_refuses_a_cover_that_is_not_an_image(world: World) -> None:
    with pytest.raises(ApplicationError):
        _create(world, cover=io.BytesIO(SVG_WITH_SCRIPT), cover_name="cover.jpg")

    assert not Campaign.objects.exists()


def _stored_files(settings: Any) -> list[str]:
    root = settings.MEDIA_ROOT
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_a_refused_create_leaves_no_cover_file(world: World, settings: Any) -> None:
    with pytest.raises(ApplicationError):
        _create(
            world,
            cover=io.BytesIO(jpeg_bytes()),
            cover_name="cover.jpg",
            prizes=[(1, "A mug"), (1, "Another mug")],
        )

    assert not Campaign.objects.exists()
    assert _stored_files(settings) == []


def test_a_new_cover_replaces_the_old_file(
    world: World, settings: Any, django_capture_on_commit_callbacks
) -> None:
    campaign = _create(world, cover=io.BytesIO(jpeg_bytes()), cover_name="first.jpg")
    first = campaign.cover.name

    with django_capture_on_commit_callbacks(execute=True):
        campaign = campaign_update(
            campaign=campaign,
            actor=world.users["owner"],
            data={"cover": io.BytesIO(jpeg_bytes())},
            cover_name="second.jpg",
        )

    assert _stored_files(settings) == [campaign.cover.name]
    assert campaign.cover.name != first


@pytest.mark.parametrize("slug", ["new", "edit"])
def test_slugs_the_brand_pages_use_are_reserved(world: World, slug: str) -> None:
    with pytest.raises(ApplicationError) as refused:
        _create(world, slug=slug)

    assert refused.value.code == "slug_reserved"
    assert not Campaign.objects.exists()


def test_create_strips_the_hash_of_the_hashtag(world: World) -> None:
    assert _create(world, hashtag="  #SummerStories ").hashtag == "SummerStories"


# --- Rules are shown safely --------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


HOSTILE_RULES = [
    "<script>alert(1)</script>",
    "Hello <img src=x onerror=alert(1)>",
    "![tracker](https://evil.example/pixel.png)",
    "[click me](javascript:alert(1))",
    "[click me](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{display:none}</style>",
    '<iframe src="https://evil.example"></iframe>',
    "[data](data:text/html;base64,PHNjcmlwdD4=)",
    '<p onclick="alert(1)">hi</p>',
]


@pytest.mark.parametrize("rules", HOSTILE_RULES)
def test_rules_html_never_holds_script_images_or_active_links(world: World, rules: str) -> None:
    campaign = _create(world, rules=rules)

    parser = _Tags()
    parser.feed(campaign.rules_html)
    for tag, attrs in parser.tags:
        assert tag in {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h3", "h4", "code"}
        assert not any(name.startswith("on") for name in attrs)
        href = (attrs.get("href") or "").strip().lower()
        assert not href or href.startswith(("http://", "https://", "mailto:"))
    assert campaign.rules == rules  # the source is kept as written


def test_rules_markdown_becomes_formatting(world: World) -> None:
    campaign = _create(world, rules="# Rules\n\n- **one** entry\n- [site](https://example.com)")

    assert "<h3>Rules</h3>" in campaign.rules_html
    assert "<strong>one</strong>" in campaign.rules_html
    assert 'href="https://example.com"' in campaign.rules_html
    assert 'rel="nofollow noopener noreferrer"' in campaign.rules_html


def test_updating_the_rules_renders_them_again(world: World) -> None:
    campaign = _create(world, rules="old")

    campaign = campaign_update(
        campaign=campaign, actor=world.users["owner"], data={"rules": "<script>x</script> *new*"}
    )

    assert "<script" not in campaign.rules_html
    assert "<em>new</em>" in campaign.rules_html


# --- Editing -----------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", EDITORS)
@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.SCHEDULED])
def test_editors_change_anything_before_the_campaign_opens(
    world: World, actor: str, phase: str
) -> None:
    campaign = _campaign(world, phase)
    new_start = campaign.starts_at + DAY

    campaign_update(
        campaign=campaign,
        actor=world.users[actor],
        data={
            "title": "New title",
            "slug": "new-slug",
            "starts_at": new_start,
            "allow_video": True,
            "text_max_length": 500,
            "moderation_mode": Campaign.ModerationMode.POST,
        },
    )

    campaign.refresh_from_db()
    assert (campaign.title, campaign.slug) == ("New title", "new-slug")
    assert campaign.starts_at == new_start
    assert campaign.allow_video
    assert campaign.text_max_length == 500
    assert campaign.moderation_mode == Campaign.ModerationMode.POST


def test_analyst_cannot_edit(world: World) -> None:
    campaign = _campaign(world, Phase.DRAFT)

    with pytest.raises(PermissionDenied):
        campaign_update(campaign=campaign, actor=world.users["analyst"], data={"title": "Hacked"})

    campaign.refresh_from_db()
    assert campaign.title != "Hacked"


@pytest.mark.parametrize("actor", OUTSIDERS)
def test_outsiders_cannot_edit(world: World, actor: str) -> None:
    campaign = _campaign(world, Phase.DRAFT)

    with pytest.raises(Http404):
        campaign_update(campaign=campaign, actor=world.users[actor], data={"title": "Hacked"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("slug", "moved"),
        ("starts_at", "later"),
        ("allow_video", True),
        ("allow_photo", False),
        ("text_max_length", 100),
        ("max_entries_per_participant", 10),
        ("moderation_mode", Campaign.ModerationMode.POST),
    ],
)
def test_an_open_campaign_keeps_its_entry_rules_and_start(
    world: World, name: str, value: Any
) -> None:
    campaign = _campaign(world, Phase.OPEN)
    if value == "later":
        value = campaign.starts_at + timedelta(hours=1)
    before = getattr(campaign, name)

    with pytest.raises(Conflict) as excinfo:
        campaign_update(campaign=campaign, actor=world.users["owner"], data={name: value})

    assert excinfo.value.code == "campaign_open_locked"
    assert name in excinfo.value.fields
    campaign.refresh_from_db()
    assert getattr(campaign, name) == before


def test_an_open_campaign_accepts_a_locked_field_sent_unchanged(world: World) -> None:
    campaign = _campaign(world, Phase.OPEN)

    campaign_update(
        campaign=campaign,
        actor=world.users["owner"],
        data={"title": "Renamed", "text_max_length": campaign.text_max_length},
    )

    campaign.refresh_from_db()
    assert campaign.title == "Renamed"


def test_an_open_campaign_changes_its_words_prizes_terms_and_end(world: World) -> None:
    campaign = _campaign(world, Phase.OPEN)
    new_end = campaign.ends_at + 5 * DAY

    campaign_update(
        campaign=campaign,
        actor=world.users["manager"],
        data={
            "title": "Renamed",
            "brief": "New brief",
            "hashtag": "#New",
            "ends_at": new_end,
            "prizes": [(1, "A bike")],
            "terms": "New terms",
        },
    )

    campaign.refresh_from_db()
    assert (campaign.title, campaign.brief, campaign.hashtag) == ("Renamed", "New brief", "New")
    assert campaign.ends_at == new_end
    assert [(p.rank, p.description) for p in campaign.prizes.all()] == [(1, "A bike")]
    assert campaign.terms_versions.get().text == "New terms"


def test_an_open_campaign_cannot_end_in_the_past_through_editing(world: World) -> None:
    campaign = _campaign(world, Phase.OPEN)

    with pytest.raises(ApplicationError) as excinfo:
        campaign_update(
            campaign=campaign,
            actor=world.users["owner"],
            data={"ends_at": timezone.now() - timedelta(minutes=1)},
        )

    assert excinfo.value.code == "ends_in_past"


@pytest.mark.parametrize("data", [{"title": "Late"}, {"prizes": [(1, "x")]}, {"terms": "t"}, {}])
def test_a_closed_campaign_is_read_only(world: World, data: dict[str, Any]) -> None:
    campaign = _campaign(world, Phase.CLOSED)

    with pytest.raises(Conflict) as excinfo:
        campaign_update(campaign=campaign, actor=world.users["owner"], data=data)

    assert excinfo.value.code == "campaign_closed"
    campaign.refresh_from_db()
    assert campaign.title != "Late"
    assert not campaign.prizes.exists()
    assert not campaign.terms_versions.exists()


def test_editing_unknown_settings_is_refused(world: World) -> None:
    campaign = _campaign(world, Phase.DRAFT)

    with pytest.raises(ApplicationError):
        campaign_update(campaign=campaign, actor=world.users["owner"], data={"status": "published"})

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_editing_dates_out_of_order_is_refused(world: World) -> None:
    campaign = _campaign(world, Phase.DRAFT)

    with pytest.raises(ApplicationError) as excinfo:
        campaign_update(
            campaign=campaign,
            actor=world.users["owner"],
            data={"ends_at": campaign.starts_at - DAY},
        )

    assert "ends_at" in excinfo.value.fields


def test_editing_to_a_slug_already_taken_is_refused(world: World) -> None:
    CampaignFactory(slug="taken")
    campaign = _campaign(world, Phase.DRAFT)

    with pytest.raises(ApplicationError) as excinfo:
        campaign_update(campaign=campaign, actor=world.users["owner"], data={"slug": "taken"})

    assert "slug" in excinfo.value.fields
    campaign.refresh_from_db()
    assert campaign.slug != "taken"


# --- Terms are versioned -----------------------------------------------------------------------


def _versions(campaign: Campaign) -> list[tuple[int, str]]:
    return list(
        CampaignTerms.objects.filter(campaign=campaign)
        .order_by("version")
        .values_list("version", "text")
    )


def test_terms_start_at_version_one(world: World) -> None:
    campaign = _create(world, terms="Be kind.")

    assert _versions(campaign) == [(1, "Be kind.")]


def test_changing_the_terms_adds_a_version_and_keeps_the_old_one(world: World) -> None:
    campaign = _create(world, terms="Be kind.")

    campaign_update(campaign=campaign, actor=world.users["owner"], data={"terms": "Be kinder."})

    assert _versions(campaign) == [(1, "Be kind."), (2, "Be kinder.")]


@pytest.mark.parametrize("same", ["Be kind.", "  Be kind.\n"])
def test_the_same_terms_add_no_version(world: World, same: str) -> None:
    campaign = _create(world, terms="Be kind.")

    campaign_update(campaign=campaign, actor=world.users["owner"], data={"terms": same})

    assert _versions(campaign) == [(1, "Be kind.")]


def test_terms_cannot_be_removed_once_set(world: World) -> None:
    campaign = _create(world, terms="Be kind.")

    with pytest.raises(ApplicationError) as excinfo:
        campaign_update(campaign=campaign, actor=world.users["owner"], data={"terms": "  "})

    assert "terms" in excinfo.value.fields
    assert _versions(campaign) == [(1, "Be kind.")]


def test_a_campaign_without_terms_has_no_version(world: World) -> None:
    assert _versions(_create(world)) == []


# --- Prizes ------------------------------------------------------------------------------------


def _prizes(campaign: Campaign) -> list[tuple[int, str]]:
    return list(Prize.objects.filter(campaign=campaign).values_list("rank", "description"))


def test_prizes_are_stored_by_rank_and_blank_rows_skipped(world: World) -> None:
    campaign = _create(world, prizes=[(2, "A mug"), (1, " A year of coffee "), (3, "  ")])

    assert _prizes(campaign) == [(1, "A year of coffee"), (2, "A mug")]


def test_prizes_are_replaced_as_a_whole(world: World) -> None:
    campaign = _create(world, prizes=[(1, "A"), (2, "B")])

    campaign_update(campaign=campaign, actor=world.users["owner"], data={"prizes": [(1, "C")]})

    assert _prizes(campaign) == [(1, "C")]


@pytest.mark.parametrize(
    "prizes",
    [[(1, "A"), (1, "B")], [(0, "Nothing")], [(-1, "Less")], [(1, "x" * 301)]],
    ids=["duplicate-rank", "rank-zero", "negative-rank", "too-long"],
)
def test_bad_prizes_are_refused_and_the_old_ones_kept(
    world: World, prizes: list[tuple[int, str]]
) -> None:
    campaign = _create(world, prizes=[(1, "Kept")])

    with pytest.raises(ApplicationError) as excinfo:
        campaign_update(campaign=campaign, actor=world.users["owner"], data={"prizes": prizes})

    assert "prizes" in excinfo.value.fields
    assert _prizes(campaign) == [(1, "Kept")]


# --- Publishing, scheduling, back to draft, closing --------------------------------------------


@pytest.mark.parametrize("actor", EDITORS)
def test_publishing_a_draft_with_a_future_start_schedules_it(world: World, actor: str) -> None:
    campaign = _campaign(world, Phase.DRAFT)

    campaign = campaign_publish(campaign=campaign, actor=world.users[actor])

    assert campaign.phase == Phase.SCHEDULED


def test_publishing_a_draft_whose_start_has_passed_opens_it(world: World) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        brand=world.acme, status=Campaign.Status.DRAFT, starts_at=now - DAY, ends_at=now + DAY
    )

    assert campaign_publish(campaign=campaign, actor=world.users["owner"]).phase == Phase.OPEN


def test_publishing_twice_is_a_conflict(world: World) -> None:
    campaign = _campaign(world, Phase.SCHEDULED)

    with pytest.raises(Conflict):
        campaign_publish(campaign=campaign, actor=world.users["owner"])


def test_publishing_a_draft_already_over_is_refused(world: World) -> None:
    now = timezone.now()
    campaign = CampaignFactory(
        brand=world.acme, status=Campaign.Status.DRAFT, starts_at=now - 9 * DAY, ends_at=now - DAY
    )

    with pytest.raises(ApplicationError) as excinfo:
        campaign_publish(campaign=campaign, actor=world.users["owner"])

    assert excinfo.value.code == "ends_in_past"
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


@pytest.mark.parametrize("actor", EDITORS)
def test_a_scheduled_campaign_goes_back_to_draft(world: World, actor: str) -> None:
    campaign = _campaign(world, Phase.SCHEDULED)

    assert campaign_unpublish(campaign=campaign, actor=world.users[actor]).phase == Phase.DRAFT


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.OPEN, Phase.CLOSED])
def test_only_a_scheduled_campaign_goes_back_to_draft(world: World, phase: str) -> None:
    campaign = _campaign(world, phase)

    with pytest.raises(Conflict):
        campaign_unpublish(campaign=campaign, actor=world.users["owner"])

    campaign.refresh_from_db()
    assert campaign.phase == phase


@pytest.mark.parametrize("actor", EDITORS)
def test_closing_ends_the_campaign_now_and_the_sync_records_it(
    world: World, actor: str, django_capture_on_commit_callbacks
) -> None:
    campaign = _campaign(world, Phase.OPEN)
    before = timezone.now()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        campaign_close(campaign=campaign, actor=world.users[actor])

    # The phase sync is sent after the commit (and ran here, eagerly): it recorded the close.
    assert callbacks
    campaign.refresh_from_db()
    assert before <= campaign.ends_at <= timezone.now()
    assert campaign.phase == Phase.CLOSED
    assert campaign.closed_at is not None


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.SCHEDULED, Phase.CLOSED])
def test_only_an_open_campaign_can_be_closed(world: World, phase: str) -> None:
    campaign = _campaign(world, phase)
    ends_at = campaign.ends_at

    with pytest.raises(Conflict):
        campaign_close(campaign=campaign, actor=world.users["owner"])

    campaign.refresh_from_db()
    assert campaign.ends_at == ends_at


LIFECYCLE = [
    (campaign_publish, Phase.DRAFT),
    (campaign_unpublish, Phase.SCHEDULED),
    (campaign_close, Phase.OPEN),
]


@pytest.mark.parametrize(("service", "phase"), LIFECYCLE)
def test_analyst_cannot_change_the_lifecycle(world: World, service: Any, phase: str) -> None:
    campaign = _campaign(world, phase)

    with pytest.raises(PermissionDenied) as excinfo:
        service(campaign=campaign, actor=world.users["analyst"])

    assert excinfo.value.status_code == 403
    campaign.refresh_from_db()
    assert campaign.phase == phase


@pytest.mark.parametrize("actor", OUTSIDERS)
@pytest.mark.parametrize(("service", "phase"), LIFECYCLE)
def test_outsiders_cannot_change_the_lifecycle(
    world: World, actor: str, service: Any, phase: str
) -> None:
    campaign = _campaign(world, phase)

    with pytest.raises(Http404):
        service(campaign=campaign, actor=world.users[actor])

    campaign.refresh_from_db()
    assert campaign.phase == phase


def test_scoring_and_winner_rules_are_set_at_creation(world: World) -> None:
    campaign = _create(
        world,
        points_like=3,
        points_click=0,
        hide_live_counts=True,
        leaderboard_freeze_hours=12,
        winner_rule=Campaign.WinnerRule.DRAW,
        winner_count=5,
    )

    assert (campaign.points_entry, campaign.points_like, campaign.points_click) == (10, 3, 0)
    assert campaign.hide_live_counts is True
    assert campaign.leaderboard_freeze_hours == 12
    assert (campaign.winner_rule, campaign.winner_count) == ("draw", 5)


def test_unknown_creation_settings_are_refused(world: World) -> None:
    with pytest.raises(ApplicationError):
        _create(world, status="published")

    assert not Campaign.objects.exists()


@pytest.mark.parametrize(
    "data", [{"points_like": 50}, {"winner_rule": "draw"}, {"hide_live_counts": True}]
)
def test_scoring_rules_are_locked_once_open(world: World, data: dict[str, Any]) -> None:
    campaign = _campaign(world, Phase.OPEN)

    with pytest.raises(Conflict):
        campaign_update(campaign=campaign, actor=world.users["owner"], data=data)


def test_settings_that_cannot_be_changed_are_named_as_people_read_them(world: World) -> None:
    from django.utils import translation

    campaign = _campaign(world, Phase.DRAFT)

    with translation.override("it"), pytest.raises(ApplicationError) as refused:
        campaign_update(
            campaign=campaign,
            actor=world.users["owner"],
            data={"status": Campaign.Status.PUBLISHED, "no_such_setting": 1},
        )

    with translation.override("it"):
        message = str(refused.value.message)
        label = str(Campaign._meta.get_field("status").verbose_name)
    assert message == f"Queste impostazioni non si possono modificare: no_such_setting, {label}."
    assert label != "status"  # the Italian label, not the field's name
    assert set(refused.value.fields) == {"status", "no_such_setting"}
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT
