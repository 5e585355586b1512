"""Table-driven pass/fail/unknown cases for every rule, over small inventory fragments.

Each case starts from `factory.base_tenant()` (one ready app), changes what the case is about,
runs the real pipeline and checks one code's verdict and its evidence. Adding a case from a bug
report is one entry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import factory as f
import pytest

from planner.analysis.rules import GATEWAY_USES, RULES
from planner.analysis.rules.base import Kind
from planner.plan.pipeline import run_plan
from planner.render.common import expanded_evidence

Resources = list[dict[str, Any]]
OTHER_VNET = f"{f.RG}/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-other"
CLASSIC = f"{f.RG}/rg-old/providers/Microsoft.ClassicNetwork/virtualNetworks/classic1"


def same(r: Resources) -> Resources:
    return r


def swap(resource_id: str, new: dict[str, Any]) -> Callable[[Resources], Resources]:
    return lambda r: f.replace(r, resource_id, new)


def add(*extra: dict[str, Any]) -> Callable[[Resources], Resources]:
    return lambda r: [*r, *extra]


def drop(type_: str) -> Callable[[Resources], Resources]:
    return lambda r: [x for x in r if x.get("type", "").lower() != type_]


def chain(*steps: Callable[[Resources], Resources]) -> Callable[[Resources], Resources]:
    def run(r: Resources) -> Resources:
        for step in steps:
            r = step(r)
        return r

    return run


def full_vnet() -> dict[str, Any]:
    return f.vnet(
        space=["10.50.0.0/24"],
        subnets=[
            f.subnet(f.VNET_ID, "GatewaySubnet", "10.50.0.0/27"),
            f.subnet(f.VNET_ID, "a", "10.50.0.32/27"),
            f.subnet(f.VNET_ID, "b", "10.50.0.64/26"),
            f.subnet(f.VNET_ID, "c", "10.50.0.128/25"),
        ],
    )


def _plan_reaching(vnets: int, base: Resources | None = None) -> Resources:
    resources = base if base is not None else f.base_tenant()
    for n in range(2, vnets + 1):
        vnet_id = f.VNET_ID.replace("vnet-hub", f"vnet-{n}")
        app_id = f.APP_ID.replace("app1", f"app{n}")
        resources += [
            f.vnet(vnet_id, space=[f"10.{n}.0.0/16"]),
            f.gateway(f.GW_ID + str(n), vnet_id=vnet_id),
            f.site(app_id),
            f.vnet_connection(app_id, vnet_id),
            f.network_config(app_id),
        ]
    return resources


# (case id, code, change to the base tenant, expected status, evidence field expected on "yes")
CASES: list[tuple[str, str, Callable[[Resources], Resources], str, str | None]] = [
    ("er-none", "EXPRESSROUTE", same, "no", None),
    (
        "er-gateway",
        "EXPRESSROUTE",
        add(f.gateway(f.GW_ID + "-er", gateway_type="ExpressRoute", sku="ErGw1AZ")),
        "yes",
        "properties.gatewayType",
    ),
    (
        "er-connection",
        "EXPRESSROUTE",
        add(f.connection("er-conn", "ExpressRoute")),
        "yes",
        "properties.connectionType",
    ),
    ("er-vnet-missing", "EXPRESSROUTE", drop("microsoft.network/virtualnetworks"), "unknown", None),
    ("coex-none", "COEXISTENCE", same, "no", None),
    (
        "coex-both",
        "COEXISTENCE",
        add(f.gateway(f.GW_ID + "-er", gateway_type="ExpressRoute", sku="ErGw1AZ")),
        "yes",
        "properties.gatewayType",
    ),
    ("linux-no", "LINUX", same, "no", None),
    ("linux-kind", "LINUX", swap(f.APP_ID, f.site(kind="app,linux")), "yes", "kind"),
    ("linux-reserved", "LINUX", swap(f.APP_ID, f.site(reserved=True)), "yes", "properties.reserved"),
    ("linux-plan-reserved", "LINUX", swap(f.PLAN_ID, f.plan(reserved=True)), "yes", "properties.reserved"),
    ("wc-no", "WINDOWS_CONTAINER", same, "no", None),
    ("wc-hyperv", "WINDOWS_CONTAINER", swap(f.APP_ID, f.site(hyperV=True)), "yes", "properties.hyperV"),
    ("wc-kind", "WINDOWS_CONTAINER", swap(f.APP_ID, f.site(kind="app,container,windows")), "yes", "kind"),
    ("wc-xenon", "WINDOWS_CONTAINER", swap(f.APP_ID, f.site(isXenon=True)), "yes", "properties.isXenon"),
    ("se-none", "SERVICE_ENDPOINTS", same, "no", None),
    (
        "se-storage-deny",
        "SERVICE_ENDPOINTS",
        add(f.storage("st1", f.VNET_ID + "/subnets/workload")),
        "yes",
        "properties.networkAcls.virtualNetworkRules[0]",
    ),
    (
        "se-storage-allow",
        "SERVICE_ENDPOINTS",
        add(f.storage("st1", f.VNET_ID + "/subnets/workload", "Allow")),
        "no",
        None,
    ),
    (
        "se-other-vnet",
        "SERVICE_ENDPOINTS",
        add(f.storage("st1", OTHER_VNET + "/subnets/workload")),
        "no",
        None,
    ),
    (
        "se-vnet-not-in-inventory-still-decided",
        "SERVICE_ENDPOINTS",
        chain(drop("microsoft.network/virtualnetworks"), add(f.storage("st1", f.VNET_ID + "/subnets/x"))),
        "yes",
        "properties.networkAcls.virtualNetworkRules[0]",
    ),
    ("kv-none", "KEYVAULT_REFERENCES", same, "no", None),
    (
        "kv-deny",
        "KEYVAULT_REFERENCES",
        add(f.vault("kv-locked"), f.kv_reference("DbPassword", "kv-locked")),
        "yes",
        "properties.networkAcls.defaultAction",
    ),
    (
        "kv-public-disabled",
        "KEYVAULT_REFERENCES",
        add(
            f.vault("kv-private", default_action="Allow", public="Disabled"),
            f.kv_reference("S", "kv-private"),
        ),
        "yes",
        "properties.publicNetworkAccess",
    ),
    (
        "kv-open",
        "KEYVAULT_REFERENCES",
        add(f.vault("kv-open", default_action="Allow"), f.kv_reference("S", "kv-open")),
        "no",
        None,
    ),
    ("kv-vault-missing", "KEYVAULT_REFERENCES", add(f.kv_reference("S", "kv-elsewhere")), "unknown", None),
    ("xr-same", "CROSS_REGION", same, "no", None),
    ("xr-other", "CROSS_REGION", swap(f.APP_ID, f.site(location="northeurope")), "yes", "location"),
    ("xr-spaced-name", "CROSS_REGION", swap(f.APP_ID, f.site(location="West Europe")), "no", None),
    ("classic-no", "CLASSIC_VNET", same, "no", None),
    (
        "classic-yes",
        "CLASSIC_VNET",
        swap(f.vnet_connection()["id"], f.vnet_connection(vnet_id=CLASSIC)),
        "yes",
        "properties.vnetResourceId",
    ),
    ("space-free", "NO_SUBNET_SPACE", same, "no", None),
    (
        "space-full",
        "NO_SUBNET_SPACE",
        swap(f.VNET_ID, full_vnet()),
        "yes",
        "properties.addressSpace.addressPrefixes",
    ),
    ("space-vnet-missing", "NO_SUBNET_SPACE", drop("microsoft.network/virtualnetworks"), "unknown", None),
    ("tms-one", "TOO_MANY_SUBNETS", same, "no", None),
    ("tms-two", "TOO_MANY_SUBNETS", lambda r: _plan_reaching(2, r), "no", None),
    (
        "tms-three",
        "TOO_MANY_SUBNETS",
        lambda r: _plan_reaching(3, r),
        "yes",
        "integration subnets after the move",
    ),
    ("plan-ok", "PLAN_UNSUPPORTED", same, "no", None),
    (
        "plan-old-scale-unit",
        "PLAN_UNSUPPORTED",
        swap(f.network_config()["id"], f.network_config(swift=False)),
        "yes",
        "properties.swiftSupported",
    ),
    ("plan-swift-not-read", "PLAN_UNSUPPORTED", drop("microsoft.web/sites/networkconfig"), "unknown", None),
    (
        "plan-premium",
        "PLAN_UNSUPPORTED",
        chain(
            swap(f.PLAN_ID, f.plan(tier="PremiumV3", sku="P1v3")), drop("microsoft.web/sites/networkconfig")
        ),
        "no",
        None,
    ),
    (
        "plan-isolated",
        "PLAN_UNSUPPORTED",
        swap(f.PLAN_ID, f.plan(tier="Isolated", sku="I1")),
        "yes",
        "sku.tier",
    ),
    ("plan-missing", "PLAN_UNSUPPORTED", drop("microsoft.web/serverfarms"), "unknown", None),
    ("pool-private", "P2S_POOL_NOT_RFC1918", same, "no", None),
    (
        "pool-cgnat",
        "P2S_POOL_NOT_RFC1918",
        swap(f.GW_ID, f.gateway(pools=["100.64.10.0/24"])),
        "yes",
        "properties.vpnClientConfiguration.vpnClientAddressPool.addressPrefixes",
    ),
    ("pool-172-32", "P2S_POOL_NOT_RFC1918", swap(f.GW_ID, f.gateway(pools=["172.32.0.0/24"])), "yes", None),
    ("resync-no", "RESYNC_REQUIRED", same, "no", None),
    (
        "resync-yes",
        "RESYNC_REQUIRED",
        swap(f.vnet_connection()["id"], f.vnet_connection(resyncRequired=True)),
        "yes",
        "properties.resyncRequired",
    ),
    ("gw-found", "GATEWAY_NOT_FOUND", same, "no", None),
    (
        "gw-missing",
        "GATEWAY_NOT_FOUND",
        drop("microsoft.network/virtualnetworkgateways"),
        "yes",
        "subnets/GatewaySubnet",
    ),
    (
        "gw-no-sstp",
        "GATEWAY_NOT_FOUND",
        swap(f.GW_ID, f.gateway(protocols=["IkeV2", "OpenVPN"])),
        "yes",
        "properties.vpnClientConfiguration.vpnClientProtocols",
    ),
    ("gw-vnet-missing", "GATEWAY_NOT_FOUND", drop("microsoft.network/virtualnetworks"), "unknown", None),
]


def _verdict(plan: dict[str, Any], code: str) -> tuple[str, list[dict[str, Any]]]:
    app = next(a for a in plan["apps"] if a["id"] == f.APP_ID)
    if code in app["limitations"] + app["blockers"] + app["findings"]:
        return "yes", [e for e in expanded_evidence(plan, app) if e["code"] == code]
    if code in [u["code"] for u in app["unknown"]]:
        return "unknown", []
    return "no", []


@pytest.mark.parametrize(("case", "code", "change", "expected", "field"), CASES, ids=[c[0] for c in CASES])
def test_rule(
    tmp_path: Path,
    case: str,
    code: str,
    change: Callable[[Resources], Resources],
    expected: str,
    field: str | None,
) -> None:
    folder = f.write(tmp_path / case, change(f.base_tenant()))
    status, evidence = _verdict(run_plan(folder), code)
    assert status == expected
    if expected == "yes":
        assert evidence, "a yes verdict carries evidence"
        assert all(e["resource_id"] for e in evidence)
        if field:
            assert field in {e["field"] for e in evidence}


def test_every_rule_has_a_yes_and_a_no_case() -> None:
    for rule in RULES:
        outcomes = {c[3] for c in CASES if c[1] == rule.code}
        assert {"yes", "no"} <= outcomes, rule.code


def test_every_rule_is_documented() -> None:
    for rule in RULES:
        assert rule.finds and rule.why and rule.fix, rule.code
        assert rule.learn.startswith("https://learn.microsoft.com/"), rule.code


def test_unknown_carries_a_reason(tmp_path: Path) -> None:
    folder = f.write(tmp_path, drop("microsoft.network/virtualnetworks")(f.base_tenant()))
    app = run_plan(folder)["apps"][0]
    reasons = {u["code"]: u["reason"] for u in app["unknown"]}
    assert "vnet-hub" in reasons["EXPRESSROUTE"].lower()
    assert app["readiness"] == "needs-work"  # an undecided blocker is not "ready"


@pytest.mark.parametrize(
    ("change", "readiness"),
    [
        (same, "ready"),
        (swap(f.APP_ID, f.site(location="northeurope")), "blocked"),
        (
            swap(f.vnet_connection()["id"], f.vnet_connection(resyncRequired=True)),
            "ready",
        ),  # findings: no steps
        (add(f.vault("kv-locked"), f.kv_reference("DbPassword", "kv-locked")), "needs-work"),
        (swap(f.APP_ID, f.site(kind="app,linux")), "ready"),  # the move is what fixes LINUX
    ],
)
def test_readiness(tmp_path: Path, change: Callable[[Resources], Resources], readiness: str) -> None:
    folder = f.write(tmp_path, change(f.base_tenant()))
    assert run_plan(folder)["apps"][0]["readiness"] == readiness


@pytest.mark.parametrize(("vnets", "expected"), [(2, False), (3, True)])
def test_too_many_subnets_for_one_plan(tmp_path: Path, vnets: int, expected: bool) -> None:
    plan = run_plan(f.write(tmp_path, _plan_reaching(vnets)))
    flagged = ["TOO_MANY_SUBNETS" in a["blockers"] for a in plan["apps"]]
    assert flagged == [expected] * vnets
    if expected:
        evidence = next(e for e in plan["apps"][0]["evidence"] if e["code"] == "TOO_MANY_SUBNETS")
        assert len(evidence["value"]) == 3


def test_sql_server_vnet_rule_child_resource(tmp_path: Path) -> None:
    server = f"{f.RG}/rg-data/providers/Microsoft.Sql/servers/sql1"
    rule = {
        "id": f"{server}/virtualNetworkRules/allow-workload",
        "type": "Microsoft.Sql/servers/virtualNetworkRules",
        "properties": {"virtualNetworkSubnetId": f.VNET_ID + "/subnets/workload", "state": "Ready"},
    }
    plan = run_plan(f.write(tmp_path, [*f.base_tenant(), rule]))
    app = plan["apps"][0]
    assert "SERVICE_ENDPOINTS" in app["limitations"]
    [summary] = [e for e in app["evidence"] if e["code"] == "SERVICE_ENDPOINTS"]
    assert summary["resource_id"] == f.VNET_ID and summary["value"] == 1  # plan@2: the VNet, once
    [evidence] = [e for e in expanded_evidence(plan, app) if e["code"] == "SERVICE_ENDPOINTS"]
    assert evidence["resource_id"] == server


@pytest.mark.parametrize(
    ("props", "integration"),
    [
        ({"isSwift": True, "vnetResourceId": f.VNET_ID + "/subnets/snet-int"}, "regional"),
        # The regional entry's shape is not documented: a subnet id alone is enough to tell it.
        ({"isSwift": None, "vnetResourceId": f.VNET_ID + "/subnets/snet-int"}, "regional"),
        ({"isSwift": None}, "gateway-required"),
        ({"isSwift": False}, "gateway-required"),
    ],
)
def test_regional_entries_are_not_mistaken_for_gateway_required(
    tmp_path: Path, props: dict, integration: str
) -> None:
    connection = f.vnet_connection(**props)
    resources = f.replace(f.base_tenant(), f.vnet_connection()["id"], connection)
    assert run_plan(f.write(tmp_path, resources))["apps"][0]["integration"] == integration


# -- the catalogue is the one list of codes: everything else is derived from it or checked against it ------

ROOT = Path(__file__).resolve().parent.parent


def _sections(markdown: str) -> dict[str, list[str]]:
    """`## Heading` -> the `### CODE` headings under it, in order."""
    out: dict[str, list[str]] = {}
    current = ""
    for line in markdown.splitlines():
        if line.startswith("## "):
            current = line[3:].strip()
            out[current] = []
        elif line.startswith("### "):
            out.setdefault(current, []).append(line[4:].strip())
    return out


def test_codes_md_has_one_section_per_rule_under_its_kind() -> None:
    sections = _sections((ROOT / "docs" / "codes.md").read_text(encoding="utf-8"))
    for heading, kind in (("Limitations", "limitation"), ("Blockers", "blocker"), ("Findings", "finding")):
        assert sections[heading] == [r.code for r in RULES if r.kind.value == kind], heading


def test_codes_md_lists_every_gateway_use() -> None:
    text = (ROOT / "docs" / "codes.md").read_text(encoding="utf-8").split("## Gateway uses", 1)[1]
    listed = {m for m in re.findall(r"^\| `([A-Z0-9_]+)` \|", text, flags=re.M)}
    assert listed == {use.code for use in GATEWAY_USES}


def test_schema_enums_are_the_catalogue() -> None:
    schema = json.loads((ROOT / "docs" / "plan.schema.json").read_text(encoding="utf-8"))
    app = schema["properties"]["apps"]["items"]["properties"]
    for key, kind in (("limitations", "limitation"), ("blockers", "blocker"), ("findings", "finding")):
        assert app[key]["items"]["enum"] == [r.code for r in RULES if r.kind.value == kind], key
    uses = schema["properties"]["gateways"]["items"]["properties"]["other_uses"]["items"]["enum"]
    assert uses == [use.code for use in GATEWAY_USES]


def test_sample_builder_and_fixture_know_every_code() -> None:
    from planner.plan.build import codes_legend, gateway_uses_legend
    from planner.samples import build_contoso

    assert list(build_contoso.CODES) == [r.code for r in RULES]
    fixture = json.loads((ROOT / "tests" / "fixtures" / "plan_small.json").read_text(encoding="utf-8"))
    assert fixture["codes"] == codes_legend() and fixture["gateway_uses"] == gateway_uses_legend()
    assert all(codes_legend()[r.code]["kind"] == r.kind.value for r in RULES)  # a rule's code has one kind


def test_each_rule_is_complete_and_its_flags_fit_its_kind() -> None:
    assert len({r.code for r in RULES}) == len(RULES)
    assert len({u.code for u in GATEWAY_USES}) == len(GATEWAY_USES)
    for rule in RULES:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]+", rule.code)
        assert rule.title and rule.why and rule.fix and rule.finds and rule.learn.startswith("https://"), (
            rule.code
        )
        assert rule.stage in ("analysis", "placement")
        if rule.needs_work:
            assert rule.kind == Kind.LIMITATION, rule.code
        if rule.runbook_resolves:
            assert rule.kind == Kind.BLOCKER, rule.code
        assert rule.readiness_effect == {Kind.BLOCKER: "blocked"}.get(
            rule.kind, "needs-work" if rule.needs_work else None
        )
    for use in GATEWAY_USES:
        assert use.title and use.meaning and use.fix and use.serves, use.code


def test_reasons_are_said_once(tmp_path: Path) -> None:
    """Issue 17, case 6: two settings that reference the same missing vault give one reason, not two."""
    resources = [
        *f.base_tenant(),
        f.kv_reference("DbPassword", "kv-gone"),
        f.kv_reference("ApiKey", "kv-gone"),
    ]
    plan = run_plan(f.write(tmp_path / "kv", resources))
    [reason] = [u["reason"] for u in plan["apps"][0]["unknown"] if u["code"] == "KEYVAULT_REFERENCES"]
    assert reason == "vault kv-gone is not in the inventory"
    # Two root certificates without data: one weak sign, said once.
    gateway = f.gateway(certs=[])
    client = gateway["properties"]["vpnClientConfiguration"]
    client["vpnClientRootCertificates"] = [{"name": f"cert{i}", "properties": {}} for i in range(2)]
    plan = run_plan(f.write(tmp_path / "gw", f.replace(f.base_tenant(), f.GW_ID, gateway)))
    reason = plan["gateways"][0]["decommission_reason"]
    assert plan["gateways"][0]["decommission"] == "verify"
    assert reason.count("cannot tell whose it is") == 1
