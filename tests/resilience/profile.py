"""The load of the running resilience profile.

Two profiles share every scenario. The short one (the default) runs in `make test` and so in
`.ci/run`; the long one (`make soak`, RESILIENCE_PROFILE=long) scales the same scenarios up.
A test asks `scale(short, long)` for its load instead of hard-coding one number.
"""

from __future__ import annotations

import os

PROFILE = os.environ.get("RESILIENCE_PROFILE", "short").strip().lower()
if PROFILE not in {"short", "long"}:
    raise SystemExit("RESILIENCE_PROFILE must be 'short' or 'long'")


def scale(short: int, long: int) -> int:
    """`short` in the short profile, `long` in the long one."""
    return long if PROFILE == "long" else short
