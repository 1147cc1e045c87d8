"""The share redirect under load: tracked `/s/<code>` against the same redirect with tracking off.

Usage: .venv/bin/python bench/bench_redirect.py [--duration 10] [--warmup 2] [--rounds 3]

Through gunicorn on loopback, back to back in rounds: the untracked reference
(`/bench/s/<code>`: the same cached lookup and 302, no insert) and the real redirect (a cached
lookup, one insert, a 302). GET only, browser User-Agents, codes spread over 2,000 links and
channels as the share buttons tag them; the link cache is filled before the first phase, as a
running site has it. After each tracked phase, the stored hits must equal the redirects served.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import harness

ENTRIES = 10_000
AUTHORS = 1_000
LINKS = 2_000
PLAN_LINES = 20_000
CHANNELS = ("", "?c=whatsapp", "?c=x", "?c=facebook", "?c=copy", "?c=telegram", "?c=email")


def redirect_breakdown(codes: list[str]) -> dict:
    """Where a tracked redirect's time goes, in this process (gunicorn idle)."""
    import datetime as dt

    from django.contrib.auth.models import AnonymousUser
    from django.test import Client, RequestFactory

    from sharing.clicks import share_hit_record
    from sharing.links import share_target_get
    from sharing.visitors import visitor_of

    ua = harness.BROWSER_UAS[0]
    client = Client(HTTP_HOST=harness.LOOPBACK, HTTP_USER_AGENT=ua)
    factory = RequestFactory(HTTP_HOST=harness.LOOPBACK, HTTP_USER_AGENT=ua)

    def request(i: int) -> Any:
        made = factory.get(f"/s/{codes[i % LINKS]}?c=whatsapp")
        made.user = AnonymousUser()
        return made

    def get(path: str) -> None:
        assert client.get(path).status_code == 302

    today = dt.datetime.now(dt.UTC).date()
    link_id = share_target_get(code=codes[0]).link_id

    def raw_insert(_i: int) -> None:
        # For reference: the same row as one hand-written INSERT (no model instance, no ORM).
        harness.sql(
            "INSERT INTO sharing_sharehit (link_id, created_at, channel, visitor, method, "
            "user_agent, purpose, verdict) VALUES (%s, now(), 'whatsapp', %s, 'GET', %s, '', '')",
            [link_id, "0" * 64, ua],
        )

    return harness.breakdown(
        {
            "untracked redirect, whole request (test client)": lambda i: get(
                f"/bench/s/{codes[i % LINKS]}?c=whatsapp"
            ),
            "tracked redirect, whole request (test client)": lambda i: get(
                f"/s/{codes[i % LINKS]}?c=whatsapp"
            ),
            "share_target_get (cached lookup, both)": lambda i: share_target_get(
                code=codes[i % LINKS]
            ),
            "visitor_of (keyed hash of the visitor)": lambda i: visitor_of(request(i), day=today),
            "share_hit_record (hash + the insert)": lambda i: share_hit_record(
                request=request(i),
                target=share_target_get(code=codes[i % LINKS]),
                now=dt.datetime.now(dt.UTC),
            ),
            "reference: the same row by one raw INSERT": raw_insert,
        },
        iterations=500,
    )


