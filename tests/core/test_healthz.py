"""/healthz tells a load balancer whether this instance can serve: database, cache and broker."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import Client

import core.health
from config.celery import app as celery_app

pytestmark = pytest.mark.django_db

UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def _health(client: Client | None = None):
    response = (client or Client()).get("/healthz")
    return response, response.json()


def test_healthy_under_the_current_settings() -> None:
    response, body = _health()

    assert response.status_code == 200
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] for check in body["checks"].values())
    assert body["checks"]["database"]["detail"] in {"sqlite", "postgresql"}


def test_healthz_is_never_cached() -> None:
    response, _ = _health()

    assert "no-cache" in response.headers["Cache-Control"]
    assert "max-age=0" in response.headers["Cache-Control"]


def test_healthz_answers_head_and_refuses_post() -> None:
    client = Client()

    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


def test_healthz_needs_no_login_and_sets_no_session_cookie() -> None:
    response, _ = _health()

    assert settings.SESSION_COOKIE_NAME not in response.cookies


@pytest.fixture
def embedded_broker(monkeypatch, tmp_path) -> None:
    """The embedded default: kombu's filesystem transport in a folder of the test's own."""
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    monkeypatch.setitem(celery_app.conf, "broker_url", "filesystem://")
    monkeypatch.setitem(
        celery_app.conf,
        "broker_transport_options",
        {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "processed_folder": str(folders["processed"]),
            "control_folder": str(folders["control"]),
            "store_processed": False,
        },
    )


def test_embedded_defaults_report_ok(settings, embedded_broker) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    response, body = _health()

    assert response.status_code == 200
    assert body["checks"]["cache"] == {"ok": True, "detail": "LocMemCache"}
    assert body["checks"]["broker"] == {"ok": True, "detail": "filesystem"}


def test_unreachable_broker_makes_it_unavailable(monkeypatch) -> None:
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_REDIS)

    response, body = _health()

    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["broker"]["ok"] is False
    assert body["checks"]["broker"]["detail"]  # names the failure
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["cache"]["ok"] is True


class _BrokenConnection:
    vendor = "postgresql"

    def cursor(self):
        raise OperationalError("could not connect to server")


def test_failing_database_makes_it_unavailable(monkeypatch) -> None:
    monkeypatch.setattr(core.health, "connection", _BrokenConnection())

    response, body = _health()

    assert response.status_code == 503
    assert body["checks"]["database"] == {"ok": False, "detail": "OperationalError"}
    assert body["checks"]["broker"]["ok"] is True


def test_unreachable_cache_makes_it_unavailable(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    response, body = _health()

    assert response.status_code == 503
    assert body["checks"]["cache"]["ok"] is False
    assert body["checks"]["cache"]["detail"] == "ConnectionError"


def test_unreachable_cache_is_reported_although_the_cache_forgives_it(settings) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": UNREACHABLE_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }

    response, body = _health()

    assert response.status_code == 503
    assert body["checks"]["cache"] == {"ok": False, "detail": "ConnectionError"}


class _ForgetfulCache:
    def set(self, *args, **kwargs) -> None:
        pass

    def get(self, *args, **kwargs) -> None:
        return None

    def delete(self, *args, **kwargs) -> None:
        pass


def test_cache_that_loses_writes_makes_it_unavailable(monkeypatch) -> None:
    monkeypatch.setattr(core.health, "cache", _ForgetfulCache())

    response, body = _health()

    assert response.status_code == 503
    assert body["checks"]["cache"] == {"ok": False, "detail": "read back failed"}


def test_each_check_never_raises(monkeypatch) -> None:
    monkeypatch.setattr(core.health, "connection", _BrokenConnection())
    monkeypatch.setitem(celery_app.conf, "broker_url", UNREACHABLE_REDIS)

    healthy, report = core.health.health_report()

    assert healthy is False
    assert report["database"]["ok"] is False
    assert report["broker"]["ok"] is False


@pytest.mark.redis
def test_redis_broker_and_cache_report_ok() -> None:
    response, body = _health()

    assert response.status_code == 200
    assert body["checks"]["cache"] == {"ok": True, "detail": "ResilientRedisCache"}
    assert body["checks"]["broker"] == {"ok": True, "detail": "redis"}


@pytest.mark.postgres
def test_postgres_database_reports_ok() -> None:
    _, body = _health()

    assert body["checks"]["database"] == {"ok": True, "detail": "postgresql"}
