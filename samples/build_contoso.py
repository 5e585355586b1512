#!/usr/bin/env python3
"""Build the Contoso sample inventory (samples/contoso/) as `vnet-planner scan` would write it.

Contoso has four subscriptions (a shared-network hub, prod, nonprod, legacy finance), hub-and-spoke
VNets in West and North Europe, six VPN gateways, one ExpressRoute gateway and 28 apps and slots. Each
gateway-required app is built so that the codes in `SCENARIOS` fire, each for one clear reason where
possible; samples/README.md explains every app. The script uses the standard library only and is
deterministic: running it twice writes the same bytes.

    python samples/build_contoso.py            # writes samples/contoso/*
    python samples/build_contoso.py --readme   # also refreshes the tables in samples/README.md

Nothing here is real: subscription ids are made-up GUIDs, public addresses come from the
documentation ranges (RFC 5737), and every certificate is base64 text that says it is fake.
No secret value appears anywhere; Key Vault references carry names and status only.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import json
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "contoso"
README = HERE / "README.md"
QUERIES = HERE.parent / "queries"

TENANT_ID = "c0e1d2f3-a4b5-4c6d-8e7f-901a2b3c4d5e"
SCAN_STARTED = "2026-11-29T08:12:04Z"
SCAN_FINISHED = "2026-11-29T08:16:51Z"
TOOL_VERSION = "0.1.0"
# Fixed namespace so the "<guid>_<subnet>" names of regional entries never change between runs.
SAMPLE_NAMESPACE = uuid.UUID("6d1c3c4e-0b8a-4f7e-9c2d-5a1b0e9f8c7d")

Json = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Subscriptions and ids
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sub:
    id: str
    name: str
    quota: str = "EnterpriseAgreement_2014-09-01"


HUB = Sub("5f2d9c1a-7e4b-4a8c-9d3e-1b6f0a2c8e47", "contoso-shared-network")
PROD = Sub("a3b8e6d1-2c4f-4e9a-b7d5-0f1e2d3c4b5a", "contoso-prod")
NONPROD = Sub("7c1e4a9b-3d2f-4b6e-8a5c-9e0d1f2a3b4c", "contoso-nonprod", "MSDNDevTest_2014-09-01")
FINANCE = Sub("e9d4c2b7-6a1f-4d3e-a8b9-2c5f7e1d0a63", "contoso-legacy-finance")
SUBSCRIPTIONS = (HUB, PROD, NONPROD, FINANCE)

REGION_NAMES = {"westeurope": "West Europe", "northeurope": "North Europe"}


def rid(sub: Sub, rg: str, provider_type: str, name: str) -> str:
    """An ARM id in Azure's casing: /subscriptions/../resourceGroups/../providers/<type>/<name>."""
    return f"/subscriptions/{sub.id}/resourceGroups/{rg}/providers/{provider_type}/{name}"


def segment(resource_id: str, key: str) -> str:
    """The id segment after `key` (case-insensitive), e.g. the resource group."""
    parts = resource_id.split("/")
    lowered = [p.lower() for p in parts]
    return parts[lowered.index(key.lower()) + 1]


def arg_row(
    resource_id: str,
    type_: str,
    location: str,
    properties: Json,
    *,
    name: str | None = None,
    kind: str = "",
    sku: Json | None = None,
    tags: dict[str, str] | None = None,
) -> Json:
    """A Resource Graph row as the queries in queries/*.kql project it.

    Resource Graph returns `type` and `resourceGroup` in lower case; `id` keeps Azure's casing.
    """
    return {
        "id": resource_id,
        "name": name or resource_id.rsplit("/", 1)[-1],
        "type": type_,
        "location": location,
        "kind": kind,
        "subscriptionId": segment(resource_id, "subscriptions"),
        "resourceGroup": segment(resource_id, "resourceGroups").lower(),
        "sku": sku,
        "properties": properties,
        "tags": tags or {},
    }


def ref(resource_id: str) -> Json:
    return {"id": resource_id}


def address_range(cidr: str) -> tuple[str, str]:
    net = ipaddress.ip_network(cidr)
    return str(net.network_address), str(net.broadcast_address)


# --------------------------------------------------------------------------------------------
# Fake certificates: gateway-required integration puts the app's certBlob on the gateway as a
# point-to-site root certificate; the planner compares them. These are base64 of plain text.
# --------------------------------------------------------------------------------------------


def fake_cert(label: str) -> tuple[str, str]:
    """(certBlob, certThumbprint) for a made-up certificate; the blob decodes to a 'FAKE' notice."""
    text = f"FAKE CERTIFICATE - Contoso sample data for vnet-planner, not a real certificate - {label}"
    blob = base64.b64encode(text.encode("ascii")).decode("ascii")
    thumbprint = hashlib.sha1(text.encode("ascii")).hexdigest().upper()  # a label for fake data, not security
    return blob, thumbprint


# --------------------------------------------------------------------------------------------
# Network: VNets, subnets, peerings
# --------------------------------------------------------------------------------------------


@dataclass
class SubnetSpec:
    name: str
    prefix: str
    nsg: str | None = None  # NSG name, created in the VNet's resource group
    route_table: str | None = None
    service_endpoints: tuple[str, ...] = ()
    delegated_to: str | None = None  # service name, e.g. Microsoft.Web/serverFarms
    linked_plan: str | None = None  # App Service plan id holding the AppServiceLink (regional)
    ip_configurations: tuple[str, ...] = ()  # ids of ip configurations in the subnet (gateways, NICs)
    private_endpoints: tuple[str, ...] = ()


@dataclass
class VNet:
    sub: Sub
    rg: str
    name: str
    location: str
    address_space: tuple[str, ...]
    subnets: list[SubnetSpec]
    dns_servers: tuple[str, ...] = ()
    peerings: list[Json] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return rid(self.sub, self.rg, "Microsoft.Network/virtualNetworks", self.name)

    def subnet_id(self, name: str) -> str:
        assert any(s.name == name for s in self.subnets), name
        return f"{self.id}/subnets/{name}"

    def net_id(self, kind: str, name: str) -> str:
        return rid(self.sub, self.rg, f"Microsoft.Network/{kind}", name)


def peer(
    local: VNet,
    remote: VNet,
    *,
    transit: bool = False,
    use_remote: bool = False,
    remote_id: str | None = None,
) -> None:
    """Add one side of a peering to `local` (Azure keeps one peering resource per side)."""
    name = f"peer-{local.name.removeprefix('vnet-')}-to-{remote.name.removeprefix('vnet-')}"
    local.peerings.append(
        {
            "name": name,
            "id": f"{local.id}/virtualNetworkPeerings/{name}",
            "type": "Microsoft.Network/virtualNetworks/virtualNetworkPeerings",
            "properties": {
                "provisioningState": "Succeeded",
                "peeringState": "Connected",
                "peeringSyncLevel": "FullyInSync",
                "remoteVirtualNetwork": ref(remote_id or remote.id),
                "allowVirtualNetworkAccess": True,
                "allowForwardedTraffic": True,
                "allowGatewayTransit": transit,
                "useRemoteGateways": use_remote,
                "doNotVerifyRemoteGateways": False,
                "remoteAddressSpace": {"addressPrefixes": list(remote.address_space)},
                "remoteVirtualNetworkAddressSpace": {"addressPrefixes": list(remote.address_space)},
            },
        }
    )


def subnet_json(vnet: VNet, spec: SubnetSpec) -> Json:
    props: Json = {
        "provisioningState": "Succeeded",
        "addressPrefix": spec.prefix,
        "privateEndpointNetworkPolicies": "Disabled",
        "privateLinkServiceNetworkPolicies": "Enabled",
    }
    if spec.nsg:
        props["networkSecurityGroup"] = ref(vnet.net_id("networkSecurityGroups", spec.nsg))
    if spec.route_table:
        props["routeTable"] = ref(vnet.net_id("routeTables", spec.route_table))
    if spec.service_endpoints:
        props["serviceEndpoints"] = [
            {"provisioningState": "Succeeded", "service": s, "locations": [vnet.location]}
            for s in spec.service_endpoints
        ]
    if spec.delegated_to:
        props["delegations"] = [
            {
                "name": "delegation",
                "id": f"{vnet.subnet_id(spec.name)}/delegations/delegation",
                "type": "Microsoft.Network/virtualNetworks/subnets/delegations",
                "properties": {
                    "provisioningState": "Succeeded",
                    "serviceName": spec.delegated_to,
                    "actions": ["Microsoft.Network/virtualNetworks/subnets/action"],
                },
            }
        ]
    if spec.linked_plan:
        props["serviceAssociationLinks"] = [
            {
                "name": "AppServiceLink",
                "id": f"{vnet.subnet_id(spec.name)}/serviceAssociationLinks/AppServiceLink",
                "type": "Microsoft.Network/virtualNetworks/subnets/serviceAssociationLinks",
                "properties": {
                    "provisioningState": "Succeeded",
                    "linkedResourceType": "Microsoft.Web/serverfarms",
                    "link": spec.linked_plan,
                    "enabledForArmDeployments": False,
                    "allowDelete": False,
                },
            }
        ]
    if spec.ip_configurations:
        props["ipConfigurations"] = [ref(i) for i in spec.ip_configurations]
    if spec.private_endpoints:
        props["privateEndpoints"] = [ref(p) for p in spec.private_endpoints]
    return {
        "name": spec.name,
        "id": vnet.subnet_id(spec.name),
        "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": props,
    }


def vnet_row(vnet: VNet) -> Json:
    props: Json = {
        "provisioningState": "Succeeded",
        "resourceGuid": str(uuid.uuid5(SAMPLE_NAMESPACE, vnet.id)),
        "addressSpace": {"addressPrefixes": list(vnet.address_space)},
        "dhcpOptions": {"dnsServers": list(vnet.dns_servers)},
        "subnets": [subnet_json(vnet, s) for s in vnet.subnets],
        "virtualNetworkPeerings": vnet.peerings,
        "enableDdosProtection": False,
    }
    return arg_row(vnet.id, "microsoft.network/virtualnetworks", vnet.location, props, tags=vnet.tags)


# --------------------------------------------------------------------------------------------
# Gateways and their connections
# --------------------------------------------------------------------------------------------


@dataclass
class GatewaySpec:
    vnet: VNet
    name: str
    gateway_type: str  # Vpn | ExpressRoute
    sku: str
    generation: str = "Generation1"
    p2s_pool: str | None = None
    p2s_protocols: tuple[str, ...] = ("SSTP",)
    p2s_auth: tuple[str, ...] = ("Certificate",)
    extra_root_certs: tuple[str, ...] = ()  # root certificates of people, not of App Service
    enable_bgp: bool = False
    ip_config_name: str = "default"
    expect: str = ""  # expected decommission verdict, for samples/README.md
    story: str = ""

    @property
    def id(self) -> str:
        return self.vnet.net_id("virtualNetworkGateways", self.name)

    @property
    def ip_config_id(self) -> str:
        return f"{self.id}/ipConfigurations/{self.ip_config_name}"


