"""The synthetic tenant generator (planner/sample/synthetic.py) and the `sample` command."""

from __future__ import annotations

import ipaddress
import itertools
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from planner.analysis.rules import RULES
from planner.cli import app as cli_app
from planner.cli import sample as cli_sample
from planner.collect.scan import select_tasks
from planner.core.errors import InputError
from planner.core.settings import Settings
from planner.plan.pipeline import run_plan
from planner.sample.synthetic import ARM_DATA_SETS, DATA_SETS, GenerationStats, generate

APPS = 2000  # large enough that every rare feature recurs (each comes every <= 10 subscriptions of ~200 apps)


def rows(folder: Path, data_set: str) -> Iterator[dict[str, Any]]:
    with open(folder / f"{data_set}.jsonl", encoding="utf-8") as fh:
        for line in fh:
            yield json.loads(line)


def parent_of(child_id: str, marker: str) -> str:
    return child_id.lower().rsplit(marker, 1)[0]


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerationStats]:
    out = tmp_path_factory.mktemp("tenant")
    return out, generate(APPS, 11, out)


@pytest.fixture(scope="module")
def data(tenant: tuple[Path, GenerationStats]) -> dict[str, list[dict[str, Any]]]:
    folder, _ = tenant
    return {name: list(rows(folder, name)) for name in DATA_SETS}


@pytest.fixture(scope="module")
def manifest(tenant: tuple[Path, GenerationStats]) -> dict[str, Any]:
    return json.loads((tenant[0] / "manifest.json").read_text(encoding="utf-8"))


# -- determinism -------------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path: Path) -> None:
    first, again, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(300, 5, first)
    generate(300, 5, again)
    generate(300, 6, other)
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    assert names == sorted([f"{d}.jsonl" for d in DATA_SETS] + ["manifest.json"])  # no temporary files left
    for name in names:
        assert (first / name).read_bytes() == (again / name).read_bytes(), name
    assert (first / "sites.jsonl").read_bytes() != (other / "sites.jsonl").read_bytes()
    assert (first / "manifest.json").read_bytes() != (other / "manifest.json").read_bytes()


def test_stats_match_the_files(tenant: tuple[Path, GenerationStats], data: dict[str, list[Any]]) -> None:
    folder, stats = tenant
    assert stats.rows == {name: len(data[name]) for name in DATA_SETS}
    assert stats.apps == APPS == sum(1 for r in data["sites"] if r["type"] == "microsoft.web/sites")
    assert stats.slots == sum(1 for r in data["sites"] if r["type"] == "microsoft.web/sites/slots")
    assert stats.subscriptions == len(data["subscriptions"]) == APPS // 200
    assert stats.bytes_written == sum((folder / f"{d}.jsonl").stat().st_size for d in DATA_SETS)


def test_smallest_tenant_still_has_two_subscriptions(tmp_path: Path) -> None:
    stats = generate(1, 0, tmp_path)
    assert (stats.apps, stats.subscriptions) == (1, 2)
    assert len(list(rows(tmp_path, "virtualnetworks"))) >= 4  # a hub and a spoke in each


def test_bad_arguments_raise_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="at least 1"):
        generate(0, 1, tmp_path)
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(InputError, match="not a folder"):
        generate(10, 1, a_file)


# -- shapes --------------------------------------------------------------------------------------------


def test_every_resource_has_id_and_type_in_the_casing_azure_uses(data: dict[str, list[Any]]) -> None:
    for name, resources in data.items():
        for resource in resources:
            assert resource["id"].startswith("/subscriptions/"), (name, resource["id"])
            if name == "kvreferences":
                # ARM's Key Vault reference list has no type (docs/inventory.md); the id tells.
                assert "type" not in resource and "/config/configreferences/appsettings/" in resource["id"]
            elif name in ARM_DATA_SETS:
                assert resource["type"].startswith("Microsoft.Web/sites/"), resource["type"]
            else:
                assert resource["type"] == resource["type"].lower(), resource["type"]  # as Resource Graph
    assert "/resourceGroups/" in data["sites"][0]["id"] and "/Microsoft.Web/sites/" in data["sites"][0]["id"]


