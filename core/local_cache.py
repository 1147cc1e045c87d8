"""A small cache in the memory of one process, for answers every request asks for a moment.

For reads so hot that even a trip to Redis and unpickling the answer cost more than the rest
of the request (the leaderboard every viewer of a campaign polls). Entries expire after the
seconds given when they were stored; each process keeps its own copy, so what it holds must be
fine to serve that many seconds late, and it is never used for anything that decides access
beyond the visibility of public things. Shared by the threads of the process; bounded in size.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from typing import Any

_instances: list[LocalCache] = []


class LocalCache:
    """Keys to values, each kept for the seconds it was stored with; at most `max_entries`."""

    def __init__(self, *, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._data: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        _instances.append(self)

    def get(self, key: Hashable) -> Any:
        """The value stored under `key`, or None when there is none or it has expired."""
        item = self._data.get(key)
        if item is None or item[0] <= time.monotonic():
            return None
        return item[1]

    def set(self, key: Hashable, value: Any, *, seconds: float) -> None:
        if seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            if key not in self._data and len(self._data) >= self.max_entries:
                live = {k: item for k, item in self._data.items() if item[0] > now}
                if len(live) >= self.max_entries:  # all live: drop the oldest half
                    ordered = sorted(live.items(), key=lambda kv: kv[1][0])
                    live = dict(ordered[len(ordered) // 2 :])
                self._data = live
            self._data[key] = (now + seconds, value)

    def clear(self) -> None:
        with self._lock:
            self._data = {}


def local_caches_clear() -> None:
    """Empty every local cache of this process (tests start from nothing)."""
    for instance in _instances:
        instance.clear()