def gateway_row(gw: GatewaySpec, app_certs: list[tuple[str, str]]) -> Json:
    """A gateway row; `app_certs` are (name, certBlob) of App Service connections to its VNet."""
    tier = gw.sku
    props: Json = {
        "provisioningState": "Succeeded",
        "resourceGuid": str(uuid.uuid5(SAMPLE_NAMESPACE, gw.id)),
        "gatewayType": gw.gateway_type,
        "vpnType": "RouteBased",
        "vpnGatewayGeneration": gw.generation if gw.gateway_type == "Vpn" else "None",
        "sku": {"name": gw.sku, "tier": tier, "capacity": 2},
        "activeActive": False,
        "enableBgp": gw.enable_bgp,
        "enablePrivateIpAddress": False,
        "disableIPSecReplayProtection": False,
        "natRules": [],
        "ipConfigurations": [
            {
                "name": gw.ip_config_name,
                "id": gw.ip_config_id,
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateIPAllocationMethod": "Dynamic",
                    "subnet": ref(gw.vnet.subnet_id("GatewaySubnet")),
                    "publicIPAddress": ref(gw.vnet.net_id("publicIPAddresses", f"pip-{gw.name}")),
                },
            }
        ],
    }
    if gw.enable_bgp:
        props["bgpSettings"] = {"asn": 65515, "bgpPeeringAddress": "", "peerWeight": 0}
    if gw.p2s_pool:
        roots = [
            {
                "name": name,
                "id": f"{gw.id}/vpnClientRootCertificates/{name}",
                "properties": {"provisioningState": "Succeeded", "publicCertData": blob},
            }
            for name, blob in app_certs + [(n, fake_cert(f"root CA {n}")[0]) for n in gw.extra_root_certs]
        ]
        props["vpnClientConfiguration"] = {
            "vpnClientAddressPool": {"addressPrefixes": [gw.p2s_pool]},
            "vpnClientProtocols": list(gw.p2s_protocols),
            "vpnAuthenticationTypes": list(gw.p2s_auth),
            "vpnClientRootCertificates": roots,
            "vpnClientRevokedCertificates": [],
            "vpnClientIpsecPolicies": [],
            "radiusServers": [],
        }
    return arg_row(gw.id, "microsoft.network/virtualnetworkgateways", gw.vnet.location, props)


def connection_row(
    sub: Sub,
    rg: str,
    name: str,
    location: str,
    connection_type: str,
    gw1: str,
    *,
    gw2: str | None = None,
    local_gateway: str | None = None,
    circuit: str | None = None,
) -> Json:
    """A connection; never a shared key (Resource Graph does not return it, nor do we)."""
    props: Json = {
        "provisioningState": "Succeeded",
        "resourceGuid": str(uuid.uuid5(SAMPLE_NAMESPACE, name)),
        "connectionType": connection_type,
        "virtualNetworkGateway1": ref(gw1),
        "connectionStatus": "Connected",
        "routingWeight": 0,
        "enableBgp": connection_type == "ExpressRoute",
        "usePolicyBasedTrafficSelectors": False,
        "ipsecPolicies": [],
        "ingressBytesTransferred": 0,
        "egressBytesTransferred": 0,
    }
    if connection_type in ("IPsec", "Vnet2Vnet"):
        props["connectionProtocol"] = "IKEv2"
        props["dpdTimeoutSeconds"] = 45
    if gw2:
        props["virtualNetworkGateway2"] = ref(gw2)
    if local_gateway:
        props["localNetworkGateway2"] = ref(local_gateway)
    if circuit:
        props["peer"] = ref(circuit)
    resource_id = rid(sub, rg, "Microsoft.Network/connections", name)
    return arg_row(resource_id, "microsoft.network/connections", location, props)


def local_gateway_row(
    sub: Sub, rg: str, name: str, location: str, prefixes: list[str], public_ip: str
) -> Json:
    props = {
        "provisioningState": "Succeeded",
        "localNetworkAddressSpace": {"addressPrefixes": prefixes},
        "gatewayIpAddress": public_ip,
    }
    return arg_row(
        rid(sub, rg, "Microsoft.Network/localNetworkGateways", name),
        "microsoft.network/localnetworkgateways",
        location,
        props,
    )


# --------------------------------------------------------------------------------------------
# App Service: plans, apps, slots, autoscale
# --------------------------------------------------------------------------------------------

# sku name -> (tier, family, maximumNumberOfWorkers)
SKUS = {
    "B1": ("Basic", "B", 3),
    "S1": ("Standard", "S", 10),
    "S2": ("Standard", "S", 10),
    "P2v2": ("PremiumV2", "Pv2", 30),
    "P1v3": ("PremiumV3", "Pv3", 30),
    "EP1": ("ElasticPremium", "EP", 20),
    "Y1": ("Dynamic", "Y", 0),
}
# Tiers whose apps and slots `scan` reads virtualNetworkConnections and Key Vault references for
# (gateway-required exists on dedicated plans only), and those it reads networkConfig for.
ARM_SCANNED_TIERS = {"Basic", "Standard", "Premium", "PremiumV2", "PremiumV3"}
NETWORK_CONFIG_TIERS = {"Basic", "Standard"}


@dataclass
class Plan:
    sub: Sub
    rg: str
    name: str
    location: str
    sku: str
    capacity: int
    os: str = "windows"  # windows | linux | windows-container
    outbound_ips: tuple[str, ...] = ()  # of the scale unit, shown on every app of the plan
    swift_supported: bool = True  # networkConfig/virtualNetwork.swiftSupported (old scale units: False)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return rid(self.sub, self.rg, "Microsoft.Web/serverfarms", self.name)

    @property
    def tier(self) -> str:
        return SKUS[self.sku][0]

    @property
    def kind(self) -> str:
        if self.tier == "ElasticPremium":
            return "elastic"
        if self.tier == "Dynamic":
            return "functionapp"
        return {"windows": "app", "linux": "linux", "windows-container": "windows"}[self.os]


def plan_row(plan: Plan, number_of_sites: int) -> Json:
    tier, family, max_workers = SKUS[plan.sku]
    props = {
        "provisioningState": "Succeeded",
        "status": "Ready",
        "geoRegion": REGION_NAMES[plan.location],
        "numberOfSites": number_of_sites,
        "numberOfWorkers": plan.capacity,
        "maximumNumberOfWorkers": max_workers,
        "maximumElasticWorkerCount": 20 if tier == "ElasticPremium" else 1,
        "elasticScaleEnabled": tier == "ElasticPremium",
        "perSiteScaling": False,
        "isSpot": False,
        "zoneRedundant": False,
        "reserved": plan.os == "linux",
        "isXenon": plan.os == "windows-container",
        "hyperV": plan.os == "windows-container",
    }
    sku = {"name": plan.sku, "tier": tier, "size": plan.sku, "family": family, "capacity": plan.capacity}
    return arg_row(
        plan.id, "microsoft.web/serverfarms", plan.location, props, kind=plan.kind, sku=sku, tags=plan.tags
    )


@dataclass(frozen=True)
class KvRef:
    setting: str
    vault: str  # vaultName as ARM reports it (casing as typed by whoever wrote the reference)
    secret: str
    status: str = "Resolved"
    # True: @Microsoft.KeyVault(SecretUri=...); False: @Microsoft.KeyVault(VaultName=...;SecretName=...)
    secret_uri_form: bool = False
    version: str | None = None


@dataclass
class AppSpec:
    """One app or slot, what it demonstrates, and what the planner must say about it."""

    name: str  # "site" or "site/slot"
    plan: Plan
    kind: str
    demonstrates: str
    integration: str  # expected: gateway-required | regional | none | unknown
    codes: tuple[str, ...] = ()  # expected limitations + blockers + findings, catalogue order
    readiness: str | None = None  # expected readiness of a gateway-required app
    why: str = ""
    gateway_vnet: str | None = None  # VNet (or classic VNet) id of the gateway-required entry
    vnet_id_as_written: str | None = None  # vnetResourceId with odd casing, if the data has one
    dns_servers: str | None = None
    routes: tuple[tuple[str, str], ...] = ()  # (cidr, routeType)
    resync_required: bool = False
    regional_subnet: str | None = None
    swift_entry: bool = False  # regional: also list the isSwift entry in virtualNetworkConnections
    kv_refs: tuple[KvRef, ...] = ()
    arm_failure: str | None = None  # virtualNetworkConnections call failed with this reason (HTTP 429)
    server_farm_id_as_written: str | None = None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def site(self) -> str:
        return self.name.split("/")[0]

    @property
    def slot(self) -> str | None:
        return self.name.split("/")[1] if "/" in self.name else None

    @property
    def site_id(self) -> str:
        return rid(self.plan.sub, self.plan.rg, "Microsoft.Web/sites", self.site)

    @property
    def id(self) -> str:
        return f"{self.site_id}/slots/{self.slot}" if self.slot else self.site_id

    @property
    def arm_type(self) -> str:
        return "Microsoft.Web/sites/slots" if self.slot else "Microsoft.Web/sites"

    @property
    def region(self) -> str:
        return self.plan.location

    @property
    def host(self) -> str:
        return f"{self.site}-{self.slot}" if self.slot else self.site


def site_row(app: AppSpec) -> Json:
    ips = ",".join(app.plan.outbound_ips)
    props: Json = {
        "state": "Running",
        "enabled": True,
        "availabilityState": "Normal",
        "defaultHostName": f"{app.host}.azurewebsites.net",
        "hostNames": [f"{app.host}.azurewebsites.net"],
        "serverFarmId": app.server_farm_id_as_written or app.plan.id,
        "sku": app.plan.tier,
        "reserved": app.plan.os == "linux",
        "isXenon": app.plan.os == "windows-container",
        "hyperV": app.plan.os == "windows-container",
        "httpsOnly": True,
        "clientAffinityEnabled": False,
        "publicNetworkAccess": "Enabled",
        "keyVaultReferenceIdentity": "SystemAssigned",
        "virtualNetworkSubnetId": app.regional_subnet,
        "vnetRouteAllEnabled": app.regional_subnet is not None,
        "outboundIpAddresses": ips,
        "possibleOutboundIpAddresses": ips,
        "containerSize": 1536 if "functionapp" in app.kind else 0,
    }
    if app.regional_subnet:
        props["outboundVnetRouting"] = {
            "allTraffic": False,
            "applicationTraffic": True,
            "contentShareTraffic": False,
            "imagePullTraffic": False,
            "backupRestoreTraffic": False,
        }
    return arg_row(
        app.id, app.arm_type.lower(), app.region, props, name=app.name, kind=app.kind, tags=app.tags
    )


