"""What every load benchmark shares: a throw-away PostgreSQL database, bulk seeding, gunicorn,
wrk, CPU accounting, and the results table and JSON.

Everything runs on this machine and talks to 127.0.0.1 only: PostgreSQL on 5432 (database
`passaparola_bench`, dropped and created again by every run), Redis on 6379 (database 5, flushed
before and after), gunicorn on a free loopback port. Every load phase is bounded by wrk's `-d`.
`Bench` is a context manager: whatever happens, gunicorn is stopped, the database dropped and
Redis database 5 flushed when it exits.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
RESULTS = BENCH / "results"
VENV_BIN = REPO / ".venv" / "bin"
LOOPBACK = "127.0.0.1"
PG_HOST, PG_PORT, PG_USER = LOOPBACK, 5432, "postgres"
DB_NAME = "passaparola_bench"
DATABASE_URL = f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{DB_NAME}"
REDIS_URL = f"redis://{LOOPBACK}:6379/5"
LUA_PLAN = BENCH / "wrk" / "plan.lua"
# Cores other processes (other test suites on a shared machine) may take during a phase before
# it is measured again (Bench.steady).
OTHERS_LIMIT = 0.3
STEADY_RETRIES = 2
# A current desktop browser: the redirect's visitors must look like people, not bots.
BROWSER_UAS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36",
)


# --- Command line ------------------------------------------------------------------------------


def arguments(doc: str, **defaults: Any) -> argparse.ArgumentParser:
    """The options every load benchmark takes (a benchmark adds its own to the parser)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--duration", type=float, default=defaults.get("duration", 10.0))
    parser.add_argument("--warmup", type=float, default=defaults.get("warmup", 2.0))
    parser.add_argument("--rounds", type=int, default=defaults.get("rounds", 3))
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--worker-threads", type=int, default=4, help="gunicorn threads each")
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look")
    return parser


def command_line() -> str:
    """How this benchmark was started, to print beside its figures."""
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPO)
    return shlex.join([".venv/bin/python", str(script), *sys.argv[1:]])


# --- Environment and Django --------------------------------------------------------------------

_SECRET = secrets.token_urlsafe(64)
_VAR_DIR = tempfile.mkdtemp(prefix="pp-bench-var-")
atexit.register(shutil.rmtree, _VAR_DIR, ignore_errors=True)


def bench_env() -> dict[str, str]:
    """Production settings on loopback, for gunicorn and for this process alike."""
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DJANGO_DEBUG": "false",
        "SECRET_KEY": _SECRET,
        "ALLOWED_HOSTS": LOOPBACK,
        "HTTPS": "false",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "LOG_LEVEL": "WARNING",
        "DJANGO_ROOT_URLCONF": "bench.urls",
        "PASSAPAROLA_VAR_DIR": _VAR_DIR,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }


def django_setup() -> None:
    """Configure Django in this process against the bench database and Redis database 5."""
    os.environ.update(bench_env())
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    import django

    django.setup()


# --- PostgreSQL --------------------------------------------------------------------------------


def _admin_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(statement)


def database_create() -> None:
    """Drop and create `passaparola_bench`, then migrate it (Django must be set up)."""
    database_drop()
    _admin_sql(f"CREATE DATABASE {DB_NAME}")
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def database_drop() -> None:
    from django.db import connections

    connections.close_all()
    _admin_sql(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")


def sql(statement: str, params: Sequence[Any] = ()) -> list[tuple]:
    """Run one statement on the bench database; the rows it returns, if any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params or None)
        return cursor.fetchall() if cursor.description else []


def settled(statement: str, params: Sequence[Any] = (), *, timeout: float = 15.0) -> Any:
    """A count once it stops changing: requests wrk left in flight finish at the server."""
    deadline = time.monotonic() + timeout
    value = scalar(statement, params)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = scalar(statement, params)
        if again == value:
            return value
        value = again
    return value


def drain(timeout: float = 90.0) -> float:
    """Wait until no query runs on the bench database but ours (requests wrk left in flight
    finish at the server); the seconds waited. Phases then start on an idle server."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        busy = scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
            "AND pid <> pg_backend_pid()",
            [DB_NAME],
        )
        if not busy:
            break
        time.sleep(0.2)
    return time.monotonic() - started


