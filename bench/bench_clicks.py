"""Click derivation: `clicks_derive` in batches against one derivation per hit.

Usage: .venv/bin/python bench/bench_clicks.py [--hits 20000] [--per-hit-budget 20] [--rounds 2]

20,000 raw share hits on 500 links, a realistic mix: new visitors (half of them), the same
visitors again that day, link-preview bots and crawlers, HEAD requests, prefetches and the
owners' own clicks. First derived the way the periodic task does it (batches of
`DERIVE_BATCH`, until none is left); then, from the same hits reset to underived, one call of
`clicks_derive(limit=1)` per hit, which is what one task per event would run (without Celery's
own overhead, so the comparison favours the per-event side). Both in this process, against
PostgreSQL and Redis on loopback; the per-hit run stops after its time budget. Rounds alternate
the order (batched first, then one per hit first); every run starts from the same underived
hits and must give every hit the verdict its kind calls for.
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

AUTHORS = 500
BOTS = (
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "TelegramBot (like TwitterBot)",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mastodon/4.2.8 (http.rb/5.1.1; +https://mastodon.social/)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "curl/8.5.0",
    "",
)
MIX = {"counted": 50, "repeat": 20, "bot": 15, "head": 5, "prefetch": 5, "owner": 5}
CHANNELS = ("direct", "whatsapp", "x", "facebook", "copy", "telegram", "email", "qr")


def corpus(*, hits: int, links: list[tuple[int, int]], rng: random.Random) -> list[dict[str, Any]]:
    """Hits in time order (so ids follow time), each with the verdict its kind calls for."""
    now = dt.datetime.now(dt.UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(midnight, now - dt.timedelta(minutes=30))  # one UTC day: repeats stay repeats
    span = (now - start).total_seconds()
    kinds = rng.choices(list(MIX), weights=list(MIX.values()), k=hits)
    rows: list[dict[str, Any]] = []
    firsts: list[dict[str, Any]] = []
    for kind in kinds:
        link_id, owner_id = rng.choice(links)
        row = {
            "link_id": link_id,
            "created_at": start + dt.timedelta(seconds=rng.uniform(0, span)),
            "channel": rng.choice(CHANNELS),
            "visitor": secrets.token_hex(32),
            "user_id": None,
            "method": "GET",
            "user_agent": rng.choice(harness.BROWSER_UAS),
            "purpose": "",
            "kind": kind,
        }
        if kind == "repeat" and firsts:
            first = rng.choice(firsts)
            row.update(link_id=first["link_id"], visitor=first["visitor"])
            row["created_at"] = first["created_at"] + dt.timedelta(
                seconds=rng.uniform(0, (now - first["created_at"]).total_seconds())
            )
        elif kind == "repeat":
            row["kind"] = "counted"
        if kind == "bot":
            row["user_agent"] = rng.choice(BOTS)
        elif kind == "head":
            row["method"] = "HEAD"
        elif kind == "prefetch":
            row["purpose"] = rng.choice(("prefetch", "prefetch;prerender", "preview"))
        elif kind == "owner":
            row["user_id"] = owner_id
        elif row["kind"] == "counted" and rng.random() < 0.2:
            row["user_id"] = rng.randint(AUTHORS + 1, AUTHORS + 1000)  # signed-in visitors
        rows.append(row)
        if row["kind"] == "counted":
            firsts.append(row)
    rows.sort(key=lambda r: r["created_at"])
    # A repeat placed before its first visit in time swaps roles with it: the earlier counts.
    seen: set[tuple[int, str]] = set()
    for row in rows:
        if row["kind"] in ("counted", "repeat"):
            key = (row["link_id"], row["visitor"])
            row["kind"] = "repeat" if key in seen else "counted"
            seen.add(key)
    return rows


def store(rows: list[dict[str, Any]]) -> list[int]:
    """COPY the hits in, in order; their ids."""
    from django.db import connection

    columns = ("link_id", "created_at", "channel", "visitor", "user_id", "method")
    columns += ("user_agent", "purpose", "verdict")
    statement = f"COPY sharing_sharehit ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([*(row[c] for c in columns[:-1]), ""])
    return [r[0] for r in harness.sql("SELECT id FROM sharing_sharehit ORDER BY id")]


def reset(campaign_id: int) -> None:
    """Every hit underived again, and nothing derived from them left."""
    from sharing.leaderboard import leaderboard_redis_drop

    harness.sql("DELETE FROM sharing_shareclick")
    harness.sql("DELETE FROM sharing_pointevent WHERE kind = 'click'")
    harness.sql("DELETE FROM sharing_standing WHERE campaign_id = %s", [campaign_id])
    harness.sql("UPDATE sharing_sharehit SET verdict = '', derived_at = NULL")
    leaderboard_redis_drop(campaign_id=campaign_id)
    harness.sql("VACUUM ANALYZE sharing_sharehit, sharing_shareclick, sharing_pointevent")


def verdicts() -> dict[int, str]:
    return dict(harness.sql("SELECT id, verdict FROM sharing_sharehit WHERE verdict <> ''"))


def where_batches_spend(*, campaign_id: int, batch: int) -> dict[str, Any]:
    """One more batched derivation, with a stopwatch on each step `clicks_derive` takes: the
    batch's own transaction, then per touched sharer the standings refresh and the reach
    notification. Wrappers live in this process only and are removed afterwards."""
    import sharing.clicks as clicks
    import sharing.notifications as notifications
    from sharing.clicks import clicks_derive

    spent: dict[str, list[float]] = {}

    def timed(owner: Any, name: str, label: str) -> Any:
        original = getattr(owner, name)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                spent.setdefault(label, []).append(time.perf_counter() - started)

        setattr(owner, name, wrapper)
        return original

    reset(campaign_id)
    steps = [
        # The batch's transaction holds all of it: the three steps below are inside it.
        (clicks, "_derive_batch", "a whole batch (one transaction; includes the steps below)"),
        (clicks, "standings_refresh", "standings_refresh (per batch and campaign)"),
        (notifications, "shares_reach", "shares_reach (one query per touched sharer)"),
        (notifications, "notify_reach", "notify_reach (per touched sharer)"),
    ]
    originals = [(owner, name, timed(owner, name, label)) for owner, name, label in steps]
    try:
        started = time.perf_counter()
        while clicks_derive(limit=batch) == batch:
            pass
        total = time.perf_counter() - started
    finally:
        for owner, name, original in originals:
            setattr(owner, name, original)
    result = {"total_s": round(total, 3)}
    for label, values in spent.items():
        result[label] = {"seconds": round(sum(values), 3), "calls": len(values)}
        print(f"  {label:<62} {sum(values):6.2f} s in {len(values):>5} calls")
    print(f"  {'all of clicks_derive':<62} {total:6.2f} s")
    return result


def main() -> int:
    parser = harness.arguments(__doc__, rounds=2)
    parser.add_argument("--hits", type=int, default=20_000)
    parser.add_argument("--per-hit-budget", type=float, default=20.0, help="seconds")
    parser.add_argument("--per-hit-max", type=int, default=20_000)
    args = parser.parse_args()
    report = harness.Report(name="bench_clicks", command=harness.command_line())
    report.settings = {**vars(args), "mix_pct": MIX}

    with harness.Bench(args):
        from sharing.clicks import DERIVE_BATCH, clicks_derive

        report.settings["derive_batch"] = DERIVE_BATCH
        with harness.step(f"seeded {AUTHORS} links and {args.hits:,} raw hits"):
            campaign = harness.seed_campaign(slug="bench-clicks")
            harness.seed_people(first_id=1, count=AUTHORS + 1000, tokens=False)
            harness.seed_entries(
                campaign_id=campaign.pk, first_author=1, authors=AUTHORS, count=AUTHORS
            )
            pairs = harness.sql("SELECT id, author_id FROM submissions_submission ORDER BY id")
            harness.seed_share_links(pairs)
            links = harness.sql("SELECT id, owner_id FROM sharing_sharelink ORDER BY id")
            rows = corpus(hits=args.hits, links=links, rng=random.Random(11))
            ids = store(rows)
            expected = {hit_id: row["kind"] for hit_id, row in zip(ids, rows, strict=True)}
            harness.analyze()

        def batched() -> dict[str, Any]:
            reset(campaign.pk)
            with harness.CpuMeter(None) as meter:
                started = time.perf_counter()
                batches = derived = 0
                while True:
                    n = clicks_derive(limit=DERIVE_BATCH)
                    derived += n
                    batches += 1
                    if n < DERIVE_BATCH:
                        break
                seconds = time.perf_counter() - started
            return {
                "label": "batched",
                "hits": derived,
                "batches": batches,
                "seconds": seconds,
                "rate": derived / seconds,
                "cpu": meter.result,
                "verdicts": verdicts(),
                "clicks": harness.scalar("SELECT count(*) FROM sharing_shareclick"),
                "points": harness.scalar(
                    "SELECT coalesce(sum(points), 0) FROM sharing_pointevent WHERE kind = 'click'"
                ),
            }

        def one_per_hit() -> dict[str, Any]:
            reset(campaign.pk)
            with harness.CpuMeter(None) as meter:
                started = time.perf_counter()
                deadline = time.monotonic() + args.per_hit_budget
                single = 0
                while single < args.per_hit_max and time.monotonic() < deadline:
                    if not clicks_derive(limit=1):
                        break
                    single += 1
                seconds = time.perf_counter() - started
            return {
                "label": "one per hit",
                "hits": single,
                "seconds": seconds,
                "rate": single / seconds,
                "cpu": meter.result,
                "verdicts": verdicts(),
            }

        runs: dict[str, list[dict[str, Any]]] = {"batched": [], "one per hit": []}
        cases = [("batched", batched), ("one per hit", one_per_hit)]
        for round_no in range(1, args.rounds + 1):
            for kind, run in harness.in_round_order(cases, round_no):
                harness.wait_quiet()
                result = run()
                result["round"] = round_no
                runs[kind].append(result)
                print(
                    f"  {kind:<12} (round {round_no}) {result['hits']:>6,} hits in "
                    f"{result['seconds']:6.2f} s: {result['rate']:8,.0f}/s  "
                    f"others {result['cpu']['cores']['everything else']} cores",
                    flush=True,
                )

        print("where a batched derivation spends its time:")
        report.settings["batched_breakdown"] = where_batches_spend(
            campaign_id=campaign.pk, batch=DERIVE_BATCH
        )

    used = harness.undisturbed(runs["batched"], runs["one per hit"])
    report.settings["rounds_used"] = [r + 1 for r in used]
    batch_rate = sum(runs["batched"][r]["rate"] for r in used) / len(used)
    single_rate = sum(runs["one per hit"][r]["rate"] for r in used) / len(used)
    report.figure("batched derivation: hits/s", batch_rate, None)
    report.figure("one derivation per hit: hits/s", single_rate, None)
    report.figure("batched / one per hit: events/s ratio", batch_rate / single_rate, 10)
    want = Counter(expected.values())
    for item in runs["batched"]:
        batch = item["verdicts"]
        got = Counter(batch.values())
        report.check(
            f"batched (round {item['round']}): every hit gets the verdict its kind calls for",
            item["hits"] == args.hits and all(batch.get(i) == k for i, k in expected.items()),
            f"{item['hits']:,} derived in {item['batches']} batches; verdicts "
            f"{dict(sorted(got.items()))}, expected {dict(sorted(want.items()))}; "
            f"{item['clicks']:,} clicks worth {item['points']:,} points",
        )
    for item in runs["one per hit"]:
        one_by_one = item["verdicts"]
        report.check(
            f"one per hit (round {item['round']}): the verdicts its kind calls for",
            all(one_by_one[i] == expected[i] for i in one_by_one)
            and len(one_by_one) == item["hits"],
            f"{item['hits']:,} hits derived in the time budget, each compared",
        )
    report.phases = [
        {k: v for k, v in item.items() if k != "verdicts"}
        for items in runs.values()
        for item in items
    ]
    report.print()
    report.write()
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
