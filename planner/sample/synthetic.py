"""Synthetic tenant inventories: realistic, deterministic and large, for demos, tests and benchmarks.

`generate(apps, seed, out)` writes an inventory folder in the format of docs/inventory.md, one JSON
Lines file per data set plus `manifest.json`, as `scan` would have written it for a tenant of that
size. Nothing here is read back by the planner at run time; the module only produces input.

How it stays fast and small: subscriptions are built one at a time (about 200 apps each) from their
own random stream, and rows are written as soon as they are final; only the manifest's per-app id
lists grow with the tenant, and those go to temporary files that are spliced into the manifest at
the end. 50,000 apps take a few seconds and a few tens of megabytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import uuid
from bisect import bisect
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from planner.analysis.tiers import SWIFT_CHECK_TIERS, gateway_possible
from planner.core.errors import InputError

STARTED_AT = "2026-11-29T09:00:00Z"  # fixed, so two runs with one seed give identical bytes
FINISHED_AT = "2026-11-29T09:42:17Z"
APPS_PER_SUBSCRIPTION = 200

# ARG data sets first, then the per-app ARM calls, in the order of docs/inventory.md.
DATA_SETS = (
    "subscriptions",
    "sites",
    "serverfarms",
    "autoscalesettings",
    "virtualnetworks",
    "classicvirtualnetworks",
    "virtualnetworkgateways",
    "connections",
    "localnetworkgateways",
    "vaults",
    "networkrules",
    "vnetconnections",
    "kvreferences",
    "networkconfig",
)
ARM_DATA_SETS = ("vnetconnections", "kvreferences", "networkconfig")
ARM_CALLS = {
    "virtualNetworkConnections": "vnetconnections",
    "keyVaultReferences": "kvreferences",
    "networkConfig": "networkconfig",
}
THROTTLED_REASON = "429 TooManyRequests: still throttled after 3 retries (Retry-After: 30)"


REGIONS = (
    "westeurope",
    "northeurope",
    "eastus",
    "eastus2",
    "westus2",
    "uksouth",
    "germanywestcentral",
    "southeastasia",
    "australiaeast",
    "centralus",
)
WORKLOADS = (
    "orders",
    "billing",
    "portal",
    "catalog",
    "search",
    "identity",
    "payments",
    "inventory",
    "reports",
    "notify",
    "crm",
    "hr",
    "intranet",
    "shipping",
    "pricing",
    "loyalty",
)
TEAMS = ("platform", "commerce", "finance", "data", "web", "integration", "sre")
SETTINGS = ("DbPassword", "StorageConnection", "ApiKey", "ServiceBusConnection", "ClientSecret", "RedisKey")

# sku name -> (tier, family, maximumNumberOfWorkers)
SKUS: dict[str, tuple[str, str, int]] = {
    "F1": ("Free", "F", 1),
    "D1": ("Shared", "D", 1),
    "B1": ("Basic", "B", 3),
    "B2": ("Basic", "B", 3),
    "S1": ("Standard", "S", 10),
    "S2": ("Standard", "S", 10),
    "P1v2": ("PremiumV2", "Pv2", 30),
    "P2v2": ("PremiumV2", "Pv2", 30),
    "P0v3": ("Premium0V3", "Pv3", 30),
    "P1v3": ("PremiumV3", "Pv3", 30),
    "P2v3": ("PremiumV3", "Pv3", 30),
    "P3v3": ("PremiumV3", "Pv3", 30),
    "EP1": ("ElasticPremium", "EP", 100),
    "EP2": ("ElasticPremium", "EP", 100),
    "Y1": ("Dynamic", "Y", 200),
    "I1v2": ("IsolatedV2", "Iv2", 100),
    "WS1": ("WorkflowStandard", "WS", 100),
}

MASK32 = 0xFFFFFFFF


class _Weighted:
    """A weighted choice with precomputed cumulative weights (called for every app)."""

    def __init__(self, pairs: Sequence[tuple[Any, float]]):
        self.values = [value for value, _ in pairs]
        self.cumulative: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> Any:
        return self.values[bisect(self.cumulative, rng.random() * self.total)]


INTEGRATION = _Weighted([("gateway", 0.30), ("regional", 0.20), ("none", 0.50)])
DEFAULT_GATEWAY_SHARE = 0.30  # of the apps drawn (slots come on top); --gateway-share changes it


def integration_weights(gateway_share: float | None) -> _Weighted:
    """The draw of an app's integration: `gateway_share` gateway-required, the rest regional and none
    in the default's proportion (2 to 5). None keeps the default draw, so old seeds give the same bytes."""
    if gateway_share is None:
        return INTEGRATION
    rest = 1.0 - gateway_share
    return _Weighted([("gateway", gateway_share), ("regional", rest * 2 / 7), ("none", rest * 5 / 7)])


REGIONAL_CATEGORY = _Weighted(
    [("windows", 0.45), ("linux", 0.35), ("wincontainer", 0.05), ("elastic", 0.10), ("workflow", 0.05)]
)
NONE_CATEGORY = _Weighted(
    [
        ("windows", 0.30),
        ("linux", 0.25),
        ("wincontainer", 0.04),
        ("elastic", 0.05),
        ("dynamic", 0.15),
        ("free", 0.08),
        ("isolated", 0.05),
        ("workflow", 0.08),
    ]
)
CATEGORY_SKUS = {
    "windows": _Weighted(
        [
            ("B1", 0.10),
            ("B2", 0.03),
            ("S1", 0.30),
            ("S2", 0.07),
            ("P1v2", 0.18),
            ("P2v2", 0.04),
            ("P0v3", 0.03),
            ("P1v3", 0.20),
            ("P2v3", 0.05),
        ]
    ),
    "linux": _Weighted([("B1", 0.2), ("S1", 0.2), ("P1v2", 0.15), ("P1v3", 0.35), ("P2v3", 0.1)]),
    "wincontainer": _Weighted([("P1v3", 0.7), ("P2v3", 0.2), ("P3v3", 0.1)]),
    "elastic": _Weighted([("EP1", 0.7), ("EP2", 0.3)]),
    "dynamic": _Weighted([("Y1", 1.0)]),
    "free": _Weighted([("F1", 0.8), ("D1", 0.2)]),
    "isolated": _Weighted([("I1v2", 1.0)]),
    "workflow": _Weighted([("WS1", 1.0)]),
}
ENVIRONMENTS = _Weighted([("prod", 0.45), ("test", 0.2), ("dev", 0.25), ("uat", 0.1)])
SUBNET_SERVICE_FOR = {
    "microsoft.storage/storageaccounts": "Microsoft.Storage",
    "microsoft.documentdb/databaseaccounts": "Microsoft.AzureCosmosDB",
    "microsoft.containerregistry/registries": "Microsoft.ContainerRegistry",
}

# Hub archetypes (special feature, VPN SKU), dealt to subscriptions in turn from a seed-dependent start
# that gives subscription 0 a plain hub. Dealing instead of drawing makes every feature and SKU present in
# any ten consecutive subscriptions (2,000 apps), and keeps features that exclude each other (a Basic SKU
# and coexistence, no VPN gateway and a P2S pool) in different subscriptions. Chance adds more on top.
HUB_ARCHETYPES = (
    ("plain", "Basic"),
    ("expressroute_only", "VpnGw1"),
    ("coexistence", "VpnGw2"),
    ("p2s_pool_not_rfc1918", "VpnGw1"),
    ("openvpn_aad", "VpnGw1AZ"),
    ("hub_nearly_full", "Basic"),
    ("coexistence", "VpnGw1AZ"),
    ("classic_vnet", "VpnGw1"),
    ("plain", "VpnGw3"),
    ("app_service_only", "VpnGw1AZ"),
)
PLAIN_ARCHETYPES = tuple(i for i, (feature, _) in enumerate(HUB_ARCHETYPES) if feature == "plain")
SITE_TO_SITE_PERIOD = 3  # every third hub has IPsec links to on-premises, and a few more by chance


