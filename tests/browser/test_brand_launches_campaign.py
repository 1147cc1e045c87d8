"""A brand manager creates a campaign in the brand's time zone, publishes it, and it is open."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from accounts.models import BrandMembership
from campaigns.models import Campaign
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, BrandFactory, MembershipFactory, UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

# No daylight saving time, so a typed wall-clock time is never skipped or doubled, and an offset
# of half an hour that no rounding can hide. The manager's browser sits in yet another zone.
BRAND_ZONE = ZoneInfo("Asia/Kolkata")
BROWSER_ZONE = "America/Los_Angeles"
TITLE = "Monsoon Stories 2025"
SLUG = "monsoon-stories-2025"
PRIZE = "A weekend in Kerala for two"
TERMS = "Your photo is your own work; Chai & Co may show it on its channels."


def _typed(moment: datetime) -> str:
    """A wall-clock time as a datetime-local input takes it."""
    return moment.strftime("%Y-%m-%dT%H:%M")


def test_manager_creates_publishes_and_the_campaign_is_open(
    new_page: Callable[..., Page],
) -> None:
    from playwright.sync_api import expect

    brand = BrandFactory(name="Chai & Co", slug="chai-co", time_zone=BRAND_ZONE.key)
    manager = UserFactory(email="manager@chai.example", display_name="Meera")
    MembershipFactory(brand=brand, user=manager, role=BrandMembership.Role.MANAGER)
    # Wall-clock times in the brand's zone, to the minute as the input takes them: an hour ago
    # (so publishing opens the campaign at once) to thirty days on.
    starts_local = (datetime.now(BRAND_ZONE) - timedelta(hours=1)).replace(
        second=0, microsecond=0, tzinfo=None
    )
    ends_local = starts_local + timedelta(days=30)

    page = new_page(desktop=True, timezone_id=BROWSER_ZONE)
    page.goto("/brand/")
    sign_in(page, email=manager.email, password=PASSWORD)

    expect(page).to_have_url(re.compile(r"/brand/$"))
    expect(page.get_by_role("heading", name="Brand dashboard", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Chai & Co", level=2)).to_be_visible()
    expect(page.get_by_text("No campaigns yet.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="New campaign (Chai & Co)").click()
    expect(page).to_have_url(re.compile(r"/brand/chai-co/campaigns/new/$"))
    expect(page.get_by_role("heading", name="New campaign for Chai & Co")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Title").fill(TITLE)
    # js/brand.js makes the address from the title as it is typed.
    expect(page.get_by_label("Address")).to_have_value(SLUG)
    page.get_by_label("Brief").fill("Show us the rain, the tea and the people you share it with.")
    page.get_by_label("Rules").fill("- One photo per person\n- **Your own** photo only")
    page.get_by_label("Hashtag").fill("#MonsoonStories")
    page.get_by_label("Starts at").fill(_typed(starts_local))
    page.get_by_label("Ends at").fill(_typed(ends_local))
    kinds = page.get_by_role("group", name="Entry kinds allowed")
    expect(kinds.get_by_label("Photo")).to_be_checked()
    kinds.get_by_label("Text").uncheck()
    page.get_by_label("Pre-moderation: entries are hidden until approved").check()
    first_prize = page.get_by_role("group", name="Prize row 1")
    expect(first_prize.get_by_label("Rank")).to_have_value("1")
    first_prize.get_by_label("Prize", exact=True).fill(PRIZE)
    page.get_by_label("Terms participants accept").fill(TERMS)
    page.get_by_role("button", name="Save draft").click()

    expect(page).to_have_url(re.compile(rf"/brand/chai-co/campaigns/{SLUG}/$"))
    expect(page.get_by_text("Saved as a draft. Only your team can see it.")).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    assert_accessible(page)

    campaign = Campaign.objects.get(slug=SLUG)
    # What was typed is the brand's wall-clock time, whatever the browser's zone.
    assert campaign.starts_at == starts_local.replace(tzinfo=BRAND_ZONE)
    assert campaign.ends_at == ends_local.replace(tzinfo=BRAND_ZONE)
    assert campaign.starts_at.astimezone(UTC).replace(tzinfo=None) == starts_local - timedelta(
        hours=5, minutes=30
    )
    assert campaign.phase == Campaign.Phase.DRAFT
    assert (campaign.allow_photo, campaign.allow_text, campaign.allow_video) == (True, False, False)
    assert campaign.moderation_mode == Campaign.ModerationMode.PRE
    assert campaign.hashtag == "MonsoonStories"
    assert [(p.rank, p.description) for p in campaign.prizes.all()] == [(1, PRIZE)]
    assert [(t.version, t.text) for t in campaign.terms_versions.all()] == [(1, TERMS)]

    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Published: the campaign is open for entries.")).to_be_visible()
    expect(page.get_by_text("Open: people can send entries until its end.")).to_be_visible()
    assert_accessible(page)
    campaign.refresh_from_db()
    assert campaign.phase == Campaign.Phase.OPEN

    page.get_by_role("navigation", name="Breadcrumb").get_by_role(
        "link", name="Brand dashboard"
    ).click()
    row = page.get_by_role("article", name=TITLE)
    expect(row.get_by_text("Open", exact=True)).to_be_visible()
    assert_accessible(page)

    # The public page, as anyone sees it on a phone in their own zone.
    visitor = new_page(timezone_id=BROWSER_ZONE)
    visitor.goto(f"/c/{SLUG}/")
    expect(visitor.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    hero = visitor.locator(".campaign-hero")
    expect(hero.get_by_text("Open", exact=True)).to_be_visible()
    expect(hero.get_by_text("#MonsoonStories")).to_be_visible()
    expect(visitor.get_by_role("link", name="Submit an entry")).to_be_visible()
    prizes = visitor.get_by_role("region", name="Prizes")
    expect(prizes.get_by_role("listitem")).to_have_text([PRIZE])
    opens = visitor.locator(".campaign-dates time").first
    expect(opens).to_have_attribute("datetime", campaign.starts_at.astimezone(UTC).isoformat())
    # js/local-time.js shows it in the visitor's zone.
    expect(opens).to_contain_text("(America/Los Angeles)")
    assert_accessible(visitor)
