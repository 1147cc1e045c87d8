"""The leaderboard at 10,000 and 1,000,000 participants: in-process reads, and the API under load.

Usage: .venv/bin/python bench/bench_leaderboard.py [--sizes 10000,1000000] [--iterations 2000]

Two open campaigns, one per size. Every participant has one approved entry (the only way to
hold points: entry, likes received, clicks and referrals on one's own entry) and a standing of
10 points or more with many ties; 1% of the entries have likes. Redis is loaded by the project's
own `leaderboard_redis_rebuild` (timed). Then, in this process and interleaved so both sizes
see the same machine: `leaderboard_top(limit=50)` and `leaderboard_around` (random participants)
from Redis, and the database fallbacks `leaderboard_top_db` / `leaderboard_around_db`; median
and p99 of each. Finally the API, `GET /api/v1/campaigns/<slug>/leaderboard/?limit=50`, through
gunicorn against the bare logged-in view, in rounds.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

TOKENS = 20_000
BOARD_PATH = "/api/v1/campaigns/{}/leaderboard/?limit=50"
BARE_PATH = "/bench/bare/"


def seed_board(*, size: int) -> Any:
    """A campaign of `size` participants (people 1..size), each with an entry and a standing."""
    from sharing.models import Standing

    campaign = harness.seed_campaign(slug=f"board-{size}")
    harness.seed_entries(campaign_id=campaign.pk, first_author=1, authors=size, count=size)
    harness.sql(
        "UPDATE submissions_submission SET like_count = 1 + floor(random() * 300)::int "
        "WHERE campaign_id = %s AND random() < 0.01",
        [campaign.pk],
    )
    harness.sql("SELECT setseed(0.42)")
    # 10 points for the entry, then an exponential tail (mean 30): many ties low on the board.
    harness.insert_select(
        Standing,
        values={
            "campaign_id": str(int(campaign.pk)),
            "participant_id": "g",
            "points": "10 + floor(-ln(1 - random()) * 30)::int",
            "reached_ms": "(extract(epoch FROM now() - interval '1 day') * 1000)::bigint"
            " + floor(random() * 86400000)::bigint",
            "updated_at": "now() - interval '2 hours'",
        },
        source=f"generate_series(1, {int(size)}) AS g",
    )
    return campaign


def explain(call: Callable[[], Any]) -> list[dict[str, Any]]:
    """EXPLAIN ANALYZE of every query a call makes (to show what limits a slow one)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    plans = []
    for query in captured.captured_queries:
        text = "\n".join(r[0] for r in harness.sql("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"]))
        plans.append({"sql": query["sql"], "plan": text})
    return plans


def endpoint_breakdown(*, boards: dict[int, Any], budget: float) -> dict:
    """Where the endpoint's time goes at each size, in this process (gunicorn idle)."""
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from campaigns.selectors import campaign_get_public
    from sharing.selectors import BOARD_FIELDS, leaderboard_campaign_get, leaderboard_for_viewer

    client = Client(HTTP_HOST=harness.LOOPBACK)
    viewer = User.objects.get(pk=1)
    token = Token.objects.get(user=viewer).key

    def get(path: str) -> None:
        assert client.get(path, HTTP_AUTHORIZATION=f"Token {token}").status_code == 200

    calls = {"bare view, whole request (test client)": lambda i: get(BARE_PATH)}
    for size, campaign in boards.items():
        calls[f"endpoint @{size:,}, whole request (test client)"] = lambda i, slug=campaign.slug: (
            get(BOARD_PATH.format(slug))
        )
        calls[f"leaderboard_campaign_get @{size:,} (the endpoint's lookup, reused 2 s)"] = (
            lambda i, slug=campaign.slug: leaderboard_campaign_get(slug=slug, viewer=viewer)
        )
        calls[f"reference: the same lookup each time @{size:,} (campaign_get_public)"] = (
            lambda i, slug=campaign.slug: campaign_get_public(
                slug=slug, user=viewer, with_counts=False, only=BOARD_FIELDS
            )
        )
        if size == min(boards):
            # Pages still count a campaign's approved entries on every view: one count per
            # size is enough to show how it grows (at 1M it takes over a second).
            calls[f"reference: campaign_get_public @{size:,} with counts (pages)"] = (
                lambda i, slug=campaign.slug: campaign_get_public(slug=slug, user=viewer)
            )
        calls[f"leaderboard_for_viewer @{size:,} (top, my rank, top entries)"] = (
            lambda i, c=campaign: leaderboard_for_viewer(campaign=c, viewer=viewer, limit=50)
        )
    return harness.breakdown(calls, iterations=200, budget=budget)


