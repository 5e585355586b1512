"""Typed entities built once from the raw inventory, and the indexes the rules and planner use.

No raw dict travels past this module. Every field the planner needs is checked here; a field of
the wrong type stops the run with an InputError naming the file, the position and the field.
Missing fields stay `None`, which the rules turn into "unknown", never into a guess.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any

from planner.core.errors import InputError
from planner.core.ids import norm_id, norm_location, parent_id
from planner.core.redact import cert_digest
from planner.inventory import loader as inv


class Integration(StrEnum):
    """How an app reaches a VNet."""

    GATEWAY_REQUIRED = "gateway-required"
    REGIONAL = "regional"
    NONE = "none"
    UNKNOWN = "unknown"


def vnet_of_subnet(subnet_id: str) -> str:
    """'/.../virtualNetworks/v/subnets/s' -> '/.../virtualNetworks/v'."""
    lowered = subnet_id.lower()
    index = lowered.find("/subnets/")
    return subnet_id[:index] if index >= 0 else subnet_id


def id_segment(resource_id: str, name: str) -> str | None:
    """The value after a named segment of an ARM id ('resourceGroups' -> 'rg-app')."""
    parts = resource_id.split("/")
    for index, part in enumerate(parts[:-1]):
        if part.lower() == name.lower():
            return parts[index + 1]
    return None


# ---------------------------------------------------------------- field readers with validation

# Instance counts above this are not App Service (a plan has at most a few hundred instances); a
# bigger one is a broken input, and would size subnets past IPv4.
MAX_INSTANCES = 10_000


@lru_cache(maxsize=1024)  # "properties.sku.name" -> its parts: the readers use a few dozen such constants
def _path_parts(path: str) -> tuple[str, ...]:
    return tuple(path.split("."))


class _Reader:
    """Reads typed fields of one raw resource, naming file/position/field on a wrong type."""

    def __init__(self, raw: Mapping[str, Any], where: str):
        self.raw = raw
        self.where = where

    def _get(self, path: str) -> Any:
        value: Any = self.raw
        for part in _path_parts(path):
            # JSON gives dicts: checked first, as the Mapping check costs an ABC lookup (400,000 reads
            # at 10,000 apps)
            if value.__class__ is not dict and not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value

    def _fail(self, path: str, expected: str, value: Any) -> InputError:
        file, _, position = self.where.partition(", ")
        return InputError(
            file,
            f"expected {expected}, got {type(value).__name__} {str(value)[:60]!r}",
            position=position or None,
            field=path,
        )

    def text(self, path: str) -> str | None:
        value = self._get(path)
        if value is None or isinstance(value, str):
            return value or None
        raise self._fail(path, "a string", value)

    def flag(self, path: str) -> bool | None:
        value = self._get(path)
        if value is None or isinstance(value, bool):
            return value
        # Resource Graph projections and hand-made files sometimes carry "true"/"false".
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self._fail(path, "true or false", value)

    def number(self, path: str, maximum: int = MAX_INSTANCES) -> int | None:
        """A whole number from 0 to `maximum` (every number read is an instance count)."""
        value = self._get(path)
        if value is None:
            return None
        expected = f"a whole number from 0 to {maximum}"
        if isinstance(value, bool):
            raise self._fail(path, expected, value)
        number: int | None = None
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str):
            # ASCII digits only: str.isdigit() also accepts '²', which int() refuses.
            text = value.strip()
            if text.isascii() and text.isdigit() and len(text) <= len(str(maximum)):
                number = int(text)
        if number is None or not 0 <= number <= maximum:
            raise self._fail(path, expected, value)
        return number

    def items(self, path: str) -> list[Any]:
        value = self._get(path)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        raise self._fail(path, "a list", value)

    def texts(self, path: str) -> tuple[str, ...]:
        items = self.items(path)
        for index, item in enumerate(items):
            if not isinstance(item, str):
                raise self._fail(f"{path}[{index}]", "a string", item)
        return tuple(items)

    def obj(self, path: str) -> dict[str, Any]:
        value = self._get(path)
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return dict(value)
        raise self._fail(path, "an object", value)

    def ref_id(self, path: str) -> str | None:
        """A `{ "id": "..." }` sub-resource reference."""
        return self.text(f"{path}.id")


# ---------------------------------------------------------------- entities


@dataclass(frozen=True, slots=True)
class Subscription:
    id: str
    name: str | None


@dataclass(frozen=True, slots=True)
class AppServicePlan:
    id: str
    name: str
    subscription_id: str | None
    resource_group: str | None
    location: str | None
    kind: str | None
    sku_name: str | None
    sku_tier: str | None
    capacity: int | None
    maximum_workers: int | None
    reserved: bool | None
    hyper_v: bool | None
    ase_id: str | None
    number_of_workers: int | None = None  # properties.numberOfWorkers: can differ from sku.capacity


# Not frozen, for speed: treated as a value all the same (docs/architecture.md, "value classes").
@dataclass(unsafe_hash=True, slots=True)
class App:
    """A web app, function app or slot."""

    id: str
    name: str  # "app" or "app/slot"
    site_name: str
    slot: str | None
    kind: str | None
    subscription_id: str | None
    resource_group: str | None
    location: str | None
    plan_id: str | None
    reserved: bool | None
    hyper_v: bool | None
    is_xenon: bool | None
    ase_id: str | None
    regional_subnet_id: str | None
    route_all: bool | None
    sku_tier: str | None
    tags: dict[str, str]
    scm_host: str | None = None  # Kudu host (hostNameSslStates hostType Repository)

    @property
    def kinds(self) -> frozenset[str]:
        """`kind` is a comma list in no guaranteed order (azure-facts §2.1)."""
        return frozenset(k.strip().lower() for k in (self.kind or "").split(",") if k.strip())

    @property
    def is_function(self) -> bool:
        return "functionapp" in self.kinds


@dataclass(frozen=True, slots=True)
class Route:
    start: str | None
    end: str | None
    route_type: str | None


# Not frozen, for speed: treated as a value all the same (docs/architecture.md, "value classes").
@dataclass(unsafe_hash=True, slots=True)
class VnetConnection:
    """An entry of an app's virtualNetworkConnections (gateway-required or regional)."""

    id: str
    app_id: str
    name: str
    vnet_resource_id: str | None
    is_swift: bool | None
    resync_required: bool | None
    cert_thumbprint: str | None
    cert_digest: str | None  # sha256 of the normalised certBlob: compared, never written out
    dns_servers: tuple[str, ...]
    routes: tuple[Route, ...]

    @property
    def gateway_required(self) -> bool:
        """Not a regional entry. Regional entries say `isSwift: true` and point at a subnet, not a VNet
        (azure-facts §1.1, shape UNSURE): either sign is enough, so an entry missing the flag is not
        mistaken for gateway-required."""
        if self.is_swift is True:
            return False
        return "/subnets/" not in (self.vnet_resource_id or "").lower()


