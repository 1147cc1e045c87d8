"""Checks behind /healthz: each answers (ok, detail) and never raises."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from config.celery import app as celery_app
from core.cache import cache_errors_raised


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return False, type(exc).__name__
    return True, connection.vendor


def check_cache() -> tuple[bool, str]:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        # The project's cache hides Redis errors from its callers (a miss); this check must not.
        with cache_errors_raised():
            cache.set(key, "1", timeout=5)
            ok = cache.get(key) == "1"
            cache.delete(key)
    except Exception as exc:
        return False, type(exc).__name__
    backend = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    return ok, backend if ok else "read back failed"


def check_broker() -> tuple[bool, str]:
    try:
        with celery_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:
        return False, type(exc).__name__
    return True, str(transport)


def health_report() -> tuple[bool, dict[str, dict[str, object]]]:
    """Run every check; healthy only if all pass."""
    results = {
        "database": check_database(),
        "cache": check_cache(),
        "broker": check_broker(),
    }
    report = {name: {"ok": ok, "detail": detail} for name, (ok, detail) in results.items()}
    return all(ok for ok, _ in results.values()), report