def test_ids_are_unique(data: dict[str, list[Any]]) -> None:
    ids = [r["id"].lower() for resources in data.values() for r in resources]
    assert len(ids) == len(set(ids))


def test_arm_children_belong_to_existing_apps_and_slots(data: dict[str, list[Any]]) -> None:
    sites = {s["id"].lower() for s in data["sites"]}
    for data_set, marker in (
        ("vnetconnections", "/virtualnetworkconnections/"),
        ("kvreferences", "/config/configreferences/appsettings/"),
        ("networkconfig", "/networkconfig/"),
    ):
        assert data[data_set], data_set
        for row in data[data_set]:
            assert parent_of(row["id"], marker) in sites, row["id"]
    slot_connections = [r for r in data["vnetconnections"] if "/slots/" in r["id"]]
    assert slot_connections and all(
        r["type"].startswith("Microsoft.Web/sites/slots/") for r in slot_connections
    )


def test_gateways_sit_in_the_gateway_subnet_of_an_existing_vnet(data: dict[str, list[Any]]) -> None:
    vnets = {v["id"].lower(): v for v in data["virtualnetworks"]}
    assert data["virtualnetworkgateways"]
    for gateway in data["virtualnetworkgateways"]:
        subnet_id = gateway["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"]
        assert subnet_id.endswith("/subnets/GatewaySubnet"), subnet_id
        vnet = vnets[parent_of(subnet_id, "/subnets/")]
        names = [s["name"] for s in vnet["properties"]["subnets"]]
        assert "GatewaySubnet" in names
        # The subnet lists the gateway's ip configuration back (azure-facts §3.2).
        gateway_subnet = next(s for s in vnet["properties"]["subnets"] if s["name"] == "GatewaySubnet")
        listed = {c["id"] for c in gateway_subnet["properties"]["ipConfigurations"]}
        assert gateway["properties"]["ipConfigurations"][0]["id"] in listed


def test_subnets_do_not_overlap_and_lie_inside_their_vnet(data: dict[str, list[Any]]) -> None:
    full = 0
    for vnet in data["virtualnetworks"]:
        spaces = [ipaddress.ip_network(p) for p in vnet["properties"]["addressSpace"]["addressPrefixes"]]
        subnets = sorted(
            ipaddress.ip_network(s["properties"]["addressPrefix"]) for s in vnet["properties"]["subnets"]
        )
        for subnet in subnets:
            assert any(subnet.subnet_of(space) for space in spaces), (vnet["name"], subnet)
        for a, b in itertools.pairwise(subnets):  # sorted: any overlap shows between neighbours
            assert not a.overlaps(b), (vnet["name"], a, b)
        used = sum(s.num_addresses for s in subnets)
        if used >= sum(s.num_addresses for s in spaces) - 16:
            full += 1
    assert full, "some VNets should be (nearly) full"


def test_peered_vnets_do_not_overlap_and_hubs_offer_their_gateway(data: dict[str, list[Any]]) -> None:
    vnets = {v["id"].lower(): v for v in data["virtualnetworks"]}
    transit = remote_gateways = 0
    for vnet in data["virtualnetworks"]:
        own = ipaddress.ip_network(vnet["properties"]["addressSpace"]["addressPrefixes"][0])
        for peering in vnet["properties"]["virtualNetworkPeerings"]:
            remote = vnets[peering["properties"]["remoteVirtualNetwork"]["id"].lower()]
            assert not own.overlaps(
                ipaddress.ip_network(remote["properties"]["addressSpace"]["addressPrefixes"][0])
            )
            transit += peering["properties"]["allowGatewayTransit"]
            remote_gateways += peering["properties"]["useRemoteGateways"]
    assert transit and remote_gateways