def autoscale_row(
    plan: Plan,
    name: str,
    profiles: list[tuple[str, int, int, int]],
    *,
    enabled: bool = True,
    target_as_written: str | None = None,
) -> Json:
    """An autoscale setting. ARM writes capacities as strings ("3"), so this does too."""
    target = target_as_written or plan.id
    scale_rules = [
        {
            "metricTrigger": {
                "metricName": "CpuPercentage",
                "metricResourceUri": target,
                "timeGrain": "PT1M",
                "statistic": "Average",
                "timeWindow": "PT10M",
                "timeAggregation": "Average",
                "operator": operator,
                "threshold": threshold,
            },
            "scaleAction": {"direction": direction, "type": "ChangeCount", "value": "1", "cooldown": "PT5M"},
        }
        for operator, threshold, direction in (("GreaterThan", 70, "Increase"), ("LessThan", 30, "Decrease"))
    ]
    profile_json = []
    for profile_name, minimum, maximum, default in profiles:
        profile: Json = {
            "name": profile_name,
            "capacity": {"minimum": str(minimum), "maximum": str(maximum), "default": str(default)},
            "rules": scale_rules,
        }
        if profile_name != "default":
            profile["fixedDate"] = {
                "timeZone": "W. Europe Standard Time",
                "start": "2026-11-23T00:00:00",
                "end": "2026-12-31T23:59:00",
            }
        profile_json.append(profile)
    props = {
        "name": name,
        "enabled": enabled,
        "targetResourceUri": target,
        "targetResourceLocation": REGION_NAMES[plan.location],
        "profiles": profile_json,
        "notifications": [],
        "predictiveAutoscalePolicy": {"scaleMode": "Disabled"},
    }
    # Azure itself writes the provider of autoscale settings in lower case in their ids.
    return arg_row(
        rid(plan.sub, plan.rg, "microsoft.insights/autoscalesettings", name),
        "microsoft.insights/autoscalesettings",
        plan.location,
        props,
        tags=plan.tags,
    )


# --------------------------------------------------------------------------------------------
# ARM per-app records: virtualNetworkConnections, Key Vault references, networkConfig
# --------------------------------------------------------------------------------------------


def cert_of(app: AppSpec, vnet_name: str) -> tuple[str, str]:
    """Apps of one plan connected to one VNet share the plan's point-to-site certificate."""
    return fake_cert(f"App Service plan {app.plan.name} to {vnet_name}")


def gateway_required_entry(app: AppSpec) -> Json:
    assert app.gateway_vnet
    vnet_name = app.gateway_vnet.rsplit("/", 1)[-1]
    blob, thumbprint = cert_of(app, vnet_name)
    routes = []
    for cidr, route_type in app.routes:
        start, end = address_range(cidr)
        routes.append(
            {
                "name": cidr.replace("/", "_"),
                "properties": {"startAddress": start, "endAddress": end, "routeType": route_type},
            }
        )
    return {
        "id": f"{app.id}/virtualNetworkConnections/{vnet_name}",
        "name": vnet_name,
        "type": f"{app.arm_type}/virtualNetworkConnections",
        "properties": {
            "vnetResourceId": app.vnet_id_as_written or app.gateway_vnet,
            "certThumbprint": thumbprint,
            "certBlob": blob,
            "routes": routes,
            "resyncRequired": app.resync_required,
            "dnsServers": app.dns_servers,
            "isSwift": False,
        },
    }


def regional_entry(app: AppSpec) -> Json:
    assert app.regional_subnet
    subnet_name = app.regional_subnet.rsplit("/", 1)[-1]
    name = f"{uuid.uuid5(SAMPLE_NAMESPACE, app.id)}_{subnet_name}"
    return {
        "id": f"{app.id}/virtualNetworkConnections/{name}",
        "name": name,
        "type": f"{app.arm_type}/virtualNetworkConnections",
        "properties": {
            "vnetResourceId": app.regional_subnet,
            "certThumbprint": None,
            "certBlob": None,
            "routes": None,
            "resyncRequired": False,
            "dnsServers": None,
            "isSwift": True,
        },
    }


def kv_reference_item(app: AppSpec, kv: KvRef) -> Json:
    """One item of GET .../config/configreferences/appsettings: no `type`, and never a value."""
    if kv.secret_uri_form:
        uri = f"https://{kv.vault.lower()}.vault.azure.net/secrets/{kv.secret}/{kv.version or ''}"
        reference = f"@Microsoft.KeyVault(SecretUri={uri})"
    else:
        reference = f"@Microsoft.KeyVault(VaultName={kv.vault};SecretName={kv.secret})"
    details = {
        "Resolved": "Reference has been successfully resolved.",
        "AccessToKeyVaultDenied": "Key Vault reference was not able to be resolved because site was denied "
        "access to Key Vault reference's vault.",
    }[kv.status]
    props: Json = {
        "reference": reference,
        "status": kv.status,
        "vaultName": kv.vault,
        "secretName": kv.secret,
        "identityType": {"type": "SystemAssigned"},
        "details": details,
        "source": "KeyVault",
    }
    if kv.version:
        props["secretVersion"] = kv.version
    return {"id": f"{app.id}/config/configreferences/appsettings/{kv.setting}", "properties": props}


def network_config_item(app: AppSpec) -> Json:
    return {
        "id": f"{app.id}/networkConfig/virtualNetwork",
        "name": "virtualNetwork",
        "type": f"{app.arm_type}/networkConfig",
        "properties": {"subnetResourceId": app.regional_subnet, "swiftSupported": app.plan.swift_supported},
    }


def vault_row(
    sub: Sub,
    rg: str,
    name: str,
    location: str,
    *,
    public_access: str,
    default_action: str,
    ip_rules: tuple[str, ...] = (),
    private_endpoint: bool = False,
    tags: dict[str, str] | None = None,
) -> Json:
    resource_id = rid(sub, rg, "Microsoft.KeyVault/vaults", name)
    props: Json = {
        "tenantId": TENANT_ID,
        "sku": {"family": "A", "name": "standard"},
        "vaultUri": f"https://{name}.vault.azure.net/",
        "enableRbacAuthorization": True,
        "enableSoftDelete": True,
        "softDeleteRetentionInDays": 90,
        "enablePurgeProtection": True,
        "provisioningState": "Succeeded",
        "publicNetworkAccess": public_access,
        "networkAcls": {
            "bypass": "AzureServices",
            "defaultAction": default_action,
            "ipRules": [{"value": ip} for ip in ip_rules],
            "virtualNetworkRules": [],
        },
        "privateEndpointConnections": [],
    }
    if private_endpoint:
        pe = rid(sub, rg, "Microsoft.Network/privateEndpoints", f"pe-{name}")
        props["privateEndpointConnections"] = [
            {
                "id": f"{resource_id}/privateEndpointConnections/pe-{name}",
                "properties": {
                    "provisioningState": "Succeeded",
                    "privateEndpoint": ref(pe),
                    "privateLinkServiceConnectionState": {"status": "Approved", "actionsRequired": "None"},
                },
            }
        ]
    return arg_row(resource_id, "microsoft.keyvault/vaults", location, props, tags=tags)


# ============================================================================================
# The tenant
# ============================================================================================

TAGS_PLATFORM = {"env": "shared", "owner": "network-team@contoso.com", "costCenter": "CC-1000"}

# --- Shared-network hub (West Europe): ExpressRoute + VPN coexistence, gateway transit, DNS ---
HUB_WEU = VNet(
    HUB,
    "rg-net-hub-weu",
    "vnet-hub-weu",
    "westeurope",
    ("10.0.0.0/16",),
    [],
    ("10.0.2.4", "10.0.2.5"),
    tags=TAGS_PLATFORM,
)
# --- Hub (North Europe): VNet-to-VNet with the West Europe hub, ops VPN users ---
HUB_NEU = VNet(
    HUB, "rg-net-hub-neu", "vnet-hub-neu", "northeurope", ("10.10.0.0/16",), [], tags=TAGS_PLATFORM
)
# --- Spokes ---
PROD_WEU = VNet(
    PROD,
    "rg-net-prod-weu",
    "vnet-prod-weu",
    "westeurope",
    ("10.1.0.0/16",),
    [],
    ("10.0.2.4", "10.0.2.5"),
    tags={"env": "prod", "owner": "network-team@contoso.com", "costCenter": "CC-1000"},
)
DATA_WEU = VNet(
    PROD,
    "rg-net-data-weu",
    "vnet-data-weu",
    "westeurope",
    ("10.3.0.0/16",),
    [],
    ("10.0.2.4", "10.0.2.5"),
    tags={"env": "prod", "owner": "data-team@contoso.com", "costCenter": "CC-2300"},
)
DR_NEU = VNet(
    PROD,
    "rg-net-dr-neu",
    "vnet-dr-neu",
    "northeurope",
    ("10.11.0.0/16",),
    [],
    tags={"env": "prod", "owner": "network-team@contoso.com", "costCenter": "CC-1000"},
)
NONPROD_WEU = VNet(
    NONPROD,
    "rg-net-nonprod-weu",
    "vnet-nonprod-weu",
    "westeurope",
    ("10.2.0.0/16",),
    [],
    ("10.0.2.4", "10.0.2.5"),
    tags={"env": "nonprod", "owner": "network-team@contoso.com", "costCenter": "CC-1000"},
)
# --- Legacy finance: a /24 already carved up completely, S2S to the Frankfurt data centre ---
FINANCE_WEU = VNet(
    FINANCE,
    "RG-Finance-Network",
    "vnet-finance-weu",
    "westeurope",
    ("10.50.0.0/24",),
    [],
    ("10.50.0.68", "192.168.40.10"),
    tags={"env": "prod", "owner": "finance-it@contoso.com", "costCenter": "CC-7700"},
)
# A classic VNet from the old portal, which put them in "Default-Networking".
CLASSIC_FINANCE_ID = (
    f"/subscriptions/{FINANCE.id}/resourceGroups/Default-Networking/providers/"
    "Microsoft.ClassicNetwork/virtualNetworks/vnet-finance-classic"
)

VNETS = (HUB_WEU, HUB_NEU, PROD_WEU, DATA_WEU, DR_NEU, NONPROD_WEU, FINANCE_WEU)