@dataclass(frozen=True, slots=True)
class KeyVaultReference:
    id: str
    app_id: str
    setting: str
    vault_name: str | None
    secret_name: str | None
    status: str | None
    identity_type: str | None


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    app_id: str
    id: str
    swift_supported: bool | None
    subnet_id: str | None


@dataclass(frozen=True, slots=True)
class SubnetUse:
    """An app or slot that says it integrates a subnet regionally, and the field that says so."""

    subnet_id: str
    app_id: str
    plan_id: str | None  # None: the app is not in the inventory (a connection record names it)
    field: str


@dataclass(frozen=True, slots=True)
class Subnet:
    id: str
    name: str
    vnet_id: str
    prefixes: tuple[str, ...]
    delegations: tuple[str, ...]
    service_endpoints: tuple[str, ...]
    service_endpoint_policies: int
    nsg_id: str | None
    route_table_id: str | None
    nat_gateway_id: str | None
    ip_configurations: int
    private_endpoints: int
    service_association_links: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Peering:
    name: str
    vnet_id: str
    remote_vnet_id: str | None
    allow_gateway_transit: bool | None
    use_remote_gateways: bool | None
    allow_forwarded_traffic: bool | None
    state: str | None


@dataclass(frozen=True, slots=True)
class VirtualNetwork:
    id: str
    name: str
    subscription_id: str | None
    resource_group: str | None
    location: str | None
    address_prefixes: tuple[str, ...]
    dns_servers: tuple[str, ...]
    subnets: tuple[Subnet, ...]
    peerings: tuple[Peering, ...]
    classic: bool = False


@dataclass(frozen=True, slots=True)
class RootCertificate:
    name: str
    digest: str | None  # sha256 of normalised publicCertData; None when the data is absent/redacted


@dataclass(frozen=True, slots=True)
class Gateway:
    id: str
    name: str
    subscription_id: str | None
    resource_group: str | None
    location: str | None
    gateway_type: str | None
    vpn_type: str | None
    sku: str | None
    active_active: bool | None
    provisioning_state: str | None
    subnet_ids: tuple[str, ...]
    public_ip_ids: tuple[str, ...]
    has_p2s: bool
    p2s_pools: tuple[str, ...]
    p2s_protocols: tuple[str, ...]
    p2s_auth: tuple[str, ...]
    root_certificates: tuple[RootCertificate, ...]
    radius_configured: bool
    aad_tenant: str | None

    @property
    def vnet_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(vnet_of_subnet(s) for s in self.subnet_ids))

    @property
    def is_vpn(self) -> bool:
        return (self.gateway_type or "").lower() == "vpn"

    @property
    def is_expressroute(self) -> bool:
        return (self.gateway_type or "").lower() == "expressroute"


@dataclass(frozen=True, slots=True)
class Connection:
    id: str
    name: str
    connection_type: str | None
    gateway1_id: str | None
    gateway2_id: str | None
    local_gateway_id: str | None
    status: str | None


@dataclass(frozen=True, slots=True)
class LocalNetworkGateway:
    id: str
    name: str
    prefixes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VnetRule:
    """One resource admitting traffic from one subnet through a service endpoint."""

    resource_id: str
    resource_type: str
    subnet_id: str
    field: str
    restricted: bool | None  # does the resource deny other traffic (defaultAction Deny / public access off)?


@dataclass(frozen=True, slots=True)
class Vault:
    id: str
    name: str
    public_network_access: str | None
    default_action: str | None
    private_endpoints: int

    @property
    def restricted(self) -> bool | None:
        """Network access is restricted: defaultAction Deny or publicNetworkAccess Disabled."""
        if (self.public_network_access or "").lower() == "disabled":
            return True
        if (self.default_action or "").lower() == "deny":
            return True
        if self.public_network_access is None and self.default_action is None:
            return None
        return False