def scalar(statement: str, params: Sequence[Any] = ()) -> Any:
    return sql(statement, params)[0][0]


_TEXT_TYPES = {"CharField", "TextField", "SlugField", "URLField", "EmailField", "FileField"}


def _column_default(model_field: Any, connection: Any) -> tuple[str, list[Any]] | None:
    """SQL (and parameters) for a column the caller did not give; None leaves it NULL."""
    from django.db.models import FileField

    if getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
        return "now()", []
    if model_field.has_default():
        return "%s", [model_field.get_db_prep_save(model_field.get_default(), connection)]
    if model_field.null:
        return None
    if model_field.blank and (
        model_field.get_internal_type() in _TEXT_TYPES or isinstance(model_field, FileField)
    ):
        return "''", []
    raise ValueError(f"{model_field} needs a value")


def insert_select(
    model: Any, *, values: dict[str, str], source: str, returning: str | None = None
) -> list[tuple]:
    """`INSERT INTO <model's table> (...) SELECT ... FROM <source>`: bulk rows in one statement.

    `values` maps column names (attnames, such as `author_id`) to SQL expressions over
    `source` (say `generate_series(1, 10000) AS g`); every other column gets the model field's
    default, so the statement keeps up with new columns that have one.
    """
    from django.db import connection

    columns, expressions, params = [], [], []
    for model_field in model._meta.concrete_fields:
        if model_field.attname in values:
            columns.append(model_field.column)
            expressions.append(values[model_field.attname])
            continue
        if model_field.primary_key:
            continue
        default = _column_default(model_field, connection)
        if default is not None:
            columns.append(model_field.column)
            expressions.append(default[0])
            params.extend(default[1])
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    statement = (
        f"INSERT INTO {model._meta.db_table} ({quoted}) "  # noqa: S608
        f"SELECT {', '.join(expressions)} FROM {source}"
    )
    if returning:
        statement += f" RETURNING {returning}"
    return sql(statement, params)


def sequence_sync(model: Any) -> None:
    """After rows inserted with explicit ids, move the id sequence past them."""
    table = model._meta.db_table
    sql(
        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
        f"(SELECT coalesce(max(id), 1) FROM {table}))"
    )


def analyze() -> None:
    sql("ANALYZE")


# --- Seeding -----------------------------------------------------------------------------------


def seed_people(*, first_id: int, count: int, tokens: bool = True, emails: bool = True) -> None:
    """People with ids first_id.. (verified emails and DRF tokens unless told otherwise).

    Ids are given explicitly, so a benchmark knows who is who without reading them back.
    """
    from allauth.account.models import EmailAddress

    from accounts.models import User

    source = f"generate_series({int(first_id)}, {int(first_id + count - 1)}) AS g"
    insert_select(
        User,
        values={
            "id": "g",
            "password": "'!'",  # unusable: nobody signs in with a password here
            "email": "'p' || g || '@bench.invalid'",
            "display_name": "'Player ' || g",
            "date_joined": "now() - interval '2 days'",
        },
        source=source,
    )
    sequence_sync(User)
    if emails:
        insert_select(
            EmailAddress,
            values={
                "user_id": "g",
                "email": "'p' || g || '@bench.invalid'",
                "verified": "true",
                "primary": "true",
            },
            source=source,
        )
    if tokens:
        seed_tokens(first_id=first_id, count=count)


def seed_tokens(*, first_id: int, count: int) -> None:
    """DRF tokens (random keys) for people first_id.."""
    from rest_framework.authtoken.models import Token

    salt = secrets.token_hex(8)
    insert_select(
        Token,
        values={
            "user_id": "g",
            "key": f"substr(encode(sha256(('{salt}' || g)::bytea), 'hex'), 1, 40)",
            "created": "now()",
        },
        source=f"generate_series({int(first_id)}, {int(first_id + count - 1)}) AS g",
    )


def tokens_of(first_id: int, last_id: int) -> dict[int, str]:
    """DRF token keys of people first_id..last_id."""
    return dict(
        sql(
            "SELECT user_id, key FROM authtoken_token WHERE user_id BETWEEN %s AND %s",
            [first_id, last_id],
        )
    )


