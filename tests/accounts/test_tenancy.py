"""Tenancy: every brand-scoped read goes through one selector; anything not yours is a 404."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from accounts.models import Brand, BrandMembership, User
from accounts.selectors import (
    brand_members,
    brand_membership_get,
    brands_for_user,
    memberships_for_user,
)
from campaigns.models import Campaign
from campaigns.selectors import campaigns_for_member
from tests.factories import BrandFactory, CampaignFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

Role = BrandMembership.Role

# actor -> (brand slugs they may see, their role in "acme" if any)
ACTORS: dict[str, tuple[set[str], str | None]] = {
    "acme_owner": ({"acme"}, Role.OWNER),
    "acme_manager": ({"acme"}, Role.MANAGER),
    "acme_analyst": ({"acme"}, Role.ANALYST),
    "globex_owner": ({"globex"}, None),
    "participant": (set(), None),
    "anonymous": (set(), None),
    "inactive_acme_owner": (set(), None),
}
ACME_MEMBERS = ["acme_owner", "acme_manager", "acme_analyst"]
NOT_ACME = [a for a in ACTORS if a not in ACME_MEMBERS]


@dataclass
class World:
    acme: Brand
    globex: Brand
    users: dict[str, User]
    acme_campaigns: set[int]
    globex_campaigns: set[int]

    def actor(self, name: str) -> User | AnonymousUser:
        return AnonymousUser() if name == "anonymous" else self.users[name]


@pytest.fixture
def world() -> World:
    acme = BrandFactory(name="Acme", slug="acme")
    globex = BrandFactory(name="Globex", slug="globex")
    users = {
        "acme_owner": MembershipFactory(brand=acme, role=Role.OWNER).user,
        "acme_manager": MembershipFactory(brand=acme, role=Role.MANAGER).user,
        "acme_analyst": MembershipFactory(brand=acme, role=Role.ANALYST).user,
        "globex_owner": MembershipFactory(brand=globex, role=Role.OWNER).user,
        "participant": UserFactory(),
        "inactive_acme_owner": MembershipFactory(
            brand=acme, role=Role.OWNER, user=UserFactory(is_active=False)
        ).user,
    }
    acme_campaigns = {
        CampaignFactory(brand=acme).pk,
        CampaignFactory(brand=acme, status=Campaign.Status.DRAFT).pk,
    }
    globex_campaigns = {
        CampaignFactory(brand=globex).pk,
        CampaignFactory(brand=globex, status=Campaign.Status.DRAFT).pk,
    }
    return World(acme, globex, users, acme_campaigns, globex_campaigns)


@pytest.mark.parametrize("actor", ACTORS)
def test_brands_for_user_returns_only_own_brands(world: World, actor: str) -> None:
    brands = brands_for_user(user=world.actor(actor))

    assert {b.slug for b in brands} == ACTORS[actor][0]


@pytest.mark.parametrize("actor", ACTORS)
def test_memberships_for_user_returns_only_own_memberships(world: World, actor: str) -> None:
    memberships = list(memberships_for_user(user=world.actor(actor)))

    assert {m.brand.slug for m in memberships} == ACTORS[actor][0]
    assert all(m.user_id == getattr(world.actor(actor), "pk", None) for m in memberships)


def test_brands_for_user_lists_each_brand_once_for_a_member_of_several() -> None:
    user = UserFactory()
    first, second = BrandFactory(), BrandFactory()
    MembershipFactory(brand=first, user=user, role=Role.OWNER)
    MembershipFactory(brand=second, user=user, role=Role.ANALYST)
    MembershipFactory(brand=first)  # a colleague must not duplicate the row
    BrandFactory()

    brands = list(brands_for_user(user=user))

    assert sorted(b.pk for b in brands) == sorted([first.pk, second.pk])


@pytest.mark.parametrize("actor", ACME_MEMBERS)
def test_brand_membership_get_returns_the_members_own_membership(world: World, actor: str) -> None:
    user = world.users[actor]

    membership = brand_membership_get(user=user, brand_slug="acme")

    assert membership.user == user
    assert membership.brand == world.acme
    assert membership.role == ACTORS[actor][1]


@pytest.mark.parametrize("actor", NOT_ACME)
def test_brand_membership_get_of_a_brand_not_yours_is_404(world: World, actor: str) -> None:
    with pytest.raises(Http404):
        brand_membership_get(user=world.actor(actor), brand_slug="acme")


@pytest.mark.parametrize("actor", ACTORS)
def test_brand_membership_get_of_an_unknown_brand_is_404(world: World, actor: str) -> None:
    with pytest.raises(Http404):
        brand_membership_get(user=world.actor(actor), brand_slug="no-such-brand")


@pytest.mark.parametrize(
    ("actor", "roles", "allowed"),
    [
        ("acme_owner", [Role.OWNER], True),
        ("acme_manager", [Role.OWNER], False),
        ("acme_analyst", [Role.OWNER], False),
        ("acme_owner", [Role.OWNER, Role.MANAGER], True),
        ("acme_manager", [Role.OWNER, Role.MANAGER], True),
        ("acme_analyst", [Role.OWNER, Role.MANAGER], False),
        ("acme_analyst", [Role.ANALYST], True),
        ("acme_owner", [], False),
        ("globex_owner", [Role.OWNER], False),
        ("inactive_acme_owner", [Role.OWNER], False),
    ],
)
def test_brand_membership_get_filters_by_role(
    world: World, actor: str, roles: list[str], allowed: bool
) -> None:
    user = world.users[actor]

    if allowed:
        assert brand_membership_get(user=user, brand_slug="acme", roles=roles).user == user
    else:
        with pytest.raises(Http404):
            brand_membership_get(user=user, brand_slug="acme", roles=roles)


@pytest.mark.parametrize("actor", ACME_MEMBERS)
def test_brand_members_lists_the_whole_team_of_that_brand_only(world: World, actor: str) -> None:
    members = list(brand_members(user=world.users[actor], brand_slug="acme"))

    assert {m.user_id for m in members} == {
        world.users[name].pk for name in [*ACME_MEMBERS, "inactive_acme_owner"]
    }
    assert all(m.brand_id == world.acme.pk for m in members)


@pytest.mark.parametrize("actor", NOT_ACME)
def test_brand_members_of_a_brand_not_yours_is_404(world: World, actor: str) -> None:
    with pytest.raises(Http404):
        brand_members(user=world.actor(actor), brand_slug="acme")


@pytest.mark.parametrize("actor", ACTORS)
def test_campaigns_for_member_returns_only_own_brands_campaigns(world: World, actor: str) -> None:
    campaigns = list(campaigns_for_member(user=world.actor(actor)))

    expected: set[int] = set()
    if "acme" in ACTORS[actor][0]:
        expected |= world.acme_campaigns
    if "globex" in ACTORS[actor][0]:
        expected |= world.globex_campaigns
    assert {c.pk for c in campaigns} == expected
    assert len(campaigns) == len(expected)  # no duplicates through the membership join


def test_campaigns_for_member_includes_drafts_of_own_brand(world: World) -> None:
    statuses = {c.status for c in campaigns_for_member(user=world.users["acme_analyst"])}

    assert statuses == {Campaign.Status.DRAFT, Campaign.Status.PUBLISHED}


# --- /api/v1/brands/ ---------------------------------------------------------------------------


def _api_client(world: World, actor: str, auth: str) -> Client:
    client = Client()
    if actor == "anonymous":
        return client
    user = world.users[actor]
    if auth == "token":
        token = Token.objects.create(user=user)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    else:
        client.force_login(user)
    return client


@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize("actor", [*ACME_MEMBERS, "globex_owner", "participant"])
def test_brands_api_lists_only_own_brands_with_role(world: World, actor: str, auth: str) -> None:
    client = _api_client(world, actor, auth)

    response = client.get("/api/v1/brands/")

    assert response.status_code == 200
    body = response.json()
    assert {row["slug"] for row in body} == ACTORS[actor][0]
    if actor in ACME_MEMBERS:
        assert body == [
            {"slug": "acme", "name": "Acme", "time_zone": "Europe/Rome", "role": ACTORS[actor][1]}
        ]


@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize("actor", ["anonymous", "inactive_acme_owner"])
def test_brands_api_refuses_anonymous_and_inactive(world: World, actor: str, auth: str) -> None:
    client = _api_client(world, actor, auth)

    response = client.get("/api/v1/brands/")

    assert response.status_code in (401, 403)
    error = response.json()["error"]
    assert error["code"] in {"not_authenticated", "authentication_failed"}
    assert error["message"]
    assert "acme" not in response.content.decode()


def test_brands_api_refuses_a_bogus_token(world: World) -> None:
    response = Client().get("/api/v1/brands/", HTTP_AUTHORIZATION="Token not-a-real-token")

    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "authentication_failed"


def test_brands_api_query_count_does_not_grow_with_brands() -> None:
    user = UserFactory()
    MembershipFactory(user=user)
    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as one_brand:
        assert client.get("/api/v1/brands/").status_code == 200
    for _ in range(5):
        MembershipFactory(user=user)

    with CaptureQueriesContext(connection) as six_brands:
        response = client.get("/api/v1/brands/")

    assert len(response.json()) == 6
    assert len(six_brands) == len(one_brand)
