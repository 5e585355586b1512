"""Rules about the integrated VNet and its gateways (azure-facts §3, §4, §9)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from planner.analysis.rules.base import AppContext, Evidence, Verdict, join_reasons, no, unknown, yes
from planner.core.ids import norm_id, norm_location
from planner.inventory import loader as inv

_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def _vnet_unseen(ctx: AppContext) -> bool:
    """The VNet's gateways cannot be seen: it is classic (not in Resource Manager data) or not in the inventory."""
    return ctx.vnet is None or ctx.classic


def _missing_vnet(ctx: AppContext) -> Verdict:
    if ctx.classic:
        return unknown("classic VNets and their gateways are not in Resource Manager data")
    sub = (ctx.vnet_id or "").split("/")[2] if (ctx.vnet_id or "").count("/") > 2 else "?"
    return unknown(
        join_reasons(
            f"VNet {ctx.vnet_id} is not in the inventory (subscription {sub} not scanned or not readable)",
            ctx.tenant.gap_note(inv.VNET),
        )
    )


def _no_gateway(ctx: AppContext, verdict: Verdict) -> Verdict:
    """A verdict drawn from finding no VPN gateway in the VNet: unknown while the gateway data is partial."""
    note = ctx.tenant.gap_note(inv.GATEWAY)
    return unknown(f"no VPN gateway was found in the VNet, but {note}") if note else verdict


def check_expressroute(ctx: AppContext) -> Verdict:
    """The integrated VNet has an ExpressRoute gateway, or a gateway in it has an ExpressRoute connection.

    Looks at the gateways whose ip configuration sits in the VNet's GatewaySubnet (`properties.gatewayType`)
    and at connections naming them (`properties.connectionType`).
    """
    if _vnet_unseen(ctx):
        return _missing_vnet(ctx)
    evidence = [
        Evidence("EXPRESSROUTE", g.id, "properties.gatewayType", g.gateway_type)
        for g in ctx.gateways
        if g.is_expressroute
    ]
    for gateway in ctx.gateways:
        for connection in ctx.tenant.connections_by_gateway.get(norm_id(gateway.id), []):
            if (connection.connection_type or "").lower() == "expressroute":
                evidence.append(
                    Evidence(
                        "EXPRESSROUTE", connection.id, "properties.connectionType", connection.connection_type
                    )
                )
    return yes(*evidence) if evidence else no()


def check_coexistence(ctx: AppContext) -> Verdict:
    """The VNet's GatewaySubnet holds both an ExpressRoute and a VPN gateway (coexistence)."""
    if _vnet_unseen(ctx):
        return _missing_vnet(ctx)
    er = [g for g in ctx.gateways if g.is_expressroute]
    vpn = [g for g in ctx.gateways if g.is_vpn]
    if er and vpn:
        return yes(
            *(Evidence("COEXISTENCE", g.id, "properties.gatewayType", g.gateway_type) for g in er + vpn)
        )
    return no()


def check_cross_region(ctx: AppContext) -> Verdict:
    """The integrated VNet is in another region than the app (`location` of both)."""
    if ctx.vnet is None:
        return _missing_vnet(ctx)
    if not ctx.app.location or not ctx.vnet.location:
        return unknown("the location of the app or of its VNet is missing")
    if norm_location(ctx.app.location) != norm_location(ctx.vnet.location):
        return yes(
            Evidence(
                "CROSS_REGION",
                ctx.vnet.id,
                "location",
                ctx.vnet.location,
                note=f"app {ctx.app.name} is in {ctx.app.location}",
            )
        )
    return no()


def check_classic_vnet(ctx: AppContext) -> Verdict:
    """The app's gateway-required connection points at a classic VNet (Microsoft.ClassicNetwork)."""
    if ctx.classic:
        return yes(
            Evidence(
                "CLASSIC_VNET",
                ctx.connection.id,
                "properties.vnetResourceId",
                ctx.connection.vnet_resource_id,
            )
        )
    if not ctx.vnet_id:
        return unknown("the connection has no vnetResourceId")
    return no()


def check_no_subnet_space(ctx: AppContext) -> Verdict:
    """No free range of the needed size is left in the target VNet's address space.

    Decided when target subnets are placed: every existing subnet (`addressPrefix` and
    `addressPrefixes`) and every other proposal is avoided.
    """
    target = ctx.target
    if ctx.classic:
        return no()  # no target subnet is placed until the classic VNet is migrated (CLASSIC_VNET)
    if target is None or target.fits is None:
        if target is not None and target.reason:
            return unknown(target.reason)
        return no() if ctx.classic else unknown("no target VNet could be examined")
    if target.fits:
        return no()
    vnet = ctx.tenant.vnet(target.vnet_id)
    return yes(
        Evidence(
            "NO_SUBNET_SPACE",
            target.vnet_id or "",
            "properties.addressSpace.addressPrefixes",
            list(vnet.address_prefixes) if vnet else None,
            note=f"no free /{target.needed_prefixlen}; adding {target.addition} to the address space would fit it",
        )
    )


