"""Secrets (issue 8, part 3): nothing secret planted in the input reaches any file the tool writes.

Secrets are planted where Azure (or a hand-built export) really puts them: app settings and
connection strings in `siteConfig`, an app-settings list resource, storage-mount access keys,
publishing passwords, certificate blobs (an app's `certBlob`, a gateway root certificate's
`publicCertData`), RADIUS secrets, IPsec shared keys, ExpressRoute authorization keys, a SQL
administrator password. `plan` runs with every format; `scan` reads the same tenant from the local
fake of Resource Graph and ARM. Every file written (the workbook unzipped) is searched for every
secret, and the scanner's records are checked against the fields docs/inventory.md allows.
"""

from __future__ import annotations

import base64
import copy
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import factory as f
import pytest
from fake_azure import FakeAzure, Tenant
from typer.testing import CliRunner

from planner.cli import app
from planner.collect.arm import ArmCall
from planner.collect.auth import Connection
from planner.collect.queries import QUERY_NAMES
from planner.collect.retry import Backoff
from planner.collect.scan import ScanOptions, run_scan
from planner.core.redact import cert_digest

runner = CliRunner()

JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwbGFudGVkIn0.cGxhbnRlZC1zaWduYXR1cmU"
SAS = "sv=2024-11-04&ss=b&srt=sco&sp=rwdl&se=2030-01-01T00:00:00Z&sig=PLANTEDsasSIGnature0123%3D"
ACCOUNT_KEY = "PLANTEDaccountKEY0123456789abcdefghijklmnopqrstuvwxyzABCDEF+/w=="
CONNECTION_STRING = (
    f"DefaultEndpointsProtocol=https;AccountName=st1;AccountKey={ACCOUNT_KEY};EndpointSuffix=core"
)
APP_SETTING = "planted-app-setting-value-5f1c"
DB_PASSWORD = "planted-Db-P@ssw0rd-77aa"
MOUNT_KEY = "PLANTEDstorageMOUNTkey9876543210zyxwvu=="
PUBLISHING_PASSWORD = "planted-publishing-password-c3d4"
RADIUS_SECRET = "planted-radius-secret-9e8d"
SHARED_KEY = "planted-ipsec-shared-key-1a2b"
AUTHORIZATION_KEY = "planted-er-authorization-key-6b7c"
SQL_PASSWORD = "planted-sql-admin-password-0f0f"
APP_CERT = base64.b64encode(b"planted app certificate " * 12).decode()
ROOT_CERT_PEM = (
    "-----BEGIN CERTIFICATE-----\n" + APP_CERT[:64] + "\n" + APP_CERT[64:] + "\n-----END CERTIFICATE-----"
)
SECRETS = {
    "jwt": JWT,
    "sas signature": "PLANTEDsasSIGnature0123",
    "account key": ACCOUNT_KEY,
    "account key (start)": ACCOUNT_KEY[:24],
    "app setting": APP_SETTING,
    "password in a setting": DB_PASSWORD,
    "storage mount key": MOUNT_KEY,
    "publishing password": PUBLISHING_PASSWORD,
    "radius secret": RADIUS_SECRET,
    "ipsec shared key": SHARED_KEY,
    "expressroute authorization key": AUTHORIZATION_KEY,
    "sql password": SQL_PASSWORD,
    "certificate blob": APP_CERT[:40],
    "certificate blob (middle)": APP_CERT[100:140],
}
SQL_ID = f"{f.RG}/rg-data/providers/Microsoft.Sql/servers/sql1"


