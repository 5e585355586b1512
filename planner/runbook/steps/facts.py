"""Typed, read-only views of the parts of the plan dict the runbook reads.

The plan dict (docs/plan-format.md) is the contract between the analysis and the runbook; these
views are built once from it so the step builders never dig through raw dicts, and so a missing
field becomes an explicit `None` (and later a named placeholder) instead of a KeyError.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from planner.core.ids import id_part, last_segment
from planner.core.memory import KeyShared, key_shared

# Placeholders are written <LIKE_THIS>; scripts refuse to run a command that still holds one.
CLASSIC_MARKER = "/microsoft.classicnetwork/"


def codes_of(items: Sequence[Any] | None) -> tuple[str, ...]:
    """Code strings from a code list that may hold plain strings or {"code": ...} dicts."""
    out: list[str] = []
    for item in items or ():
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict | Mapping) and isinstance(item.get("code"), str):  # dict: no ABC lookup
            out.append(item["code"])
    return tuple(out)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _strs(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,) if value else ()
    if isinstance(value, list | tuple | Sequence):  # list and tuple first: no ABC lookup
        return tuple(v for v in value if isinstance(v, str) and v)
    return ()


# Not frozen, for speed: treated as a value all the same (docs/architecture.md, "value classes").
@dataclass(unsafe_hash=True, slots=True)
class Target:
    """Where the app's regional integration goes (apps[].target)."""

    vnet_id: str | None
    vnet_name: str | None
    vnet_resource_group: str | None
    location: str | None
    subnet_name: str | None
    subnet_id: str | None
    prefix: str | None
    new_subnet: bool
    new_vnet: bool
    vnet_prefix: str | None
    peer_with: str | None
    address_space_addition: str | None
    instances: int | None
    unknown_reason: str | None = None  # the data cannot tell whether this subnet can be used

    @classmethod
    def from_dict(cls, d: Mapping[str, Any] | None) -> Target | None:
        if not isinstance(d, Mapping):
            return None
        instances = d.get("instances")
        return cls(
            vnet_id=_str(d.get("vnet_id")),
            vnet_name=_str(d.get("vnet_name")),
            vnet_resource_group=_str(d.get("vnet_resource_group")),
            location=_str(d.get("location")),
            subnet_name=_str(d.get("subnet_name")),
            subnet_id=_str(d.get("subnet_id")),
            prefix=_str(d.get("prefix")),
            new_subnet=bool(d.get("new_subnet")),
            new_vnet=bool(d.get("new_vnet")),
            vnet_prefix=_str(d.get("vnet_prefix")),
            peer_with=_str(d.get("peer_with")),
            address_space_addition=_str(d.get("address_space_addition")),
            instances=instances if isinstance(instances, int) and instances > 0 else None,
            unknown_reason=_str(d.get("unknown_reason")),
        )


@dataclass(frozen=True, slots=True)
class KeyVaultRef:
    """One app setting that is a Key Vault reference (context.keyvault_references[])."""

    setting: str | None
    vault: str | None
    vault_id: str | None
    restricted: bool | None  # None: the vault is not in the inventory
    public_network_access: str | None  # "Disabled" means only a private endpoint reaches it


def ruled_by_vnet(vnets: Any) -> dict[str, tuple[RuledResource, ...]]:
    """plan.json's `vnets` (plan format 2) as lower-case VNet id -> its service-endpoint resources."""
    out: dict[str, tuple[RuledResource, ...]] = {}
    for vnet in vnets or ():
        if isinstance(vnet, Mapping) and isinstance(vnet.get("id"), str):
            out[vnet["id"].lower()] = _ruled(vnet.get("service_endpoint_resources"))
    return out


def _ruled(resources: Any) -> tuple[RuledResource, ...]:
    return tuple(
        RuledResource(id=str(r["id"]), type=str(r.get("type") or ""), services=_strs(r.get("services")))
        for r in resources or ()
        if isinstance(r, Mapping) and r.get("id")
    )


