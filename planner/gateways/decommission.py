"""Which VPN gateways gateway-required apps depend on, what else uses them, and what removing them saves.

Other uses (azure-facts §3.3): site-to-site and VNet-to-VNet connections, ExpressRoute connections,
peerings that use the gateway for transit, and point-to-site users other than App Service. A root
certificate that matches no app's certBlob, or AAD/RADIUS authentication, is strong evidence of other
point-to-site users; a protocol alone is weak (new Basic gateways get IKEv2 by default since
November 2025), so weak signals make the verdict "verify", never a silent yes or no.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.analysis.analyse import AppResult
from planner.analysis.rules import GATEWAY_USES
from planner.analysis.rules.base import Evidence, join_reasons
from planner.core.ids import norm_id
from planner.gateways.prices import PriceTable, monthly_cost
from planner.inventory.model import Gateway, Integration, Tenant, VnetConnection

OTHER_USES = tuple(use.code for use in GATEWAY_USES)  # in the catalogue's order


@dataclass(frozen=True, slots=True)
class GatewayUse(Evidence):
    """Evidence of a use of the gateway besides App Service, with how much it proves."""

    strength: str = "strong"  # "strong" | "weak"

    def as_dict(self) -> dict[str, object]:
        return {**Evidence.as_dict(self), "strength": self.strength}


@dataclass
class GatewayReport:
    gateway: Gateway
    dependents: list[AppResult] = field(default_factory=list)
    uses: list[GatewayUse] = field(default_factory=list)
    decommission: str = "no"
    reason: str = ""
    monthly_cost: float | None = None
    app_root_certificates: list[str] = field(default_factory=list)  # root certs that are apps' certBlobs

    @property
    def other_uses(self) -> list[str]:
        strong = {u.code for u in self.uses if u.strength == "strong"}
        return [c for c in OTHER_USES if c in strong]

    @property
    def other_uses_weak(self) -> list[str]:
        strong = set(self.other_uses)
        weak = {u.code for u in self.uses if u.strength == "weak"}
        return [c for c in OTHER_USES if c in weak and c not in strong]


def gateway_uses(
    tenant: Tenant, gateway: Gateway, app_cert_digests: set[str], digests_complete: bool
) -> list[GatewayUse]:
    """Everything besides App Service that uses this gateway, with the strength of each signal."""
    uses: list[GatewayUse] = []
    for connection in tenant.connections_by_gateway.get(norm_id(gateway.id), []):
        kind = (connection.connection_type or "").lower()
        code = {"ipsec": "S2S", "vnet2vnet": "VNET2VNET", "expressroute": "EXPRESSROUTE"}.get(kind)
        if code:
            uses.append(
                GatewayUse(code, connection.id, "properties.connectionType", connection.connection_type)
            )
    for vnet_id in gateway.vnet_ids:
        vnet = tenant.vnets.get(norm_id(vnet_id))
        if vnet is None:
            continue
        for peering in vnet.peerings:
            if not peering.allow_gateway_transit:
                continue
            remote = tenant.vnets.get(norm_id(peering.remote_vnet_id))
            if remote is None:
                uses.append(
                    GatewayUse(
                        "GATEWAY_TRANSIT",
                        vnet.id,
                        f"properties.virtualNetworkPeerings[{peering.name}].properties.allowGatewayTransit",
                        True,
                        note=f"remote VNet {peering.remote_vnet_id} is not in the inventory: "
                        "cannot see whether it uses this gateway (useRemoteGateways)",
                        strength="weak",
                    )
                )
                continue
            back = [p for p in remote.peerings if norm_id(p.remote_vnet_id) == norm_id(vnet.id)]
            if any(p.use_remote_gateways for p in back):
                uses.append(
                    GatewayUse(
                        "GATEWAY_TRANSIT",
                        remote.id,
                        "properties.virtualNetworkPeerings[].properties.useRemoteGateways",
                        True,
                        note=f"{remote.name} reaches on-premises through this gateway",
                    )
                )
    return uses + _point_to_site_users(gateway, app_cert_digests, digests_complete)


def _point_to_site_users(
    gateway: Gateway, app_cert_digests: set[str], digests_complete: bool
) -> list[GatewayUse]:
    """Signs of point-to-site clients other than App Service (azure-facts §3.3)."""
    client = "properties.vpnClientConfiguration"
    uses: list[GatewayUse] = []

    def use(field: str, value: object, strength: str, note: str) -> None:
        uses.append(
            GatewayUse("P2S_CLIENTS", gateway.id, f"{client}.{field}", value, note=note, strength=strength)
        )

    auth = {a.lower() for a in gateway.p2s_auth}
    if "aad" in auth or gateway.aad_tenant:
        use(
            "vpnAuthenticationTypes",
            list(gateway.p2s_auth) or "aadTenant",
            "strong",
            "Entra ID (AAD) VPN users",
        )
    if "radius" in auth or gateway.radius_configured:
        use("vpnAuthenticationTypes", list(gateway.p2s_auth) or "radiusServers", "strong", "RADIUS VPN users")
    for cert in gateway.root_certificates:
        if cert.digest is None:
            use(
                "vpnClientRootCertificates",
                cert.name,
                "weak",
                "certificate data not in the inventory: cannot tell whose it is",
            )
        elif cert.digest not in app_cert_digests:
            note = "matches no app's certBlob" + (
                "" if digests_complete else " (some apps' certBlob is not in the data)"
            )
            use("vpnClientRootCertificates", cert.name, "strong" if digests_complete else "weak", note)
    protocols = {p.lower() for p in gateway.p2s_protocols}
    if "openvpn" in protocols:
        use(
            "vpnClientProtocols",
            list(gateway.p2s_protocols),
            "weak",
            "OpenVPN is enabled: App Service uses SSTP only",
        )
    elif "ikev2" in protocols:
        note = (
            "IKEv2 is on by default on Basic gateways created since November 2025"
            if (gateway.sku or "").lower() == "basic"
            else "IKEv2 is enabled, which gateway-required integration needs off on this SKU"
        )
        use("vpnClientProtocols", list(gateway.p2s_protocols), "weak", note)
    return uses


def analyse_gateways(
    tenant: Tenant, results: list[AppResult], migrated: set[str], prices: PriceTable
) -> list[GatewayReport]:
    """One report per VPN gateway that at least one gateway-required app depends on."""
    reports: dict[str, GatewayReport] = {}
    for result in results:
        ctx = result.context
        if ctx is None:
            continue
        gateway = ctx.vpn_gateway
        if gateway is None:
            continue
        key = norm_id(gateway.id)
        if key not in reports:
            reports[key] = GatewayReport(gateway)
        reports[key].dependents.append(result)
    connections = [c for entries in tenant.vnet_connections.values() for c in entries if c.gateway_required]
    by_vnet: dict[str, list[VnetConnection]] = {}
    for entry in connections:
        by_vnet.setdefault(norm_id(entry.vnet_resource_id), []).append(entry)
    digests = {c.cert_digest for c in connections if c.cert_digest}
    unknown_apps = [r for r in results if r.integration == Integration.UNKNOWN]
    for report in reports.values():
        gateway = report.gateway
        vnet_keys = {norm_id(v) for v in gateway.vnet_ids}
        users = [c for key in vnet_keys for c in by_vnet.get(key, [])]
        complete = all(c.cert_digest for c in users)
        report.uses = gateway_uses(tenant, gateway, digests, complete)
        report.app_root_certificates = [
            c.name for c in gateway.root_certificates if c.digest and c.digest in digests
        ]
        report.monthly_cost = monthly_cost(prices, gateway.sku) if gateway.sku else None
        not_migrated = [d.app.name for d in report.dependents if norm_id(d.app.id) not in migrated]
        if report.other_uses:
            report.decommission = "no"
            report.reason = "also used for " + ", ".join(report.other_uses)
        elif not_migrated:
            report.decommission = "no"
            report.reason = f"{len(not_migrated)} dependent(s) have no migration target yet: {', '.join(not_migrated[:5])}"
        elif report.other_uses_weak:
            report.decommission = "verify"
            report.reason = "weak signs of other users: " + join_reasons(
                *(f"{u.code}: {u.note}" for u in report.uses if u.strength == "weak")
            )
        elif suspects := _unknown_suspects(report, unknown_apps):
            report.decommission = "verify"
            report.reason = (
                f"{len(suspects)} app(s) with unknown integration share a plan with its dependents and could use "
                f"it unseen ({', '.join(suspects[:5])}): re-run the scan for them first"
            )
        elif unseen := _unseen_data(tenant):
            # Whatever the rest says, a user of the gateway may be in the data that was not read.
            report.decommission = "verify"
            report.reason = f"apps or connections that use it may be unseen: {unseen}"
        else:
            report.decommission = "yes"
            report.reason = "only App Service gateway-required apps use it, and the plan moves them all"
    return sorted(reports.values(), key=lambda r: norm_id(r.gateway.id))


def _unseen_data(tenant: Tenant) -> str | None:
    """What of the inventory was not read, or None when it is complete.

    Any gap counts, not only the types that name gateway users (sites, connections, peerings): a
    gateway deletion cannot be undone, and an incomplete inventory is reason enough to look again.
    """
    parts = [gap.describe() for gap in tenant.gaps]
    parts += [
        f"subscription {s.get('name') or s.get('id')} was not read ({s.get('reason')})"
        for s in tenant.failed_subscriptions
    ]
    if not parts:
        return None
    return join_reasons(*parts) + ". Complete the inventory and plan again"


def _unknown_suspects(report: GatewayReport, unknown_apps: list[AppResult]) -> list[str]:
    """Apps of unknown integration that could use this gateway without leaving a trace in its data.

    An app on gateway-required integration registers its certificate (certBlob) as a root certificate
    of the gateway (azure-facts §3.1). When every root certificate matches a known app, an unknown app
    could only be using the gateway with a certificate it shares with a known dependent, i.e. one of
    the same plan. Elsewhere in the tenant it would have left a foreign root certificate, which is
    reported as P2S_CLIENTS.
    """
    plans = {norm_id(d.app.plan_id) for d in report.dependents if d.app.plan_id}
    return [a.app.name for a in unknown_apps if a.app.plan_id and norm_id(a.app.plan_id) in plans]
