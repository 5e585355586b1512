"""HTML renderer: the plan dict as one self-contained runbook page (`runbook.html`).

The page has everything inlined (CSS, script, data, SVG charts): no CDN, no web fonts, and a
Content-Security-Policy that lets it make no request at all. Small parts (banner, tiles, charts,
gateways, code legend) are rendered here with jinja2 (autoescape on); the apps and their steps
travel as JSON in a `<script type="application/json">` block and are drawn by the page's script
lazily, so 10,000 apps stay quick. Reads only the plan dict (docs/plan-format.md).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

import orjson
from jinja2 import Environment, StrictUndefined, Template
from markupsafe import Markup

from planner.core.files import replacing
from planner.render.bicep import deploy_text
from planner.render.common import (
    NO_HOLIDAYS,
    governance_lines,
    inventory_label,
    legend,
    portal_url,
    subscription_label,
    subscription_labels,
)
from planner.render.common import as_date as _date
from planner.render.common import last_segment as _last
from planner.render.schedule import Schedule, Wave, schedule_of

_DATA_MARK = "\x00plan-data\x00"  # where the streamed JSON goes in the rendered template
LEARN_MIGRATE = "https://learn.microsoft.com/azure/app-service/migrate-gateway-based-vnet-integration"
LEARN_REGIONAL = "https://learn.microsoft.com/azure/app-service/overview-vnet-integration"
READINESS = (("ready", "Ready"), ("needs-work", "Needs work"), ("blocked", "Blocked"))
DECISION_LABEL = {"yes": "Delete", "no": "Keep", "verify": "Verify first"}
KIND_LABEL = {
    "limitation": "Limitation",
    "blocker": "Blocker",
    "finding": "Finding",
    "unknown": "Not decided",
}

# Characters that must not appear raw inside a <script> element: `<` (could close it or open a
# comment), `>` and `&` (for good measure), and U+2028/U+2029 (line terminators in old JS parsers).
_SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def json_for_script(data: Any) -> str:
    """JSON text safe to place inside `<script type="application/json">` (JSON.parse reads it back)."""
    # orjson: the same compact JSON (UTF-8, no spaces) in a sixth of the time, on 46,000 apps' steps.
    text = orjson.dumps(data, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
    for raw, escaped in _SCRIPT_ESCAPES.items():
        text = text.replace(raw, escaped)
    return text


def _day(value: Any) -> str:
    """`2026-12-07` as `7 Dec 2026`; text that is not a date as it is."""
    day = _date(value)
    return f"{day.day} {day:%b %Y}" if day else str(value or "")


def _span(start: Any, end: Any) -> str:
    """`7–11 Dec 2026`, `28 Dec 2026 – 8 Jan 2027`."""
    first, last = _date(start), _date(end)
    if not first or not last:
        return " – ".join(x for x in (_day(start), _day(end)) if x)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {last:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{_day(first.isoformat())} – {_day(last.isoformat())}"


def _when(value: Any) -> str:
    """`2026-11-29T09:00:00+00:00` as `29 Nov 2026 09:00 UTC`; other text as it is."""
    text = str(value or "")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    zone = "UTC" if moment.utcoffset() == dt.timedelta(0) else moment.strftime("%z")
    return f"{moment.day} {moment:%b %Y %H:%M} {zone}".strip()


def _money(value: Any, currency: str) -> str:
    try:
        amount = float(value or 0)
    except (TypeError, ValueError):
        return str(value)
    return f"{amount:,.2f} {currency}".strip()


@dataclass(frozen=True)
class PageScope:
    """What one page shows. The default is the whole plan on one page; a runbook site
    (planner/render/site.py) makes an index (`role="index"`: no app cards, a table of the pages) and a
    page per subscription (`role="page"`: only its apps and gateways)."""

    role: str = "single"  # "single", "index" or "page"
    title: str = ""  # what the page covers ("Contoso Production, part 2 of 9")
    apps: tuple[Mapping[str, Any], ...] | None = None  # the gateway-required apps drawn (None: all)
    gateways: tuple[Mapping[str, Any], ...] | None = None  # the gateways whose cards are here (None: all)
    home: str = ""  # link from a page back to the index
    gateway_links: Mapping[str, str] = field(
        default_factory=dict
    )  # index: gateway id -> page holding its steps
    pages: tuple[Mapping[str, Any], ...] = ()  # index: one row per page (see site.py)
    site: Mapping[str, Any] | None = None  # what the script needs to share progress across pages
    # Made once for a whole site (planner/render/site.py), so a page costs its own apps, not the plan's:
    page_schedule: Schedule | None = None  # this page's part of the schedule
    movers: int | None = None  # gateway-required apps in the whole plan


# --------------------------------------------------------------------------------------------------
# The data the page's script draws from


def _steps(steps: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {
            "o": step.get("order"),
            "ph": step.get("phase") or "",
            "t": step.get("title") or "",
            "cmd": [str(c) for c in step.get("commands") or ()],
            "bicep": deploy_text(step),
            "v": step.get("validation") or "",
            "rb": step.get("rollback") or "",
            "n": step.get("notes") or "",
            "see": list(step.get("see") or ()),  # keys of the page's `notes` (plan format 2)
        }
        for step in steps or ()
    ]


def _app_view(
    app: Mapping[str, Any], gateway_names: Mapping[str, str], labels: dict[str, str]
) -> dict[str, Any]:
    target = app.get("target") or {}
    strategy = app.get("strategy") or {}
    return {
        "id": app.get("id") or "",
        "name": app.get("name") or _last(app.get("id")),
        "site": app.get("site_name") or app.get("name") or "",
        "slot": app.get("slot") or "",
        "sub": subscription_label(labels, app.get("subscription_id"), app.get("subscription_name")),
        "subId": app.get("subscription_id") or "",
        "rg": app.get("resource_group") or "",
        "loc": app.get("location") or "",
        "os": app.get("os") or "",
        "kind": app.get("kind") or "",
        "plan": app.get("plan_name") or _last(app.get("plan_id")),
        "sku": app.get("plan_sku") or "",
        "ready": app.get("readiness") or "",
        "wave": app.get("wave"),
        "vnet": _last(app.get("vnet_id")),
        "gw": gateway_names.get(str(app.get("gateway_id") or "").lower()) or _last(app.get("gateway_id")),
        "lim": list(app.get("limitations") or ()),
        "blk": list(app.get("blockers") or ()),
        "fnd": list(app.get("findings") or ()),
        "unk": [
            {"code": u.get("code") or "", "reason": u.get("reason") or ""} for u in app.get("unknown") or ()
        ],
        "strat": {"name": strategy.get("name") or "", "reason": strategy.get("reason") or ""},
        "tgt": {
            "vnet": target.get("vnet_name") or _last(target.get("vnet_id")),
            "subnet": target.get("subnet_name") or "",
            "prefix": target.get("prefix") or "",
            "newSubnet": bool(target.get("new_subnet")),
            "newVnet": bool(target.get("new_vnet")),
            "vnetPrefix": target.get("vnet_prefix") or "",
            "peerWith": _last(target.get("peer_with")) if target.get("peer_with") else "",
            "addition": target.get("address_space_addition") or "",
            "notes": [str(n) for n in target.get("notes") or ()],
        }
        if target
        else None,
        "tags": "; ".join(f"{k}={v}" for k, v in sorted((app.get("tags") or {}).items())),
        "steps": _steps(app.get("steps")),
        "prep": [
            {
                "code": str(p.get("code") or ""),
                "title": str(p.get("title") or ""),
                "days": p.get("lead_days"),
                "startBy": str(p.get("start_by") or ""),
                "doneBy": str(p.get("needed_by") or ""),
            }
            for p in app.get("preparation") or ()
        ],
        "sup": [
            {
                "code": str(x.get("code") or ""),
                "reason": str(x.get("reason") or ""),
                "until": str(x.get("expires_on") or ""),
                "expired": bool(x.get("expired")),
            }
            for x in app.get("suppressed") or ()
        ],
    }


def _write_page_data(
    out: TextIO,
    plan: Mapping[str, Any],
    apps: list[Mapping[str, Any]],
    schedule: Schedule,
    gateways: list[Mapping[str, Any]] | None = None,
    site: Mapping[str, Any] | None = None,
) -> None:
    """The JSON the page's script reads, written app by app so a large plan is never one big string."""
    gateway_names = schedule.gateway_names
    gateways = _gateways(plan) if gateways is None else gateways
    labels = subscription_labels(plan)
    codes = {
        code: {k: str(info.get(k) or "") for k in ("kind", "title", "meaning", "fix")}
        for code, info in (plan.get("codes") or {}).items()
    }
    head = {
        "asOf": plan.get("as_of") or str(plan.get("generated_at") or "")[:10],
        "retirement": plan.get("retirement_date") or "",
        "codes": codes,
        "notes": dict(plan.get("step_notes") or {}),  # shared step notes, once per page
        "waves": [
            {
                "n": wave.number,
                "name": wave.name,
                "start": wave.start.isoformat() if wave.start else "",
                "end": wave.end.isoformat() if wave.end else "",
                "apps": len(wave.apps),
                "blocked": wave.readiness.get("blocked", 0),
                "gateways": len(wave.gateways),
                "waits": any(
                    bool(w.get("waits_for_preparation"))
                    for w in plan.get("waves") or ()
                    if w.get("number") == wave.number
                ),
            }
            for wave in schedule.scheduled
        ],
        "gateways": [
            {
                "id": gw.get("id") or "",
                "name": gw.get("name") or _last(gw.get("id")),
                "wave": gw.get("removal_wave"),
                "decision": gw.get("decommission") or ("yes" if gw.get("decommissionable") else "no"),
                "steps": _steps(gw.get("steps")),
            }
            for gw in gateways
        ],
    }
    if site is not None:
        head["site"] = site
    out.write(json_for_script(head)[:-1] + ',"apps":[')
    for i, app in enumerate(apps):
        out.write(("," if i else "") + json_for_script(_app_view(app, gateway_names, labels)))
    out.write("]}")


