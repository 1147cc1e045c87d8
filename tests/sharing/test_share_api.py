"""The sharing API: the author's share link, and share statistics for the author and the brand."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import BrandMembership
from campaigns.models import Campaign
from sharing.clicks import clicks_derive
from sharing.models import Referral, ShareLink
from submissions.models import Submission
from tests.api.helpers import error_of
from tests.factories import CampaignFactory, MembershipFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def _links_url(entry) -> str:
    return f"/api/v1/submissions/{entry.pk}/share-links/"


def _stats_url(entry) -> str:
    return f"/api/v1/submissions/{entry.pk}/share-stats/"


def test_the_author_gets_their_link_201_then_200(entry, author) -> None:
    client = _client(author)

    first = client.post(_links_url(entry))
    again = client.post(_links_url(entry))

    link = ShareLink.objects.get()
    assert first.status_code == 201
    assert first.json() == {"code": link.code, "url": f"http://testserver/s/{link.code}"}
    assert again.status_code == 200
    assert again.json() == first.json()


def test_the_link_from_the_api_redirects_to_the_entry(entry, author) -> None:
    url = _client(author).post(_links_url(entry)).json()["url"]

    response = Client().get(url, headers={"User-Agent": BROWSER})

    assert response.status_code == 302
    assert response["Location"] == f"/entries/{entry.pk}/"


@pytest.mark.parametrize("who", ["participant", "brand_owner"])
def test_someone_else_gets_no_link_for_a_visible_entry(entry, who) -> None:
    user = (
        UserFactory()
        if who == "participant"
        else MembershipFactory(brand=entry.campaign.brand).user
    )

    error_of(_client(user).post(_links_url(entry)), 403, "not_author")
    assert not ShareLink.objects.exists()


def test_a_link_takes_no_input(entry, author) -> None:
    error = error_of(_client(author).post(_links_url(entry), {"code": "Mine"}), 400, "invalid")

    assert "code" in error["fields"]
    assert not ShareLink.objects.exists()


def test_a_link_needs_credentials(entry) -> None:
    error_of(_client().post(_links_url(entry)), 401)


def test_an_entry_waiting_for_review_is_409_for_its_author_404_for_others(author) -> None:
    campaign = CampaignFactory(moderation_mode=Campaign.ModerationMode.PRE)
    entry = SubmissionFactory(campaign=campaign, author=author, state=Submission.State.PENDING)

    error_of(_client(author).post(_links_url(entry)), 409, "not_shareable")
    error_of(_client(UserFactory()).post(_links_url(entry)), 404)


def test_an_unknown_entry_is_a_404(author) -> None:
    error_of(_client(author).post("/api/v1/submissions/999999/share-links/"), 404)


# --- Statistics ------------------------------------------------------------------------------


def _traffic(link) -> None:
    visitor = Client()
    for address, channel in (
        ("192.0.2.1", "whatsapp"),
        ("192.0.2.1", "whatsapp"),  # a repeat
        ("192.0.2.2", "whatsapp"),
        ("192.0.2.3", "x"),
    ):
        visitor.get(
            f"/s/{link.code}?c={channel}", headers={"User-Agent": BROWSER}, REMOTE_ADDR=address
        )
    visitor.get(f"/s/{link.code}?c=x", headers={"User-Agent": "Twitterbot/1.0"})
    clicks_derive()
    Referral.objects.create(link=link, referred=UserFactory(), arrived_at=link.created_at)
    Referral.objects.create(
        link=link, referred=UserFactory(), arrived_at=link.created_at, verified_at=link.created_at
    )


@pytest.mark.parametrize(
    "role",
    [BrandMembership.Role.OWNER, BrandMembership.Role.MANAGER, BrandMembership.Role.ANALYST],
)
def test_the_author_and_the_brand_see_the_statistics(entry, author, link, role) -> None:
    _traffic(link)
    member = MembershipFactory(brand=entry.campaign.brand, role=role).user
    expected = {
        "entry": entry.pk,
        "counted_clicks": 3,
        "channels": {"x": 1, "whatsapp": 2},
        "referrals_signed_up": 2,
        "referrals_verified": 1,
        "links": [
            {
                "code": link.code,
                "counted_clicks": 3,
                "channels": {"x": 1, "whatsapp": 2},
                "referrals_signed_up": 2,
                "referrals_verified": 1,
            }
        ],
    }

    for user in (author, member):
        response = _client(user).get(_stats_url(entry))
        assert response.status_code == 200
        assert response.json() == expected


def test_statistics_of_an_entry_never_shared_are_zeros(entry, author) -> None:
    body = _client(author).get(_stats_url(entry)).json()

    assert body["counted_clicks"] == 0
    assert body["links"] == []


def test_other_brands_and_participants_are_refused_the_statistics(entry, link) -> None:
    for user in (UserFactory(), MembershipFactory().user):
        error_of(_client(user).get(_stats_url(entry)), 403, "not_allowed")
    error_of(_client().get(_stats_url(entry)), 401)


def test_the_statistics_endpoint_costs_a_fixed_number_of_queries(
    entry, author, link, django_assert_num_queries
) -> None:
    _traffic(link)
    client = _client(author)
    client.get(_stats_url(entry))

    # token, entry, then links, clicks and referrals
    with django_assert_num_queries(5):
        assert client.get(_stats_url(entry)).status_code == 200
