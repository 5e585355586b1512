"""Row sources: one generator per table sheet, reading the plan and its schedule view."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from planner.render.bicep import deploy_text
from planner.render.common import as_date as _date
from planner.render.common import last_segment as _last
from planner.render.common import legend, portal_url, subscription_label, vnet_evidence
from planner.render.excel.spec import (
    STEPS_SHEET_MAX_ROWS,
    Lookups,
    Plan,
    Row,
    joined,
    tags_text,
    yes_no,
)
from planner.render.schedule import Wave

# Row sources


def _gateway_required(plan: Plan) -> Iterator[Mapping[str, Any]]:
    return (a for a in plan.get("apps") or () if a.get("integration") == "gateway-required")


def app_rows(lk: Lookups) -> Iterator[Row]:
    portal = lk.portal
    for app in _gateway_required(lk.plan):
        target = app.get("target") or {}
        strategy = app.get("strategy") or {}
        sub_id = app.get("subscription_id") or ""
        yield {
            "app": app.get("site_name") or app.get("name"),
            "slot": app.get("slot") or "",
            "readiness": app.get("readiness"),
            "wave": app.get("wave"),
            "subscription": subscription_label(lk.sub_labels, sub_id, app.get("subscription_name")),
            "subscription_id": sub_id,
            "resource_group": app.get("resource_group"),
            "kind": app.get("kind"),
            "plan": app.get("plan_name") or _last(app.get("plan_id")),
            "sku": app.get("plan_sku"),
            "os": app.get("os"),
            "location": app.get("location"),
            "vnet": _last(app.get("vnet_id")),
            "gateway": lk.gateway_name(app.get("gateway_id")) if app.get("gateway_id") else "",
            "limitations": _titled(lk, app.get("limitations")),
            "blockers": _titled(lk, app.get("blockers")),
            "findings": _titled(lk, app.get("findings")),
            "unknown": joined(u.get("code") for u in app.get("unknown") or ()),
            "suppressed": joined(
                f"{x.get('code')} ({'EXPIRED' if x.get('expired') else 'until'} {x.get('expires_on')}): "
                f"{x.get('reason')}"
                for x in app.get("suppressed") or ()
            ),
            "strategy": strategy.get("name"),
            "target_vnet": target.get("vnet_name") or _last(target.get("vnet_id")),
            "target_subnet": target.get("subnet_name"),
            "prefix": target.get("prefix"),
            "new_subnet": yes_no(target.get("new_subnet")) if target else "",
            "tags": tags_text(app.get("tags")),
            "portal": "Open in portal",
            "portal_url": portal_url(app.get("id"), portal),
            "id": app.get("id"),
            "due": lk.wave_end(app.get("wave")),
        }


def _titled(lk: Lookups, codes: Any) -> str:
    """Codes in words for the customer, each with its code beside it: `Classic VNet (CLASSIC_VNET)`."""
    return "; ".join(f"{title} ({c})" if (title := lk.code_title(c)) else str(c) for c in codes or ())


def step_rows(lk: Lookups) -> Iterator[Row]:
    """Steps of every app and gateway, wave by wave (unscheduled ones last), in the order they run;
    past STEPS_SHEET_MAX_ROWS steps, the first waves only (`_steps_shown`)."""
    for wave, owners in _steps_shown(lk):
        for owner in owners:
            kind = "gateway" if owner in wave.gateways else ("slot" if owner.get("slot") else "app")
            sub_id = str(owner.get("subscription_id") or "")
            for step in owner.get("steps") or ():
                commands = joined(step.get("commands"), "\n")
                yield {
                    "wave": wave.number,
                    "target": owner.get("name") or _last(owner.get("id")),
                    "kind": kind,
                    "subscription": subscription_label(lk.sub_labels, sub_id, owner.get("subscription_name")),
                    "resource_group": owner.get("resource_group"),
                    "order": step.get("order"),
                    "phase": step.get("phase"),
                    "title": step.get("title"),
                    "commands": commands,
                    "bicep": deploy_text(step),
                    "validation": step.get("validation"),
                    "rollback": step.get("rollback"),
                    "due": wave.end,
                }


def _steps_shown(lk: Lookups) -> list[tuple[Wave, Iterable[Mapping[str, Any]]]]:
    """The waves (and their apps and gateways) whose steps the Steps sheet lists: every wave while
    all steps fit in STEPS_SHEET_MAX_ROWS, else whole waves from the first while they fit (or, if the
    first wave alone is longer, its first apps, each with all its steps), with a note on Summary."""
    budget = STEPS_SHEET_MAX_ROWS
    waves = lk.schedule.waves
    counts = [wave.steps for wave in waves]
    total = sum(counts)
    if total <= budget:
        return [(wave, wave.owners()) for wave in waves]
    shown: list[tuple[Wave, Iterable[Mapping[str, Any]]]] = []
    used = 0
    for wave, count in zip(waves, counts, strict=True):
        if used + count > budget:
            break
        shown.append((wave, wave.owners()))
        used += count
    if shown:
        last = shown[-1][0]
        what = (
            f"wave {_wave_label(waves[0])}"
            if len(shown) == 1
            else f"waves {_wave_label(waves[0])} to {_wave_label(last)}"
        )
    else:
        first = waves[0]
        owners = []
        for owner in first.owners():
            count = len(owner.get("steps") or ())
            if used + count > budget:
                break
            owners.append(owner)
            used += count
        shown.append((first, owners))
        what = f"the first {len(owners):,} of {len(first.apps) + len(first.gateways):,} apps and gateways of wave {_wave_label(first)}"
    lk.notes.append(
        f"Sheet Steps: the {used:,} steps of {what}, of {total:,} steps in {len(waves)} waves (a longer sheet "
        "is too slow to open and filter). Every step is in runbook.html, the wave scripts "
        "(--format scripts) and plan.json; a plan made later lists the next waves."
    )
    return shown


def _wave_label(wave: Wave) -> str:
    return "(not scheduled)" if wave.number is None else str(wave.number)


def gateway_rows(lk: Lookups) -> Iterator[Row]:
    for gw in lk.plan.get("gateways") or ():
        dependents = gw.get("dependents") or ()
        sub_id = str(gw.get("subscription_id") or "")
        yield {
            "name": gw.get("name") or _last(gw.get("id")),
            "decommission": gw.get("decommission") or ("yes" if gw.get("decommissionable") else "no"),
            "reason": gw.get("decommission_reason"),
            "subscription": subscription_label(lk.sub_labels, sub_id),
            "resource_group": gw.get("resource_group"),
            "location": gw.get("location"),
            "sku": gw.get("sku"),
            "vnet": _last(gw.get("vnet_id")),
            "dependents_count": len(dependents),
            "dependents": joined(lk.app_name(d) for d in dependents),
            "other_uses": joined(gw.get("other_uses")),
            "other_uses_weak": joined(gw.get("other_uses_weak")),
            "p2s_pools": joined(gw.get("p2s_pools")),
            "p2s_protocols": joined(gw.get("p2s_protocols")),
            "monthly_cost": gw.get("monthly_cost"),
            "monthly_savings": gw.get("monthly_savings"),
            "potential": gw.get("potential_monthly_savings"),
            "removal_wave": gw.get("removal_wave"),
            "portal": "Open in portal",
            "portal_url": portal_url(gw.get("id"), lk.portal),
            "due": lk.wave_end(gw.get("removal_wave")),
        }


def subnet_rows(lk: Lookups) -> Iterator[Row]:
    for sn in lk.plan.get("subnets") or ():
        app_ids = sn.get("app_ids") or ()
        yield {
            "vnet": sn.get("vnet_name") or _last(sn.get("vnet_id")),
            "name": sn.get("name"),
            "prefix": sn.get("prefix"),
            "new_subnet": yes_no(sn.get("new_subnet")),
            "new_vnet": yes_no(sn.get("new_vnet")),
            "address_space_addition": sn.get("address_space_addition"),
            "addresses_needed": sn.get("addresses_needed"),
            "plans": joined(lk.plan_name(p) for p in sn.get("plan_ids") or ()),
            "apps_count": len(app_ids),
            "apps": joined(lk.app_name(a) for a in app_ids),
            "vnet_url": portal_url(sn.get("vnet_id"), lk.portal),
            "notes": joined(sn.get("notes"), "\n"),
        }


def evidence_rows(lk: Lookups) -> Iterator[Row]:
    codes = lk.plan.get("codes") or {}  # an app's code is a rule's (gateway uses are listed per gateway)
    url = _portal_urls(lk.portal)
    for app in _gateway_required(lk.plan):
        name = app.get("name")
        for ev in app.get("evidence") or ():
            code = ev.get("code")
            yield {
                "code": code,
                "verdict": (codes.get(code) or {}).get("kind", ""),
                "subject": name,
                "subject_kind": "slot" if app.get("slot") else "app",
                "resource": ev.get("resource_id"),
                "resource_url": url(ev.get("resource_id")),
                "field": ev.get("field"),
                "value": _evidence_value(ev.get("value")),
                "strength": ev.get("strength", ""),
                "note": ev.get("note") or "",
            }
        for unknown in app.get("unknown") or ():
            yield {
                "code": unknown.get("code"),
                "verdict": "unknown",
                "subject": name,
                "subject_kind": "slot" if app.get("slot") else "app",
                "resource": app.get("id"),
                "resource_url": url(app.get("id")),
                "field": "",
                "value": unknown.get("reason"),
                "strength": "",
            }
    # plan format 2: SERVICE_ENDPOINTS's resources once per VNet (each app's row above names its VNet).
    for vnet in lk.plan.get("vnets") or ():
        for ev in vnet_evidence(vnet):
            yield {
                "code": ev["code"],
                "verdict": (codes.get("SERVICE_ENDPOINTS") or {}).get("kind", ""),
                "subject": vnet.get("name") or _last(vnet.get("id")),
                "subject_kind": "VNet",
                "resource": ev["resource_id"],
                "resource_url": portal_url(ev["resource_id"], lk.portal),
                "field": ev["field"],
                "value": ev["value"],
                "strength": "",
                "note": ev["note"] or "",
            }
    for gw in lk.plan.get("gateways") or ():
        for ev in gw.get("evidence") or ():
            yield {
                "code": ev.get("code"),
                "verdict": "gateway use",
                "subject": gw.get("name") or _last(gw.get("id")),
                "subject_kind": "gateway",
                "resource": ev.get("resource_id"),
                "resource_url": url(ev.get("resource_id")),
                "field": ev.get("field"),
                "value": _evidence_value(ev.get("value")),
                "strength": ev.get("strength", ""),
                "note": ev.get("note") or "",
            }


def _portal_urls(portal: str | None) -> Callable[[Any], str | None]:
    """`portal_url` remembering its latest answers: many evidence rows name the same resource (a VNet,
    a storage account, a gateway)."""
    cached = functools.lru_cache(maxsize=16_384)(functools.partial(portal_url, portal=portal))

    def url(resource_id: Any) -> str | None:
        return cached(resource_id) if type(resource_id) is str else portal_url(resource_id, portal)

    return url


def _evidence_value(value: Any) -> Any:
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def code_rows(lk: Lookups) -> Iterator[Row]:
    for entry in legend(lk.plan):
        doc = str(entry.get("doc") or "")
        yield {
            "code": entry["code"],
            "kind": entry.get("kind"),
            "title": entry.get("title"),
            "meaning": entry.get("meaning"),
            "fix": entry.get("fix"),
            "apps": entry.get("apps"),
            "unknown": entry.get("unknown"),
            "gateways": entry.get("gateways"),
            "doc": doc,
            "doc_url": entry.get("learn_url") or (doc if doc.startswith(("https://", "http://")) else None),
        }


def preparation_rows(lk: Lookups) -> Iterator[Row]:
    """One row per preparation task of a blocked app, in wave order."""
    for wave in lk.schedule.waves:
        for app in wave.apps:
            for task in app.get("preparation") or ():
                yield {
                    "app": app.get("name") or _last(app.get("id")),
                    "wave": task.get("wave", wave.number),
                    "wave_start": wave.start,
                    "code": task.get("code"),
                    "title": task.get("title"),
                    "lead_days": task.get("lead_days"),
                    "start_by": _date(task.get("start_by")),
                    "ready_by": _date(task.get("ready_by")),
                    "needed_by": _date(task.get("needed_by")),
                    "subscription": subscription_label(
                        lk.sub_labels, app.get("subscription_id"), app.get("subscription_name")
                    ),
                    "resource_group": app.get("resource_group"),
                    "due": _date(task.get("needed_by")),
                }


# What the workbook's words mean (Legend sheet); the codes themselves are on the Codes sheet.
LEGEND: tuple[tuple[str, str, str], ...] = (
    ("Readiness", "Ready", "Nothing stands in the way: the app moves as its steps say."),
    (
        "Readiness",
        "Needs work",
        "Something must be done first or with the move (for example service endpoint rules, Key Vault access); the steps include it.",
    ),
    (
        "Readiness",
        "Blocked",
        "A blocker must be solved first (another region, a classic VNet, no address space, the plan's tier); the Preparation sheet says what and by when.",
    ),
    (
        "Strategy",
        "direct",
        "A planned window: disconnect the gateway-required connection, connect the subnet; typically 2-5 minutes without VNet access and a restart.",
    ),
    (
        "Strategy",
        "slot-first",
        "The staging slot moves first and is tested; then production moves in a short window and a swap promotes the tested build.",
    ),
    (
        "Strategy",
        "blue-green",
        "A new App Service plan and app integrated from the start; traffic is switched when it works, without an outage.",
    ),
    (
        "Strategy",
        "needs-peering",
        "The app's VNet is in another region: a VNet in the app's region is created and peered with the old one first.",
    ),
    ("Phase", "pre-check", "Read-only checks before anything changes."),
    (
        "Phase",
        "prepare",
        "Work that changes nothing the app uses yet (recording the current state, approvals).",
    ),
    (
        "Phase",
        "network",
        "VNet, subnet, delegation, address space, peering, service endpoint and vault rules.",
    ),
    (
        "Phase",
        "firewall",
        "Rules outside the app that admit the old point-to-site range must admit the new subnet.",
    ),
    ("Phase", "build", "Blue-green: the new plan and app are created and deployed."),
    ("Phase", "cutover", "The switch from gateway-required to regional integration (the window)."),
    ("Phase", "switch", "Blue-green: traffic moves to the new app."),
    ("Phase", "configure", "Routing and DNS settings of the integrated app."),
    ("Phase", "verify", "Checks that the app reaches what it needs through the new subnet."),
    ("Phase", "rollback", "How to go back; not run unless needed."),
    ("Phase", "retire", "Blue-green: the old app and plan are removed when the new one has run well."),
    (
        "Phase",
        "clean-up",
        "Gateway: App Service's certificates and, when no one else uses it, point-to-site are removed.",
    ),
    ("Phase", "decommission", "Gateway: deleted with its public addresses, once nothing uses it."),
    ("Phase", "keep", "Gateway: stays, because something else uses it."),
    (
        "Gateway decision",
        "Delete",
        "No app or other use is left: delete it after its clean-up wave (saves its monthly cost).",
    ),
    (
        "Gateway decision",
        "Verify first",
        "Signals too weak to decide, or apps that could not be read: check before deleting.",
    ),
    (
        "Gateway decision",
        "Keep",
        "Something else uses it (site-to-site VPN, ExpressRoute, other point-to-site users, transit).",
    ),
    (
        "Status",
        "Not started / In progress / Done / Won't do",
        "Your tracking: set Status on Apps, Preparation and Steps; Summary counts Done.",
    ),
)


def legend_rows(lk: Lookups) -> Iterator[Row]:
    for group, term, meaning in LEGEND:
        yield {"group": group, "term": term, "meaning": meaning}