GATEWAYS = (
    GatewaySpec(
        HUB_WEU,
        "ergw-hub-weu",
        "ExpressRoute",
        "ErGw1AZ",
        ip_config_name="default",
        expect="not a VPN gateway",
        story="ExpressRoute to the Amsterdam data centre; coexists with vgw-hub-weu",
    ),
    GatewaySpec(
        HUB_WEU,
        "vgw-hub-weu",
        "Vpn",
        "VpnGw2",
        "Generation2",
        p2s_pool="172.31.250.0/24",
        enable_bgp=True,
        expect="no: EXPRESSROUTE (coexistence), VNET2VNET, GATEWAY_TRANSIT",
        story="hub VPN gateway beside ExpressRoute; transit for vnet-data-weu; VNet-to-VNet to North Europe",
    ),
    GatewaySpec(
        HUB_NEU,
        "vgw-hub-neu",
        "Vpn",
        "VpnGw1AZ",
        "Generation1",
        p2s_pool="172.31.251.0/24",
        extra_root_certs=("Contoso-OpsVPN-Root-2023",),
        ip_config_name="vnetGatewayConfig",
        expect="no: VNET2VNET, P2S_CLIENTS (root certificate Contoso-OpsVPN-Root-2023 matches no app)",
        story="North Europe hub; the ops team connects laptops with their own root certificate",
    ),
    GatewaySpec(
        PROD_WEU,
        "vgw-prod-weu",
        "Vpn",
        "VpnGw1",
        p2s_pool="172.30.1.0/24",
        expect="yes, once its 7 dependents are migrated (only App Service root certificates, SSTP only)",
        story="deployed in 2019 only for App Service gateway-required integration",
    ),
    GatewaySpec(
        NONPROD_WEU,
        "vgw-nonprod-weu",
        "Vpn",
        "Basic",
        p2s_pool="100.64.10.0/24",
        expect="yes after migration; the planner may say 'verify' because app-sandbox-dev "
        "(same subscription) has an unknown integration",
        story="cheap Basic gateway for test; its pool was taken from the CGNAT range by mistake",
    ),
    GatewaySpec(
        FINANCE_WEU,
        "vgw-finance-weu",
        "Vpn",
        "VpnGw1",
        p2s_pool="172.29.50.0/24",
        expect="no: S2S (IPsec connection to lgw-finance-frankfurt-dc)",
        story="finance VPN: site-to-site to Frankfurt plus App Service point-to-site",
    ),
    GatewaySpec(
        DR_NEU,
        "vgw-dr-neu",
        "Vpn",
        "VpnGw1AZ",
        p2s_pool="172.30.11.0/24",
        ip_config_name="vnetGatewayConfig",
        expect="yes, once app-orders-dr is migrated",
        story="DR spoke gateway, App Service only",
    ),
)
GW = {g.name: g for g in GATEWAYS}

ER_CIRCUIT_ID = rid(
    HUB, "rg-net-hub-weu", "Microsoft.Network/expressRouteCircuits", "erc-contoso-ams-equinix"
)
AZURE_FIREWALL_IPCONFIG = (
    rid(HUB, "rg-net-hub-weu", "Microsoft.Network/azureFirewalls", "afw-hub-weu")
    + "/azureFirewallIpConfigurations/afw-ipconfig"
)
AZURE_FIREWALL_NEU_IPCONFIG = (
    rid(HUB, "rg-net-hub-neu", "Microsoft.Network/azureFirewalls", "afw-hub-neu")
    + "/azureFirewallIpConfigurations/afw-ipconfig"
)


def gateway_ipconfigs(vnet: VNet) -> tuple[str, ...]:
    return tuple(g.ip_config_id for g in GATEWAYS if g.vnet is vnet)


def private_endpoint(vnet: VNet, name: str) -> str:
    return vnet.net_id("privateEndpoints", name)


# Subnets are filled here so the GatewaySubnets can list the gateways defined above.
HUB_WEU.subnets = [
    SubnetSpec("GatewaySubnet", "10.0.0.0/27", ip_configurations=gateway_ipconfigs(HUB_WEU)),
    SubnetSpec("AzureFirewallSubnet", "10.0.0.64/26", ip_configurations=(AZURE_FIREWALL_IPCONFIG,)),
    SubnetSpec("AzureBastionSubnet", "10.0.0.128/26", nsg="nsg-hub-weu-bastion"),
    SubnetSpec(
        "snet-dns-inbound",
        "10.0.2.0/28",
        nsg="nsg-hub-weu-dns",
        delegated_to="Microsoft.Network/dnsResolvers",
    ),
    SubnetSpec(
        "snet-shared-services",
        "10.0.3.0/24",
        nsg="nsg-hub-weu-shared",
        route_table="rt-hub-weu-shared",
        service_endpoints=("Microsoft.Storage", "Microsoft.KeyVault"),
    ),
]
HUB_NEU.subnets = [
    SubnetSpec("GatewaySubnet", "10.10.0.0/27", ip_configurations=gateway_ipconfigs(HUB_NEU)),
    SubnetSpec("AzureFirewallSubnet", "10.10.0.64/26", ip_configurations=(AZURE_FIREWALL_NEU_IPCONFIG,)),
    SubnetSpec("snet-shared-neu", "10.10.3.0/24", nsg="nsg-hub-neu-shared", route_table="rt-hub-neu-shared"),
]

# Plans are referenced by subnets (service association links), so they come before the spokes' subnets.
P_WEB_PROD = Plan(
    PROD,
    "rg-web-prod-weu",
    "asp-web-prod-weu",
    "westeurope",
    "P1v3",
    3,
    outbound_ips=("203.0.113.20", "203.0.113.21", "203.0.113.22"),
    tags={"env": "prod", "owner": "web-team@contoso.com", "costCenter": "CC-4100"},
)
P_API_PROD = Plan(
    PROD,
    "rg-catalog-prod-weu",
    "asp-api-prod-weu",
    "westeurope",
    "P1v3",
    2,
    outbound_ips=("203.0.113.30", "203.0.113.31"),
    tags={"env": "prod", "owner": "catalog-team@contoso.com", "costCenter": "CC-4200"},
)
P_FUNC_PROD = Plan(
    PROD,
    "rg-orders-prod-weu",
    "asp-func-prod-weu",
    "westeurope",
    "S2",
    2,
    outbound_ips=("203.0.113.40", "203.0.113.41"),
    tags={"env": "prod", "owner": "orders-team@contoso.com", "costCenter": "CC-4300"},
)
P_CONTAINERS = Plan(
    PROD,
    "rg-inventory-prod-weu",
    "asp-containers-prod-weu",
    "westeurope",
    "P1v3",
    2,
    os="windows-container",
    outbound_ips=("203.0.113.50", "203.0.113.51"),
    tags={"env": "prod", "owner": "inventory-team@contoso.com", "costCenter": "CC-4400"},
)
P_LINUX_PROD = Plan(
    PROD,
    "rg-web-prod-weu",
    "asp-linux-prod-weu",
    "westeurope",
    "P1v3",
    2,
    os="linux",
    outbound_ips=("203.0.113.60", "203.0.113.61"),
    tags={"env": "prod", "owner": "web-team@contoso.com", "costCenter": "CC-4100"},
)
P_FUNC_EP = Plan(
    PROD,
    "rg-notify-prod-weu",
    "asp-func-ep-prod-weu",
    "westeurope",
    "EP1",
    1,
    outbound_ips=("203.0.113.70", "203.0.113.71"),
    tags={"env": "prod", "owner": "notify-team@contoso.com", "costCenter": "CC-4500"},
)
P_CONSUMPTION = Plan(
    PROD,
    "rg-media-prod-weu",
    "asp-media-consumption-weu",
    "westeurope",
    "Y1",
    0,
    outbound_ips=("203.0.113.80", "203.0.113.81"),
)
P_CRM = Plan(
    PROD,
    "rg-crm-prod-weu",
    "asp-crm-prod-weu",
    "westeurope",
    "P2v2",
    2,
    outbound_ips=("203.0.113.90", "203.0.113.91"),
    tags={"env": "prod", "owner": "crm-team@contoso.com", "costCenter": "CC-5100"},
)
P_DATA = Plan(
    PROD,
    "rg-data-prod-weu",
    "asp-data-prod-weu",
    "westeurope",
    "S1",
    1,
    outbound_ips=("203.0.113.100", "203.0.113.101"),
    tags={"env": "prod", "owner": "data-team@contoso.com", "costCenter": "CC-2300"},
)
P_DR = Plan(
    PROD,
    "rg-orders-dr-neu",
    "asp-dr-prod-neu",
    "northeurope",
    "P1v3",
    1,
    outbound_ips=("198.51.100.10", "198.51.100.11"),
    tags={"env": "prod", "owner": "orders-team@contoso.com", "costCenter": "CC-4300"},
)
P_REPORTING = Plan(
    PROD,
    "rg-reporting-prod-weu",
    "asp-reporting-prod-weu",
    "westeurope",
    "S1",
    1,
    outbound_ips=("203.0.113.110", "203.0.113.111"),
    tags={"env": "prod", "owner": "bi-team@contoso.com", "costCenter": "CC-2400"},
)
P_ARCHIVE = Plan(
    PROD,
    "rg-archive-prod-neu",
    "asp-archive-prod-neu",
    "northeurope",
    "S1",
    1,
    outbound_ips=("198.51.100.20", "198.51.100.21"),
    swift_supported=False,
    tags={"env": "prod", "owner": "bi-team@contoso.com", "costCenter": "CC-2400"},
)
P_WEB_TEST = Plan(
    NONPROD,
    "rg-web-test-weu",
    "asp-web-test-weu",
    "westeurope",
    "S1",
    2,
    outbound_ips=("203.0.113.120", "203.0.113.121"),
    tags={"env": "test", "owner": "web-team@contoso.com", "costCenter": "CC-4100"},
)
P_WEB_DEV = Plan(
    NONPROD,
    "rg-web-dev-weu",
    "asp-web-dev-weu",
    "westeurope",
    "B1",
    1,
    outbound_ips=("203.0.113.130", "203.0.113.131"),
    tags={"env": "dev", "owner": "web-team@contoso.com", "costCenter": "CC-4100"},
)
P_LINUX_DEV = Plan(
    NONPROD,
    "rg-web-dev-weu",
    "asp-linux-dev-weu",
    "westeurope",
    "B1",
    1,
    os="linux",
    outbound_ips=("203.0.113.140", "203.0.113.141"),
    tags={"env": "dev", "owner": "web-team@contoso.com", "costCenter": "CC-4100"},
)
P_FINANCE = Plan(
    FINANCE,
    "RG-Finance-Apps",
    "asp-finance-weu",
    "westeurope",
    "S1",
    2,
    outbound_ips=("203.0.113.150", "203.0.113.151"),
    tags={"env": "prod", "owner": "finance-it@contoso.com", "costCenter": "CC-7700"},
)
P_PAYROLL = Plan(
    FINANCE,
    "RG-Finance-Apps",
    "asp-finance-payroll-weu",
    "westeurope",
    "S2",
    1,
    outbound_ips=("203.0.113.160", "203.0.113.161"),
    swift_supported=False,
    tags={"env": "prod", "owner": "finance-it@contoso.com", "costCenter": "CC-7700"},
)
P_PARTNER = Plan(
    PROD,
    "rg-partner-prod-weu",
    "asp-partner-prod-weu",
    "westeurope",
    "P2v2",
    2,
    outbound_ips=("203.0.113.170", "203.0.113.171"),
    tags={"env": "prod", "owner": "partner-team@contoso.com", "costCenter": "CC-4500"},
)
PLANS = (
    P_PARTNER,
    P_WEB_PROD,
    P_API_PROD,
    P_FUNC_PROD,
    P_CONTAINERS,
    P_LINUX_PROD,
    P_FUNC_EP,
    P_CONSUMPTION,
    P_CRM,
    P_DATA,
    P_DR,
    P_REPORTING,
    P_ARCHIVE,
    P_WEB_TEST,
    P_WEB_DEV,
    P_LINUX_DEV,
    P_FINANCE,
    P_PAYROLL,
)

