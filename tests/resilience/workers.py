"""Real Celery workers for the resilience suite: several at once, on a queue of the test's own.

`WorkerFleet` starts prefork workers (as production runs them) that consume one private queue
through the Redis at REDIS_URL and write to the test database. While the fleet is up, every task
this process enqueues (the services' `on_commit` enqueues included) and every task a worker
enqueues goes to that queue. A worker can be SIGKILLed (its main process and its pool processes,
as the kernel's OOM killer or a container runtime would) and replaced.

Killed workers leave their unacknowledged messages in Redis; the broker hands them out again
once the visibility timeout (an hour in production) has passed. `restore_unacked` does now what
the broker would do then, so a test sees the redelivery without waiting an hour.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Task
from django.conf import settings

from config.celery import app as celery_app
from tests.integration.conftest import WorkerProcess, _database_url

WORKER_TASKS = "tests.resilience.worker_tasks"
RESULT_TIMEOUT = 60.0
RUN_MARK = "RESILIENCE-RUN"


def broker() -> redis.Redis:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2)


def wait_for(
    predicate: Callable[[], Any], *, timeout: float, interval: float = 0.2, what: str = ""
) -> Any:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"gave up after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)


def _children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (a prefork worker's pool)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after it.
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class WorkerFleet:
    """Prefork workers on one private queue; see the module docstring."""

    def __init__(self, *, queue: str, concurrency: int = 2, pool: str = "prefork") -> None:
        self.queue = queue
        self.concurrency = concurrency
        self.pool = pool
        self.live: list[WorkerProcess] = []
        self.dead: list[WorkerProcess] = []
        self.kills = 0
        self.pool_kills = 0
        self._started = 0

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "REDIS_URL": settings.REDIS_URL,
            "CELERY_TASK_ALWAYS_EAGER": "0",
            "CELERY_TASK_DEFAULT_QUEUE": self.queue,
            "DJANGO_DEBUG": "1",
        }

    def start(self, count: int = 1, *, wait: bool = True) -> list[WorkerProcess]:
        started = []
        for _ in range(count):
            self._started += 1
            started.append(
                WorkerProcess(
                    queue=self.queue,
                    env=self.env,
                    pool=self.pool,
                    concurrency=self.concurrency,
                    include=(WORKER_TASKS,),
                    name=f"{self.queue}-{self._started}",
                )
            )
        if wait:
            for worker in started:
                worker.wait_ready()
        self.live.extend(started)
        return started

    def kill(self, worker: WorkerProcess) -> int:
        """SIGKILL a worker's main process and its pool processes; return how many died."""
        pids = [worker.process.pid, *_children(worker.process.pid)]
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        worker.process.wait(timeout=10)
        wait_for(
            lambda: not any(_alive(pid) for pid in pids[1:]),
            timeout=10,
            what="the pool processes to die",
        )
        self.live.remove(worker)
        self.dead.append(worker)
        self.kills += 1
        return len(pids)

    def kill_pool_process(self, worker: WorkerProcess) -> bool:
        """SIGKILL one pool process of a worker (its main process starts another)."""
        children = _children(worker.process.pid)
        if not children:
            return False
        with suppress(ProcessLookupError):
            os.kill(children[0], signal.SIGKILL)
        self.pool_kills += 1
        return True

    def ready(self) -> list[WorkerProcess]:
        """Live workers that said they are ready."""
        return [w for w in self.live if w.process.poll() is None and w._ready.is_set()]

    def forget_dead(self) -> None:
        """Move workers that died by themselves (a poison message killed them) to `dead`."""
        for worker in [w for w in self.live if w.process.poll() is not None]:
            self.live.remove(worker)
            self.dead.append(worker)

    def stop(self) -> None:
        for worker in self.live:
            worker.stop()
        for worker in self.dead:
            worker.stop()  # joins the log reader

    @property
    def workers(self) -> list[WorkerProcess]:
        return [*self.dead, *self.live]

    @property
    def log(self) -> str:
        parts = []
        for worker in self.workers:
            args = worker.process.args
            parts.append(f"--- {args[args.index('--hostname') + 1]} ---\n{worker.log}")
        return "\n".join(parts)

    def runs(self) -> list[tuple[str, str, list[Any]]]:
        """(task name, task id, args) of every task run the workers started, from their logs."""
        found = []
        for worker in self.workers:
            for line in list(worker.lines):
                if RUN_MARK not in line:
                    continue
                name, task_id, args = line.split(RUN_MARK, 1)[1].strip().split(" ", 2)
                found.append((name, task_id, json.loads(args)))
        return found

    # --- Messages --------------------------------------------------------------------------

    def send(self, task: Task, *args: Any, task_id: str | None = None) -> Any:
        return task.apply_async(args=args, queue=self.queue, ignore_result=False, task_id=task_id)

    def run(self, task: Task, *args: Any, timeout: float = RESULT_TIMEOUT) -> Any:
        """Send a task to the fleet and wait for its result."""
        return self.send(task, *args).get(timeout=timeout)

    def waiting(self) -> int:
        """Messages in the queue (kombu keeps one list per priority step)."""
        client = broker()
        keys = [self.queue, *(f"{self.queue}\x06\x16{p}" for p in range(1, 10))]
        return sum(client.llen(k) for k in keys)

    def _unacked(self) -> list[tuple[bytes, dict[str, Any], str, str]]:
        client = broker()
        found = []
        for tag, raw in client.hgetall("unacked").items():
            try:
                message, exchange, routing_key = json.loads(raw)
            except ValueError:
                continue
            if routing_key == self.queue:
                found.append((tag, message, exchange, routing_key))
        return found

    def unacked(self) -> int:
        """Messages of this queue that a worker took and has not acknowledged."""
        return len(self._unacked())

    def restore_unacked(self) -> int:
        """Hand the unacknowledged messages out again, as the broker does after the visibility
        timeout: back to the head of the queue, marked redelivered. Returns how many."""
        client = broker()
        restored = 0
        for tag, message, _exchange, _routing_key in self._unacked():
            with client.pipeline() as pipe:
                pipe.hdel("unacked", tag)
                pipe.zrem("unacked_index", tag)
                message.setdefault("headers", {})["redelivered"] = True
                message.setdefault("properties", {}).setdefault("delivery_info", {})
                message["properties"]["delivery_info"]["redelivered"] = True
                pipe.rpush(self.queue, json.dumps(message))
                removed, *_ = pipe.execute()
            restored += removed
        return restored

    def idle(self) -> bool:
        """Nothing waiting and nothing taken but unfinished."""
        return self.waiting() == 0 and self.unacked() == 0

    def purge(self) -> None:
        client = broker()
        client.delete(self.queue, *(f"{self.queue}\x06\x16{p}" for p in range(1, 10)))
        for tag, *_ in self._unacked():
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@contextmanager
def worker_fleet(
    count: int, *, concurrency: int = 2, pool: str = "prefork"
) -> Iterator[WorkerFleet]:
    """`count` workers on a fresh private queue, which is also this process's default queue."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("worker_fleet needs PostgreSQL; mark the test celery_worker", pytrace=False)
    assert not celery_app.conf.task_always_eager, "tasks would run in this process"
    fleet = WorkerFleet(
        queue=f"resilience-{uuid.uuid4().hex[:10]}", concurrency=concurrency, pool=pool
    )
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = fleet.queue
    try:
        fleet.start(count)
        yield fleet
    finally:
        celery_app.conf.task_default_queue = previous
        fleet.stop()
        fleet.purge()
        with celery_app.connection_for_write() as connection:
            bound = celery_app.amqp.queues[fleet.queue].bind(connection.default_channel)
            bound.declare()
            bound.delete()
