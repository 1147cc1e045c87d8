"""Read configuration from the environment, failing with one clear line per bad variable."""

from __future__ import annotations

import os
import re
from typing import Any

import environ


class ConfigurationError(SystemExit):
    """A bad or missing environment variable: exits with one line naming it, no traceback."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"Passaparola configuration error: {name} {problem}")


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

_env = environ.Env()
_URL_PASSWORD = re.compile(r"(://[^/@:]*:)[^/]*@")


def _redacted(url: str) -> str:
    """The URL as it may appear in a log: any password replaced by asterisks."""
    return _URL_PASSWORD.sub(r"\1***@", url)


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise ConfigurationError(name, "is required but not set.")
    return value


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigurationError(name, f"must be true or false, got {raw!r}.")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(name, f"must be a whole number, got {raw!r}.") from None
    if minimum is not None and value < minimum:
        raise ConfigurationError(name, f"must be at least {minimum}, got {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name: str, default: str) -> dict[str, Any]:
    raw = os.environ.get(name) or default
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql", "psql"}:
        raise ConfigurationError(
            name,
            f"must look like postgres://user:password@host:5432/name or sqlite:///path, "
            f"got {_redacted(raw)!r}.",
        )
    try:
        return _env.db_url_config(raw)
    except Exception as exc:  # environ raises several types for malformed URLs
        raise ConfigurationError(name, f"is not a valid database URL ({exc}).") from None


def env_redis_url(name: str) -> str | None:
    raw = os.environ.get(name)
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigurationError(
            name, f"must look like redis://host:6379/0, got {_redacted(raw)!r}."
        )
    return raw


def env_email(name: str, default: str) -> dict[str, Any]:
    raw = os.environ.get(name) or default
    try:
        return _env.email_url_config(raw)
    except Exception as exc:
        raise ConfigurationError(
            name,
            f"must look like smtp+tls://user:password@host:587 or consolemail://, "
            f"got {_redacted(raw)!r} ({exc}).",
        ) from None
