"""The resilience and security suite: the real stack under load, faults and attack.

See `profile.py` for the two profiles. Every test here is marked `resilience`, so
`pytest -m resilience` runs just this suite. A scenario states its outcome through the
`resilience_report` fixture; the rows are printed as a table at the end of the run and written to
`var/resilience/<profile>.json`, which `docs/reliability.md` quotes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.resilience.profile import PROFILE

RESULTS_DIR = Path(__file__).resolve().parents[2] / "var" / "resilience"
_rows: list[dict[str, Any]] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/resilience/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.resilience)


@pytest.fixture
def resilience_report(request: pytest.FixtureRequest):
    """`record(scenario=..., load=..., faults=..., result=..., lost=..., **figures)`.

    Call it once the test has asserted what it proves, so a failing scenario reports nothing.
    """

    def record(
        *, scenario: str, load: str, faults: str, result: str, lost: int, **figures: Any
    ) -> None:
        _rows.append(
            {
                "test": request.node.nodeid,
                "scenario": scenario,
                "load": load,
                "faults": faults,
                "result": result,
                "lost": lost,
                "figures": figures,
            }
        )

    return record


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not _rows:
        return
    terminalreporter.section(f"resilience ({PROFILE} profile)")
    for row in _rows:
        figures = ", ".join(f"{k}={v}" for k, v in row["figures"].items())
        terminalreporter.write_line(
            f"{row['scenario']} | {row['load']} | {row['faults']} | {row['result']} | "
            f"lost: {row['lost']}" + (f" | {figures}" if figures else "")
        )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{PROFILE}.json"
    path.write_text(json.dumps({"profile": PROFILE, "rows": _rows}, indent=2, default=str))
    terminalreporter.write_line(f"written to {path}")