# ---------------------------------------------------------------- the tenant and its indexes


@dataclass
class Tenant:
    """Everything read from one inventory, with the lookups the rules need."""

    raw: inv.RawInventory
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    apps: dict[str, App] = field(default_factory=dict)
    plans: dict[str, AppServicePlan] = field(default_factory=dict)
    vnets: dict[str, VirtualNetwork] = field(default_factory=dict)
    classic_vnets: dict[str, VirtualNetwork] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    gateways: dict[str, Gateway] = field(default_factory=dict)
    connections: dict[str, Connection] = field(default_factory=dict)
    local_gateways: dict[str, LocalNetworkGateway] = field(default_factory=dict)
    vaults: dict[str, Vault] = field(default_factory=dict)
    autoscale_max: dict[str, tuple[int, str]] = field(default_factory=dict)  # plan id -> (max, setting id)
    vnet_connections: dict[str, list[VnetConnection]] = field(default_factory=lambda: defaultdict(list))
    kv_references: dict[str, list[KeyVaultReference]] = field(default_factory=lambda: defaultdict(list))
    network_config: dict[str, NetworkConfig] = field(default_factory=dict)
    vnet_rules_by_vnet: dict[str, list[VnetRule]] = field(default_factory=lambda: defaultdict(list))
    vnet_rules_by_subnet: dict[str, list[VnetRule]] = field(default_factory=lambda: defaultdict(list))
    gateways_by_vnet: dict[str, list[Gateway]] = field(default_factory=lambda: defaultdict(list))
    connections_by_gateway: dict[str, list[Connection]] = field(default_factory=lambda: defaultdict(list))
    apps_by_plan: dict[str, list[App]] = field(default_factory=lambda: defaultdict(list))
    slots_by_site: dict[str, list[App]] = field(default_factory=lambda: defaultdict(list))
    vaults_by_name: dict[str, Vault] = field(default_factory=dict)
    # What the ARM enrichment calls covered: call name -> lower app ids read / failed (with reason).
    fetched: dict[str, set[str]] = field(default_factory=dict)
    failed: dict[str, dict[str, str]] = field(default_factory=dict)
    failed_subscriptions: list[dict[str, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Data that is not all there (pages of longer results, data sets the scan did not finish).
    gaps: list[inv.Gap] = field(default_factory=list)
    # lower subnet id -> the apps and slots that say they integrate it (every field that can say so)
    subnet_uses: dict[str, list[SubnetUse]] = field(default_factory=lambda: defaultdict(list))

    def uses_of(self, subnet_id: str | None) -> list[SubnetUse]:
        """The apps and slots that name this subnet as their regional integration."""
        return self.subnet_uses.get(norm_id(subnet_id), [])

    def subnets_of_plan(self, plan_id: str | None) -> list[str]:
        """Every subnet an app or slot of the plan integrates regionally, by any signal, in id order."""
        if not plan_id:
            return []
        found: dict[str, str] = {}
        for app in self.apps_by_plan.get(norm_id(plan_id), []):
            for use in self.app_subnet_uses.get(norm_id(app.id), ()):
                found.setdefault(norm_id(use.subnet_id), use.subnet_id)
        return [found[key] for key in sorted(found)]

    # lower app id -> its regional subnet signals (the same records as subnet_uses, by app)
    app_subnet_uses: dict[str, list[SubnetUse]] = field(default_factory=lambda: defaultdict(list))

    def gaps_for(self, *types: str) -> list[inv.Gap]:
        """The gaps that may hide resources of any of these (lower-case) types."""
        return [gap for gap in self.gaps if any(gap.covers(t) for t in types)]

    def gap_note(self, *types: str) -> str | None:
        """Why data of these types may be missing, naming the files; None when it is complete."""
        gaps = self.gaps_for(*types)
        if not gaps:
            return None
        return "; ".join(dict.fromkeys(gap.describe() for gap in gaps))  # each said once

    @property
    def complete(self) -> bool:
        """Every file and data set holds its whole result, and every subscription was read."""
        return not self.gaps and not self.failed_subscriptions

    def vnet(self, vnet_id: str | None) -> VirtualNetwork | None:
        key = norm_id(vnet_id)
        return self.vnets.get(key) or self.classic_vnets.get(key)

    def plan_of(self, app: App) -> AppServicePlan | None:
        return self.plans.get(norm_id(app.plan_id))

    def subscription_name(self, subscription_id: str | None) -> str | None:
        sub = self.subscriptions.get(norm_id(subscription_id))
        return sub.name if sub else None

    def was_read(self, call: str, app_id: str) -> bool | None:
        """True when the ARM call for this app was read, False when it failed, None when never made."""
        key = norm_id(app_id)
        if key in self.failed.get(call, {}):
            return False
        if key in self.fetched.get(call, ()):
            return True
        return None

    def failure_reason(self, call: str, app_id: str) -> str | None:
        return self.failed.get(call, {}).get(norm_id(app_id))


ARM_CALLS = ("virtualNetworkConnections", "keyVaultReferences", "networkConfig")


def build_tenant(raw: inv.RawInventory) -> Tenant:
    """Build typed entities and indexes from raw resources. Raises InputError on a bad field."""
    tenant = Tenant(raw=raw)
    for item in raw.of_type(inv.SUBSCRIPTION):
        _add_subscription(tenant, item)
    for item in raw.of_type(inv.PLAN):
        plan = _plan(item, _Reader(item, raw.where(item["id"])))
        tenant.plans[norm_id(plan.id)] = plan
    for type_ in (inv.SITE, inv.SLOT):
        for item in raw.of_type(type_):
            app = _app(item, _Reader(item, raw.where(item["id"])), slot=type_ == inv.SLOT)
            tenant.apps[norm_id(app.id)] = app
    for app in tenant.apps.values():
        if app.plan_id:
            tenant.apps_by_plan[norm_id(app.plan_id)].append(app)
        if app.slot:
            tenant.slots_by_site[norm_id(parent_id(app.id))].append(app)
    for item in raw.of_type(inv.AUTOSCALE):
        _add_autoscale(tenant, item, _Reader(item, raw.where(item["id"])))
    for item in raw.of_type(inv.VNET):
        vnet = _vnet(item, _Reader(item, raw.where(item["id"])))
        tenant.vnets[norm_id(vnet.id)] = vnet
        for subnet in vnet.subnets:
            tenant.subnets[norm_id(subnet.id)] = subnet
    for item in raw.of_type(inv.CLASSIC_VNET):
        classic = _classic_vnet(item, _Reader(item, raw.where(item["id"])))
        tenant.classic_vnets[norm_id(classic.id)] = classic
    for item in raw.of_type(inv.GATEWAY):
        gateway = _gateway(item, _Reader(item, raw.where(item["id"])))
        tenant.gateways[norm_id(gateway.id)] = gateway
        for vnet_id in gateway.vnet_ids:
            tenant.gateways_by_vnet[norm_id(vnet_id)].append(gateway)
    for item in raw.of_type(inv.CONNECTION):
        connection = _connection(item, _Reader(item, raw.where(item["id"])))
        tenant.connections[norm_id(connection.id)] = connection
        for gateway_id in {norm_id(connection.gateway1_id), norm_id(connection.gateway2_id)} - {""}:
            tenant.connections_by_gateway[gateway_id].append(connection)
    for item in raw.of_type(inv.LOCAL_GATEWAY):
        reader = _Reader(item, raw.where(item["id"]))
        local = LocalNetworkGateway(
            id=item["id"],
            name=reader.text("name") or item["id"].rsplit("/", 1)[-1],
            prefixes=reader.texts("properties.localNetworkAddressSpace.addressPrefixes"),
        )
        tenant.local_gateways[norm_id(local.id)] = local
    for item in raw.of_type(inv.VAULT):
        reader = _Reader(item, raw.where(item["id"]))
        vault = Vault(
            id=item["id"],
            name=reader.text("name") or item["id"].rsplit("/", 1)[-1],
            public_network_access=reader.text("properties.publicNetworkAccess"),
            default_action=reader.text("properties.networkAcls.defaultAction"),
            private_endpoints=len(reader.items("properties.privateEndpointConnections")),
        )
        tenant.vaults[norm_id(vault.id)] = vault
        tenant.vaults_by_name[vault.name.lower()] = vault
        _add_vnet_rules(tenant, item, reader)
    for item in raw.of_type(inv.NETWORK_RULED):
        _add_vnet_rules(tenant, item, _Reader(item, raw.where(item["id"])))
    for item in raw.of_type(inv.VNET_CONNECTION):
        entry = _vnet_connection(item, _Reader(item, raw.where(item["id"])))
        tenant.vnet_connections[norm_id(entry.app_id)].append(entry)
    for item in raw.of_type(inv.KV_REFERENCE):
        reference = _kv_reference(item, _Reader(item, raw.where(item["id"])))
        tenant.kv_references[norm_id(reference.app_id)].append(reference)
    for item in raw.of_type(inv.NETWORK_CONFIG):
        reader = _Reader(item, raw.where(item["id"]))
        config = NetworkConfig(
            app_id=parent_id(item["id"]),
            id=item["id"],
            swift_supported=reader.flag("properties.swiftSupported"),
            subnet_id=reader.text("properties.subnetResourceId"),
        )
        tenant.network_config[norm_id(config.app_id)] = config
    tenant.gaps = list(raw.gaps)
    _index_subnet_uses(tenant)
    _read_coverage(tenant)
    raw.release()
    return tenant


def _index_subnet_uses(tenant: Tenant) -> None:
    """Who integrates which subnet, from every field that can say so.

    A site or slot names its subnet in `properties.virtualNetworkSubnetId` (azure-facts §1.3); its
    `virtualNetworkConnections` list holds a regional entry (`isSwift`, `vnetResourceId` = the subnet,
    §1.1); `networkConfig/virtualNetwork` holds `subnetResourceId`. The subnet's own data (service
    association link, IP configurations) is read where the subnet is looked at.
    """

    def add(subnet_id: str, app_id: str, field_name: str) -> None:
        app = tenant.apps.get(norm_id(app_id))
        use = SubnetUse(subnet_id, app.id if app else app_id, app.plan_id if app else None, field_name)
        if any(u.field == field_name for u in tenant.app_subnet_uses.get(norm_id(app_id), ())):
            return
        tenant.subnet_uses[norm_id(subnet_id)].append(use)
        tenant.app_subnet_uses[norm_id(app_id)].append(use)

    for app in tenant.apps.values():
        if app.regional_subnet_id:
            add(app.regional_subnet_id, app.id, "properties.virtualNetworkSubnetId")
    for entries in tenant.vnet_connections.values():
        for entry in entries:
            target = entry.vnet_resource_id or ""
            if not entry.gateway_required and "/subnets/" in target.lower():
                add(target, entry.app_id, f"virtualNetworkConnections/{entry.name}.properties.vnetResourceId")
    for config in tenant.network_config.values():
        if config.subnet_id and "/subnets/" in config.subnet_id.lower():
            add(config.subnet_id, config.app_id, "networkConfig/virtualNetwork.properties.subnetResourceId")


def _add_subscription(tenant: Tenant, item: Mapping[str, Any]) -> None:
    reader = _Reader(item, tenant.raw.where(item["id"]))
    sub_id = reader.text("subscriptionId") or item["id"].rstrip("/").rsplit("/", 1)[-1]
    tenant.subscriptions[norm_id(sub_id)] = Subscription(id=sub_id, name=reader.text("name"))


def _name(rid: str, r: _Reader) -> str:
    """`name`, else the last segment of the id."""
    return r.text("name") or rid.rsplit("/", 1)[-1]


def _located(rid: str, r: _Reader) -> dict[str, Any]:
    """Subscription and resource group (read, else taken from the id) and normalised location."""
    return {
        "subscription_id": r.text("subscriptionId") or id_segment(rid, "subscriptions"),
        "resource_group": r.text("resourceGroup") or id_segment(rid, "resourceGroups"),
        "location": norm_location(r.text("location")),
    }


def _plan(item: Mapping[str, Any], r: _Reader) -> AppServicePlan:
    rid = item["id"]
    return AppServicePlan(
        id=rid,
        name=_name(rid, r),
        **_located(rid, r),
        kind=r.text("kind"),
        sku_name=r.text("sku.name"),
        sku_tier=r.text("sku.tier"),
        capacity=r.number("sku.capacity"),
        maximum_workers=r.number("properties.maximumNumberOfWorkers"),
        number_of_workers=r.number("properties.numberOfWorkers"),
        reserved=r.flag("properties.reserved"),
        hyper_v=r.flag("properties.hyperV"),
        ase_id=r.text("properties.hostingEnvironmentProfile.id"),
    )


def _app(item: Mapping[str, Any], r: _Reader, *, slot: bool) -> App:
    rid = item["id"]
    name = _name(rid, r)
    slot_name = None
    site_name = name
    if slot:
        site_name = id_segment(rid, "sites") or name.split("/")[0]
        slot_name = rid.rstrip("/").rsplit("/", 1)[-1]
        name = f"{site_name}/{slot_name}"
    tags = r.obj("tags")
    route_all = r.flag("properties.outboundVnetRouting.applicationTraffic")
    if r.flag("properties.outboundVnetRouting.allTraffic"):
        route_all = True
    if route_all is None:
        route_all = r.flag("properties.vnetRouteAllEnabled")
    if route_all is None:
        route_all = r.flag("properties.siteConfig.vnetRouteAllEnabled")
    return App(
        id=rid,
        name=name,
        site_name=site_name,
        slot=slot_name,
        kind=r.text("kind"),
        **_located(rid, r),
        plan_id=r.text("properties.serverFarmId"),
        reserved=r.flag("properties.reserved"),
        hyper_v=r.flag("properties.hyperV"),
        is_xenon=r.flag("properties.isXenon"),
        ase_id=r.text("properties.hostingEnvironmentProfile.id"),
        regional_subnet_id=r.text("properties.virtualNetworkSubnetId"),
        route_all=route_all,
        sku_tier=r.text("properties.sku"),
        tags={str(k): "" if v is None else str(v) for k, v in tags.items()},
        scm_host=_scm_host(r),
    )


def _scm_host(r: _Reader) -> str | None:
    """The Kudu host: the Repository entry of hostNameSslStates, else an enabled '.scm.' host name."""
    for index, state in enumerate(r.items("properties.hostNameSslStates")):
        if not isinstance(state, Mapping):
            raise r._fail(f"properties.hostNameSslStates[{index}]", "an object", state)
        entry = _Reader(state, r.where)
        if (entry.text("hostType") or "").lower() == "repository" and entry.text("name"):
            return entry.text("name")
    for name in r.texts("properties.enabledHostNames"):
        if ".scm." in name.lower():
            return name
    return None


def _add_autoscale(tenant: Tenant, item: Mapping[str, Any], r: _Reader) -> None:
    target = r.text("properties.targetResourceUri")
    if not target or r.flag("properties.enabled") is False:
        return
    maxima = []
    for profile in r.items("properties.profiles"):
        maximum = (
            _Reader(profile, r.where).number("capacity.maximum") if isinstance(profile, Mapping) else None
        )
        if maximum is not None:
            maxima.append(maximum)
    if maxima:
        key = norm_id(target)
        best = max(maxima)
        if key not in tenant.autoscale_max or tenant.autoscale_max[key][0] < best:
            tenant.autoscale_max[key] = (best, item["id"])


def _subnet(raw: Any, vnet_id: str, r: _Reader, index: int) -> Subnet:
    path = f"properties.subnets[{index}]"
    if not isinstance(raw, Mapping):
        raise r._fail(path, "an object", raw)
    s = _Reader(raw, r.where)
    name = s.text("name") or ""
    subnet_id = s.text("id") or f"{vnet_id}/subnets/{name}"
    prefixes = list(s.texts("properties.addressPrefixes"))
    single = s.text("properties.addressPrefix")
    if single and single not in prefixes:
        prefixes.insert(0, single)
    delegations = tuple(
        _Reader(d, r.where).text("properties.serviceName") or "" for d in s.items("properties.delegations")
    )
    endpoints = tuple(
        _Reader(e, r.where).text("service") or "" for e in s.items("properties.serviceEndpoints")
    )
    links = tuple(
        _Reader(link, r.where).text("properties.linkedResourceType")
        or _Reader(link, r.where).text("name")
        or ""
        for link in s.items("properties.serviceAssociationLinks")
    )
    return Subnet(
        id=subnet_id,
        name=name or subnet_id.rsplit("/", 1)[-1],
        vnet_id=vnet_id,
        prefixes=tuple(prefixes),
        delegations=tuple(d for d in delegations if d),
        service_endpoints=tuple(e for e in endpoints if e),
        service_endpoint_policies=len(s.items("properties.serviceEndpointPolicies")),
        nsg_id=s.ref_id("properties.networkSecurityGroup"),
        route_table_id=s.ref_id("properties.routeTable"),
        nat_gateway_id=s.ref_id("properties.natGateway"),
        ip_configurations=len(s.items("properties.ipConfigurations")),
        private_endpoints=len(s.items("properties.privateEndpoints")),
        service_association_links=tuple(link for link in links if link),
    )


def _vnet(item: Mapping[str, Any], r: _Reader) -> VirtualNetwork:
    rid = item["id"]
    subnets = tuple(_subnet(raw, rid, r, i) for i, raw in enumerate(r.items("properties.subnets")))
    peerings = []
    for index, raw in enumerate(r.items("properties.virtualNetworkPeerings")):
        if not isinstance(raw, Mapping):
            raise r._fail(f"properties.virtualNetworkPeerings[{index}]", "an object", raw)
        p = _Reader(raw, r.where)
        peerings.append(
            Peering(
                name=p.text("name") or "",
                vnet_id=rid,
                remote_vnet_id=p.ref_id("properties.remoteVirtualNetwork"),
                allow_gateway_transit=p.flag("properties.allowGatewayTransit"),
                use_remote_gateways=p.flag("properties.useRemoteGateways"),
                allow_forwarded_traffic=p.flag("properties.allowForwardedTraffic"),
                state=p.text("properties.peeringState"),
            )
        )
    return VirtualNetwork(
        id=rid,
        name=_name(rid, r),
        **_located(rid, r),
        address_prefixes=r.texts("properties.addressSpace.addressPrefixes"),
        dns_servers=r.texts("properties.dhcpOptions.dnsServers"),
        subnets=subnets,
        peerings=tuple(peerings),
    )


def _classic_vnet(item: Mapping[str, Any], r: _Reader) -> VirtualNetwork:
    rid = item["id"]
    return VirtualNetwork(
        id=rid,
        name=_name(rid, r),
        **_located(rid, r),
        address_prefixes=r.texts("properties.addressSpace.addressPrefixes"),
        dns_servers=(),
        subnets=(),
        peerings=(),
        classic=True,
    )


def _gateway(item: Mapping[str, Any], r: _Reader) -> Gateway:
    rid = item["id"]
    subnet_ids: list[str] = []
    public_ips: list[str] = []
    for index, raw in enumerate(r.items("properties.ipConfigurations")):
        if not isinstance(raw, Mapping):
            raise r._fail(f"properties.ipConfigurations[{index}]", "an object", raw)
        c = _Reader(raw, r.where)
        subnet = c.ref_id("properties.subnet")
        if subnet:
            subnet_ids.append(subnet)
        pip = c.ref_id("properties.publicIPAddress")
        if pip:
            public_ips.append(pip)
    client = r.obj("properties.vpnClientConfiguration")
    certs = []
    for index, raw in enumerate(r.items("properties.vpnClientConfiguration.vpnClientRootCertificates")):
        if not isinstance(raw, Mapping):
            raise r._fail(
                f"properties.vpnClientConfiguration.vpnClientRootCertificates[{index}]", "an object", raw
            )
        c = _Reader(raw, r.where)
        certs.append(
            RootCertificate(
                name=c.text("name") or f"#{index}",
                digest=cert_digest(c.text("properties.publicCertData"))
                or c.text("properties.publicCertDataSha256"),
            )
        )
    return Gateway(
        id=rid,
        name=_name(rid, r),
        **_located(rid, r),
        gateway_type=r.text("properties.gatewayType"),
        vpn_type=r.text("properties.vpnType"),
        sku=r.text("properties.sku.name") or r.text("sku.name"),
        active_active=r.flag("properties.activeActive"),
        provisioning_state=r.text("properties.provisioningState"),
        subnet_ids=tuple(subnet_ids),
        public_ip_ids=tuple(public_ips),
        has_p2s=bool(client),
        p2s_pools=r.texts("properties.vpnClientConfiguration.vpnClientAddressPool.addressPrefixes"),
        p2s_protocols=r.texts("properties.vpnClientConfiguration.vpnClientProtocols"),
        p2s_auth=r.texts("properties.vpnClientConfiguration.vpnAuthenticationTypes"),
        root_certificates=tuple(certs),
        radius_configured=bool(
            r.text("properties.vpnClientConfiguration.radiusServerAddress")
            or r.items("properties.vpnClientConfiguration.radiusServers")
        ),
        aad_tenant=r.text("properties.vpnClientConfiguration.aadTenant"),
    )


def _connection(item: Mapping[str, Any], r: _Reader) -> Connection:
    rid = item["id"]
    return Connection(
        id=rid,
        name=_name(rid, r),
        connection_type=r.text("properties.connectionType"),
        gateway1_id=r.ref_id("properties.virtualNetworkGateway1"),
        gateway2_id=r.ref_id("properties.virtualNetworkGateway2"),
        local_gateway_id=r.ref_id("properties.localNetworkGateway2"),
        status=r.text("properties.connectionStatus"),
    )


def _vnet_connection(item: Mapping[str, Any], r: _Reader) -> VnetConnection:
    rid = item["id"]
    routes = []
    for index, raw in enumerate(r.items("properties.routes")):
        if not isinstance(raw, Mapping):
            raise r._fail(f"properties.routes[{index}]", "an object", raw)
        rr = _Reader(raw, r.where)
        routes.append(
            Route(
                start=rr.text("properties.startAddress") or rr.text("startAddress"),
                end=rr.text("properties.endAddress") or rr.text("endAddress"),
                route_type=rr.text("properties.routeType") or rr.text("routeType"),
            )
        )
    dns = r.text("properties.dnsServers")
    return VnetConnection(
        id=rid,
        app_id=parent_id(rid),
        name=_name(rid, r),
        vnet_resource_id=r.text("properties.vnetResourceId"),
        is_swift=r.flag("properties.isSwift"),
        resync_required=r.flag("properties.resyncRequired"),
        cert_thumbprint=r.text("properties.certThumbprint"),
        cert_digest=cert_digest(r.text("properties.certBlob")) or r.text("properties.certBlobSha256"),
        dns_servers=tuple(s.strip() for s in (dns or "").split(",") if s.strip()),
        routes=tuple(routes),
    )


_VAULT_IN_REFERENCE = re.compile(r"VaultName=([^;)\s]+)|https://([^./]+)\.vault\.", re.IGNORECASE)


def _kv_reference(item: Mapping[str, Any], r: _Reader) -> KeyVaultReference:
    rid = item["id"]
    # id: <app>/config/configreferences/appsettings/<setting>: the app is four segments up.
    vault = r.text("properties.vaultName")
    if not vault:
        match = _VAULT_IN_REFERENCE.search(r.text("properties.reference") or "")
        if match:
            vault = match.group(1) or match.group(2)
    return KeyVaultReference(
        id=rid,
        app_id=parent_id(rid, 4),
        setting=r.text("name") or rid.rsplit("/", 1)[-1],
        vault_name=vault,
        secret_name=r.text("properties.secretName"),
        status=r.text("properties.status"),
        # identityType is a string in some API versions and an object in others: keep the string form only.
        identity_type=ident if isinstance(ident := r._get("properties.identityType"), str) else None,
    )


_RULE_PATHS = (
    ("properties.networkAcls.virtualNetworkRules", ("id", "virtualNetworkResourceId")),
    ("properties.virtualNetworkRules", ("id", "virtualNetworkSubnetId", "properties.virtualNetworkSubnetId")),
    ("properties.networkRuleSet.virtualNetworkRules", ("id", "subnet.id")),
)


def _add_vnet_rules(tenant: Tenant, item: Mapping[str, Any], r: _Reader) -> None:
    restricted = _restricted(r)
    rtype = (r.text("type") or "").lower()
    child_subnet = r.text("properties.virtualNetworkSubnetId")
    if rtype.endswith("/virtualnetworkrules") and child_subnet and "/subnets/" in child_subnet.lower():
        # A database server's VNet rule: the server expects that subnet's traffic through a service
        # endpoint; without one, the app's traffic would need a firewall rule for its public address.
        rule = VnetRule(
            resource_id=parent_id(item["id"]),
            resource_type=rtype.rsplit("/", 1)[0],
            subnet_id=child_subnet,
            field=f"virtualNetworkRules/{item['id'].rsplit('/', 1)[-1]}.properties.virtualNetworkSubnetId",
            restricted=True,
        )
        tenant.vnet_rules_by_vnet[norm_id(vnet_of_subnet(child_subnet))].append(rule)
        tenant.vnet_rules_by_subnet[norm_id(child_subnet)].append(rule)
        return
    for path, keys in _RULE_PATHS:
        for index, raw in enumerate(r.items(path)):
            if not isinstance(raw, Mapping):
                raise r._fail(f"{path}[{index}]", "an object", raw)
            rr = _Reader(raw, r.where)
            subnet_id = next((v for k in keys if (v := rr.text(k)) and "/subnets/" in v.lower()), None)
            if not subnet_id:
                continue
            rule = VnetRule(
                resource_id=item["id"],
                resource_type=rtype,
                subnet_id=subnet_id,
                field=f"{path}[{index}]",
                restricted=restricted,
            )
            tenant.vnet_rules_by_vnet[norm_id(vnet_of_subnet(subnet_id))].append(rule)
            tenant.vnet_rules_by_subnet[norm_id(subnet_id)].append(rule)


def _restricted(r: _Reader) -> bool | None:
    """Whether the resource admits only listed networks. Cosmos DB says so with a flag of its own."""
    if (r.text("properties.publicNetworkAccess") or "").lower() == "disabled":
        return True
    default_action = r.text("properties.networkAcls.defaultAction") or r.text(
        "properties.networkRuleSet.defaultAction"
    )
    if default_action:
        return default_action.lower() == "deny"
    cosmos = r.flag("properties.isVirtualNetworkFilterEnabled")
    if cosmos is not None:
        return cosmos
    return None


def _read_coverage(tenant: Tenant) -> None:
    """Which apps the ARM calls covered: from the manifest, or assumed (and said) without one."""
    manifest = tenant.raw.manifest
    where = tenant.raw.manifest_path or "manifest.json"
    if manifest is not None:
        arm = manifest.get("arm") or {}
        if not isinstance(arm, Mapping):
            raise InputError(where, "expected an object", field="arm")
        for call in ARM_CALLS:
            section = arm.get(call)
            if section is None:
                continue
            if not isinstance(section, Mapping):
                raise InputError(where, "expected an object", field=f"arm.{call}")
            fetched = section.get("fetched") or []
            failed = section.get("failed") or []
            if not isinstance(fetched, list) or not all(isinstance(x, str) for x in fetched):
                raise InputError(where, "expected a list of ids", field=f"arm.{call}.fetched")
            if not isinstance(failed, list):
                raise InputError(where, "expected a list", field=f"arm.{call}.failed")
            tenant.fetched[call] = {norm_id(x) for x in fetched}
            reasons: dict[str, str] = {}
            for index, entry in enumerate(failed):
                if isinstance(entry, str):
                    reasons[norm_id(entry)] = "failed"
                elif isinstance(entry, Mapping) and isinstance(entry.get("id"), str):
                    status = entry.get("status")
                    reason = str(entry.get("reason") or "failed")
                    prefix = f"{status} " if status and not reason.startswith(str(status)) else ""
                    reasons[norm_id(entry["id"])] = prefix + reason
                else:
                    raise InputError(where, "expected {id, reason}", field=f"arm.{call}.failed[{index}]")
            tenant.failed[call] = reasons
        _manifest_gaps(tenant, manifest, where)
        if manifest.get("partial") is True:
            tenant.warnings.append(
                "the scan that wrote this inventory was partial (manifest.json): what it could not read is "
                "reported as unknown; `vnet-planner scan --resume` completes it"
            )
        subs = manifest.get("subscriptions") or []
        if isinstance(subs, list):
            for entry in subs:
                if isinstance(entry, Mapping) and str(entry.get("status", "ok")).lower() not in (
                    "ok",
                    "partial",
                ):
                    tenant.failed_subscriptions.append(
                        {
                            "id": str(entry.get("id")),
                            "name": str(entry.get("name") or ""),
                            "reason": str(entry.get("reason") or entry.get("status")),
                        }
                    )
    # Without a manifest entry for a call, infer coverage from the data and say so.
    present = {
        "virtualNetworkConnections": bool(tenant.raw.by_type.get(inv.VNET_CONNECTION)),
        "keyVaultReferences": bool(tenant.raw.by_type.get(inv.KV_REFERENCE)),
        "networkConfig": bool(tenant.raw.by_type.get(inv.NETWORK_CONFIG)),
    }
    for call in ARM_CALLS:
        if call in tenant.fetched:
            continue
        if present[call]:
            tenant.fetched[call] = set(tenant.apps)
            tenant.warnings.append(
                f"no manifest entry for the {call} calls: assuming they were made for every app and slot "
                f"({len(tenant.apps)}); an app whose {call} list was not read would be misjudged"
            )
        elif call == "virtualNetworkConnections":
            tenant.warnings.append(
                "the inventory holds no virtualNetworkConnections: which apps use gateway-required "
                "integration cannot be told (see docs/inventory.md to add them)"
            )


_RESUME = "run `vnet-planner scan --resume` into the same folder"


def _manifest_gaps(tenant: Tenant, manifest: Mapping[str, Any], where: str) -> None:
    """Data sets the scan says it could not read whole (`queries.<name>.status`), and an unfinished scan.

    `scan` writes the manifest with `finished_at: null` while it runs: such a manifest means the scan
    stopped, and any data set may be missing or short.
    """
    queries = manifest.get("queries")
    if queries is not None and not isinstance(queries, Mapping):
        raise InputError(where, "expected an object", field="queries")
    for name, stats in (queries or {}).items():
        if not isinstance(stats, Mapping):
            raise InputError(where, "expected an object", field=f"queries.{name}")
        status = str(stats.get("status") or "ok").lower()
        error = stats.get("error")
        if status == "ok" and not error:
            continue
        reason = f"the scan's {name} query is {status if status != 'ok' else 'failed'}"
        if error:
            reason += f": {error}"
        types = inv.DATASET_TYPES.get(str(name).lower(), frozenset())
        tenant.gaps.append(inv.Gap((f"{where} (queries.{name})",), types, reason, _RESUME))
    if "finished_at" in manifest and manifest.get("finished_at") is None and manifest.get("partial") is True:
        tenant.gaps.append(
            inv.Gap(
                (where,),
                frozenset(),
                "the scan that wrote this inventory did not finish (partial, no finished_at)",
                _RESUME,
            )
        )
