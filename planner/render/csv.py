"""apps.csv and gateways.csv for governance pipelines: one row per app/slot and per gateway.

Values are written as in plan.json (lists joined with ';', tags as JSON), so a pipeline can join
them with other data; the Excel workbook is the file for people. One exception keeps a CSV opened
in a spreadsheet safe (OWASP "CSV injection"): a text starting with = + - @ tab or CR gets a leading
single quote, so it is read as text, never as a formula (docs/plan-format.md).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Row = dict[str, Any]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: Any) -> Any:
    """A cell value a spreadsheet cannot run: formula-like text gets a leading single quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


APP_COLUMNS: list[tuple[str, Callable[[Row], Any]]] = [
    ("id", lambda a: a["id"]),
    ("name", lambda a: a["name"]),
    ("slot", lambda a: a["slot"]),
    ("subscription_id", lambda a: a["subscription_id"]),
    ("subscription_name", lambda a: a["subscription_name"]),
    ("resource_group", lambda a: a["resource_group"]),
    ("location", lambda a: a["location"]),
    ("kind", lambda a: a["kind"]),
    ("os", lambda a: a["os"]),
    ("container", lambda a: a["container"]),
    ("plan_id", lambda a: a["plan_id"]),
    ("plan_sku", lambda a: a["plan_sku"]),
    ("integration", lambda a: a["integration"]),
    ("vnet_id", lambda a: a["vnet_id"]),
    ("gateway_id", lambda a: a["gateway_id"]),
    ("limitations", lambda a: ";".join(a["limitations"])),
    ("blockers", lambda a: ";".join(a["blockers"])),
    ("findings", lambda a: ";".join(a["findings"])),
    ("unknown", lambda a: ";".join(u["code"] for u in a["unknown"])),
    ("readiness", lambda a: a["readiness"]),
    ("readiness_open", lambda a: a.get("readiness_open")),
    ("suppressed", lambda a: ";".join(_suppression(x) for x in a.get("suppressed") or ())),
    ("wave", lambda a: a["wave"]),
    ("strategy", lambda a: (a.get("strategy") or {}).get("name")),
    ("target_vnet_id", lambda a: (a["target"] or {}).get("vnet_id")),
    ("target_subnet", lambda a: (a["target"] or {}).get("subnet_name")),
    ("target_prefix", lambda a: (a["target"] or {}).get("prefix")),
    ("target_new_subnet", lambda a: (a["target"] or {}).get("new_subnet")),
    ("target_new_vnet", lambda a: (a["target"] or {}).get("new_vnet")),
    ("steps", lambda a: len(a["steps"])),
    ("tags", lambda a: json.dumps(a["tags"], ensure_ascii=False, sort_keys=True) if a["tags"] else ""),
    # Added with the working-day schedule (readers by column name are unaffected; new columns go last).
    ("preparation", lambda a: ";".join(f"{p['code']}:{p['lead_days']}" for p in a.get("preparation") or ())),
    (
        "preparation_start_by",
        lambda a: min((p["start_by"] for p in a.get("preparation") or ()), default=None),
    ),
]


def _suppression(item: Row) -> str:
    state = "expired" if item["expired"] else "until"
    return f"{item['code']} ({state} {item['expires_on']}): {item['reason']}"


GATEWAY_COLUMNS: list[tuple[str, Callable[[Row], Any]]] = [
    ("id", lambda g: g["id"]),
    ("name", lambda g: g["name"]),
    ("sku", lambda g: g["sku"]),
    ("subscription_id", lambda g: g["subscription_id"]),
    ("subscription_name", lambda g: g.get("subscription_name")),
    ("resource_group", lambda g: g["resource_group"]),
    ("location", lambda g: g["location"]),
    ("vnet_id", lambda g: g["vnet_id"]),
    ("p2s_pools", lambda g: ";".join(g["p2s_pools"])),
    ("dependents", lambda g: len(g["dependents"])),
    ("dependents_out_of_scope", lambda g: len(g.get("dependents_out_of_scope") or ())),
    ("other_uses", lambda g: ";".join(g["other_uses"])),
    ("other_uses_weak", lambda g: ";".join(g["other_uses_weak"])),
    ("decommission", lambda g: g["decommission"]),
    ("decommissionable", lambda g: g["decommissionable"]),
    ("decommission_reason", lambda g: g["decommission_reason"]),
    ("monthly_cost", lambda g: g["monthly_cost"]),
    ("monthly_savings", lambda g: g["monthly_savings"]),
    ("removal_wave", lambda g: g.get("removal_wave")),
    ("waits_for", lambda g: ";".join(g.get("waits_for") or ())),
]


def _write(path: Path, rows: list[Row], columns: list[tuple[str, Callable[[Row], Any]]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([name for name, _ in columns])
        for row in rows:
            writer.writerow(["" if (v := get(row)) is None else as_text(v) for _, get in columns])


def write_apps_csv(plan: dict[str, Any], path: Path) -> None:
    """One row per app and slot (every integration kind; filter on `integration`)."""
    _write(path, plan["apps"], APP_COLUMNS)


def write_gateways_csv(plan: dict[str, Any], path: Path) -> None:
    """One row per VPN gateway that gateway-required apps depend on."""
    _write(path, plan["gateways"], GATEWAY_COLUMNS)
