"""Print the resilience results of a run as the Markdown table docs/reliability.md quotes.

.venv/bin/python -m tests.resilience.table var/resilience/short.json [var/resilience/long.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(path: Path) -> str:
    data = json.loads(path.read_text())
    lines = [
        f"**{data['profile']} profile** (`{path}`)",
        "",
        "| Scenario | Load | Faults injected | Result | Lost | Figures |",
        "|---|---|---|---|---|---|",
    ]
    for row in data["rows"]:
        figures = ", ".join(f"{k} {v}" for k, v in row["figures"].items())
        lines.append(
            "| "
            + " | ".join(
                _cell(x)
                for x in (
                    row["scenario"],
                    row["load"],
                    row["faults"],
                    row["result"],
                    f"lost: {row['lost']}",
                    figures,
                )
            )
            + " |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print("\n\n".join(table(Path(arg)) for arg in sys.argv[1:]))
