"""Likes under load: the like endpoint against a bare logged-in view, one hot entry against 10,000.

Usage: .venv/bin/python bench/bench_like.py [--duration 10] [--warmup 2] [--rounds 3]

Through gunicorn on loopback, back to back in rounds (bare view, likes spread over 10,000
entries, likes all on one entry): every like request is a new (person, entry) pair, so each
should create a like; after each phase the live likes of that phase's people are counted and
compared with the 2xx answers wrk saw. Then pgbench, in the same run, inserts rows into scratch
tables aiming at one `b` or spread over 10,000: what the database alone allows.
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

ENTRIES = 10_000
AUTHORS = 1_000
HOT_AUTHOR = AUTHORS + 1
FIRST_LIKER = 10_001
LIKE_PATH = "/api/v1/submissions/{}/like/"
BARE_PATH = "/bench/bare/"
PGBENCH = harness.BENCH / "pgbench"
BREAKDOWN_PEOPLE = 3_000


def like_breakdown(*, people: range, entries: list[int], tokens: dict[int, str]) -> dict:
    """Where a like's time goes, in this process: the request through Django's test client
    against the bare view's, and the parts of the like one by one (each on fresh pairs)."""
    import itertools

    from django.db import transaction
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from sharing.points import likes_derive_request
    from submissions import likes
    from submissions.models import Like
    from submissions.selectors import submission_get_public

    client = Client(HTTP_HOST=harness.LOOPBACK)
    fresh = iter(people)
    users = {u.pk: u for u in User.objects.filter(pk__in=people)}
    entry = submission_get_public(submission_id=entries[0], user=users[people[0]])
    spins = itertools.count()

    def through_client(path: str, uid: int) -> None:
        response = client.post(path, HTTP_AUTHORIZATION=f"Token {tokens[uid]}")
        assert response.status_code in (200, 201), response.content

    def insert(_i: int) -> None:
        with transaction.atomic():
            Like.objects.create(user=users[next(fresh)], submission_id=entry.pk)

    return harness.breakdown(
        {
            "bare view, whole request (test client)": lambda i: through_client(
                BARE_PATH, people[i % len(people)]
            ),
            "like endpoint, whole request (test client)": lambda i: through_client(
                LIKE_PATH.format(entries[next(spins) % ENTRIES]), next(fresh)
            ),
            "token authentication (both)": lambda i: Token.objects.select_related("user").get(
                key=tokens[people[i % len(people)]]
            ),
            "the like's one statement (INSERT ... SELECT with the rules)": lambda i: (
                likes._like_insert_if_allowed(user=users[next(fresh)], submission_id=entry.pk)
            ),
            "reference: Like.objects.create() in its transaction": insert,
            "derivation request (SET NX; publishes only if none pending)": lambda i: (
                likes_derive_request()
            ),
        },
        iterations=400,
    )


def like_endpoint_present(submission_id: int) -> bool:
    from django.urls import Resolver404, resolve

    try:
        resolve(LIKE_PATH.format(submission_id), urlconf="bench.urls")
    except Resolver404:
        return False
    return True


class People:
    """Hands out fresh people (ids) so that no like request ever repeats a (person, entry)."""

    def __init__(self, first: int, count: int) -> None:
        self.next, self.last = first, first + count - 1

    def take(self, count: int) -> range:
        if self.next + count - 1 > self.last:
            raise RuntimeError("the pool of people is used up: raise --max-rps")
        taken = range(self.next, self.next + count)
        self.next += count
        return taken