@dataclass(frozen=True)
class GenerationStats:
    """What `generate` wrote: counts of the tenant's parts and rows per data set."""

    apps: int
    slots: int
    subscriptions: int
    plans: int
    vnets: int
    gateways: int
    gateway_required: int  # apps and slots whose ground truth is gateway-required (failed calls included)
    regional: int
    failed_calls: int
    rows: Mapping[str, int] = field(default_factory=dict)
    bytes_written: int = 0

    @property
    def gateway_required_share(self) -> float:
        """Share of apps and slots on gateway-required integration."""
        total = self.apps + self.slots
        return self.gateway_required / total if total else 0.0


def _cidr(network: int, prefixlen: int) -> str:
    return f"{network >> 24}.{(network >> 16) & 255}.{(network >> 8) & 255}.{network & 255}/{prefixlen}"


def _ip(address: int) -> str:
    return f"{address >> 24}.{(address >> 16) & 255}.{(address >> 8) & 255}.{address & 255}"


def _address(a: int, b: int, c: int, d: int) -> int:
    return (a << 24) | (b << 16) | (c << 8) | d


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _certificate(rng: random.Random) -> tuple[str, str]:
    """A fake DER certificate as (base64 blob, SHA-1 thumbprint): shaped like a real one, not parseable."""
    der = b"\x30\x82\x02\x22" + rng.randbytes(0x222)
    return base64.b64encode(der).decode("ascii"), hashlib.sha1(der).hexdigest().upper()


def _quirky_case(resource_id: str) -> str:
    """The id with its resource group upper-cased, as ARM sometimes returns references to other resources."""
    parts = resource_id.split("/")
    parts[4] = parts[4].upper()
    return "/".join(parts)


@dataclass(slots=True)
class _Subnet:
    vnet: _VNet
    name: str
    network: int
    prefixlen: int
    endpoints: tuple[str, ...] = ()
    delegated: bool = False
    plan_ids: list[str] = field(default_factory=list)
    ip_configurations: list[str] = field(default_factory=list)
    nsg: bool = False
    private_endpoints: int = 0

    @property
    def id(self) -> str:
        return f"{self.vnet.id}/subnets/{self.name}"

    def row(self) -> dict[str, Any]:
        subnet_id = self.id
        properties: dict[str, Any] = {
            "provisioningState": "Succeeded",
            "addressPrefix": _cidr(self.network, self.prefixlen),
            "ipConfigurations": [{"id": ip} for ip in self.ip_configurations],
            "serviceEndpoints": [
                {
                    "service": service,
                    "locations": [self.vnet.location] if service == "Microsoft.Storage" else ["*"],
                    "provisioningState": "Succeeded",
                }
                for service in self.endpoints
            ],
            "delegations": [],
            "privateEndpointNetworkPolicies": "Disabled",
            "privateLinkServiceNetworkPolicies": "Enabled",
        }
        if self.delegated:
            properties["delegations"] = [
                {
                    "name": "delegation",
                    "id": f"{subnet_id}/delegations/delegation",
                    "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
                    "properties": {
                        "serviceName": "Microsoft.Web/serverFarms",
                        "actions": ["Microsoft.Network/virtualNetworks/subnets/action"],
                        "provisioningState": "Succeeded",
                    },
                }
            ]
        if self.plan_ids:
            # Regional integration leaves this link on the subnet; it names the plan (azure-facts §3.5).
            properties["serviceAssociationLinks"] = [
                {
                    "name": "AppServiceLink",
                    "id": f"{subnet_id}/serviceAssociationLinks/AppServiceLink",
                    "type": "Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
                    "properties": {
                        "linkedResourceType": "Microsoft.Web/serverfarms",
                        "link": self.plan_ids[0],
                        "allowDelete": False,
                        "provisioningState": "Succeeded",
                    },
                }
            ]
        if self.nsg:
            properties["networkSecurityGroup"] = {
                "id": f"{self.vnet.id.split('/providers/')[0]}/providers/Microsoft.Network/"
                f"networkSecurityGroups/nsg-{self.vnet.name}-{self.name}"
            }
        if self.private_endpoints:
            properties["privateEndpoints"] = [
                {
                    "id": f"{self.vnet.id.split('/providers/')[0]}/providers/"
                    f"Microsoft.Network/privateEndpoints/pe-{self.vnet.name}-{n}"
                }
                for n in range(self.private_endpoints)
            ]
        return {
            "id": subnet_id,
            "name": self.name,
            "type": "Microsoft.Network/virtualNetworks/subnets",
            "properties": properties,
        }


