"""Requests per second and latency of the public pages, served in-process by Django's handler.

Usage: DJANGO_DEBUG=1 .venv/bin/python bench/bench_pages.py [--requests 300]
Runs against a throw-away SQLite database seeded with the demo data; prints one line a page.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="pp-bench-pages-")
    atexit.register(shutil.rmtree, tmp, ignore_errors=True)
    os.environ.setdefault("DJANGO_DEBUG", "true")
    os.environ["PASSAPAROLA_VAR_DIR"] = tmp
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    call_command("seed_demo", quiet=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="127.0.0.1")  # an allowed host
    print(f"{'page':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  ({args.requests} requests)")
    for url in ("/", "/api/v1/campaigns/", "/healthz"):
        client.get(url)  # warm up
        timings = []
        for _ in range(args.requests):
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
            assert response.status_code == 200, (url, response.status_code)
        timings.sort()
        p50 = statistics.median(timings) * 1000
        p99 = timings[int(len(timings) * 0.99) - 1] * 1000
        print(f"{url:<22} {len(timings) / sum(timings):>8.0f} {p50:>8.2f} {p99:>8.2f}")


if __name__ == "__main__":
    main()
