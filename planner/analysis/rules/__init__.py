"""The rule catalogue: an explicit list, in the order codes are shown.

Each rule has a stable code (design.md; never renamed), the list it belongs to, a title, why it
matters and what fixes it; its check function's docstring says what it looks at. `vnet-planner
rules` prints this catalogue and docs/codes.md explains it with examples.
"""

from __future__ import annotations

from planner.analysis.rules import access, app, network
from planner.analysis.rules.base import GatewayUse, Kind, Rule
from planner.inventory import loader as inv

# Microsoft Learn pages the codes rest on (azure-facts.md source keys GW-DOC, VNI-DOC, MIG-DOC).
GW_DOC = "https://learn.microsoft.com/azure/app-service/configure-gateway-required-vnet-integration"
VNI_DOC = "https://learn.microsoft.com/azure/app-service/overview-vnet-integration"
MIG_DOC = "https://learn.microsoft.com/azure/app-service/migrate-gateway-based-vnet-integration"
GATEWAY_DOC = "https://learn.microsoft.com/azure/vpn-gateway/point-to-site-about"

# What else can use a VPN gateway (gateways[].other_uses), in display order; decided in
# planner/gateways/decommission.py.
GATEWAY_USES: tuple[GatewayUse, ...] = (
    GatewayUse(
        "S2S",
        "Site-to-site VPN",
        "An IPsec connection links the gateway to an on-premises network.",
        "Keep the gateway; remove only the App Service root certificates and, once no one uses it, SSTP.",
        serves="site-to-site VPN connections to on-premises",
        transit=True,
    ),
    GatewayUse(
        "VNET2VNET",
        "VNet-to-VNet VPN",
        "A VNet-to-VNet connection uses the gateway.",
        "Keep the gateway, or replace the connection with VNet peering before deleting it.",
        serves="VNet-to-VNet connections",
        transit=True,
    ),
    GatewayUse(
        "EXPRESSROUTE",
        "ExpressRoute connection",
        "An ExpressRoute connection names the gateway.",
        "Keep the gateway.",
        serves="ExpressRoute",
        transit=True,
    ),
    GatewayUse(
        "P2S_CLIENTS",
        "Other point-to-site users",
        "Root certificates that match no app, AAD or RADIUS authentication, or IKEv2/OpenVPN clients: people "
        "or devices connect with point-to-site VPN.",
        "Keep the gateway; move those users from SSTP to IKEv2 or OpenVPN before 2027-03-31.",
        serves="point-to-site VPN users other than App Service",
    ),
    GatewayUse(
        "GATEWAY_TRANSIT",
        "Gateway transit for peered VNets",
        "A peered VNet reaches on-premises through this gateway (allowGatewayTransit / useRemoteGateways).",
        "Keep the gateway.",
        serves="peered VNets that reach on-premises through it (gateway transit)",
    ),
)

