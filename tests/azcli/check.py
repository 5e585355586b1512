"""Run Azure CLI command lines in-process against a fake Resource Manager, and report each one.

Run with the Python of the separate Azure CLI venv (`.venv-azcli`, see .ci/run): it reads
`{"commands": [[word, ...], ...]}` as JSON on stdin and writes `{"azure_cli_version", "results"}`
as JSON on stdout, one result per command: `{"argv", "exit_code", "status", "error", "output",
"requests": [{"method", "url", "body"}]}`.

Nothing leaves the machine: a fake login (a profile with the commands' subscriptions and a
credential that hands out a made-up token), and every HTTP request answered by `FakeArm` at the
`requests` adapter, the layer under both azure-core's transport and `az rest`. Sockets to anything
but loopback are refused as a second fence. `status` is:

- `ok`: the command ran to the end against the fake (it reached the transport at least once);
- `parse-error`: the CLI rejected the words (unknown command, unknown or missing flag, bad value);
- `failed`: it ran but stopped with an error (the message says where);
- `no-request`: it succeeded without sending anything (nothing was checked against the API).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import socket
import sys
import tempfile
import uuid
from typing import Any
from urllib.parse import urlsplit

TENANT = "00000000-0000-0000-0000-0000000000aa"
SUBSCRIPTION_RE = re.compile(r"/subscriptions/([0-9a-fA-F-]{36})")
GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# A made-up root certificate (base64 of DER bytes): what `properties.certBlob` of a connection holds.
CERT_BLOB = "MIIBszCCAVmgAwIBAgIUVGVzdENlcnRGb3JBcHBTZXJ2aWNlMAoGCCqGSM49BAMCMBQxEjAQBgNVBAMMCWFwcHNlcnZpY2U="


# --- the fake Resource Manager -------------------------------------------------------------------

# Resource types each provider lists, with api-versions: what `az resource` looks up before it sends.
# Only types seen in a real provider listing; child types such as sites/virtualNetworkConnections are
# deliberately absent (a provider need not list every child type).
PROVIDERS = {
    "microsoft.web": ["sites", "sites/slots", "serverFarms", "sites/config"],
    "microsoft.network": [
        "virtualNetworks",
        "virtualNetworks/subnets",
        "virtualNetworkGateways",
        "publicIPAddresses",
    ],
    "microsoft.keyvault": ["vaults"],
    "microsoft.storage": ["storageAccounts"],
    "microsoft.eventhub": ["namespaces", "namespaces/networkRuleSets"],
    "microsoft.servicebus": ["namespaces", "namespaces/networkRuleSets"],
    "microsoft.classicinfrastructuremigrate": [],
}
API_VERSIONS = ["2024-11-01", "2024-05-01", "2023-01-01"]


def _runtime_settings(linux: bool) -> dict[str, Any]:
    return {
        "runtimeVersion": "DOTNET-ISOLATED|8.0" if linux else "v8.0",
        "isHidden": False,
        "isDeprecated": False,
        "isPreview": False,
        "isDefault": True,
        "supportedFunctionsExtensionVersions": ["~4"],
        "appSettingsDictionary": {"FUNCTIONS_WORKER_RUNTIME": "dotnet-isolated"},
        "siteConfigPropertiesDictionary": (
            {"linuxFxVersion": "DOTNET-ISOLATED|8.0", "use32BitWorkerProcess": False}
            if linux
            else {"netFrameworkVersion": "v8.0", "use32BitWorkerProcess": False}
        ),
        "appInsightsSettings": {"isSupported": True},
        "gitHubActionSettings": {"isSupported": True},
        "endOfLifeDate": "2099-11-10T00:00:00Z",
    }


# One function runtime (`--runtime dotnet-isolated`) and one web runtime (`--runtime DOTNETCORE:8.0`),
# in the shape of the functionAppStacks / webAppStacks APIs the CLI validates `--runtime` against.
FUNCTION_STACK = {
    "name": "dotnet-isolated",
    "properties": {
        "displayText": ".NET Isolated",
        "value": "dotnet-isolated",
        "preferredOs": "windows",
        "majorVersions": [
            {
                "displayText": ".NET 8 Isolated",
                "value": "8",
                "minorVersions": [
                    {
                        "displayText": ".NET 8 Isolated",
                        "value": "8.0",
                        "stackSettings": {
                            "windowsRuntimeSettings": _runtime_settings(False),
                            "linuxRuntimeSettings": _runtime_settings(True),
                        },
                    }
                ],
            }
        ],
    },
}
WEB_STACKS = [
    {
        "name": "dotnet",
        "properties": {
            "displayText": ".NET",
            "value": "dotnet",
            "preferredOs": "windows",
            "majorVersions": [
                {
                    "displayText": ".NET 8 (LTS)",
                    "value": "8",
                    "minorVersions": [
                        {
                            "displayText": ".NET 8 (LTS)",
                            "value": "8",
                            "stackSettings": {
                                "windowsRuntimeSettings": {
                                    "runtimeVersion": "v8.0",
                                    "isHidden": False,
                                    "isDeprecated": False,
                                    "endOfLifeDate": "2099-11-10T00:00:00Z",
                                    "appInsightsSettings": {"isSupported": True},
                                    "gitHubActionSettings": {"isSupported": True},
                                },
                                "linuxRuntimeSettings": {
                                    "runtimeVersion": "DOTNETCORE|8.0",
                                    "isHidden": False,
                                    "isDeprecated": False,
                                    "endOfLifeDate": "2099-11-10T00:00:00Z",
                                    "appInsightsSettings": {"isSupported": True},
                                    "gitHubActionSettings": {"isSupported": True},
                                },
                            },
                        }
                    ],
                }
            ],
        },
    }
]


PUBLISH_XML = (
    b'<publishData><publishProfile profileName="app - Web Deploy" publishMethod="MSDeploy" '
    b'publishUrl="app.scm.azurewebsites.net:443" userName="$app" userPWD="x" destinationAppUrl="https://app.azurewebsites.net"/>'
    b'<publishProfile profileName="app - FTP" publishMethod="FTP" publishUrl="ftp://x/site/wwwroot" userName="app\\$app" '
    b'userPWD="x"/></publishData>'
)


def _segments(path: str) -> list[str]:
    return [s for s in path.strip("/").split("/") if s]


class FakeArm:
    """Answers ARM requests with plausible bodies, and remembers every request."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.site_kind = "app"  # "functionapp" while a functionapp command runs
        self.absent: set[str] = set()  # names a create command is about to create: 404 until PUT
        self.rules: list[str] = []  # subnet ids the VNet rules hold (what a `... remove` command removes)

    # Bodies for a GET of one resource, by its type (the provider path without names).
    def resource(self, path: str) -> Any:
        seg = _segments(path)
        lower = [s.lower() for s in seg]
        rid = "/" + "/".join(seg)
        name = seg[-1]
        if len(seg) == 2 and lower[0] == "subscriptions":
            return {
                "id": rid,
                "subscriptionId": seg[1],
                "displayName": "sub",
                "state": "Enabled",
                "tenantId": TENANT,
            }
        if len(seg) == 4 and lower[2] == "resourcegroups":
            return {
                "id": rid,
                "name": name,
                "location": "westeurope",
                "properties": {"provisioningState": "Succeeded"},
            }
        if len(seg) == 4 and lower[2] == "providers":
            namespace = seg[3]
            types = PROVIDERS.get(namespace.lower(), [])
            return {
                "id": rid,
                "namespace": namespace,
                "registrationState": "Registered",
                "resourceTypes": [
                    {"resourceType": t, "locations": ["West Europe"], "apiVersions": API_VERSIONS}
                    for t in types
                ],
            }
        kind = "/".join(lower[6::2]) if "providers" in lower else ""
        namespace = lower[5] if len(lower) > 5 else ""
        base: dict[str, Any] = {"id": rid, "name": name, "location": "westeurope"}
        sub = seg[1] if len(seg) > 1 else str(uuid.UUID(int=0))
        rg = seg[3] if len(seg) > 3 else "rg"
        if namespace == "microsoft.web" and kind in ("sites", "sites/slots"):
            plan = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Web/serverfarms/plan-1"
            base.update(
                type="Microsoft.Web/sites" + ("/slots" if kind.endswith("slots") else ""),
                kind=self.site_kind,
                properties={
                    "sku": "PremiumV3",
                    "serverFarmId": plan,
                    "state": "Running",
                    "enabled": True,
                    "reserved": False,
                    "hostNames": [f"{name}.azurewebsites.net"],
                    "siteConfig": {},
                },
            )
            return base
        if namespace == "microsoft.web" and kind == "serverfarms":
            base.update(
                type="Microsoft.Web/serverfarms",
                kind="app",
                sku={"name": "P1v3", "tier": "PremiumV3", "size": "P1v3", "family": "Pv3", "capacity": 1},
                properties={"reserved": False, "numberOfWorkers": 1, "status": "Ready"},
            )
            return base
        if namespace == "microsoft.web" and kind in ("sites/config", "sites/slots/config"):
            if name.lower() == "web":
                base.update(type="Microsoft.Web/sites/config", properties={"netFrameworkVersion": "v8.0"})
                return base
            base.update(type="Microsoft.Web/sites/config", properties={})
            return base
        if namespace == "microsoft.web" and kind.endswith("virtualnetworkconnections"):
            base.update(
                type="Microsoft.Web/sites/virtualNetworkConnections",
                properties={
                    "vnetResourceId": "/subscriptions/x/vnet",
                    "certBlob": CERT_BLOB,
                    "isSwift": False,
                },
            )
            return base
        if namespace == "microsoft.network" and kind == "virtualnetworks":
            base.update(
                type="Microsoft.Network/virtualNetworks",
                properties={
                    "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                    "dhcpOptions": {"dnsServers": []},
                    "subnets": [],
                    "virtualNetworkPeerings": [],
                    "provisioningState": "Succeeded",
                },
            )
            return base
        if namespace == "microsoft.network" and kind == "virtualnetworks/subnets":
            base.pop("location")
            base.update(
                type="Microsoft.Network/virtualNetworks/subnets",
                properties={
                    "addressPrefix": "10.0.4.0/26",
                    "delegations": [],
                    "provisioningState": "Succeeded",
                },
            )
            return base
        if namespace == "microsoft.network" and kind == "virtualnetworkgateways":
            vnet = (
                f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/virtualNetworks/vnet-1"
            )
            pip = f"/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/publicIPAddresses/pip-1"
            base.update(
                type="Microsoft.Network/virtualNetworkGateways",
                properties={
                    "gatewayType": "Vpn",
                    "vpnType": "RouteBased",
                    "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
                    "activeActive": False,
                    "enableBgp": False,
                    "ipConfigurations": [
                        {
                            "id": f"{rid}/ipConfigurations/default",
                            "name": "default",
                            "properties": {
                                "privateIPAllocationMethod": "Dynamic",
                                "subnet": {"id": f"{vnet}/subnets/GatewaySubnet"},
                                "publicIPAddress": {"id": pip},
                            },
                        }
                    ],
                    "vpnClientConfiguration": {
                        "vpnClientAddressPool": {"addressPrefixes": ["172.16.0.0/24"]},
                        "vpnClientProtocols": ["SSTP"],
                        "vpnAuthenticationTypes": ["Certificate"],
                        "vpnClientRootCertificates": [
                            {
                                "name": "AppServiceCertificate.cer",
                                "properties": {"publicCertData": "MIIBexisting="},
                            }
                        ],
                        "vpnClientRevokedCertificates": [],
                    },
                    "provisioningState": "Succeeded",
                },
            )
            return base
        if namespace == "microsoft.keyvault" and kind == "vaults":
            base.update(
                type="Microsoft.KeyVault/vaults",
                properties={
                    "tenantId": TENANT,
                    "sku": {"family": "A", "name": "standard"},
                    "networkAcls": {
                        "defaultAction": "Deny",
                        "bypass": "AzureServices",
                        "virtualNetworkRules": [{"id": r} for r in self.rules],
                        "ipRules": [],
                    },
                    "accessPolicies": [],
                    "privateEndpointConnections": [],
                },
            )
            return base
        if namespace == "microsoft.storage" and kind == "storageaccounts":
            base.update(
                type="Microsoft.Storage/storageAccounts",
                kind="StorageV2",
                sku={"name": "Standard_LRS"},
                properties={
                    "networkAcls": {
                        "defaultAction": "Deny",
                        "bypass": "AzureServices",
                        "virtualNetworkRules": [{"id": r, "action": "Allow"} for r in self.rules],
                        "ipRules": [],
                    },
                    "primaryEndpoints": {
                        e: f"https://{name}.{e}.core.windows.net/" for e in ("blob", "queue", "table", "file")
                    },
                },
            )
            return base
        if namespace == "microsoft.documentdb" and kind == "databaseaccounts":
            base.update(
                type="Microsoft.DocumentDB/databaseAccounts",
                kind="GlobalDocumentDB",
                properties={
                    "databaseAccountOfferType": "Standard",
                    "locations": [{"locationName": "West Europe", "failoverPriority": 0}],
                    "virtualNetworkRules": [{"id": r} for r in self.rules],
                    "isVirtualNetworkFilterEnabled": True,
                },
            )
            return base
        if namespace == "microsoft.containerregistry" and kind == "registries":
            base.update(
                type="Microsoft.ContainerRegistry/registries",
                sku={"name": "Premium", "tier": "Premium"},
                properties={
                    "networkRuleSet": {
                        "defaultAction": "Deny",
                        "virtualNetworkRules": [{"id": r, "action": "Allow"} for r in self.rules],
                        "ipRules": [],
                    }
                },
            )
            return base
        if namespace == "microsoft.cognitiveservices" and kind == "accounts":
            base.update(
                type="Microsoft.CognitiveServices/accounts",
                kind="CognitiveServices",
                sku={"name": "S0"},
                properties={
                    "networkAcls": {
                        "defaultAction": "Deny",
                        "virtualNetworkRules": [{"id": r} for r in self.rules],
                        "ipRules": [],
                    }
                },
            )
            return base
        if (
            namespace in ("microsoft.eventhub", "microsoft.servicebus")
            and kind == "namespaces/networkrulesets"
        ):
            base.update(
                properties={
                    "defaultAction": "Deny",
                    "virtualNetworkRules": [{"subnet": {"id": r}} for r in self.rules],
                    "ipRules": [],
                }
            )
            return base
        if namespace in ("microsoft.eventhub", "microsoft.servicebus") and kind == "namespaces":
            base.update(sku={"name": "Premium", "tier": "Premium"}, properties={})
            return base
        if namespace == "microsoft.network" and kind == "publicipaddresses":
            base.update(
                type="Microsoft.Network/publicIPAddresses", properties={"publicIPAllocationMethod": "Static"}
            )
            return base
        base.update(properties={})
        return base

    def is_collection(self, path: str) -> bool:
        seg = [s.lower() for s in _segments(path)]
        if "providers" not in seg:
            # /subscriptions, /subscriptions/x/resourceGroups, /subscriptions/x/resourcegroups/y/resources
            return len(seg) % 2 == 1
        after = seg[seg.index("providers") + 2 :]
        return len(after) % 2 == 1

    def answer(self, method: str, url: str, body: bytes | str | None) -> tuple[int, Any]:
        parts = urlsplit(url)
        path = parts.path
        text = body.decode("utf-8") if isinstance(body, bytes) else body
        payload: Any = None
        if text:
            try:
                payload = json.loads(text)
            except ValueError:
                payload = text
        self.requests.append({"method": method, "url": url, "body": payload})
        lower = path.lower()
        name = path.rstrip("/").rsplit("/", 1)[-1]
        if method in ("PUT", "PATCH"):
            self.absent.discard(name.lower())
        if method == "GET" and name.lower() in self.absent:
            return 404, {"error": {"code": "ResourceNotFound", "message": f"{name} not found"}}
        if method == "GET" and lower.endswith("/providers/microsoft.web/functionappstacks"):
            return 200, {"value": [FUNCTION_STACK]}
        if method == "GET" and lower.endswith("/providers/microsoft.web/webappstacks"):
            return 200, {"value": WEB_STACKS}
        if method == "GET":
            if lower.endswith("/virtualnetworkconnections"):
                return 200, []  # WebApps_ListVnetConnections returns a bare array
            if self.is_collection(path):
                return 200, {"value": []}
            return 200, self.resource(path)
        if method in ("PUT", "PATCH"):
            answer = self.resource(path) if not self.is_collection(path) else {}
            if isinstance(payload, dict):
                answer.update({k: v for k, v in payload.items() if k != "properties"})
                props = dict(answer.get("properties") or {})
                props.update(payload.get("properties") or {})
                answer["properties"] = props
            if isinstance(answer.get("properties"), dict):
                answer["properties"].setdefault("provisioningState", "Succeeded")
            return 200, answer
        if method == "DELETE":
            return 200, None
        if method == "POST":
            if lower.endswith("/generatevpnclientpackage") or lower.endswith("/generatevpnprofile"):
                return 200, "https://example.invalid/vpnclientpackage.zip"
            if lower.endswith("/publishxml"):
                return 200, PUBLISH_XML
            if lower.endswith("/checknameavailability"):
                return 200, {"nameAvailable": True}
            if lower.endswith("/listkeys"):
                return 200, {
                    "keys": [{"keyName": k, "value": "a2V5", "permissions": "FULL"} for k in ("key1", "key2")]
                }
            if lower.endswith("/list"):
                return 200, {"properties": {}}
            return 200, {}
        return 405, {"error": {"code": "MethodNotAllowed", "message": method}}


