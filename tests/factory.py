"""Small inventory fragments in Azure's shapes, for table-driven rule and planner tests.

`base_tenant()` is one subscription with a plan, an app on gateway-required integration to a hub
VNet with an SSTP VPN gateway; each test case changes one thing with `patch` and checks one code.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

SUB = "00000000-0000-0000-0000-000000000001"
RG = f"/subscriptions/{SUB}/resourceGroups"
PLAN_ID = f"{RG}/rg-app/providers/Microsoft.Web/serverfarms/plan1"
APP_ID = f"{RG}/rg-app/providers/Microsoft.Web/sites/app1"
VNET_ID = f"{RG}/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub"
GW_ID = f"{RG}/rg-net/providers/Microsoft.Network/virtualNetworkGateways/gw-hub"
CERT = "MIIC-fake-app-cert-AAAA"
# docs/inventory.md: the members of a resource, in the order Resource Graph queries project them.
RESOURCE_MEMBERS = (
    "id",
    "name",
    "type",
    "location",
    "kind",
    "subscriptionId",
    "resourceGroup",
    "sku",
    "properties",
    "tags",
)


def subscription() -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUB}",
        "type": "microsoft.resources/subscriptions",
        "name": "prod",
        "subscriptionId": SUB,
    }


def plan(
    plan_id: str = PLAN_ID, tier: str = "Standard", sku: str = "S1", capacity: int = 2, **props: Any
) -> dict[str, Any]:
    return {
        "id": plan_id,
        "type": "microsoft.web/serverfarms",
        "name": plan_id.rsplit("/", 1)[-1],
        "location": "westeurope",
        "kind": "app",
        "subscriptionId": SUB,
        "resourceGroup": "rg-app",
        "sku": {"name": sku, "tier": tier, "capacity": capacity},
        "properties": {"reserved": False, "hyperV": False, "maximumNumberOfWorkers": 10, **props},
    }


def site(
    app_id: str = APP_ID,
    kind: str = "app",
    location: str = "westeurope",
    plan_id: str = PLAN_ID,
    **props: Any,
) -> dict[str, Any]:
    return {
        "id": app_id,
        "type": "microsoft.web/sites",
        "name": app_id.rsplit("/", 1)[-1],
        "kind": kind,
        "location": location,
        "subscriptionId": SUB,
        "resourceGroup": "rg-app",
        "tags": {"env": "prod"},
        "properties": {"serverFarmId": plan_id, "reserved": False, "hyperV": False, **props},
    }


def subnet(vnet_id: str, name: str, prefix: str | list[str], **props: Any) -> dict[str, Any]:
    prefixes = {"addressPrefix": prefix} if isinstance(prefix, str) else {"addressPrefixes": prefix}
    return {"id": f"{vnet_id}/subnets/{name}", "name": name, "properties": {**prefixes, **props}}


def vnet(
    vnet_id: str = VNET_ID,
    space: list[str] | None = None,
    subnets: list[dict[str, Any]] | None = None,
    location: str = "westeurope",
    **props: Any,
) -> dict[str, Any]:
    return {
        "id": vnet_id,
        "type": "microsoft.network/virtualnetworks",
        "name": vnet_id.rsplit("/", 1)[-1],
        "location": location,
        "subscriptionId": SUB,
        "resourceGroup": "rg-net",
        "properties": {
            "addressSpace": {"addressPrefixes": space or ["10.0.0.0/16"]},
            "subnets": subnets
            if subnets is not None
            else [
                subnet(vnet_id, "GatewaySubnet", "10.0.255.0/27"),
                subnet(vnet_id, "workload", "10.0.1.0/24"),
            ],
            "dhcpOptions": {"dnsServers": []},
            "virtualNetworkPeerings": [],
            **props,
        },
    }


def gateway(
    gw_id: str = GW_ID,
    vnet_id: str = VNET_ID,
    gateway_type: str = "Vpn",
    sku: str = "VpnGw1",
    protocols: list[str] | None = None,
    pools: list[str] | None = None,
    auth: list[str] | None = None,
    certs: list[str] | None = None,
) -> dict[str, Any]:
    client = {
        "vpnClientAddressPool": {"addressPrefixes": pools or ["172.16.0.0/24"]},
        "vpnClientProtocols": protocols if protocols is not None else ["SSTP"],
        "vpnAuthenticationTypes": auth or ["Certificate"],
        "vpnClientRootCertificates": [
            {"name": f"cert{i}", "properties": {"publicCertData": c}}
            for i, c in enumerate(certs if certs is not None else [CERT])
        ],
    }
    props: dict[str, Any] = {
        "gatewayType": gateway_type,
        "vpnType": "RouteBased",
        "sku": {"name": sku, "tier": sku},
        "ipConfigurations": [
            {
                "name": "ipconfig",
                "properties": {
                    "subnet": {"id": f"{vnet_id}/subnets/GatewaySubnet"},
                    "publicIPAddress": {
                        "id": f"{RG}/rg-net/providers/Microsoft.Network/publicIPAddresses/pip-{gw_id[-6:]}"
                    },
                },
            }
        ],
    }
    if gateway_type == "Vpn":
        props["vpnClientConfiguration"] = client
    return {
        "id": gw_id,
        "type": "microsoft.network/virtualnetworkgateways",
        "name": gw_id.rsplit("/", 1)[-1],
        "location": "westeurope",
        "subscriptionId": SUB,
        "resourceGroup": "rg-net",
        "properties": props,
    }


def vnet_connection(app_id: str = APP_ID, vnet_id: str = VNET_ID, **props: Any) -> dict[str, Any]:
    name = vnet_id.rsplit("/", 1)[-1]
    return {
        "id": f"{app_id}/virtualNetworkConnections/{name}",
        "name": name,
        "type": "Microsoft.Web/sites/virtualNetworkConnections",
        "properties": {
            "vnetResourceId": vnet_id,
            "certThumbprint": "ABCD",
            "certBlob": CERT,
            "resyncRequired": False,
            "isSwift": False,
            "routes": [],
            **props,
        },
    }


def connection(name: str, connection_type: str, gw_id: str = GW_ID) -> dict[str, Any]:
    return {
        "id": f"{RG}/rg-net/providers/Microsoft.Network/connections/{name}",
        "type": "microsoft.network/connections",
        "name": name,
        "properties": {"connectionType": connection_type, "virtualNetworkGateway1": {"id": gw_id}},
    }


def vault(name: str, default_action: str | None = "Deny", public: str | None = "Enabled") -> dict[str, Any]:
    props: dict[str, Any] = {"vaultUri": f"https://{name}.vault.azure.net/"}
    if default_action:
        props["networkAcls"] = {"defaultAction": default_action, "virtualNetworkRules": []}
    if public:
        props["publicNetworkAccess"] = public
    return {
        "id": f"{RG}/rg-sec/providers/Microsoft.KeyVault/vaults/{name}",
        "type": "microsoft.keyvault/vaults",
        "name": name,
        "properties": props,
    }


def kv_reference(setting: str, vault_name: str, app_id: str = APP_ID) -> dict[str, Any]:
    # As ARM returns it: no `type`, no value.
    return {
        "id": f"{app_id}/config/configreferences/appsettings/{setting}",
        "properties": {"vaultName": vault_name, "secretName": setting.lower(), "status": "Resolved"},
    }


def storage(name: str, subnet_id: str, default_action: str = "Deny") -> dict[str, Any]:
    return {
        "id": f"{RG}/rg-data/providers/Microsoft.Storage/storageAccounts/{name}",
        "type": "microsoft.storage/storageaccounts",
        "name": name,
        "properties": {
            "networkAcls": {
                "defaultAction": default_action,
                "virtualNetworkRules": [{"id": subnet_id, "action": "Allow"}],
            }
        },
    }


def manifest(
    apps: list[str],
    calls: tuple[str, ...] = ("virtualNetworkConnections", "keyVaultReferences", "networkConfig"),
    failed: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    failed = failed or {}
    return {
        "schema": "vnet-planner/inventory@1",
        "arm": {
            c: {
                "fetched": [a for a in apps if a not in failed.get(c, [])],
                "failed": [{"id": a, "status": 429, "reason": "TooManyRequests"} for a in failed.get(c, [])],
            }
            for c in calls
        },
    }


def network_config(app_id: str = APP_ID, swift: bool = True) -> dict[str, Any]:
    return {
        "id": f"{app_id}/networkConfig/virtualNetwork",
        "type": "Microsoft.Web/sites/networkConfig",
        "name": "virtualNetwork",
        "properties": {"swiftSupported": swift},
    }


def base_tenant() -> list[dict[str, Any]]:
    """One ready app: Standard plan on a new scale unit, gateway-required to a hub with an SSTP gateway."""
    return [subscription(), plan(), site(), vnet(), gateway(), vnet_connection(), network_config()]


def write(folder: Path, resources: list[dict[str, Any]], manifest_data: dict[str, Any] | None = None) -> Path:
    """Write resources (and a manifest covering every site/slot) as an inventory folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "resources.json").write_text(json.dumps(resources), encoding="utf-8")
    if manifest_data is None:
        apps = [
            r["id"]
            for r in resources
            if r.get("type", "").lower() in ("microsoft.web/sites", "microsoft.web/sites/slots")
        ]
        manifest_data = manifest(apps)
    if manifest_data:
        (folder / "manifest.json").write_text(json.dumps(manifest_data), encoding="utf-8")
    return folder


def replace(resources: list[dict[str, Any]], resource_id: str, new: dict[str, Any]) -> list[dict[str, Any]]:
    """A copy with one resource swapped."""
    return [copy.deepcopy(new) if r["id"] == resource_id else copy.deepcopy(r) for r in resources]


def field_paths(value: Any, prefix: tuple[Any, ...] = (), items: int = 3) -> list[tuple[Any, ...]]:
    """Every key path into a JSON value (the first `items` of each list), for mutation tests."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += field_paths(item, (*prefix, key), items)
    elif isinstance(value, list):
        for index, item in enumerate(value[:items]):
            found += field_paths(item, (*prefix, index), items)
    return found
