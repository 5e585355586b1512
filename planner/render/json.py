"""plan.json: the machine-readable contract (docs/plan-format.md).

Top-level keys are indented for people; each app, gateway, subnet and wave is one line, which keeps
diffs readable (one changed app, one changed line) and lets the C encoder do the work: `json.dump`
with `indent` falls back to the pure-Python encoder (docs/performance.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_LINE_PER_ITEM = ("apps", "gateways", "subnets", "waves", "subscriptions")


def write_json(plan: dict[str, Any], path: Path) -> None:
    """Write the plan dict as UTF-8 JSON: pretty top level, one line per list item."""
    encode = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode
    with path.open("w", encoding="utf-8") as handle:
        handle.write("{")
        for index, (key, value) in enumerate(plan.items()):
            handle.write(",\n " if index else "\n ")
            handle.write(encode(key) + ": ")
            if key in _LINE_PER_ITEM and isinstance(value, list) and value:
                handle.write("[")
                for position, item in enumerate(value):
                    handle.write(",\n  " if position else "\n  ")
                    handle.write(encode(item))  # one item at a time: no file-sized string in memory
                handle.write("\n ]")
            elif isinstance(value, dict):
                handle.write(json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n "))
            else:
                handle.write(encode(value))
        handle.write("\n}\n")
