"""Suppressions: codes a team has accepted for an app, with a reason and a date they lapse.

A suppression file (YAML or JSON) is a list, or an object with a `suppressions` list, of:

    - app: "/subscriptions/*/resourceGroups/rg-legacy/providers/Microsoft.Web/sites/*"  # id or glob
      code: CROSS_REGION      # a code from `vnet-planner rules`, or "*" for every code of the app
      reason: "Replaced by the new portal in January; CAB-1234"
      expires_on: 2027-01-31  # from this day on it is expired and no longer suppresses

A suppression never hides anything: the app keeps its codes and its readiness (what the data says),
and every output shows the suppression with its reason. What it changes is the open readiness
(`readiness_open`), which `plan --fail-on` judges, so a pipeline can go green on accepted risks
until the date the team set. Expired suppressions are shown as expired and suppress nothing.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from planner.analysis.analyse import readiness_of
from planner.analysis.rules import RULES
from planner.analysis.rules.base import Status
from planner.core.errors import InputError

ANY_CODE = "*"
FIELDS = ("app", "code", "reason", "expires_on")
FAIL_ON = ("blocked", "needs-work", "any")


@dataclass(frozen=True)
class Suppression:
    number: int  # 1-based position in the file, for messages
    app: str  # as written
    code: str
    reason: str
    expires_on: date
    source: str

    @property
    def is_glob(self) -> bool:
        return any(c in self.app for c in "*?[")

    def expired(self, today: date) -> bool:
        return today >= self.expires_on

    def as_dict(self, today: date) -> dict[str, Any]:
        return {
            "code": self.code,
            "reason": self.reason,
            "expires_on": self.expires_on.isoformat(),
            "expired": self.expired(today),
            "source": f"{self.source}#{self.number}",
        }


def load_suppressions(path: Path) -> list[Suppression]:
    """Read and check a suppression file; InputError naming the entry and field on anything wrong."""
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(source, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(source, "not UTF-8 text") from None
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(
            source,
            f"not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {' '.join(str(exc).split())}",
        ) from None
    if isinstance(data, dict) and set(data) == {"suppressions"}:
        data = data["suppressions"]
    if data is None:
        data = []
    if not isinstance(data, list):
        raise InputError(source, "expected a list of suppressions (or an object with a 'suppressions' list)")
    return [_entry(source, number, item) for number, item in enumerate(data, start=1)]


def _entry(source: str, number: int, item: object) -> Suppression:
    where = f"suppression {number}"
    if not isinstance(item, dict):
        raise InputError(source, "expected an object with app, code, reason, expires_on", position=where)
    unknown = sorted(str(k) for k in item if k not in FIELDS)
    if unknown:
        raise InputError(
            source, f"unknown field (expected {', '.join(FIELDS)})", position=where, field=unknown[0]
        )
    for name in FIELDS:
        if item.get(name) in (None, ""):
            raise InputError(source, "required", position=where, field=name)
    for name in ("app", "code", "reason"):
        if not isinstance(item[name], str):
            raise InputError(source, "expected a string", position=where, field=name)
    code = item["code"].strip().upper()
    known = {r.code for r in RULES}
    if code != ANY_CODE and code not in known:
        raise InputError(
            source,
            f"unknown code '{item['code']}' (see `vnet-planner rules`, or '*')",
            position=where,
            field="code",
        )
    expires = item["expires_on"]
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires.strip())
        except ValueError:
            raise InputError(
                source, f"'{expires}' is not a date (YYYY-MM-DD)", position=where, field="expires_on"
            ) from None
    if isinstance(expires, datetime):  # YAML reads "2027-01-31 10:00" as a timestamp: its day counts
        expires = expires.date()
    if not isinstance(expires, date):
        raise InputError(source, "expected a date (YYYY-MM-DD)", position=where, field="expires_on")
    return Suppression(number, item["app"].strip(), code, item["reason"].strip(), expires, source)


def apply_suppressions(plan: dict[str, Any], suppressions: Iterable[Suppression]) -> None:
    """Mark each app's suppressions and its open readiness; summarise and warn in the plan.

    Every app gets `suppressed` (may be empty) and `readiness_open` (the readiness with active
    suppressions left out; "suppressed" when `*` covers the app; None when not gateway-required).
    """
    today = date.fromisoformat(plan["as_of"])
    entries = list(suppressions)
    used = dict.fromkeys((s.number for s in entries), 0)
    apps_suppressed = 0
    # Ids without wildcards are looked up; only the globs are tried on every app (a file of a
    # thousand ids over 50,000 apps would otherwise be 50 million matches).
    exact: dict[str, list[Suppression]] = {}
    for s in entries:
        if not s.is_glob:
            exact.setdefault(s.app.lower(), []).append(s)
    globs = [(re.compile(fnmatch.translate(s.app.lower())), s) for s in entries if s.is_glob]
    for app in plan["apps"]:
        key = str(app["id"]).lower()
        candidates = exact.get(key, []) + [s for pattern, s in globs if pattern.match(key)]
        codes = {
            *app["blockers"],
            *app["limitations"],
            *app["findings"],
            *(u["code"] for u in app["unknown"]),
        }
        hits = sorted(
            (s for s in candidates if s.code == ANY_CODE or s.code in codes), key=lambda s: s.number
        )
        for s in hits:
            used[s.number] += 1
        app["suppressed"] = [s.as_dict(today) for s in hits]
        active = {s.code for s in hits if not s.expired(today)}
        apps_suppressed += bool(active)
        app["readiness_open"] = _open_readiness(app, active)
    plan["summary"]["suppressions"] = {
        "files": sorted({s.source for s in entries}),
        "entries": len(entries),
        "active": sum(1 for s in entries if not s.expired(today)),
        "expired": sum(1 for s in entries if s.expired(today)),
        "unmatched": sum(1 for s in entries if not used[s.number]),
        "apps_suppressed": apps_suppressed,
    }
    warnings = plan.setdefault("warnings", [])
    for s in entries:
        if s.expired(today):
            warnings.append(
                f"{s.source}: suppression {s.number} ({s.code} on {s.app}) expired on "
                f"{s.expires_on.isoformat()}: it no longer suppresses ({used[s.number]} app(s) affected)"
            )
        elif not used[s.number]:
            warnings.append(
                f"{s.source}: suppression {s.number} ({s.code} on {s.app}) matches no app with that code "
                "in this plan: remove it, or check the id and code"
            )


def _open_readiness(app: dict[str, Any], active: set[str]) -> str | None:
    if ANY_CODE in active:
        return "suppressed"
    if app["readiness"] is None:
        return None
    if not active:
        return str(app["readiness"])
    statuses = {c: Status.YES for kind in ("blockers", "limitations", "findings") for c in app[kind]}
    statuses |= {u["code"]: Status.UNKNOWN for u in app["unknown"]}
    for code in active:
        statuses.pop(code, None)
    return readiness_of(statuses).value


def failing_apps(plan: dict[str, Any], level: str) -> list[dict[str, Any]]:
    """The apps `plan --fail-on LEVEL` fails on, judged by open readiness (suppressions applied).

    blocked: open readiness blocked. needs-work: blocked or needs-work. any: every app still on
    gateway-required integration, or whose integration could not be read, unless suppressed whole.
    """
    if level == "any":
        return [
            a
            for a in plan["apps"]
            if a["integration"] in ("gateway-required", "unknown") and a.get("readiness_open") != "suppressed"
        ]
    levels = {"blocked": ("blocked",), "needs-work": ("blocked", "needs-work")}[level]
    return [a for a in plan["apps"] if a.get("readiness_open") in levels]
