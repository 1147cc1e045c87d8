"""Run every benchmark (bench/bench_*.py) one after the other, then print all their figures.

Usage: .venv/bin/python bench/run.py [--only like,redirect] [-- options for every benchmark]
       .venv/bin/python bench/run.py --markdown   (no run: bench/results/*.json as a table)

Each benchmark runs in its own process, as `make bench` does. Exit status: 1 when a benchmark
crashed or one of its correctness checks failed; a missed performance target is reported in
the summary (and in bench/results/*.json) but does not fail the run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated names, e.g. like,clicks")
    parser.add_argument("--markdown", action="store_true", help="print the stored results")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="passed to every benchmark")
    args = parser.parse_args()
    if args.markdown:
        return markdown()
    wanted = {f"bench_{name.strip()}" for name in args.only.split(",") if name.strip()}
    extra = [a for a in args.rest if a != "--"]
    scripts = sorted(p for p in BENCH.glob("bench_*.py") if not wanted or p.stem in wanted)
    failed = []
    started = time.monotonic()
    ran_at: dict[str, float] = {}
    for script in scripts:
        ran_at[script.stem] = time.time()
        # bench_pages is the in-process page benchmark on SQLite: it takes none of the options.
        command = [sys.executable, str(script.relative_to(REPO))]
        if script.stem != "bench_pages":
            command += extra
        print(f"\n### {' '.join(command)}", flush=True)
        if subprocess.run(command, cwd=REPO, check=False).returncode:
            failed.append(script.stem)

    print(f"\n### Summary ({time.monotonic() - started:.0f} s)")
    for script in scripts:
        result = BENCH / "results" / f"{script.stem}.json"
        if script.stem == "bench_pages":
            continue
        if not result.exists() or result.stat().st_mtime < ran_at[script.stem]:
            print(f"-     {script.stem:<18} no results from this run")
            continue
        data = json.loads(result.read_text())
        for figure in data["figures"]:
            if figure["target"] is not None:
                print(
                    f"{figure['verdict']:<5} {script.stem:<18} {figure['name']}: "
                    f"{figure['value']:.2f} (target {figure['op']} {figure['target']:g})"
                )
        for check in data["checks"]:
            if not check["ok"]:
                print(f"CHECK {script.stem:<18} {check['name']}: {check['detail']}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    return 1 if failed else 0


def markdown() -> int:
    """The stored figures as a Markdown table (for docs/performance.md)."""
    print("| benchmark | figure | value | target | result | measured |")
    print("|---|---|---:|---|---|---|")
    for result in sorted((BENCH / "results").glob("bench_*.json")):
        data = json.loads(result.read_text())
        for f in data["figures"]:
            value = "n/a" if f["value"] is None else f"{f['value']:,.2f}{f['unit']}"
            target = "" if f["target"] is None else f"{f['op']} {f['target']:g}{f['unit']}"
            print(
                f"| {data['name']} | {f['name']} | {value} | {target} | {f['verdict']} "
                f"| {data['started'][:16].replace('T', ' ')} UTC |"
            )
    for result in sorted((BENCH / "results").glob("bench_*.json")):
        data = json.loads(result.read_text())
        print(f"\n`{data['command']}`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