WEB = "Microsoft.Web/serverFarms"
PROD_WEU.subnets = [
    SubnetSpec("GatewaySubnet", "10.1.0.0/27", ip_configurations=gateway_ipconfigs(PROD_WEU)),
    SubnetSpec("snet-web-prod", "10.1.1.0/24", nsg="nsg-web-prod", route_table="rt-prod-to-firewall"),
    SubnetSpec(
        "snet-data-prod",
        "10.1.2.0/24",
        nsg="nsg-data-prod",
        route_table="rt-prod-to-firewall",
        service_endpoints=("Microsoft.Sql", "Microsoft.Storage"),
        private_endpoints=(
            private_endpoint(PROD_WEU, "pe-sql-contoso-prod"),
            private_endpoint(PROD_WEU, "pe-kv-contoso-prod-weu"),
        ),
    ),
    SubnetSpec(
        "snet-appsvc-catalog-prod",
        "10.1.4.0/26",
        nsg="nsg-appsvc-prod",
        delegated_to=WEB,
        linked_plan=P_API_PROD.id,
    ),
    SubnetSpec(
        "snet-func-ep-prod", "10.1.4.64/26", nsg="nsg-appsvc-prod", delegated_to=WEB, linked_plan=P_FUNC_EP.id
    ),
]
DATA_WEU.subnets = [
    # Empty since vgw-data-weu was deleted in 2024, when the spoke moved to the hub's gateway.
    SubnetSpec("GatewaySubnet", "10.3.0.0/27"),
    SubnetSpec("snet-data-export", "10.3.1.0/24", nsg="nsg-data-export", route_table="rt-data-to-firewall"),
    SubnetSpec(
        "snet-pe-data",
        "10.3.2.0/24",
        nsg="nsg-pe-data",
        private_endpoints=(private_endpoint(DATA_WEU, "pe-st-contoso-export"),),
    ),
]
DR_NEU.subnets = [
    SubnetSpec("GatewaySubnet", "10.11.0.0/27", ip_configurations=gateway_ipconfigs(DR_NEU)),
    SubnetSpec("snet-app-dr", "10.11.1.0/24", nsg="nsg-app-dr", route_table="rt-dr-default"),
    SubnetSpec(
        "snet-data-dr",
        "10.11.2.0/24",
        nsg="nsg-data-dr",
        service_endpoints=("Microsoft.Storage", "Microsoft.AzureCosmosDB"),
    ),
]
NONPROD_WEU.subnets = [
    SubnetSpec("GatewaySubnet", "10.2.0.0/27", ip_configurations=gateway_ipconfigs(NONPROD_WEU)),
    SubnetSpec("snet-web-test", "10.2.1.0/24", nsg="nsg-web-test"),
    SubnetSpec("snet-web-dev", "10.2.2.0/24", nsg="nsg-web-dev"),
    SubnetSpec(
        "snet-appsvc-linux-dev",
        "10.2.4.0/27",
        nsg="nsg-web-dev",
        delegated_to=WEB,
        linked_plan=P_LINUX_DEV.id,
    ),
]
FINANCE_WEU.subnets = [  # 10.50.0.0/24 is used up: no /28 is left for an integration subnet
    SubnetSpec("GatewaySubnet", "10.50.0.0/27", ip_configurations=gateway_ipconfigs(FINANCE_WEU)),
    SubnetSpec("snet-finance-app", "10.50.0.32/27", nsg="nsg-finance-app"),
    SubnetSpec("snet-finance-db", "10.50.0.64/26", nsg="nsg-finance-db"),
    SubnetSpec(
        "snet-finance-batch", "10.50.0.128/25", nsg="nsg-finance-batch", route_table="rt-finance-onprem"
    ),
]

# Peerings: the hub offers gateway transit to vnet-data-weu only; other spokes have gateways of their own.
peer(HUB_WEU, PROD_WEU)
peer(PROD_WEU, HUB_WEU)
peer(HUB_WEU, NONPROD_WEU)
peer(NONPROD_WEU, HUB_WEU)
peer(HUB_WEU, DATA_WEU, transit=True)
# Written by hand years ago: the remote id is in lower case, as some templates produce it.
peer(DATA_WEU, HUB_WEU, use_remote=True, remote_id=HUB_WEU.id.lower())
peer(HUB_NEU, DR_NEU)
peer(DR_NEU, HUB_NEU)

INHERITED = "INHERITED"
STATIC = "STATIC"
DNS_HUB = "10.0.2.4,10.0.2.5"
KV_WEB = "kv-contoso-web-prod"
KV_ORDERS = "kv-contoso-prod-weu"
KV_CRM = "kv-contoso-crm"
KV_FINANCE = "kv-finance-legacy"


def tags(env: str, owner: str, cost_center: str, **extra: str) -> dict[str, str]:
    return {"env": env, "owner": owner, "costCenter": cost_center, **extra}


# --------------------------------------------------------------------------------------------
# Scenarios: every app and slot, what it demonstrates, and what the planner must say.
# Codes are listed in the catalogue order: limitations, blockers, findings.
# Readiness (an assumption about the planner, see samples/README.md): blocked with any blocker;
# needs-work with SERVICE_ENDPOINTS or KEYVAULT_REFERENCES; otherwise ready.
# --------------------------------------------------------------------------------------------