def seed_campaign(*, slug: str, brand: Any | None = None) -> Any:
    """An open campaign (published, started yesterday, ends in 30 days) of a bench brand."""
    from accounts.models import Brand
    from campaigns.models import Campaign

    if brand is None:
        brand, _created = Brand.objects.get_or_create(slug="bench", defaults={"name": "Bench"})
    now = dt.datetime.now(dt.UTC)
    return Campaign.objects.create(
        brand=brand,
        title=f"Bench {slug}",
        slug=slug,
        starts_at=now - dt.timedelta(days=1),
        ends_at=now + dt.timedelta(days=30),
        status=Campaign.Status.PUBLISHED,
        opened_at=now - dt.timedelta(days=1),
    )


def seed_entries(*, campaign_id: int, first_author: int, authors: int, count: int) -> list[int]:
    """`count` approved text entries, authors first_author.. taking turns; their ids in order."""
    from submissions.models import Submission

    rows = insert_select(
        Submission,
        values={
            "campaign_id": str(int(campaign_id)),
            "author_id": f"{int(first_author)} + mod(g, {int(authors)})",
            "kind": "'text'",
            "text": "'Bench entry ' || g",
            "caption": "'Entry ' || g",
            "state": "'approved'",
            "moderated_at": "now() - interval '1 day'",
            "created_at": "now() - interval '1 day'",
            "updated_at": "now() - interval '1 day'",
        },
        source=f"generate_series(1, {int(count)}) AS g",
        returning="id",
    )
    return sorted(r[0] for r in rows)


def seed_share_links(entries: Sequence[tuple[int, int]]) -> list[str]:
    """One share link for each (submission_id, author_id); the codes, in the same order."""
    from sharing.links import _new_code
    from sharing.models import ShareLink

    now = dt.datetime.now(dt.UTC)
    codes = []
    links = []
    for submission_id, author_id in entries:
        code = _new_code()
        codes.append(code)
        links.append(
            ShareLink(
                code=code,
                submission_id=submission_id,
                owner_id=author_id,
                created_at=now,
                updated_at=now,
            )
        )
    ShareLink.objects.bulk_create(links, batch_size=5000)
    return codes


# --- Redis -------------------------------------------------------------------------------------


def redis_flush() -> None:
    """Empty Redis database 5 (the benchmarks' own: cache, broker, leaderboard keys)."""
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


