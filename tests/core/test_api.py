"""The REST API: documented, one error shape, tokens only for verified accounts."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from accounts.lockout import lockout_policy
from campaigns.models import Campaign
from submissions.models import Submission
from tests.factories import PASSWORD, CampaignFactory, SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def _post_json(client: Client, url: str, data: dict, **extra):
    return client.post(url, json.dumps(data), content_type="application/json", **extra)


def _assert_error_shape(body: dict, code: str | None = None) -> dict:
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error


def _token_attempts_allowed() -> int:
    return lockout_policy().attempts


# --- Schema and docs -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/api/v1/campaigns/", "/api/v1/me/", "/api/v1/auth/token/", "/api/v1/brands/"]
)
def test_schema_documents_the_endpoint(path: str) -> None:
    response = Client().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert path in schema["paths"]


def test_schema_documents_the_token_request_body() -> None:
    schema = Client().get("/api/schema/", {"format": "json"}).json()

    post = schema["paths"]["/api/v1/auth/token/"]["post"]
    assert "requestBody" in post
    assert "200" in post["responses"]


def test_schema_is_served_as_yaml_by_default() -> None:
    response = Client().get("/api/schema/")

    assert response.status_code == 200
    assert response.content.startswith(b"openapi: 3.")
    assert b"/api/v1/campaigns/" in response.content


def test_docs_page_loads_only_local_assets() -> None:
    response = Client().get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assets = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]+)"', page)
    assert any(a.endswith(".js") for a in assets)
    assert any(a.endswith(".css") for a in assets)
    # Swagger UI's start-up script comes from the docs view itself (no inline script: strict CSP).
    init = [a for a in assets if a.startswith("/api/docs/?")]
    assert len(init) == 1
    assert (
        Client()
        .get(init[0].replace("&amp;", "&"))["Content-Type"]
        .startswith("application/javascript")
    )
    for asset in set(assets) - set(init):
        assert not re.match(r"^(https?:)?//", asset), asset
        assert asset.startswith("/static/")
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not shipped"
    assert "cdn.jsdelivr" not in page
    assert "unpkg.com" not in page


# --- Tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["api@example.com", "API@Example.COM"])
def test_token_is_issued_to_a_verified_account(typed: str) -> None:
    user = UserFactory(email="api@example.com")

    response = _post_json(Client(), TOKEN_URL, {"email": typed, "password": PASSWORD})

    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_token_is_the_same_on_a_second_request() -> None:
    UserFactory(email="api@example.com")
    credentials = {"email": "api@example.com", "password": PASSWORD}

    first = _post_json(Client(), TOKEN_URL, credentials).json()["token"]
    second = _post_json(Client(), TOKEN_URL, credentials).json()["token"]

    assert first == second
    assert Token.objects.count() == 1


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("api@example.com", "wrong-password"),
        ("nobody@example.com", PASSWORD),
        ("inactive@example.com", PASSWORD),
        ("api@example.com", PASSWORD + " "),
    ],
    ids=["wrong-password", "unknown-address", "inactive-account", "password-with-space"],
)
def test_token_refuses_bad_credentials(email: str, password: str) -> None:
    UserFactory(email="api@example.com")
    UserFactory(email="inactive@example.com", is_active=False)

    response = _post_json(Client(), TOKEN_URL, {"email": email, "password": password})

    assert response.status_code == 400
    error = _assert_error_shape(response.json(), "invalid_credentials")
    assert error["message"] == "Unable to log in with the email address and password provided."
    assert not Token.objects.exists()


def test_token_refuses_an_unverified_account() -> None:
    UserFactory(email="new@example.com", verified=False)

    response = _post_json(Client(), TOKEN_URL, {"email": "new@example.com", "password": PASSWORD})

    assert response.status_code == 403
    error = _assert_error_shape(response.json(), "email_unverified")
    assert "Verify your email address" in error["message"]
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    ("data", "bad_fields"),
    [
        ({}, {"email", "password"}),
        ({"email": "api@example.com"}, {"password"}),
        ({"password": PASSWORD}, {"email"}),
        ({"email": "not-an-address", "password": PASSWORD}, {"email"}),
        ({"email": "", "password": ""}, {"email", "password"}),
        ({"email": ["a@example.com"], "password": {"x": 1}}, {"email", "password"}),
    ],
    ids=["nothing", "no-password", "no-email", "bad-email", "blank", "wrong-types"],
)
def test_token_validates_its_input(data: dict, bad_fields: set[str]) -> None:
    response = _post_json(Client(), TOKEN_URL, data)

    assert response.status_code == 400
    error = _assert_error_shape(response.json(), "invalid")
    assert set(error["fields"]) == bad_fields
    assert all(error["fields"][field] for field in bad_fields)


def test_token_refuses_a_body_that_is_not_json() -> None:
    response = Client().post(TOKEN_URL, "{not json", content_type="application/json")

    assert response.status_code == 400
    _assert_error_shape(response.json(), "parse_error")


def test_token_refuses_get() -> None:
    response = Client().get(TOKEN_URL)

    assert response.status_code == 405
    _assert_error_shape(response.json(), "method_not_allowed")


def test_token_attempts_are_throttled() -> None:
    UserFactory(email="api@example.com")
    client = Client()
    allowed = _token_attempts_allowed()
    for attempt in range(allowed):
        response = _post_json(
            client, TOKEN_URL, {"email": "api@example.com", "password": f"guess-{attempt}"}
        )
        assert response.status_code == 400

    response = _post_json(client, TOKEN_URL, {"email": "api@example.com", "password": PASSWORD})

    assert response.status_code == 429
    _assert_error_shape(response.json(), "login_locked")
    assert "Retry-After" in response.headers
    assert not Token.objects.exists()


def test_token_throttle_is_per_client_address() -> None:
    UserFactory(email="api@example.com")
    for attempt in range(_token_attempts_allowed() + 1):
        _post_json(
            Client(REMOTE_ADDR="203.0.113.9"),
            TOKEN_URL,
            {"email": "api@example.com", "password": f"guess-{attempt}"},
        )

    response = _post_json(
        Client(REMOTE_ADDR="198.51.100.7"),
        TOKEN_URL,
        {"email": "api@example.com", "password": PASSWORD},
    )

    assert response.status_code == 200


# --- /api/v1/me/ -----------------------------------------------------------------------------


def test_me_with_a_token() -> None:
    user = UserFactory(email="me@example.com", display_name="Ada", language="it")
    token = Token.objects.create(user=user)

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code == 200
    assert response.json() == {
        "id": user.pk,
        "email": "me@example.com",
        "display_name": "Ada",
        "language": "it",
        "avatar": None,
    }


def test_me_with_a_token_obtained_from_the_api() -> None:
    UserFactory(email="me@example.com")
    key = _post_json(Client(), TOKEN_URL, {"email": "me@example.com", "password": PASSWORD}).json()[
        "token"
    ]

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")

    assert response.status_code == 200
    assert response.json()["email"] == "me@example.com"


def test_me_with_a_session() -> None:
    user = UserFactory()
    client = Client()
    client.force_login(user)

    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    assert response.json()["id"] == user.pk


@pytest.mark.parametrize(
    "authorization",
    [None, "Token nope", "Token ", "Bearer abc", "Token a b"],
    ids=["none", "unknown-token", "empty-token", "other-scheme", "spaces"],
)
def test_me_refuses_without_valid_credentials(authorization: str | None) -> None:
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    response = Client().get("/api/v1/me/", **extra)

    assert response.status_code in (401, 403)
    error = _assert_error_shape(response.json())
    assert error["code"] in {"not_authenticated", "authentication_failed"}


def test_me_refuses_the_token_of_a_deactivated_account() -> None:
    user = UserFactory()
    token = Token.objects.create(user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])

    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token.key}")

    assert response.status_code in (401, 403)
    _assert_error_shape(response.json(), "authentication_failed")


def test_unknown_api_route_is_a_404() -> None:
    response = Client().get("/api/v1/nothing-here/")

    assert response.status_code == 404


# --- /api/v1/campaigns/ ----------------------------------------------------------------------


def test_campaigns_lists_only_open_published_campaigns_ending_soonest_first() -> None:
    now = timezone.now()
    later = CampaignFactory(
        title="Later", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=9)
    )
    sooner = CampaignFactory(
        title="Sooner", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=2)
    )
    CampaignFactory(title="Draft", status=Campaign.Status.DRAFT)
    CampaignFactory(title="Upcoming", starts_at=now + timedelta(days=1))
    CampaignFactory(
        title="Closed", starts_at=now - timedelta(days=9), ends_at=now - timedelta(seconds=1)
    )

    response = Client().get("/api/v1/campaigns/")

    assert response.status_code == 200
    rows = response.json()
    assert [row["slug"] for row in rows] == [sooner.slug, later.slug]
    assert all(row["phase"] == "open" for row in rows)
    assert rows[0]["brand"] == sooner.brand.name
    assert rows[0]["cover"] is None


def test_campaign_entry_count_counts_approved_entries_only() -> None:
    campaign = CampaignFactory()
    other = CampaignFactory()
    for state, how_many in [
        (Submission.State.APPROVED, 3),
        (Submission.State.PENDING, 2),
        (Submission.State.REJECTED, 1),
        (Submission.State.HIDDEN, 1),
    ]:
        SubmissionFactory.create_batch(how_many, campaign=campaign, state=state)
    SubmissionFactory(campaign=other, state=Submission.State.APPROVED)

    rows = {row["slug"]: row for row in Client().get("/api/v1/campaigns/").json()}

    assert rows[campaign.slug]["entry_count"] == 3
    assert rows[other.slug]["entry_count"] == 1


def test_campaigns_is_public_to_read_and_needs_credentials_to_write() -> None:
    CampaignFactory()
    client = Client()

    assert client.get("/api/v1/campaigns/").status_code == 200
    assert _post_json(client, "/api/v1/campaigns/", {"title": "x"}).status_code == 401


def test_campaigns_query_count_does_not_grow_with_campaigns() -> None:
    client = Client()
    for _ in range(2):
        SubmissionFactory(campaign=CampaignFactory())
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/api/v1/campaigns/").json()) == 2
    for _ in range(8):
        SubmissionFactory(campaign=CampaignFactory())

    with CaptureQueriesContext(connection) as ten:
        assert len(client.get("/api/v1/campaigns/").json()) == 10

    assert len(ten) == len(two)


# --- Italian ---------------------------------------------------------------------------------


def test_validation_errors_in_italian() -> None:
    response = _post_json(Client(), TOKEN_URL, {}, HTTP_ACCEPT_LANGUAGE="it")

    error = _assert_error_shape(response.json(), "invalid")
    assert error["message"] == "Alcuni dei dati inviati non sono validi."
    assert error["fields"]["email"] == ["Campo obbligatorio."]


def test_bad_credentials_in_italian() -> None:
    response = _post_json(
        Client(),
        TOKEN_URL,
        {"email": "x@example.com", "password": "nope"},
        HTTP_ACCEPT_LANGUAGE="it",
    )

    error = _assert_error_shape(response.json(), "invalid_credentials")
    assert error["message"] == (
        "Impossibile accedere con l\u2019indirizzo email e la password forniti."
    )


def test_unverified_in_italian() -> None:
    UserFactory(email="new@example.com", verified=False)

    response = _post_json(
        Client(),
        TOKEN_URL,
        {"email": "new@example.com", "password": PASSWORD},
        HTTP_ACCEPT_LANGUAGE="it",
    )

    assert response.status_code == 403
    error = _assert_error_shape(response.json(), "email_unverified")
    assert error["message"].startswith("Prima conferma il tuo indirizzo email")


def test_authentication_error_in_italian() -> None:
    response = Client().get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="it")

    error = _assert_error_shape(response.json(), "not_authenticated")
    assert error["message"] == "Non sono state immesse le credenziali di autenticazione."


def test_signed_in_persons_language_wins_in_the_api() -> None:
    user = UserFactory(language="it")
    client = Client()
    client.force_login(user)

    response = _post_json(client, "/api/v1/campaigns/", {}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    message = _assert_error_shape(response.json(), "invalid")["message"]
    assert message == "Alcuni dei dati inviati non sono validi."
