"""Brute force against the three doors that take a password: the login page, the API token
endpoint and the Django admin (which signs in through the login page). One lockout rule
(`accounts.lockout`) guards them all:

- after `ATTEMPTS` failures for one account from one address, that pair is refused, the right
  password included, with a message in the user's language (a form error on pages; 429, the
  API's error shape and Retry-After on the API);
- the same person from another address, and another person from anywhere, still get in;
- `ADDRESS_ATTEMPTS` failures from one address over many accounts lock the address (stuffing);
- `ACCOUNT_ATTEMPTS` failures from many addresses lock the account for addresses that never
  signed in to it, not for the owner's usual one;
- locks expire (time moves through the lockout's injectable clock, nobody sleeps);
- no answer is a 5xx, and X-Forwarded-For from the client buys no extra tries.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts import lockout
from accounts.models import User
from tests.factories import PASSWORD, UserFactory
from tests.resilience.profile import scale

pytestmark = pytest.mark.django_db

LOGIN_URL = reverse("account_login")
TOKEN_URL = "/api/v1/auth/token/"
ATTACKER = "203.0.113.66"
ELSEWHERE = "198.51.100.20"
HOME = "192.0.2.10"
LOCKED_EN = "Too many failed login attempts"
LOCKED_IT = "Troppi tentativi di accesso non riusciti"
NETWORK_EN = "Too many failed login attempts from your network"

IN, WRONG, LOCKED = "in", "wrong", "locked"


@dataclass
class Outcome:
    result: str
    status: int
    text: str
    retry_after: int | None = None


def _page_text(response) -> str:
    return html.unescape(response.content.decode())


def _assert_no_server_error(response) -> None:
    assert response.status_code < 500, response.content[:500]


def _signed_in(client: Client) -> bool:
    return bool(client.session.get("_auth_user_id"))


def _page_outcome(client: Client, response, *, expect_next: str = "") -> Outcome:
    _assert_no_server_error(response)
    text = _page_text(response)
    if response.status_code == 302 and _signed_in(client):
        if expect_next:
            assert response.url == expect_next
        return Outcome(IN, 302, text)
    assert response.status_code == 200, response.status_code
    assert not _signed_in(client)
    if LOCKED_EN in text or LOCKED_IT in text:
        return Outcome(LOCKED, 200, text)
    assert "not correct" in text or "non sono corretti" in text, text[:2000]
    return Outcome(WRONG, 200, text)


def login_page(email: str, password: str, *, address: str, language: str = "en", **extra):
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)
    response = client.post(LOGIN_URL, {"login": email, "password": password})
    return _page_outcome(client, response)


def api_token(email: str, password: str, *, address: str, language: str = "en", **extra):
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)
    response = client.post(
        TOKEN_URL, json.dumps({"email": email, "password": password}), "application/json"
    )
    _assert_no_server_error(response)
    body = response.json()
    if response.status_code == 200:
        assert Token.objects.filter(key=body["token"], user__email=email.lower()).exists()
        return Outcome(IN, 200, body["token"])
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    if response.status_code == 429:
        assert error["code"] == "login_locked"
        return Outcome(LOCKED, 429, error["message"], int(response.headers["Retry-After"]))
    assert (response.status_code, error["code"]) == (400, "invalid_credentials")
    return Outcome(WRONG, 400, error["message"])


def admin_login(email: str, password: str, *, address: str, language: str = "en", **extra):
    """What a person (or a script) does at /admin/login/: it sends them to the login page."""
    client = Client(REMOTE_ADDR=address, HTTP_ACCEPT_LANGUAGE=language, **extra)
    credentials = {"username": email, "password": password, "login": email}
    response = client.post("/admin/login/?next=/admin/", credentials)
    _assert_no_server_error(response)
    # The admin's own form never checks a password: it is the allauth page, with next=/admin/.
    assert response.status_code == 302
    assert response.url.startswith(LOGIN_URL)
    assert "next=" in response.url
    assert not _signed_in(client)
    outcome = _page_outcome(
        client, client.post(response.url, {"login": email, "password": password})
    )
    index = client.get("/admin/")
    _assert_no_server_error(index)
    if outcome.result == IN:
        assert index.status_code == 200
        assert "Site administration" in _page_text(index)
    else:
        assert index.status_code == 302
    return outcome


DOORS: dict[str, Callable[..., Outcome]] = {
    "login page": login_page,
    "API token": api_token,
    "admin": admin_login,
}


@pytest.fixture(params=list(DOORS))
def door(request) -> SimpleNamespace:
    return SimpleNamespace(name=request.param, attempt=DOORS[request.param])


@pytest.fixture
def clock(monkeypatch) -> SimpleNamespace:
    """The lockout's clock, moved by the test instead of waiting."""
    now = [time.time()]
    monkeypatch.setattr(lockout, "clock", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return SimpleNamespace(advance=advance)


@pytest.fixture
def policy() -> lockout.LockoutPolicy:
    return lockout.lockout_policy()


@pytest.fixture
def people(door) -> SimpleNamespace:
    # Staff for the admin door, so a successful sign-in there reaches the admin index.
    staff = door.name == "admin"
    return SimpleNamespace(
        target=UserFactory(email="target@example.com", is_staff=staff),
        bystander=UserFactory(email="bystander@example.com", is_staff=staff),
    )


def _lock_out(door, policy: lockout.LockoutPolicy, email: str, address: str = ATTACKER) -> None:
    for attempt in range(policy.attempts):
        # Letter case buys no extra attempts.
        typed = email.upper() if attempt % 2 else email
        assert door.attempt(typed, f"guess-{attempt}", address=address).result == WRONG


def _assert_locked(outcome: Outcome, door, policy: lockout.LockoutPolicy) -> None:
    assert outcome.result == LOCKED
    if door.name == "API token":
        assert 0 < outcome.retry_after <= policy.lock_seconds
        minutes = math.ceil(outcome.retry_after / 60)
        assert f"Try again in {minutes} minute" in outcome.text


def test_lockout_after_the_limit_refuses_the_right_password(
    door, people, policy, clock, resilience_report
) -> None:
    _lock_out(door, policy, "target@example.com")

    outcome = door.attempt("target@example.com", PASSWORD, address=ATTACKER)

    _assert_locked(outcome, door, policy)
    assert not Token.objects.filter(user=people.target).exists()
    # Refused again later in the lock, still with the right password.
    clock.advance(policy.lock_seconds - 5)
    _assert_locked(door.attempt("target@example.com", PASSWORD, address=ATTACKER), door, policy)
    resilience_report(
        scenario=f"Brute force, {door.name}: lockout",
        load=f"{policy.attempts} wrong passwords, then the right one, from one address",
        faults="password guessing",
        result="locked; the right password refused until the lock ends; 0 5xx",
        lost=0,
        attempts_before_lock=policy.attempts,
    )


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_lockout_message_is_in_the_users_language(
    door, people, policy, clock, language: str
) -> None:
    _lock_out(door, policy, "target@example.com")

    outcome = door.attempt("target@example.com", PASSWORD, address=ATTACKER, language=language)

    assert outcome.result == LOCKED
    assert (LOCKED_IT if language == "it" else LOCKED_EN) in outcome.text
    assert (LOCKED_EN if language == "it" else LOCKED_IT) not in outcome.text


def test_honest_people_still_get_in_while_the_attacker_is_locked_out(
    door, people, policy, clock, resilience_report
) -> None:
    _lock_out(door, policy, "target@example.com")
    assert door.attempt("target@example.com", PASSWORD, address=ATTACKER).result == LOCKED

    # The same person from their own connection.
    assert door.attempt("target@example.com", PASSWORD, address=ELSEWHERE).result == IN
    # Someone else, from another address and from the attacker's own (a shared network).
    assert door.attempt("bystander@example.com", PASSWORD, address=HOME).result == IN
    assert door.attempt("bystander@example.com", PASSWORD, address=ATTACKER).result == IN
    # The attacker's pair is still locked.
    assert door.attempt("target@example.com", PASSWORD, address=ATTACKER).result == LOCKED
    resilience_report(
        scenario=f"Brute force, {door.name}: honest users",
        load="attacker locked out of one account; 3 honest sign-ins",
        faults="password guessing",
        result="the owner from another address and another person got in; 0 5xx",
        lost=0,
    )


def test_the_lock_expires(door, people, policy, clock) -> None:
    _lock_out(door, policy, "target@example.com")
    assert door.attempt("target@example.com", PASSWORD, address=ATTACKER).result == LOCKED

    clock.advance(policy.lock_seconds + 1)

    assert door.attempt("target@example.com", PASSWORD, address=ATTACKER).result == IN


def test_after_the_lock_a_guesser_gets_a_fresh_allowance_not_more(
    door, people, policy, clock
) -> None:
    _lock_out(door, policy, "target@example.com")
    clock.advance(policy.lock_seconds + 1)

    _lock_out(door, policy, "target@example.com")

    assert door.attempt("target@example.com", PASSWORD, address=ATTACKER).result == LOCKED


def test_failures_below_the_limit_then_the_right_password_start_afresh(
    door, people, policy, clock
) -> None:
    for attempt in range(policy.attempts - 1):
        assert door.attempt("target@example.com", f"typo-{attempt}", address=HOME).result == WRONG
    assert door.attempt("target@example.com", PASSWORD, address=HOME).result == IN

    for attempt in range(policy.attempts - 1):
        assert door.attempt("target@example.com", f"typo-{attempt}", address=HOME).result == WRONG
    assert door.attempt("target@example.com", PASSWORD, address=HOME).result == IN


def test_the_doors_share_one_count(policy, clock) -> None:
    """Guesses spread over the three doors count together."""
    door_names = list(DOORS)
    UserFactory(email="target@example.com", is_staff=True)
    for attempt in range(policy.attempts):
        attempt_at = DOORS[door_names[attempt % 3]]
        outcome = attempt_at("target@example.com", f"guess-{attempt}", address=ATTACKER)
        assert outcome.result == WRONG

    for name, attempt_at in DOORS.items():
        outcome = attempt_at("target@example.com", PASSWORD, address=ATTACKER)
        assert outcome.result == LOCKED, name


def test_per_address_limit_stops_credential_stuffing(
    door, people, policy, clock, resilience_report
) -> None:
    # Each of many accounts tried once or twice, never enough to lock any one of them.
    tried = 0
    victim = 0
    while tried < policy.address_attempts:
        email = f"victim{victim}@example.com"
        for guess in range(min(2, policy.attempts - 1, policy.address_attempts - tried)):
            assert door.attempt(email, f"leaked-{guess}", address=ATTACKER).result == WRONG
            tried += 1
        victim += 1

    # A leaked pair that would be right is refused from this address, for any account.
    outcome = door.attempt("bystander@example.com", PASSWORD, address=ATTACKER)

    assert outcome.result == LOCKED
    assert NETWORK_EN in outcome.text
    assert door.attempt("target@example.com", PASSWORD, address=ELSEWHERE).result == IN
    clock.advance(policy.lock_seconds + 1)
    assert door.attempt("bystander@example.com", PASSWORD, address=ATTACKER).result == IN
    resilience_report(
        scenario=f"Brute force, {door.name}: credential stuffing",
        load=f"{policy.address_attempts} wrong passwords over {victim} accounts, one address",
        faults="credential stuffing",
        result="address locked for every account; others unaffected; lock expires; 0 5xx",
        lost=0,
    )


@pytest.fixture
def small_account_limit(settings) -> lockout.LockoutPolicy:
    settings.PASSAPAROLA_LOGIN_LOCKOUT = {
        **settings.PASSAPAROLA_LOGIN_LOCKOUT,
        "ATTEMPTS": 5,
        "ACCOUNT_ATTEMPTS": 12,
    }
    return lockout.lockout_policy()


def test_guesses_spread_over_many_addresses_lock_the_account_only_for_unknown_addresses(
    door, people, small_account_limit, clock, resilience_report
) -> None:
    policy = small_account_limit
    # The owner signed in from home before the attack.
    assert door.attempt("target@example.com", PASSWORD, address=HOME).result == IN
    botnet = [f"203.0.113.{n}" for n in range(1, 4)]
    per_address = policy.account_attempts // len(botnet)
    assert per_address < policy.attempts  # no single address reaches its own limit
    for address in botnet:
        for guess in range(per_address):
            assert door.attempt("target@example.com", f"g{guess}", address=address).result == WRONG

    # A new address is refused even with the right password; the owner's usual one is not.
    assert door.attempt("target@example.com", PASSWORD, address=ELSEWHERE).result == LOCKED
    assert door.attempt("target@example.com", PASSWORD, address=HOME).result == IN
    # Other accounts are untouched.
    assert door.attempt("bystander@example.com", PASSWORD, address=ELSEWHERE).result == IN
    clock.advance(policy.lock_seconds + 1)
    assert door.attempt("target@example.com", PASSWORD, address=ELSEWHERE).result == IN
    resilience_report(
        scenario=f"Brute force, {door.name}: distributed guessing",
        load=f"{policy.account_attempts} wrong passwords from {len(botnet)} addresses",
        faults="botnet guessing one account",
        result="account locked for new addresses only; the owner's address still gets in",
        lost=0,
    )


def test_x_forwarded_for_from_the_client_buys_no_extra_tries(door, people, policy, clock) -> None:
    # No proxy is trusted (the default): the header is the client's own claim.
    for attempt in range(policy.attempts):
        outcome = door.attempt(
            "target@example.com",
            f"guess-{attempt}",
            address=ATTACKER,
            HTTP_X_FORWARDED_FOR=f"10.0.0.{attempt}",
        )
        assert outcome.result == WRONG

    outcome = door.attempt(
        "target@example.com", PASSWORD, address=ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.9"
    )

    assert outcome.result == LOCKED


def test_behind_a_trusted_proxy_each_client_has_its_own_count(
    door, people, policy, clock, settings
) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.1"
    _lock_out_via_proxy = [
        door.attempt(
            "target@example.com",
            f"guess-{attempt}",
            address=proxy,
            HTTP_X_FORWARDED_FOR=ATTACKER,
        ).result
        for attempt in range(policy.attempts)
    ]
    assert _lock_out_via_proxy == [WRONG] * policy.attempts

    locked = door.attempt(
        "target@example.com", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ATTACKER
    )
    owner = door.attempt(
        "target@example.com", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=ELSEWHERE
    )

    assert (locked.result, owner.result) == (LOCKED, IN)


def test_the_admin_login_form_itself_never_checks_a_password() -> None:
    UserFactory(email="boss@example.com", is_staff=True, is_superuser=True)
    client = Client(REMOTE_ADDR=ATTACKER)

    for data in (
        {"username": "boss@example.com", "password": PASSWORD},
        {"username": "boss@example.com", "password": "guess"},
    ):
        response = client.post("/admin/login/", data)
        assert response.status_code == 302
        assert response.url.startswith(LOGIN_URL)
        assert not _signed_in(client)


# --- Parallel guesses ------------------------------------------------------------------------


def _burst(attempt: Callable[[int], Outcome], size: int) -> Counter:
    def run(n: int) -> str:
        try:
            return attempt(n).result
        finally:
            connections.close_all()  # this thread's own connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        return Counter(pool.map(run, range(size)))


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("door_name", ["login page", "API token"])
def test_a_parallel_burst_gets_no_more_guesses_than_a_sequence(
    door_name: str, policy, resilience_report
) -> None:
    """Attempts are counted before the password is checked, atomically in the shared cache."""
    UserFactory(email="target@example.com")
    size = scale(40, 400)
    attempt_at = DOORS[door_name]

    results = _burst(
        lambda n: attempt_at("target@example.com", f"parallel-{n}", address=ATTACKER), size
    )

    refused = results[LOCKED]
    assert results[WRONG] <= policy.attempts
    assert results[WRONG] + refused == size
    assert attempt_at("target@example.com", PASSWORD, address=ATTACKER).result == LOCKED
    assert attempt_at("target@example.com", PASSWORD, address=ELSEWHERE).result == IN
    assert User.objects.count() == 1
    resilience_report(
        scenario=f"Brute force, {door_name}: parallel burst",
        load=f"{size} wrong passwords in parallel (8 threads), one address",
        faults="concurrent guessing",
        result=f"{results[WRONG]} passwords checked, {refused} refused; 0 5xx",
        lost=0,
        passwords_checked=results[WRONG],
        refused=refused,
    )


# --- Redis away ------------------------------------------------------------------------------

DEAD_REDIS = "redis://127.0.0.1:18201/0"  # nothing listens here (this suite's port range)


def test_with_the_cache_away_logins_keep_working_and_nothing_fails(
    door, people, policy, clock, settings, resilience_report
) -> None:
    """The lockout fails open while Redis is unreachable: no 5xx, honest logins go through."""
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "KEY_PREFIX": "pp",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    outcomes = [
        door.attempt("target@example.com", f"guess-{attempt}", address=ATTACKER).result
        for attempt in range(policy.attempts + 1)
    ]

    assert outcomes == [WRONG] * (policy.attempts + 1)
    assert door.attempt("target@example.com", PASSWORD, address=ATTACKER).result == IN
    assert door.attempt("bystander@example.com", PASSWORD, address=HOME).result == IN
    resilience_report(
        scenario=f"Brute force, {door.name}: Redis away",
        load=f"{policy.attempts + 1} wrong passwords, then 2 sign-ins",
        faults="cache unreachable (no server on the port)",
        result="lockout fails open: passwords checked, honest sign-ins work; 0 5xx",
        lost=0,
    )
