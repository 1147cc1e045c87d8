"""List endpoints answer in a fixed number of queries, whatever the page size."""

from __future__ import annotations

import pytest

from submissions.models import Submission
from tests.factories import CampaignFactory, CommentFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

ENTRIES = 35


@pytest.fixture
def gallery(brand_a):
    """An open campaign with photo, text and video entries by different people."""
    campaign = CampaignFactory(brand=brand_a, slug="busy", allow_video=True)
    for n in range(ENTRIES):
        kind = ("photo", "text", "video")[n % 3]
        content = {
            "photo": {
                "text": "",
                "image": f"submissions/{campaign.pk}/{n}.jpg",
                "image_width": 800,
                "image_height": 600,
                "thumb_small": f"submissions/{campaign.pk}/thumbs/{n}-320.webp",
            },
            "text": {"text": f"Story {n}"},
            "video": {
                "text": "",
                "video_url": "https://vimeo.com/76979871",
                "video_provider": "vimeo",
                "video_id": "76979871",
            },
        }[kind]
        SubmissionFactory(campaign=campaign, kind=kind, like_count=n, **content)
    return campaign


@pytest.mark.parametrize("page_size", [5, 30])
@pytest.mark.parametrize("order", ["newest", "most_liked"])
def test_gallery_queries_do_not_grow_with_the_page(
    anonymous, gallery, page_size, order, django_assert_num_queries
) -> None:
    # The campaign and one page of entries with their authors (no entry count, no prizes).
    with django_assert_num_queries(2):
        response = anonymous.get(
            "/api/v1/campaigns/busy/submissions/", {"page_size": page_size, "order": order}
        )

    assert len(response.json()["results"]) == page_size
    assert response.json()["next"]


@pytest.mark.parametrize("page_size", [5, 30])
def test_gallery_queries_for_a_signed_in_viewer(
    client_for, gallery, page_size, django_assert_num_queries
) -> None:
    viewer = Submission.objects.filter(campaign=gallery).first().author
    client = client_for(viewer)

    # One more: the token.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/campaigns/busy/submissions/", {"page_size": page_size})

    assert len(response.json()["results"]) == page_size


@pytest.mark.parametrize("page_size", [5, 30])
def test_comment_list_queries_do_not_grow_with_the_page(
    anonymous, page_size, django_assert_num_queries
) -> None:
    entry = SubmissionFactory()
    for _ in range(ENTRIES):
        CommentFactory(submission=entry, author=UserFactory())

    # The entry (visibility included) and one page of comments with their authors.
    with django_assert_num_queries(2):
        response = anonymous.get(
            f"/api/v1/submissions/{entry.pk}/comments/", {"page_size": page_size}
        )

    assert len(response.json()["results"]) == page_size
    assert response.json()["next"]


@pytest.mark.parametrize("campaigns", [2, 12])
def test_brand_listing_queries_do_not_grow_with_campaigns(
    client_for, owner_a, brand_a, campaigns, django_assert_num_queries
) -> None:
    for _ in range(campaigns):
        SubmissionFactory(campaign=CampaignFactory(brand=brand_a))
    client = client_for(owner_a)

    # The token, the membership, the campaigns with their counts.
    with django_assert_num_queries(3):
        response = client.get("/api/v1/brands/brand-a/campaigns/")

    assert len(response.json()) == campaigns
