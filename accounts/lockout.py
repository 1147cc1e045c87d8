"""One lockout rule for every door that checks a password.

The login page (and the Django admin, which signs in through it) and the API token endpoint
call `login_attempt`, so a guesser gets the same number of tries whichever door they knock on.

Three counters, each over a window of `WINDOW` seconds (`PASSAPAROLA_LOGIN_LOCKOUT`):

- **account and address**: `ATTEMPTS` failures for one login from one client address lock that
  pair for `LOCK_SECONDS`; the right password is refused meanwhile. The same person from another
  address, and other people from this one, still get in.
- **address**: `ADDRESS_ATTEMPTS` failures from one address, whatever the logins, lock the
  address (credential stuffing tries each account only once or twice).
- **account**: `ACCOUNT_ATTEMPTS` failures for one login from all addresses together (a botnet
  spreading its guesses) lock the account, but only for addresses that have not signed in to it
  successfully in the last `KNOWN_ADDRESS_DAYS` days, so a rival cannot lock a participant out
  of a contest from their usual connection (see docs/architecture.md, "Login lockout").

Attempts are counted *before* the password is checked (an atomic increment), so a burst of
parallel requests gets no more tries than a sequence does; a successful attempt gives its count
back. Counters live in the default cache (Redis in production, local memory in the embedded
default) in two buckets per window (the current and the previous one, so at least `WINDOW`
seconds of history always count). Timestamps come from `clock`, which tests replace to move time
instead of sleeping; cache timeouts only collect garbage. The client address is allauth's (the
same `ALLAUTH_TRUSTED_PROXY_COUNT` as its rate limits, else REMOTE_ADDR; IPv6 cut to its /64).

While Redis is away the counters cannot be kept: the lockout fails open (passwords are checked,
nothing is counted, a warning is logged), because the site must keep working without Redis
(ARCHITECTURE invariant 1) and refusing every login would turn an outage into a lockout of all.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.http import HttpRequest
from django.utils.translation import ngettext_lazy
from redis.exceptions import RedisError

from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)

# Seconds since the epoch; tests replace it to move time forward.
clock: Callable[[], float] = time.time

T = TypeVar("T")

PAIR, ADDRESS, ACCOUNT = "pair", "address", "account"
SCOPES = (PAIR, ADDRESS, ACCOUNT)


@dataclass(frozen=True)
class LockoutPolicy:
    attempts: int = 5
    address_attempts: int = 20
    account_attempts: int = 100
    window: int = 900
    lock_seconds: int = 900
    known_address_days: int = 30

    def limit(self, scope: str) -> int:
        return {
            PAIR: self.attempts,
            ADDRESS: self.address_attempts,
            ACCOUNT: self.account_attempts,
        }[scope]


def lockout_policy() -> LockoutPolicy:
    """The configured numbers (`PASSAPAROLA_LOGIN_LOCKOUT`, read from the environment)."""
    raw = getattr(settings, "PASSAPAROLA_LOGIN_LOCKOUT", {})
    return LockoutPolicy(**{key.lower(): int(value) for key, value in raw.items()})


class LoginLocked(ApplicationError):
    """Too many failed attempts: refused without checking the password."""

    status_code = 429
    code = "login_locked"

    def __init__(self, *, scope: str, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        if scope == ADDRESS:
            message = ngettext_lazy(
                "Too many failed login attempts from your network. "
                "Try again in %(minutes)d minute.",
                "Too many failed login attempts from your network. "
                "Try again in %(minutes)d minutes.",
                "minutes",
            )
        else:
            message = ngettext_lazy(
                "Too many failed login attempts. Try again in %(minutes)d minute.",
                "Too many failed login attempts. Try again in %(minutes)d minutes.",
                "minutes",
            )
        super().__init__(message % {"minutes": minutes})
        self.scope = scope
        self.retry_after = retry_after


@dataclass
class _Counted:
    """The counters one attempt consumed, so that success can give them back."""

    login: str
    address: str
    enforced: list[str]
    counts: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, list[str]] = field(default_factory=dict)


def login_client_address(request: HttpRequest) -> str:
    """The client's address as allauth's rate limits see it, IPv6 cut to its /64."""
    try:
        address = get_adapter(request).get_client_ip(request)
    except (PermissionDenied, ImproperlyConfigured):
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False).network_address) + "/64"
    return str(ip)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _subject(scope: str, *, login: str, address: str) -> str:
    if scope == PAIR:
        return f"{_digest(login)}:{_digest(address)}"
    if scope == ADDRESS:
        return _digest(address)
    return _digest(login)


def _bucket_key(scope: str, subject: str, generation: int, index: int) -> str:
    return f"lockout:{scope}:{subject}:{generation}:{index}"


def _lock_key(scope: str, subject: str) -> str:
    return f"lockout:{scope}:{subject}:lock"


def _generation_key(scope: str, subject: str) -> str:
    return f"lockout:{scope}:{subject}:generation"


def _known_key(*, login: str, address: str) -> str:
    return f"lockout:known:{_subject(PAIR, login=login, address=address)}"


def _incr(key: str, timeout: int) -> int:
    """Count one; 0 while the cache is unreachable (the lockout fails open, see the module)."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr, or the cache dropped the add
        cache.set(key, 1, timeout=timeout)
        return 1
    except (RedisError, OSError):
        logger.warning("login lockout: the cache is unreachable, attempts are not counted")
        return 0