def main() -> int:
    parser = harness.arguments(__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--db-iterations", type=int, default=300)
    parser.add_argument("--budget", type=float, default=15.0, help="seconds per timing loop")
    args = parser.parse_args()
    small, large = (int(s) for s in args.sizes.split(","))
    report = harness.Report(name="bench_leaderboard", command=harness.command_line())
    report.settings = {
        **vars(args),
        "gunicorn": f"-w {args.workers} -k gthread --threads {args.worker_threads}",
    }
    stats: dict[str, dict[str, float]] = {}

    with harness.Bench(args) as bench:
        with harness.step(f"seeded {large:,} people ({TOKENS:,} with tokens)"):
            harness.seed_people(first_id=1, count=large, tokens=False, emails=False)
            harness.seed_tokens(first_id=1, count=TOKENS)
        boards = {}
        for size in (small, large):
            with harness.step(f"seeded the {size:,}-participant board (entries, standings)"):
                boards[size] = seed_board(size=size)
        with harness.step("analyzed"):
            harness.analyze()
        from campaigns.selectors import campaign_get_public
        from sharing import leaderboard

        rebuild_seconds = {}
        for size, campaign in boards.items():
            started = time.monotonic()
            assert leaderboard.leaderboard_redis_rebuild(campaign_id=campaign.pk)
            rebuild_seconds[size] = time.monotonic() - started
            print(f"Redis rebuilt for {size:,} participants: {rebuild_seconds[size]:.1f} s")
        # Both backends must agree before they are timed against each other.
        for size, campaign in boards.items():
            assert leaderboard.leaderboard_top(campaign=campaign.pk, limit=50) == (
                leaderboard.leaderboard_top_db(campaign_id=campaign.pk, limit=50)
            ), f"Redis and the database disagree on the top at {size}"
            pid = random.Random(size).randint(1, size)
            assert leaderboard.leaderboard_around(
                campaign=campaign.pk, participant=pid
            ) == leaderboard.leaderboard_around_db(campaign_id=campaign.pk, participant_id=pid)
        report.check("Redis and the database give the same top 50 and windows", True, "asserted")

        rng = random.Random(7)
        sample = {size: [rng.randint(1, size) for _ in range(5000)] for size in boards}

        def around(size: int, fn: Callable[..., Any], db: bool) -> Callable[[int], Any]:
            cid = boards[size].pk
            picks = sample[size]
            if db:
                return lambda i: fn(campaign_id=cid, participant_id=picks[i % len(picks)])
            return lambda i: fn(campaign=cid, participant=picks[i % len(picks)])

        def top(size: int, fn: Callable[..., Any], db: bool) -> Callable[[int], Any]:
            cid = boards[size].pk
            if db:
                return lambda i: fn(campaign_id=cid, limit=50)
            return lambda i: fn(campaign=cid, limit=50)

        groups = {
            "redis top 50": (top, leaderboard.leaderboard_top, False, args.iterations),
            "redis my rank": (around, leaderboard.leaderboard_around, False, args.iterations),
            "db top 50": (top, leaderboard.leaderboard_top_db, True, args.db_iterations),
            "db my rank": (around, leaderboard.leaderboard_around_db, True, args.db_iterations),
        }
        for label, (make, fn, db, iterations) in groups.items():
            found = harness.timings(
                {str(size): make(size, fn, db) for size in boards},
                iterations=iterations,
                budget=args.budget,
            )
            for size_name, values in found.items():
                stats[f"{label} @{size_name}"] = {
                    "median_ms": harness.median(values),
                    "p99_ms": harness.percentile(values, 99),
                    "calls": len(values),
                }
                print(
                    f"  {label:<14} {int(size_name):>9,}: median {harness.median(values):7.3f} ms"
                    f"  p99 {harness.percentile(values, 99):7.3f} ms  ({len(values)} calls)",
                    flush=True,
                )
        # The worst case for the database's "my rank": the last participant of the big board.
        last = harness.scalar(
            "SELECT participant_id FROM sharing_standing WHERE campaign_id = %s "
            "ORDER BY points, reached_ms DESC, participant_id DESC LIMIT 1",
            [boards[large].pk],
        )
        plans = {
            "db my rank, last participant @large": explain(
                lambda: leaderboard.leaderboard_around_db(
                    campaign_id=boards[large].pk, participant_id=last
                )
            ),
            "db top 50 @large": explain(
                lambda: leaderboard.leaderboard_top_db(campaign_id=boards[large].pk, limit=50)
            ),
            "campaign_get_public with counts @large (pages)": explain(
                lambda: campaign_get_public(slug=boards[large].slug)
            ),
        }

        print("in-process breakdown of the endpoint (gunicorn idle):")
        report.settings["breakdown"] = endpoint_breakdown(boards=boards, budget=args.budget)

        # The API through gunicorn, against the bare logged-in view.
        from django.urls import Resolver404, resolve

        try:
            resolve(BOARD_PATH.format(boards[large].slug).split("?")[0], urlconf="bench.urls")
            present = True
        except Resolver404:
            present = False
        phases: dict[str, list[dict[str, Any]]] = {}
        if present:
            tokens = harness.tokens_of(1, TOKENS)
            accept = {"Accept": "application/json", "User-Agent": "passaparola-bench"}

            def plan(name: str, path: Callable[[int], str], *, logged_in: bool, upto: int) -> Path:
                ids = [u for u in tokens if u <= upto]
                return bench.plan(
                    name,
                    (
                        (
                            "GET",
                            path(u),
                            {**accept, "Authorization": f"Token {tokens[u]}"}
                            if logged_in
                            else accept,
                        )
                        for u in ids
                    ),
                )

            plans_http = {
                "bare view": plan("bare", lambda u: BARE_PATH, logged_in=True, upto=TOKENS),
                f"endpoint @{small} (participant)": plan(
                    "board-small",
                    lambda u: BOARD_PATH.format(boards[small].slug),
                    logged_in=True,
                    upto=small,
                ),
                f"endpoint @{large} (participant)": plan(
                    "board-large",
                    lambda u: BOARD_PATH.format(boards[large].slug),
                    logged_in=True,
                    upto=TOKENS,
                ),
            }
            print(
                f"load: wrk -t{args.threads} -c{args.connections}, {args.warmup:g} s warm-up, "
                f"{args.duration:g} s measured, {args.rounds} rounds"
            )
            for round_no in range(1, args.rounds + 1):
                for label, path in harness.in_round_order(list(plans_http.items()), round_no):
                    phases.setdefault(label, []).append(
                        bench.steady(
                            lambda r, label=label, path=path: bench.phase(
                                f"{label} (round {r})", warm_plan=path, plan=path, mode="cycle"
                            ),
                            round_no,
                        )
                    )
        else:
            print("the leaderboard endpoint is not in the URLs yet")

    for label in ("redis top 50", "redis my rank"):
        a, b = stats[f"{label} @{small}"], stats[f"{label} @{large}"]
        report.figure(f"{label} @{small:,}: median", a["median_ms"], None, unit=" ms")
        report.figure(f"{label} @{large:,}: median", b["median_ms"], None, unit=" ms")
        report.figure(
            f"{label}: {large:,} / {small:,} time ratio (median)",
            b["median_ms"] / a["median_ms"],
            1.2,
            op="<=",
        )
        report.figure(
            f"{label}: {large:,} / {small:,} time ratio (p99)",
            b["p99_ms"] / a["p99_ms"],
            None,
        )
    for label in ("db top 50", "db my rank"):
        a, b = stats[f"{label} @{small}"], stats[f"{label} @{large}"]
        report.figure(f"{label} @{small:,}: median", a["median_ms"], None, unit=" ms")
        report.figure(f"{label} @{large:,}: median", b["median_ms"], None, unit=" ms")
        report.figure(f"{label} @{large:,}: p99", b["p99_ms"], None, unit=" ms")
        report.figure(
            f"{label}: {large:,} / {small:,} time ratio (median)",
            b["median_ms"] / a["median_ms"],
            None,
        )
    report.figure(f"Redis rebuild @{large:,}", rebuild_seconds[large], None, unit=" s")
    if present:
        # The 1M endpoint answers nothing whoever runs beside it: it does not pick the rounds.
        used = harness.undisturbed(
            *(items for items in phases.values() if all(i["requests"] for i in items))
        )
        report.settings["rounds_used"] = [r + 1 for r in used]
        bare = harness.mean_of(phases["bare view"], "rps", used)
        report.figure("bare view: requests/s", bare, None)
        for label, items in phases.items():
            if label == "bare view":
                continue
            rps = harness.mean_of(items, "rps", used)
            p99 = harness.mean_of(items, "p99", used)
            report.figure(f"{label}: requests/s", rps, None)
            report.figure(f"{label}: p99 latency", p99, None, unit=" ms")
            target = 0.70 if label == f"endpoint @{large} (participant)" else None
            report.figure(f"{label} / bare view: requests/s ratio", rps / bare, target)
            report.figure(
                f"{label} / bare view: CPU-cost ratio (bare ÷ endpoint)",
                harness.mean_of(phases["bare view"], "cpu", used)
                / harness.mean_of(items, "cpu", used),
                None,
            )
        for items in phases.values():
            for item in items:
                other = {k: v for k, v in item["statuses"].items() if k != 200}
                report.check(
                    f"{item['label']}: every answer a 200",
                    not other,
                    f"{item['statuses'].get(200, 0)} answers 200, other statuses "
                    f"{other or 'none'}; {item['errors']['timeout']} requests timed out (10 s)",
                )
    else:
        report.check("leaderboard endpoint present", False, "not routed yet")
    report.settings["timings"] = stats
    report.settings["explain"] = plans
    report.phases = [p for items in phases.values() for p in items]
    report.print()
    report.write()
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