def check_gateway_not_found(ctx: AppContext) -> Verdict:
    """No VPN gateway with SSTP point-to-site was found in the integrated VNet's GatewaySubnet."""
    if ctx.vnet is None or ctx.classic:
        return _missing_vnet(ctx)
    vpn = [g for g in ctx.gateways if g.is_vpn]
    if not vpn:
        return _no_gateway(
            ctx,
            yes(
                Evidence(
                    "GATEWAY_NOT_FOUND",
                    ctx.vnet.id,
                    "subnets/GatewaySubnet",
                    "no VPN gateway",
                    note="no virtualNetworkGateways of type Vpn has an ip configuration in this VNet",
                )
            ),
        )
    gateway = ctx.vpn_gateway
    assert gateway is not None
    if not gateway.has_p2s:
        return yes(Evidence("GATEWAY_NOT_FOUND", gateway.id, "properties.vpnClientConfiguration", None))
    protocols = [p.lower() for p in gateway.p2s_protocols]
    if not protocols:
        # Basic gateways spoke SSTP only before November 2025; absent data is not proof either way.
        return unknown(f"gateway {gateway.name} has no vpnClientProtocols in the data")
    if "sstp" not in protocols:
        return yes(
            Evidence(
                "GATEWAY_NOT_FOUND",
                gateway.id,
                "properties.vpnClientConfiguration.vpnClientProtocols",
                list(gateway.p2s_protocols),
            )
        )
    return no()


@lru_cache(maxsize=4096)  # the same few pools, asked for every app of their gateway
def is_rfc1918(prefix: str) -> bool | None:
    """Inside 10/8, 172.16/12 or 192.168/16 (not Python's broader is_private). None if not IPv4."""
    try:
        net = ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return None
    if net.version != 4:
        return None
    return any(net.subnet_of(block) for block in _RFC1918)  # type: ignore[arg-type]


def check_p2s_pool(ctx: AppContext) -> Verdict:
    """A point-to-site address pool prefix of the gateway is outside 10/8, 172.16/12 and 192.168/16."""
    gateway = ctx.vpn_gateway
    if gateway is None:
        # No VPN gateway in a known VNet: there is no pool to be wrong (GATEWAY_NOT_FOUND says so).
        return _missing_vnet(ctx) if _vnet_unseen(ctx) else _no_gateway(ctx, no())
    if not gateway.p2s_pools:
        return unknown(f"gateway {gateway.name} has no vpnClientAddressPool in the data")
    bad = [p for p in gateway.p2s_pools if is_rfc1918(p) is False]
    if bad:
        return yes(
            Evidence(
                "P2S_POOL_NOT_RFC1918",
                gateway.id,
                "properties.vpnClientConfiguration.vpnClientAddressPool.addressPrefixes",
                bad,
            )
        )
    return no()


def check_resync(ctx: AppContext) -> Verdict:
    """The app's gateway-required connection reports `resyncRequired`."""
    value = ctx.connection.resync_required
    if value is None:
        return unknown("the connection does not report resyncRequired")
    if value:
        return yes(Evidence("RESYNC_REQUIRED", ctx.connection.id, "properties.resyncRequired", True))
    return no()


def check_too_many_subnets(ctx: AppContext) -> Verdict:
    """The app's plan would need more integration subnets than regional integration allows.

    Gateway-required integration lets one plan reach up to five VNets; regional integration gives a
    Windows plan two subnets and a Linux plan one. Counts the plan's current regional subnets
    (`properties.virtualNetworkSubnetId` of its apps) and the targets of its gateway-required apps.
    """
    target = ctx.target
    if target is None or target.plan_subnet_limit is None:
        return no() if ctx.classic else unknown("no target could be placed for the app")
    if len(target.plan_subnets) > target.plan_subnet_limit:
        return yes(
            Evidence(
                "TOO_MANY_SUBNETS",
                ctx.app.plan_id or ctx.app.id,
                "integration subnets after the move",
                list(target.plan_subnets),
                note=f"a {'Linux' if target.plan_subnet_limit == 1 else 'Windows'} plan can integrate "
                f"{target.plan_subnet_limit}",
            )
        )
    return no()