# --- wiring it into the CLI ----------------------------------------------------------------------


def _install_fakes(arm: FakeArm, subscriptions: list[str], config_dir: str) -> None:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3 import HTTPResponse

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        status, payload = arm.answer(request.method, request.url, request.body)
        response = requests.Response()
        response.status_code = status
        response.url = request.url
        response.request = request
        response.headers["Content-Type"] = (
            "application/xml" if isinstance(payload, bytes) else "application/json"
        )
        response.headers["x-ms-request-id"] = str(uuid.uuid4())
        if isinstance(payload, bytes):
            content = payload
        else:
            content = b"" if payload is None else json.dumps(payload).encode("utf-8")
        response._content = content
        response.raw = HTTPResponse(
            body=io.BytesIO(content), headers=dict(response.headers), status=status, preload_content=False
        )
        response.encoding = "utf-8"
        response.reason = "OK" if status < 400 else "Error"
        return response

    HTTPAdapter.send = send  # type: ignore[method-assign]

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1")):
            return real_connect(self, address)
        raise ConnectionRefusedError(f"azcli check: no network (refused {address!r})")

    socket.socket.connect = connect  # type: ignore[method-assign]

    from azure.cli.core import _profile, util

    # The CLI looks up its latest release once a day (on first use and on errors): not here.
    util._update_latest_from_ame_storage = lambda versions: (versions, False)

    class FakeMsalCredential:
        def acquire_token(self, scopes: Any, **kwargs: Any) -> dict[str, Any]:
            return {"access_token": "fake-token", "token_type": "Bearer", "expires_in": 3600}

    _profile.Profile._create_credential = lambda self, account, tenant_id=None, client_id=None: (
        FakeMsalCredential()
    )  # type: ignore[method-assign]

    profile = {
        "installationId": str(uuid.uuid4()),
        "subscriptions": [
            {
                "id": sub,
                "name": f"sub-{sub[:8]}",
                "state": "Enabled",
                "user": {"name": "engineer@contoso.example", "type": "user"},
                "isDefault": i == 0,
                "tenantId": TENANT,
                "environmentName": "AzureCloud",
                "homeTenantId": TENANT,
                "managedByTenants": [],
            }
            for i, sub in enumerate(subscriptions)
        ],
    }
    with open(os.path.join(config_dir, "azureProfile.json"), "w", encoding="utf-8-sig") as fh:
        json.dump(profile, fh)
    with open(os.path.join(config_dir, "config"), "w", encoding="utf-8") as fh:
        fh.write(
            "[core]\ncollect_telemetry = false\nno_color = true\nonly_show_errors = true\noutput = json\n"
            "survey_message = false\n[extension]\nuse_dynamic_install = no\n"
            "[auto-upgrade]\nenable = no\n"
        )


