"""Shared fixtures, and the rule that a test needing a real service never silently skips in CI.

Tests marked `postgres`, `redis`, `celery_worker` or `browser` need that part of the stack. Without
it they skip with a reason; with REQUIRE_SERVICES=1 (as .ci/run sets) a missing service fails the
test instead, and any skip at all fails the run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from config.celery import app as celery_app

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES", "") in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _postgres_missing() -> str | None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://..."
    return None


def _redis_missing() -> str | None:
    if not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://..."
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL is not reachable ({exc})"
    return None


def _celery_worker_missing() -> str | None:
    return _postgres_missing() or _redis_missing()


def _browser_missing() -> str | None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"needs Chromium at {CHROMIUM} (Debian package chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "needs the playwright Python package"
    return None


_CHECKS = {
    "postgres": _postgres_missing,
    "redis": _redis_missing,
    "celery_worker": _celery_worker_missing,
    "browser": _browser_missing,
}
_answers: dict[str, str | None] = {}
_skipped: list[str] = []


def pytest_runtest_setup(item: pytest.Item) -> None:
    for marker, check in _CHECKS.items():
        if item.get_closest_marker(marker) is None:
            continue
        if marker not in _answers:
            _answers[marker] = check()
        reason = _answers[marker]
        if reason:
            if REQUIRE_SERVICES:
                pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
            pytest.skip(reason)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if REQUIRE_SERVICES and _skipped and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if REQUIRE_SERVICES and _skipped:
        terminalreporter.write_line(
            f"REQUIRE_SERVICES=1: {len(_skipped)} skipped test(s) fail this run: "
            + ", ".join(_skipped),
            red=True,
        )


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path: Path) -> None:
    """Uploaded files of a test land in its own temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and cached reads never leak from one test into another."""
    from django.core.cache import cache

    if settings.REDIS_URL:
        # Not cache.clear(): that flushes the whole Redis database, broker queues included.
        import redis

        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        try:
            for key in client.scan_iter(match=f"{prefix}:*", count=1000):
                client.delete(key)
        except redis.RedisError:
            pass  # tests that need Redis are marked and report its absence themselves
    else:
        cache.clear()


@pytest.fixture(autouse=True)
def _tasks_in_process(request: pytest.FixtureRequest):
    """Run Celery tasks in the test's process, except in tests that start a real worker."""
    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Hash passwords cheaply in tests; real hashes made elsewhere still verify."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]


@pytest.fixture(autouse=True)
def _default_language():
    """A request that activated Italian must not leave later code in this thread speaking it."""
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _fresh_leaderboards(settings) -> None:
    """Every read of a board or a public list is fresh in tests; the few tests of the shared
    copies turn them on."""
    settings.PASSAPAROLA_LEADERBOARD_SHARED_SECONDS = 0
    settings.PASSAPAROLA_PUBLIC_LISTS_SECONDS = 0
    from core.local_cache import local_caches_clear

    local_caches_clear()
    from sharing import leaderboard

    leaderboard._stale.clear()  # lost pushes of another test's campaigns are not this test's
