"""The leaderboard through its doors: the campaign page, the full page and the API, for each
kind of viewer, with ties, "my rank", and the hidden, frozen and final states."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from campaigns.models import Campaign, Winner, WinnerDraw
from sharing import leaderboard
from tests.factories import CampaignFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@dataclass
class Board:
    campaign: Campaign
    people: dict[str, User]


@pytest.fixture
def board(campaign, award) -> Board:
    """Five participants: 30, 20, 20 (reached later), 10, 5 points: ranks 1, 2, 2, 4, 5."""
    now = timezone.now()
    people = {
        name: UserFactory(display_name=name, email=f"{name.lower()}@example.com")
        for name in ("Ana", "Ben", "Cleo", "Dan", "Eve")
    }
    for name, points, minutes_ago in [
        ("Ana", 30, 50),
        ("Ben", 20, 40),
        ("Cleo", 20, 30),
        ("Dan", 10, 20),
        ("Eve", 5, 10),
    ]:
        award(campaign, people[name], points, at=now - timedelta(minutes=minutes_ago))
    return Board(campaign, people)


def _api(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def _board_api(board: Board, viewer: User | None, **query) -> dict:
    response = _api(viewer).get(f"/api/v1/campaigns/{board.campaign.slug}/leaderboard/", query)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _lines(rows: list[dict]) -> list[tuple[int, str, int]]:
    return [(row["rank"], row["name"], row["points"]) for row in rows]


def _table(body: str, name: str) -> list[tuple[str, ...]]:
    """The rows of one of the board's tables as (rank, name, points) texts."""
    match = re.search(rf'<tbody data-leaderboard-rows="{name}">(.*?)</tbody>', body, re.S)
    if match is None:
        return []
    rows = []
    for row in re.findall(r"<tr.*?</tr>", match.group(1), re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td.*?</td>", row, re.S)]
        rows.append(tuple(html.unescape(re.sub(r"\s+", " ", c)) for c in cells))
    return rows


TOP = [(1, "Ana", 30), (2, "Ben", 20), (2, "Cleo", 20), (4, "Dan", 10), (5, "Eve", 5)]


# --- The API ---------------------------------------------------------------------------------


def test_api_ranks_ties_by_competition_for_anyone(board):
    data = _board_api(board, None)

    assert data["state"] == "live"
    assert data["frozen_at"] is None
    assert _lines(data["top"]) == TOP
    assert data["top"][0]["participant_id"] == board.people["Ana"].pk
    assert set(data["top"][0]) == {"rank", "participant_id", "name", "points"}
    assert data["me"] is None
    assert data["above"] == data["below"] == []


def test_api_gives_my_line_with_the_participants_around_me(board):
    data = _board_api(board, board.people["Cleo"])

    assert _lines([data["me"]]) == [(2, "Cleo", 20)]
    assert _lines(data["above"]) == [(1, "Ana", 30), (2, "Ben", 20)]
    assert _lines(data["below"]) == [(4, "Dan", 10), (5, "Eve", 5)]


def test_api_gives_no_line_to_someone_not_listed(board, fan, owner):
    for viewer in (fan, owner):
        data = _board_api(board, viewer)
        assert data["me"] is None
        assert _lines(data["top"]) == TOP


def test_api_never_shows_an_email(board, entry):
    body = _api(None).get(f"/api/v1/campaigns/{board.campaign.slug}/leaderboard/").content

    assert b"@example.com" not in body


def test_api_limit_cuts_the_top(board):
    assert _lines(_board_api(board, None, limit=3)["top"]) == TOP[:3]


def test_api_limit_with_other_parameters_and_leading_zeros(board):
    assert _lines(_board_api(board, None, limit="03", page="2")["top"]) == TOP[:3]


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "2.5", "1e2"])
def test_api_refuses_a_bad_limit(board, limit):
    response = _api(None).get(
        f"/api/v1/campaigns/{board.campaign.slug}/leaderboard/", {"limit": limit}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert "limit" in error["fields"]


def test_api_lists_the_top_entries_by_likes(board, campaign):
    sea = SubmissionFactory(campaign=campaign, caption="Sea", like_count=7)
    SubmissionFactory(campaign=campaign, caption="", like_count=7, author=board.people["Eve"])
    SubmissionFactory(campaign=campaign, caption="Quiet", like_count=0)

    entries = _board_api(board, None)["top_entries"]

    assert [(e["rank"], e["caption"], e["author_name"], e["likes"]) for e in entries] == [
        (1, "Sea", sea.author.public_name, 7),
        (1, "", "Eve", 7),
    ]
    assert entries[0]["url"] == f"/entries/{sea.pk}/"


def test_api_of_a_draft_is_the_brands_only(owner, fan, brand):
    draft = CampaignFactory(brand=brand, status=Campaign.Status.DRAFT)
    url = f"/api/v1/campaigns/{draft.slug}/leaderboard/"

    assert _api(owner).get(url).json()["state"] == "not_started"
    assert _api(fan).get(url).status_code == 404
    assert _api(None).get(url).status_code == 404
    assert _api(None).get("/api/v1/campaigns/no-such/leaderboard/").status_code == 404


@pytest.mark.redis
def test_api_answers_the_same_from_redis(board, settings):
    settings.PASSAPAROLA_LEADERBOARD_REDIS = True
    leaderboard._health.update(down_until=0.0, warned=False)
    assert leaderboard.leaderboard_redis_rebuild(campaign_id=board.campaign.pk)

    data = _board_api(board, board.people["Cleo"])

    assert _lines(data["top"]) == TOP
    assert _lines([data["me"], *data["above"], *data["below"]]) == [
        (2, "Cleo", 20),
        (1, "Ana", 30),
        (2, "Ben", 20),
        (4, "Dan", 10),
        (5, "Eve", 5),
    ]


# --- Hidden, frozen, final -------------------------------------------------------------------


def test_hidden_until_the_close_except_for_the_brand(board, owner):
    Campaign.objects.filter(pk=board.campaign.pk).update(hide_live_counts=True)

    for viewer in (None, board.people["Cleo"]):
        data = _board_api(board, viewer)
        assert data["state"] == "hidden"
        assert data["top"] == data["above"] == data["below"] == data["top_entries"] == []
        assert data["me"] is None
        assert data["reveal_at"] is not None
    assert _lines(_board_api(board, owner)["top"]) == TOP

    Campaign.objects.filter(pk=board.campaign.pk).update(ends_at=timezone.now())
    assert _board_api(board, None)["state"] == "final"
    assert _lines(_board_api(board, None)["top"]) == TOP


def test_hidden_board_on_the_pages_says_so(board, signed_in):
    Campaign.objects.filter(pk=board.campaign.pk).update(hide_live_counts=True)
    client = signed_in(board.people["Cleo"])

    for url in (
        reverse("campaign-detail", args=[board.campaign.slug]),
        reverse("campaign-leaderboard", args=[board.campaign.slug]),
    ):
        body = html.unescape(client.get(url).content.decode())
        assert "The leaderboard is hidden until the campaign closes." in body
        assert "Ana" not in body
        assert "data-poll-url" not in body
        assert "leaderboard.js" not in body


@pytest.fixture
def freezing(campaign, award):
    """A campaign ending in 10 hours, frozen for its last 24: Ana scored before, Ben after."""
    now = timezone.now()
    Campaign.objects.filter(pk=campaign.pk).update(
        starts_at=now - timedelta(days=3),
        ends_at=now + timedelta(hours=10),
        leaderboard_freeze_hours=24,
    )
    campaign.refresh_from_db()
    ana, ben = UserFactory(display_name="Ana"), UserFactory(display_name="Ben")
    award(campaign, ana, 30, at=now - timedelta(hours=20))
    award(campaign, ben, 50, at=now - timedelta(hours=1))
    return campaign, ana, ben


def test_frozen_shows_the_standings_at_the_freeze(freezing, owner):
    campaign, _ana, ben = freezing
    url = f"/api/v1/campaigns/{campaign.slug}/leaderboard/"

    public = _api(None).get(url).json()
    mine = _api(ben).get(url).json()
    brand = _api(owner).get(url).json()

    assert public["state"] == "frozen"
    assert public["frozen_at"].startswith(
        (campaign.ends_at - timedelta(hours=24)).astimezone(UTC).strftime("%Y-%m-%dT%H")
    )
    assert _lines(public["top"]) == [(1, "Ana", 30)]
    assert mine["me"] is None  # Ben scored after the freeze
    assert brand["state"] == "live"
    assert _lines(brand["top"]) == [(1, "Ben", 50), (2, "Ana", 30)]


def test_frozen_board_on_the_page_says_since_when(freezing, client):
    campaign, _ana, _ben = freezing

    body = html.unescape(
        client.get(reverse("campaign-detail", args=[campaign.slug])).content.decode()
    )

    assert "Frozen since" in body
    assert "The final standings appear when the campaign closes." in body
    assert _table(body, "top") == [("1", "Ana", "30")]
    assert 'data-state="frozen"' in body
    assert "data-poll-url=" in body  # polled, slowly, to notice the close


def test_a_closed_campaign_shows_the_final_board_without_polling(board, client):
    Campaign.objects.filter(pk=board.campaign.pk).update(ends_at=timezone.now())

    body = html.unescape(
        client.get(reverse("campaign-detail", args=[board.campaign.slug])).content.decode()
    )

    assert "these are the final standings" in body
    assert "data-poll-url" not in body
    assert "leaderboard.js" not in body


def test_a_scheduled_campaign_has_no_board_yet(client, brand):
    scheduled = CampaignFactory(brand=brand, starts_at=timezone.now() + timedelta(days=2))

    body = client.get(reverse("campaign-detail", args=[scheduled.slug])).content.decode()

    assert "The leaderboard starts when the campaign opens" in body
    assert _board_api(Board(scheduled, {}), None)["state"] == "not_started"


# --- The pages -------------------------------------------------------------------------------


def test_the_campaign_page_shows_the_top_with_ties_and_polls(board, client):
    body = html.unescape(
        client.get(reverse("campaign-detail", args=[board.campaign.slug])).content.decode()
    )

    assert _table(body, "top") == [(str(r), n, str(p)) for r, n, p in TOP]  # the top five
    assert f'data-poll-url="/api/v1/campaigns/{board.campaign.slug}/leaderboard/?limit=5"' in body
    assert 'src="/static/js/leaderboard.js"' in body
    assert "to see your rank" in body
    assert body.index('id="leaderboard"') < body.index('id="gallery"')


def test_the_campaign_page_shows_my_rank_and_neighbours(board, signed_in):
    body = html.unescape(
        signed_in(board.people["Cleo"])
        .get(reverse("campaign-detail", args=[board.campaign.slug]))
        .content.decode()
    )

    assert _table(body, "me") == [
        ("1", "Ana", "30"),
        ("2", "Ben", "20"),
        ("2", "Cleo (you)", "20"),
        ("4", "Dan", "10"),
        ("5", "Eve", "5"),
    ]
    mine = re.search(r'<tbody data-leaderboard-rows="me">.*?</tbody>', body, re.S).group(0)
    assert mine.count('aria-current="true"') == 1
    assert f'data-me="{board.people["Cleo"].pk}"' in body
    assert reverse("points-statement", args=[board.campaign.slug]) in body
    # Cleo is in the top five the page shows: one sentence, not the same lines twice.
    assert "You are #2: your line is highlighted above." in body
    assert re.search(r'<table[^>]*data-leaderboard-table="me" hidden>', body)


def test_below_the_top_my_neighbours_get_their_own_table(board, signed_in, award):
    for name, points in [("Gus", 50), ("Hal", 45), ("Ivy", 40)]:
        award(board.campaign, UserFactory(display_name=name), points)

    body = html.unescape(
        signed_in(board.people["Eve"])
        .get(reverse("campaign-detail", args=[board.campaign.slug]))
        .content.decode()
    )

    assert [row[1] for row in _table(body, "top")] == ["Gus", "Hal", "Ivy", "Ana", "Ben"]
    assert _table(body, "me") == [("5", "Cleo", "20"), ("7", "Dan", "10"), ("8", "Eve (you)", "5")]
    assert re.search(r"<p data-leaderboard-in-top [^>]*hidden>", body)
    assert not re.search(r'<table[^>]*data-leaderboard-table="me" hidden>', body)


def test_someone_not_listed_is_told_how_to_get_there(board, signed_in, fan):
    body = signed_in(fan).get(reverse("campaign-detail", args=[board.campaign.slug])).content
    body = html.unescape(body.decode())

    assert "You are not on the leaderboard yet" in body
    assert _table(body, "me") == []


def test_the_full_page_shows_more_and_the_brand_gets_statement_links(board, signed_in, owner):
    url = reverse("campaign-leaderboard", args=[board.campaign.slug])

    public = html.unescape(signed_in(None).get(url).content.decode())
    brand = signed_in(owner).get(url).content.decode()

    assert "<h1" in public
    assert _table(public, "top") == [(str(r), n, str(p)) for r, n, p in TOP]
    assert "?limit=100" in public
    assert "brand/acme/campaigns" not in public
    ana = board.people["Ana"].pk
    assert f'href="/brand/acme/campaigns/{board.campaign.slug}/points/{ana}/"' in brand
    assert 'data-statement-url="/brand/acme/campaigns/summer/points/0/"' in brand
    assert "Your position" not in brand


def test_the_full_page_of_a_draft_is_404_for_the_public(brand, client):
    draft = CampaignFactory(brand=brand, status=Campaign.Status.DRAFT)

    assert client.get(reverse("campaign-leaderboard", args=[draft.slug])).status_code == 404


def test_winners_show_above_the_leaderboard(board, client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(ends_at=timezone.now())
    draw = WinnerDraw.objects.create(campaign=campaign, rule=Campaign.WinnerRule.TOP_POINTS)
    ana_entry = SubmissionFactory(campaign=campaign, author=board.people["Ana"], caption="Dawn")
    Winner.objects.create(
        campaign=campaign, draw=draw, rank=1, participant=board.people["Ana"], submission=ana_entry
    )
    Winner.objects.create(campaign=campaign, draw=draw, rank=2, participant=board.people["Ben"])
    Winner.objects.create(
        campaign=campaign,
        draw=draw,
        rank=3,
        participant=board.people["Dan"],
        disqualified_at=timezone.now(),
        disqualified_reason="Bought likes",
    )

    for url in (
        reverse("campaign-detail", args=[campaign.slug]),
        reverse("campaign-leaderboard", args=[campaign.slug]),
    ):
        body = html.unescape(client.get(url).content.decode())
        winners = body.split('id="winners"')[1].split("</section>")[0]
        assert body.index('id="winners"') < body.index('id="leaderboard"')
        assert '<li class="winners__item" value="1">' in winners
        assert "Ana" in winners
        assert f'href="/entries/{ana_entry.pk}/">“Dawn”' in winners
        assert "Ben" in winners
        assert "Dan" not in winners
        assert "@example.com" not in winners


def test_no_winners_section_while_open(board, client):
    body = client.get(reverse("campaign-detail", args=[board.campaign.slug])).content.decode()

    assert 'id="winners"' not in body
