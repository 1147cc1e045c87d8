"""A real Celery worker process, fed through the Redis broker and writing to the test database."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from celery import Task
from celery.result import AsyncResult
from django.conf import settings

from config.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def _database_url() -> str:
    """The URL of the database this test run uses (pytest-django renames it to test_...)."""
    db = settings.DATABASES["default"]
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{quote(db['NAME'], safe='')}"


class WorkerProcess:
    """`celery worker` as a child process consuming one private queue, its output kept in memory.

    `pool` and `concurrency` as on the command line (prefork is what production runs: it alone
    enforces time limits); `include` names extra task modules; `name` tells workers sharing a
    queue apart.
    """

    def __init__(
        self,
        *,
        queue: str,
        env: dict[str, str],
        pool: str = "solo",
        concurrency: int = 1,
        include: tuple[str, ...] = (),
        name: str | None = None,
    ) -> None:
        self.queue = queue
        self.lines: list[str] = []
        self._ready = threading.Event()
        self.process = subprocess.Popen(
            [
                str(CELERY),
                "-A",
                "config",
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "-Q",
                queue,
                "--hostname",
                f"{name or queue}@%h",
                *([f"--include={','.join(include)}"] if include else []),
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, name="celery-worker-log", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if line.rstrip().endswith(" ready."):
                self._ready.set()
        self._ready.set()  # the process ended: nobody should keep waiting for "ready."

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> None:
        if not self._ready.wait(READY_TIMEOUT) or self.process.poll() is not None:
            pytest.fail(
                f"the Celery worker did not become ready within {READY_TIMEOUT:.0f} s "
                f"(exit code {self.process.poll()}); its log:\n{self.log}",
                pytrace=False,
            )

    def enqueue(self, task: Task, *, task_id: str | None = None) -> AsyncResult:
        """Send `task` to this worker, asking for its result although results are off by default."""
        return task.apply_async(queue=self.queue, ignore_result=False, task_id=task_id)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: warm shutdown
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self._reader.join(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="module")
def live_worker(django_db_setup: None) -> Iterator[WorkerProcess]:
    """One worker for the module, on a queue no other process consumes, using the test database."""
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail("live_worker needs PostgreSQL; mark the test celery_worker", pytrace=False)
    queue = f"test-worker-{uuid.uuid4().hex[:12]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_DEBUG": "1",
    }
    worker = WorkerProcess(queue=queue, env=env)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()
        # Forget the private queue; kombu removes its bindings only when this connection has
        # declared them itself.
        with celery_app.connection_for_write() as connection:
            bound = celery_app.amqp.queues[queue].bind(connection.default_channel)
            bound.declare()
            bound.delete()


@pytest.fixture
def worker(live_worker: WorkerProcess) -> WorkerProcess:
    """The module's worker; tasks sent in this test must really travel to it, never run eagerly."""
    assert not celery_app.conf.task_always_eager, "tasks would run in this process, not the worker"
    return live_worker


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Show the worker's log under any failing test that used it."""
    report = yield
    worker = getattr(item, "funcargs", {}).get("live_worker")
    if report.failed and worker is not None:
        report.sections.append(("Celery worker log", worker.log))
    return report
