"""Points statements: the participant's own page, the brand's page for any participant, and
the API; nobody else learns that a statement exists."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import BrandMembership
from sharing.models import PointEvent
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(campaign, author, entry, award):
    """The author's ledger: entry approved +10, a like +1, the like withdrawn -1, a click +2."""
    now = timezone.now()
    Kind = PointEvent.Kind
    for minutes, kind, points in [
        (40, Kind.ENTRY, 10),
        (30, Kind.LIKE, 1),
        (20, Kind.UNLIKE, -1),
        (10, Kind.CLICK, 2),
    ]:
        award(
            campaign,
            author,
            points,
            at=now - timedelta(minutes=minutes),
            kind=kind,
            submission=entry,
        )


def _mine(campaign) -> str:
    return reverse("points-statement", args=[campaign.slug])


def _brands(campaign, participant) -> str:
    return reverse(
        "brand-points-statement", args=[campaign.brand.slug, campaign.slug, participant.pk]
    )


def _rows(body: str) -> list[tuple[str, ...]]:
    table = re.search(r"<tbody>(.*?)</tbody>", body, re.S).group(1)
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append(
            tuple(
                html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", c))).strip()
                for c in cells[1:]
            )
        )
    return rows


def test_my_statement_lists_every_line_with_its_running_total(
    signed_in, campaign, author, entry, history
):
    response = signed_in(author).get(_mine(campaign))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Your points in “Summer stories”" in html.unescape(body)
    assert "Total: <strong>12</strong> points" in body
    assert _rows(body) == [  # newest first
        (f"Counted share click · the entry #{entry.pk}", "+2", "12"),
        (f"Like withdrawn · the entry #{entry.pk}", "-1", "10"),
        (f"Like received · the entry #{entry.pk}", "+1", "11"),
        (f"Entry approved · the entry #{entry.pk}", "+10", "10"),
    ]
    assert body.count("<time datetime=") == 4
    assert "an approved entry 10, each like received 1" in body
    assert 'name="robots" content="noindex"' in body


@pytest.mark.parametrize("role", BrandMembership.Role.values)
def test_the_brand_opens_the_same_statement(signed_in, campaign, brand, author, history, role):
    member = MembershipFactory(brand=brand, role=role).user

    response = signed_in(member).get(_brands(campaign, author))

    body = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "Points of Ada Author in “Summer stories”" in body
    assert len(_rows(response.content.decode())) == 4
    assert reverse("brand-campaign-manage", args=[brand.slug, campaign.slug]) in body
    assert "ada@example.com" not in body


@pytest.mark.parametrize("who", ["other_participant", "other_brand", "author_elsewhere"])
def test_anyone_else_gets_a_404(signed_in, campaign, brand, author, other_owner, history, who):
    viewer = {
        "other_participant": UserFactory(),
        "other_brand": other_owner,
        "author_elsewhere": author,  # the brand's URL is the brand's, even for the participant
    }[who]

    assert signed_in(viewer).get(_brands(campaign, author)).status_code == 404


def test_my_page_shows_only_my_own_lines(signed_in, campaign, history):
    # There is no participant-side URL for someone else's statement: /points/ is always yours.
    body = signed_in(UserFactory()).get(_mine(campaign)).content.decode()

    assert "No points yet." in body
    assert "Ada Author" not in body


def test_another_brands_owner_cannot_reach_it_through_their_own_brand(
    signed_in, campaign, author, other_owner, history
):
    theirs = other_owner.memberships.get().brand.slug
    url = reverse("brand-points-statement", args=[theirs, campaign.slug, author.pk])

    assert signed_in(other_owner).get(url).status_code == 404


def test_a_statement_of_nobody_is_404_for_the_brand(signed_in, campaign, owner):
    url = reverse("brand-points-statement", args=[campaign.brand.slug, campaign.slug, 987654])

    assert signed_in(owner).get(url).status_code == 404


@pytest.mark.parametrize("url_name", ["points-statement", "brand-points-statement"])
def test_anonymous_visitors_are_sent_to_sign_in(client, campaign, author, url_name):
    url = _mine(campaign) if url_name == "points-statement" else _brands(campaign, author)

    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_an_empty_statement_says_so(signed_in, campaign, fan):
    body = signed_in(fan).get(_mine(campaign)).content.decode()

    assert "No points yet." in body
    assert "Total: <strong>0</strong> points" in body


def test_a_long_statement_is_paged(signed_in, campaign, author, award, settings):
    for _ in range(105):
        award(campaign, author, 1, kind=PointEvent.Kind.CLICK)
    client = signed_in(author)

    first = client.get(_mine(campaign)).content.decode()
    second = client.get(_mine(campaign), {"page": 2}).content.decode()

    assert len(_rows(first)) == 100
    assert _rows(first)[0][2] == "105"
    assert len(_rows(second)) == 5
    assert _rows(second)[-1][2] == "1"
    assert 'rel="next"' in first


def test_the_draft_of_another_brand_is_404(signed_in, fan, brand):
    from campaigns.models import Campaign
    from tests.factories import CampaignFactory

    draft = CampaignFactory(brand=brand, status=Campaign.Status.DRAFT)

    assert signed_in(fan).get(_mine(draft)).status_code == 404


def test_api_gives_my_own_statement(campaign, author, entry, history):
    client = APIClient()
    client.force_login(author)

    data = client.get(f"/api/v1/campaigns/{campaign.slug}/points/").json()

    assert data["campaign"] == campaign.slug
    assert data["participant_id"] == author.pk
    assert data["total"] == 12
    assert [(line["kind"], line["points"], line["balance"]) for line in data["lines"]] == [
        ("entry", 10, 10),
        ("like", 1, 11),
        ("unlike", -1, 10),
        ("click", 2, 12),
    ]
    assert data["lines"][0]["reason"] == "Entry approved"
    assert data["lines"][0]["entry"] == entry.pk
    assert APIClient().get(f"/api/v1/campaigns/{campaign.slug}/points/").status_code == 401


def test_the_brand_manage_page_links_the_leaderboard(signed_in, campaign, owner):
    body = signed_in(owner).get(
        reverse("brand-campaign-manage", args=[campaign.brand.slug, campaign.slug])
    )

    assert reverse("campaign-leaderboard", args=[campaign.slug]) in body.content.decode()
