"""Tenancy for every API operation, as four actors: brand A's owner, brand B's owner, a
participant with no brand, and an anonymous caller.

The operations come from the OpenAPI schema; each has an expected status per actor in two
worlds: one where brand A's campaign is a draft (with a pending entry and a comment), one where
it is open (with an approved entry and a comment). A new endpoint without a row here fails
`test_every_operation_in_the_schema_has_expectations`. In both worlds brand A also keeps a
secret draft, whose title no answer to anyone but brand A may carry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from campaigns.models import Campaign
from submissions.models import Comment, Submission
from tests.factories import CampaignFactory, CommentFactory, SubmissionFactory

pytestmark = pytest.mark.django_db

SECRET_TITLE = "Brand A secret winter launch"
ACTORS = ("own", "other_brand", "participant", "anonymous")
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@dataclass
class World:
    name: str
    owner_a: User
    owner_b: User
    participant: User
    campaign: Campaign
    entry: Submission
    comment: Comment

    def params(self) -> dict[str, Any]:
        return {
            "brand_slug": self.campaign.brand.slug,
            "slug": self.campaign.slug,
            "submission_id": self.entry.pk,
            "comment_id": self.comment.pk,
        }


Body = Callable[[World], dict[str, Any]]


def _new_campaign(world: World) -> dict[str, Any]:
    now = timezone.now()
    return {
        "brand": world.campaign.brand.slug,
        "title": "Made through the API",
        "slug": "made-through-the-api",
        "starts_at": (now + timedelta(days=1)).isoformat(),
        "ends_at": (now + timedelta(days=5)).isoformat(),
    }


BODIES: dict[tuple[str, str], Body] = {
    ("/api/v1/auth/token/", "post"): lambda world: {},
    ("/api/v1/campaigns/", "post"): _new_campaign,
    ("/api/v1/campaigns/{slug}/", "patch"): lambda world: {"title": "Renamed"},
    ("/api/v1/campaigns/{slug}/submissions/", "post"): lambda world: {
        "kind": "text",
        "text": "My entry",
    },
    ("/api/v1/submissions/{submission_id}/comments/", "post"): lambda world: {"body": "Nice"},
    ("/api/v1/submissions/{submission_id}/reports/", "post"): lambda world: {"reason": "spam"},
    ("/api/v1/comments/{comment_id}/", "patch"): lambda world: {"body": "Edited"},
    ("/api/v1/comments/{comment_id}/reports/", "post"): lambda world: {"reason": "spam"},
    ("/api/v1/submissions/{submission_id}/like/", "post"): lambda world: {},
}

# (own brand, other brand, participant, anonymous)
DRAFT_WORLD: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("/api/v1/auth/token/", "post"): (400, 400, 400, 400),  # no brand data: credentials only
    ("/api/v1/me/", "get"): (200, 200, 200, 401),
    ("/api/v1/brands/", "get"): (200, 200, 200, 401),
    ("/api/v1/brands/{brand_slug}/campaigns/", "get"): (200, 404, 404, 401),
    ("/api/v1/campaigns/", "get"): (200, 200, 200, 200),  # open campaigns only
    ("/api/v1/campaigns/", "post"): (201, 404, 404, 401),
    # A draft is readable by its brand only; the endpoint is public, so anonymous gets the 404.
    ("/api/v1/campaigns/{slug}/", "get"): (200, 404, 404, 404),
    ("/api/v1/campaigns/{slug}/", "patch"): (200, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/publish/", "post"): (200, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/unpublish/", "post"): (409, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/close/", "post"): (409, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/submissions/", "get"): (200, 404, 404, 404),
    ("/api/v1/campaigns/{slug}/submissions/", "post"): (400, 404, 404, 401),
    # A pending entry is its author's and the moderators' (staff), not the brand's.
    ("/api/v1/submissions/{submission_id}/", "get"): (404, 404, 404, 404),
    ("/api/v1/submissions/{submission_id}/comments/", "get"): (404, 404, 404, 404),
    ("/api/v1/submissions/{submission_id}/comments/", "post"): (404, 404, 404, 401),
    ("/api/v1/submissions/{submission_id}/reports/", "post"): (404, 404, 404, 401),
    ("/api/v1/comments/{comment_id}/", "patch"): (404, 404, 404, 401),
    ("/api/v1/comments/{comment_id}/", "delete"): (404, 404, 404, 401),
    ("/api/v1/comments/{comment_id}/reports/", "post"): (404, 404, 404, 401),
    # Sharing: an entry nobody but its author sees is a 404 for everyone else, the brand too.
    ("/api/v1/submissions/{submission_id}/share-links/", "post"): (404, 404, 404, 401),
    ("/api/v1/submissions/{submission_id}/share-stats/", "get"): (404, 404, 404, 401),
    # Engagement: an entry nobody but its author sees cannot be liked or unliked; a draft's
    # leaderboard (not started) and one's own statement in it are its brand's only.
    ("/api/v1/submissions/{submission_id}/like/", "post"): (404, 404, 404, 401),
    ("/api/v1/submissions/{submission_id}/like/", "delete"): (404, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/leaderboard/", "get"): (200, 404, 404, 404),
    ("/api/v1/campaigns/{slug}/points/", "get"): (200, 404, 404, 401),
}

OPEN_WORLD: dict[tuple[str, str], tuple[int, int, int, int]] = {
    ("/api/v1/auth/token/", "post"): (400, 400, 400, 400),
    ("/api/v1/me/", "get"): (200, 200, 200, 401),
    ("/api/v1/brands/", "get"): (200, 200, 200, 401),
    ("/api/v1/brands/{brand_slug}/campaigns/", "get"): (200, 404, 404, 401),
    ("/api/v1/campaigns/", "get"): (200, 200, 200, 200),
    ("/api/v1/campaigns/", "post"): (201, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/", "get"): (200, 200, 200, 200),
    # Writes to a published campaign of another brand are still a 404: not theirs to change.
    ("/api/v1/campaigns/{slug}/", "patch"): (200, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/publish/", "post"): (409, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/unpublish/", "post"): (409, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/close/", "post"): (200, 404, 404, 401),
    ("/api/v1/campaigns/{slug}/submissions/", "get"): (200, 200, 200, 200),
    # The brand's own people do not enter its campaigns (fair play).
    ("/api/v1/campaigns/{slug}/submissions/", "post"): (403, 201, 201, 401),
    ("/api/v1/submissions/{submission_id}/", "get"): (200, 200, 200, 200),
    ("/api/v1/submissions/{submission_id}/comments/", "get"): (200, 200, 200, 200),
    ("/api/v1/submissions/{submission_id}/comments/", "post"): (201, 201, 201, 401),
    ("/api/v1/submissions/{submission_id}/reports/", "post"): (201, 201, 201, 401),
    # A visible comment of someone else: the service says 403 (only its author).
    ("/api/v1/comments/{comment_id}/", "patch"): (403, 403, 403, 401),
    ("/api/v1/comments/{comment_id}/", "delete"): (403, 403, 403, 401),
    ("/api/v1/comments/{comment_id}/reports/", "post"): (201, 201, 201, 401),
    # A visible entry: its share link is its author's only (`not_author`); its statistics are
    # its author's and its campaign's brand's (`not_allowed` for anyone else).
    ("/api/v1/submissions/{submission_id}/share-links/", "post"): (403, 403, 403, 401),
    ("/api/v1/submissions/{submission_id}/share-stats/", "get"): (200, 403, 403, 401),
    # Likes: the brand's own people do not like its entries (`brand_member`); anyone else
    # verified does. Withdrawing a like one does not have is harmless (200, nothing changes).
    ("/api/v1/submissions/{submission_id}/like/", "post"): (403, 201, 201, 401),
    ("/api/v1/submissions/{submission_id}/like/", "delete"): (200, 200, 200, 401),
    ("/api/v1/campaigns/{slug}/leaderboard/", "get"): (200, 200, 200, 200),
    ("/api/v1/campaigns/{slug}/points/", "get"): (200, 200, 200, 401),
}

WORLDS = {"draft": DRAFT_WORLD, "open": OPEN_WORLD}


def _schema_operations() -> set[tuple[str, str]]:
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    return {
        (path, method)
        for path, operations in schema["paths"].items()
        for method in operations
        if method in HTTP_METHODS
    }


def test_every_operation_in_the_schema_has_expectations() -> None:
    operations = _schema_operations()

    for name, table in WORLDS.items():
        assert set(table) == operations, name
    assert set(BODIES) <= operations


@pytest.fixture
def world(request, brand_a, owner_a, owner_b, participant) -> World:
    now = timezone.now()
    CampaignFactory(brand=brand_a, title=SECRET_TITLE, status=Campaign.Status.DRAFT)
    if request.param == "draft":
        campaign = CampaignFactory(
            brand=brand_a,
            title=SECRET_TITLE + " (entries)",
            status=Campaign.Status.DRAFT,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=9),
            moderation_mode=Campaign.ModerationMode.PRE,
        )
        entry = SubmissionFactory(campaign=campaign, state=Submission.State.PENDING)
    else:
        campaign = CampaignFactory(brand=brand_a, title="Brand A summer")
        entry = SubmissionFactory(campaign=campaign, state=Submission.State.APPROVED)
    comment = CommentFactory(submission=entry)
    return World(request.param, owner_a, owner_b, participant, campaign, entry, comment)


def _actor(world: World, actor: str) -> User | None:
    return {
        "own": world.owner_a,
        "other_brand": world.owner_b,
        "participant": world.participant,
        "anonymous": None,
    }[actor]


CASES = [
    pytest.param(name, key, actor, id=f"{name}-{key[1]}-{key[0]}-{actor}")
    for name, table in WORLDS.items()
    for key in table
    for actor in ACTORS
]


@pytest.mark.parametrize(("world", "operation", "actor"), CASES, indirect=["world"])
def test_tenancy(client_for, world: World, operation, actor) -> None:
    path, method = operation
    expected = dict(zip(ACTORS, WORLDS[world.name][operation], strict=True))[actor]
    client = client_for(_actor(world, actor))
    url = path.format(**world.params())
    body = BODIES.get(operation, lambda world: None)(world)

    response = getattr(client, method)(url, body, format="json")

    assert response.status_code == expected, response.content[:300]
    if actor != "own":
        assert SECRET_TITLE.encode() not in response.content
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