def test_about_thirty_percent_of_apps_are_on_gateway_required(
    data: dict[str, list[Any]], tenant: tuple[Path, GenerationStats]
) -> None:
    gateway_sites = {
        parent_of(r["id"], "/virtualnetworkconnections/")
        for r in data["vnetconnections"]
        if not r["properties"]["isSwift"] and "/slots/" not in r["id"]
    }
    share = len(gateway_sites) / APPS
    assert 0.25 <= share <= 0.35, share
    assert 0.25 <= tenant[1].gateway_required_share <= 0.35
    regional = [s for s in data["sites"] if s["properties"]["virtualNetworkSubnetId"]]
    assert 0.12 <= len(regional) / len(data["sites"]) <= 0.28


def test_gateway_required_connections_point_at_real_vnets_with_certificates(
    data: dict[str, list[Any]],
) -> None:
    vnet_ids = {v["id"].lower() for v in data["virtualnetworks"]}
    classic_ids = {v["id"].lower() for v in data["classicvirtualnetworks"]}
    root_certificates = {
        c["properties"]["publicCertData"]
        for g in data["virtualnetworkgateways"]
        for c in g["properties"].get("vpnClientConfiguration", {}).get("vpnClientRootCertificates", [])
    }
    connections = [r for r in data["vnetconnections"] if not r["properties"]["isSwift"]]
    on_classic = on_gateway = 0
    for row in connections:
        properties = row["properties"]
        target = properties["vnetResourceId"].lower()
        assert target in vnet_ids | classic_ids, target
        assert row["name"] == target.rsplit("/", 1)[1]
        assert properties["certBlob"].startswith("MII") and len(properties["certThumbprint"]) == 40
        on_classic += target in classic_ids
        on_gateway += properties["certBlob"] in root_certificates
    assert on_classic, "a few apps should still reach a classic VNet"
    assert 0.6 < on_gateway / len(connections) < 0.99, "most, not all, certificates are on the gateway"
    assert any(r["properties"]["resyncRequired"] for r in connections)
    # ARM is not consistent about casing in references; the planner must compare ids case-insensitively.
    assert any(
        r["properties"]["vnetResourceId"] not in {v["id"] for v in data["virtualnetworks"]}
        for r in connections
    )


def test_regional_apps_use_delegated_subnets_in_their_region(data: dict[str, list[Any]]) -> None:
    subnets = {
        s["id"].lower(): (s, v["location"])
        for v in data["virtualnetworks"]
        for s in v["properties"]["subnets"]
    }
    swift_entries = {
        parent_of(r["id"], "/virtualnetworkconnections/"): r
        for r in data["vnetconnections"]
        if r["properties"]["isSwift"]
    }
    regional = [s for s in data["sites"] if s["properties"]["virtualNetworkSubnetId"]]
    assert regional and swift_entries
    for site in regional:
        subnet, location = subnets[site["properties"]["virtualNetworkSubnetId"].lower()]
        assert location == site["location"]
        delegations = [d["properties"]["serviceName"] for d in subnet["properties"]["delegations"]]
        assert delegations == ["Microsoft.Web/serverFarms"]
        assert subnet["properties"]["serviceAssociationLinks"][0]["name"] == "AppServiceLink"
        entry = swift_entries.get(site["id"].lower())
        if entry:  # regional entries are named "<guid>_<subnet>" and point at the subnet (azure-facts §1.1)
            assert entry["name"].endswith("_" + subnet["name"])
            assert entry["properties"]["vnetResourceId"].lower() == subnet["id"].lower()