# --- Gunicorn ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    command: list[str]
    log: Path

    @property
    def base(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def pids(self) -> set[int]:
        """The master and its workers."""
        pids = {self.process.pid}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = (entry / "stat").read_text()
                    if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                        pids.add(int(entry.name))
        return pids


def gunicorn_start(*, workers: int, threads: int, log_dir: Path) -> Server:
    port = free_port()
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
        "--graceful-timeout",
        "5",
    ]
    log = log_dir / "gunicorn.log"
    env = {**os.environ, **bench_env()}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(process=process, port=port, command=command, log=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"gunicorn exited ({process.returncode}):\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=2) as response:
                if response.status == 200:
                    # Every worker imports the app lazily: give them all a moment to be ready.
                    time.sleep(1.0)
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    gunicorn_stop(server)
    raise RuntimeError(f"gunicorn did not answer in 60 s:\n{log.read_text()[-3000:]}")


def gunicorn_stop(server: Server) -> None:
    """SIGTERM to the master (it stops its workers); SIGKILL to what is left after 15 s."""
    workers = server.pids()
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(timeout=5)
    for pid in workers - {server.process.pid}:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


# --- CPU accounting ----------------------------------------------------------------------------

_TICK = os.sysconf("SC_CLK_TCK")


def _machine_ticks() -> tuple[int, int, int]:
    """(busy, steal, total) jiffies of all CPUs since boot (guest time is inside user time)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    idle, steal = values[3] + values[4], values[7]  # idle + iowait; time the hypervisor took
    total = sum(values)
    return total - idle - steal, steal, total


def machine_busy_cores(seconds: float = 1.0) -> float:
    """Cores busy over a short window (run while our own server is idle: the others' load)."""
    busy0, _steal0, _total0 = _machine_ticks()
    time.sleep(seconds)
    busy1, _steal1, _total1 = _machine_ticks()
    return (busy1 - busy0) / _TICK / seconds


def wait_quiet(*, limit: float = OTHERS_LIMIT, timeout: float = 20.0) -> float:
    """Wait (bounded) until the rest of the machine uses at most `limit` cores; the last load."""
    deadline = time.monotonic() + timeout
    load = machine_busy_cores()
    while load > limit and time.monotonic() < deadline:
        load = machine_busy_cores()
    return round(load, 2)


def _process_ticks() -> dict[int, tuple[str, int]]:
    """pid -> (group, utime + stime jiffies) for every process we can read."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat.rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        if comm == "postgres" or cmdline.startswith("postgres"):
            group = "postgres (bench db)" if DB_NAME in cmdline else "postgres (other)"
        elif comm.startswith("redis-server"):
            group = "redis"
        else:
            group = ""
        found[int(entry.name)] = (group, ticks)
    return found


class CpuMeter:
    """CPU used during a phase, in cores: the machine, gunicorn, PostgreSQL, Redis, wrk, this
    process, everything else (other processes: on a shared machine, other test suites).

    wrk is measured from its rusage (a child that has exited); the rest from /proc deltas.
    """

    def __init__(self, server: Server | None) -> None:
        self.server = server

    def __enter__(self) -> CpuMeter:
        self.started = time.monotonic()
        self.machine0 = _machine_ticks()
        self.procs0 = _process_ticks()
        self.children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.gunicorn_pids = self.server.pids() if self.server else set()
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self.started
        busy1, steal1, total1 = _machine_ticks()
        procs1 = _process_ticks()
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        groups: dict[str, float] = {}
        for pid, (group, ticks) in procs1.items():
            before = self.procs0.get(pid, (group, 0))[1]
            if pid in self.gunicorn_pids:
                name = "gunicorn"
            elif pid == os.getpid():
                name = "this process"  # in-process benchmarks run here
            else:
                name = group
            if name:
                groups[name] = groups.get(name, 0.0) + (ticks - before) / _TICK
        wrk = (children1.ru_utime + children1.ru_stime) - (
            self.children0.ru_utime + self.children0.ru_stime
        )
        groups["wrk and other children"] = wrk
        busy = (busy1 - self.machine0[0]) / _TICK
        known = sum(groups.values())
        total = total1 - self.machine0[2]
        self.result = {
            "seconds": round(seconds, 2),
            "machine_busy_pct": round(100 * (busy1 - self.machine0[0]) / total, 1),
            "steal_pct": round(100 * (steal1 - self.machine0[1]) / total, 1),
            "cores": {k: round(v / seconds, 2) for k, v in sorted(groups.items())},
        }
        self.result["cores"]["everything else"] = round(max(0.0, busy - known) / seconds, 2)


# --- wrk ---------------------------------------------------------------------------------------


def wrk_ensure() -> str:
    """The wrk binary; installs Debian's package when it is missing (as .ci/run does Chromium)."""
    found = shutil.which("wrk")
    if found:
        return found
    print("wrk is missing: apt-get install -y wrk", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-qq", "wrk"]
    if subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=False).returncode:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
        subprocess.run(install, env=env, stdout=subprocess.DEVNULL, check=True)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(text)
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests/sec and the --latency percentiles from wrk's text, status counts from WRKJSON."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    percentiles = {
        f"p{m.group(1)}": _ms(m.group(2))
        for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE)
    }
    data = json.loads(re.search(r"^WRKJSON (.*)$", output, re.MULTILINE).group(1))
    if not data["requests"]:  # no answer at all: no latency to speak of
        percentiles = {}
    for name in ("p50", "p75", "p90", "p99"):
        percentiles.setdefault(name, None)
    statuses = {int(k): v for k, v in data["statuses"].items()}
    return {
        "rps": rps,
        "latency_ms": {
            **percentiles,
            "p99.9": data["latency_us"]["p999"] / 1000 if data["requests"] else None,
            "mean": data["latency_us"]["mean"] / 1000 if data["requests"] else None,
            "max": data["latency_us"]["max"] / 1000 if data["requests"] else None,
        },
        "requests": data["requests"],
        "statuses": statuses,
        "ok_2xx": sum(n for code, n in statuses.items() if 200 <= code < 300),
        "redirect_3xx": sum(n for code, n in statuses.items() if 300 <= code < 400),
        "errors": data["errors"],
        "exhausted": data["exhausted"],
        "sent": data["sent"],
        "unanswered": data["unanswered"],
    }