def _decr(key: str) -> None:
    try:
        if (cache.get(key) or 0) > 0:
            cache.decr(key)
    except (ValueError, RedisError, OSError):
        pass


def _garbage_after(policy: LockoutPolicy) -> int:
    return 2 * policy.window + policy.lock_seconds


def _lock(scope: str, subject: str, *, now: float, policy: LockoutPolicy) -> int:
    """Lock `subject` for `lock_seconds`, then give it a fresh allowance.

    The lock is written before the counters move to a new generation: an attempt reads the
    generation, then the lock, then counts, so whichever side of this it falls on, it is refused
    (by the lock, or by the old generation's count) rather than counted afresh.
    """
    cache.set(
        _lock_key(scope, subject),
        now + policy.lock_seconds,
        timeout=policy.lock_seconds + policy.window,
    )
    _incr(_generation_key(scope, subject), 2 * _garbage_after(policy))
    return policy.lock_seconds


def _begin(*, login: str, address: str, policy: LockoutPolicy) -> _Counted:
    now = clock()
    subjects = {scope: _subject(scope, login=login, address=address) for scope in SCOPES}
    state = cache.get_many(
        [_known_key(login=login, address=address)]
        + [_generation_key(scope, subject) for scope, subject in subjects.items()]
        + [_lock_key(scope, subject) for scope, subject in subjects.items()]
    )
    known = bool(state.get(_known_key(login=login, address=address)))
    # An address the account signed in from recently is not subject to the account-wide lock.
    enforced = [PAIR, ADDRESS] if known else list(SCOPES)
    for scope in enforced:
        until = state.get(_lock_key(scope, subjects[scope]))
        if until and until > now:
            raise LoginLocked(scope=scope, retry_after=math.ceil(until - now))
    counted = _Counted(login=login, address=address, enforced=enforced)
    index = int(now // policy.window)
    generations = {s: state.get(_generation_key(s, subjects[s])) or 0 for s in SCOPES}
    previous = cache.get_many(
        [_bucket_key(s, subjects[s], generations[s], index - 1) for s in SCOPES]
    )
    for scope in SCOPES:
        subject, generation = subjects[scope], generations[scope]
        key = _bucket_key(scope, subject, generation, index)
        before = previous.get(_bucket_key(scope, subject, generation, index - 1)) or 0
        counted.counts[scope] = _incr(key, _garbage_after(policy)) + before
        counted.buckets[scope] = [key, _bucket_key(scope, subject, generation, index - 1)]
    for scope in enforced:
        if counted.counts[scope] > policy.limit(scope):
            # Over the limit (a parallel burst): refused, and it counts, so no try is given back.
            raise LoginLocked(
                scope=scope, retry_after=_lock(scope, subjects[scope], now=now, policy=policy)
            )
    return counted


def _succeeded(counted: _Counted, *, policy: LockoutPolicy) -> None:
    """The password was right: the pair starts afresh, the other counters get the try back."""
    cache.delete_many(counted.buckets[PAIR])
    for scope in (ADDRESS, ACCOUNT):
        _decr(counted.buckets[scope][0])
    cache.set(
        _known_key(login=counted.login, address=counted.address),
        1,
        timeout=policy.known_address_days * 86_400,
    )


def _failed(counted: _Counted, *, policy: LockoutPolicy) -> None:
    """The password was wrong: the attempt that reaches a limit locks at once."""
    now = clock()
    for scope in counted.enforced:
        if counted.counts[scope] >= policy.limit(scope):
            subject = _subject(scope, login=counted.login, address=counted.address)
            _lock(scope, subject, now=now, policy=policy)
            if scope != PAIR:
                logger.warning(
                    "login lockout: %s %s locked after %d failures",
                    scope,
                    subject,
                    counted.counts[scope],
                )


def login_attempt(*, login: str, address: str, check: Callable[[], T | None]) -> T | None:
    """Run `check` (a password check returning the user or None) under the lockout rule.

    Raises `LoginLocked` without calling `check` while the login, the address or (for an address
    the account has not signed in from) the account is locked.
    """
    policy = lockout_policy()
    login = login.strip().lower()
    counted = _begin(login=login, address=address, policy=policy)
    user = check()
    if user is None:
        _failed(counted, policy=policy)
    else:
        _succeeded(counted, policy=policy)
    return user
