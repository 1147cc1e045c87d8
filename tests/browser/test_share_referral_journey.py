"""A participant shares their entry; a friend follows the link on another phone, signs up and
verifies; the sharer climbs the leaderboard by a counted click and a verified referral."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.models import User
from sharing import leaderboard
from sharing.clicks import clicks_derive
from sharing.models import PointEvent, Referral, ShareClick, ShareHit, ShareLink
from sharing.points import submission_points_sync
from submissions.likes import like_create
from tests.browser.conftest import PHONE, assert_accessible, sign_in
from tests.factories import PASSWORD, CampaignFactory, SubmissionFactory, UserFactory

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]

SLUG = "harbour-stories"
TITLE = "Harbour stories"
POINTS_ENTRY, POINTS_LIKE, POINTS_CLICK, POINTS_REFERRAL = 10, 1, 2, 5
FRIEND_EMAIL = "friend@example.com"
FRIEND_PASSWORD = "violet-harbour-lantern-42"
CONFIRMATION_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+?/(?=\s|$)")
# A real phone's Chrome. Headless Chromium says "HeadlessChrome", which sharing.clicks rightly
# classes as a bot (it is what scrapers send), so its click would never count.
PHONE_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)


@pytest.fixture(autouse=True)
def _leaderboard_keys(settings) -> Iterator[None]:
    """Leaderboard keys of this test's own in Redis (when there is one), deleted afterwards."""
    prefix = f"pptest:{uuid.uuid4().hex[:12]}:lb"
    settings.PASSAPAROLA_LEADERBOARD_KEY_PREFIX = prefix
    leaderboard._health.update(down_until=0.0, warned=False)
    yield
    leaderboard._health.update(down_until=0.0, warned=False)
    if settings.REDIS_URL:
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        try:
            keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
            if keys:
                client.delete(*keys)
        except redis.RedisError:
            pass


