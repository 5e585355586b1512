"""plan.json: the machine-readable contract (docs/plan-format.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_json(plan: dict[str, Any], path: Path) -> None:
    """Write the plan dict as indented UTF-8 JSON."""
    with path.open("w", encoding="utf-8") as handle:
        json.dump(plan, handle, indent=1, ensure_ascii=False)
        handle.write("\n")
