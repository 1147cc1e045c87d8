"""Sending a task from a request: a broker fault must not fail, or hold up, the request."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

logger = logging.getLogger(__name__)

# One quick retry: a broker that refuses connections (stopped, restarting) fails in well under a
# second, and the work is not lost (see `task_enqueue`).
ENQUEUE_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def task_enqueue(task: Task, *args: Any) -> bool:
    """Send `task(*args)` to the broker; on any fault log it and return False, never raise.

    Only for work whose facts are already committed and that a periodic sweep also finds in the
    database (the database is the outbox, ARCHITECTURE invariant 3): when the broker is away,
    the request that wrote the fact still succeeds and the sweep derives it later.
    """
    if task.app.conf.task_always_eager:
        task.apply_async(args=args)  # runs right here: its errors are the caller's to see
        return True
    try:
        task.apply_async(args=args, retry=True, retry_policy=ENQUEUE_RETRY_POLICY)
    except Exception as exc:  # kombu, redis and socket errors alike
        logger.warning("tasks: %s%r not sent, left to the sweep: %r", task.name, args, exc)
        return False
    return True