def test_tenant_has_the_variety_a_real_one_has(data: dict[str, list[Any]]) -> None:
    kinds = {s["kind"] for s in data["sites"]}
    assert {
        "app",
        "app,linux",
        "app,linux,container",
        "app,container,windows",
        "functionapp",
        "functionapp,linux",
    } <= kinds
    skus = {p["sku"]["name"] for p in data["serverfarms"]}
    assert {"F1", "B1", "S1", "P1v2", "P1v3", "EP1", "Y1", "I1v2", "WS1"} <= skus
    plans = data["serverfarms"]
    assert any(p["properties"]["reserved"] for p in plans) and any(p["properties"]["hyperV"] for p in plans)
    assert any(p["sku"]["tier"] == "Dynamic" for p in plans)
    plan_locations = {p["id"].lower(): p["location"] for p in plans}
    sites = data["sites"]
    assert all(plan_locations[s["properties"]["serverFarmId"].lower()] == s["location"] for s in sites)

    gateways = data["virtualnetworkgateways"]
    vpn = [g for g in gateways if g["properties"]["gatewayType"] == "Vpn"]
    skus = {g["properties"]["sku"]["name"] for g in vpn}
    assert {"Basic", "VpnGw1"} <= skus and len(skus) >= 4
    by_subnet: dict[str, set[str]] = {}
    for g in gateways:
        subnet = g["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"].lower()
        by_subnet.setdefault(subnet, set()).add(g["properties"]["gatewayType"])
    assert {"Vpn", "ExpressRoute"} in by_subnet.values(), "a coexistence GatewaySubnet"
    assert {"ExpressRoute"} in by_subnet.values(), "a hub with ExpressRoute only"
    pools = [
        g["properties"]["vpnClientConfiguration"]["vpnClientAddressPool"]["addressPrefixes"][0] for g in vpn
    ]
    assert any(p.startswith("100.64.") for p in pools) and any(p.startswith("172.") for p in pools)
    protocols = [g["properties"]["vpnClientConfiguration"]["vpnClientProtocols"] for g in vpn]
    assert ["SSTP"] in protocols and ["OpenVPN"] in protocols
    assert any("AAD" in g["properties"]["vpnClientConfiguration"]["vpnAuthenticationTypes"] for g in vpn)

    connection_types = {c["properties"]["connectionType"] for c in data["connections"]}
    assert {"IPsec", "ExpressRoute"} <= connection_types
    local_gateways = {g["id"].lower() for g in data["localnetworkgateways"]}
    for c in data["connections"]:
        if c["properties"]["connectionType"] == "IPsec":
            assert c["properties"]["localNetworkGateway2"]["id"].lower() in local_gateways
    assert data["classicvirtualnetworks"] and data["autoscalesettings"]

    apps_by_id = {s["id"].lower(): s for s in sites}
    hub_locations = {
        g["properties"]["ipConfigurations"][0]["properties"]["subnet"]["id"].lower().split("/subnets/")[0]: g[
            "location"
        ]
        for g in gateways
    }
    cross_region = [
        r
        for r in data["vnetconnections"]
        if not r["properties"]["isSwift"]
        and r["properties"]["vnetResourceId"].lower() in hub_locations
        and hub_locations[r["properties"]["vnetResourceId"].lower()]
        != apps_by_id[parent_of(r["id"], "/virtualnetworkconnections/")]["location"]
    ]
    assert cross_region, "some apps reach a VNet in another region"


def test_network_rules_and_vaults_name_subnets_with_the_matching_service_endpoint(
    data: dict[str, list[Any]],
) -> None:
    endpoints = {
        s["id"].lower(): {e["service"] for e in s["properties"]["serviceEndpoints"]}
        for v in data["virtualnetworks"]
        for s in v["properties"]["subnets"]
    }

    def rules_of(resource: dict[str, Any]) -> list[str]:
        p = resource["properties"]
        found = p.get("networkAcls", {}).get("virtualNetworkRules") or p.get("virtualNetworkRules")
        found = found or p.get("networkRuleSet", {}).get("virtualNetworkRules") or []
        return [r["id"].lower() for r in found]

    service = {
        "microsoft.storage/storageaccounts": "Microsoft.Storage",
        "microsoft.documentdb/databaseaccounts": "Microsoft.AzureCosmosDB",
        "microsoft.containerregistry/registries": "Microsoft.ContainerRegistry",
        "microsoft.keyvault/vaults": "Microsoft.KeyVault",
    }
    types = set()
    for resource in data["networkrules"] + data["vaults"]:
        types.add(resource["type"])
        for subnet_id in rules_of(resource):
            assert service[resource["type"]] in endpoints[subnet_id], (resource["name"], subnet_id)
    assert set(service) == types
    assert any(v["properties"]["networkAcls"]["defaultAction"] == "Deny" for v in data["vaults"])
    assert any(v["properties"]["networkAcls"]["defaultAction"] == "Allow" for v in data["vaults"])
    vaults = {v["name"] for v in data["vaults"]}
    assert all(r["properties"]["vaultName"] in vaults for r in data["kvreferences"])