RULES: tuple[Rule, ...] = (
    Rule(
        "EXPRESSROUTE",
        Kind.LIMITATION,
        "ExpressRoute in the integrated VNet",
        network.check_expressroute,
        why="Gateway-required integration does not work with a VNet that has an ExpressRoute gateway, "
        "even in coexistence mode: the app cannot reach on-premises through ExpressRoute today.",
        fix="Regional integration uses normal VNet routing, so ExpressRoute (and BGP routes from it) "
        "reach the app's traffic once it is moved.",
        fails_today=True,
        reaches_on_premises=True,
        learn=GW_DOC,
        reads=(inv.GATEWAY, inv.CONNECTION),
    ),
    Rule(
        "COEXISTENCE",
        Kind.LIMITATION,
        "ExpressRoute and VPN gateways coexist",
        network.check_coexistence,
        why="The GatewaySubnet holds an ExpressRoute and a VPN gateway; gateway-required integration is not "
        "supported in coexistence mode.",
        fix="Move to regional integration; the VPN gateway may still be needed for site-to-site failover.",
        fails_today=True,
        learn=GW_DOC,
        reads=(inv.GATEWAY,),
    ),
    Rule(
        "LINUX",
        Kind.LIMITATION,
        "Linux app",
        app.check_linux,
        why="Gateway-required integration works only for Windows apps: a Linux app with a gateway-required "
        "connection is a leftover that carries no traffic.",
        fix="Regional integration supports Linux; connect the app to the target subnet.",
        fails_today=True,
        learn=GW_DOC,
    ),
    Rule(
        "WINDOWS_CONTAINER",
        Kind.LIMITATION,
        "Windows container app",
        app.check_windows_container,
        why="Gateway-required integration does not work from Windows containers.",
        fix="Regional integration supports Windows containers; size the subnet with one extra address per "
        "app per instance. Key Vault references and image pulls are not routed through it.",
        fails_today=True,
        learn=VNI_DOC,
    ),
    Rule(
        "SERVICE_ENDPOINTS",
        Kind.LIMITATION,
        "Resources locked to the VNet with service endpoints",
        access.check_service_endpoints,
        why="These resources admit only subnets of the integrated VNet. Gateway-required traffic arrives "
        "from the point-to-site pool through the gateway and cannot use service endpoints.",
        fix="Enable the same service endpoints on the new integration subnet and add that subnet to each "
        "resource's virtual network rules before switching.",
        needs_work=True,
        learn=VNI_DOC,
        reads=(inv.NETWORK_RULED, inv.VAULT),
    ),
    Rule(
        "KEYVAULT_REFERENCES",
        Kind.LIMITATION,
        "Key Vault references to a network-restricted vault",
        access.check_keyvault_references,
        why="Gateway-required integration cannot resolve Key Vault references to a vault that blocks "
        "public access; regional integration retries them through the VNet.",
        fix="Allow the new integration subnet on the vault (service endpoint rule) or reach it through a "
        "private endpoint; check keyVaultReferenceIdentity has access.",
        needs_work=True,
        learn=VNI_DOC,
        reads=(inv.KV_REFERENCE,),
    ),
    Rule(
        "CROSS_REGION",
        Kind.BLOCKER,
        "VNet in another region",
        network.check_cross_region,
        why="Regional integration needs a VNet in the app's own region.",
        fix="Create (or reuse) a VNet in the app's region, peer it with the old VNet (global peering, "
        "forwarded traffic allowed, gateway transit if on-premises is reached through it), integrate there.",
        runbook_resolves=True,
        lead_days=10,
        learn=MIG_DOC,
    ),
    Rule(
        "CLASSIC_VNET",
        Kind.BLOCKER,
        "Classic VNet",
        network.check_classic_vnet,
        why="Regional integration cannot reach a classic VNet, not even across peering; gateway-required "
        "was the only way.",
        fix="Migrate the classic VNet (and what runs in it) to Azure Resource Manager first, then plan again.",
        runbook_resolves=True,
        lead_days=30,
        learn=VNI_DOC,
    ),
    Rule(
        "NO_SUBNET_SPACE",
        Kind.BLOCKER,
        "No free address space for the integration subnet",
        network.check_no_subnet_space,
        why="Regional integration needs a dedicated subnet; no free range of the needed size is left in the "
        "VNet's address space.",
        fix="Add the proposed range to the VNet's address space (and to peerings' remote address spaces), "
        "then create the subnet there.",
        stage="placement",
        runbook_resolves=True,
        lead_days=5,
        learn=VNI_DOC,
    ),
    Rule(
        "TOO_MANY_SUBNETS",
        Kind.BLOCKER,
        "Plan would need too many integration subnets",
        network.check_too_many_subnets,
        why="Gateway-required integration let one plan reach up to five VNets; regional integration allows two "
        "subnets per Windows plan and one per Linux plan, and every app of a plan uses one of them.",
        fix="Peer the extra VNets with one target VNet and integrate all apps of the plan there, or move some "
        "apps to another plan (blue-green).",
        stage="placement",
        runbook_resolves=True,
        lead_days=10,
        learn=VNI_DOC,
        reads=(inv.SITE, inv.SLOT, inv.VNET_CONNECTION),
    ),
    Rule(
        "PLAN_UNSUPPORTED",
        Kind.BLOCKER,
        "Plan cannot use regional integration",
        app.check_plan_unsupported,
        why="The plan's tier, or the scale unit it runs on, cannot use regional integration.",
        fix="Scale the plan to a tier that supports it (e.g. PremiumV3; on Basic/Standard old scale units "
        "recreate the plan as PremiumV3 and scale down), or move the apps to a new plan (blue-green).",
        runbook_resolves=True,
        lead_days=5,
        learn=MIG_DOC,
    ),
    Rule(
        "P2S_POOL_NOT_RFC1918",
        Kind.FINDING,
        "Point-to-site pool outside RFC 1918",
        network.check_p2s_pool,
        why="Gateway-required integration needs a point-to-site pool inside 10/8, 172.16/12 or 192.168/16; "
        "traffic from this pool may not reach the VNet.",
        fix="Nothing to fix if the app moves now: regional integration uses the subnet's addresses. "
        "Until then, change the pool to an RFC 1918 range.",
        fails_today=True,
        learn=GW_DOC,
    ),
    Rule(
        "RESYNC_REQUIRED",
        Kind.FINDING,
        "Connection needs a resync",
        network.check_resync,
        why="The VNet changed (address space, DNS, certificates) since the app connected; until 'Sync "
        "network' runs on the plan, the app may not reach it.",
        fix="The move replaces the connection. If the move is weeks away, run 'Sync network' on the plan "
        "(restarts its apps).",
        learn=GW_DOC,
    ),
    Rule(
        "GATEWAY_NOT_FOUND",
        Kind.FINDING,
        "No SSTP point-to-site VPN gateway",
        network.check_gateway_not_found,
        why="Gateway-required integration rides on a VPN gateway with SSTP point-to-site; none was found "
        "in the integrated VNet, so the connection is probably broken already.",
        fix="Check the app's connectivity now; regional integration needs no gateway.",
        fails_today=True,
        learn=GW_DOC,
    ),
)

BY_CODE = {rule.code: rule for rule in RULES}
USES_BY_CODE = {use.code: use for use in GATEWAY_USES}


def codes_where(flag: str) -> frozenset[str]:
    """The codes whose rule has `flag` set (e.g. "fails_today")."""
    return frozenset(rule.code for rule in RULES if getattr(rule, flag))


def get_rules() -> tuple[Rule, ...]:
    """The catalogue, in display order."""
    return RULES
