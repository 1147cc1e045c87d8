"""The real stack for fault scenarios: gunicorn and Celery workers on the test database, a private
redis-server a test may kill, and a small threaded HTTP client that records every answer.

Processes started here talk to 127.0.0.1 only, on ports a test chooses from its own range, and use
production settings (DEBUG off, static files collected once). A test owns the data: mark it
`django_db(transaction=True)` so what it creates is committed where gunicorn and the worker see it,
and stop every process (the context managers do) before pytest-django empties the tables.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from bench.harness import Server, gunicorn_stop
from tests.integration.conftest import BASE_DIR, WorkerProcess, _database_url

LOOPBACK = "127.0.0.1"
VENV_BIN = BASE_DIR / ".venv" / "bin"
STATIC_CACHE = BASE_DIR / "var" / "resilience" / "static"
READY_TIMEOUT = 60.0


def free_port(ports: range) -> int:
    """The first port of `ports` nobody listens on (a test's own range, never a shared one)."""
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((LOOPBACK, port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports.start}-{ports.stop - 1}")


def poll(check: Callable[[], object], *, timeout: float, every: float = 0.1) -> object:
    """The first truthy answer of `check` within `timeout` seconds, else its last (falsy) one."""
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() >= deadline:
            return answer
        time.sleep(every)


# --- Settings for the processes ---------------------------------------------------------------


def _static_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted((BASE_DIR / "static").rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def static_root(env: dict[str, str]) -> Path:
    """Collected static files for DEBUG off, made once per change of `static/` and reused."""
    target = STATIC_CACHE / _static_fingerprint()
    if (target / "staticfiles.json").exists():
        return target
    STATIC_CACHE.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="collect-", dir=STATIC_CACHE))
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=BASE_DIR,
        env={**env, "STATIC_ROOT": str(scratch)},
        check=True,
        timeout=180,
    )
    try:
        scratch.rename(target)
    except OSError:  # another run collected the same files first
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def stack_env(*, redis_url: str, var_dir: Path) -> dict[str, str]:
    """Production settings on loopback, against the test database and the given Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": LOOPBACK,
        "HTTPS": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PASSAPAROLA_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):
        env.pop(name, None)  # derived from REDIS_URL, as in production
    env["STATIC_ROOT"] = str(static_root(env))
    return env


# --- A private Redis ----------------------------------------------------------------------------


class RedisServer:
    """`redis-server` on a port of the test's range, without persistence: a restart is empty."""

    def __init__(self, *, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.process: subprocess.Popen | None = None
        self.log = workdir / f"redis-{port}.log"

    def url(self, db: int = 0) -> str:
        return f"redis://{LOOPBACK}:{self.port}/{db}"

    def client(self, **kwargs: object) -> redis.Redis:
        return redis.Redis(host=LOOPBACK, port=self.port, socket_connect_timeout=1, **kwargs)

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [
                    shutil.which("redis-server") or "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    LOOPBACK,
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(self.workdir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

        def answers() -> bool:
            with contextlib.suppress(redis.RedisError):
                return bool(self.client().ping())
            return False

        if not poll(answers, timeout=10):
            raise RuntimeError(f"redis-server did not answer on {self.port}:\n{self.log_text}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no save; clients see their connections drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    @property
    def log_text(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@contextlib.contextmanager
def redis_server(*, port: int, workdir: Path) -> Iterator[RedisServer]:
    server = RedisServer(port=port, workdir=workdir)
    server.start()
    try:
        yield server
    finally:
        server.kill()


# --- gunicorn and Celery ------------------------------------------------------------------------


@contextlib.contextmanager
def gunicorn(
    *, env: dict[str, str], port: int, workers: int = 3, threads: int = 4, log_dir: Path
) -> Iterator[Server]:
    """gunicorn serving config.wsgi on `port`, ready once every worker has answered /healthz."""
    command = [
        str(VENV_BIN / "gunicorn"),
        "config.wsgi",
        "-w",
        str(workers),
        "-k",
        "gthread",
        "--threads",
        str(threads),
        "-b",
        f"{LOOPBACK}:{port}",
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "30",
        # Each request with its status and duration, in the log a failing test shows.
        "--access-logfile",
        "-",
        "--access-logformat",
        "%(t)s %(m)s %(U)s %(s)s %(L)ss",
    ]
    log = log_dir / f"gunicorn-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    server = Server(process=process, port=port, command=command, log=log)
    try:
        _wait_serving(server, workers=workers)
        yield server
    finally:
        gunicorn_stop(server)


def _wait_serving(server: Server, *, workers: int) -> None:
    """/healthz answers 200 and every worker process is up (each loads the app as it boots)."""
    client = HttpClient(port=server.port, timeout=5)

    def serving() -> bool:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{server.log.read_text()[-3000:]}")
        client.close()
        return client.request("GET", "/healthz").status == 200 and len(server.pids()) > workers

    if not poll(serving, timeout=READY_TIMEOUT, every=0.25):
        gunicorn_stop(server)
        log = server.log.read_text()[-3000:]
        raise RuntimeError(f"gunicorn did not serve in {READY_TIMEOUT:.0f} s:\n{log}")
    client.close()


@contextlib.contextmanager
def celery_worker(*, env: dict[str, str], queue: str = "celery") -> Iterator[WorkerProcess]:
    """A real `celery worker` (solo pool) consuming `queue` of the broker in `env`."""
    worker = WorkerProcess(queue=queue, env=env)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


@dataclass
class Stack:
    redis: RedisServer
    web: Server
    worker: WorkerProcess
    env: dict[str, str]

    def logs(self) -> str:
        """The tails of the gunicorn and worker logs, for a failure message."""
        web = self.web.log.read_text(errors="replace")[-4000:]
        return f"--- gunicorn ---\n{web}\n--- worker ---\n{self.worker.log[-4000:]}"


@contextlib.contextmanager
def stack(*, ports: range, tmp_path: Path) -> Iterator[Stack]:
    """A private redis-server, gunicorn (3 workers x 4 threads) and one Celery worker, all on
    the test database and that Redis, on ports of `ports`; stopped in reverse order."""
    with redis_server(port=free_port(ports), workdir=tmp_path / "redis") as redis_:
        env = stack_env(redis_url=redis_.url(), var_dir=tmp_path / "var")
        # The worker boots while gunicorn does (both import Django: seconds on a busy machine).
        worker = WorkerProcess(queue="celery", env=env)
        try:
            port = free_port(range(redis_.port + 1, ports.stop))  # not Redis's port again
            with gunicorn(env=env, port=port, log_dir=tmp_path) as web:
                worker.wait_ready()
                yield Stack(redis=redis_, web=web, worker=worker, env=env)
        finally:
            worker.stop()


# --- Load -----------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer (connection refused or reset, or the client's timeout)
    started: float  # time.monotonic() when sent
    seconds: float
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    error: str = ""


class HttpClient:
    """One keep-alive connection per thread to gunicorn; never raises, records what came back."""

    def __init__(self, *, port: int, timeout: float = 10.0) -> None:
        self.port = port
        self.timeout = timeout
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=self.timeout)
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def request(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer:
        headers = {"Host": LOOPBACK, **(headers or {})}
        started = time.monotonic()
        while True:
            reused = getattr(self._local, "conn", None) is not None
            conn = self._connection()
            try:
                conn.request(method, path, body=body or None, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                self.close()
                if reused:
                    # The server had closed this idle keep-alive connection as we sent: the
                    # request never reached a worker, so it goes again on a fresh connection.
                    continue
                return Answer(0, started, time.monotonic() - started, error=repr(exc))
            except OSError as exc:  # refused, or no answer within the timeout
                self.close()
                return Answer(0, started, time.monotonic() - started, error=repr(exc))
            if (response.getheader("connection") or "").lower() == "close":
                self.close()
            return Answer(
                response.status,
                started,
                time.monotonic() - started,
                data,
                {k.lower(): v for k, v in response.getheaders()},
            )