# -- manifest ------------------------------------------------------------------------------------------


def test_manifest_records_the_calls_scan_would_make(
    data: dict[str, list[Any]], manifest: dict[str, Any]
) -> None:
    assert manifest["schema"] == "vnet-planner/inventory@1"
    # The scanner's own selection of per-app calls, so the two cannot drift apart.
    tasks, warnings = select_tasks(data["sites"], data["serverfarms"])
    assert not warnings
    expected: dict[str, set[str]] = {}
    for task in tasks:
        expected.setdefault(task.call.value, set()).add(task.app.id.lower())
    assert set(expected) == set(manifest["arm"])
    all_failed = []
    for name, call in manifest["arm"].items():
        fetched = {i.lower() for i in call["fetched"]}
        failed = {f["id"].lower() for f in call["failed"]}
        assert fetched | failed == expected[name], name
        assert not fetched & failed
        all_failed += call["failed"]
    assert all_failed and all(f["status"] == 429 and "429" in f["reason"] for f in all_failed)
    assert manifest["partial"] is True
    # A failed call leaves no rows, so the planner sees "unknown", not "none".
    for name, data_set, marker in (
        ("virtualNetworkConnections", "vnetconnections", "/virtualnetworkconnections/"),
        ("keyVaultReferences", "kvreferences", "/config/configreferences/appsettings/"),
        ("networkConfig", "networkconfig", "/networkconfig/"),
    ):
        read = {i.lower() for i in manifest["arm"][name]["fetched"]}
        assert {parent_of(r["id"], marker) for r in data[data_set]} <= read, name


