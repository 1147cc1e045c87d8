"""The home page: what is open now, what is coming, in the visitor's language, in few queries."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Campaign
from submissions.models import Submission
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _slugs(campaigns) -> list[str]:
    return [c.slug for c in campaigns]


@pytest.fixture
def mixed() -> dict[str, Campaign]:
    now = timezone.now()
    return {
        "open_soon_ending": CampaignFactory(
            title="Summer Snaps", starts_at=now - DAY, ends_at=now + DAY
        ),
        "open_later_ending": CampaignFactory(
            title="Autumn Stories", starts_at=now - DAY, ends_at=now + 10 * DAY
        ),
        "draft": CampaignFactory(
            title="Secret Draft", status=Campaign.Status.DRAFT, starts_at=now - DAY
        ),
        "closed": CampaignFactory(
            title="Winter Past", starts_at=now - 30 * DAY, ends_at=now - timedelta(seconds=1)
        ),
        "upcoming": CampaignFactory(title="Spring Ahead", starts_at=now + 2 * DAY),
        "upcoming_draft": CampaignFactory(
            title="Hidden Future", status=Campaign.Status.DRAFT, starts_at=now + 2 * DAY
        ),
    }


def test_home_lists_open_campaigns_ending_soonest_first(mixed: dict[str, Campaign]) -> None:
    response = Client().get("/")

    assert response.status_code == 200
    assert _slugs(response.context["open_campaigns"]) == [
        mixed["open_soon_ending"].slug,
        mixed["open_later_ending"].slug,
    ]


def test_home_shows_upcoming_campaigns_separately(mixed: dict[str, Campaign]) -> None:
    response = Client().get("/")

    assert _slugs(response.context["upcoming_campaigns"]) == [mixed["upcoming"].slug]
    page = _text(response)
    assert "Spring Ahead" in page
    assert page.index("Summer Snaps") < page.index("Spring Ahead")


@pytest.mark.parametrize("hidden", ["Secret Draft", "Winter Past", "Hidden Future"])
def test_home_never_shows_drafts_or_closed_campaigns(
    mixed: dict[str, Campaign], hidden: str
) -> None:
    page = _text(Client().get("/"))

    assert "Summer Snaps" in page
    assert "Autumn Stories" in page
    assert hidden not in page


def test_campaign_opens_on_the_home_page_at_its_start_without_any_task() -> None:
    campaign = CampaignFactory(starts_at=timezone.now() - timedelta(seconds=1))
    assert campaign.opened_at is None  # the beat task never ran

    response = Client().get("/")

    assert _slugs(response.context["open_campaigns"]) == [campaign.slug]


def test_home_with_nothing_open_says_so() -> None:
    response = Client().get("/")

    assert response.status_code == 200
    assert response.context["open_campaigns"] == []
    assert "No campaigns are open right now." in _text(response)


def test_entry_count_counts_only_approved_entries() -> None:
    campaign = CampaignFactory(title="Counted")
    SubmissionFactory.create_batch(2, campaign=campaign, state=Submission.State.APPROVED)
    for state in (Submission.State.PENDING, Submission.State.REJECTED, Submission.State.HIDDEN):
        SubmissionFactory(campaign=campaign, state=state)
    SubmissionFactory(campaign=CampaignFactory(), state=Submission.State.APPROVED)

    response = Client().get("/")

    counts = {c.slug: c.entry_count for c in response.context["open_campaigns"]}
    assert counts[campaign.slug] == 2
    assert "2 entries" in _text(response)


def test_entry_count_of_a_campaign_with_one_entry_is_singular() -> None:
    SubmissionFactory(campaign=CampaignFactory())

    assert "1 entry" in _text(Client().get("/"))


def test_home_shows_at_most_the_configured_number_of_campaigns(settings) -> None:
    settings.PASSAPAROLA_HOME_CAMPAIGNS = 3
    CampaignFactory.create_batch(5)

    response = Client().get("/")

    assert len(response.context["open_campaigns"]) == 3


def test_home_refuses_post() -> None:
    assert Client().post("/").status_code == 405


# --- Language --------------------------------------------------------------------------------


def test_home_is_english_by_default(mixed: dict[str, Campaign]) -> None:
    response = Client().get("/")

    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en"' in response.content.decode()
    assert "Open campaigns" in _text(response)


@pytest.mark.parametrize("accept", ["it", "it-IT,it;q=0.9,en;q=0.5", "de-DE,it;q=0.8"])
def test_home_is_italian_with_accept_language_it(mixed: dict[str, Campaign], accept: str) -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE=accept)

    assert response.headers["Content-Language"] == "it"
    assert '<html lang="it"' in response.content.decode()
    page = _text(response)
    assert "Campagne aperte" in page
    assert "In arrivo" in page
    assert "Open campaigns" not in page


def test_home_is_italian_with_the_language_cookie(mixed: dict[str, Campaign]) -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "it"

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert settings.LANGUAGE_COOKIE_NAME == "pp_language"
    assert response.headers["Content-Language"] == "it"
    assert "Campagne aperte" in _text(response)


def test_language_cookie_for_an_unknown_language_falls_back() -> None:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"


def test_unsupported_browser_language_falls_back_to_english() -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="de")

    assert response.headers["Content-Language"] == "en"


def test_home_varies_on_language() -> None:
    response = Client().get("/", HTTP_ACCEPT_LANGUAGE="it")

    assert "Accept-Language" in response.headers.get("Vary", "")


def test_signed_in_persons_language_wins_on_the_home_page() -> None:
    client = Client()
    client.force_login(UserFactory(language="it"))

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en")

    assert "Campagne aperte" in _text(response)


# --- Queries ---------------------------------------------------------------------------------


def _with_entries(how_many: int) -> None:
    now = timezone.now()
    for n in range(how_many):
        campaign = CampaignFactory(ends_at=now + (n + 1) * DAY)
        SubmissionFactory(campaign=campaign)
        CampaignFactory(starts_at=now + (n + 1) * DAY)  # upcoming


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "signed-in"])
def test_home_query_count_does_not_grow_with_campaigns(
    django_assert_num_queries, signed_in: bool
) -> None:
    client = Client()
    if signed_in:
        client.force_login(UserFactory())
    _with_entries(2)
    with CaptureQueriesContext(connection) as with_two:
        response = client.get("/")
    assert len(response.context["open_campaigns"]) == 2
    _with_entries(8)

    with django_assert_num_queries(len(with_two)):
        response = client.get("/")

    assert len(response.context["open_campaigns"]) == 10
    assert len(response.context["upcoming_campaigns"]) == 6


def test_anonymous_home_needs_two_queries() -> None:
    _with_entries(3)

    with CaptureQueriesContext(connection) as queries:
        Client().get("/")

    # open campaigns, upcoming campaigns: each with brand and entry count in one query
    assert len(queries) == 2


def test_the_home_lists_are_shared_for_a_moment_then_read_again(settings) -> None:
    settings.PASSAPAROLA_PUBLIC_LISTS_SECONDS = 30
    first = CampaignFactory(title="Spring Lines")
    client = Client()
    assert "Spring Lines" in _text(client.get("/"))

    CampaignFactory(title="Winter Tales")
    with CaptureQueriesContext(connection) as queries:
        cached = _text(client.get("/"))

    assert "Winter Tales" not in cached  # the shared list, as read a moment ago
    assert not any("campaigns_campaign" in q["sql"] for q in queries.captured_queries)
    from django.core.cache import cache

    cache.delete_many(
        [f"campaigns-open:{settings.PASSAPAROLA_HOME_CAMPAIGNS}", "campaigns-upcoming:6"]
    )  # what the 30 s expiry does
    fresh = _text(client.get("/"))
    assert "Winter Tales" in fresh
    assert first.title in fresh


def test_a_campaign_of_many_entries_is_counted_with_one_query_per_list() -> None:
    campaign = CampaignFactory()
    SubmissionFactory.create_batch(3, campaign=campaign, state=Submission.State.APPROVED)
    SubmissionFactory.create_batch(2, campaign=campaign, state=Submission.State.PENDING)
    from campaigns.selectors import campaigns_open

    with CaptureQueriesContext(connection) as queries:
        listed = campaigns_open()

    assert [(c.pk, c.entry_count) for c in listed] == [(campaign.pk, 3)]
    assert len(queries.captured_queries) == 1
    assert "DISTINCT" not in queries.captured_queries[0]["sql"].upper()