@dataclass(frozen=True, slots=True)
class RuledResource:
    """A resource that admits the old VNet's subnets through service endpoints."""

    id: str
    type: str
    services: tuple[str, ...]

    @property
    def name(self) -> str:
        return last_segment(self.id) or self.id


@dataclass(frozen=True, slots=True)
class PlanRoute:
    """A route the gateway-required connection carried (context.plan_routes[])."""

    start: str | None
    end: str | None
    type: str | None
    cidr: str | None = None


# Not frozen, for speed: treated as a value all the same (docs/architecture.md, "value classes").
@dataclass(unsafe_hash=True, slots=True)
class AppFacts:
    """A gateway-required app or slot, as the runbook needs it."""

    id: str
    name: str
    site_name: str
    slot: str | None
    kind: str | None
    os: str | None
    container: str | None
    subscription_id: str | None
    subscription_name: str | None
    resource_group: str | None
    location: str | None
    plan_id: str | None
    plan_name: str | None
    plan_sku: str | None
    plan_tier: str | None
    integration: str | None
    vnet_id: str | None
    gateway_id: str | None
    tags: Mapping[str, str]
    limitations: tuple[str, ...]
    blockers: tuple[str, ...]
    findings: tuple[str, ...]
    readiness: str | None
    # context
    vnet_name: str | None
    vnet_resource_group: str | None
    vnet_location: str | None
    vnet_dns_servers: tuple[str, ...]
    connection_name: str | None
    p2s_pools: tuple[str, ...]
    gateway_name: str | None
    gateway_resource_group: str | None
    gateway_other_uses: tuple[str, ...]
    route_all: bool | None
    has_slots: bool
    slot_names: tuple[str, ...]
    is_function: bool
    service_endpoint_resources: tuple[RuledResource, ...]
    keyvault_references: tuple[KeyVaultRef, ...]
    plan_routes: tuple[PlanRoute, ...]
    target: Target | None
    scm_host: str | None = None  # the Kudu host as the app reports it (hostNameSslStates, Repository)
    # The subnets the app's plan integrates today (all its apps, every signal), and how many it may;
    # empty and None in plans written before they were recorded.
    plan_subnets: tuple[str, ...] = ()
    plan_subnet_limit: int | None = None

    @classmethod
    def from_dict(
        cls, d: Mapping[str, Any], vnets: Mapping[str, tuple[RuledResource, ...]] | None = None
    ) -> AppFacts:
        """The app's facts; `vnets` (from `ruled_by_vnet`) gives its VNet's service-endpoint resources,
        which plan format 2 lists once per VNet (a plan@1 app's context holds them itself)."""
        ctx = d.get("context") if isinstance(d.get("context"), Mapping) else {}
        assert isinstance(ctx, Mapping)
        app_id = str(d.get("id") or "")
        slot = _str(d.get("slot"))
        site = _str(d.get("site_name")) or last_segment(app_id.split("/slots/")[0]) or app_id
        tags = d.get("tags") if isinstance(d.get("tags"), Mapping) else {}
        assert isinstance(tags, Mapping)
        kind = _str(d.get("kind"))
        return cls(
            id=app_id,
            name=_str(d.get("name")) or (f"{site}/{slot}" if slot else site),
            site_name=site,
            slot=slot,
            kind=kind,
            os=_str(d.get("os")),
            container=_str(d.get("container")),
            subscription_id=_str(d.get("subscription_id")) or id_part(app_id, "subscriptions"),
            subscription_name=_str(d.get("subscription_name")),
            resource_group=_str(d.get("resource_group")) or id_part(app_id, "resourceGroups"),
            location=_str(d.get("location")),
            plan_id=_str(d.get("plan_id")),
            plan_name=_str(d.get("plan_name")) or last_segment(_str(d.get("plan_id"))),
            plan_sku=_str(d.get("plan_sku")),
            plan_tier=_str(d.get("plan_tier")),
            integration=_str(d.get("integration")),
            vnet_id=_str(d.get("vnet_id")),
            gateway_id=_str(d.get("gateway_id")),
            tags=tags
            if all(type(k) is str and type(v) is str for k, v in tags.items())
            else {str(k): str(v) for k, v in tags.items()},
            limitations=codes_of(d.get("limitations")),
            blockers=codes_of(d.get("blockers")),
            findings=codes_of(d.get("findings")),
            readiness=_str(d.get("readiness")),
            vnet_name=_str(ctx.get("vnet_name")) or last_segment(_str(d.get("vnet_id"))),
            vnet_resource_group=_str(ctx.get("vnet_resource_group"))
            or id_part(d.get("vnet_id"), "resourceGroups"),
            vnet_location=_str(ctx.get("vnet_location")),
            vnet_dns_servers=_strs(ctx.get("vnet_dns_servers")),
            connection_name=_str(ctx.get("connection_name")),
            p2s_pools=_strs(ctx.get("p2s_pools")),
            gateway_name=_str(ctx.get("gateway_name")) or last_segment(_str(d.get("gateway_id"))),
            gateway_resource_group=_str(ctx.get("gateway_resource_group"))
            or id_part(d.get("gateway_id"), "resourceGroups"),
            gateway_other_uses=_strs(ctx.get("gateway_other_uses")),
            route_all=ctx.get("route_all") if isinstance(ctx.get("route_all"), bool) else None,
            has_slots=bool(ctx.get("has_slots")) or slot is not None,
            slot_names=_strs(ctx.get("slot_names")),
            is_function=bool(ctx.get("is_function")) or "functionapp" in (kind or "").lower(),
            scm_host=_str(ctx.get("scm_host")),
            service_endpoint_resources=_ruled(ctx.get("service_endpoint_resources"))
            if "service_endpoint_resources" in ctx
            else (vnets or {}).get(str(d.get("vnet_id") or "").lower(), ()),
            keyvault_references=tuple(
                KeyVaultRef(
                    setting=_str(r.get("setting")),
                    vault=_str(r.get("vault")) or last_segment(_str(r.get("vault_id"))),
                    vault_id=_str(r.get("vault_id")),
                    restricted=r.get("restricted") if isinstance(r.get("restricted"), bool) else None,
                    public_network_access=_str(r.get("public_network_access")),
                )
                for r in ctx.get("keyvault_references") or ()
                if isinstance(r, Mapping)
            ),
            plan_routes=tuple(
                _route(r) for r in ctx.get("plan_routes") or () if isinstance(r, Mapping | str)
            ),
            target=Target.from_dict(d.get("target")),
            plan_subnets=_strs(ctx.get("plan_subnets")),
            plan_subnet_limit=limit
            if isinstance(limit := ctx.get("plan_subnet_limit"), int) and limit > 0
            else None,
        )

    @property
    def codes(self) -> frozenset[str]:
        """Every code on the app, whatever its list."""
        return frozenset(self.limitations + self.blockers + self.findings)

    @property
    def site_id(self) -> str:
        """The production site's id (a slot's parent)."""
        return self.id.split("/slots/")[0] if self.slot else self.id

    @property
    def cli(self) -> str:
        """The az command group for this app: functions have their own."""
        return "functionapp" if self.is_function else "webapp"

    @property
    def is_linux(self) -> bool:
        return (self.os or "").lower() == "linux" or "linux" in (self.kind or "").lower()

    @property
    def is_windows_container(self) -> bool:
        return (self.container or "").lower() == "windows"

    @property
    def old_vnet_is_classic(self) -> bool:
        return CLASSIC_MARKER in (self.vnet_id or "").lower()

    @property
    def connection(self) -> str | None:
        """Name of the gateway-required connection: Azure names it after the VNet (azure-facts §1.1)."""
        return self.connection_name or self.vnet_name


