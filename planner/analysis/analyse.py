"""Classify every app and slot, and run the rules on the gateway-required ones.

Classification (azure-facts §1.1, §1.3): an app with a `virtualNetworkConnections` entry whose
`isSwift` is not true uses gateway-required integration; one with `virtualNetworkSubnetId` (or an
`isSwift` entry, or a `networkConfig/virtualNetwork` subnet) uses regional integration; an app whose connections were read and hold neither
uses none; an app whose connections were not read is "unknown" when it could use gateway-required
integration (Windows or unknown OS on a dedicated tier), else "none".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from planner.analysis.rules import RULES
from planner.analysis.rules.base import AppContext, Kind, Status, Verdict
from planner.analysis.tiers import gateway_possible, tier_from_sku
from planner.core.ids import norm_id
from planner.inventory import loader as inv
from planner.inventory.model import App, AppServicePlan, Integration, Tenant, VnetConnection


class Readiness(StrEnum):
    READY = "ready"
    NEEDS_WORK = "needs-work"
    BLOCKED = "blocked"


@dataclass
class AppResult:
    """What analysis found for one app or slot."""

    app: App
    plan: AppServicePlan | None
    integration: Integration
    integration_reason: str | None
    os: str | None
    container: str | None
    context: AppContext | None = None  # gateway-required apps only
    verdicts: dict[str, Verdict] = field(default_factory=dict)

    def codes(self, kind: Kind) -> list[str]:
        verdicts = self.verdicts
        return [c for c in _CODES_OF[kind] if verdicts.get(c, _NO).status == Status.YES]

    @property
    def unknown(self) -> list[tuple[str, str]]:
        verdicts = self.verdicts
        return [
            (code, verdicts[code].reason or "not decidable from the data")
            for code in _ORDER
            if code in verdicts and verdicts[code].status == Status.UNKNOWN
        ]

    @property
    def readiness(self) -> Readiness | None:
        """blocked: a blocker; needs-work: steps beyond the switch, or an undecided blocker.

        Findings describe the current setup, which the move replaces: they change no readiness.
        """
        if self.integration != Integration.GATEWAY_REQUIRED:
            return None
        return readiness_of({code: v.status for code, v in self.verdicts.items()})


def readiness_of(statuses: dict[str, Status]) -> Readiness:
    """Readiness from each code's verdict (codes not given count as "no").

    Also used with suppressed codes left out (planner/plan/suppressions.py), so both agree by construction.
    """
    if any(statuses.get(code) == Status.YES for code in _CODES_OF[Kind.BLOCKER]):
        return Readiness.BLOCKED
    for code, blocker, needs_work in _READINESS_INPUTS:
        status = statuses.get(code, Status.NO)
        if blocker and status == Status.UNKNOWN:
            return Readiness.NEEDS_WORK
        if needs_work and status in (Status.YES, Status.UNKNOWN):
            return Readiness.NEEDS_WORK
    return Readiness.READY


# RULES is a tuple fixed at import: its codes by kind, in order, read once (every app asks three times).
_ORDER = tuple(r.code for r in RULES)
_CODES_OF = {kind: tuple(r.code for r in RULES if r.kind == kind) for kind in Kind}
_READINESS_INPUTS = tuple((r.code, r.kind == Kind.BLOCKER, bool(r.needs_work)) for r in RULES)


_NO = Verdict(Status.NO)


def os_of(app: App, plan: AppServicePlan | None) -> tuple[str | None, tuple[str, str, object] | None]:
    """'linux' or 'windows' with the field that says so; None when nothing in the data tells."""
    if "linux" in app.kinds:
        return "linux", (app.id, "kind", app.kind)
    if app.reserved:
        return "linux", (app.id, "properties.reserved", True)
    if plan is not None and plan.reserved:
        return "linux", (plan.id, "properties.reserved", True)
    if app.kind or app.reserved is False or (plan is not None and plan.reserved is False):
        return "windows", None
    return None, None


def container_of(
    app: App, plan: AppServicePlan | None, os: str | None
) -> tuple[str | None, tuple[str, str, object] | None]:
    """'windows' (Hyper-V sandbox) or 'linux' container, with the deciding field (azure-facts §2.2)."""
    kinds = app.kinds
    if app.hyper_v:
        return "windows", (app.id, "properties.hyperV", True)
    if app.is_xenon:
        return "windows", (app.id, "properties.isXenon", True)
    if "hyperv" in kinds or ("container" in kinds and "windows" in kinds):
        return "windows", (app.id, "kind", app.kind)
    if plan is not None and plan.hyper_v:
        return "windows", (plan.id, "properties.hyperV", True)
    if os == "linux" and "container" in kinds:
        return "linux", (app.id, "kind", app.kind)
    return None, None


def could_use_gateway(app: App, plan: AppServicePlan | None, os: str | None) -> bool:
    """Whether the app's tier allows gateway-required integration, as far as the data tells.

    The OS is deliberately not considered: a Linux app can carry a leftover gateway-required entry
    (LINUX), which can block its regional integration, so an unread Linux app stays "unknown".
    """
    tier = tier_from_sku(plan.sku_tier, plan.sku_name) if plan else None
    return gateway_possible(tier or (app.sku_tier.lower() if app.sku_tier else None))


def classify(
    tenant: Tenant, app: App, plan: AppServicePlan | None, os: str | None
) -> tuple[Integration, VnetConnection | None, str | None]:
    """The app's integration kind, its gateway-required connection if any, and a reason when unknown."""
    entries = tenant.vnet_connections.get(norm_id(app.id), [])
    gateway = [e for e in entries if e.gateway_required]
    if gateway:
        if len(gateway) > 1:
            tenant.warnings.append(
                f"{app.name} has {len(gateway)} gateway-required connections; planning for {gateway[0].name}, "
                "the others are listed in its evidence"
            )
        return Integration.GATEWAY_REQUIRED, gateway[0], None
    # Regional by any field that says so: virtualNetworkSubnetId, a regional connection entry, networkConfig.
    if (
        app.regional_subnet_id
        or any(not e.gateway_required for e in entries)
        or tenant.app_subnet_uses.get(norm_id(app.id))
    ):
        return Integration.REGIONAL, None, None
    read = tenant.was_read("virtualNetworkConnections", app.id)
    if read is True:
        note = tenant.gap_note(inv.VNET_CONNECTION) if could_use_gateway(app, plan, os) else None
        if note:
            return (
                Integration.UNKNOWN,
                None,
                f"no virtualNetworkConnections entry was read for it, but {note}",
            )
        return Integration.NONE, None, None
    if not could_use_gateway(app, plan, os):
        return Integration.NONE, None, None
    if read is False:
        reason = tenant.failure_reason("virtualNetworkConnections", app.id)
        return Integration.UNKNOWN, None, f"reading its virtualNetworkConnections failed ({reason})"
    return Integration.UNKNOWN, None, "its virtualNetworkConnections were not read"


def analyse(tenant: Tenant) -> list[AppResult]:
    """Classify every app and run the analysis-stage rules on the gateway-required ones."""
    results = []
    for app in tenant.apps.values():
        plan = tenant.plan_of(app)
        os, os_evidence = os_of(app, plan)
        container, container_evidence = container_of(app, plan, os)
        integration, connection, reason = classify(tenant, app, plan, os)
        result = AppResult(app, plan, integration, reason, os, container)
        if connection is not None:
            vnet_id = connection.vnet_resource_id
            result.context = AppContext(
                tenant=tenant,
                app=app,
                plan=plan,
                connection=connection,
                vnet_id=vnet_id,
                vnet=tenant.vnet(vnet_id),
                os=os,
                container=container,
                os_evidence=os_evidence,
                container_evidence=container_evidence,
            )
            run_rules(result, stage="analysis")
        results.append(result)
    return results


def run_rules(result: AppResult, *, stage: str) -> None:
    """Decide every rule of one stage for one gateway-required app."""
    assert result.context is not None
    for rule in RULES:
        if rule.stage == stage:
            result.verdicts[rule.code] = rule.decide(result.context)
