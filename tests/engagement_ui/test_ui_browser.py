"""The engagement scripts in a real browser: liking without a reload, and the leaderboard
keeping itself current (the browser's clock is driven by the test, nothing sleeps).

The browser fixtures (`page`, ...) are tests/browser's, imported by this folder's conftest."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest

from accounts.models import User
from sharing.ledger import EventSpec, ledger_append, standings_refresh
from sharing.models import PointEvent
from submissions.models import Like
from tests.browser.conftest import assert_accessible, sign_in
from tests.factories import PASSWORD, CampaignFactory, SubmissionFactory, UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def _points(campaign, person: User, points: int) -> None:
    ledger_append(
        [
            EventSpec(
                campaign_id=campaign.pk,
                participant_id=person.pk,
                kind=PointEvent.Kind.CLICK,
                points=points,
                key=f"browser:{uuid.uuid4().hex}",
            )
        ]
    )
    standings_refresh(campaign_id=campaign.pk, participant_ids=[person.pk])


def test_liking_and_unliking_without_leaving_the_page(page: Page, settings) -> None:
    from playwright.sync_api import expect

    settings.PASSAPAROLA_LEADERBOARD_REDIS = False
    campaign = CampaignFactory(slug="moka", title="Moka mornings")
    entry = SubmissionFactory(campaign=campaign, caption="First cup", like_count=2)
    fan = UserFactory(display_name="Fran")

    page.goto(f"/accounts/login/?next=/c/{campaign.slug}/")
    sign_in(page, email=fan.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(rf"/c/{campaign.slug}/$"))
    assert_accessible(page)
    button = page.get_by_role("button", name=re.compile("First cup"))
    box = page.locator(f"#like-{entry.pk}")
    expect(button).to_have_attribute("aria-pressed", "false")

    button.click()

    expect(button).to_have_attribute("aria-pressed", "true")
    expect(button).to_contain_text("Liked")
    expect(box.locator("[data-like-count]")).to_have_text("3 likes")
    expect(box.locator("[data-like-status]")).to_have_text("You like this entry.")
    expect(page).to_have_url(re.compile(rf"/c/{campaign.slug}/$"))  # no reload, no redirect
    assert Like.objects.filter(user=fan, submission=entry, removed_at__isnull=True).exists()

    button.click()

    expect(button).to_have_attribute("aria-pressed", "false")
    expect(box.locator("[data-like-count]")).to_have_text("2 likes")
    expect(box.locator("[data-like-status]")).to_have_text("Your like is withdrawn.")
    assert not Like.objects.filter(user=fan, removed_at__isnull=True).exists()


def test_a_refusal_is_said_in_place(page: Page, settings) -> None:
    from allauth.account.models import EmailAddress
    from playwright.sync_api import expect

    campaign = CampaignFactory(slug="moka")
    entry = SubmissionFactory(campaign=campaign, caption="First cup")
    fan = UserFactory()
    page.goto(f"/accounts/login/?next=/entries/{entry.pk}/")
    sign_in(page, email=fan.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(rf"/entries/{entry.pk}/$"))
    EmailAddress.objects.filter(user=fan).update(verified=False)

    page.get_by_role("button", name=re.compile("First cup")).click()

    expect(page.locator("[data-like-status]")).to_have_text(
        "Verify your email address first: follow the link we sent you."
    )
    expect(page.locator("[data-like-button]")).to_have_attribute("aria-pressed", "false")


def test_the_leaderboard_updates_itself_and_says_when_my_rank_changes(page: Page, settings):
    from playwright.sync_api import expect

    settings.PASSAPAROLA_LEADERBOARD_REDIS = False
    campaign = CampaignFactory(slug="moka")
    me = UserFactory(display_name="Mia")
    rival = UserFactory(display_name="Rex")
    _points(campaign, rival, 20)
    _points(campaign, me, 10)
    page.clock.install()
    page.goto(f"/accounts/login/?next=/c/{campaign.slug}/leaderboard/")
    sign_in(page, email=me.email, password=PASSWORD)
    top = page.locator('[data-leaderboard-rows="top"] tr')
    expect(top.first).to_contain_text("Rex")
    assert_accessible(page)

    _points(campaign, me, 15)  # Mia passes Rex
    page.clock.run_for(16_000)

    expect(top.first).to_contain_text("Mia (you)")
    expect(top.first).to_have_attribute("aria-current", "true")
    expect(page.locator("[data-leaderboard-said]")).to_have_text("Your rank is now #1.")

    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: true, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    _points(campaign, rival, 30)
    page.clock.run_for(60_000)
    expect(top.first).to_contain_text("Mia (you)")  # paused while the tab is hidden

    page.evaluate(
        "Object.defineProperty(document, 'hidden', {value: false, configurable: true});"
        "document.dispatchEvent(new Event('visibilitychange'))"
    )
    expect(top.first).to_contain_text("Rex")  # caught up at once
    expect(page.locator("[data-leaderboard-said]")).to_have_text("Your rank is now #2.")
