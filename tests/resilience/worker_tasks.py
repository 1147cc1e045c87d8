"""Loaded only into the resilience suite's workers (`celery worker --include=...`).

Poison tasks, declared with the project's `RELIABLE_TASK` options like every real task, and a
receiver that writes one log line per task run, so a test can count from the worker's log what
the worker really received.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import task_prerun
from django.db import OperationalError

from core.tasks import RELIABLE_TASK

logger = logging.getLogger("resilience")

RUN_MARK = "RESILIENCE-RUN"
POISON_SOFT_LIMIT = 1
POISON_HARD_LIMIT = 3


@task_prerun.connect(weak=False)
def _log_run(task_id: str, task, args=None, kwargs=None, **_: object) -> None:
    logger.warning(
        "%s %s %s %s", RUN_MARK, task.name, task_id, json.dumps(list(args or []), default=repr)
    )


@shared_task(name="resilience.echo")
def echo_task(value: object) -> object:
    """A healthy message: proves the worker goes on after the poison ones."""
    return value


@shared_task(name="resilience.always_raises", **RELIABLE_TASK)
def always_raises_task(value: object) -> None:
    """An argument the code can never handle: fails at once (not a transient fault)."""
    raise ValueError(f"cannot handle {value!r}")


# The project's retries (autoretry_for, max_retries) without the backoff, so the test does not
# wait the minutes the backoff would take.
@shared_task(
    name="resilience.database_always_down",
    **{**RELIABLE_TASK, "retry_backoff": False, "default_retry_delay": 0},
)
def database_always_down_task(value: object) -> None:
    """A transient fault that never clears: retried, then given up."""
    raise OperationalError(f"the database refused {value!r}")


_LIMITS = {"soft_time_limit": POISON_SOFT_LIMIT, "time_limit": POISON_HARD_LIMIT}


@shared_task(name="resilience.runs_past_soft_limit", **RELIABLE_TASK, **_LIMITS)
def runs_past_soft_limit_task(value: object) -> None:
    """Hangs; the soft time limit interrupts it."""
    while True:
        time.sleep(0.1)


@shared_task(name="resilience.ignores_soft_limit", **RELIABLE_TASK, **_LIMITS)
def ignores_soft_limit_task(value: object) -> None:
    """Hangs and swallows the soft limit; the hard limit kills its process."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            time.sleep(0.1)
        except SoftTimeLimitExceeded:
            continue


@shared_task(name="resilience.kills_its_process", **RELIABLE_TASK)
def kills_its_process_task(value: object) -> None:
    """Dies by SIGKILL like an out-of-memory kill of the pool process that runs it."""
    os.kill(os.getpid(), signal.SIGKILL)


@shared_task(name="resilience.kills_its_worker", **RELIABLE_TASK)
def kills_its_worker_task(value: object) -> None:
    """SIGKILLs the whole worker: its main process (under prefork) and the process running it."""
    parent = os.getppid()
    try:
        with open(f"/proc/{parent}/cmdline", "rb") as cmdline:
            is_worker = b"worker" in cmdline.read().split(b"\0")
    except OSError:
        is_worker = False
    if is_worker:  # under the solo pool the parent is whoever started the worker: spare it
        os.kill(parent, signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


@shared_task(name="resilience.clicks_derive_dies_once", **RELIABLE_TASK)
def clicks_derive_dies_once_task(flag: str) -> int:
    """The periodic click derivation, whose first run is SIGKILLed when it reaches the standings
    (after the hits of its batch got their verdicts). `flag` is a Redis key marking that first run.
    """
    import redis
    from django.conf import settings

    from sharing import clicks

    if redis.Redis.from_url(settings.REDIS_URL).set(flag, 1, nx=True, ex=600):

        def die(**kwargs: object) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        clicks.standings_refresh = die  # this pool process only, and it dies here
    return clicks.clicks_derive()