def secret_tenant() -> list[dict[str, Any]]:
    """The factory's tenant with secrets wherever Azure or a hand-made export keeps them."""
    resources = f.base_tenant()
    site = resources[2]
    site["properties"]["publishingPassword"] = PUBLISHING_PASSWORD
    site["properties"]["siteConfig"] = {
        "appSettings": [
            {"name": "API_TOKEN", "value": JWT},
            {"name": "BLOB_SAS", "value": SAS},
            {"name": "FEATURE", "value": APP_SETTING},
            {"name": "DbPassword", "value": DB_PASSWORD},
        ],
        "connectionStrings": [{"name": "storage", "connectionString": CONNECTION_STRING, "type": "Custom"}],
        "azureStorageAccounts": {
            "share": {"type": "AzureFiles", "accountName": "st1", "shareName": "s", "accessKey": MOUNT_KEY}
        },
    }
    # `az webapp config appsettings list` / ARM `config/appsettings/list`, saved by hand into the folder.
    settings = {
        "id": f"{f.APP_ID}/config/appsettings",
        "name": "appsettings",
        "type": "Microsoft.Web/sites/config",
        "properties": {"FEATURE": APP_SETTING, "API_TOKEN": JWT, "STORAGE": CONNECTION_STRING},
    }
    gateway = f.gateway(certs=[ROOT_CERT_PEM])
    client = gateway["properties"]["vpnClientConfiguration"]
    client["vpnAuthenticationTypes"] = ["Certificate", "Radius"]
    client["radiusServerAddress"] = "10.9.9.9"
    client["radiusServerSecret"] = RADIUS_SECRET
    client["radiusServers"] = [{"radiusServerAddress": "10.9.9.10", "radiusServerSecret": RADIUS_SECRET}]
    s2s = f.connection("s2s", "IPsec")
    s2s["properties"]["sharedKey"] = SHARED_KEY
    er = f.connection("er", "ExpressRoute")
    er["properties"]["authorizationKey"] = AUTHORIZATION_KEY
    sql = {
        "id": SQL_ID,
        "type": "Microsoft.Sql/servers",
        "name": "sql1",
        "location": "westeurope",
        "subscriptionId": f.SUB,
        "resourceGroup": "rg-data",
        "properties": {
            "administratorLogin": "sqladmin",
            "administratorLoginPassword": SQL_PASSWORD,
            "virtualNetworkRules": [{"id": f"{f.VNET_ID}/subnets/workload"}],
        },
    }
    connection = f.vnet_connection(certBlob=APP_CERT)
    resources[4] = gateway
    resources[5] = connection
    storage = f.storage("st1", f"{f.VNET_ID}/subnets/workload")
    return [*resources, settings, s2s, er, sql, storage]


