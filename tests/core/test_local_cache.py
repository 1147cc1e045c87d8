"""The in-process cache: values live for their seconds, the size stays bounded, tests clear it."""

from __future__ import annotations

import pytest

from core import local_cache
from core.local_cache import LocalCache, local_caches_clear


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The cache's clock, moved by hand."""
    now = [1000.0]
    monkeypatch.setattr(local_cache.time, "monotonic", lambda: now[0])
    return now


def test_a_value_lives_for_its_seconds(clock) -> None:
    cache = LocalCache()
    cache.set("k", {"a": 1}, seconds=2)

    clock[0] += 1.9
    assert cache.get("k") == {"a": 1}
    clock[0] += 0.1
    assert cache.get("k") is None


def test_zero_seconds_stores_nothing(clock) -> None:
    cache = LocalCache()
    cache.set("k", 1, seconds=0)
    assert cache.get("k") is None


def test_expired_entries_make_room_first_then_the_oldest_half_goes(clock) -> None:
    cache = LocalCache(max_entries=4)
    cache.set("old", 0, seconds=1)
    for n in range(3):
        cache.set(n, n, seconds=100 + n)
    clock[0] += 5  # "old" has expired
    cache.set("new", "x", seconds=100)
    assert [cache.get(k) for k in (0, 1, 2, "new")] == [0, 1, 2, "x"]
    assert len(cache._data) == 4

    cache.set("newer", "y", seconds=200)  # all four live: the two oldest expiries go

    assert len(cache._data) <= 4
    assert cache.get("newer") == "y"
    assert cache.get(0) is None
    assert cache.get(1) is None
    assert cache.get(2) == 2


def test_clearing_empties_every_instance(clock) -> None:
    first, second = LocalCache(), LocalCache()
    first.set("a", 1, seconds=10)
    second.set("b", 2, seconds=10)

    local_caches_clear()

    assert first.get("a") is None
    assert second.get("b") is None