SCENARIOS: tuple[AppSpec, ...] = (
    # ---- prod: vnet-prod-weu through vgw-prod-weu (the gateway that can go) ----
    AppSpec(
        "app-contoso-web",
        P_WEB_PROD,
        "app",
        demonstrates="plain gateway-required Windows app; shares one target subnet with app-contoso-api "
        "and its own staging slot",
        integration="gateway-required",
        codes=(),
        readiness="ready",
        why="Windows, PremiumV3, same region, VNet with free space, SSTP gateway with an RFC 1918 pool; "
        "its Key Vault is not network-restricted",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED), ("10.0.0.0/16", STATIC)),
        kv_refs=(
            KvRef("CatalogDbConnection", KV_WEB, "catalog-db-connection"),
            KvRef("SendGridApiKey", KV_WEB, "sendgrid-api-key", secret_uri_form=True),
        ),
        tags=tags("prod", "web-team@contoso.com", "CC-4100", app="contoso-web"),
    ),
    AppSpec(
        "app-contoso-web/staging",
        P_WEB_PROD,
        "app",
        demonstrates="staging slot with its own gateway-required entry, needing a resync",
        integration="gateway-required",
        codes=("RESYNC_REQUIRED",),
        readiness="ready",
        why="resyncRequired is true: hub DNS gained 10.0.2.5 after the slot connected (its dnsServers "
        "still show 10.0.2.4 only)",
        gateway_vnet=PROD_WEU.id,
        dns_servers="10.0.2.4",
        resync_required=True,
        routes=(("10.1.0.0/16", INHERITED), ("10.0.0.0/16", STATIC)),
        kv_refs=(KvRef("CatalogDbConnection", KV_WEB, "catalog-db-connection"),),
        tags=tags("prod", "web-team@contoso.com", "CC-4100", app="contoso-web", slot="staging"),
    ),
    AppSpec(
        "app-contoso-api",
        P_WEB_PROD,
        "app",
        demonstrates="second app of the same plan to the same VNet (one shared target subnet); its "
        "serverFarmId is written in lower case",
        integration="gateway-required",
        codes=(),
        readiness="ready",
        why="as app-contoso-web; its plan is found case-insensitively",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED),),
        server_farm_id_as_written=P_WEB_PROD.id.lower(),
        tags=tags("prod", "web-team@contoso.com", "CC-4100", app="contoso-api"),
    ),
    AppSpec(
        "app-catalog-api",
        P_API_PROD,
        "app",
        demonstrates="regional integration already (snet-appsvc-catalog-prod); lists its isSwift entry",
        integration="regional",
        why="properties.virtualNetworkSubnetId is set",
        regional_subnet=PROD_WEU.subnet_id("snet-appsvc-catalog-prod"),
        swift_entry=True,
        kv_refs=(KvRef("CatalogSearchKey", KV_ORDERS, "catalog-search-key"),),
        tags=tags("prod", "catalog-team@contoso.com", "CC-4200", app="catalog"),
    ),
    AppSpec(
        "app-catalog-api/staging",
        P_API_PROD,
        "app",
        demonstrates="regional slot on the plan's subnet (no isSwift entry listed for it)",
        integration="regional",
        why="properties.virtualNetworkSubnetId is set",
        regional_subnet=PROD_WEU.subnet_id("snet-appsvc-catalog-prod"),
        tags=tags("prod", "catalog-team@contoso.com", "CC-4200", app="catalog", slot="staging"),
    ),
    AppSpec(
        "app-catalog-admin",
        P_API_PROD,
        "app",
        demonstrates="gateway-required app whose plan already has a regional subnet in the same VNet: "
        "reuses snet-appsvc-catalog-prod (new_subnet false); vnetResourceId in odd casing; its id is in "
        "lower case in the manifest",
        integration="gateway-required",
        codes=(),
        readiness="ready",
        why="nothing stands in the way; the target is the plan's existing subnet",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED),),
        vnet_id_as_written=f"/subscriptions/{PROD.id}/resourcegroups/RG-NET-PROD-WEU/providers/"
        "microsoft.network/virtualNetworks/vnet-prod-weu",
        tags=tags("prod", "catalog-team@contoso.com", "CC-4200", app="catalog-admin"),
    ),
    AppSpec(
        "func-orders-processor",
        P_FUNC_PROD,
        "functionapp",
        demonstrates="function app on a dedicated Standard plan; Key Vault references to a vault with "
        "public access disabled",
        integration="gateway-required",
        codes=("KEYVAULT_REFERENCES",),
        readiness="needs-work",
        why="kv-contoso-prod-weu has publicNetworkAccess Disabled (private endpoint only); its references "
        "fail today (AccessToKeyVaultDenied)",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED),),
        kv_refs=(
            KvRef(
                "OrdersDbConnection",
                KV_ORDERS,
                "orders-db-connection",
                "AccessToKeyVaultDenied",
                secret_uri_form=True,
            ),
            KvRef(
                "ServiceBusConnection",
                KV_ORDERS,
                "orders-servicebus",
                "AccessToKeyVaultDenied",
                version="5c0f2b7e9a6d4e1f8b3c2a1d0e9f8a7b",
            ),
        ),
        tags=tags("prod", "orders-team@contoso.com", "CC-4300", app="orders"),
    ),
    AppSpec(
        "app-inventory-svc",
        P_CONTAINERS,
        "app,container,windows",
        demonstrates="Windows container app (hyperV plan) with a gateway-required entry",
        integration="gateway-required",
        codes=("WINDOWS_CONTAINER",),
        readiness="ready",
        why="properties.hyperV is true and kind is app,container,windows; gateway-required does not work "
        "from Windows containers",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED),),
        tags=tags("prod", "inventory-team@contoso.com", "CC-4400", app="inventory"),
    ),
    AppSpec(
        "app-linux-frontend",
        P_LINUX_PROD,
        "app,linux",
        demonstrates="Linux app without any VNet integration",
        integration="none",
        why="its virtualNetworkConnections list was read and is empty",
        tags=tags("prod", "web-team@contoso.com", "CC-4100", app="frontend"),
    ),
    AppSpec(
        "app-linux-legacy-bridge",
        P_LINUX_PROD,
        "app,linux,container",
        demonstrates="Linux container app with a leftover gateway-required entry (from a Windows template)",
        integration="gateway-required",
        codes=("LINUX",),
        readiness="ready",
        why="kind contains linux and properties.reserved is true: the entry carries no traffic",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED),),
        tags=tags("prod", "web-team@contoso.com", "CC-4100", app="legacy-bridge"),
    ),
    AppSpec(
        "func-notifications",
        P_FUNC_EP,
        "functionapp",
        demonstrates="Functions Premium (ElasticPremium) app with regional integration; not read over ARM "
        "(gateway-required needs a dedicated plan)",
        integration="regional",
        why="properties.virtualNetworkSubnetId is set",
        regional_subnet=PROD_WEU.subnet_id("snet-func-ep-prod"),
        tags=tags("prod", "notify-team@contoso.com", "CC-4500", app="notifications"),
    ),
    AppSpec(
        "func-thumbnails",
        P_CONSUMPTION,
        "functionapp",
        demonstrates="Consumption function app: can use neither integration; not read over ARM",
        integration="none",
        why="Dynamic tier and no virtualNetworkSubnetId",
        tags=tags("prod", "media-team@contoso.com", "CC-4600", app="thumbnails"),
    ),
    # ---- prod: the hub VNet (ExpressRoute and VPN gateways side by side) ----
    AppSpec(
        "app-crm-portal",
        P_CRM,
        "app",
        demonstrates="gateway-required to the hub VNet in another subscription, where ExpressRoute and VPN "
        "gateways coexist",
        integration="gateway-required",
        codes=("EXPRESSROUTE", "COEXISTENCE"),
        readiness="ready",
        why="ergw-hub-weu (ExpressRoute, with an ExpressRoute connection) and vgw-hub-weu (Vpn) share the "
        "hub's GatewaySubnet",
        gateway_vnet=HUB_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.0.0.0/16", INHERITED), ("172.20.0.0/16", STATIC)),
        tags=tags("prod", "crm-team@contoso.com", "CC-5100", app="crm"),
    ),
    AppSpec(
        "app-crm-portal/staging",
        P_CRM,
        "app",
        demonstrates="slot without integration while its production slot has one (integration does not swap)",
        integration="none",
        why="its virtualNetworkConnections list was read and is empty",
        tags=tags("prod", "crm-team@contoso.com", "CC-5100", app="crm", slot="staging"),
    ),
    AppSpec(
        "func-crm-sync",
        P_CRM,
        "functionapp",
        demonstrates="several codes: function app on the ExpressRoute hub with Key Vault references to a "
        "vault that denies by default",
        integration="gateway-required",
        codes=("EXPRESSROUTE", "COEXISTENCE", "KEYVAULT_REFERENCES"),
        readiness="needs-work",
        why="hub VNet as app-crm-portal; kv-contoso-crm has networkAcls.defaultAction Deny (its IP rule "
        "lets the plan's outbound addresses in, so the reference resolves today)",
        gateway_vnet=HUB_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.0.0.0/16", INHERITED), ("172.20.0.0/16", STATIC)),
        kv_refs=(KvRef("CrmClientSecret", KV_CRM, "crm-client-secret"),),
        tags=tags("prod", "crm-team@contoso.com", "CC-5100", app="crm-sync"),
    ),
    # ---- prod: a spoke without a gateway of its own, and North Europe ----
    AppSpec(
        "app-data-export",
        P_DATA,
        "app",
        demonstrates="gateway-required to a spoke whose gateway was deleted (it uses the hub's through "
        "peering now)",
        integration="gateway-required",
        codes=("GATEWAY_NOT_FOUND",),
        readiness="ready",
        why="vnet-data-weu's GatewaySubnet is empty (the spoke peers with useRemoteGateways): no VPN "
        "gateway in the integrated VNet",
        gateway_vnet=DATA_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.3.0.0/16", INHERITED),),
        tags=tags("prod", "data-team@contoso.com", "CC-2300", app="data-export"),
    ),
    AppSpec(
        "app-orders-dr",
        P_DR,
        "app",
        demonstrates="North Europe app whose VNet is the only network a storage account and a Cosmos DB "
        "account admit",
        integration="gateway-required",
        codes=("SERVICE_ENDPOINTS",),
        readiness="needs-work",
        why="stcontosoordersdr (networkAcls Deny) and cosmos-contoso-orders-dr (VNet filter on) admit "
        "vnet-dr-neu/snet-data-dr only, through service endpoints",
        gateway_vnet=DR_NEU.id,
        routes=(("10.11.0.0/16", INHERITED),),
        tags=tags("prod", "orders-team@contoso.com", "CC-4300", app="orders", dr="true"),
    ),
    AppSpec(
        "app-reporting",
        P_REPORTING,
        "app",
        demonstrates="West Europe app integrated with a North Europe VNet",
        integration="gateway-required",
        codes=("CROSS_REGION",),
        readiness="blocked",
        why="vnet-hub-neu is in northeurope, the app in westeurope: it needs a West Europe VNet and "
        "global peering",
        gateway_vnet=HUB_NEU.id,
        routes=(("10.10.0.0/16", INHERITED), ("10.11.0.0/16", STATIC)),
        tags=tags("prod", "bi-team@contoso.com", "CC-2400", app="reporting"),
    ),
    AppSpec(
        "app-archive-neu",
        P_ARCHIVE,
        "app",
        demonstrates="Standard plan on an old scale unit that cannot do regional integration",
        integration="gateway-required",
        codes=("PLAN_UNSUPPORTED",),
        readiness="blocked",
        why="networkConfig/virtualNetwork reports swiftSupported false",
        gateway_vnet=HUB_NEU.id,
        routes=(("10.10.0.0/16", INHERITED),),
        tags=tags("prod", "bi-team@contoso.com", "CC-2400", app="archive"),
    ),
    # ---- prod: one plan whose apps reach three VNets (gateway-required allows five per plan) ----
    AppSpec(
        "app-partner-portal",
        P_PARTNER,
        "app",
        demonstrates="a plan reaching three VNets: regional integration gives a Windows plan two subnets",
        integration="gateway-required",
        codes=("TOO_MANY_SUBNETS",),
        readiness="blocked",
        why="asp-partner-prod-weu's apps reach vnet-prod-weu, vnet-nonprod-weu and vnet-data-weu",
        gateway_vnet=PROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.1.0.0/16", INHERITED),),
        tags=tags("prod", "partner-team@contoso.com", "CC-4500", app="partner"),
    ),
    AppSpec(
        "app-partner-feeds",
        P_PARTNER,
        "app",
        demonstrates="second VNet of the partner plan (through the nonprod gateway, another subscription)",
        integration="gateway-required",
        codes=("TOO_MANY_SUBNETS", "P2S_POOL_NOT_RFC1918"),
        readiness="blocked",
        why="same plan as app-partner-portal, another VNet",
        gateway_vnet=NONPROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.2.0.0/16", INHERITED),),
        tags=tags("prod", "partner-team@contoso.com", "CC-4500", app="partner-feeds"),
    ),
    AppSpec(
        "app-partner-ledger",
        P_PARTNER,
        "app",
        demonstrates="third VNet of the partner plan",
        integration="gateway-required",
        codes=("TOO_MANY_SUBNETS", "GATEWAY_NOT_FOUND"),
        readiness="blocked",
        why="same plan as app-partner-portal, a third VNet (whose GatewaySubnet is empty)",
        gateway_vnet=DATA_WEU.id,
        routes=(("10.3.0.0/16", INHERITED),),
        tags=tags("prod", "partner-team@contoso.com", "CC-4500", app="partner-ledger"),
    ),
    # ---- nonprod: vnet-nonprod-weu through a Basic gateway with a CGNAT pool ----
    AppSpec(
        "app-contoso-web-test",
        P_WEB_TEST,
        "app",
        demonstrates="gateway whose point-to-site pool is outside RFC 1918",
        integration="gateway-required",
        codes=("P2S_POOL_NOT_RFC1918",),
        readiness="ready",
        why="vgw-nonprod-weu's vpnClientAddressPool is 100.64.10.0/24 (shared address space, not RFC 1918)",
        gateway_vnet=NONPROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.2.0.0/16", INHERITED),),
        tags=tags("test", "web-team@contoso.com", "CC-4100", app="contoso-web"),
    ),
    AppSpec(
        "app-contoso-web-test/staging",
        P_WEB_TEST,
        "app",
        demonstrates="slot of the test app with its own gateway-required entry",
        integration="gateway-required",
        codes=("P2S_POOL_NOT_RFC1918",),
        readiness="ready",
        why="same gateway as its production slot",
        gateway_vnet=NONPROD_WEU.id,
        dns_servers=DNS_HUB,
        routes=(("10.2.0.0/16", INHERITED),),
        tags=tags("test", "web-team@contoso.com", "CC-4100", app="contoso-web", slot="staging"),
    ),
    AppSpec(
        "app-contoso-api-test",
        P_WEB_TEST,
        "app",
        demonstrates="two findings at once",
        integration="gateway-required",
        codes=("P2S_POOL_NOT_RFC1918", "RESYNC_REQUIRED"),
        readiness="ready",
        why="same gateway as app-contoso-web-test; resyncRequired true (its dnsServers still name the old "
        "10.2.1.4 DNS VM)",
        gateway_vnet=NONPROD_WEU.id,
        dns_servers="10.2.1.4",
        resync_required=True,
        routes=(("10.2.0.0/16", INHERITED),),
        tags=tags("test", "web-team@contoso.com", "CC-4100", app="contoso-api"),
    ),
    AppSpec(
        "app-contoso-web-dev",
        P_WEB_DEV,
        "app",
        demonstrates="Windows app on a Basic plan without integration (read, nothing there)",
        integration="none",
        why="its virtualNetworkConnections list was read and is empty",
        tags=tags("dev", "web-team@contoso.com", "CC-4100", app="contoso-web"),
    ),
    AppSpec(
        "app-sandbox-dev",
        P_WEB_DEV,
        "app",
        demonstrates="its virtualNetworkConnections call failed with HTTP 429 after retries",
        integration="unknown",
        why="manifest arm.virtualNetworkConnections.failed lists it: its integration cannot be told",
        arm_failure="TooManyRequests: throttled by Microsoft.Web, gave up after 3 retries",
        tags=tags("dev", "web-team@contoso.com", "CC-4100", app="sandbox"),
    ),
    AppSpec(
        "app-linux-api-dev",
        P_LINUX_DEV,
        "app,linux",
        demonstrates="Linux app on a Basic plan with regional integration",
        integration="regional",
        why="properties.virtualNetworkSubnetId is set (networkConfig agrees)",
        regional_subnet=NONPROD_WEU.subnet_id("snet-appsvc-linux-dev"),
        swift_entry=True,
        tags=tags("dev", "web-team@contoso.com", "CC-4100", app="linux-api"),
    ),
    # ---- legacy finance ----
    AppSpec(
        "app-finance-ledger",
        P_FINANCE,
        "app",
        demonstrates="gateway-required to a VNet whose /24 is fully used by subnets",
        integration="gateway-required",
        codes=("NO_SUBNET_SPACE",),
        readiness="blocked",
        why="10.50.0.0/24 = GatewaySubnet /27 + /27 + /26 + /25: no /28 left; address space must be added",
        gateway_vnet=FINANCE_WEU.id,
        dns_servers="10.50.0.68,192.168.40.10",
        routes=(("10.50.0.0/24", INHERITED), ("192.168.40.0/22", STATIC)),
        tags=tags("prod", "finance-it@contoso.com", "CC-7700", app="ledger", compliance="sox"),
    ),
    AppSpec(
        "app-finance-payroll",
        P_PAYROLL,
        "app",
        demonstrates="several codes: full VNet, old scale unit, locked vault and a pending resync",
        integration="gateway-required",
        codes=("KEYVAULT_REFERENCES", "NO_SUBNET_SPACE", "PLAN_UNSUPPORTED", "RESYNC_REQUIRED"),
        readiness="blocked",
        why="vnet-finance-weu is full; swiftSupported false; kv-finance-legacy denies by default (the "
        "references write its name 'kv-Finance-Legacy'); resyncRequired true",
        gateway_vnet=FINANCE_WEU.id,
        dns_servers="192.168.40.10",
        resync_required=True,
        routes=(("10.50.0.0/24", INHERITED), ("192.168.40.0/22", STATIC)),
        kv_refs=(
            KvRef("PayrollDbPassword", "kv-Finance-Legacy", "payroll-db-password"),
            KvRef("SftpPrivateKey", "kv-Finance-Legacy", "payroll-sftp-key", secret_uri_form=True),
        ),
        tags=tags("prod", "finance-it@contoso.com", "CC-7700", app="payroll", compliance="sox"),
    ),
    AppSpec(
        "app-finance-legacy-portal",
        P_FINANCE,
        "app",
        demonstrates="gateway-required to a classic VNet",
        integration="gateway-required",
        codes=("CLASSIC_VNET",),
        readiness="blocked",
        why="vnetResourceId is a Microsoft.ClassicNetwork VNet: regional integration cannot reach it (its "
        "other network checks are 'unknown': classic gateways are not in Resource Manager data)",
        gateway_vnet=CLASSIC_FINANCE_ID,
        dns_servers="10.60.1.4",
        routes=(("10.60.0.0/16", INHERITED),),
        tags=tags("prod", "finance-it@contoso.com", "CC-7700", app="legacy-portal"),
    ),
)

