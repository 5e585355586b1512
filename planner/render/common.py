"""Small helpers every renderer shares: portal links and reading ids and dates out of plan.json."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from planner.core import ids

PORTAL = "https://portal.azure.com/#@/resource"


def portal_url(resource_id: str | None, portal: str | None = None) -> str | None:
    """The Azure portal page of a resource (in the plan's cloud when given), or None without an id."""
    if not resource_id:
        return None
    base = f"{portal}/#@/resource" if portal else PORTAL
    return base + quote(str(resource_id), safe="/()-_.~!*',;=:@")


# The working-days line of the page's banner and the workbook's Summary, when the plan has no --holidays.
NO_HOLIDAYS = "no public holidays taken out (--holidays not given)"


def step_notes_text(step: Mapping[str, Any], shared: Mapping[str, Any]) -> str:
    """All of a step's notes: its own (`notes`) and the shared ones it names (`see`, keys of the plan's
    `step_notes`; plan format 2). A plan@1 step has no `see`: its `notes` already hold everything."""
    parts = [str(step["notes"])] if step.get("notes") else []
    parts += [str(shared[key]) for key in step.get("see") or () if key in shared]
    return " ".join(parts)


def expanded_evidence(plan: Mapping[str, Any], app: Mapping[str, Any]) -> list[dict[str, Any]]:
    """An app's evidence with each entry as plan@1 wrote it: a plan@2 SERVICE_ENDPOINTS entry (naming the
    VNet) becomes one entry per resource and subnet, from the VNet's entry in `vnets`."""
    vnets = {str(v.get("id") or "").lower(): v for v in plan.get("vnets") or ()}
    out: list[dict[str, Any]] = []
    for ev in app.get("evidence") or ():
        vnet = vnets.get(str(ev.get("resource_id") or "").lower())
        if ev.get("code") != "SERVICE_ENDPOINTS" or vnet is None:
            out.append(dict(ev))
        else:
            out += vnet_evidence(vnet)
    return out


def vnet_evidence(vnet: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    """A `vnets` entry's service-endpoint resources as SERVICE_ENDPOINTS evidence entries (plan@1's shape):
    one per resource and subnet it admits."""
    for resource in vnet.get("service_endpoint_resources") or ():
        for subnet, field in zip(resource.get("subnets") or (), resource.get("fields") or (), strict=False):
            yield {
                "code": "SERVICE_ENDPOINTS",
                "resource_id": resource.get("id"),
                "field": field,
                "value": subnet,
                "note": resource.get("type"),
            }


def last_segment(resource_id: Any) -> str:
    """The name at the end of an ARM id (`.../sites/web-shop` -> `web-shop`), or "" without one."""
    return ids.last_segment(str(resource_id or "")) or ""


def as_date(value: Any) -> dt.date | None:
    """An ISO date (or the date part of a timestamp), or None."""
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def subscription_labels(plan: Mapping[str, Any]) -> dict[str, str]:
    """Lower subscription id -> what to show: its name, with the id's start when names repeat."""
    return {
        str(s.get("id") or "").lower(): str(s.get("label") or s.get("name") or s.get("id") or "")
        for s in plan.get("subscriptions") or ()
    }


def subscription_label(labels: dict[str, str], subscription_id: Any, name: Any = None) -> str:
    """The label of a subscription id, else its name, else the id itself."""
    key = str(subscription_id or "").lower()
    return labels.get(key) or str(name or subscription_id or "")


def completeness_lines(plan: Mapping[str, Any]) -> list[str]:
    """Which inventory files hold only part of their result, and how to fetch the rest (empty when complete)."""
    gaps = [g for g in (plan.get("inventory") or {}).get("incomplete") or () if isinstance(g, Mapping)]
    if not gaps:
        return []
    files = sorted({str(f) for g in gaps for f in g.get("files") or ()})
    lines = [
        f"INCOMPLETE INVENTORY: {len(files)} file(s) or data set(s) hold only part of their result. Verdicts that "
        "rest on what they would add are unknown, and no gateway is marked for deletion until they are complete."
    ]
    for gap in gaps:
        types = ", ".join(gap.get("types") or ()) or "resources of any type"
        lines.append(
            f"Incomplete: {', '.join(gap.get('files') or ())}: {gap.get('reason')}, so {types} may be missing. "
            f"To complete it: {gap.get('remedy')}."
        )
    return lines


def governance_lines(plan: Mapping[str, Any], *, completeness: bool = True) -> list[str]:
    """Completeness, scope, suppressions and burndown since a previous plan, as plain sentences (empty when unused).

    `completeness=False` leaves out `completeness_lines`, for a renderer that shows them on their own.
    """
    lines = completeness_lines(plan) if completeness else []
    summary = plan.get("summary") or {}
    scope = summary.get("scope") or {}
    filters = [f"--include {t}" for t in scope.get("include") or ()] + [
        f"--exclude {t}" for t in scope.get("exclude") or ()
    ]
    if filters:
        lines.append(
            f"Scope: {' '.join(filters)}. Left out: {scope.get('apps_out_of_scope', 0)} apps and slots, "
            f"{scope.get('gateways_out_of_scope', 0)} gateways."
        )
    sup = summary.get("suppressions") or {}
    if sup.get("entries"):
        lines.append(
            f"Suppressions: {sup['active']} active, {sup['expired']} expired (they no longer count), "
            f"{sup['unmatched']} matching nothing; accepted codes on {sup['apps_suppressed']} app(s), "
            "each shown with its reason."
        )
    prev = plan.get("previous")
    if prev:
        currency = prev.get("currency") or ""
        since = prev.get("old_as_of") or prev.get("old")
        line = (
            f"Progress since {since}: {len(prev['migrated'])} migrated, {len(prev['new_gateway_required'])} newly "
            f"found, {prev['still_gateway_required_count']} left (gateway-required "
            f"{prev['gateway_required_before']} -> {prev['gateway_required_after']})"
        )
        unplugged = prev.get("integration_removed") or []  # absent from an older plan's `previous`
        if unplugged:
            line += f"; {len(unplugged)} with no VNet integration now (removed, not replaced: check each needs none)"
        deleted, freed = prev.get("gateways_deleted") or [], prev.get("gateways_freed") or []
        if deleted:
            line += (
                f"; gateways deleted {len(deleted)} (saving {prev['savings_realised_monthly']:,.2f} "
                f"{currency}/month)"
            )
        if freed:
            line += f"; gateways no app uses any more, not deleted yet: {len(freed)}"
        lines.append(line + ".")
    return lines


def legend(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every code once, in one kind: the rules' codes (counted in apps), then the gateway uses (counted
    in gateways), from plan.json's `codes` and `gateway_uses` (older plans kept uses in `codes`)."""
    summary = plan.get("summary") or {}
    counts: dict[str, Any] = {}
    for key in ("limitations", "blockers", "findings"):
        counts.update(summary.get(key) or {})
    unknown = summary.get("unknown") or {}
    codes = plan.get("codes") or {}
    uses = plan.get("gateway_uses") or {c: i for c, i in codes.items() if i.get("kind") == "gateway-use"}
    gateways: dict[str, int] = {}
    for gateway in plan.get("gateways") or ():
        for code in set(gateway.get("other_uses") or ()) | set(gateway.get("other_uses_weak") or ()):
            gateways[code] = gateways.get(code, 0) + 1
    rows = [
        {"code": code, **info, "apps": counts.get(code, 0), "unknown": unknown.get(code, 0), "gateways": None}
        for code, info in codes.items()
        if info.get("kind") != "gateway-use"
    ]
    rows += [
        {
            "code": code,
            **info,
            "kind": "gateway-use",
            "apps": None,
            "unknown": None,
            "gateways": gateways.get(code, 0),
        }
        for code, info in uses.items()
    ]
    return rows


def inventory_label(plan: Mapping[str, Any]) -> str:
    """`contoso (tenant c0e1..., scanned 2026-11-29 08:16 UTC)`: the inventory's name, never a local path."""
    inventory = plan.get("inventory") or {}
    name = (
        str(inventory.get("name") or "").strip()
        or (str(inventory.get("path") or "").rstrip("/\\").rsplit("/", 1)[-1])
    )
    details = []
    if inventory.get("tenant_id"):
        details.append(f"tenant {inventory['tenant_id']}")
    scanned = str(inventory.get("scanned_at") or "")
    if scanned:
        details.append(
            f"scanned {scanned[:10]} {scanned[11:16]} UTC".rstrip(" UTC")
            + (" UTC" if len(scanned) > 11 else "")
        )
    return (name or "inventory") + (f" ({', '.join(details)})" if details else "")
