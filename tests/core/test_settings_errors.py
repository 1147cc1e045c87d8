"""A bad environment stops the process with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

GOOD_SECRET = "k3y-" + "x" * 60
CONFIG_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_DEBUG",
    "EMAIL_URL",
    "DB_CONN_MAX_AGE",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "HTTPS",
    "IMAGE_MAX_BYTES",
    "IMAGE_MAX_PIXELS",
    "CELERY_VISIBILITY_TIMEOUT",
    "SECURE_HSTS_SECONDS",
    "DJANGO_SETTINGS_MODULE",
    "SECURE_SSL_REDIRECT",
    "LOG_LEVEL",
    "CELERY_TASK_ALWAYS_EAGER",
    "SECURE_HSTS_PRELOAD",
}


def _manage_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CONFIG_VARIABLES}
    clean["PASSAPAROLA_VAR_DIR"] = str(tmp_path / "var")
    clean.update(env)
    return subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "check"],
        cwd=settings.BASE_DIR,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


DEBUG_ON = {"DJANGO_DEBUG": "1"}
PRODUCTION = {"DJANGO_DEBUG": "0", "SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": "example.com"}


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({**DEBUG_ON, "DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({**DEBUG_ON, "DATABASE_URL": "nonsense"}, "DATABASE_URL"),
        ({**DEBUG_ON, "DATABASE_URL": "postgres://u:p@host:notaport/db"}, "DATABASE_URL"),
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG"),
        ({**DEBUG_ON, "DB_CONN_MAX_AGE": "abc"}, "DB_CONN_MAX_AGE"),
        ({**DEBUG_ON, "DB_CONN_MAX_AGE": "-1"}, "DB_CONN_MAX_AGE"),
        ({"DJANGO_DEBUG": "0", "ALLOWED_HOSTS": "example.com"}, "SECRET_KEY"),
        (
            {"DJANGO_DEBUG": "0", "ALLOWED_HOSTS": "example.com", "SECRET_KEY": "short"},
            "SECRET_KEY",
        ),
        ({"DJANGO_DEBUG": "0", "SECRET_KEY": GOOD_SECRET}, "ALLOWED_HOSTS"),
        ({"DJANGO_DEBUG": "0", "SECRET_KEY": GOOD_SECRET, "ALLOWED_HOSTS": " , "}, "ALLOWED_HOSTS"),
        ({**DEBUG_ON, "REDIS_URL": "http://x"}, "REDIS_URL"),
        ({**DEBUG_ON, "EMAIL_URL": "bogus://"}, "EMAIL_URL"),
        ({**DEBUG_ON, "IMAGE_MAX_BYTES": "lots"}, "IMAGE_MAX_BYTES"),
        ({**PRODUCTION, "HTTPS": "perhaps"}, "HTTPS"),
        (
            {**DEBUG_ON, "REDIS_URL": "redis://127.0.0.1:6379/0", "CELERY_VISIBILITY_TIMEOUT": "5"},
            "CELERY_VISIBILITY_TIMEOUT",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bad_environment_exits_with_one_line_naming_the_variable(
    tmp_path: Path, env: dict[str, str], variable: str
) -> None:
    result = _manage_check(tmp_path, **env)

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout


@pytest.mark.parametrize(
    "env",
    [
        DEBUG_ON,
        {**DEBUG_ON, "DATABASE_URL": "postgres://user:secret@db.example:5432/passaparola"},
        {
            **DEBUG_ON,
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "EMAIL_URL": "smtp+tls://u:p@mail:587",
        },
        PRODUCTION,
    ],
    ids=["debug", "postgres-url", "redis-and-smtp", "production"],
)
def test_good_environment_passes_the_check(tmp_path: Path, env: dict[str, str]) -> None:
    result = _manage_check(tmp_path, **env)

    assert result.returncode == 0, result.stderr
    assert "configuration error" not in result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://user:hunter2@db/x"),
        ("DATABASE_URL", "mysql://user:hun@ter2@db/x"),
        ("REDIS_URL", "http://:hunter2@cache:6379/0"),
        ("EMAIL_URL", "bogus://user:hunter2@mail:587"),
    ],
)
def test_error_message_never_echoes_a_password(tmp_path: Path, variable: str, value: str) -> None:
    result = _manage_check(tmp_path, **DEBUG_ON, **{variable: value})

    assert result.returncode != 0
    assert variable in result.stderr
    assert "hunter2" not in result.stderr
    assert "ter2" not in result.stderr