def pgbench_run(*, script: str, table: str, seconds: float, clients: int) -> dict[str, Any]:
    command = [
        "pgbench",
        "-h",
        harness.PG_HOST,
        "-p",
        str(harness.PG_PORT),
        "-U",
        harness.PG_USER,
        "-n",
        "-c",
        str(clients),
        "-j",
        "2",
        "-T",
        f"{max(1, round(seconds))}",
        "-D",
        f"table={table}",
        "-f",
        str((PGBENCH / script).relative_to(harness.REPO)),
        harness.DB_NAME,
    ]
    done = subprocess.run(
        command,
        cwd=harness.REPO,
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    tps = float(re.search(r"tps = ([\d.]+)", done.stdout).group(1))
    failed = re.search(r"number of failed transactions: (\d+)", done.stdout)
    latency = re.search(r"latency average = ([\d.]+) ms", done.stdout)
    return {
        "script": script,
        "table": table,
        "tps": tps,
        "failed": int(failed.group(1)) if failed else 0,
        "latency_avg_ms": float(latency.group(1)) if latency else None,
        "command": " ".join(command),
    }


def main() -> int:
    parser = harness.arguments(__doc__)
    parser.add_argument(
        "--max-rps",
        type=int,
        default=800,
        help="sizes the pool of fresh people per phase (likes run at a few hundred a second)",
    )
    parser.add_argument("--pgbench-duration", type=float, default=None)
    parser.add_argument("--pgbench-clients", type=int, default=16)
    parser.add_argument("--pgbench-rounds", type=int, default=2)
    args = parser.parse_args()
    report = harness.Report(name="bench_like", command=harness.command_line())
    report.settings = {
        **vars(args),
        "gunicorn": f"-w {args.workers} -k gthread --threads {args.worker_threads}",
    }

    with harness.Bench(args) as bench:
        per_warm = math.ceil(args.max_rps * args.warmup * 1.5)
        per_measure = math.ceil(args.max_rps * args.duration * 1.5)
        attempts = 1 + harness.STEADY_RETRIES  # a disturbed phase is measured again
        pool = args.rounds * 2 * attempts * (per_warm + per_measure) + BREAKDOWN_PEOPLE
        with harness.step(f"seeded {AUTHORS + 1} authors, {ENTRIES + 1} entries, {pool} likers"):
            campaign = harness.seed_campaign(slug="bench-likes")
            harness.seed_people(first_id=1, count=HOT_AUTHOR, tokens=False)
            entries = harness.seed_entries(
                campaign_id=campaign.pk, first_author=1, authors=AUTHORS, count=ENTRIES
            )
            (hot,) = harness.seed_entries(
                campaign_id=campaign.pk, first_author=HOT_AUTHOR, authors=1, count=1
            )
            harness.seed_people(first_id=FIRST_LIKER, count=pool)
            tokens = harness.tokens_of(FIRST_LIKER, FIRST_LIKER + pool - 1)
            harness.analyze()
        people = People(FIRST_LIKER, pool)
        headers = {"Accept": "application/json", "User-Agent": "passaparola-bench"}

        def auth(uid: int) -> dict[str, str]:
            return {**headers, "Authorization": f"Token {tokens[uid]}"}

        bare_ids = list(tokens)[:20_000]
        bare_plan = bench.plan("bare", (("POST", BARE_PATH, auth(u)) for u in bare_ids))
        present = like_endpoint_present(hot)
        if not present:
            print(f"the like endpoint {LIKE_PATH.format('{id}')} is not in the URLs yet")

        def like_phase(kind: str, round_no: int) -> dict[str, Any]:
            def target(uid: int) -> int:
                return hot if kind == "hot" else entries[uid % ENTRIES]

            warm_ids = people.take(per_warm)
            ids = people.take(per_measure)
            warm = bench.plan(
                f"{kind}-{round_no}-warm",
                (("POST", LIKE_PATH.format(target(u)), auth(u)) for u in warm_ids),
            )
            measure = bench.plan(
                f"{kind}-{round_no}",
                (("POST", LIKE_PATH.format(target(u)), auth(u)) for u in ids),
            )

            def stored(warm_result: dict, measured: dict) -> dict[str, Any]:
                live = harness.settled(
                    "SELECT count(*) FROM submissions_like WHERE removed_at IS NULL "
                    "AND user_id BETWEEN %s AND %s",
                    [warm_ids[0], ids[-1]],
                )
                return {
                    "stored_likes": live,
                    "success_responses": warm_result["ok_2xx"] + measured["ok_2xx"],
                    "unanswered": warm_result["unanswered"] + measured["unanswered"],
                }

            return bench.phase(
                f"like {kind} (round {round_no})",
                warm_plan=warm,
                plan=measure,
                mode="once",
                after=stored,
            )

        phases: dict[str, list[dict[str, Any]]] = {"bare": [], "spread": [], "hot": []}
        print(
            f"load: wrk -t{args.threads} -c{args.connections}, {args.warmup:g} s warm-up, "
            f"{args.duration:g} s measured, {args.rounds} rounds"
        )

        def bare_phase(round_no: int) -> dict[str, Any]:
            return bench.phase(
                f"bare view (round {round_no})", warm_plan=bare_plan, plan=bare_plan, mode="cycle"
            )

        cases = [("bare", bare_phase)]
        if present:
            cases += [
                ("spread", lambda r: like_phase("spread", r)),
                ("hot", lambda r: like_phase("hot", r)),
            ]
        for round_no in range(1, args.rounds + 1):
            for kind, run in harness.in_round_order(cases, round_no):
                phases[kind].append(bench.steady(run, round_no))

        likes_total = harness.settled(
            "SELECT count(*) FROM submissions_like WHERE removed_at IS NULL"
        )
        enqueued = None
        try:
            import redis

            enqueued = redis.Redis.from_url(harness.REDIS_URL).llen("celery")
        except Exception as exc:
            print(f"could not read the task queue: {exc}")
        parts = {}
        if present:
            print("in-process breakdown (gunicorn idle):")
            parts = like_breakdown(
                people=people.take(BREAKDOWN_PEOPLE), entries=entries, tokens=tokens
            )

        pg_seconds = args.pgbench_duration or args.duration
        pg: dict[str, list[dict[str, Any]]] = {}
        harness.sql((PGBENCH / "setup.sql").read_text())
        print(f"pgbench: {args.pgbench_clients} clients, {pg_seconds:g} s a run")
        for round_no in range(1, args.pgbench_rounds + 1):
            for table in ("pgb_like", "pgb_like_fk"):
                for script in harness.in_round_order(("spread.sql", "hot.sql"), round_no):
                    result = pgbench_run(
                        script=script,
                        table=table,
                        seconds=pg_seconds,
                        clients=args.pgbench_clients,
                    )
                    result["round"] = round_no
                    pg.setdefault(f"{table} {script[:-4]}", []).append(result)
                    print(f"  {table:<12} {script:<11} {result['tps']:>9.0f} tps", flush=True)

    used = harness.undisturbed(*(items for items in phases.values() if items))
    report.settings["rounds_used"] = [r + 1 for r in used]
    bare_rps, bare_p99 = (
        harness.mean_of(phases["bare"], "rps", used),
        harness.mean_of(phases["bare"], "p99", used),
    )
    report.figure("bare view: requests/s", bare_rps, None, unit="")
    report.figure("bare view: p99 latency", bare_p99, None, unit=" ms")
    if present:
        spread_rps = harness.mean_of(phases["spread"], "rps", used)
        spread_p99 = harness.mean_of(phases["spread"], "p99", used)
        hot_rps, hot_p99 = (
            harness.mean_of(phases["hot"], "rps", used),
            harness.mean_of(phases["hot"], "p99", used),
        )
        report.figure("like (spread): requests/s", spread_rps, None)
        report.figure("like (spread): p99 latency", spread_p99, None, unit=" ms")
        report.figure("like (hot): requests/s", hot_rps, None)
        report.figure("like (hot): p99 latency", hot_p99, None, unit=" ms")
        report.figure("like / bare view: requests/s ratio", spread_rps / bare_rps, 0.60)
        report.figure("like / bare view: p99 ratio", spread_p99 / bare_p99, 2.5, op="<=")
        report.figure("like hot / spread: requests/s ratio", hot_rps / spread_rps, 0.80)
        bare_cpu = harness.mean_of(phases["bare"], "cpu", used)
        spread_cpu = harness.mean_of(phases["spread"], "cpu", used)
        hot_cpu = harness.mean_of(phases["hot"], "cpu", used)
        report.figure("bare view: stack CPU per request", bare_cpu, None, unit=" ms")
        report.figure("like (spread): stack CPU per request", spread_cpu, None, unit=" ms")
        report.figure("like (hot): stack CPU per request", hot_cpu, None, unit=" ms")
        report.figure("like / bare view: CPU-cost ratio (bare ÷ like)", bare_cpu / spread_cpu, None)
        for kind in ("spread", "hot"):
            for item in phases[kind]:
                non_2xx = {k: v for k, v in item["statuses"].items() if not 200 <= k < 300}
                expected = item["success_responses"] + item["unanswered"]
                report.check(
                    f"{item['label']}: stored likes == 2xx answers",
                    item["stored_likes"] == expected and not item["exhausted"] and not non_2xx,
                    f"{item['stored_likes']} stored; {item['success_responses']} 2xx answers "
                    f"(warm-up + measured) + {item['unanswered']} requests in flight when wrk "
                    f"hung up at its deadline (completed by the server); other statuses "
                    f"{non_2xx or 'none'}; plan exhausted {item['exhausted']}",
                )
        if enqueued is not None:
            report.check(
                "the likes' derivation is queued, in batches",
                1 <= enqueued <= likes_total,
                f"{enqueued} likes_derive_task in the queue for {likes_total} likes (no worker "
                "consumes them during the run; a like sends one only when none is pending, "
                "and the pending mark lasts 10 s)",
            )
    else:
        report.check(
            "like endpoint present", False, "POST /api/v1/submissions/{id}/like/ is not routed yet"
        )
    for table in ("pgb_like", "pgb_like_fk") if pg else ():  # (none with --pgbench-rounds 0)
        hot_tps = sum(r["tps"] for r in pg[f"{table} hot"]) / len(pg[f"{table} hot"])
        spread_tps = sum(r["tps"] for r in pg[f"{table} spread"]) / len(pg[f"{table} spread"])
        shape = "unique (a, b)" if table == "pgb_like" else "unique (a, b) + FK + index on b"
        report.figure(f"pgbench {shape}: spread tps", spread_tps, None)
        report.figure(f"pgbench {shape}: hot tps", hot_tps, None)
        report.figure(f"pgbench {shape}: hot / spread", hot_tps / spread_tps, None)
    report.settings["breakdown"] = parts
    report.phases = [p for kind in phases.values() for p in kind] + [
        r for runs in pg.values() for r in runs
    ]
    report.print()
    report.write()
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