# The one app whose id is written in lower case in the manifest (fetched lists are case-insensitive).
LOWER_CASE_IN_MANIFEST = "app-catalog-admin"


# --------------------------------------------------------------------------------------------
# Assemble the data sets
# --------------------------------------------------------------------------------------------


def subscriptions_rows() -> list[Json]:
    rows = []
    for sub in SUBSCRIPTIONS:
        props = {
            "state": "Enabled",
            "subscriptionPolicies": {
                "locationPlacementId": "Public_2014-09-01",
                "quotaId": sub.quota,
                "spendingLimit": "Off",
            },
            "managementGroupAncestorsChain": [
                {"name": "mg-contoso-landingzones", "displayName": "Landing Zones"},
                {"name": "mg-contoso", "displayName": "Contoso"},
                {"name": TENANT_ID, "displayName": "Tenant Root Group"},
            ],
        }
        row = {
            "id": f"/subscriptions/{sub.id}",
            "name": sub.name,
            "type": "microsoft.resources/subscriptions",
            "location": "",
            "kind": "",
            "subscriptionId": sub.id,
            "resourceGroup": "",
            "sku": None,
            "properties": props,
            "tags": {"costCenter": "CC-1000"} if sub is HUB else {},
        }
        rows.append(row)
    return rows


def gateway_rows() -> list[Json]:
    # Root certificates App Service put on each gateway: one per plan connected to the gateway's VNet.
    certs: dict[str, dict[str, str]] = defaultdict(dict)
    for app in SCENARIOS:
        if app.gateway_vnet:
            vnet_name = app.gateway_vnet.rsplit("/", 1)[-1]
            certs[app.gateway_vnet.lower()][f"AppServiceCertificate-{app.plan.name}"] = cert_of(
                app, vnet_name
            )[0]
    rows = []
    for gw in GATEWAYS:
        app_certs = sorted(certs.get(gw.vnet.id.lower(), {}).items())
        rows.append(gateway_row(gw, app_certs if gw.gateway_type == "Vpn" else []))
    return rows


def connection_rows() -> list[Json]:
    hub, neu = GW["vgw-hub-weu"], GW["vgw-hub-neu"]
    return [
        connection_row(
            HUB,
            "rg-net-hub-weu",
            "cn-ergw-hub-weu-to-erc-ams",
            "westeurope",
            "ExpressRoute",
            GW["ergw-hub-weu"].id,
            circuit=ER_CIRCUIT_ID,
        ),
        connection_row(
            HUB, "rg-net-hub-weu", "cn-vgw-hub-weu-to-hub-neu", "westeurope", "Vnet2Vnet", hub.id, gw2=neu.id
        ),
        connection_row(
            HUB, "rg-net-hub-neu", "cn-vgw-hub-neu-to-hub-weu", "northeurope", "Vnet2Vnet", neu.id, gw2=hub.id
        ),
        connection_row(
            FINANCE,
            "RG-Finance-Network",
            "cn-vgw-finance-weu-to-frankfurt-dc",
            "westeurope",
            "IPsec",
            GW["vgw-finance-weu"].id,
            local_gateway=rid(
                FINANCE,
                "RG-Finance-Network",
                "Microsoft.Network/localNetworkGateways",
                "lgw-finance-frankfurt-dc",
            ),
        ),
    ]


def local_gateway_rows() -> list[Json]:
    return [
        # The Amsterdam DC's old site-to-site peer: ExpressRoute replaced it, no connection uses it now.
        local_gateway_row(
            HUB,
            "rg-net-hub-weu",
            "lgw-contoso-amsterdam-dc",
            "westeurope",
            ["192.168.0.0/20", "172.20.0.0/16"],
            "198.51.100.200",
        ),
        local_gateway_row(
            FINANCE,
            "RG-Finance-Network",
            "lgw-finance-frankfurt-dc",
            "westeurope",
            ["192.168.40.0/22", "192.168.44.0/24"],
            "203.0.113.240",
        ),
    ]


def classic_vnet_rows() -> list[Json]:
    props = {
        "provisioningState": "Succeeded",
        "status": "Created",
        "addressSpace": {"addressPrefixes": ["10.60.0.0/16"]},
        "dhcpOptions": {"dnsServers": ["10.60.1.4"]},
        "subnets": [
            {"name": "Subnet-App", "addressPrefix": "10.60.1.0/24"},
            {"name": "GatewaySubnet", "addressPrefix": "10.60.255.0/29"},
        ],
    }
    return [arg_row(CLASSIC_FINANCE_ID, "microsoft.classicnetwork/virtualnetworks", "westeurope", props)]


def vault_rows() -> list[Json]:
    finance_ips = tuple(f"{ip}/32" for ip in P_PAYROLL.outbound_ips)
    return [
        vault_row(
            HUB,
            "rg-net-hub-weu",
            "kv-contoso-shared",
            "westeurope",
            public_access="Enabled",
            default_action="Allow",
            tags=TAGS_PLATFORM,
        ),
        vault_row(
            PROD,
            "rg-web-prod-weu",
            KV_WEB,
            "westeurope",
            public_access="Enabled",
            default_action="Allow",
            tags=tags("prod", "web-team@contoso.com", "CC-4100"),
        ),
        vault_row(
            PROD,
            "rg-orders-prod-weu",
            KV_ORDERS,
            "westeurope",
            public_access="Disabled",
            default_action="Deny",
            private_endpoint=True,
            tags=tags("prod", "orders-team@contoso.com", "CC-4300"),
        ),
        vault_row(
            PROD,
            "rg-crm-prod-weu",
            KV_CRM,
            "westeurope",
            public_access="Enabled",
            default_action="Deny",
            ip_rules=("203.0.113.0/24",),
            tags=tags("prod", "crm-team@contoso.com", "CC-5100"),
        ),
        vault_row(
            FINANCE,
            "RG-Finance-Apps",
            KV_FINANCE,
            "westeurope",
            public_access="Enabled",
            default_action="Deny",
            ip_rules=finance_ips,
            tags=tags("prod", "finance-it@contoso.com", "CC-7700"),
        ),
    ]


def network_rule_rows() -> list[Json]:
    dr_subnet = DR_NEU.subnet_id("snet-data-dr")
    storage_sku = {"name": "Standard_GRS", "tier": "Standard"}

    def storage(
        sub: Sub, rg: str, name: str, location: str, default_action: str, subnet: str, tag: dict[str, str]
    ) -> Json:
        props = {
            "provisioningState": "Succeeded",
            "minimumTlsVersion": "TLS1_2",
            "allowBlobPublicAccess": False,
            "supportsHttpsTrafficOnly": True,
            "publicNetworkAccess": "Enabled",
            "networkAcls": {
                "bypass": "AzureServices",
                "defaultAction": default_action,
                "ipRules": [],
                "virtualNetworkRules": [{"id": subnet, "action": "Allow", "state": "Succeeded"}],
            },
        }
        return arg_row(
            rid(sub, rg, "Microsoft.Storage/storageAccounts", name),
            "microsoft.storage/storageaccounts",
            location,
            props,
            kind="StorageV2",
            sku=storage_sku,
            tags=tag,
        )

    cosmos_props = {
        "provisioningState": "Succeeded",
        "databaseAccountOfferType": "Standard",
        "publicNetworkAccess": "Enabled",
        "isVirtualNetworkFilterEnabled": True,
        "ipRules": [],
        "virtualNetworkRules": [{"id": dr_subnet, "ignoreMissingVNetServiceEndpoint": False}],
    }
    orders_tags = tags("prod", "orders-team@contoso.com", "CC-4300")
    return [
        storage(PROD, "rg-orders-dr-neu", "stcontosoordersdr", "northeurope", "Deny", dr_subnet, orders_tags),
        arg_row(
            rid(
                PROD, "rg-orders-dr-neu", "Microsoft.DocumentDB/databaseAccounts", "cosmos-contoso-orders-dr"
            ),
            "microsoft.documentdb/databaseaccounts",
            "northeurope",
            cosmos_props,
            kind="GlobalDocumentDB",
            tags=orders_tags,
        ),
        # Allows everything by default: its VNet rule restricts nothing, so it must not raise SERVICE_ENDPOINTS.
        storage(
            PROD,
            "rg-web-prod-weu",
            "stcontosowebassets",
            "westeurope",
            "Allow",
            PROD_WEU.subnet_id("snet-web-prod"),
            tags("prod", "web-team@contoso.com", "CC-4100"),
        ),
    ]


