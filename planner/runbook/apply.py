"""The migration runbook: a strategy per app, waves, a schedule against the 2027-03-31 deadline,
and the steps of every app, slot and gateway, written into the plan dict (docs/runbook.md).

`apply_runbook` works on the plan dict after the analysis filled apps[] and gateways[]
(docs/plan-format.md); every renderer then shows the same steps.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from planner.analysis.rules import BY_CODE, RULES
from planner.core.ids import id_part
from planner.core.settings import Settings
from planner.runbook.preparation import Task, codes_to_prepare, lead_times_of
from planner.runbook.steps import (
    AppContext,
    AppFacts,
    GatewayContext,
    GatewayFacts,
    Shared,
    SlotState,
    Strategy,
    build_app_steps,
    build_gateway_steps,
    numbered,
    step_notes,
)
from planner.runbook.steps.app import new_plan_name
from planner.runbook.steps.facts import ruled_by_vnet
from planner.runbook.steps.network import restricted_vaults
from planner.runbook.steps.place import resolve_place
from planner.runbook.steps.resources import service_endpoint
from planner.runbook.workdays import DAY_NAMES, Pause, WorkCalendar, calendar_of, days_between

RETIREMENT_DATE = date(2027, 3, 31)  # azure-facts §7.3: gateway-required integration and SSTP P2S end
DEFAULT_MAX_APPS_PER_WAVE = 20  # a week's work for one team; raised when needed to finish by the deadline
READINESS_RANK = {"ready": 0, "needs-work": 1, "blocked": 2}
RANK_LABEL = {0: "ready", 1: "needs work", 2: "blocked"}
NOTICE_DAYS = 7  # default start: the first Monday a week after the plan's date, time to get a change approved
# Tags that say an app cannot take an outage window. Keys are compared without case, "-", "_" or spaces.
CRITICAL_TAG_KEYS = ("criticality", "businesscriticality", "critical", "missioncritical")
CRITICAL_TAG_VALUES = {"high", "critical", "missioncritical", "veryhigh", "tier0", "tier1", "true", "yes"}
# Codes for which gateway-required integration cannot carry traffic today: the cutover loses nothing.
FAILS_TODAY = tuple(rule.code for rule in RULES if rule.fails_today)  # in the catalogue's order


@dataclass
class Wave:
    """Apps that move in one time window (whole plans), and gateways cleaned up in it."""

    number: int
    rank: int | None  # None: a clean-up wave without apps
    apps: list[AppFacts] = field(default_factory=list)
    plan_keys: list[str] = field(default_factory=list)
    gateway_ids: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    pauses: list[Pause] = field(default_factory=list)  # holidays and freezes inside the wave
    waits_for_preparation: bool = False  # starts later than the previous wave allows: preparation

    @property
    def name(self) -> str:
        parts = []
        if self.apps:
            plans, apps = len(self.plan_keys), len(self.apps)
            parts.append(
                f"{RANK_LABEL.get(self.rank or 0, 'apps')}: {plans} plan{'s' * (plans != 1)}, {apps} app{'s' * (apps != 1)}"
            )
        if self.gateway_ids:
            n = len(self.gateway_ids)
            parts.append(f"clean-up of {n} gateway{'s' * (n != 1)}")
        return f"Wave {self.number} — " + ", ".join(parts or ["empty"])


def apply_runbook(
    plan: dict[str, Any],
    settings: Settings | None = None,
    *,
    calendar: WorkCalendar | None = None,
    leads: Mapping[str, int] | None = None,
) -> list[str]:
    """Fill strategies, waves, schedule and steps into the plan dict; return warnings for the user.

    Apps of one App Service plan move in the same wave (they share the integration subnet); plans
    that are ready go first, then those that need work, then blocked ones (shortest preparation
    first); a wave holds at most `settings.wave_size` apps unless one plan alone is larger. Left
    unset, that bound is 20, raised just enough for the migration to end `buffer_days` working days
    before the retirement date when that is possible. Waves are counted in working days of
    `calendar` (weekdays, public holidays, change freezes; built from `settings` when not given); a
    blocked app's wave starts only after its preparation (lead times: planner/runbook/preparation.py).
    A gateway is cleaned up in the wave after its last dependent's, so its apps can still roll back
    during their own wave.
    """
    settings = settings or Settings()
    warnings: list[str] = []
    retirement = _parse_date(plan.get("retirement_date")) or RETIREMENT_DATE
    as_of = (
        _parse_date(plan.get("as_of"))
        or _parse_date(str(plan.get("generated_at") or "")[:10])
        or date.today()
    )
    calendar = calendar or calendar_of(settings, min(as_of.year, retirement.year), retirement.year + 1)
    leads = leads if leads is not None else lead_times_of(settings.lead_times)
    app_dicts: list[dict[str, Any]] = [a for a in plan.get("apps") or [] if isinstance(a, dict)]
    vnets = ruled_by_vnet(plan.get("vnets"))
    everyone = [AppFacts.from_dict(a, vnets) for a in app_dicts]
    movers: list[AppFacts] = []
    dict_of: dict[str, dict[str, Any]] = {}
    for d, facts in zip(app_dicts, everyone, strict=True):
        if facts.integration == "gateway-required":
            movers.append(facts)
            dict_of[facts.id.lower()] = d
        else:
            d["wave"], d["strategy"], d["steps"] = None, None, []
    gateway_dicts: list[dict[str, Any]] = [g for g in plan.get("gateways") or [] if isinstance(g, dict)]
    gateways = {g.id.lower(): g for g in (GatewayFacts.from_dict(d) for d in gateway_dicts)}

    strategies = choose_strategies(movers, everyone)
    first = calendar.on_or_after(settings.start or default_start(plan))
    prep_from = calendar.after(as_of)  # preparation can begin the working day after the plan's date
    ready = _preparation_ready(movers, leads, calendar, prep_from)
    target = calendar.before(retirement, settings.buffer_days) if settings.buffer_days else retirement
    groups = ordered_groups(movers, strategies, leads)
    preparation = {key: _preparation_days(members, leads) for _, key, members in groups}
    timing = _Timing(calendar, settings.wave_days, ready, preparation)
    cap = settings.wave_size or fitting_cap(groups, first, timing, target)
    waves = pack_waves(groups, cap, preparation)
    removal = _schedule_gateway_removal(waves, gateways)
    timing.place(waves, first, timing.plan_ready(groups))

    shared = Shared()
    # The old plan is deleted with its last app only when every app of it moves to a new plan.
    plan_leaves: dict[str, bool] = defaultdict(lambda: True)
    for app in movers:
        plan_leaves[_plan_key(app)] &= strategies[app.id.lower()].mode == "blue-green"
    for app in everyone:  # apps this runbook does not move (regional, none, unknown) keep their plan
        if app.integration != "gateway-required":
            plan_leaves[_plan_key(app)] = False
    slots_of = _slots_by_site(everyone)
    services_of = _subnet_services(movers)
    codes: Mapping[str, Any] = plan.get("codes") or {}
    fixes = {str(c): str(v.get("fix")) for c, v in codes.items() if isinstance(v, Mapping) and v.get("fix")}
    for wave in waves:
        by_plan: dict[str, list[AppFacts]] = defaultdict(list)
        for app in wave.apps:
            by_plan[_plan_key(app)].append(app)
        for app in wave.apps:
            strategy = strategies[app.id.lower()]
            gateway = gateways.get((app.gateway_id or "").lower())
            ctx = AppContext(
                wave=wave.number,
                strategy=strategy,
                retirement_date=retirement.isoformat(),
                gateway=gateway,
                gateway_removal_wave=removal.get(gateway.id.lower()) if gateway else None,
                slots=() if app.slot else slots_of.get(app.site_id.lower(), ()),
                subnet_services=services_of.get(resolve_place(app).subnet_id.lower(), ()),
                new_plan_name=strategy.new_plan,
                last_of_plan=by_plan[_plan_key(app)][-1] is app and plan_leaves[_plan_key(app)],
                fixes=fixes,
            )
            d = dict_of[app.id.lower()]
            d["wave"] = wave.number
            d["strategy"] = strategy.as_dict()
            d["steps"] = numbered(build_app_steps(app, ctx, shared))

    names = {a.id.lower(): a.name for a in everyone}
    currency = str((plan.get("prices") or {}).get("currency") or "USD")
    for d in gateway_dicts:
        gw = gateways[str(d.get("id") or "").lower()]
        wave_number = removal.get(gw.id.lower())
        d["removal_wave"] = wave_number
        d["steps"] = numbered(build_gateway_steps(gw, GatewayContext(wave_number, names, currency)))
    plan["step_notes"] = step_notes(
        step for d in (*app_dicts, *gateway_dicts) for step in d.get("steps") or ()
    )

    tasks = _preparation_tasks(waves, leads, calendar, prep_from)
    for app_id, app_tasks in tasks.items():
        dict_of[app_id]["preparation"] = [task.as_dict() for task in app_tasks]
    for d in app_dicts:
        d.setdefault("preparation", [])
    _name_blocked_dependents(gateway_dicts, waves, removal)

    plan["waves"] = [
        {
            "number": w.number,
            "name": w.name,
            "start": w.start.isoformat() if w.start else None,
            "end": w.end.isoformat() if w.end else None,
            "app_ids": [a.id for a in w.apps],
            "gateway_ids": list(w.gateway_ids),
            "working_days": settings.wave_days,
            "pauses": [p.as_dict() for p in w.pauses],
            "waits_for_preparation": w.waits_for_preparation,
        }
        for w in waves
    ]
    app_waves = [w for w in waves if w.apps]
    migration_end = app_waves[-1].end if app_waves else None
    late = [w for w in app_waves if w.end and w.end > target]
    plan["schedule"] = {
        "start": first.isoformat(),
        "wave_days": settings.wave_days,
        "end": waves[-1].end.isoformat() if waves and waves[-1].end else None,
        "past_deadline": bool(migration_end and migration_end > retirement),
        "migration_end": migration_end.isoformat() if migration_end else None,
        "max_apps_per_wave": cap,
        "calendar": calendar.describe(),
        "buffer_days": settings.buffer_days,
        "deadline_with_buffer": target.isoformat(),
        "late": bool(late),
        "late_apps": [{"id": a.id, "name": a.name, "wave": w.number} for w in late for a in w.apps],
        "advice": _late_advice(groups, first, timing, target, cap, settings, calendar, as_of)
        if late
        else None,
        "preparation": _preparation_summary(tasks),
    }
    if isinstance(plan.get("summary"), dict):
        plan["summary"]["waves"] = len(waves)
    if settings.wave_size is None and cap > DEFAULT_MAX_APPS_PER_WAVE:
        warnings.append(
            f"Waves hold up to {cap} apps (instead of {DEFAULT_MAX_APPS_PER_WAVE}) so the migration ends by "
            f"{target.isoformat()} ({settings.buffer_days} working days before {retirement.isoformat()}); set "
            "--wave-size and an earlier --start if that is too many for one team."
        )
    warnings += _deadline_warnings(waves, retirement, first, plan)
    if late and not plan["schedule"]["past_deadline"]:
        warnings.append(f"LATE: {plan['schedule']['advice']}")
    warnings += [p for w in waves for p in _pause_warnings(w)]
    warnings += _holiday_warnings(waves, calendar)
    warnings += _data_warnings(movers, dict_of)
    return warnings


# --- strategies -------------------------------------------------------------------------------


def critical_tag(tags: Mapping[str, str]) -> tuple[str, str] | None:
    """The tag that marks an app as unable to take an outage window, if any."""
    for key, value in tags.items():
        k = _squash(key)
        if any(marker in k for marker in CRITICAL_TAG_KEYS) and _squash(value) in CRITICAL_TAG_VALUES:
            return key, value
    return None


def choose_strategies(movers: Sequence[AppFacts], everyone: Sequence[AppFacts]) -> dict[str, Strategy]:
    """A strategy per gateway-required app (key: lower-case id), with the reason from its data."""
    by_plan: dict[str, list[AppFacts]] = defaultdict(list)
    for app in movers:
        by_plan[_plan_key(app)].append(app)
    blue_green = {key: reason for key, members in by_plan.items() if (reason := _blue_green_reason(members))}
    split: dict[str, tuple[str, str]] = {}  # app id -> (new plan, reason): TOO_MANY_SUBNETS
    kept: dict[str, str] = {}  # app id -> why it stays on its plan although the plan is split
    for members in by_plan.values():
        moved, stays = _split_plan(members)
        split.update(moved)
        kept.update(stays)
    for key, members in by_plan.items():
        if key in blue_green and (clash := _held_targets(members, split)):
            # A new plan would join a subnet the old one integrates until the switch: two plans share a
            # subnet only by multi-plan subnet join, which this plan does not assume (azure-facts §4).
            note = (
                f" A new plan cannot be integrated with {clash} from the start: plan {members[0].plan_name} "
                "integrates it today and keeps serving from it until traffic switches, and two plans share a subnet "
                "only with multi-plan subnet join."
            )
            if any("PLAN_UNSUPPORTED" in a.blockers for a in members):
                blue_green[key] += (
                    note + " Give the new plan its own subnet (or check that both plans fit it)."
                )
            else:
                del blue_green[key]
                for app in members:
                    if app.id.lower() not in split:
                        kept[app.id.lower()] = (
                            kept.get(app.id.lower(), "")
                            + note
                            + " So the move is in place, with its short outage."
                        ).strip()
    moving_sites = {a.site_id.lower() for a in movers if not a.slot}
    slots_of = _slots_by_site(everyone)

    out: dict[str, Strategy] = {}
    for app in movers:
        key, app_key = _plan_key(app), app.id.lower()
        slots = slots_of.get(app.site_id.lower(), ())
        slot_first = (app.slot is not None and app.site_id.lower() in moving_sites) or (
            app.slot is None and (bool(slots) or app.has_slots)
        )
        new_plan: str | None = None
        if app_key in split:
            new_plan, bg_reason = split[app_key]
        elif key in blue_green:
            new_plan, bg_reason = new_plan_name(app.plan_name or app.site_name), blue_green[key]
        mode = "blue-green" if new_plan else "in-place"
        extra = f" {kept[app_key]}" if app_key in kept else ""
        if "CROSS_REGION" in app.blockers:
            reason = _cross_region_reason(app)
            if new_plan:
                reason += " The move itself is blue-green: " + bg_reason
            elif slot_first:
                reason += " " + _slot_first_reason(app, slots)
            else:
                reason += " The cutover is a planned window: " + _direct_reason(app)
            out[app_key] = Strategy("needs-peering", reason + extra, mode, new_plan)
        elif new_plan:
            out[app_key] = Strategy("blue-green", bg_reason, mode, new_plan)
        elif slot_first:
            out[app_key] = Strategy("slot-first", _slot_first_reason(app, slots) + extra, mode)
        else:
            out[app_key] = Strategy("direct", "A planned window: " + _direct_reason(app) + extra, mode)
    return out


def _held_targets(members: Sequence[AppFacts], split: Mapping[str, tuple[str, str]]) -> str | None:
    """The subnets the plan integrates today that its staying apps target, named; None when there is none."""
    held = {s.lower() for s in members[0].plan_subnets}
    names = sorted(
        {
            resolve_place(a).subnet_name
            for a in members
            if a.id.lower() not in split and resolve_place(a).subnet_id.lower() in held
        }
    )
    return ", ".join(names) or None


def _split_plan(members: Sequence[AppFacts]) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """TOO_MANY_SUBNETS: the plan keeps the subnets it already integrates, then those most of its moving
    apps target, up to its limit; the apps that target any other subnet move to a new plan per subnet.

    Regional integration gives a Windows plan two subnets and a Linux plan one (azure-facts §2.4), where
    gateway-required reached up to five VNets. A plan's subnets are those of all its apps, regional and
    gateway-required (apps[].context.plan_subnets, the list the rule counted): the regional ones stay, as
    this runbook does not move the apps on them.
    """
    if not any("TOO_MANY_SUBNETS" in a.blockers for a in members):
        return {}, {}
    by_subnet: dict[str, list[AppFacts]] = defaultdict(list)
    for app in members:
        by_subnet[resolve_place(app).subnet_id.lower()].append(app)
    first = members[0]
    limit = first.plan_subnet_limit or (1 if any(a.is_linux for a in members) else 2)
    current = list(dict.fromkeys(s.lower() for s in first.plan_subnets))
    keep = current[:limit]
    for subnet in sorted(by_subnet, key=lambda s: (-len(by_subnet[s]), s)):
        if subnet not in keep and len(keep) < limit:
            keep.append(subnet)
    plan = first.plan_name or "the plan"
    names = {s: _vnet_name_of(s) for s in [*current, *by_subnet]}
    kept_vnets = ", ".join(sorted({names[s] for s in keep})) or "none"
    vnets = sorted({names[s] for s in [*current, *by_subnet]})
    today = (
        f" It already integrates {len(current)} subnet{'s' * (len(current) != 1)} regionally "
        f"({', '.join(sorted({names[s] for s in current}))}), which its regional apps keep."
        if current
        else ""
    )
    head = (
        f"TOO_MANY_SUBNETS: the apps of plan {plan} reach {len(vnets)} VNets ({', '.join(vnets)}), and regional "
        f"integration gives a {'Linux' if limit == 1 else 'Windows'} plan {limit} subnet{'s' * (limit > 1)}.{today}"
    )
    moved: dict[str, tuple[str, str]] = {}
    stays: dict[str, str] = {}
    for subnet, apps in by_subnet.items():
        place = resolve_place(apps[0])
        if subnet in keep:
            for app in apps:
                stays[app.id.lower()] = (
                    f"{head} {plan} keeps its subnet(s) in {kept_vnets}; apps reaching the others move to new plans."
                )
            continue
        new = f"{plan[:40]}-{place.vnet_name}"[:60]
        reason = (
            f"{head} The apps that reach {place.vnet_name} move to a new plan {new}, integrated with "
            f"{place.subnet_name} from the start, then traffic is switched (blue-green); {plan} keeps {kept_vnets}. "
            "(Alternative: peer the VNets with one target VNet and keep every app on the plan.)"
        )
        for app in apps:
            moved[app.id.lower()] = (new, reason)
    return moved, stays


def _vnet_name_of(subnet_id: str) -> str:
    """'.../virtualNetworks/vnet-a/subnets/s' -> 'vnet-a'."""
    head, _, _ = subnet_id.rpartition("/subnets/")
    return head.rsplit("/", 1)[-1] or subnet_id


def _blue_green_reason(members: Sequence[AppFacts]) -> str | None:
    first = members[0]
    plan = first.plan_name or "the plan"
    new = new_plan_name(plan)
    unsupported = [a for a in members if "PLAN_UNSUPPORTED" in a.blockers]
    if unsupported:
        return (
            f"PLAN_UNSUPPORTED: plan {plan} ({first.plan_sku or '?'}, {first.plan_tier or '?'}) cannot use regional "
            f"integration on its scale unit. A new plan {new}, created as PremiumV3 so it lands on a scale unit that "
            "can, hosts its apps integrated from the start; traffic switches without an outage and the old plan "
            "keeps serving until then."
        )
    for app in members:
        tag = critical_tag(app.tags)
        if tag:
            return (
                f"{app.name} is tagged {tag[0]}={tag[1]}: a 2-5 minute outage with a restart is not acceptable. Apps of "
                f"one plan share its integration, so plan {plan} moves as a whole: a new plan {new} integrated from "
                "the start, the apps deployed to it, then traffic switched without an outage."
            )
    return None


def _cross_region_reason(app: AppFacts) -> str:
    t = app.target
    where = t.vnet_name if t and t.vnet_name else "a VNet"
    new = (
        f"new, {t.vnet_prefix}"
        if t and t.new_vnet and t.vnet_prefix
        else ("new" if t and t.new_vnet else "existing")
    )
    return (
        f"CROSS_REGION: {app.name} runs in {app.location} but its VNet {app.vnet_name} is in "
        f"{app.vnet_location or 'another region'}; regional integration needs a VNet in {app.location}: {where} "
        f"({new}), peered with {app.vnet_name} in both directions."
    )


def _slot_first_reason(app: AppFacts, slots: Sequence[SlotState]) -> str:
    if app.slot:
        return (
            f"Slot {app.slot} of {app.site_name} moves first, so regional integration is tested there before "
            "production moves (integration stays with each slot on a swap, so both need it)."
        )
    names = ", ".join(s.name for s in slots) or "(names not in the inventory)"
    return (
        f"{app.site_name} has staging slot(s) {names}: the slot gets regional integration first and is tested, then "
        "production moves in a short window (disconnect, connect: typically 2-5 minutes and a restart), then a swap "
        "promotes the tested build. Integration does not move with a swap, so every slot is migrated on its own."
    )


def _direct_reason(app: AppFacts) -> str:
    text = (
        f"disconnect, then connect; {app.name} restarts and has no VNet access for typically 2-5 minutes. "
        "No staging slot to test on first, no tag asking for zero downtime, no blocker that needs a new plan."
    )
    broken = [c for c in FAILS_TODAY if c in app.codes]
    if broken:
        text += (
            f" Gateway-required integration cannot carry traffic for it ({', '.join(broken)}), so the cutover takes "
            "away no working VNet path."
        )
    if "NO_SUBNET_SPACE" in app.blockers:
        text += " The VNet's address space grows first (NO_SUBNET_SPACE)."
    if "CLASSIC_VNET" in app.blockers:
        text += " The classic VNet moves to Resource Manager first (CLASSIC_VNET)."
    return text


# --- waves --------------------------------------------------------------------------------------


def ordered_groups(
    movers: Sequence[AppFacts], strategies: Mapping[str, Strategy], leads: Mapping[str, int] | None = None
) -> list[tuple[int, str, list[AppFacts]]]:
    """(rank, plan key, apps in move order) per plan: ready plans first, then needs-work, then
    blocked ones, those with the shortest preparation first (so a long one delays no other)."""
    groups: dict[str, list[AppFacts]] = defaultdict(list)
    for app in movers:
        groups[_plan_key(app)].append(app)
    leads = leads or {}

    def rank(members: list[AppFacts]) -> int:
        # A plan is as ready as its least ready app; unknown readiness counts as needs-work.
        return max(READINESS_RANK.get(a.readiness or "", 1) for a in members)

    def sort_key(key: str) -> tuple[int, int, str, str, str, str]:
        first = groups[key][0]
        return (
            rank(groups[key]),
            _preparation_days(groups[key], leads),
            (first.subscription_name or first.subscription_id or "").lower(),
            (id_part(first.plan_id, "resourceGroups") or first.resource_group or "").lower(),
            (first.plan_name or first.site_name).lower(),
            key,
        )

    return [(rank(groups[k]), k, _order_members(groups[k], strategies)) for k in sorted(groups, key=sort_key)]


def pack_waves(
    groups: Sequence[tuple[int, str, list[AppFacts]]],
    max_apps: int,
    preparation: Mapping[str, int] | None = None,
) -> list[Wave]:
    """Whole plans into waves of at most `max_apps` apps; a new wave where readiness changes, or where
    the preparation a plan waits for does (so a long preparation holds back no plan that is ready sooner)."""
    preparation = preparation or {}
    waves: list[Wave] = []
    current_prep = 0
    for rank, key, members in groups:
        current = waves[-1] if waves else None
        prep = preparation.get(key, 0)
        if (
            current is None
            or current.rank != rank
            or prep != current_prep
            or len(current.apps) + len(members) > max_apps
        ):
            current = Wave(number=len(waves) + 1, rank=rank)
            waves.append(current)
            current_prep = prep
        current.apps.extend(members)
        current.plan_keys.append(key)
    return waves


def plan_waves(movers: Sequence[AppFacts], strategies: Mapping[str, Strategy], max_apps: int) -> list[Wave]:
    """Whole plans into waves: ready, then needs-work, then blocked; at most `max_apps` apps a wave."""
    return pack_waves(ordered_groups(movers, strategies), max_apps)


class _Timing:
    """Dates of waves: back to back in working days, a wave no earlier than its apps' preparation."""

    def __init__(
        self,
        calendar: WorkCalendar,
        wave_days: int,
        ready: Mapping[str, date],
        preparation: Mapping[str, int] | None = None,
    ) -> None:
        self.calendar = calendar
        self.wave_days = wave_days
        self.ready = ready  # app id (lower) -> first day its wave may start
        self.preparation = preparation or {}  # plan key -> working days of preparation it waits for
        self._plan_ready: tuple[object, dict[str, date]] | None = None

    def plan_ready(self, groups: Sequence[tuple[int, str, list[AppFacts]]]) -> dict[str, date]:
        """Plan key -> the first day all its apps may start (plans whose apps wait for nothing are left
        out). The schedule search places the same groups a dozen times: their apps are read once."""
        if self._plan_ready is None or self._plan_ready[0] is not groups:
            ready: dict[str, date] = {}
            for _, key, members in groups:
                dates = [d for a in members if (d := self.ready.get(a.id.lower())) is not None]
                if dates:
                    ready[key] = max(dates)
            self._plan_ready = (groups, ready)
        return self._plan_ready[1]

    def place(self, waves: Sequence[Wave], first: date, plan_ready: Mapping[str, date]) -> None:
        """Give every wave its start, end, pauses and whether it waits for preparation; `plan_ready` is
        `plan_ready` of the groups the waves were packed from."""
        day = self.calendar.on_or_after(first)
        for wave in waves:
            earliest = max([day, *(plan_ready[k] for k in wave.plan_keys if k in plan_ready)])
            wave.start = self.calendar.on_or_after(earliest)
            wave.waits_for_preparation = wave.start > day
            wave.end = self.calendar.span_end(wave.start, self.wave_days)
            wave.pauses = self.calendar.pauses(wave.start, wave.end)
            day = self.calendar.after(wave.end)

    def migration_end(self, groups: Sequence[tuple[int, str, list[AppFacts]]], cap: int, first: date) -> date:
        """The last day of the last wave with apps, for this bound and start (gateway clean-up aside)."""
        waves = pack_waves(groups, cap, self.preparation)
        self.place(waves, first, self.plan_ready(groups))
        return max((w.end for w in waves if w.end), default=first)


