"""The schedule as every renderer reads it: waves -> App Service plans -> apps -> steps, and the
gateways cleaned up in each wave. Built once from plan.json (`schedule_of`) and handed to each
renderer by the registry, so the workbook, the HTML page and the scripts group work the same way.

An app or gateway whose wave the plan does not list (an older or hand-edited plan) is kept, in the
"not scheduled" wave at the end: nothing a plan holds is dropped from a report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from planner.render.common import as_date, last_segment, subscription_labels

Item = Mapping[str, Any]
GATEWAY_REQUIRED = "gateway-required"


@dataclass(frozen=True)
class PlanGroup:
    """The apps of one App Service plan in one wave (they share the integration subnet)."""

    plan_id: str
    name: str
    apps: tuple[Item, ...]


@dataclass(frozen=True)
class Wave:
    """One wave: its apps in the order they move, grouped by plan, and the gateways cleaned up in it."""

    number: int | None  # None: apps and gateways the plan gives no wave
    name: str
    start: dt.date | None
    end: dt.date | None
    apps: tuple[Item, ...]
    gateways: tuple[Item, ...]
    plans: tuple[PlanGroup, ...] = ()
    waits_for_preparation: bool = (
        False  # starts later than the wave before it allows: blocked apps' preparation
    )
    pauses: tuple[Mapping[str, Any], ...] = ()  # holidays and freezes inside it ({from, to, why})

    @property
    def short_name(self) -> str:
        """The name without its leading "Wave N" ("Ready: 6 plans, 10 apps"), for places that show the number."""
        name, prefix = self.name, f"wave {self.number}"
        if self.number is not None and name.lower().startswith(prefix):
            name = name[len(prefix) :].lstrip(" —–-:·")
            name = name[:1].upper() + name[1:]
        return name

    @property
    def key(self) -> str:
        return "none" if self.number is None else str(self.number)

    @property
    def readiness(self) -> dict[str, int]:
        """Apps per readiness, in the order they first appear."""
        mix: dict[str, int] = {}
        for app in self.apps:
            key = str(app.get("readiness") or "")
            mix[key] = mix.get(key, 0) + 1
        return mix

    @property
    def steps(self) -> int:
        return sum(len(owner.get("steps") or ()) for owner in self.owners())

    def owners(self) -> Iterator[Item]:
        """Apps then gateways, in the order their steps run."""
        yield from self.apps
        yield from self.gateways


@dataclass(frozen=True)
class Schedule:
    """The waves in order (the unscheduled bucket last) and the names every renderer looks up."""

    waves: tuple[Wave, ...]
    app_names: dict[str, str] = field(default_factory=dict)
    gateway_names: dict[str, str] = field(default_factory=dict)
    plan_names: dict[str, str] = field(default_factory=dict)
    subscription_labels: dict[str, str] = field(default_factory=dict)

    def wave(self, number: Any) -> Wave | None:
        for wave in self.waves:
            if wave.number == number:
                return wave
        return None

    def wave_end(self, number: Any) -> dt.date | None:
        """The due date of work in wave `number` (its last day), or None."""
        wave = self.wave(number) if isinstance(number, int) else None
        return wave.end if wave else None

    @property
    def scheduled(self) -> tuple[Wave, ...]:
        return tuple(w for w in self.waves if w.number is not None)

    def only(self, app_ids: set[str], gateway_ids: set[str]) -> Schedule:
        """The same waves holding only the apps and gateways named (lower-case ids): one page of a site.

        Scheduled waves stay even when empty, so wave numbers and dates read the same on every page;
        the unscheduled bucket stays only if it keeps something.
        """
        waves = []
        for wave in self.waves:
            apps = tuple(a for a in wave.apps if _key(a) in app_ids)
            gateways = tuple(g for g in wave.gateways if _key(g) in gateway_ids)
            if wave.number is None and not apps and not gateways:
                continue
            plans = tuple(
                replace(group, apps=kept)
                for group in wave.plans
                if (kept := tuple(a for a in group.apps if _key(a) in app_ids))
            )
            waves.append(replace(wave, apps=apps, gateways=gateways, plans=plans))
        return replace(self, waves=tuple(waves))

    def partition(self, page_of: Mapping[str, str]) -> dict[str, Schedule]:
        """`only` for many pages at once, in one pass: page key -> its schedule. `page_of` maps the
        lower-case id of every app and gateway to its page; waves stay on every page (as in `only`)."""
        pages = set(page_of.values())
        parts: dict[str, list[Wave]] = {page: [] for page in pages}
        for wave in self.waves:
            apps: dict[str, list[Item]] = {page: [] for page in pages}
            gateways: dict[str, list[Item]] = {page: [] for page in pages}
            for app in wave.apps:
                if (page := page_of.get(_key(app))) is not None:
                    apps[page].append(app)
            for gateway in wave.gateways:
                if (page := page_of.get(_key(gateway))) is not None:
                    gateways[page].append(gateway)
            plans: dict[str, list[PlanGroup]] = {page: [] for page in pages}
            for group in wave.plans:
                kept: dict[str, list[Item]] = {}
                for app in group.apps:
                    if (page := page_of.get(_key(app))) is not None:
                        kept.setdefault(page, []).append(app)
                for page, members in kept.items():
                    plans[page].append(replace(group, apps=tuple(members)))
            for page in pages:
                if wave.number is None and not apps[page] and not gateways[page]:
                    continue
                parts[page].append(
                    replace(
                        wave, apps=tuple(apps[page]), gateways=tuple(gateways[page]), plans=tuple(plans[page])
                    )
                )
        return {page: replace(self, waves=tuple(waves)) for page, waves in parts.items()}

    def app_name(self, app_id: Any) -> str:
        return self.app_names.get(str(app_id).lower()) or last_segment(app_id)

    def gateway_name(self, gateway_id: Any) -> str:
        return self.gateway_names.get(str(gateway_id).lower()) or last_segment(gateway_id)


def schedule_of(plan: Mapping[str, Any]) -> Schedule:
    """Index the plan once into waves, plans and names."""
    apps = [a for a in plan.get("apps") or () if isinstance(a, Mapping)]
    gateways = [g for g in plan.get("gateways") or () if isinstance(g, Mapping)]
    movers = [a for a in apps if a.get("integration") == GATEWAY_REQUIRED]
    by_id = {str(a.get("id") or "").lower(): a for a in movers}
    gateway_by_id = {str(g.get("id") or "").lower(): g for g in gateways}

    listed = sorted(
        (w for w in plan.get("waves") or () if isinstance(w, Mapping) and isinstance(w.get("number"), int)),
        key=lambda w: w["number"],
    )
    waves: list[Wave] = []
    placed_apps: set[str] = set()
    placed_gateways: set[str] = set()
    for w in listed:
        number = w["number"]
        # The wave's own order first (the order apps move in), then apps that name this wave but are
        # missing from its list.
        wave_apps = _pick(w.get("app_ids"), by_id, placed_apps)
        wave_apps += [a for a in movers if a.get("wave") == number and _key(a) not in placed_apps]
        placed_apps.update(_key(a) for a in wave_apps)
        wave_gateways = _pick(w.get("gateway_ids"), gateway_by_id, placed_gateways)
        wave_gateways += [
            g for g in gateways if g.get("removal_wave") == number and _key(g) not in placed_gateways
        ]
        placed_gateways.update(_key(g) for g in wave_gateways)
        waves.append(_wave(number, str(w.get("name") or ""), w, wave_apps, wave_gateways))

    # Waves an app or gateway names that the plan's list lacks, then the unscheduled bucket.
    numbers = {w.number for w in waves}
    stray: set[int] = set()
    for app in movers:
        if _key(app) not in placed_apps and isinstance(app.get("wave"), int):
            stray.add(app["wave"])
    for gateway in gateways:
        if _key(gateway) not in placed_gateways and isinstance(gateway.get("removal_wave"), int):
            stray.add(gateway["removal_wave"])
    for number in sorted(stray - numbers):
        wave_apps = [a for a in movers if a.get("wave") == number and _key(a) not in placed_apps]
        wave_gateways = [
            g for g in gateways if g.get("removal_wave") == number and _key(g) not in placed_gateways
        ]
        placed_apps.update(_key(a) for a in wave_apps)
        placed_gateways.update(_key(g) for g in wave_gateways)
        waves.append(_wave(number, "", {}, wave_apps, wave_gateways))
    rest_apps = [a for a in movers if _key(a) not in placed_apps]
    rest_gateways = [g for g in gateways if _key(g) not in placed_gateways and g.get("steps")]
    if rest_apps or rest_gateways:
        waves.append(_wave(None, "", {}, rest_apps, rest_gateways))

    plan_names: dict[str, str] = {}
    for app in apps:
        if app.get("plan_id"):
            plan_names[str(app["plan_id"]).lower()] = str(
                app.get("plan_name") or last_segment(app["plan_id"])
            )
    return Schedule(
        waves=tuple(waves),
        app_names={_key(a): str(a.get("name") or last_segment(a.get("id"))) for a in apps},
        gateway_names={_key(g): str(g.get("name") or last_segment(g.get("id"))) for g in gateways},
        plan_names=plan_names,
        subscription_labels=subscription_labels(plan),
    )


def _key(item: Item) -> str:
    return str(item.get("id") or "").lower()


def _pick(ids: Any, by_id: Mapping[str, Item], placed: set[str]) -> list[Item]:
    """The items `ids` names, in that order, each once and only if not placed yet (marks them placed)."""
    out = []
    for item_id in ids if isinstance(ids, Sequence) and not isinstance(ids, str) else ():
        item = by_id.get(str(item_id).lower())
        if item is not None and _key(item) not in placed:
            placed.add(_key(item))
            out.append(item)
    return out


def _wave(
    number: int | None, name: str, w: Mapping[str, Any], apps: list[Item], gateways: list[Item]
) -> Wave:
    groups: dict[str, list[Item]] = {}
    for app in apps:
        groups.setdefault(str(app.get("plan_id") or "").lower(), []).append(app)
    plans = tuple(
        PlanGroup(
            plan_id=str(members[0].get("plan_id") or ""),
            name=str(members[0].get("plan_name") or last_segment(members[0].get("plan_id"))),
            apps=tuple(members),
        )
        for members in groups.values()
    )
    return Wave(
        number=number,
        name=name,
        start=as_date(w.get("start")),
        end=as_date(w.get("end")),
        apps=tuple(apps),
        gateways=tuple(gateways),
        plans=plans,
        waits_for_preparation=bool(w.get("waits_for_preparation")),
        pauses=tuple(p for p in w.get("pauses") or () if isinstance(p, Mapping)),
    )
