"""A newcomer signs up on a phone, verifies the address, signs in and switches to Italian."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.utils import timezone

from accounts.models import User
from tests.browser.conftest import assert_accessible
from tests.factories import CampaignFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    # WhiteNoise notes that STATIC_ROOT was never collected; the live server serves static files
    # from the finders instead.
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

EMAIL = "newcomer@example.com"
PASSWORD = "violet-harbour-lantern-42"
VERIFY_YOUR_EMAIL = re.compile(r"verify your email|check your inbox", re.I)
CONFIRMATION_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+?/(?=\s|$)")


def _verification_link(email: str) -> str:
    sent = [message for message in mail.outbox if email in message.to]
    assert len(sent) == 1, f"expected one email to {email}, got {len(sent)}"
    found = CONFIRMATION_LINK.search(sent[0].body)
    assert found, f"no confirmation link in:\n{sent[0].body}"
    return found.group(0)


def test_newcomer_signs_up_verifies_signs_in_and_switches_to_italian(page: Page) -> None:
    # Imported here so that, without Playwright, the test skips through tests/conftest.py.
    from playwright.sync_api import expect

    # Cards in both sections of the home page, so axe checks them too.
    CampaignFactory(title="Summer on the coast", hashtag="summercoast")
    CampaignFactory(title="Autumn recipes", starts_at=timezone.now() + timedelta(days=3))

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Open campaigns")).to_be_visible()
    expect(page.get_by_role("heading", name="Summer on the coast")).to_be_visible()
    expect(page.get_by_role("heading", name="Autumn recipes")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Sign up", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    assert_accessible(page)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label(re.compile(r"password \(again\)|confirm password|repeat", re.I)).fill(
        PASSWORD
    )
    page.get_by_role("button", name=re.compile(r"^sign up$", re.I)).click()

    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    expect(page.get_by_role("heading", name=VERIFY_YOUR_EMAIL, level=1)).to_be_visible()
    assert_accessible(page)

    page.goto(_verification_link(EMAIL))
    assert_accessible(page)
    page.get_by_role("button", name=re.compile(r"^confirm", re.I)).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    assert EmailAddress.objects.get(email=EMAIL).verified

    assert_accessible(page)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Language").select_option("it")
    page.get_by_role("button", name="Change language").click()

    expect(page.locator("html")).to_have_attribute("lang", "it")
    expect(page.get_by_role("heading", name="Campagne aperte")).to_be_visible()
    assert_accessible(page)
    assert User.objects.get(email=EMAIL).language == "it"
