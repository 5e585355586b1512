"""What a rule is, what it returns, and what it looks at.

A rule decides one code for one gateway-required app or slot. It answers `yes` with evidence a
user can check in the portal (resource id, field, value), `no`, or `unknown` with the reason the
data could not decide it. Rules are pure: they read the typed model, never Azure.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from planner.core.memory import KeyShared, key_shared
from planner.inventory.model import App, AppServicePlan, Gateway, Tenant, VirtualNetwork, VnetConnection


class Kind(StrEnum):
    """The three lists of plan.json a code goes into."""

    LIMITATION = "limitation"
    BLOCKER = "blocker"
    FINDING = "finding"


class Status(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What decided a verdict: look at `field` of `resource_id`, you will see `value`."""

    code: str
    resource_id: str
    field: str
    value: object
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "code": self.code,
            "resource_id": self.resource_id,
            "field": self.field,
            "value": self.value,
        }
        if self.note:
            data["note"] = self.note
        return key_shared(_EvidenceDict, data)


class _EvidenceDict(KeyShared):
    """apps[].evidence[]: several per app (planner.core.memory.key_shared)."""


@dataclass(frozen=True, slots=True)
class Verdict:
    status: Status
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None


def no() -> Verdict:
    return _NO_VERDICT  # verdicts are frozen: the common answer is one object


_NO_VERDICT = Verdict(Status.NO)


def unknown(reason: str) -> Verdict:
    return Verdict(Status.UNKNOWN, reason=reason)


def yes(*evidence: Evidence) -> Verdict:
    return Verdict(Status.YES, tuple(evidence))


def join_reasons(*reasons: str | None) -> str:
    """Reasons joined with "; ", each said once (in the order first given)."""
    return "; ".join(dict.fromkeys(r for r in reasons if r))


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    """What placement found for the app's target VNet; NO_SUBNET_SPACE reads it."""

    vnet_id: str | None
    fits: bool | None  # None: placement could not be tried (VNet not in the inventory, new VNet, ...)
    needed_prefixlen: int | None = None
    addition: str | None = None
    reason: str | None = None
    plan_subnets: tuple[str, ...] = ()  # every subnet the app's plan would integrate after the move
    plan_subnet_limit: int | None = None


@dataclass
class AppContext:
    """One gateway-required app or slot with everything its rules look at."""

    tenant: Tenant
    app: App
    plan: AppServicePlan | None
    connection: VnetConnection
    vnet_id: str | None
    vnet: VirtualNetwork | None
    os: str | None  # "windows" | "linux" | None when the data cannot tell
    container: str | None  # "windows" | "linux" | None
    os_evidence: tuple[str, str, object] | None = None  # (resource id, field, value) that decided os
    container_evidence: tuple[str, str, object] | None = None
    target: TargetOutcome | None = None
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def classic(self) -> bool:
        return "/microsoft.classicnetwork/" in (self.vnet_id or "").lower()

    @property
    def gateways(self) -> list[Gateway]:
        """Gateways whose ip configuration sits in this VNet's GatewaySubnet."""
        if not self.vnet_id:
            return []
        return self.tenant.gateways_by_vnet.get(self.vnet_id.lower(), [])

    @property
    def vpn_gateway(self) -> Gateway | None:
        """The VPN gateway App Service connects to (azure-facts §3.2: found via the GatewaySubnet)."""
        vpn = [g for g in self.gateways if g.is_vpn]
        with_p2s = [g for g in vpn if g.has_p2s]
        chosen = with_p2s or vpn
        return chosen[0] if chosen else None


Check = Callable[[AppContext], Verdict]


@dataclass(frozen=True)
class Rule:
    """Everything about one code: its list, its words, the check that decides it and what it means
    downstream (readiness, the runbook). The check's docstring documents what it looks at.

    Nothing outside the catalogue keeps a list of codes: a stage that treats some codes alike reads
    one of these flags, so a new code is one `Rule` (plus its docs and tests).
    """

    code: str
    kind: Kind
    title: str
    check: Check
    why: str
    fix: str
    stage: str = "analysis"  # "placement": decided after target subnets are placed
    learn: str = ""  # the Microsoft Learn page that documents the behaviour
    # A limitation whose move needs extra steps (readiness "needs-work"); the others are what the move fixes.
    needs_work: bool = False
    # Gateway-required integration cannot carry this app's traffic today: the cutover takes nothing away.
    fails_today: bool = False
    # A blocker the runbook's own steps resolve (new plan, address space, peering, migration); any other
    # blocker stops the app's steps at a manual step.
    runbook_resolves: bool = False
    # Working days of preparation before the app's wave can start (what resolves the blocker: a VNet
    # migrated to Resource Manager, address space added, a peering approved); `--lead-times` overrides.
    lead_days: int = 0
    # On-premises is reached through the integrated VNet's gateway: a new VNet must peer with gateway transit.
    # (COEXISTENCE does not carry it: an ExpressRoute gateway beside the VPN one always raises EXPRESSROUTE too.)
    reaches_on_premises: bool = False
    # Inventory types (planner.inventory.loader) whose absence the check's "no" reads as a fact (no
    # ExpressRoute connection, no locked resource): when the inventory holds only part of one of them,
    # that "no" turns "unknown", naming the incomplete file. A check that reads absence only in some
    # cases (the VNet or gateway not found) says so itself, with `tenant.gap_note`.
    reads: tuple[str, ...] = ()

    def decide(self, ctx: AppContext) -> Verdict:
        """The check's verdict, made "unknown" where it rests on data the inventory holds only part of."""
        verdict = self.check(ctx)
        note = ctx.tenant.gap_note(*self.reads) if self.reads else None
        if note is None:
            return verdict
        if verdict.status == Status.NO:
            return unknown(f"nothing in the data read says so, but {note}")
        if verdict.status == Status.UNKNOWN:
            return unknown(join_reasons(verdict.reason, note))
        return verdict

    @property
    def finds(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def readiness_effect(self) -> str | None:
        """What a `yes` does to the app's readiness: "blocked", "needs-work" or nothing."""
        if self.kind == Kind.BLOCKER:
            return "blocked"
        return "needs-work" if self.needs_work else None


@dataclass(frozen=True)
class GatewayUse:
    """Something other than App Service that uses a VPN gateway (gateways[].other_uses).

    Decided in planner/gateways/decommission.py; listed here so every output uses the same words.
    """

    code: str
    title: str  # "Site-to-site VPN"
    meaning: str  # what the evidence shows
    fix: str  # what to do about the gateway
    serves: str  # completes "the gateway also serves ...": "site-to-site VPN connections to on-premises"
    # Reaches on-premises or other VNets through the gateway: a new VNet must peer with gateway transit.
    transit: bool = False
