"""The campaign page and the entry page cost a fixed number of SQL queries, whatever they show.

Templates do no queries (STYLE 9): the selectors join authors and campaigns and prefetch prizes,
so a page of 24 entries costs what a page of 5 does, and 20 comments what 2 do. The numbers
are pinned: a change that adds a query per row, or any query, shows here.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Prize
from submissions.models import Submission
from tests.factories import CampaignFactory, CommentFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

# Anonymous: campaign (+ prizes), one gallery page, and the leaderboard (the top, the most liked
# entries). Signed in: the session and the user come first; then whether the viewer is of the
# brand (for the like buttons; the leaderboard selector asks only for a hidden or frozen board),
# their own line on the leaderboard, and which entries of the page they like.
CAMPAIGN_PAGE_QUERIES = {"anonymous": 5, "participant": 11}  # +1: unread notifications
# Anonymous: the entry and its comments. Signed in: session, user, whether the address is
# verified (for the comment form), whether the viewer is of the brand and likes the entry.
ENTRY_PAGE_QUERIES = {"anonymous": 2, "participant": 8}  # +1: unread notifications


def _login(client, who: str) -> None:
    if who == "participant":
        client.force_login(UserFactory())


def _gallery(campaign: Campaign, size: int) -> None:
    kinds = ["photo", "text", "video"]
    for n in range(size):
        kind = kinds[n % 3]
        entry = SubmissionFactory(
            campaign=campaign,
            author=UserFactory(),
            caption=f"Entry {n}",
            like_count=n,
            comment_count=n % 4,
        )
        if kind == "photo":
            entry.kind, entry.text = kind, ""
            entry.image.name = f"submissions/{campaign.pk}/p{n}.jpg"
            entry.image_width, entry.image_height = 1600, 1200
            if n % 2:
                entry.thumb_small.name = f"submissions/{campaign.pk}/thumbs/p{n}-320.webp"
                entry.thumb_medium.name = f"submissions/{campaign.pk}/thumbs/p{n}-640.webp"
                entry.thumb_large.name = f"submissions/{campaign.pk}/thumbs/p{n}-1280.webp"
        elif kind == "video":
            entry.kind, entry.text = kind, ""
            entry.video_url = "https://vimeo.com/76979871"
            entry.video_provider, entry.video_id = "vimeo", "76979871"
        entry.save()


@pytest.mark.parametrize("who", ["anonymous", "participant"])
@pytest.mark.parametrize("size", [5, 24])
@pytest.mark.parametrize("order", ["newest", "most_liked"])
def test_campaign_page_queries_do_not_grow_with_the_page(
    client, django_assert_num_queries, settings, who, size, order
) -> None:
    settings.PASSAPAROLA_GALLERY_PAGE_SIZE = 24
    campaign = CampaignFactory(allow_video=True)
    Prize.objects.create(campaign=campaign, rank=1, description="A tent")
    Prize.objects.create(campaign=campaign, rank=2, description="A jacket")
    _gallery(campaign, size)
    _login(client, who)
    url = reverse("campaign-detail", args=[campaign.slug])

    with django_assert_num_queries(CAMPAIGN_PAGE_QUERIES[who]):
        response = client.get(url, {"order": order})

    assert response.status_code == 200
    assert response.content.decode().count('class="card entry-card') == size


def test_the_next_page_costs_the_same(client, django_assert_num_queries, settings) -> None:
    settings.PASSAPAROLA_GALLERY_PAGE_SIZE = 5
    campaign = CampaignFactory()
    _gallery(campaign, 12)
    url = reverse("campaign-detail", args=[campaign.slug])
    first = client.get(url)
    more = first.content.decode().split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]

    with django_assert_num_queries(CAMPAIGN_PAGE_QUERIES["anonymous"]):
        response = client.get(url + more.replace("&amp;", "&").split("#")[0])

    assert response.status_code == 200


@pytest.mark.parametrize("who", ["anonymous", "participant"])
@pytest.mark.parametrize("comments", [2, 20])
def test_entry_page_queries_do_not_grow_with_the_comments(
    client, django_assert_num_queries, who, comments
) -> None:
    entry = SubmissionFactory(kind=Submission.Kind.TEXT, caption="Sunrise")
    for _ in range(comments):
        CommentFactory(submission=entry, author=UserFactory())
    _login(client, who)
    url = reverse("entry-detail", args=[entry.pk])

    with django_assert_num_queries(ENTRY_PAGE_QUERIES[who]):
        response = client.get(url)

    assert response.status_code == 200
    assert response.content.decode().count('class="comment"') == comments
