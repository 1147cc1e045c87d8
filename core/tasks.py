"""Shared task machinery: late ack, bounded retries, bounded redeliveries, a record of give-ups.

Every task of the project is declared with `@shared_task(**RELIABLE_TASK)` (see
docs/reliability.md):

- Late acknowledgement, and a task whose worker dies is delivered again
  (`reject_on_worker_lost`): a SIGKILL mid-task loses nothing, and tasks are idempotent.
- Transient faults (database, broker, Redis) are retried `max_retries` times with backoff;
  anything else fails at once. The soft and hard time limits of the settings stop a task that
  hangs.
- Redelivery is bounded too. A message that kills its worker every time (a pool child, or the
  whole worker) would otherwise come back forever: `ReliableTask` counts the deliveries of each
  (task id, retry) in Redis and refuses the message once it has started `MAX_DELIVERIES` times.
- A task that gives up (retries exhausted, an error, a time limit, too many deliveries) is
  recorded once, in one place: the `task_failure` receiver below writes a `FailedTask` row.
  Celery sends that signal for each of those endings, from the pool child or from the worker's
  main process (hard time limits, refused deliveries). Moderators see the rows in the admin and
  may send a task again.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from celery import Task, current_app
from celery.exceptions import Reject, SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import task_failure
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError

logger = logging.getLogger(__name__)

MAX_DELIVERIES = 3
DELIVERY_KEY_PREFIX = "pp:task-deliveries"
TEXT_MAX = 10_000


class DeliveriesExceeded(Exception):
    """The message was delivered again after it had started `MAX_DELIVERIES` times."""

    def __init__(self, deliveries: int) -> None:
        super().__init__(
            f"started {deliveries - 1} times without finishing (its worker died each time)"
        )
        self.deliveries = deliveries

    def __reduce__(self) -> tuple[Any, ...]:  # pickled from the pool child to the worker
        return (type(self), (self.deliveries,))


_redis_clients: dict[str, Any] = {}


def _redis() -> Any:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return None
    client = _redis_clients.get(url)
    if client is None:
        import redis

        # Short timeouts: a task waits for its count at most a second when Redis is away.
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        _redis_clients[url] = client
    return client


def _delivery_ttl() -> int:
    """Keep a count longer than the broker waits before it delivers an unacked message again."""
    options = current_app.conf.broker_transport_options or {}
    return 3 * int(options.get("visibility_timeout", 3600))


def _delivery_key(task_id: str, retries: int) -> str:
    return f"{DELIVERY_KEY_PREFIX}:{task_id}:{retries}"


def delivery_started(*, task_id: str, retries: int) -> int:
    """Count one more start of this message; return how many starts it has had.

    Counting never stops work: without Redis (the embedded default uses the local cache) or
    when Redis fails, the task runs.
    """
    key = _delivery_key(task_id, retries)
    try:
        client = _redis()
        if client is None:
            from django.core.cache import cache

            cache.add(key, 0, _delivery_ttl())
            return cache.incr(key)
        pipe = client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, _delivery_ttl())
        count, _ = pipe.execute()
        return int(count)
    except Exception as exc:
        logger.warning("tasks: cannot count the deliveries of %s: %s", task_id, exc)
        return 1


def delivery_finished(*, task_id: str, retries: int) -> None:
    """The run ended in this process (success, error or retry): forget its count."""
    key = _delivery_key(task_id, retries)
    try:
        client = _redis()
        if client is None:
            from django.core.cache import cache

            cache.delete(key)
        else:
            client.delete(key)
    except Exception as exc:
        logger.warning("tasks: cannot forget the deliveries of %s: %s", task_id, exc)


class ReliableTask(Task):
    """The base of every project task: refuses a message that keeps killing its worker."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        request = self.request
        if request.called_directly or request.is_eager or not request.id:
            return super().__call__(*args, **kwargs)
        retries = request.retries or 0
        deliveries = delivery_started(task_id=request.id, retries=retries)
        if deliveries > MAX_DELIVERIES:
            delivery_finished(task_id=request.id, retries=retries)
            # Not requeued: the worker acknowledges it and sends task_failure (recorded below).
            raise Reject(DeliveriesExceeded(deliveries), requeue=False)
        try:
            return super().__call__(*args, **kwargs)
        finally:
            delivery_finished(task_id=request.id, retries=retries)