def fitting_cap(
    groups: Sequence[tuple[int, str, list[AppFacts]]], first: date, timing: _Timing, target: date
) -> int:
    """The smallest bound (at least the default) whose waves end by `target` (the retirement date
    minus the buffer). When no bound gets there (the start is too late, or a preparation too long),
    the default stands and the schedule says it is late and what would fit.
    """
    total = sum(len(members) for _, _, members in groups)
    low, high = DEFAULT_MAX_APPS_PER_WAVE, max(DEFAULT_MAX_APPS_PER_WAVE, total)
    if not groups or timing.migration_end(groups, low, first) <= target:
        return low
    if timing.migration_end(groups, high, first) > target:
        return low
    while low < high:  # the schedule ends no later as the bound grows: find the first bound that fits
        middle = (low + high) // 2
        if timing.migration_end(groups, middle, first) <= target:
            high = middle
        else:
            low = middle + 1
    return low


def _latest_fitting_start(
    groups: Sequence[tuple[int, str, list[AppFacts]]], cap: int, timing: _Timing, target: date, earliest: date
) -> date | None:
    """The latest start (a working day from `earliest` on) whose waves end by `target`, or None."""
    if timing.migration_end(groups, cap, earliest) > target:
        return None
    low, high = earliest, target
    while low < high:  # a later start never ends earlier: find the last start that still fits
        middle = low + timedelta(days=(high - low).days // 2 + 1)
        if timing.migration_end(groups, cap, middle) <= target:
            low = middle
        else:
            high = middle - timedelta(days=1)
    return timing.calendar.on_or_after(low)  # a start on a day off begins on the next working day


def _order_members(members: list[AppFacts], strategies: Mapping[str, Strategy]) -> list[AppFacts]:
    """Slots before production (slot-first tests on the slot), except blue-green, where the new site comes first."""
    blue_green = any(strategies[a.id.lower()].mode == "blue-green" for a in members)

    def key(a: AppFacts) -> tuple[str, int, str]:
        slot_rank = (1 if a.slot else 0) if blue_green else (0 if a.slot else 1)
        return (a.site_name.lower(), slot_rank, (a.slot or "").lower())

    return sorted(members, key=key)


def _schedule_gateway_removal(waves: list[Wave], gateways: Mapping[str, GatewayFacts]) -> dict[str, int]:
    """Each gateway's clean-up wave: the one after its last dependent's (a clean-up wave is added when needed)."""
    wave_of = {a.id.lower(): w.number for w in waves for a in w.apps}
    app_waves = len(waves)
    removal: dict[str, int] = {}
    for key, gw in sorted(gateways.items()):
        deps = [wave_of[d.lower()] for d in gw.dependents if d.lower() in wave_of]
        # The wave after: its apps keep the gateway as their rollback path during their own wave.
        number = max(deps) + 1 if deps else 1
        if number > len(waves):
            waves.append(Wave(number=len(waves) + 1, rank=None))
        waves[number - 1].gateway_ids.append(gw.id)
        removal[key] = number
    assert len(waves) <= app_waves + 1
    return removal


def default_start(plan: Mapping[str, Any]) -> date:
    """The first Monday at least a week after the plan's date (as_of, else generated_at, else today)."""
    base = (
        _parse_date(plan.get("as_of"))
        or _parse_date(str(plan.get("generated_at") or "")[:10])
        or date.today()
    )
    earliest = base + timedelta(days=NOTICE_DAYS)
    return earliest + timedelta(days=(7 - earliest.weekday()) % 7)


# --- preparation and the deadline ---------------------------------------------------------------


def _preparation_ready(
    movers: Sequence[AppFacts], leads: Mapping[str, int], calendar: WorkCalendar, prep_from: date
) -> dict[str, date]:
    """App id (lower) -> the first day its wave may start: the working day after its longest preparation."""
    ready: dict[str, date] = {}
    for app in movers:
        codes = codes_to_prepare(_codes_in_order(app), leads)
        if codes:
            ready[app.id.lower()] = calendar.after(calendar.span_end(prep_from, codes[0][1]))
    return ready


def _preparation_days(members: Sequence[AppFacts], leads: Mapping[str, int]) -> int:
    """The longest preparation any app of a plan waits for (working days)."""
    return max((leads.get(code, 0) for a in members for code in a.codes), default=0)


def _codes_in_order(app: AppFacts) -> tuple[str, ...]:
    codes = app.codes  # a property that builds a set: once, not once per rule
    return tuple(rule.code for rule in RULES if rule.code in codes)


def _preparation_tasks(
    waves: Sequence[Wave], leads: Mapping[str, int], calendar: WorkCalendar, prep_from: date
) -> dict[str, list[Task]]:
    """App id (lower) -> its preparation tasks, each with the latest start that keeps its wave on time."""
    out: dict[str, list[Task]] = {}
    for wave in waves:
        if wave.start is None:
            continue
        for app in wave.apps:
            tasks = []
            for code, days in codes_to_prepare(_codes_in_order(app), leads):
                latest = calendar.before(wave.start, days)
                tasks.append(
                    Task(
                        app_id=app.id,
                        app=app.name,
                        code=code,
                        title=BY_CODE[code].title,
                        lead_days=days,
                        earliest=prep_from,
                        ready_by=calendar.span_end(prep_from, days),
                        start_by=max(latest, prep_from),
                        needed_by=calendar.before(wave.start, 1),
                        wave=wave.number,
                    )
                )
            if tasks:
                out[app.id.lower()] = tasks
    return out


def _preparation_summary(tasks: Mapping[str, list[Task]]) -> dict[str, Any]:
    starts = [task.start_by for app_tasks in tasks.values() for task in app_tasks if task.start_by]
    return {
        "apps": len(tasks),
        "tasks": sum(len(app_tasks) for app_tasks in tasks.values()),
        "first_start_by": min(starts).isoformat() if starts else None,
    }


def _name_blocked_dependents(
    gateway_dicts: Sequence[dict[str, Any]], waves: Sequence[Wave], removal: Mapping[str, int]
) -> None:
    """A gateway's clean-up waits for its blocked dependents: say which, in its verdict."""
    blocked = {a.id.lower(): (a.name, w.number) for w in waves for a in w.apps if a.readiness == "blocked"}
    for d in gateway_dicts:
        waiting = [blocked[str(x).lower()] for x in d.get("dependents") or () if str(x).lower() in blocked]
        d["waits_for"] = [name for name, _ in waiting]
        if waiting and removal.get(str(d.get("id") or "").lower()):
            names = ", ".join(f"{name} (wave {number})" for name, number in waiting[:5])
            more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
            reason = str(d.get("decommission_reason") or "").rstrip(". ")
            d["decommission_reason"] = (
                f"{reason}. " if reason else ""
            ) + f"Clean-up waits for blocked dependents: {names}{more}."


def _late_advice(
    groups: Sequence[tuple[int, str, list[AppFacts]]],
    first: date,
    timing: _Timing,
    target: date,
    cap: int,
    settings: Settings,
    calendar: WorkCalendar,
    as_of: date,
) -> str:
    """What would make the schedule end by the deadline minus the buffer: a wave size, a start date."""
    end = timing.migration_end(groups, cap, first)
    sentences = [
        f"The migration ends on {end.isoformat()}, after {target.isoformat()} (the retirement date minus "
        f"{settings.buffer_days} working days of buffer)."
    ]
    size = fitting_cap(groups, first, timing, target)
    if size != cap and timing.migration_end(groups, size, first) <= target:
        sentences.append(f"Waves of {size} apps fit from the same start (--wave-size {size}).")
    elif timing.migration_end(groups, max(cap, sum(len(m) for _, _, m in groups)), first) > target:
        sentences.append("No wave size fits from this start.")
    for days in range(settings.wave_days - 1, 0, -1):  # shorter waves, same start and size
        shorter = _Timing(calendar, days, timing.ready, timing.preparation)
        if shorter.migration_end(groups, cap, first) <= target:
            sentences.append(f"Waves of {days} working days fit from the same start (--wave-days {days}).")
            break
    start = _latest_fitting_start(groups, cap, timing, target, calendar.after(as_of))
    if start is not None and start < first:
        sentences.append(
            f"Starting on {start.isoformat()} or earlier fits with the same wave size (--start)."
        )
    elif start is None:
        ready = max(timing.ready.values(), default=None)
        sentences.append(
            "No start date fits with this wave size"
            + (f": preparation alone runs until {calendar.before(ready, 1).isoformat()}." if ready else ".")
        )
    return " ".join(sentences)


def _pause_warnings(wave: Wave) -> list[str]:
    return [
        f"Wave {wave.number} pauses {p.start.isoformat()}"
        + (f" to {p.end.isoformat()}" if p.end != p.start else "")
        + f" ({p.why}); it ends on {wave.end.isoformat() if wave.end else '?'}."
        for p in wave.pauses
    ]


# Days off in most countries, named when a schedule without --holidays plans work on them: without a
# country the planner cannot know the team's holidays, but it can say which of these it counted as work.
_WIDELY_OFF = {(12, 25): "25 Dec", (1, 1): "1 Jan"}


def _holiday_warnings(waves: Sequence[Wave], calendar: WorkCalendar) -> list[str]:
    """Without `--holidays` every workday counts, Christmas and New Year included: say so, once."""
    if calendar.holiday_source or not waves:
        return []
    named = [
        f"{_WIDELY_OFF[(day.month, day.day)]} {day.year} (wave {w.number})"
        for w in waves
        if w.start and w.end
        for day in days_between(w.start, w.end)
        if (day.month, day.day) in _WIDELY_OFF and calendar.working(day)
    ]
    days = ", ".join(DAY_NAMES[d][:3] for d in sorted(calendar.workdays))
    return [
        f"No public holidays are taken out of the schedule (--holidays not given): every {days} counts as a working day"
        + (f", {' and '.join(named)} included" if named else "")
        + ". Give the team's country, e.g. --holidays DE or --holidays US-NY, so waves skip its holidays."
    ]


# --- shared facts -------------------------------------------------------------------------------


def _slots_by_site(everyone: Sequence[AppFacts]) -> dict[str, tuple[SlotState, ...]]:
    """Each site's slots, with their integration, from the apps list and the context's slot names."""
    found: dict[str, dict[str, SlotState]] = defaultdict(dict)
    for app in everyone:
        if app.slot:
            found[app.site_id.lower()][app.slot.lower()] = SlotState(app.slot, app.integration)
    for app in everyone:
        if not app.slot:
            for name in app.slot_names:
                found[app.id.lower()].setdefault(name.lower(), SlotState(name, None))
    return {
        site: tuple(sorted(slots.values(), key=lambda s: s.name.lower())) for site, slots in found.items()
    }


def _subnet_services(movers: Sequence[AppFacts]) -> dict[str, tuple[str, ...]]:
    """Service endpoints each target subnet needs, over every app that lands in it."""
    needed: dict[str, set[str]] = defaultdict(set)
    for app in movers:
        subnet = resolve_place(app).subnet_id.lower()
        if "SERVICE_ENDPOINTS" in app.limitations:
            for resource in app.service_endpoint_resources:
                needed[subnet].update(service_endpoint(resource))
        if "KEYVAULT_REFERENCES" in app.limitations and any(
            (r.public_network_access or "").lower() != "disabled" for r in restricted_vaults(app)
        ):
            needed[subnet].add("Microsoft.KeyVault")
    return {subnet: tuple(sorted(services)) for subnet, services in needed.items()}


def _plan_key(app: AppFacts) -> str:
    return (app.plan_id or f"app:{app.id}").lower()


# --- warnings -----------------------------------------------------------------------------------


def _deadline_warnings(
    waves: list[Wave], retirement: date, first: date, plan: Mapping[str, Any]
) -> list[str]:
    out: list[str] = []
    late = [w for w in waves if w.apps and w.end and w.end > retirement]
    if late:
        apps = sum(len(w.apps) for w in late)
        numbers = f"{late[0].number}" if len(late) == 1 else f"{late[0].number} to {late[-1].number}"
        out.append(
            f"DEADLINE: THE SCHEDULE RUNS PAST {retirement.isoformat()}. Wave(s) {numbers} end after it "
            f"({apps} app(s), the last on {late[-1].end}). Gateway-required integration and SSTP point-to-site stop "
            f"working on {retirement.isoformat()}: those apps lose VNet access that day and cannot roll back. "
            "Start earlier (--start), shorten the waves (--wave-days) or move more apps per wave."
        )
    cleanup_late = [w for w in waves if not w.apps and w.end and w.end > retirement]
    if cleanup_late and not late:
        out.append(
            f"Gateway clean-up (wave {cleanup_late[0].number}) ends after {retirement.isoformat()}: no outage, but the "
            "gateways keep costing until they are removed."
        )
    as_of = _parse_date(plan.get("as_of"))
    if as_of and first < as_of:
        out.append(f"The schedule starts on {first.isoformat()}, before the plan's date {as_of.isoformat()}.")
    return out


def _data_warnings(movers: Sequence[AppFacts], dict_of: Mapping[str, Mapping[str, Any]]) -> list[str]:
    out: list[str] = []
    for app in movers:
        if not resolve_place(app).known:
            reason = dict_of[app.id.lower()].get("target_reason") or "no target in the plan"
            out.append(
                f"{app.name}: {reason}; its steps use named placeholders, which stop the scripts until filled in."
            )
        elif app.target is not None and app.target.unknown_reason:
            out.append(f"{app.name}: {app.target.unknown_reason}; check that subnet before its steps run.")
        if app.readiness not in READINESS_RANK:
            out.append(f"{app.name}: readiness unknown; scheduled with the plans that need work.")
        if app.is_windows_container and "KEYVAULT_REFERENCES" in app.limitations:
            out.append(
                f"{app.name}: a Windows container cannot route Key Vault references through VNet integration; "
                "its restricted vault must stay reachable on its public endpoint."
            )
    return out


def _parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _squash(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


__all__ = [
    "RETIREMENT_DATE",
    "apply_runbook",
    "choose_strategies",
    "critical_tag",
    "default_start",
    "plan_waves",
]
