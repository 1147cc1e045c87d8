"""Fixtures for API tests: clients signed in by token or by session, and two brands' people."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import BrandMembership, User
from tests.factories import BrandFactory, MembershipFactory, UserFactory

ClientFor = Callable[..., APIClient]


@pytest.fixture
def client_for() -> ClientFor:
    """An APIClient for a person: `Authorization: Token ...` by default, or a session."""

    def make(user: User | None, *, how: str = "token", language: str | None = None) -> APIClient:
        client = APIClient()
        if language:
            client.credentials(HTTP_ACCEPT_LANGUAGE=language)
        if user is None:
            return client
        if how == "session":
            client.force_login(user)
        else:
            token, _ = Token.objects.get_or_create(user=user)
            extra = {"HTTP_ACCEPT_LANGUAGE": language} if language else {}
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}", **extra)
        return client

    return make


@pytest.fixture
def anonymous() -> APIClient:
    return APIClient()


@pytest.fixture
def brand_a():
    return BrandFactory(name="Brand A", slug="brand-a", time_zone="America/New_York")


@pytest.fixture
def brand_b():
    return BrandFactory(name="Brand B", slug="brand-b")


@pytest.fixture
def owner_a(brand_a) -> User:
    return MembershipFactory(brand=brand_a, role=BrandMembership.Role.OWNER).user


@pytest.fixture
def manager_a(brand_a) -> User:
    return MembershipFactory(brand=brand_a, role=BrandMembership.Role.MANAGER).user


@pytest.fixture
def analyst_a(brand_a) -> User:
    return MembershipFactory(brand=brand_a, role=BrandMembership.Role.ANALYST).user


@pytest.fixture
def owner_b(brand_b) -> User:
    return MembershipFactory(brand=brand_b, role=BrandMembership.Role.OWNER).user


@pytest.fixture
def participant() -> User:
    return UserFactory(display_name="Pia")