RELIABLE_TASK = {
    "base": ReliableTask,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (
        OperationalError,
        InterfaceError,
        BrokerOperationalError,
        RedisConnectionError,
    ),
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 120,
    "retry_jitter": True,
}


# --- The record of tasks that gave up --------------------------------------------------------


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=repr))


def _reason_and_attempts(exception: BaseException, retries: int) -> tuple[str, int, str]:
    from core.models import FailedTask

    if isinstance(exception, Reject) and isinstance(exception.reason, DeliveriesExceeded):
        cause = exception.reason
        return FailedTask.Reason.WORKER_LOST, cause.deliveries - 1, repr(cause)
    if isinstance(exception, SoftTimeLimitExceeded | TimeLimitExceeded):
        return FailedTask.Reason.TIME_LIMIT, retries + 1, repr(exception)
    if type(exception).__name__ == "WorkerLostError":
        return FailedTask.Reason.WORKER_LOST, retries + 1, repr(exception)
    return FailedTask.Reason.ERROR, retries + 1, repr(exception)


def failed_task_record(
    *,
    task_name: str,
    task_id: str,
    args: Any,
    kwargs: Any,
    exception: BaseException,
    traceback: str = "",
    retries: int = 0,
) -> None:
    """Store (or refresh) the record of a task that stopped for good."""
    from core.models import FailedTask

    reason, attempts, text = _reason_and_attempts(exception, retries)
    now = timezone.now()
    FailedTask.objects.update_or_create(
        task_id=task_id,
        defaults={
            "task_name": task_name[:255],
            "args": _jsonable(list(args or ())),
            "kwargs": _jsonable(dict(kwargs or {})),
            "reason": reason,
            "exception": text[:TEXT_MAX],
            "traceback": (traceback or "")[-TEXT_MAX:],
            "attempts": attempts,
            "last_failed_at": now,
        },
    )


@task_failure.connect(weak=False)
def _task_failed(
    sender: Task | None = None,
    task_id: str | None = None,
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    """Every task that gives up lands here, whichever process of the worker saw it end."""
    if sender is None or task_id is None or exception is None:
        return
    if getattr(sender.request, "is_eager", False):
        return  # run in the caller's process: the error reaches the caller
    retries = getattr(sender.request, "retries", 0) or 0
    logger.error("tasks: %s[%s] gave up: %r", sender.name, task_id, exception)
    for attempt in (1, 2):
        try:
            close_old_connections()
            failed_task_record(
                task_name=sender.name,
                task_id=task_id,
                args=args,
                kwargs=kwargs,
                exception=exception,
                traceback=str(getattr(einfo, "traceback", "") or ""),
                retries=retries,
            )
            return
        except Exception:
            if attempt == 2:
                logger.exception("tasks: could not record the failure of %s", task_id)
            else:
                from django.db import connection

                connection.close()


def failed_tasks_retry(*, failed_ids: list[int]) -> int:
    """Send the recorded tasks again (with new ids) after commit; return how many."""
    from core.models import FailedTask

    with transaction.atomic():
        rows = list(FailedTask.objects.select_for_update().filter(pk__in=failed_ids))
        FailedTask.objects.filter(pk__in=[r.pk for r in rows]).update(retried_at=timezone.now())
        for row in rows:
            transaction.on_commit(
                lambda row=row: current_app.send_task(
                    row.task_name, args=row.args, kwargs=row.kwargs
                )
            )
    return len(rows)
