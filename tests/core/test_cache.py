"""The project's cache: Redis being away is a miss, never an error, and costs no waiting."""

from __future__ import annotations

import time

import pytest
from django.core.cache import caches
from redis.exceptions import ConnectionError as RedisConnectionError

from core import cache as resilient
from core.cache import ResilientRedisCache, cache_errors_raised

# Port 1 on loopback: nothing listens, connections are refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def dead_cache(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    resilient._down_until.clear()
    yield caches["default"]
    resilient._down_until.clear()


def test_reads_miss_and_writes_are_dropped_while_redis_is_away(dead_cache) -> None:
    assert isinstance(dead_cache, ResilientRedisCache)

    assert dead_cache.get("k", "default") == "default"
    assert dead_cache.get_many(["a", "b"]) == {}
    assert dead_cache.has_key("k") is False
    assert dead_cache.add("k", 1) is True  # a lock is granted: limits fail open
    assert dead_cache.set("k", 1) is None
    assert dead_cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert dead_cache.touch("k") is False
    assert dead_cache.delete("k") is False
    assert dead_cache.delete_many(["a"]) is None
    assert dead_cache.get_or_set("k", 5) == 5


def test_after_a_failure_redis_is_not_tried_again_for_a_moment(dead_cache) -> None:
    dead_cache.get("k")

    started = time.monotonic()
    for _ in range(200):
        dead_cache.get("k")
    elapsed = time.monotonic() - started

    assert resilient._down_until[UNREACHABLE_REDIS] > time.monotonic()
    assert elapsed < 0.1  # no connection attempt: each call returns at once


def test_counters_and_health_checks_still_see_the_error(dead_cache) -> None:
    with pytest.raises(RedisConnectionError):
        dead_cache.incr("k")
    with cache_errors_raised(), pytest.raises(RedisConnectionError):
        dead_cache.get("k")
    assert dead_cache.get("k", "default") == "default"  # forgiving again outside the block


@pytest.mark.redis
def test_a_reachable_redis_stores_and_answers(settings) -> None:
    cache = caches["default"]
    assert isinstance(cache, ResilientRedisCache)

    cache.set("resilient-cache-test", {"a": 1}, timeout=5)

    assert cache.get("resilient-cache-test") == {"a": 1}
    cache.delete("resilient-cache-test")
    assert cache.get("resilient-cache-test") is None


@pytest.mark.redis
def test_the_cache_keeps_one_redis_client_instead_of_one_per_call() -> None:
    cache = caches["default"]
    first = cache._cache.get_client("k", write=True)

    for n in range(3):
        cache.set(f"resilient-cache-test-{n}", n, timeout=5)
        assert cache.get(f"resilient-cache-test-{n}") == n
        assert cache._cache.get_client("k", write=True) is first
    cache.delete_many([f"resilient-cache-test-{n}" for n in range(3)])


@pytest.mark.django_db
def test_sign_up_and_password_reset_work_while_redis_is_away(dead_cache, client) -> None:
    from django.urls import reverse

    from accounts.models import User

    response = client.post(
        reverse("account_signup"),
        {
            "email": "outage@example.com",
            "password1": "purple-otter-swims-at-dawn",
            "password2": "purple-otter-swims-at-dawn",
        },
    )
    assert response.status_code == 302
    assert User.objects.filter(email="outage@example.com").exists()

    client.logout()
    reset = client.post(reverse("account_reset_password"), {"email": "outage@example.com"})
    assert reset.status_code == 302
