"""The cache backend: Django's Redis cache, where Redis being away is a miss, not an error.

Everything the project caches can be recomputed from PostgreSQL (ARCHITECTURE invariant 1), so
while Redis is down or restarting, reads answer their default, writes and deletes are dropped,
and the request goes on from the database. After a failure the cache is not tried again for
`RETRY_AFTER` seconds (in this process), so a request during an outage pays no connection
attempt; the first failure of an outage is logged.

Health checks see the errors: inside `cache_errors_raised()` the cache raises as Django's does.
`add` answers True (a lock taken) while Redis is away, so locks and rate limits fail open.
Counters keep Django's behaviour: `incr` and `decr` raise (a caller that counts must decide
itself whether a missing count fails open or closed), and so does `clear`. Each cache object
keeps its `redis.Redis` client instead of building one per call (`ReusingRedisCacheClient`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

RETRY_AFTER = 2.0

# Per server location, shared by the threads of a process (Django makes a cache object per thread).
_down_until: dict[str, float] = {}
_warned: set[str] = set()
_lock = threading.Lock()
_strict = threading.local()


@contextlib.contextmanager
def cache_errors_raised() -> Iterator[None]:
    """Within this block (in this thread) the cache raises Redis errors, as Django's does."""
    previous = getattr(_strict, "on", False)
    _strict.on = True
    try:
        yield
    finally:
        _strict.on = previous


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one `redis.Redis` per connection pool.

    Django's builds a new `redis.Redis` for every cache call, and building one (its table of
    response callbacks) costs more than the call's round trip to Redis. A `redis.Redis` is
    safe to share between threads: each command takes a connection from the pool.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class ResilientRedisCache(RedisCache):
    """`RedisCache` whose reads and writes survive Redis being away (see the module)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
        self._where = server if isinstance(server, str) else ",".join(server)

    def _call(self, method: Callable[..., Any], *args: Any, fallback: Any = None) -> Any:
        if getattr(_strict, "on", False):
            return method(*args)
        if time.monotonic() < _down_until.get(self._where, 0.0):
            return fallback
        try:
            result = method(*args)
        except (RedisError, OSError) as exc:
            with _lock:
                _down_until[self._where] = time.monotonic() + RETRY_AFTER
                first = self._where not in _warned
                _warned.add(self._where)
            if first:
                logger.warning("cache: Redis failed, answering from the database: %r", exc)
            return fallback
        if self._where in _warned:
            with _lock:
                _warned.discard(self._where)
            logger.info("cache: Redis answers again")
        return result

    def get(self, key: str, default: Any = None, version: int | None = None) -> Any:
        return self._call(super().get, key, default, version, fallback=default)

    def get_many(self, keys: Any, version: int | None = None) -> dict[str, Any]:
        return self._call(super().get_many, keys, version, fallback={})

    def has_key(self, key: str, version: int | None = None) -> bool:
        return self._call(super().has_key, key, version, fallback=False)

    def add(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        # Granted while Redis is away: `add` is how locks are taken (allauth's rate limits take
        # one per request), and a lock that can never be had would refuse every sign-up and
        # password reset for the whole outage. Limits fail open, as every read here does.
        return self._call(super().add, key, value, timeout, version, fallback=True)

    def set(
        self, key: str, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._call(super().set, key, value, timeout, version)

    def set_many(
        self, data: dict[str, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[str]:
        return self._call(super().set_many, data, timeout, version, fallback=list(data))

    def touch(self, key: str, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._call(super().touch, key, timeout, version, fallback=False)

    def delete(self, key: str, version: int | None = None) -> bool:
        return self._call(super().delete, key, version, fallback=False)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        self._call(super().delete_many, keys, version)