@dataclass(slots=True)
class _VNet:
    id: str
    name: str
    resource_group: str
    location: str
    network: int
    prefixlen: int
    role: str  # hub | spoke
    subnets: list[_Subnet] = field(default_factory=list)
    cursor: int = 0
    dns_servers: list[str] = field(default_factory=list)
    peerings: list[dict[str, Any]] = field(default_factory=list)

    def allocate(self, name: str, prefixlen: int, **kwargs: Any) -> _Subnet | None:
        """The next aligned free block of this size, or None when the address space is used up."""
        size = 1 << (32 - prefixlen)
        start = max(self.cursor, self.network)
        start = (start + size - 1) & ~(size - 1) & MASK32
        if start + size > self.network + (1 << (32 - self.prefixlen)):
            return None
        self.cursor = start + size
        subnet = _Subnet(self, name, start, prefixlen, **kwargs)
        self.subnets.append(subnet)
        return subnet

    def subnet(self, name: str) -> _Subnet | None:
        return next((s for s in self.subnets if s.name == name), None)

    def row(self, subscription_id: str, tenant_id: str, tags: dict[str, str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "type": "microsoft.network/virtualnetworks",
            "tenantId": tenant_id,
            "kind": "",
            "location": self.location,
            "resourceGroup": self.resource_group,
            "subscriptionId": subscription_id,
            "properties": {
                "provisioningState": "Succeeded",
                "resourceGuid": str(uuid.uuid5(uuid.NAMESPACE_URL, self.id)),
                "addressSpace": {"addressPrefixes": [_cidr(self.network, self.prefixlen)]},
                "dhcpOptions": {"dnsServers": self.dns_servers},
                "subnets": [subnet.row() for subnet in self.subnets],
                "virtualNetworkPeerings": self.peerings,
                "enableDdosProtection": False,
            },
            "tags": tags,
        }


@dataclass(slots=True)
class _Plan:
    id: str
    name: str
    resource_group: str
    location: str
    category: str
    sku: str
    env: str
    workload: str
    capacity_apps: int
    workers: int
    swift_supported: bool
    reserved: bool = False
    hyper_v: bool = False
    subnet: _Subnet | None = None  # regional integration target
    gateway_vnet_id: str | None = None  # gateway-required integration target
    gateway_vnet_name: str | None = None
    certificate: tuple[str, str] | None = None
    ase_id: str | None = None
    apps: int = 0

    @property
    def tier(self) -> str:
        return SKUS[self.sku][0]


@dataclass(slots=True)
class _Hub:
    vnet: _VNet
    vpn_gateway_id: str | None
    vpn_sku: str
    protocols: list[str]
    auth_types: list[str]
    pool: str
    er_gateway_id: str | None
    app_service_only: bool = False  # no transit, site-to-site or other P2S users: the gateway can go
    root_certificates: list[tuple[str, str]] = field(default_factory=list)  # (name, base64 blob)


class _Writer:
    """One JSON Lines file per data set, written row by row."""

    def __init__(self, out: Path, stack: ExitStack):
        self.files: dict[str, IO[str]] = {
            name: stack.enter_context(open(out / f"{name}.jsonl", "w", encoding="utf-8", buffering=1 << 20))  # noqa: SIM115
            for name in DATA_SETS
        }
        self.rows = dict.fromkeys(DATA_SETS, 0)
        self.bytes_written = 0
        # Compact separators and no circular check: rows are plain trees, and this is the hot path.
        self._encode = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode

    def write(self, data_set: str, row: dict[str, Any]) -> None:
        line = self._encode(row) + "\n"
        self.files[data_set].write(line)
        self.rows[data_set] += 1
        self.bytes_written += len(line)


class _ArmLog:
    """The manifest's `arm` section: which apps and slots each per-app call read, or failed on."""

    def __init__(self, out: Path, stack: ExitStack):
        self.paths = {call: out / f".{call}.fetched.tmp" for call in ARM_CALLS}
        self.fetched_files = {
            call: stack.enter_context(open(path, "w", encoding="utf-8"))  # noqa: SIM115
            for call, path in self.paths.items()
        }
        self.fetched = dict.fromkeys(ARM_CALLS, 0)
        self.failed: dict[str, list[dict[str, Any]]] = {call: [] for call in ARM_CALLS}

    def call(self, name: str, resource_id: str, fails: bool) -> bool:
        """Record one ARM call; True when it succeeded and its rows belong in the inventory."""
        if fails:
            self.failed[name].append({"id": resource_id, "status": 429, "reason": THROTTLED_REASON})
            return False
        self.fetched_files[name].write(json.dumps(resource_id) + "\n")
        self.fetched[name] += 1
        return True

    def fetched_ids(self, name: str) -> Iterator[str]:
        """The recorded ids of one call, already JSON-encoded, one per line."""
        with open(self.paths[name], encoding="utf-8") as ids:
            for line in ids:
                yield line.rstrip("\n")

    def remove(self) -> None:
        for path in self.paths.values():
            path.unlink(missing_ok=True)


class _Tenant:
    """State that spans subscriptions: the writer, the ARM call log, totals, where the archetypes start."""

    def __init__(self, seed: int, writer: _Writer, arm: _ArmLog, gateway_share: float | None = None):
        rng = random.Random(f"vnet-planner/synthetic/{seed}")
        self.seed = seed
        self.gateway_share = gateway_share
        self.integration = integration_weights(gateway_share)
        self.tenant_id = _guid(rng)
        self.writer = writer
        self.arm = arm
        self.archetype_offset = PLAIN_ARCHETYPES[rng.randrange(len(PLAIN_ARCHETYPES))]
        self.site_to_site_offset = rng.randrange(SITE_TO_SITE_PERIOD)
        self.subscriptions: list[tuple[str, str]] = []  # (guid, display name)
        self.previous_vpn_gateway: tuple[str, str] | None = None  # (id, location) for VNet-to-VNet links
        self.forced_failure = False
        self.counts = dict.fromkeys(
            ("apps", "slots", "plans", "vnets", "gateways", "gateway_required", "regional"), 0
        )

    def archetype(self, index: int) -> tuple[str, str]:
        """(special feature, VPN SKU) of the hub of subscription `index`."""
        return HUB_ARCHETYPES[(index + self.archetype_offset) % len(HUB_ARCHETYPES)]


class _Subscription:
    """One subscription: a hub with gateways, spokes, plans, apps, vaults and network-ruled resources."""

    def __init__(self, tenant: _Tenant, index: int, apps: int):
        self.tenant = tenant
        self.index = index
        self.app_count = apps
        self.rng = random.Random(f"vnet-planner/synthetic/{tenant.seed}/{index}")
        rng = self.rng
        self.id = _guid(rng)
        self.env = ENVIRONMENTS.pick(rng)
        self.display_name = f"sub-{self.env}-{index + 1:03d}"
        self.prefix = f"/subscriptions/{self.id}/resourceGroups/"
        self.home = REGIONS[rng.randrange(len(REGIONS))]
        self.second = REGIONS[(REGIONS.index(self.home) + 1 + rng.randrange(len(REGIONS) - 1)) % len(REGIONS)]
        self.has_second_spoke = rng.random() < 0.3
        # Each subscription gets 10.b.0.0/16 (hub), 10.b+1.0.0/16 (spokes), 10.b+2.0.0/16 (more spokes,
        # classic VNet); the next subscription starts three octets further, so peered VNets never overlap.
        self.octet = 10 + (index * 3) % 243
        self.tags = {"env": self.env, "owner": "network-team", "costCenter": f"CC{1000 + index}"}
        self.vnets: list[_VNet] = []
        self.spokes: list[_VNet] = []
        self.classic: dict[str, Any] | None = None
        self.classic_used = False
        self.plans: dict[tuple[Any, ...], _Plan] = {}
        self.all_plans: list[_Plan] = []
        self.vaults: list[dict[str, Any]] = []
        self.vault_restricted: dict[str, bool] = {}
        self.rows_after_apps: list[tuple[str, dict[str, Any]]] = []

    # -- naming -------------------------------------------------------------------------------------

    def resource_id(self, resource_group: str, provider_type: str, name: str) -> str:
        return f"{self.prefix}{resource_group}/providers/{provider_type}/{name}"

    def arg_row(
        self,
        resource_id: str,
        name: str,
        arg_type: str,
        location: str,
        resource_group: str,
        properties: dict[str, Any],
        **extra: Any,
    ) -> dict[str, Any]:
        """A Resource Graph row: original-case id, lower-case type, the usual columns."""
        row = {
            "id": resource_id,
            "name": name,
            "type": arg_type,
            "tenantId": self.tenant.tenant_id,
            "kind": extra.pop("kind", ""),
            "location": location,
            "resourceGroup": resource_group,
            "subscriptionId": self.id,
            "sku": extra.pop("sku", None),
            "properties": properties,
            "tags": extra.pop("tags", self.tags),
        }
        row.update(extra)
        return row

    # -- network ------------------------------------------------------------------------------------

    def build_network(self) -> None:
        rng = self.rng
        tenant = self.tenant
        index = self.index
        feature, vpn_sku = tenant.archetype(index)
        # A gateway kept only for App Service, that the plan can decommission: the dealt one, and more.
        app_service_only = feature == "app_service_only" or (feature == "plain" and rng.random() < 0.25)
        nearly_full = feature == "hub_nearly_full"
        hub_prefixlen = 24 if nearly_full else (16 if rng.random() < 0.75 else 22)
        hub_name = f"vnet-hub-{self.home}-{index + 1:03d}"
        hub = _VNet(
            self.resource_id("rg-network-hub", "Microsoft.Network/virtualNetworks", hub_name),
            hub_name,
            "rg-network-hub",
            self.home,
            _address(10, self.octet, 0, 0),
            hub_prefixlen,
            "hub",
        )
        self.vnets.append(hub)
        shared_endpoints: tuple[str, ...] = ()
        if rng.random() < 0.5:
            shared_endpoints = ("Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.Sql")
        if nearly_full:
            # Largest first leaves no alignment gaps: a /24 with one /28 free, so no /27 or larger fits
            # (the NO_SUBNET_SPACE case).
            hub.allocate("snet-shared", 25, endpoints=shared_endpoints, nsg=True)
            hub.allocate("AzureFirewallSubnet", 26)
            gateway_subnet = hub.allocate("GatewaySubnet", 27)
        else:
            gateway_subnet = hub.allocate("GatewaySubnet", 27)
            if rng.random() < 0.4:
                hub.allocate("AzureFirewallSubnet", 26)
            hub.allocate("snet-shared", 25, endpoints=shared_endpoints, nsg=True)
        dns_subnet = hub.allocate("snet-dns", 28, nsg=True)
        assert gateway_subnet is not None and dns_subnet is not None
        if rng.random() < 0.5:
            hub.dns_servers = [_ip(dns_subnet.network + 4), _ip(dns_subnet.network + 5)]  # two resolvers

        # Gateways of the hub (azure-facts §3).
        expressroute_only = feature == "expressroute_only"
        coexistence = feature == "coexistence" or (
            not expressroute_only and not app_service_only and vpn_sku != "Basic" and rng.random() < 0.1
        )
        vpn_id = (
            None
            if expressroute_only
            else self.resource_id(
                "rg-network-hub", "Microsoft.Network/virtualNetworkGateways", f"vgw-{hub_name}"
            )
        )
        er_id = (
            self.resource_id("rg-network-hub", "Microsoft.Network/virtualNetworkGateways", f"ergw-{hub_name}")
            if expressroute_only or coexistence
            else None
        )
        if feature == "openvpn_aad":
            protocols, auth = ["OpenVPN"], ["AAD"]
        elif vpn_sku != "Basic" and not app_service_only and rng.random() < 0.25:
            protocols, auth = ["SSTP", "IkeV2"], ["Certificate"]
        else:
            protocols, auth = ["SSTP"], ["Certificate"]
        if feature == "p2s_pool_not_rfc1918":
            pool = f"100.64.{index % 256}.0/24"
        else:
            pool = f"172.{16 + index % 16}.{(index // 16) % 256}.0/24"
        self.hub = _Hub(hub, vpn_id, vpn_sku, protocols, auth, pool, er_id, app_service_only)
        for gateway_id in (vpn_id, er_id):
            if gateway_id:
                gateway_subnet.ip_configurations.append(f"{gateway_id}/ipConfigurations/default")

        # Spokes in the home region, one per ~60 apps, and sometimes one in a second region.
        for _ in range(1 + self.app_count // 60):
            self.add_spoke(self.home)
        if self.has_second_spoke:
            self.add_spoke(self.second)

        if feature == "classic_vnet" or rng.random() < 0.03:
            name = f"vnet-classic-{index + 1:03d}"
            self.classic = {
                "id": self.resource_id("rg-legacy", "Microsoft.ClassicNetwork/virtualNetworks", name),
                "name": name,
                "location": self.home,
                "network": _address(10, self.octet + 2, 252, 0),
            }

    def add_spoke(self, location: str, may_fill: bool = True) -> _VNet:
        """A spoke /22 peered to the hub, with application, data and private-endpoint subnets."""
        rng = self.rng
        number = len(self.spokes)
        octet = self.octet + 1 + number // 64
        name = f"vnet-spoke-{location}-{self.index + 1:03d}-{number + 1:02d}"
        spoke = _VNet(
            self.resource_id("rg-network-spokes", "Microsoft.Network/virtualNetworks", name),
            name,
            "rg-network-spokes",
            location,
            _address(10, octet, (number % 64) * 4, 0),
            22,
            "spoke",
        )
        spoke.dns_servers = self.hub.vnet.dns_servers
        app_subnet = spoke.allocate(
            "snet-app", 24, endpoints=("Microsoft.Storage", "Microsoft.Sql"), nsg=True
        )
        assert app_subnet is not None
        for n in range(rng.randrange(6)):
            app_subnet.ip_configurations.append(
                self.resource_id("rg-vm", "Microsoft.Network/networkInterfaces", f"nic-{name}-{n}")
                + "/ipConfigurations/ipconfig1"
            )
        spoke.allocate(
            "snet-data",
            25,
            endpoints=(
                "Microsoft.Storage",
                "Microsoft.Sql",
                "Microsoft.KeyVault",
                "Microsoft.AzureCosmosDB",
                "Microsoft.ContainerRegistry",
            ),
            nsg=True,
        )
        spoke.allocate("snet-pe", 26, private_endpoints=rng.randrange(1, 4))
        if may_fill and rng.random() < 0.15:
            # A nearly full spoke: virtual machine subnets take all that is left.
            n = 0
            while spoke.allocate(f"snet-vm-{n + 1:02d}", 26, nsg=True):
                n += 1
        self.peer(spoke)
        self.vnets.append(spoke)
        self.spokes.append(spoke)
        return spoke

    def peer(self, spoke: _VNet) -> None:
        """Hub-and-spoke peering: the hub offers its gateway, the spoke uses it."""
        hub = self.hub.vnet
        # Spokes of a gateway kept for App Service only do not route through it.
        hub_has_gateway = (
            bool(self.hub.vpn_gateway_id or self.hub.er_gateway_id) and not self.hub.app_service_only
        )
        for local, remote, transit, use_remote in (
            (hub, spoke, hub_has_gateway, False),
            (spoke, hub, False, hub_has_gateway and self.rng.random() < 0.85),
        ):
            name = f"peer-{local.name}-to-{remote.name}"
            local.peerings.append(
                {
                    "id": f"{local.id}/virtualNetworkPeerings/{name}",
                    "name": name,
                    "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
                    "properties": {
                        "provisioningState": "Succeeded",
                        "peeringState": "Connected",
                        "peeringSyncLevel": "FullyInSync",
                        "remoteVirtualNetwork": {"id": remote.id},
                        "allowVirtualNetworkAccess": True,
                        "allowForwardedTraffic": True,
                        "allowGatewayTransit": transit,
                        "useRemoteGateways": use_remote,
                        "remoteAddressSpace": {"addressPrefixes": [_cidr(remote.network, remote.prefixlen)]},
                    },
                }
            )

    def regional_subnet(self, location: str, plan_name: str, plan_id: str) -> _Subnet:
        """A new subnet delegated to Microsoft.Web/serverFarms for one plan, in a VNet of its region."""
        rng = self.rng
        prefixlen = 26 if rng.random() < 0.7 else 27
        name = f"snet-{plan_name}"
        endpoints = ("Microsoft.Storage",) if rng.random() < 0.4 else ()
        candidates = [v for v in self.spokes if v.location == location]
        if self.hub.vnet.location == location and rng.random() < 0.1:
            candidates.insert(0, self.hub.vnet)
        for vnet in candidates:
            subnet = vnet.allocate(name, prefixlen, endpoints=endpoints, delegated=True)
            if subnet:
                break
        else:
            subnet = self.add_spoke(location, may_fill=False).allocate(
                name, prefixlen, endpoints=endpoints, delegated=True
            )
        assert subnet is not None  # a new /22 spoke always has room after its base subnets
        subnet.plan_ids.append(plan_id)
        return subnet

    # -- vaults ---------------------------------------------------------------------------------------

    def build_vaults(self) -> None:
        rng = self.rng
        subnets_with_kv = [s for v in self.vnets for s in v.subnets if "Microsoft.KeyVault" in s.endpoints]
        for n in range(max(1, self.app_count // 25)):
            name = f"kv-{self.env}-{self.index + 1:03d}-{n + 1:02d}"
            restricted = rng.random() < 0.35
            rules: list[dict[str, Any]] = []
            if restricted and subnets_with_kv:
                for subnet in rng.sample(subnets_with_kv, min(len(subnets_with_kv), rng.randint(1, 3))):
                    rules.append({"id": subnet.id, "ignoreMissingVnetServiceEndpoint": False})
            public_access = "Disabled" if restricted and rng.random() < 0.25 else "Enabled"
            vault_id = self.resource_id("rg-security", "Microsoft.KeyVault/vaults", name)
            self.vault_restricted[name] = restricted
            self.vaults.append(
                self.arg_row(
                    vault_id,
                    name,
                    "microsoft.keyvault/vaults",
                    self.home,
                    "rg-security",
                    {
                        "tenantId": self.tenant.tenant_id,
                        "sku": {"family": "A", "name": "standard"},
                        "vaultUri": f"https://{name}.vault.azure.net/",
                        "enableRbacAuthorization": rng.random() < 0.6,
                        "enableSoftDelete": True,
                        "publicNetworkAccess": public_access,
                        "networkAcls": {
                            "bypass": "AzureServices",
                            "defaultAction": "Deny" if restricted else "Allow",
                            "ipRules": [],
                            "virtualNetworkRules": rules,
                        },
                        "privateEndpointConnections": [],
                        "provisioningState": "Succeeded",
                    },
                )
            )

    # -- plans and apps -------------------------------------------------------------------------------

    def plan_for(self, category: str, integration: str, location: str, target: str | None) -> _Plan:
        """The open plan for this kind of app, or a new one when it is full (apps share plans)."""
        key = (category, integration, location, target)
        plan = self.plans.get(key)
        if plan is not None and plan.apps < plan.capacity_apps:
            return plan
        rng = self.rng
        sku = CATEGORY_SKUS[category].pick(rng)
        workload = WORKLOADS[rng.randrange(len(WORKLOADS))]
        env = ENVIRONMENTS.pick(rng)
        number = len(self.all_plans) + 1
        name = f"asp-{workload}-{env}-{self.index + 1:03d}-{number:03d}"
        resource_group = f"rg-{workload}-{env}"
        tier, _, max_workers = SKUS[sku]
        linux = category == "linux" or (category in ("elastic", "dynamic") and rng.random() < 0.4)
        plan = _Plan(
            id=self.resource_id(resource_group, "Microsoft.Web/serverfarms", name),
            name=name,
            resource_group=resource_group,
            location=location,
            category=category,
            sku=sku,
            env=env,
            workload=workload,
            capacity_apps={"windows": 8, "linux": 6, "free": 1, "dynamic": 3}.get(category, 4),
            workers=0 if tier == "Dynamic" else min(max_workers, rng.choice((1, 1, 2, 2, 3, 4))),
            swift_supported=tier.lower() not in SWIFT_CHECK_TIERS or rng.random() < 0.8,
            reserved=linux,
            hyper_v=category == "wincontainer",
        )
        plan.capacity_apps = rng.randint(1, plan.capacity_apps)
        if category == "isolated":
            plan.ase_id = self.resource_id(
                "rg-ase", "Microsoft.Web/hostingEnvironments", f"ase-{self.index + 1:03d}"
            )
        if integration == "regional":
            plan.subnet = self.regional_subnet(location, name, plan.id)
        elif integration == "gateway":
            assert target is not None
            plan.gateway_vnet_id, plan.gateway_vnet_name = target.split("|")
            plan.certificate = _certificate(rng)
            # App Service uploads each plan's certificate as a P2S root certificate; a few were removed
            # by hand since, which breaks the connection (azure-facts §3.1).
            on_hub = plan.gateway_vnet_id == self.hub.vnet.id and self.hub.vpn_gateway_id
            if on_hub and rng.random() < 0.9:
                self.hub.root_certificates.append((f"AppServiceCertificate-{name}", plan.certificate[0]))
        self.plans[key] = plan
        self.all_plans.append(plan)
        self.tenant.counts["plans"] += 1
        return plan

    def gateway_target(self) -> tuple[str, str]:
        """The VNet a gateway-required plan connects to: the hub, rarely a spoke or a classic VNet."""
        r = self.rng.random()
        if self.classic and (not self.classic_used or r < 0.05):
            self.classic_used = True  # a classic VNet is in the inventory because some app still uses it
            return self.classic["id"], self.classic["name"]
        if r > 0.97:
            spoke = self.spokes[0]
            return spoke.id, spoke.name
        return self.hub.vnet.id, self.hub.vnet.name

    def add_app(self, number: int) -> None:
        rng = self.rng
        integration = self.tenant.integration.pick(rng)
        location = self.home
        target: str | None = None
        if integration == "gateway":
            category = "windows"
            vnet_id, vnet_name = self.gateway_target()
            target = f"{vnet_id}|{vnet_name}"
            if rng.random() < 0.1:
                location = self.second  # gateway-required reaches VNets in other regions: CROSS_REGION
        elif integration == "regional":
            category = REGIONAL_CATEGORY.pick(rng)
            if self.has_second_spoke and rng.random() < 0.15:
                location = self.second
        else:
            category = NONE_CATEGORY.pick(rng)
            if rng.random() < 0.15:
                location = self.second
        plan = self.plan_for(category, integration, location, target)
        plan.apps += 1
        kind = self.app_kind(plan)
        suffix = "func" if kind.startswith("functionapp") else rng.choice(("api", "web", "web", "worker"))
        name = f"{plan.workload}-{suffix}-{plan.env}-{self.index + 1:03d}{number:04d}"
        site_id = self.resource_id(plan.resource_group, "Microsoft.Web/sites", name)
        has_refs = rng.random() < 0.35
        self.emit_site(site_id, name, None, kind, plan, integration, has_refs)
        self.tenant.counts["apps"] += 1
        if plan.tier not in ("Free", "Shared", "Basic", "Dynamic") and rng.random() < 0.15:
            slot_integration = integration
            if integration == "gateway" and rng.random() < 0.25:
                slot_integration = "none"
            self.emit_site(f"{site_id}/slots/stage", name, "stage", kind, plan, slot_integration, has_refs)
            self.tenant.counts["slots"] += 1

    def app_kind(self, plan: _Plan) -> str:
        rng = self.rng
        category = plan.category
        if category == "linux":
            return rng.choice(
                ("app,linux", "app,linux", "app,linux", "app,linux,container", "functionapp,linux")
            )
        if category == "wincontainer":
            return "app,container,windows"
        if category in ("elastic", "dynamic"):
            return "functionapp,linux" if plan.reserved else "functionapp"
        if category == "workflow":
            return "functionapp,workflowapp"
        if category == "windows" and rng.random() < 0.2:
            return "functionapp"
        return "app"

    def emit_site(
        self,
        site_id: str,
        site_name: str,
        slot: str | None,
        kind: str,
        plan: _Plan,
        integration: str,
        has_refs: bool,
    ) -> None:
        """The site (or slot) row, then the rows of the ARM calls a scan makes for it."""
        rng = self.rng
        tenant = self.tenant
        writer = tenant.writer
        name = f"{site_name}/{slot}" if slot else site_name
        subnet_id = plan.subnet.id if integration == "regional" and plan.subnet else None
        route_all = subnet_id is not None and rng.random() < 0.6
        host = f"{site_name}-{slot}" if slot else site_name
        server_farm_id = plan.id if rng.random() < 0.95 else plan.id.lower()  # ARM is not consistent here
        properties: dict[str, Any] = {
            "name": name,
            "state": "Running" if rng.random() < 0.95 else "Stopped",
            "enabled": True,
            "defaultHostName": f"{host}.azurewebsites.net",
            "serverFarmId": server_farm_id,
            "reserved": plan.reserved,
            "isXenon": plan.hyper_v,
            "hyperV": plan.hyper_v,
            "sku": plan.tier,
            "httpsOnly": rng.random() < 0.8,
            "clientAffinityEnabled": False,
            "virtualNetworkSubnetId": subnet_id,
            "vnetRouteAllEnabled": route_all,
            "outboundVnetRouting": {
                "allTraffic": False,
                "applicationTraffic": route_all,
                "contentShareTraffic": False,
                "imagePullTraffic": False,
                "backupRestoreTraffic": False,
            },
            "keyVaultReferenceIdentity": "SystemAssigned",
            "hostingEnvironmentProfile": (
                {
                    "id": plan.ase_id,
                    "name": plan.ase_id.rsplit("/", 1)[1],
                    "type": "Microsoft.Web/hostingEnvironments",
                }
                if plan.ase_id
                else None
            ),
        }
        row = {
            "id": site_id,
            "name": name,
            "type": "microsoft.web/sites/slots" if slot else "microsoft.web/sites",
            "tenantId": tenant.tenant_id,
            "kind": kind,
            "location": plan.location,
            "resourceGroup": plan.resource_group,
            "subscriptionId": self.id,
            "properties": properties,
            "tags": {"env": plan.env, "workload": plan.workload, "owner": TEAMS[rng.randrange(len(TEAMS))]},
            "identity": (
                {"type": "SystemAssigned", "principalId": _guid(rng), "tenantId": tenant.tenant_id}
                if has_refs
                else None
            ),
        }
        writer.write("sites", row)
        if integration == "gateway":
            tenant.counts["gateway_required"] += 1
        elif integration == "regional":
            tenant.counts["regional"] += 1

        # The scan calls ARM only for apps on tiers where gateway-required integration can exist.
        if not gateway_possible(plan.tier):  # like scan's select_tasks: Linux apps included
            return
        arm = tenant.arm
        connection_type = (
            "Microsoft.Web/sites/slots/virtualNetworkConnections"
            if slot
            else ("Microsoft.Web/sites/virtualNetworkConnections")
        )
        # Throttling past retries loses a few calls; the very first candidate always fails so that even
        # a tiny tenant carries partial data.
        first = not tenant.forced_failure
        tenant.forced_failure = True
        if arm.call("virtualNetworkConnections", site_id, first or rng.random() < 0.004):
            if integration == "gateway":
                assert plan.certificate and plan.gateway_vnet_id and plan.gateway_vnet_name
                dns = self.hub.vnet.dns_servers if plan.gateway_vnet_id == self.hub.vnet.id else []
                vnet_id = plan.gateway_vnet_id if rng.random() < 0.9 else _quirky_case(plan.gateway_vnet_id)
                writer.write(
                    "vnetconnections",
                    {
                        "id": f"{site_id}/virtualNetworkConnections/{plan.gateway_vnet_name}",
                        "name": plan.gateway_vnet_name,
                        "type": connection_type,
                        "location": plan.location,
                        "properties": {
                            "vnetResourceId": vnet_id,
                            "certThumbprint": plan.certificate[1],
                            "certBlob": plan.certificate[0],
                            "routes": [],
                            "resyncRequired": rng.random() < 0.04,
                            "dnsServers": ",".join(dns),
                            "isSwift": False,
                        },
                    },
                )
            elif subnet_id and plan.subnet:
                entry = f"{_guid(rng)}_{plan.subnet.name}"
                writer.write(
                    "vnetconnections",
                    {
                        "id": f"{site_id}/virtualNetworkConnections/{entry}",
                        "name": entry,
                        "type": connection_type,
                        "location": plan.location,
                        "properties": {
                            "vnetResourceId": subnet_id,
                            "certThumbprint": None,
                            "certBlob": None,
                            "routes": None,
                            "resyncRequired": False,
                            "dnsServers": None,
                            "isSwift": True,
                        },
                    },
                )
        if arm.call("keyVaultReferences", site_id, rng.random() < 0.004) and has_refs:
            self.emit_kv_references(site_id, integration)
        if plan.tier.lower() in SWIFT_CHECK_TIERS and arm.call(
            "networkConfig", site_id, rng.random() < 0.004
        ):
            writer.write(
                "networkconfig",
                {
                    "id": f"{site_id}/networkConfig/virtualNetwork",
                    "name": "virtualNetwork",
                    "type": "Microsoft.Web/sites/slots/networkConfig"
                    if slot
                    else "Microsoft.Web/sites/networkConfig",
                    "location": plan.location,
                    "properties": {"subnetResourceId": subnet_id, "swiftSupported": plan.swift_supported},
                },
            )

    def emit_kv_references(self, site_id: str, integration: str) -> None:
        """Key Vault reference metadata as ARM lists it: no `type`, never a value (docs/inventory.md)."""
        rng = self.rng
        for setting in rng.sample(SETTINGS, rng.randint(1, 3)):
            vault = self.vaults[rng.randrange(len(self.vaults))]["name"]
            secret = setting.lower()
            status = "Resolved"
            if self.vault_restricted[vault] and integration != "regional" and rng.random() < 0.5:
                status = "AccessToKeyVaultDenied"
            self.tenant.writer.write(
                "kvreferences",
                {
                    "id": f"{site_id}/config/configreferences/appsettings/{setting}",
                    "name": setting,
                    "properties": {
                        "reference": f"@Microsoft.KeyVault(SecretUri=https://{vault}.vault.azure.net/secrets/{secret}/)",
                        "status": status,
                        "vaultName": vault,
                        "secretName": secret,
                        "secretVersion": "",
                        "identityType": {"type": "SystemAssigned"},
                        "details": "Reference has been successfully resolved."
                        if status == "Resolved"
                        else "Key Vault reference could not be resolved: the site was denied access.",
                        "source": "KeyVault",
                    },
                },
            )

    # -- rows written after the apps ------------------------------------------------------------------

    def emit_plans(self) -> None:
        rng = self.rng
        writer = self.tenant.writer
        for plan in self.all_plans:
            tier, family, max_workers = SKUS[plan.sku]
            plan_kind = {
                "linux": "linux",
                "wincontainer": "xenon",
                "elastic": "elastic",
                "workflow": "elastic",
                "dynamic": "functionapp",
            }.get(plan.category, "app")
            if plan.reserved and plan_kind == "functionapp":
                plan_kind = "linux"  # a Linux Consumption plan; Linux Elastic Premium plans stay "elastic"
            writer.write(
                "serverfarms",
                self.arg_row(
                    plan.id,
                    plan.name,
                    "microsoft.web/serverfarms",
                    plan.location,
                    plan.resource_group,
                    {
                        "status": "Ready",
                        "reserved": plan.reserved,
                        "hyperV": plan.hyper_v,
                        "isXenon": plan.hyper_v,
                        "numberOfSites": plan.apps,
                        "numberOfWorkers": plan.workers,
                        "maximumNumberOfWorkers": max_workers,
                        "maximumElasticWorkerCount": 20 if tier == "ElasticPremium" else 1,
                        "perSiteScaling": False,
                        "elasticScaleEnabled": tier == "ElasticPremium",
                        "zoneRedundant": False,
                        "hostingEnvironmentProfile": (
                            {"id": plan.ase_id, "name": plan.ase_id.rsplit("/", 1)[1]}
                            if plan.ase_id
                            else None
                        ),
                        "provisioningState": "Succeeded",
                    },
                    kind=plan_kind,
                    sku={
                        "name": plan.sku,
                        "tier": tier,
                        "size": plan.sku,
                        "family": family,
                        "capacity": plan.workers,
                    },
                    tags={"env": plan.env, "workload": plan.workload},
                ),
            )
            if tier in ("Standard", "PremiumV2", "PremiumV3", "Premium0V3") and rng.random() < 0.3:
                maximum = rng.randint(plan.workers + 1, min(max_workers, 20))
                self.emit_autoscale(plan, maximum)

    def emit_autoscale(self, plan: _Plan, maximum: int) -> None:
        name = f"autoscale-{plan.name}"
        self.tenant.writer.write(
            "autoscalesettings",
            self.arg_row(
                self.resource_id(plan.resource_group, "Microsoft.Insights/autoscalesettings", name),
                name,
                "microsoft.insights/autoscalesettings",
                plan.location,
                plan.resource_group,
                {
                    "name": name,
                    "enabled": True,
                    "targetResourceUri": plan.id,
                    "targetResourceLocation": plan.location,
                    "profiles": [
                        {
                            "name": "Auto created default scale condition",
                            "capacity": {
                                "minimum": str(plan.workers),
                                "maximum": str(maximum),
                                "default": str(plan.workers),
                            },
                            "rules": [
                                {
                                    "metricTrigger": {
                                        "metricName": "CpuPercentage",
                                        "metricResourceUri": plan.id,
                                        "timeGrain": "PT1M",
                                        "statistic": "Average",
                                        "timeWindow": "PT10M",
                                        "timeAggregation": "Average",
                                        "operator": "GreaterThan",
                                        "threshold": 70,
                                    },
                                    "scaleAction": {
                                        "direction": "Increase",
                                        "type": "ChangeCount",
                                        "value": "1",
                                        "cooldown": "PT5M",
                                    },
                                }
                            ],
                        }
                    ],
                    "notifications": [],
                },
            ),
        )

    def emit_network(self) -> None:
        tenant = self.tenant
        writer = tenant.writer
        for vnet in self.vnets:
            writer.write("virtualnetworks", vnet.row(self.id, tenant.tenant_id, self.tags))
        tenant.counts["vnets"] += len(self.vnets)
        if self.classic:
            classic = self.classic
            network = classic["network"]
            writer.write(
                "classicvirtualnetworks",
                self.arg_row(
                    classic["id"],
                    classic["name"],
                    "microsoft.classicnetwork/virtualnetworks",
                    classic["location"],
                    "rg-legacy",
                    {
                        "status": "Created",
                        "addressSpace": {"addressPrefixes": [_cidr(network, 24)]},
                        "subnets": [
                            {"name": "Subnet-1", "addressPrefix": _cidr(network, 25)},
                            {"name": "GatewaySubnet", "addressPrefix": _cidr(network + 128, 29)},
                        ],
                    },
                ),
            )
        self.emit_gateways()

    def emit_gateways(self) -> None:
        rng = self.rng
        tenant = self.tenant
        hub = self.hub
        gateway_subnet_id = f"{hub.vnet.id}/subnets/GatewaySubnet"
        if hub.vpn_gateway_id:
            certificates = list(hub.root_certificates)
            if not hub.app_service_only and rng.random() < 0.25:
                # A root certificate no app uses: people connect with point-to-site clients too.
                certificates.append(("P2SRootCert-Corp", _certificate(rng)[0]))
            sku = hub.vpn_sku
            client_configuration: dict[str, Any] = {
                "vpnClientAddressPool": {"addressPrefixes": [hub.pool]},
                "vpnClientProtocols": hub.protocols,
                "vpnAuthenticationTypes": hub.auth_types,
                "vpnClientRootCertificates": [
                    {
                        "name": name,
                        "id": f"{hub.vpn_gateway_id}/vpnClientRootCertificates/{name}",
                        "properties": {"publicCertData": blob, "provisioningState": "Succeeded"},
                    }
                    for name, blob in certificates
                ],
                "vpnClientRevokedCertificates": [],
                "vpnClientIpsecPolicies": [],
                "radiusServers": [],
            }
            if "AAD" in hub.auth_types:
                tenant_url = f"https://login.microsoftonline.com/{tenant.tenant_id}/"
                client_configuration |= {
                    "aadTenant": tenant_url,
                    "aadAudience": "41b23e61-6c1e-4545-b367-cd054e0ed4b4",
                    "aadIssuer": f"https://sts.windows.net/{tenant.tenant_id}/",
                }
            self.emit_gateway(
                hub.vpn_gateway_id,
                "Vpn",
                {"name": sku, "tier": sku, "capacity": 2},
                gateway_subnet_id,
                vpnClientConfiguration=client_configuration,
                activeActive=sku != "Basic" and rng.random() < 0.2,
                enableBgp=sku != "Basic" and rng.random() < 0.3,
                vpnGatewayGeneration="Generation1"
                if sku in ("Basic", "VpnGw1", "VpnGw1AZ")
                else "Generation2",
            )
            self.emit_s2s(hub.vpn_gateway_id)
        if hub.er_gateway_id:
            self.emit_gateway(
                hub.er_gateway_id,
                "ExpressRoute",
                {"name": "ErGw1AZ", "tier": "ErGw1AZ", "capacity": 2},
                gateway_subnet_id,
            )
            name = f"conn-{hub.vnet.name}-er"
            self.emit_connection(
                name,
                {
                    "connectionType": "ExpressRoute",
                    "virtualNetworkGateway1": {"id": hub.er_gateway_id},
                    "peer": {
                        "id": self.resource_id(
                            "rg-expressroute",
                            "Microsoft.Network/expressRouteCircuits",
                            f"erc-{self.home}-primary",
                        )
                    },
                    "routingWeight": 0,
                },
            )

    def emit_gateway(
        self, gateway_id: str, gateway_type: str, sku: dict[str, Any], subnet_id: str, **properties: Any
    ) -> None:
        name = gateway_id.rsplit("/", 1)[1]
        public_ip = self.resource_id("rg-network-hub", "Microsoft.Network/publicIPAddresses", f"pip-{name}")
        self.tenant.writer.write(
            "virtualnetworkgateways",
            self.arg_row(
                gateway_id,
                name,
                "microsoft.network/virtualnetworkgateways",
                self.hub.vnet.location,
                "rg-network-hub",
                {
                    "provisioningState": "Succeeded",
                    "gatewayType": gateway_type,
                    "vpnType": "RouteBased",
                    "sku": sku,
                    "ipConfigurations": [
                        {
                            "id": f"{gateway_id}/ipConfigurations/default",
                            "name": "default",
                            "properties": {
                                "privateIPAllocationMethod": "Dynamic",
                                "subnet": {"id": subnet_id},
                                "publicIPAddress": {"id": public_ip},
                            },
                        }
                    ],
                    "activeActive": False,
                    "enableBgp": False,
                    **properties,
                },
            ),
        )
        self.tenant.counts["gateways"] += 1

    def emit_s2s(self, vpn_gateway_id: str) -> None:
        """Site-to-site links to on-premises sites and, rarely, a VNet-to-VNet link to another hub."""
        if self.hub.app_service_only:
            return  # neither end of a link, so nothing but App Service keeps it
        rng = self.rng
        tenant = self.tenant
        cadence = (self.index + tenant.site_to_site_offset) % SITE_TO_SITE_PERIOD == 0
        if cadence or rng.random() < 0.15:
            for n in range(rng.randint(1, 2)):
                site = f"onprem-{self.index + 1:03d}-{n + 1}"
                lng_id = self.resource_id(
                    "rg-network-hub", "Microsoft.Network/localNetworkGateways", f"lgw-{site}"
                )
                tenant.writer.write(
                    "localnetworkgateways",
                    self.arg_row(
                        lng_id,
                        f"lgw-{site}",
                        "microsoft.network/localnetworkgateways",
                        self.home,
                        "rg-network-hub",
                        {
                            "provisioningState": "Succeeded",
                            "gatewayIpAddress": f"203.0.113.{(self.index * 2 + n) % 254 + 1}",
                            "localNetworkAddressSpace": {
                                "addressPrefixes": [f"192.168.{(self.index * 2 + n) % 256}.0/24"]
                            },
                        },
                    ),
                )
                self.emit_connection(
                    f"conn-{site}",
                    {
                        "connectionType": "IPsec",
                        "connectionProtocol": "IKEv2",
                        "virtualNetworkGateway1": {"id": vpn_gateway_id},
                        "localNetworkGateway2": {"id": lng_id},
                        "connectionStatus": "Connected" if rng.random() < 0.9 else "NotConnected",
                        "routingWeight": 10,
                        "enableBgp": False,
                        "usePolicyBasedTrafficSelectors": False,
                        "dpdTimeoutSeconds": 45,
                    },
                )
        previous = tenant.previous_vpn_gateway
        if previous and rng.random() < 0.05:
            self.emit_connection(
                f"conn-v2v-{self.index + 1:03d}",
                {
                    "connectionType": "Vnet2Vnet",
                    "virtualNetworkGateway1": {"id": vpn_gateway_id},
                    "virtualNetworkGateway2": {"id": previous[0]},
                    "connectionStatus": "Connected",
                    "routingWeight": 0,
                    "enableBgp": False,
                },
            )
        if "SSTP" in self.hub.protocols or "OpenVPN" in self.hub.protocols:
            tenant.previous_vpn_gateway = (vpn_gateway_id, self.home)

    def emit_connection(self, name: str, properties: dict[str, Any]) -> None:
        self.tenant.writer.write(
            "connections",
            self.arg_row(
                self.resource_id("rg-network-hub", "Microsoft.Network/connections", name),
                name,
                "microsoft.network/connections",
                self.home,
                "rg-network-hub",
                {"provisioningState": "Succeeded", **properties},
            ),
        )

    def emit_vaults_and_rules(self) -> None:
        """Vaults, and storage / Cosmos DB / registry accounts that admit listed subnets only."""
        rng = self.rng
        writer = self.tenant.writer
        for vault in self.vaults:
            writer.write("vaults", vault)
        by_service: dict[str, list[_Subnet]] = {}
        for vnet in self.vnets:
            for subnet in vnet.subnets:
                for service in subnet.endpoints:
                    by_service.setdefault(service, []).append(subnet)
        accounts = (
            (
                "microsoft.storage/storageaccounts",
                "Microsoft.Storage/storageAccounts",
                max(1, self.app_count // 20),
            ),
            (
                "microsoft.documentdb/databaseaccounts",
                "Microsoft.DocumentDB/databaseAccounts",
                self.app_count // 60,
            ),
            (
                "microsoft.containerregistry/registries",
                "Microsoft.ContainerRegistry/registries",
                self.app_count // 100,
            ),
        )
        for arg_type, provider_type, count in accounts:
            subnets = by_service.get(SUBNET_SERVICE_FOR[arg_type], [])
            hub_subnets = [s for s in subnets if s.vnet is self.hub.vnet]
            for n in range(count):
                if not subnets:
                    break
                chosen = rng.sample(subnets, min(len(subnets), rng.randint(1, 3)))
                if hub_subnets and hub_subnets[0] not in chosen and rng.random() < 0.4:
                    chosen.append(hub_subnets[0])  # the hub is where gateway-required apps land
                deny = rng.random() < 0.9
                self.emit_ruled_resource(arg_type, provider_type, n, [s.id for s in chosen], deny)

    def emit_ruled_resource(
        self, arg_type: str, provider_type: str, number: int, subnet_ids: list[str], deny: bool
    ) -> None:
        default_action = "Deny" if deny else "Allow"
        if arg_type == "microsoft.storage/storageaccounts":
            name = f"st{self.env}{self.index + 1:03d}{number + 1:03d}"
            kind, sku = "StorageV2", {"name": "Standard_LRS", "tier": "Standard"}
            properties: dict[str, Any] = {
                "networkAcls": {
                    "bypass": "AzureServices",
                    "defaultAction": default_action,
                    "ipRules": [],
                    "virtualNetworkRules": [
                        {"id": subnet_id, "action": "Allow", "state": "Succeeded"} for subnet_id in subnet_ids
                    ],
                },
                "publicNetworkAccess": "Enabled",
                "minimumTlsVersion": "TLS1_2",
            }
        elif arg_type == "microsoft.documentdb/databaseaccounts":
            name = f"cosmos-{self.env}-{self.index + 1:03d}-{number + 1:02d}"
            kind, sku = "GlobalDocumentDB", None
            properties = {
                "isVirtualNetworkFilterEnabled": deny,
                "virtualNetworkRules": [
                    {"id": subnet_id, "ignoreMissingVNetServiceEndpoint": False} for subnet_id in subnet_ids
                ],
                "ipRules": [],
                "publicNetworkAccess": "Enabled",
            }
        else:
            name = f"acr{self.env}{self.index + 1:03d}{number + 1:02d}"
            kind, sku = "", {"name": "Premium", "tier": "Premium"}
            properties = {
                "networkRuleSet": {
                    "defaultAction": default_action,
                    "virtualNetworkRules": [{"action": "Allow", "id": subnet_id} for subnet_id in subnet_ids],
                    "ipRules": [],
                },
                "publicNetworkAccess": "Enabled",
            }
        resource_group = f"rg-data-{self.env}"
        self.tenant.writer.write(
            "networkrules",
            self.arg_row(
                self.resource_id(resource_group, provider_type, name),
                name,
                arg_type,
                self.home,
                resource_group,
                properties,
                kind=kind,
                sku=sku,
            ),
        )

    def build(self) -> None:
        """Write this subscription: apps as they are made, then what depends on all of them."""
        tenant = self.tenant
        tenant.writer.write(
            "subscriptions",
            {
                "id": f"/subscriptions/{self.id}",
                "name": self.display_name,
                "type": "microsoft.resources/subscriptions",
                "tenantId": tenant.tenant_id,
                "subscriptionId": self.id,
                "properties": {
                    "state": "Enabled",
                    "managementGroupAncestorsChain": [
                        {"name": f"mg-{self.env}", "displayName": f"Landing zones ({self.env})"},
                        {"name": tenant.tenant_id, "displayName": "Tenant Root Group"},
                    ],
                },
            },
        )
        tenant.subscriptions.append((self.id, self.display_name))
        self.build_network()
        self.build_vaults()
        for number in range(self.app_count):
            self.add_app(number)
        self.emit_plans()
        self.emit_network()
        self.emit_vaults_and_rules()


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` apps over `parts` subscriptions, unevenly as in real tenants, summing exactly to `total`."""
    weights = [rng.uniform(0.3, 1.7) for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    for i in range(total - sum(counts)):
        counts[i % parts] += 1
    return counts


def _write_manifest(path: Path, tenant: _Tenant, writer: _Writer) -> None:
    """manifest.json, with the per-app id lists streamed from the call log rather than held in memory."""
    arm = tenant.arm
    queries: dict[str, dict[str, Any]] = {}
    for data_set in DATA_SETS:
        if data_set in ARM_DATA_SETS:
            continue
        rows = writer.rows[data_set]
        # A real scan hashes its .kql text; a synthetic tenant ran none, so it hashes the query's name.
        queries[data_set] = {
            "sha256": hashlib.sha256(f"synthetic:{data_set}".encode()).hexdigest(),
            "rows": rows,
            "pages": max(1, -(-rows // 1000)),
        }
    failed = sum(len(v) for v in arm.failed.values())
    head = {
        "schema": "vnet-planner/inventory@1",
        "tool_version": "0.1.0",
        "generator": {"name": "planner.sample.synthetic", "seed": tenant.seed, "apps": tenant.counts["apps"]}
        | ({"gateway_share": tenant.gateway_share} if tenant.gateway_share is not None else {}),
        "started_at": STARTED_AT,
        "finished_at": FINISHED_AT,
        "cloud": "AzureCloud",
        "scope": {
            "subscriptions": [sid for sid, _ in tenant.subscriptions],
            "management_group": None,
            "include": [],
            "exclude": [],
            "subscriptions_excluded": [],
            "apps_out_of_scope": 0,
        },
        "subscriptions": [{"id": sid, "name": name, "status": "ok"} for sid, name in tenant.subscriptions],
        "queries": queries,
    }
    tail = {
        "calls": {
            "resource_graph": sum(q["pages"] for q in queries.values()),
            "arm": sum(arm.fetched.values()) + failed,
            "retries": 3 * failed,
        },
        "partial": failed > 0,
    }
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{\n")
        for key, value in head.items():
            fh.write(f"  {json.dumps(key)}: {json.dumps(value)},\n")
        fh.write('  "arm": {\n')
        for n, call in enumerate(ARM_CALLS):
            fh.write(f'    "{call}": {{\n      "fetched": [')
            separator = "\n        "
            for encoded in arm.fetched_ids(call):
                fh.write(separator + encoded)
                separator = ",\n        "
            fh.write("\n      ],\n" if separator.startswith(",") else "],\n")
            fh.write(f'      "failed": {json.dumps(arm.failed[call])}\n    }}')
            fh.write(",\n" if n < len(ARM_CALLS) - 1 else "\n")
        fh.write("  },\n")
        fh.write(",\n".join(f"  {json.dumps(key)}: {json.dumps(value)}" for key, value in tail.items()))
        fh.write("\n}\n")


def generate(apps: int, seed: int, out: Path, gateway_share: float | None = None) -> GenerationStats:
    """Write a synthetic tenant of `apps` apps into the folder `out`; the same seed (and share) gives
    the same bytes. `gateway_share` (0 to 1) is the share of apps drawn on gateway-required integration."""
    if apps < 1:
        raise InputError("--apps", "must be at least 1")
    if gateway_share is not None and not 0.0 <= gateway_share <= 1.0:
        raise InputError("--gateway-share", "must be between 0 and 1 (a share, e.g. 0.85)")
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "exists and is not a folder")
    out.mkdir(parents=True, exist_ok=True)
    subscriptions = max(2, round(apps / APPS_PER_SUBSCRIPTION))
    with ExitStack() as stack:
        writer = _Writer(out, stack)
        arm = _ArmLog(out, stack)
        stack.callback(arm.remove)
        tenant = _Tenant(seed, writer, arm, gateway_share)
        counts = _split(apps, subscriptions, random.Random(f"vnet-planner/synthetic/{seed}/split"))
        for index, count in enumerate(counts):
            _Subscription(tenant, index, count).build()
        for fh in (*writer.files.values(), *arm.fetched_files.values()):
            fh.flush()
        _write_manifest(out / "manifest.json", tenant, writer)
    c = tenant.counts
    return GenerationStats(
        apps=c["apps"],
        slots=c["slots"],
        subscriptions=subscriptions,
        plans=c["plans"],
        vnets=c["vnets"],
        gateways=c["gateways"],
        gateway_required=c["gateway_required"],
        regional=c["regional"],
        failed_calls=sum(len(v) for v in arm.failed.values()),
        rows=dict(writer.rows),
        bytes_written=writer.bytes_written,
    )