def leaks(folder: Path) -> list[str]:
    """(file, secret) for every planted secret found in any file under `folder` (xlsx unzipped)."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts = {f"{path.name}:{n}": book.read(n).decode("utf-8", "replace") for n in book.namelist()}
        else:
            texts = {str(path.relative_to(folder)): path.read_bytes().decode("utf-8", "replace")}
        for name, text in texts.items():
            unescaped = text.replace("&amp;", "&").replace("\\/", "/")
            found += [f"{name}: {label}" for label, secret in SECRETS.items() if secret in unescaped]
    return found


def test_the_planted_secrets_are_findable(tmp_path: Path) -> None:
    """The search works: the input itself holds every secret."""
    inventory = f.write(tmp_path / "inv", secret_tenant())
    assert {hit.split(": ", 1)[1] for hit in leaks(inventory)} == set(SECRETS)


def test_plan_writes_no_secret_in_any_format(tmp_path: Path) -> None:
    inventory = f.write(tmp_path / "inv", secret_tenant())
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["plan", str(inventory), "--out", str(out), "--format", "json,csv,xlsx,html,scripts"]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "apps.csv",
        "gateways.csv",
        "plan.json",
        "plan.xlsx",
        "runbook.html",
        "scripts",
    ]
    assert leaks(out) == []
    assert not [label for label, secret in SECRETS.items() if secret in result.output]
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    # The certificate still did its job (compared by digest): the gateway's root is the app's.
    assert plan["gateways"][0]["app_root_certificates"] == ["cert0"]


# ------------------------------------------------------------------------------------ scan

# docs/inventory.md: a resource is an ARM object with these members (Resource Graph projects exactly
# these; ARM records carry a subset).
ALLOWED_MEMBERS = set(f.RESOURCE_MEMBERS)
# Key Vault reference metadata ARM returns (ApiKVReference): names, vault, status — never a value.
KV_REFERENCE_PROPERTIES = {
    "reference",
    "status",
    "vaultName",
    "secretName",
    "secretVersion",
    "identityType",
    "details",
    "source",
    "activeVersion",
}
INVENTORY_FILES = {*QUERY_NAMES, *(call.dataset for call in ArmCall)}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("scan")
    tenant = secret_tenant()
    tenant.append(f.kv_reference("DbPassword", "kv1"))
    tenant.append(f.vault("kv1"))
    out = tmp / "inventory"
    with FakeAzure(Tenant.from_resources(copy.deepcopy(tenant)), cert_dir=tmp / "cert") as fake:
        options = ScanOptions(out=out, retry=Backoff(attempts=2, base=0.01))
        result = run_scan(options, connection=Connection.from_env(env=fake.env()))
    assert not result.partial, result.reasons
    return out


def test_scan_writes_no_secret(scanned: Path) -> None:
    assert leaks(scanned) == []


def test_scan_writes_only_the_documented_files_and_members(scanned: Path) -> None:
    files = sorted(p for p in scanned.rglob("*") if p.is_file())
    assert {p.name for p in files} == {"manifest.json"} | {f"{name}.jsonl" for name in INVENTORY_FILES}
    for path in files:
        if path.name == "manifest.json":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert set(record) <= ALLOWED_MEMBERS, (path.name, sorted(set(record) - ALLOWED_MEMBERS))
            if path.name == "kvreferences.jsonl":
                assert set(record["properties"]) <= KV_REFERENCE_PROPERTIES, record["properties"]


def test_scan_keeps_certificates_as_digests_only(scanned: Path) -> None:
    connections = [json.loads(line) for line in (scanned / "vnetconnections.jsonl").read_text().splitlines()]
    assert connections[0]["properties"]["certBlobSha256"] == cert_digest(APP_CERT)
    assert "certBlob" not in connections[0]["properties"]
    gateways = [
        json.loads(line) for line in (scanned / "virtualnetworkgateways.jsonl").read_text().splitlines()
    ]
    root = gateways[0]["properties"]["vpnClientConfiguration"]["vpnClientRootCertificates"][0]
    assert root["properties"] == {"publicCertDataSha256": cert_digest(APP_CERT)}


def test_plan_of_the_scan_writes_no_secret_and_still_matches_the_certificate(
    scanned: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["plan", str(scanned), "--out", str(out), "-q", "--format", "json,csv,xlsx,html,scripts"]
    )
    assert result.exit_code == 0, result.output
    assert leaks(out) == []
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert plan["gateways"][0]["app_root_certificates"] == ["cert0"]


def test_security_doc_matches_the_code() -> None:
    """docs/security.md names every query, ARM call and the page's policy as the code has them."""
    root = Path(__file__).parents[1]
    doc = (root / "docs" / "security.md").read_text(encoding="utf-8")
    assert "docs/security.md" in (root / "README.md").read_text(encoding="utf-8")
    queries = sorted((root / "queries").glob("*.kql"))
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"]
    assert f"the {words[len(queries)]} queries in `queries/*.kql`" in doc
    for segment in (
        "virtualNetworkConnections",
        "config/configreferences/appsettings",
        "networkConfig/virtualNetwork",
    ):
        assert segment in doc
    from planner.render.html import render_html

    page = render_html(
        json.loads((root / "tests" / "fixtures" / "plan_small.json").read_text(encoding="utf-8"))
    )
    policy = page.split('http-equiv="Content-Security-Policy" content="', 1)[1].split('"', 1)[0]
    shown = re.sub(r"'sha256-[^']+'", "'sha256-X'", policy)
    documented = re.sub(
        r"'sha256-<[^>]+>'", "'sha256-X'", doc.split("```\ndefault-src", 1)[1].split("\n", 1)[0]
    )
    assert shown == "default-src" + documented