def subscriptions_of(commands: list[list[str]]) -> list[str]:
    found: list[str] = []
    for argv in commands:
        for i, word in enumerate(argv):
            candidates = SUBSCRIPTION_RE.findall(word)
            if word == "--subscription" and i + 1 < len(argv):
                candidates.append(argv[i + 1])
            for sub in candidates:
                if GUID_RE.match(sub) and sub.lower() not in (s.lower() for s in found):
                    found.append(sub)
    return found or [str(uuid.UUID(int=1))]


@contextlib.contextmanager
def _log_to(stream: io.StringIO) -> Any:
    """Point the CLI's log handlers (set up on the first invocation) at this command's stream."""
    import logging

    handlers = [
        h
        for name in ("", "cli", "knack", "azure")
        for h in logging.getLogger(name).handlers
        if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    old = [h.setStream(stream) for h in handlers]
    try:
        yield
    finally:
        for h, previous in zip(handlers, old, strict=True):
            if previous is not None:
                h.setStream(previous)


def created_by(words: list[str]) -> set[str]:
    """Names a `... create` command creates: they do not exist before it (the slot, else the -n name)."""
    path = [w for w in words if not w.startswith("-")][:4]
    if "create" not in path:
        return set()
    for flags in (("--slot", "-s"), ("-n", "--name")):
        for i, word in enumerate(words[:-1]):
            if word in flags:
                return {words[i + 1].lower()}
    return set()


def removed_rules(words: list[str]) -> list[str]:
    """The subnet a `... network-rule remove` command removes: the resource holds it before."""
    if "remove" not in words or "--subnet" not in words[:-1]:
        return []
    subnet = words[words.index("--subnet") + 1]
    return [subnet.removeprefix("id=")]


def run(commands: list[list[str]]) -> list[dict[str, Any]]:
    config_dir = tempfile.mkdtemp(prefix="azcli-check-")
    os.environ["AZURE_CONFIG_DIR"] = config_dir
    os.environ["AZURE_CORE_COLLECT_TELEMETRY"] = "false"
    arm = FakeArm()
    _install_fakes(arm, subscriptions_of(commands), config_dir)
    from azure.cli.core import get_default_cli

    results = []
    for argv in commands:
        words = argv[1:] if argv and argv[0] == "az" else argv
        arm.requests = []
        arm.site_kind = "functionapp" if words[:1] == ["functionapp"] else "app"
        arm.absent = created_by(words)
        arm.rules = removed_rules(words)
        out, err = io.StringIO(), io.StringIO()
        cli = get_default_cli()
        exit_code: Any
        with contextlib.redirect_stderr(err), _log_to(err):
            try:
                exit_code = cli.invoke(list(words), out_file=out)
            except SystemExit as exc:
                exit_code = exc.code
        result = getattr(cli, "result", None)
        error = getattr(result, "error", None)
        message = err.getvalue().strip()
        if error is not None and not isinstance(error, SystemExit):
            message = f"{type(error).__name__}: {error}\n{message}"
        if exit_code == 2:
            status = "parse-error"
        elif exit_code:
            status = "failed"
        elif not arm.requests:
            status = "no-request"
        else:
            status = "ok"
        results.append(
            {
                "argv": argv,
                "exit_code": exit_code,
                "status": status,
                "error": message[-6000:],
                "output": out.getvalue()[:2000],
                "requests": list(arm.requests),
            }
        )
    return results


def main() -> int:
    data = json.load(sys.stdin)
    sys.stdin = io.StringIO("")  # a command that prompts reads an empty answer and stops
    results = run(data["commands"])
    from azure.cli.core import __version__

    json.dump({"azure_cli_version": __version__, "results": results}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