@pytest.fixture
def friend_page(browser: Browser, live_server: Any, compiled_translations: None) -> Iterator[Page]:
    """Like `new_page()` (a fresh phone context), but sending a real phone browser's User-Agent."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="en-US",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        user_agent=PHONE_CHROME,
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def _verification_link(email: str) -> str:
    sent = [message for message in mail.outbox if email in message.to]
    assert len(sent) == 1, f"expected one email to {email}, got {len(sent)}"
    found = CONFIRMATION_LINK.search(sent[0].body)
    assert found, f"no confirmation link in:\n{sent[0].body}"
    return found.group(0)


def _my_line(page: Page) -> Locator:
    """The signed-in participant's row in the leaderboard's top table."""
    top = page.locator('[data-leaderboard-table="top"]')
    return top.locator('tbody tr[aria-current="true"]')


def _standing(page: Page) -> tuple[int, int]:
    """(rank, points) of the signed-in participant, as the leaderboard page shows them."""
    from playwright.sync_api import expect

    line = _my_line(page)
    expect(line).to_have_count(1)
    expect(line).to_contain_text("(you)")
    cells = line.get_by_role("cell")
    return int(cells.nth(0).inner_text()), int(cells.nth(2).inner_text())


def test_shared_link_brings_a_verified_member_and_lifts_the_sharer(
    new_page: Callable[..., Page], friend_page: Page, live_server: Any, settings: Any
) -> None:
    from playwright.sync_api import expect

    campaign = CampaignFactory(
        slug=SLUG,
        title=TITLE,
        points_entry=POINTS_ENTRY,
        points_like=POINTS_LIKE,
        points_click=POINTS_CLICK,
        points_referral=POINTS_REFERRAL,
    )
    sharer = UserFactory(email="sharer@example.com", display_name="Sara Sharer")
    rival = UserFactory(email="rival@example.com", display_name="Rick Rival")
    entry = SubmissionFactory(campaign=campaign, author=sharer, text="Nets drying at dawn.")
    rival_entry = SubmissionFactory(campaign=campaign, author=rival, text="The old lighthouse.")
    # The rival is ahead: three likes (through the service) on top of the same entry points.
    for n in range(3):
        like_create(user=UserFactory(email=f"fan{n}@example.com"), submission=rival_entry)
    for submission in (entry, rival_entry):
        submission_points_sync(submission_id=submission.pk)
    before = POINTS_ENTRY
    rival_points = POINTS_ENTRY + 3 * POINTS_LIKE
    after = before + POINTS_CLICK + POINTS_REFERRAL
    assert before < rival_points < after

    entry_path = f"/entries/{entry.pk}/"
    board_path = f"/c/{SLUG}/leaderboard/"

    # --- The sharer, on a phone: sign in, open the entry, read the personal link.
    phone = new_page()
    phone.goto(f"/accounts/login/?next={entry_path}")
    sign_in(phone, email=sharer.email, password=PASSWORD)
    expect(phone).to_have_url(re.compile(rf"{re.escape(entry_path)}$"))
    panel = phone.get_by_role("region", name="Share your entry")
    expect(panel).to_be_visible()
    assert_accessible(phone)
    link_field = panel.get_by_label("Your personal link")
    expect(link_field).to_have_value(re.compile(r"/s/[^/?#]+$"))
    share_link = link_field.input_value()
    assert share_link.startswith(f"{live_server.url}/s/"), share_link
    code = ShareLink.objects.get(submission=entry, owner=sharer).code
    assert share_link == f"{live_server.url}/s/{code}"

    phone.goto(board_path)
    expect(phone.get_by_role("heading", name=f"Leaderboard of “{TITLE}”", level=1)).to_be_visible()
    assert_accessible(phone)
    assert _standing(phone) == (2, before)
    expect(phone.get_by_text("You are #2: your line is highlighted above.")).to_be_visible()

    # --- A friend, on another phone with no session: follows the link, signs up, verifies.
    friend = friend_page
    friend.goto(share_link)
    expect(friend).to_have_url(f"{live_server.url}{entry_path}")
    expect(friend.get_by_text("Nets drying at dawn.")).to_be_visible()
    expect(friend.get_by_role("region", name="Share your entry")).to_have_count(0)
    assert "pp_ref" in {cookie["name"] for cookie in friend.context.cookies()}
    assert_accessible(friend)

    friend.get_by_role("link", name="Sign up", exact=True).click()
    expect(friend).to_have_url(re.compile(r"/accounts/signup/"))
    assert_accessible(friend)
    friend.get_by_label("Email").fill(FRIEND_EMAIL)
    friend.get_by_label("Password", exact=True).fill(FRIEND_PASSWORD)
    friend.get_by_label(re.compile(r"password \(again\)|confirm password|repeat", re.I)).fill(
        FRIEND_PASSWORD
    )
    friend.get_by_role("button", name=re.compile(r"^sign up$", re.I)).click()
    expect(friend).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    assert_accessible(friend)

    friend.goto(_verification_link(FRIEND_EMAIL))
    assert_accessible(friend)
    friend.get_by_role("button", name=re.compile(r"^confirm", re.I)).click()
    expect(friend).to_have_url(re.compile(r"/accounts/login/"))
    assert_accessible(friend)
    assert EmailAddress.objects.get(email=FRIEND_EMAIL).verified

    # In production a Celery beat task runs the click derivation every few seconds; calling it
    # here stands in for that task (the redirect itself only records the hit).
    assert clicks_derive() == 1

    # --- The sharer reloads the leaderboard: click and referral points, first place.
    phone.reload()
    expect(phone.get_by_text("You are #1: your line is highlighted above.")).to_be_visible()
    assert _standing(phone) == (1, after)
    rival_line = phone.locator('[data-leaderboard-table="top"] tbody tr').filter(
        has_text="Rick Rival"
    )
    expect(rival_line.get_by_role("cell").nth(0)).to_have_text("2")
    expect(rival_line.get_by_role("cell").nth(2)).to_have_text(str(rival_points))
    assert_accessible(phone)

    # --- The database agrees.
    newcomer = User.objects.get(email=FRIEND_EMAIL)
    referral = Referral.objects.get(referred=newcomer)
    assert referral.link.code == code
    assert referral.verified_at is not None
    hit = ShareHit.objects.get()
    assert hit.verdict == ShareHit.Verdict.COUNTED
    assert hit.user_id is None
    click = ShareClick.objects.get()
    assert (click.link_id, click.hit_id) == (referral.link_id, hit.pk)
    lines = PointEvent.objects.filter(campaign=campaign, participant=sharer)
    click_lines = lines.filter(kind=PointEvent.Kind.CLICK)
    assert [(line.key, line.points) for line in click_lines] == [
        (f"click:{referral.link_id}:{click.visitor}:{click.day.isoformat()}", POINTS_CLICK)
    ]
    referral_lines = lines.filter(kind=PointEvent.Kind.REFERRAL)
    assert [(line.key, line.points) for line in referral_lines] == [
        (f"referral:{referral.pk}", POINTS_REFERRAL)
    ]
    assert sum(line.points for line in lines) == after
    if settings.REDIS_URL:
        # With Redis, the pages above were answered from its standings, not the fallback.
        players = leaderboard._keys(campaign.pk)["players"]
        assert leaderboard.redis_client().zcard(players) == 2