def _movement(plan: Mapping[str, Any], limit: int = 200) -> list[dict[str, Any]]:
    """Since the previous plan: which apps moved, appeared, went, and which gateways were deleted."""
    previous = plan.get("previous") or {}
    groups = (
        ("migrated", "Migrated to regional integration"),
        ("integration_removed", "No VNet integration now: removed, not replaced (check each needs none)"),
        ("new_gateway_required", "Newly found on gateway-required integration"),
        ("removed_apps", "Gone (deleted, or no longer scanned)"),
        ("now_unknown", "Now unknown (not read this time)"),
        ("gateways_deleted", "VPN gateways deleted"),
        ("gateways_freed", "VPN gateways no app uses any more, not deleted yet"),
    )
    out = []
    for key, title in groups:
        names = [str(item.get("name") or _last(item.get("id"))) for item in previous.get(key) or ()]
        if names:
            out.append(
                {"title": title, "count": len(names), "names": names[:limit], "more": len(names) - limit}
            )
    return out


def _gateways(plan: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(plan.get("gateways") or ())


# --------------------------------------------------------------------------------------------------
# Server-rendered parts


def _banner(plan: Mapping[str, Any]) -> dict[str, Any]:
    days = plan.get("days_left")
    if not isinstance(days, int):
        days = (plan.get("summary") or {}).get("days_left")
    schedule = plan.get("schedule") or {}
    level = "ok"
    if isinstance(days, int):
        level = "late" if days < 90 else "soon" if days < 180 else "ok"
    if schedule.get("past_deadline"):
        level = "late"
    if schedule.get("late"):
        level = "late"
    calendar = schedule.get("calendar") or {}
    prep = schedule.get("preparation") or {}
    freezes = [f"{_day(f.get('from'))} – {_day(f.get('to'))}" for f in calendar.get("freezes") or ()]
    return {
        "days": days,
        "level": level,
        "retirement": _day(plan.get("retirement_date")),
        "as_of": _day(plan.get("as_of") or str(plan.get("generated_at") or "")[:10]),
        "schedule": _span(schedule.get("start"), schedule.get("end")) if schedule else "",
        "past_deadline": bool(schedule.get("past_deadline")),
        "late": str(schedule.get("advice") or "the schedule ends within the buffer")
        if schedule.get("late")
        else "",
        "calendar": ", ".join(
            [" ".join(str(d)[:3] for d in calendar.get("workdays") or ())]
            + [f"public holidays of {calendar['holidays']}" if calendar.get("holidays") else NO_HOLIDAYS]
            + ([f"change freeze {f}" for f in freezes])
        )
        if calendar
        else "",
        "preparation": (
            f"{prep['tasks']} preparation task(s) for {prep.get('apps')} blocked app(s) must be done before their "
            f"waves; the first must start by {_day(prep.get('first_start_by'))}."
        )
        if prep.get("tasks")
        else "",
    }


def _waves(schedule: Schedule) -> list[dict[str, Any]]:
    """Wave sections in order, with their readiness mix and gateways; unscheduled work last."""
    return [
        {
            **_wave_view(
                wave.number, wave, wave.readiness, [schedule.gateway_name(g.get("id")) for g in wave.gateways]
            ),
            "steps": (steps := wave.steps),
            "progress_max": max(steps, 1),
        }
        for wave in schedule.waves
    ]


def _wave_view(number: Any, wave: Wave, mix: Mapping[str, int], gateways: list[str]) -> dict[str, Any]:
    apps = sum(mix.values())
    parts = [f"{mix[key]} {label.lower()}" for key, label in READINESS if mix.get(key)]
    unscheduled = "apps without a wave" if apps else "gateway work without a wave"
    name = wave.short_name  # "Wave 1 — ready: ..." under "Wave 1"
    return {
        "counts": dict(mix),
        "number": number,
        "key": wave.key,
        "title": f"Wave {number}" if number is not None else "Not scheduled",
        "name": name or ("" if number is not None else unscheduled),
        "dates": _span(wave.start, wave.end) if wave.start or wave.end else "",
        "apps": apps,
        "mix": ", ".join(parts),
        "gateways": gateways,
    }


def _mix_chart(waves: list[dict[str, Any]]) -> dict[str, Any]:
    """Geometry of the readiness chart: per wave, a bar as long as its app count, split by readiness."""
    label_w, plot_w, row_h, top = 120.0, 420.0, 26.0, 34.0
    biggest = max([sum(w["counts"].values()) for w in waves] + [1])
    rows: list[dict[str, Any]] = []
    for i, wave in enumerate(w for w in waves if w["apps"]):
        x = label_w
        segments = []
        for key, label in READINESS:
            n = int(wave["counts"].get(key) or 0)
            if not n:
                continue
            width = plot_w * n / biggest
            segments.append({"key": key, "label": label, "n": n, "x": round(x, 2), "w": round(width, 2)})
            x += width
        rows.append(
            {
                "y": top + i * row_h,
                "label": wave["title"],
                "segments": segments,
                "end": round(x, 2),
                "n": wave["apps"],
            }
        )
    return {"width": label_w + plot_w + 50, "height": top + len(rows) * row_h + 6, "rows": rows}


def _text_width(text: str, size: float = 12.0) -> float:
    """About how wide `text` is in the page's sans-serif at `size` px (for laying out SVG labels)."""
    return len(text) * size * 0.56


def _legend_items(readiness: list[dict[str, Any]], start: float = 120.0) -> list[dict[str, Any]]:
    """Legend swatches and labels placed one after another by their text's width (never overlapping)."""
    items, x = [], start
    for r in readiness:
        text = f"{r['label']} ({r['n']})"
        items.append({**r, "x": round(x, 2), "text_x": round(x + 17, 2), "text": text})
        x += 17 + _text_width(text) + 18
    return items


def _timeline(
    plan: Mapping[str, Any], schedule: Schedule, waves: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """Geometry of the schedule chart: a bar per wave on a date axis, with plan date and deadline."""
    dated = [(wave, wave.start, wave.end) for wave in schedule.scheduled if wave.start and wave.end]
    retirement = _date(plan.get("retirement_date"))
    as_of = _date(plan.get("as_of") or str(plan.get("generated_at") or "")[:10])
    if not dated or not retirement:
        return None
    first = min([s for _, s, _ in dated] + ([as_of] if as_of else []))
    last = max([e for _, _, e in dated] + [retirement])
    first = first.replace(day=1)
    last = (last.replace(day=28) + dt.timedelta(days=4)).replace(day=1)  # first day of the next month
    label_w, plot_w, row_h, top = 120.0, 560.0, 26.0, 34.0
    span = max(1, (last - first).days)

    def x(day: dt.date) -> float:
        return round(label_w + plot_w * (day - first).days / span, 2)

    ticks = []
    month = first
    while month <= last:
        label = f"{month:%b}" if month.month != 1 and month != first else f"{month:%b %Y}"
        ticks.append({"x": x(month), "label": label if x(month) < label_w + plot_w - 20 else ""})
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    by_number = {w["number"]: w for w in waves}
    rows: list[dict[str, Any]] = []
    for i, (wave, start, end) in enumerate(dated):
        view = by_number.get(wave.number, {})
        bar_x, bar_w = x(start), max(3.0, round(x(end + dt.timedelta(days=1)) - x(start), 2))
        dates = _span(start, end)
        # The label goes right of the bar, or left of it where it would run past the plot (the last
        # waves, near the retirement line).
        fits_right = bar_x + bar_w + 5 + _text_width(dates) <= label_w + plot_w
        mix = wave.readiness
        kind = (
            "blocked"
            if mix.get("blocked")
            else "needs-work"
            if mix.get("needs-work")
            else "ready"
            if mix
            else "cleanup"
        )
        rows.append(
            {
                "y": round(top + i * row_h, 2),
                "x": bar_x,
                "w": bar_w,
                "label": f"Wave {wave.number}",
                "dates": dates,
                "label_x": round(bar_x + bar_w + 5 if fits_right else bar_x - 5, 2),
                "anchor": "start" if fits_right else "end",
                "apps": view.get("apps", 0),
                "late": end > retirement,
                "kind": kind,
                "waits": wave.waits_for_preparation,
            }
        )
    height = top + len(rows) * row_h + 30
    return {
        "width": label_w + plot_w + 10,
        "height": height,
        "ticks": ticks,
        "rows": rows,
        "top": top - 8,
        "bottom": height - 22,
        "label_y": height - 6,
        "deadline": {"x": x(retirement), "label": f"Retirement {_day(retirement.isoformat())}"},
        "today": {"x": x(as_of), "label": f"Plan date {_day(as_of.isoformat())}"} if as_of else None,
        "label_w": label_w,
    }


def _use(code: str, codes: Mapping[str, Any], weak: bool = False) -> dict[str, str]:
    """A gateway use in words (plan.json's `gateway_uses`, else `codes`); `?` marks a weak signal."""
    info = codes.get(code) or {}
    return {
        "code": code,
        "label": str(info.get("title") or code) + ("?" if weak else ""),
        "meaning": str(info.get("meaning") or ""),
    }


def _gateway_rows(
    plan: Mapping[str, Any],
    app_names: Mapping[str, str],
    currency: str,
    gateways: list[Mapping[str, Any]] | None = None,
    links: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The gateways table; `links` (a site's index) names the page holding each gateway's steps."""
    codes = {**(plan.get("codes") or {}), **(plan.get("gateway_uses") or {})}  # a use in its own words
    rows: list[dict[str, Any]] = []
    for gw in _gateways(plan) if gateways is None else gateways:
        decision = gw.get("decommission") or ("yes" if gw.get("decommissionable") else "no")
        dependents = [app_names.get(str(d).lower()) or _last(d) for d in gw.get("dependents") or ()]
        reason = str(gw.get("decommission_reason") or "")
        rows.append(
            {
                "name": gw.get("name") or _last(gw.get("id")),
                "url": portal_url(gw.get("id"), (plan.get("cloud") or {}).get("portal")),
                "decision": decision,
                "decision_label": DECISION_LABEL.get(decision, decision),
                "reason": reason[:1].upper() + reason[1:],
                "sku": gw.get("sku") or "",
                "location": gw.get("location") or "",
                "dependents": len(dependents),
                "dependent_names": ", ".join(dependents[:10])
                + (f" and {len(dependents) - 10} more" if len(dependents) > 10 else ""),
                "other_uses": [_use(u, codes) for u in gw.get("other_uses") or ()]
                + [_use(u, codes, weak=True) for u in gw.get("other_uses_weak") or ()],
                "cost": _money(gw.get("monthly_cost"), currency),
                "savings": _money(gw.get("monthly_savings"), currency) if gw.get("monthly_savings") else "–",
                "potential": _money(gw.get("potential_monthly_savings"), currency)
                if decision == "verify" and gw.get("potential_monthly_savings")
                else "",
                "wave": gw.get("removal_wave"),
                "has_steps": bool(gw.get("steps")),
                "page": (links or {}).get(str(gw.get("id") or "").lower(), ""),
            }
        )
    order = {"yes": 0, "verify": 1, "no": 2}
    rows.sort(key=lambda r: (order.get(r["decision"], 3), r["name"].lower()))
    return rows


def _code_legend(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    out = []
    for entry in legend(plan):
        doc = str(entry.get("doc") or "")
        kind = str(entry.get("kind") or "")
        out.append(
            {
                "code": entry["code"],
                "kind": kind,
                "kind_label": KIND_LABEL.get(kind, kind.capitalize()),
                "title": entry.get("title") or entry["code"],
                "meaning": entry.get("meaning") or "",
                "fix": entry.get("fix") or "",
                "apps": entry["apps"] if entry.get("gateways") is None else f"{entry['gateways']} gateway(s)",
                "unknown": entry.get("unknown") or 0,
                "doc": doc if doc.startswith("https://") else "",
            }
        )
    return out


def _filters(
    plan: Mapping[str, Any], apps: list[Mapping[str, Any]], waves: list[dict[str, Any]]
) -> dict[str, Any]:
    codes = plan.get("codes") or {}
    present: dict[str, None] = {}
    for app in apps:
        for key in ("limitations", "blockers", "findings"):
            for code in app.get(key) or ():
                present[code] = None
        for unknown in app.get("unknown") or ():
            present[str(unknown.get("code"))] = None
    order = list(codes)
    ordered = sorted(present, key=lambda c: (order.index(c) if c in order else len(order), c))
    labels = subscription_labels(plan)
    return {
        "subscriptions": sorted(
            {subscription_label(labels, a.get("subscription_id"), a.get("subscription_name")) for a in apps}
        ),
        "waves": [
            {"key": w["key"], "label": f"{w['title']}{': ' + w['name'] if w['name'] else ''}"} for w in waves
        ],
        "codes": [{"code": c, "title": (codes.get(c) or {}).get("title") or c} for c in ordered],
    }


# --------------------------------------------------------------------------------------------------
# Page


@cache
def _asset(name: str) -> str:
    return resources.files("planner.templates").joinpath(name).read_text(encoding="utf-8")


@cache
def _template() -> Template:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.from_string(_asset("runbook.html.j2"))


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


def _ids(items: Iterable[Mapping[str, Any]]) -> set[str]:
    return {str(item.get("id") or "").lower() for item in items}


def _readiness_of(apps: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    counts = {key: 0 for key, _ in READINESS}
    for app in apps:
        key = str(app.get("readiness") or "")
        counts[key] = counts.get(key, 0) + 1
    return counts


def _blockers(plan: Mapping[str, Any], apps: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Apps per blocker code, most first, with the code's title: why the blocked apps are blocked."""
    counts: dict[str, int] = {}
    for app in apps:
        for code in app.get("blockers") or ():
            counts[code] = counts.get(code, 0) + 1
    codes = plan.get("codes") or {}
    biggest = max([*counts.values(), 1])
    return [
        {
            "code": code,
            "title": str((codes.get(code) or {}).get("title") or code),
            "n": n,
            "pct": round(100 * n / biggest, 1),
        }
        for code, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]


def _render(
    plan: Mapping[str, Any],
    out: TextIO,
    schedule: Schedule | None = None,
    scope: PageScope | None = None,
) -> None:
    """Write the page: the template around the data block, then the data streamed into it."""
    scope = scope or PageScope()
    schedule = schedule or schedule_of(plan)
    movers: list[Mapping[str, Any]] = []
    if scope.apps is None or scope.role != "page" or scope.movers is None:
        movers = [a for a in plan.get("apps") or () if a.get("integration") == "gateway-required"]
    apps = movers if scope.apps is None else list(scope.apps)
    page_gateways = _gateways(plan) if scope.gateways is None else list(scope.gateways)
    if scope.role == "page":
        schedule = scope.page_schedule or schedule.only(_ids(apps), _ids(page_gateways))
    summary = plan.get("summary") or {}
    prices = plan.get("prices") or {}
    currency = str(prices.get("currency") or "")
    inventory = plan.get("inventory") or {}
    app_names = schedule.app_names  # every app's name by lower-case id, indexed once
    waves = _waves(schedule)
    readiness = (
        _readiness_of(apps) if scope.role == "page" else summary.get("readiness") or _readiness_of(apps)
    )
    css, script = _asset("runbook.css"), _asset("runbook.js")
    for text, tag in ((css, "</style"), (script, "</script")):
        if tag in text.lower():
            raise ValueError(f"inlined asset contains {tag}>")
    potential = sum(
        float(g.get("potential_monthly_savings") or 0)
        for g in _gateways(plan)
        if g.get("decommission") == "verify"
    )
    context = {
        "plan": plan,
        "summary": summary,
        "banner": _banner(plan),
        "governance": governance_lines(plan),
        "movement": _movement(plan),
        "generated": _when(plan.get("generated_at")),
        "tool_version": str(plan.get("tool_version") or ""),
        "apps_count": len(apps),
        "movers_count": scope.movers if scope.movers is not None else len(movers),
        "scope": scope,
        "blockers": _blockers(plan, movers) if scope.role != "page" else [],
        "apps_total": summary.get("apps_total", len(plan.get("apps") or ())),
        "readiness": [
            {"key": key, "label": label, "n": int(readiness.get(key) or 0)} for key, label in READINESS
        ],
        "mix": _mix_chart(waves),
        "legend_items": _legend_items(
            [{"key": key, "label": label, "n": int(readiness.get(key) or 0)} for key, label in READINESS]
        ),
        "timeline": _timeline(plan, schedule, waves),
        "waves": waves,
        "gateways": _gateway_rows(plan, app_names, currency, page_gateways, scope.gateway_links),
        "currency": currency,
        "money": {
            "monthly_n": _money(summary.get("monthly_savings"), ""),
            "monthly": _money(summary.get("monthly_savings"), currency),
            "yearly": _money(summary.get("yearly_savings"), currency),
            "cost": _money(summary.get("monthly_cost"), currency),
            "potential": _money(potential, currency) if potential else "",
        },
        "prices": {"source": prices.get("source") or "not given", "as_of": _day(prices.get("as_of"))},
        "legend": _code_legend(plan),
        "filters": _filters(plan, apps, waves),
        "inventory": inventory,
        "inventory_label": inventory_label(plan),
        "learn": {"migrate": LEARN_MIGRATE, "regional": LEARN_REGIONAL},
        "css": Markup(css),
        "script": Markup(script),
        "data": Markup(_DATA_MARK),
        "csp": Markup(
            "default-src 'none'; img-src data:; "
            f"style-src {_csp_hash(css)}; script-src {_csp_hash(script)}; "
            "base-uri 'none'; form-action 'none'"
        ),
    }
    head, mark, tail = _template().render(**context).partition(_DATA_MARK)
    if not mark:
        raise RuntimeError("the runbook template lost its data block")
    out.write(head)
    if scope.role == "index":  # the index draws no card: its data is the waves and the site's pages
        _write_page_data(out, plan, [], schedule, [], scope.site)
    else:
        _write_page_data(out, plan, apps, schedule, page_gateways, scope.site)
    out.write(tail)


def render_html(
    plan: Mapping[str, Any], schedule: Schedule | None = None, scope: PageScope | None = None
) -> str:
    """The runbook page as one HTML string (the whole plan, or one page of a site)."""
    out = io.StringIO()
    _render(plan, out, schedule, scope)
    return out.getvalue()


def render_page(
    plan: Mapping[str, Any], out: TextIO, schedule: Schedule | None = None, scope: PageScope | None = None
) -> None:
    """Stream one page (the whole plan, or a site's index or page) into `out`."""
    _render(plan, out, schedule, scope)


def write_html(plan: dict, path: Path, schedule: Schedule | None = None) -> None:
    """Write the runbook page at `path`, atomically (a failure leaves no file behind)."""
    path = Path(path)
    with replacing(path) as tmp, tmp.open("w", encoding="utf-8", newline="\n") as out:
        _render(plan, out, schedule)