def test_manifest_counts_queries_and_subscriptions(
    data: dict[str, list[Any]], manifest: dict[str, Any]
) -> None:
    assert manifest["queries"]["sites"]["rows"] == len(data["sites"])
    assert manifest["queries"]["sites"]["pages"] == -(-len(data["sites"]) // 1000)
    assert "vnetconnections" not in manifest["queries"]  # ARM calls, not queries
    assert [s["id"] for s in manifest["subscriptions"]] == [
        s["subscriptionId"] for s in data["subscriptions"]
    ]
    assert all(s["status"] == "ok" for s in manifest["subscriptions"])


# -- read by the planner ---------------------------------------------------------------------------------

# Every code of the catalogue but these, which the generator does not build (each a rare shape):
NOT_GENERATED = {
    "LINUX": "a Linux app left with a gateway-required connection: rare, and covered by the Contoso sample",
    "WINDOWS_CONTAINER": "Windows containers on gateway-required integration: covered by the Contoso sample",
    "TOO_MANY_SUBNETS": "one plan reaching more VNets than its OS allows: covered by the Contoso sample",
}
PLANNER_CODES = tuple(rule.code for rule in RULES if rule.code not in NOT_GENERATED)


def test_the_planner_reads_the_tenant_as_generated_and_meets_every_code(
    tenant: tuple[Path, GenerationStats], data: dict[str, list[Any]], manifest: dict[str, Any]
) -> None:
    plan = run_plan(tenant[0], Settings(as_of=date(2026, 11, 29)))
    inventory = plan["inventory"]
    assert inventory["unknown_types"] == {} and inventory["manifest"] is True
    assert inventory["resources"] == sum(len(rows) for rows in data.values())
    assert plan["summary"]["apps_total"] == len(data["sites"])
    integration = {a["id"].lower(): a["integration"] for a in plan["apps"]}
    gateway_required = {
        parent_of(r["id"], "/virtualnetworkconnections/")
        for r in data["vnetconnections"]
        if not r["properties"]["isSwift"]
    }
    assert {i for i, kind in integration.items() if kind == "gateway-required"} == gateway_required
    # Only throttled calls leave an app undecided (regional apps are known from Resource Graph anyway).
    failed = {f["id"].lower() for f in manifest["arm"]["virtualNetworkConnections"]["failed"]}
    unknown = {i for i, kind in integration.items() if kind == "unknown"}
    assert unknown and unknown <= failed
    summary = plan["summary"]
    counts = {**summary["limitations"], **summary["blockers"], **summary["findings"]}
    assert [code for code in PLANNER_CODES if not counts.get(code)] == []
    assert summary["gateways_decommissionable"] + summary["gateways_to_verify"] >= 1
    assert summary["gateways"] > summary["gateways_decommissionable"]


# -- CLI ------------------------------------------------------------------------------------------------


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Keeps `sample` a subcommand, as in the real CLI."""

    cli_sample.register(app)
    return app


def test_sample_command_writes_an_inventory_and_prints_stats(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli(), ["sample", "--apps", "40", "--seed", "3", "--out", str(tmp_path / "inv")]
    )
    assert result.exit_code == 0, result.output
    assert "40 apps" in result.output and "gateway-required" in result.output
    assert (tmp_path / "inv" / "manifest.json").is_file()
    assert sum(1 for _ in rows(tmp_path / "inv", "sites")) >= 40


def test_sample_command_rejects_bad_input_with_exit_code_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli(), ["sample", "--apps", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = CliRunner().invoke(cli(), ["sample", "--apps", "5", "--out", str(not_a_folder)])
    assert result.exit_code == 2
    assert "not a folder" in result.output


# -- benchmark --------------------------------------------------------------------------------------------


def test_benchmark_times_every_stage_on_a_small_tenant(tmp_path: Path) -> None:
    """benchmarks/plan.py keeps working as the pipeline changes (docs/performance.md is made with it)."""
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "plan.py"
    results = tmp_path / "results.json"
    command = [sys.executable, str(script), "--sizes", "150", "--formats", "json,csv"]
    command += ["--work", str(tmp_path), "--json", str(results)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    [result] = json.loads(results.read_text(encoding="utf-8"))
    stages = [row["stage"] for row in result["stages"]]
    assert stages[:4] == ["read", "model", "analyse", "plan"]
    assert {"render plan.json", "render apps.csv", "render gateways.csv"} <= set(stages)
    assert result["errors"] == []
    assert all(row["seconds"] >= 0 and row["peak_rss_mb"] > 0 for row in result["stages"])
    assert result["lower_bound"]["cpu_seconds"] > 0
    assert "total / lower bound" in completed.stdout


def test_gateway_share_makes_a_migration_heavy_tenant(tmp_path: Path) -> None:
    stats = generate(600, 5, tmp_path / "heavy", gateway_share=0.85)
    assert stats.gateway_required_share >= 0.75  # slots of gateway-required sites come on top
    manifest = json.loads((tmp_path / "heavy" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator"]["gateway_share"] == 0.85
    again = generate(600, 5, tmp_path / "again", gateway_share=0.85)
    assert (tmp_path / "heavy" / "sites.jsonl").read_bytes() == (
        tmp_path / "again" / "sites.jsonl"
    ).read_bytes()
    assert again.gateway_required == stats.gateway_required


def test_gateway_share_out_of_range_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli_app, ["sample", "--apps", "10", "--gateway-share", "1.5", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 2 and "--gateway-share: must be between 0 and 1" in result.output
    assert not (tmp_path / "x").exists()
