"""Migration burndown between two inventories or two plans: what moved, what is new, what is left.

Either side may be an inventory (folder or file) or a plan.json written by `plan`; both are reduced
to the same per-app view, so a governance team can compare last month's plan with today's scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError
from planner.pipeline import run_plan
from planner.plan import SCHEMA

GATEWAY_REQUIRED = "gateway-required"


@dataclass(frozen=True)
class Side:
    label: str
    apps: dict[str, dict[str, Any]]  # lower id -> app entry of plan.json
    gateways: dict[str, dict[str, Any]]


def load_side(path: Path) -> Side:
    """A plan.json as written, or an inventory planned now."""
    plan: dict[str, Any] | None = None
    if path.is_file() and path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InputError(str(path), f"invalid JSON: {exc}") from None
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            plan = data
    if plan is None:
        plan = run_plan(path)
    for field in ("apps", "gateways"):
        if not isinstance(plan.get(field), list):
            raise InputError(str(path), "expected a list", field=field)
    return Side(
        label=str(path),
        apps={str(a["id"]).lower(): a for a in plan["apps"]},
        gateways={str(g["id"]).lower(): g for g in plan["gateways"]},
    )


def _brief(app: dict[str, Any], before: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = {
        "id": app["id"],
        "name": app["name"],
        "integration": app["integration"],
        "readiness": app.get("readiness"),
    }
    if before is not None:
        entry["was"] = before["integration"]
    return entry


def diff(old: Side, new: Side) -> dict[str, Any]:
    """Per-app movement between the two sides, and the gateways that disappeared or appeared."""
    migrated, left, appeared, gone, unknown = [], [], [], [], []
    for key, before in old.apps.items():
        after = new.apps.get(key)
        if before["integration"] != GATEWAY_REQUIRED:
            continue
        if after is None:
            gone.append(_brief(before))
        elif after["integration"] == GATEWAY_REQUIRED:
            left.append(_brief(after))
        elif after["integration"] == "unknown":
            unknown.append(_brief(after, before))
        else:
            migrated.append(_brief(after, before))
    for key, after in new.apps.items():
        if after["integration"] == GATEWAY_REQUIRED and (
            key not in old.apps or old.apps[key]["integration"] != GATEWAY_REQUIRED
        ):
            appeared.append(_brief(after, old.apps.get(key)))
    before_count = sum(1 for a in old.apps.values() if a["integration"] == GATEWAY_REQUIRED)
    after_count = sum(1 for a in new.apps.values() if a["integration"] == GATEWAY_REQUIRED)
    return {
        "old": old.label,
        "new": new.label,
        "gateway_required_before": before_count,
        "gateway_required_after": after_count,
        "migrated": migrated,
        "still_gateway_required": left,
        "new_gateway_required": appeared,
        "removed_apps": gone,
        "now_unknown": unknown,
        "gateways_removed": [g["id"] for k, g in old.gateways.items() if k not in new.gateways],
        "gateways_added": [g["id"] for k, g in new.gateways.items() if k not in old.gateways],
    }