def autoscale_rows() -> list[Json]:
    return [
        autoscale_row(P_WEB_PROD, "as-asp-web-prod-weu", [("default", 3, 10, 3), ("peak-season", 6, 16, 6)]),
        autoscale_row(
            P_WEB_TEST, "as-asp-web-test-weu", [("default", 1, 4, 2)], target_as_written=P_WEB_TEST.id.lower()
        ),
        # Switched off after a runaway scale-out: the planner must ignore its maximum.
        autoscale_row(P_DATA, "as-asp-data-prod-weu", [("default", 1, 8, 1)], enabled=False),
    ]


def arm_scanned(app: AppSpec) -> bool:
    return app.plan.tier in ARM_SCANNED_TIERS


def arm_records(app: AppSpec) -> tuple[list[Json], list[Json], list[Json]]:
    """(virtualNetworkConnections, Key Vault references, networkConfig) records `scan` read for an app."""
    if not arm_scanned(app):
        return [], [], []
    connections: list[Json] = []
    if not app.arm_failure:
        if app.gateway_vnet:
            connections.append(gateway_required_entry(app))
        if app.regional_subnet and app.swift_entry:
            connections.append(regional_entry(app))
    references = [kv_reference_item(app, kv) for kv in app.kv_refs]
    configs = [network_config_item(app)] if app.plan.tier in NETWORK_CONFIG_TIERS else []
    return connections, references, configs


def sorted_by_id(rows: list[Json]) -> list[Json]:
    """Resource Graph queries end with `order by id asc`."""
    return sorted(rows, key=lambda r: r["id"])


def graph_response(rows: list[Json]) -> Json:
    """Resource Graph REST response body (POST .../providers/Microsoft.ResourceGraph/resources)."""
    return {
        "totalRecords": len(rows),
        "count": len(rows),
        "data": rows,
        "facets": [],
        "resultTruncated": "false",
    }


def cli_response(rows: list[Json]) -> Json:
    """`az graph query -o json` output."""
    return {"count": len(rows), "data": rows, "skip_token": None, "total_records": len(rows)}


def build() -> dict[str, Any]:
    """Every file of the inventory: name -> JSON value (a list of lines for .jsonl)."""
    sites = sorted_by_id([site_row(app) for app in SCENARIOS])
    apps_per_plan: dict[str, int] = defaultdict(int)
    for app in SCENARIOS:
        if not app.slot:
            apps_per_plan[app.plan.id] += 1
    plans = sorted_by_id([plan_row(p, apps_per_plan[p.id]) for p in PLANS])

    graph: dict[str, list[Json]] = {
        "subscriptions": sorted_by_id(subscriptions_rows()),
        "sites": sites,
        "serverfarms": plans,
        "autoscalesettings": sorted_by_id(autoscale_rows()),
        "virtualnetworks": sorted_by_id([vnet_row(v) for v in VNETS]),
        "virtualnetworkgateways": sorted_by_id(gateway_rows()),
        "connections": sorted_by_id(connection_rows()),
        "localnetworkgateways": sorted_by_id(local_gateway_rows()),
        "classicvirtualnetworks": classic_vnet_rows(),
        "vaults": sorted_by_id(vault_rows()),
        "networkrules": sorted_by_id(network_rule_rows()),
    }
    # Vary the envelopes a little, as files from `scan`, the REST API and `az graph query` would.
    shapes = {
        "subscriptions": graph_response,
        "sites": cli_response,
        "autoscalesettings": graph_response,
        "virtualnetworks": cli_response,
        "connections": graph_response,
        "classicvirtualnetworks": graph_response,
        "vaults": cli_response,
    }
    files: dict[str, Any] = {
        f"{name}.json": shapes[name](rows) if name in shapes else rows for name, rows in graph.items()
    }

    vnet_connections: list[Json] = []
    kv_references: list[Json] = []
    network_configs: list[Json] = []
    for app in sorted(SCENARIOS, key=lambda a: a.id):
        connections, references, configs = arm_records(app)
        vnet_connections += connections
        kv_references += references
        network_configs += configs
    files["vnetconnections.jsonl"] = vnet_connections
    files["kvreferences.jsonl"] = kv_references
    files["networkconfig.jsonl"] = network_configs
    files["manifest.json"] = manifest(graph)
    return files


def manifest(graph: dict[str, list[Json]]) -> Json:
    def listed(app: AppSpec) -> str:
        return app.id.lower() if app.site == LOWER_CASE_IN_MANIFEST and not app.slot else app.id

    scanned = sorted((a for a in SCENARIOS if arm_scanned(a)), key=lambda a: a.id)
    failed = [a for a in scanned if a.arm_failure]
    network_config = [a for a in scanned if a.plan.tier in NETWORK_CONFIG_TIERS]
    queries = {}
    for name, rows in graph.items():
        kql = QUERIES / f"{name}.kql"
        digest = hashlib.sha256(kql.read_bytes()).hexdigest() if kql.exists() else None
        queries[name] = {"sha256": digest, "rows": len(rows), "pages": 1}
    retries = 3 * len(failed) + 2  # the failed app's three 429s, and two throttled pages that later worked
    arm_calls = 2 * len(scanned) + len(network_config) + retries
    return {
        "schema": "vnet-planner/inventory@1",
        "tool_version": TOOL_VERSION,
        "started_at": SCAN_STARTED,
        "finished_at": SCAN_FINISHED,
        "cloud": "AzureCloud",
        "scope": {
            "subscriptions": [s.id for s in SUBSCRIPTIONS],
            "management_group": None,
            "include": [],
            "exclude": [],
            "subscriptions_excluded": [],
            "apps_out_of_scope": 0,
        },
        "subscriptions": [{"id": s.id, "name": s.name, "status": "ok"} for s in SUBSCRIPTIONS],
        "queries": queries,
        "arm": {
            "virtualNetworkConnections": {
                "fetched": [listed(a) for a in scanned if not a.arm_failure],
                "failed": [{"id": a.id, "status": 429, "reason": a.arm_failure} for a in failed],
            },
            "keyVaultReferences": {"fetched": [listed(a) for a in scanned], "failed": []},
            "networkConfig": {"fetched": [listed(a) for a in network_config], "failed": []},
        },
        "calls": {"resource_graph": len(graph), "arm": arm_calls, "retries": retries},
        "partial": bool(failed),
    }


def write(files: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, value in files.items():
        if name.endswith(".jsonl"):
            text = "".join(json.dumps(item, separators=(",", ":")) + "\n" for item in value)
        else:
            text = json.dumps(value, indent=2) + "\n"
        (out / name).write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# samples/README.md tables (between marker comments), generated from SCENARIOS and GATEWAYS
# --------------------------------------------------------------------------------------------

APPS_START, APPS_END = "<!-- apps:start -->", "<!-- apps:end -->"
GATEWAYS_START, GATEWAYS_END = "<!-- gateways:start -->", "<!-- gateways:end -->"
SUMMARY_START, SUMMARY_END = "<!-- summary:start -->", "<!-- summary:end -->"


def apps_table() -> str:
    lines = [
        "| app / slot | subscription | plan (tier) | integration | demonstrates | expected codes | readiness "
        "| why |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for app in SCENARIOS:
        codes = ", ".join(f"`{c}`" for c in app.codes) or "—"
        lines.append(
            f"| `{app.name}` | {app.plan.sub.name} | {app.plan.name} ({app.plan.tier}) | {app.integration} "
            f"| {app.demonstrates} | {codes} | {app.readiness or '—'} | {app.why} |"
        )
    return "\n".join(lines)


def gateways_table() -> str:
    lines = [
        "| gateway | VNet | type / SKU | P2S pool | dependents (expected) | decommissionable (expected) | story |",
        "|---|---|---|---|---|---|---|",
    ]
    for gw in GATEWAYS:
        dependents = [a.name for a in SCENARIOS if gw.gateway_type == "Vpn" and a.gateway_vnet == gw.vnet.id]
        deps = ", ".join(f"`{d}`" for d in dependents) or "—"
        lines.append(
            f"| `{gw.name}` | {gw.vnet.name} ({gw.vnet.location}) | {gw.gateway_type} / {gw.sku} "
            f"| {gw.p2s_pool or '—'} | {deps} | {gw.expect} | {gw.story} |"
        )
    return "\n".join(lines)


# The rule catalogue's codes in its order (planner/analysis/rules); tests/test_rules.py checks they match.
CODES = (
    "EXPRESSROUTE",
    "COEXISTENCE",
    "LINUX",
    "WINDOWS_CONTAINER",
    "SERVICE_ENDPOINTS",
    "KEYVAULT_REFERENCES",
    "CROSS_REGION",
    "CLASSIC_VNET",
    "NO_SUBNET_SPACE",
    "TOO_MANY_SUBNETS",
    "PLAN_UNSUPPORTED",
    "P2S_POOL_NOT_RFC1918",
    "RESYNC_REQUIRED",
    "GATEWAY_NOT_FOUND",
)


def summary_table() -> str:
    """Expected totals: apps per integration and readiness, and apps per code."""
    counts: dict[str, int] = defaultdict(int)
    for app in SCENARIOS:
        counts[f"integration {app.integration}"] += 1
        if app.readiness:
            counts[f"readiness {app.readiness}"] += 1
        for code in app.codes:
            counts[code] += 1
    rows = [("apps and slots", len(SCENARIOS))]
    rows += [(key, counts[key]) for key in sorted(counts) if key.startswith(("integration", "readiness"))]
    rows += [(f"`{code}`", counts[code]) for code in CODES]
    return "\n".join(["| expected | apps |", "|---|---|"] + [f"| {name} | {n} |" for name, n in rows])


def refresh_readme(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for start, end, table in (
        (APPS_START, APPS_END, apps_table()),
        (GATEWAYS_START, GATEWAYS_END, gateways_table()),
        (SUMMARY_START, SUMMARY_END, summary_table()),
    ):
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        if not rest:
            raise SystemExit(f"{path}: marker {start} not found")
        text = f"{head}{start}\n{table}\n{end}{tail}"
    path.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help="folder to write (default: samples/contoso)")
    parser.add_argument("--readme", action="store_true", help="also refresh the tables in samples/README.md")
    args = parser.parse_args()
    files = build()
    write(files, args.out)
    print(f"wrote {len(files)} files to {args.out}")
    if args.readme:
        refresh_readme(README)
        print(f"refreshed tables in {README}")


if __name__ == "__main__":
    main()