def write_plan(path: Path, lines: Iterable[tuple[str, str, dict[str, str]]]) -> int:
    """A wrk plan file: METHOD, PATH and headers, tab-separated, one request a line."""
    count = 0
    with path.open("w") as out:
        for method, target, headers in lines:
            fields = [method, target, *(f"{k}: {v}" for k, v in headers.items())]
            out.write("\t".join(fields) + "\n")
            count += 1
    return count


@dataclass
class LoadSettings:
    duration: float
    warmup: float
    threads: int
    connections: int


def wrk_command(base: str, plan: Path, *, seconds: float, mode: str, load: LoadSettings) -> list:
    return [
        "wrk",
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_PLAN.relative_to(REPO)),
        base,
        "--",
        str(plan),
        str(load.threads),
        mode,
    ]


def wrk_run(
    base: str, plan: Path, *, seconds: float, mode: str, load: LoadSettings
) -> tuple[dict[str, Any], str]:
    command = wrk_command(base, plan, seconds=seconds, mode=mode, load=load)
    done = subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if done.returncode != 0 or "WRKJSON" not in done.stdout:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout}\n{done.stderr}")
    return parse_wrk(done.stdout), shlex.join(command)


# --- Results -----------------------------------------------------------------------------------


@dataclass
class Figure:
    """One figure against its target: `value op target` passes (op is >= or <=)."""

    name: str
    value: float
    target: float | None
    op: str = ">="
    unit: str = ""
    note: str = ""

    @property
    def verdict(self) -> str:
        if self.target is None:
            return "info"
        ok = self.value >= self.target if self.op == ">=" else self.value <= self.target
        return "PASS" if ok else "FAIL"


@dataclass
class Report:
    name: str
    command: str
    figures: list[Figure] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    phases: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    started: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    )

    def figure(self, *args: Any, **kwargs: Any) -> Figure:
        item = Figure(*args, **kwargs)
        self.figures.append(item)
        return item

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.checks.append({"name": name, "ok": bool(ok), "detail": detail})

    def exit_code(self) -> int:
        """1 when a correctness check failed (a missed target is a figure, not a failure)."""
        return 0 if all(c["ok"] for c in self.checks) else 1

    def print(self) -> None:
        width = max([len(f.name) for f in self.figures] + [30])
        print()
        print(f"== {self.name}  ({self.started})")
        print(f"{'figure':<{width}}  {'value':>12}  {'target':>10}  result")
        for f in self.figures:
            value = f"{f.value:,.2f}{f.unit}"
            target = "" if f.target is None else f"{f.op} {f.target:g}{f.unit}"
            note = f"  ({f.note})" if f.note else ""
            print(f"{f.name:<{width}}  {value:>12}  {target:>10}  {f.verdict}{note}")
        if "rounds_used" in self.settings:
            print(
                f"rounds in the figures (undisturbed by other processes): "
                f"{self.settings['rounds_used']}"
            )
        for c in self.checks:
            print(f"check {'ok  ' if c['ok'] else 'FAIL'} {c['name']}: {c['detail']}")
        print(f"command: {self.command}")

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.name}.json"
        payload = {
            "name": self.name,
            "started": self.started,
            "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": self.command,
            "machine": machine(),
            "settings": self.settings,
            "figures": [{**asdict(f), "verdict": f.verdict} for f in self.figures],
            "checks": self.checks,
            "phases": self.phases,
        }
        path.write_text(json.dumps(_no_nan(payload), indent=2, default=str) + "\n")
        print(f"results: {path.relative_to(REPO)}")
        return path