@dataclass(frozen=True, slots=True)
class GatewayFacts:
    """A VPN gateway that gateway-required apps depend on (gateways[])."""

    id: str
    name: str
    sku: str | None
    vnet_id: str | None
    location: str | None
    subscription_id: str | None
    resource_group: str | None
    p2s_pools: tuple[str, ...]
    p2s_protocols: tuple[str, ...]
    p2s_auth: tuple[str, ...]
    root_certificates: tuple[str, ...]
    app_root_certificates: tuple[str, ...] | None  # None: not said, derive it
    client_cert_names: tuple[str, ...]  # root certificates the analysis tied to other VPN users
    public_ip_ids: tuple[str, ...]
    dependents: tuple[str, ...]
    other_uses: tuple[str, ...]
    other_uses_weak: tuple[str, ...]
    decommission: str
    decommission_reason: str | None
    monthly_cost: float | None
    monthly_savings: float | None
    potential_monthly_savings: float | None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> GatewayFacts:
        gw_id = str(d.get("id") or "")
        evidence = d.get("evidence") or ()
        client_certs = tuple(
            str(e.get("value"))
            for e in evidence
            if isinstance(e, Mapping)
            and e.get("code") == "P2S_CLIENTS"
            and str(e.get("field") or "").endswith("vpnClientRootCertificates")
            and isinstance(e.get("value"), str)
        )
        app_certs = d.get("app_root_certificates")
        decommission = _str(d.get("decommission"))
        if decommission not in ("yes", "no", "verify"):
            decommission = "yes" if d.get("decommissionable") else "no"
        return cls(
            id=gw_id,
            name=_str(d.get("name")) or last_segment(gw_id) or gw_id,
            sku=_str(d.get("sku")),
            vnet_id=_str(d.get("vnet_id")),
            location=_str(d.get("location")),
            subscription_id=_str(d.get("subscription_id")) or id_part(gw_id, "subscriptions"),
            resource_group=_str(d.get("resource_group")) or id_part(gw_id, "resourceGroups"),
            p2s_pools=_strs(d.get("p2s_pools")),
            p2s_protocols=_strs(d.get("p2s_protocols")),
            p2s_auth=_strs(d.get("p2s_auth")),
            root_certificates=_strs(d.get("root_certificates")),
            app_root_certificates=_strs(app_certs) if isinstance(app_certs, Sequence) else None,
            client_cert_names=client_certs,
            public_ip_ids=_strs(d.get("public_ip_ids")),
            dependents=_strs(d.get("dependents")),
            other_uses=_strs(d.get("other_uses")),
            other_uses_weak=_strs(d.get("other_uses_weak")),
            decommission=decommission,
            decommission_reason=_str(d.get("decommission_reason")),
            monthly_cost=_num(d.get("monthly_cost")),
            monthly_savings=_num(d.get("monthly_savings")),
            potential_monthly_savings=_num(d.get("potential_monthly_savings")),
        )

    @property
    def certificates_of_apps(self) -> tuple[str, ...] | None:
        """Root certificates App Service registered; None when the plan cannot tell."""
        if self.app_root_certificates is not None:
            return self.app_root_certificates
        if not self.root_certificates:
            return None
        # The analysis names every certificate that belongs to other VPN users; the rest are the apps'.
        others = {c.lower() for c in self.client_cert_names}
        return tuple(c for c in self.root_certificates if c.lower() not in others)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _route(r: Mapping[str, Any] | str) -> PlanRoute:
    if isinstance(r, str):
        return PlanRoute(start=None, end=None, type=None, cidr=r)
    return PlanRoute(
        start=_str(r.get("start") or r.get("startAddress")),
        end=_str(r.get("end") or r.get("endAddress")),
        type=_str(r.get("type") or r.get("routeType")),
        cidr=_str(r.get("cidr")),
    )


@dataclass(frozen=True, slots=True)
class Strategy:
    """How an app moves: the name shown to people, why, and how the steps do the cutover.

    `mode` is "in-place" (disconnect, then connect the same app) or "blue-green" (a new plan and
    app integrated from the start, then a traffic switch): the name says what dominates the work,
    the mode what the cutover looks like (a needs-peering app can still move blue-green).
    """

    name: str
    reason: str
    mode: str = "in-place"
    new_plan: str | None = None  # blue-green: the plan the app moves to

    def as_dict(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"name": self.name, "reason": self.reason, "mode": self.mode}
        if self.new_plan:
            out["new_plan"] = self.new_plan
        return key_shared(_StrategyDict, out)


class _StrategyDict(KeyShared):
    """apps[].strategy: one per gateway-required app (planner.core.memory.key_shared)."""