def main() -> int:
    args = harness.arguments(__doc__).parse_args()
    report = harness.Report(name="bench_redirect", command=harness.command_line())
    report.settings = {
        **vars(args),
        "gunicorn": f"-w {args.workers} -k gthread --threads {args.worker_threads}",
        "links": LINKS,
    }
    with harness.Bench(args) as bench:
        with harness.step(f"seeded {AUTHORS} authors, {ENTRIES} entries, {LINKS} share links"):
            campaign = harness.seed_campaign(slug="bench-share")
            harness.seed_people(first_id=1, count=AUTHORS, tokens=False)
            harness.seed_entries(
                campaign_id=campaign.pk, first_author=1, authors=AUTHORS, count=ENTRIES
            )
            pairs = harness.sql(
                "SELECT id, author_id FROM submissions_submission ORDER BY id LIMIT %s", [LINKS]
            )
            codes = harness.seed_share_links(pairs)
            harness.analyze()
        with harness.step("link cache filled"):
            from sharing.links import share_target_get

            assert all(share_target_get(code=code) for code in codes)

        def plan(prefix: str) -> Path:
            variants = itertools.cycle(
                itertools.product(harness.BROWSER_UAS, CHANNELS)
            )  # every User-Agent with every channel, over all the codes
            lines = []
            for i, (ua, channel) in zip(range(PLAN_LINES), variants, strict=False):
                headers = {
                    "User-Agent": ua,
                    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
                    "Accept-Language": "en-GB,en;q=0.9,it;q=0.8",
                }
                lines.append(("GET", f"{prefix}{codes[i % LINKS]}{channel}", headers))
            return bench.plan(prefix.strip("/").replace("/", "-"), lines)

        untracked, tracked = plan("/bench/s/"), plan("/s/")
        phases: dict[str, list[dict[str, Any]]] = {"untracked": [], "tracked": []}
        print(
            f"load: wrk -t{args.threads} -c{args.connections}, {args.warmup:g} s warm-up, "
            f"{args.duration:g} s measured, {args.rounds} rounds"
        )

        def run_untracked(round_no: int) -> dict[str, Any]:
            return bench.phase(
                f"redirect untracked (round {round_no})",
                warm_plan=untracked,
                plan=untracked,
                mode="cycle",
            )

        def run_tracked(round_no: int) -> dict[str, Any]:
            before = harness.settled("SELECT count(*) FROM sharing_sharehit")

            def stored(warm: dict, measured: dict) -> dict[str, Any]:
                hits = harness.settled("SELECT count(*) FROM sharing_sharehit") - before
                return {
                    "stored_hits": hits,
                    "redirects": warm["redirect_3xx"] + measured["redirect_3xx"],
                    "unanswered": warm["unanswered"] + measured["unanswered"],
                }

            return bench.phase(
                f"redirect tracked (round {round_no})",
                warm_plan=tracked,
                plan=tracked,
                mode="cycle",
                after=stored,
            )

        cases = [("untracked", run_untracked), ("tracked", run_tracked)]
        for round_no in range(1, args.rounds + 1):
            for kind, run in harness.in_round_order(cases, round_no):
                phases[kind].append(bench.steady(run, round_no))
        untracked_hits = harness.scalar(
            "SELECT count(*) FROM sharing_sharehit WHERE user_agent = ''"
        )
        print("in-process breakdown (gunicorn idle):")
        report.settings["breakdown"] = redirect_breakdown(codes)

    used = harness.undisturbed(phases["untracked"], phases["tracked"])
    report.settings["rounds_used"] = [r + 1 for r in used]
    off = harness.mean_of(phases["untracked"], "rps", used)
    on = harness.mean_of(phases["tracked"], "rps", used)
    off_p99 = harness.mean_of(phases["untracked"], "p99", used)
    on_p99 = harness.mean_of(phases["tracked"], "p99", used)
    report.figure("redirect untracked: requests/s", off, None)
    report.figure("redirect untracked: p99 latency", off_p99, None, unit=" ms")
    report.figure("redirect tracked: requests/s", on, None)
    report.figure("redirect tracked: p99 latency", on_p99, None, unit=" ms")
    report.figure("tracked / untracked: requests/s ratio", on / off, 0.80)
    report.figure("tracked / untracked: p99 ratio", on_p99 / off_p99, None)
    off_cpu = harness.mean_of(phases["untracked"], "cpu", used)
    on_cpu = harness.mean_of(phases["tracked"], "cpu", used)
    report.figure("redirect untracked: stack CPU per request", off_cpu, None, unit=" ms")
    report.figure("redirect tracked: stack CPU per request", on_cpu, None, unit=" ms")
    report.figure(
        "tracked / untracked: CPU-cost ratio (untracked ÷ tracked)", off_cpu / on_cpu, None
    )
    for item in phases["untracked"]:
        other = {k: v for k, v in item["statuses"].items() if k != 302}
        report.check(
            f"{item['label']}: every answer a 302", not other, f"other statuses {other or 'none'}"
        )
    for item in phases["tracked"]:
        other = {k: v for k, v in item["statuses"].items() if k != 302}
        expected = item["redirects"] + item["unanswered"]
        report.check(
            f"{item['label']}: one stored hit per redirect",
            item["stored_hits"] == expected and not other,
            f"{item['stored_hits']} hits stored; {item['redirects']} redirects answered "
            f"(warm-up + measured) + {item['unanswered']} requests in flight when wrk hung up; "
            f"other statuses {other or 'none'}",
        )
    report.check(
        "hits carry the browser's User-Agent",
        untracked_hits == 0,
        f"{untracked_hits} hits without one",
    )
    report.phases = [p for kind in phases.values() for p in kind]
    report.print()
    report.write()
    return report.exit_code()


if __name__ == "__main__":
    sys.exit(main())