def _no_nan(value: Any) -> Any:
    """NaN (a figure without data) as null, so the results stay valid JSON."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_no_nan(v) for v in value]
    return value


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    from importlib.metadata import version

    info: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            platform.processor(),
        ),
        "ram_gib": round(int(Path("/proc/meminfo").read_text().split()[1]) / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "django": version("django"),
        "gunicorn": version("gunicorn"),
        "psycopg": version("psycopg"),
        "load_average": os.getloadavg(),
    }
    with contextlib.suppress(Exception):
        import psycopg

        with psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres") as c:
            info["postgresql"] = c.execute("SHOW server_version").fetchone()[0]
    with contextlib.suppress(Exception):
        import redis

        info["redis"] = redis.Redis.from_url(REDIS_URL).info("server")["redis_version"]
    with contextlib.suppress(Exception):
        out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        info["wrk"] = (out.stdout + out.stderr).split("Copyright")[0].strip()
    with contextlib.suppress(Exception):
        out = subprocess.run(["pgbench", "--version"], capture_output=True, text=True, check=False)
        info["pgbench"] = out.stdout.strip()
    return info


def undisturbed(*cases: Sequence[dict[str, Any]]) -> list[int]:
    """Rounds (0-based) in which no phase of any case was disturbed by other processes (more
    than OTHERS_LIMIT cores); every round when there is none such. Figures compare cases over
    these rounds only."""
    rounds = range(min(len(c) for c in cases))
    clean = [
        r
        for r in rounds
        if all(c[r]["cpu"]["cores"]["everything else"] <= OTHERS_LIMIT for c in cases)
    ]
    return clean or list(rounds)


def mean_of(
    items: Sequence[dict[str, Any]], key: str, rounds: Sequence[int] | None = None
) -> float:
    """Mean of a phase figure over rounds: `rps`, `p99` (latency), `cpu` (stack CPU ms/req)."""
    if rounds is not None:
        items = [items[r] for r in rounds]
    pick = {
        "rps": lambda i: i["rps"],
        "p99": lambda i: i["latency_ms"]["p99"],
        "cpu": lambda i: i["stack_cpu_ms_per_request"],
    }[key]
    values = [pick(i) for i in items if pick(i) is not None]
    return sum(values) / len(values) if values else float("nan")


def in_round_order(items: Sequence[Any], round_no: int) -> list[Any]:
    """Odd rounds in order, even rounds reversed (A B C, C B A): drift on a shared machine
    weighs on every case alike."""
    return list(items) if round_no % 2 else list(reversed(items))


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def timings(
    calls: dict[str, Callable[[int], Any]], *, iterations: int, budget: float, warm: int = 50
) -> dict[str, list[float]]:
    """Milliseconds per call, the calls interleaved (a, b, a, b...) within a time budget.

    Each call gets the iteration number, to vary its arguments (a call that must never repeat
    its arguments, such as a like, keeps its own counter: warm-up calls get numbers too).
    """
    for call in calls.values():
        for i in range(min(warm, iterations)):
            call(i)
    found: dict[str, list[float]] = {name: [] for name in calls}
    deadline = time.monotonic() + budget
    for i in range(iterations):
        for name, call in calls.items():
            started = time.perf_counter()
            call(i)
            found[name].append((time.perf_counter() - started) * 1000)
        if time.monotonic() > deadline:
            break
    return found


def breakdown(
    calls: dict[str, Callable[[int], Any]], *, iterations: int = 300, budget: float = 10.0
) -> dict[str, dict[str, float]]:
    """In-process cost of a request's parts: median and p90 milliseconds of each (interleaved)."""
    found = timings(calls, iterations=iterations, budget=budget, warm=10)
    result = {
        name: {
            "median_ms": round(median(values), 3),
            "p90_ms": round(percentile(values, 90), 3),
            "calls": len(values),
        }
        for name, values in found.items()
    }
    for name, item in result.items():
        print(f"  {name:<58} median {item['median_ms']:8.3f} ms  p90 {item['p90_ms']:8.3f} ms")
    return result


# --- One benchmark run -------------------------------------------------------------------------


class Bench:
    """Set up Django and a fresh database; serve with gunicorn on demand; clean up always."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.load = LoadSettings(
            duration=args.duration,
            warmup=args.warmup,
            threads=args.threads,
            connections=args.connections,
        )
        self.tmp = Path(tempfile.mkdtemp(prefix="pp-bench-"))
        self.server: Server | None = None

    def __enter__(self) -> Bench:
        django_setup()
        redis_flush()
        started = time.monotonic()
        database_create()
        print(f"database {DB_NAME} created and migrated in {time.monotonic() - started:.1f} s")
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self.server is not None:
                gunicorn_stop(self.server)
                self.server = None
        finally:
            try:
                if not self.args.keep_db:
                    database_drop()
            finally:
                with contextlib.suppress(Exception):
                    redis_flush()
                shutil.rmtree(self.tmp, ignore_errors=True)
                shutil.rmtree(_VAR_DIR, ignore_errors=True)

    def serve(self) -> Server:
        """Start gunicorn (once) on the seeded database."""
        if self.server is None:
            wrk_ensure()
            from django.db import connections

            connections.close_all()
            self.server = gunicorn_start(
                workers=self.args.workers, threads=self.args.worker_threads, log_dir=self.tmp
            )
            print(f"gunicorn: {shlex.join(self.server.command)}", flush=True)
        return self.server

    def steady(
        self, run: Callable[[int], dict[str, Any]], round_no: int, *, retries: int = STEADY_RETRIES
    ) -> dict[str, Any]:
        """Run a phase; again (at most `retries` times) when other processes took more than
        OTHERS_LIMIT cores meanwhile, keeping the least disturbed attempt (the others are kept
        in its result under `discarded`)."""
        attempts = [run(round_no)]
        for _attempt in range(retries):
            others = attempts[-1]["cpu"]["cores"]["everything else"]
            if others <= OTHERS_LIMIT or attempts[-1]["requests"] < 100:
                break  # undisturbed, or too slow for a neighbour to matter
            print(f"  (other processes took {others} cores: measuring again)", flush=True)
            attempts.append(run(round_no))
        # The attempt the rest of the machine disturbed least.
        result = min(attempts, key=lambda a: a["cpu"]["cores"]["everything else"])
        result["discarded"] = [
            {k: a[k] for k in ("rps", "latency_ms", "cpu")} for a in attempts if a is not result
        ]
        return result

    def plan(self, name: str, lines: Iterable[tuple[str, str, dict[str, str]]]) -> Path:
        path = self.tmp / f"{name}.tsv"
        write_plan(path, lines)
        return path

    def phase(
        self,
        label: str,
        *,
        warm_plan: Path,
        plan: Path,
        mode: str,
        after: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Warm up, then measure under load with wrk; CPU use is recorded for the measurement."""
        server = self.serve()
        drain()
        quiet = wait_quiet()
        warm, _ = wrk_run(
            server.base, warm_plan, seconds=self.load.warmup, mode=mode, load=self.load
        )
        with CpuMeter(server) as meter:
            measured, command = wrk_run(
                server.base, plan, seconds=self.load.duration, mode=mode, load=self.load
            )
        drained = drain()
        result = {
            "label": label,
            "command": command,
            "drained_after_s": round(drained, 2),
            "others_before_cores": quiet,
            "warmup": {
                k: warm[k]
                for k in ("rps", "requests", "statuses", "ok_2xx", "exhausted", "unanswered")
            },
            **measured,
            "cpu": meter.result,
        }
        cores = meter.result["cores"]
        stack = sum(cores.get(k, 0.0) for k in ("gunicorn", "postgres (bench db)", "redis"))
        # CPU the served stack spent per request: less sensitive to a busy neighbour than rps.
        result["stack_cpu_ms_per_request"] = (
            round(stack * 1000 / measured["rps"], 3) if measured["rps"] else None
        )
        if after is not None:
            result.update(after(warm, measured))
        lat = measured["latency_ms"]
        print(
            f"  {label:<28} {measured['rps']:>8.1f} req/s  p50 {lat['p50'] or 0:>7.2f} ms  "
            f"p99 {lat['p99'] or 0:>7.2f} ms  statuses {measured['statuses']}  "
            f"stack {result['stack_cpu_ms_per_request'] or 0:.2f} cpu-ms/req  "
            f"others {cores['everything else']} cores",
            flush=True,
        )
        if measured["errors"]["timeout"] or measured["exhausted"] or warm["exhausted"]:
            print(
                f"  warning: {label}: errors {measured['errors']}, plan exhausted "
                f"{measured['exhausted']}/{warm['exhausted']}",
                flush=True,
            )
        return result


@contextlib.contextmanager
def step(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    print(f"{label}: {time.monotonic() - started:.1f} s", flush=True)
