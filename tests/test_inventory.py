"""The loader: every file shape, case-insensitive types, duplicates, unknown types, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import factory as f
import pytest

from planner.core.errors import InputError
from planner.inventory import loader as inv
from planner.inventory.loader import load_inventory
from planner.inventory.model import build_tenant


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_every_shape_in_nested_folders(tmp_path: Path) -> None:
    resources = f.base_tenant()
    _write(tmp_path / "a" / "array.json", json.dumps(resources[:2]))
    _write(
        tmp_path / "b" / "c" / "graph.json",
        json.dumps({"data": resources[2:3], "count": 1, "$skipToken": None}),
    )
    _write(tmp_path / "arm.json", json.dumps({"value": resources[3:5], "nextLink": None}))
    _write(tmp_path / "lines.jsonl", "\n".join(json.dumps(r) for r in resources[5:]) + "\n\n")
    raw = load_inventory(tmp_path)
    assert raw.files == 4
    assert raw.resources == len(resources)
    assert len(raw.of_type(inv.SITE)) == 1
    assert len(raw.of_type(inv.VNET_CONNECTION)) == 1


def test_jsonl_inside_a_json_file(tmp_path: Path) -> None:
    _write(tmp_path / "x.json", "\n".join(json.dumps(r) for r in f.base_tenant()))
    assert load_inventory(tmp_path).resources == len(f.base_tenant())


def test_single_file_and_single_resource(tmp_path: Path) -> None:
    file = _write(tmp_path / "one.json", json.dumps(f.site()))
    raw = load_inventory(file)
    assert list(raw.by_type) == [inv.SITE]


def test_types_match_case_insensitively_and_ids_merge(tmp_path: Path) -> None:
    upper = f.site()
    upper["type"] = "Microsoft.Web/Sites"
    lower = f.site()
    lower["id"] = lower["id"].lower()
    lower["properties"]["virtualNetworkSubnetId"] = f.VNET_ID + "/subnets/x"
    del upper["tags"]
    _write(tmp_path / "a.json", json.dumps([upper, lower]))
    raw = load_inventory(tmp_path)
    assert raw.duplicates_merged == 1
    [site] = raw.of_type(inv.SITE)
    assert site["tags"] == {"env": "prod"}  # filled from the second copy
    assert site["properties"]["virtualNetworkSubnetId"].endswith("/subnets/x")


def test_unknown_types_are_counted_not_read(tmp_path: Path) -> None:
    disk = {
        "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.Compute/disks/d1",
        "type": "microsoft.compute/disks",
    }
    _write(tmp_path / "a.json", json.dumps([f.site(), disk, disk | {"id": disk["id"] + "2"}]))
    raw = load_inventory(tmp_path)
    assert raw.unknown_types == {"microsoft.compute/disks": 2}


def test_network_ruled_resource_of_any_type(tmp_path: Path) -> None:
    cosmos = {
        "id": "/subscriptions/s/resourceGroups/r/providers/Microsoft.DocumentDB/databaseAccounts/c1",
        "type": "microsoft.documentdb/databaseaccounts",
        "properties": {
            "isVirtualNetworkFilterEnabled": True,
            "virtualNetworkRules": [{"id": f.VNET_ID + "/subnets/a"}],
        },
    }
    _write(tmp_path / "a.json", json.dumps([cosmos]))
    tenant = build_tenant(load_inventory(tmp_path))
    [rule] = tenant.vnet_rules_by_vnet[f.VNET_ID.lower()]
    assert rule.restricted is True
    assert rule.field == "properties.virtualNetworkRules[0]"
    assert tenant.vnet_rules_by_subnet[(f.VNET_ID + "/subnets/a").lower()] == [rule]


def test_kv_reference_without_type_is_recognised(tmp_path: Path) -> None:
    _write(tmp_path / "kv.json", json.dumps({"value": [f.kv_reference("Secret1", "kv1")]}))
    tenant = build_tenant(load_inventory(tmp_path))
    [reference] = tenant.kv_references[f.APP_ID.lower()]
    assert (reference.setting, reference.vault_name) == ("Secret1", "kv1")


def test_slot_children_link_to_the_slot(tmp_path: Path) -> None:
    slot_id = f.APP_ID + "/slots/stage"
    slot = f.site(app_id=slot_id)
    slot["type"] = "microsoft.web/sites/slots"
    slot["name"] = "app1/stage"
    connection = f.vnet_connection(app_id=slot_id)
    connection["type"] = "Microsoft.Web/sites/slots/virtualNetworkConnections"
    _write(tmp_path / "a.json", json.dumps([f.site(), slot, connection]))
    tenant = build_tenant(load_inventory(tmp_path))
    assert tenant.apps[slot_id.lower()].name == "app1/stage"
    assert tenant.apps[slot_id.lower()].slot == "stage"
    assert slot_id.lower() in tenant.vnet_connections
    assert f.APP_ID.lower() not in tenant.vnet_connections


def test_cert_blob_is_never_kept(tmp_path: Path) -> None:
    _write(tmp_path / "a.json", json.dumps(f.base_tenant()))
    tenant = build_tenant(load_inventory(tmp_path))
    [connection] = tenant.vnet_connections[f.APP_ID.lower()]
    assert f.CERT not in repr(connection)
    assert connection.cert_digest and len(connection.cert_digest) == 64


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (
            '[{"id": "x", "type": "microsoft.web/sites"',
            "bad.json",
            "bad.json, line 1, column 43: invalid JSON",
        ),
        ('{"id": "a", "type": "t"}\n{"id": ', "bad.jsonl", "bad.jsonl, line 2, column 8: invalid JSON"),
        ('[{"type": "microsoft.web/sites"}]', "noid.json", "noid.json, [0], field 'id': missing or empty"),
        ('{"value": [{"id": "x"}]}', "notype.json", "notype.json, value[0], field 'type': missing or empty"),
        ('{"data": {"id": "x"}}', "notarray.json", "field 'data': must be an array"),
        ("[1, 2]", "scalar.json", "scalar.json, [0]: a resource must be a JSON object"),
        ('{"foo": []}', "shape.json", "expected a JSON array"),
        (
            '[{"id": "x", "type": "microsoft.web/sites", "properties": []}]',
            "props.json",
            "field 'properties': must be an object",
        ),
    ],
)
def test_bad_files(tmp_path: Path, content: str, filename: str, message: str) -> None:
    _write(tmp_path / filename, content)
    with pytest.raises(InputError) as error:
        load_inventory(tmp_path)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    ("resource", "field"),
    [
        (f.site(reserved="maybe"), "properties.reserved"),
        (f.plan(capacity="two"), "sku.capacity"),  # type: ignore[arg-type]
        (f.site(serverFarmId=42), "properties.serverFarmId"),
        (f.vnet(space="10.0.0.0/16"), "properties.addressSpace.addressPrefixes"),  # type: ignore[arg-type]
        (f.vnet_connection(resyncRequired="soon"), "properties.resyncRequired"),
    ],
)
def test_wrong_field_types_name_file_position_and_field(tmp_path: Path, resource: dict, field: str) -> None:
    _write(tmp_path / "inv.json", json.dumps([f.subscription(), resource]))
    with pytest.raises(InputError) as error:
        build_tenant(load_inventory(tmp_path))
    text = str(error.value)
    assert "inv.json, [1]" in text
    assert f"field '{field}'" in text


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_inventory(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no \*\.json"):
        load_inventory(tmp_path)


def test_manifest_coverage_and_failures(tmp_path: Path) -> None:
    manifest = f.manifest([f.APP_ID], failed={"keyVaultReferences": [f.APP_ID]})
    f.write(tmp_path, f.base_tenant(), manifest)
    tenant = build_tenant(load_inventory(tmp_path))
    assert tenant.was_read("virtualNetworkConnections", f.APP_ID.upper()) is True
    assert tenant.was_read("keyVaultReferences", f.APP_ID) is False
    assert "429" in (tenant.failure_reason("keyVaultReferences", f.APP_ID) or "")


def test_bad_manifest_field(tmp_path: Path) -> None:
    f.write(tmp_path, f.base_tenant(), {"arm": {"virtualNetworkConnections": {"fetched": "all"}}})
    with pytest.raises(InputError, match=r"field 'arm\.virtualNetworkConnections\.fetched'"):
        build_tenant(load_inventory(tmp_path))


def test_hand_built_inventory_without_manifest_is_assumed_and_said(tmp_path: Path) -> None:
    f.write(tmp_path, f.base_tenant(), {})
    tenant = build_tenant(load_inventory(tmp_path))
    assert any("assuming" in w for w in tenant.warnings)


def test_a_plan_given_as_inventory_is_named_as_such(tmp_path: Path) -> None:
    _write(tmp_path / "plan.json", json.dumps({"schema": "vnet-planner/plan@1", "apps": []}))
    with pytest.raises(InputError, match=r"plan\.json written by `plan`, not an inventory"):
        load_inventory(tmp_path)


def test_partial_scan_is_said(tmp_path: Path) -> None:
    f.write(tmp_path, f.base_tenant(), {**f.manifest([f.APP_ID]), "partial": True})
    tenant = build_tenant(load_inventory(tmp_path))
    assert any("partial" in w for w in tenant.warnings)


# --- issue 17, cases 2 and 3: what each shell writes, and outputs appended with `>>` ------------

SHELLS = Path(__file__).parent / "fixtures" / "shells"  # written by tests/fixtures/shells/build.py


@pytest.mark.parametrize(
    ("name", "types"),
    [
        ("ps51-graph.json", {inv.SITE: 1}),  # Windows PowerShell 5.1 `>`: UTF-16 LE with a BOM, CRLF
        ("ps51-rest-pages.json", {inv.VNET: 2}),  # 5.1 `>` then `>>`: two ARM pages, one BOM
        ("ps7-arm.json", {inv.GATEWAY: 1}),  # PowerShell 7 `>`: UTF-8 without a BOM, CRLF
        ("ps51-utf8-bom.json", {inv.VNET_CONNECTION: 1}),  # Out-File -Encoding utf8: UTF-8 with a BOM
        ("bash-append.json", {inv.PLAN: 2}),  # bash `>` then `>>`: two Resource Graph pages
        ("cmd-type.json", {inv.SUBSCRIPTION: 1, inv.NETWORK_CONFIG: 1}),  # cmd `type a b > c`: a BOM mid-file
    ],
)
def test_each_shells_output_is_read_whole(name: str, types: dict[str, int]) -> None:
    raw = load_inventory(SHELLS / name)
    assert {t: len(raw.of_type(t)) for t in types} == types
    assert raw.gaps == []  # appended pages complete the first ones


def test_a_tenant_saved_by_several_shells_plans_like_the_original(tmp_path: Path) -> None:
    from planner.plan.pipeline import run_plan

    folder = tmp_path / "inv"
    folder.mkdir()
    for name in (
        "ps51-graph.json",
        "ps51-rest-pages.json",
        "ps7-arm.json",
        "ps51-utf8-bom.json",
        "bash-append.json",
        "cmd-type.json",
    ):
        (folder / name).write_bytes((SHELLS / name).read_bytes())
    (folder / "manifest.json").write_text(json.dumps(f.manifest([f.APP_ID])), encoding="utf-8")
    plan = run_plan(folder)
    original = run_plan(f.write(tmp_path / "original", f.base_tenant()))
    app, same = plan["apps"][0], original["apps"][0]
    assert (app["integration"], app["readiness"], app["blockers"]) == (
        same["integration"],
        same["readiness"],
        same["blockers"],
    )
    assert plan["inventory"]["complete"] is True
    assert plan["gateways"][0]["decommission"] == "yes"


def test_an_appended_arm_page_that_is_not_the_next_one_leaves_the_gap(tmp_path: Path) -> None:
    text = (SHELLS / "ps51-rest-pages.json").read_bytes()[2:].decode("utf-16-le")
    first, _, _ = text.partition("}\r\n{")
    # The same first page appended twice: the second repeats the first's items, so the list is not done.
    _write(tmp_path / "twice.json", first + "}\n" + first + "}\n")
    gaps = load_inventory(tmp_path / "twice.json").gaps
    assert len(gaps) == 2  # each copy points to a page that is not there
    assert all(g.types == {inv.VNET} and "nextLink" in g.reason for g in gaps)
    # A page of another list (its items are not under the nextLink's path) does not answer it either.
    other = json.dumps({"value": [f.site()], "nextLink": None})
    _write(tmp_path / "other.json", first + "}\n" + other)
    assert len(load_inventory(tmp_path / "other.json").gaps) == 1


def test_arrays_and_resources_appended_are_their_union(tmp_path: Path) -> None:
    resources = f.base_tenant()
    text = json.dumps(resources[:3]) + json.dumps(resources[3]) + "\n\n" + json.dumps({"data": resources[4:]})
    raw = load_inventory(_write(tmp_path / "joined.json", text))
    assert raw.resources == len(resources)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "ps51-set-content.json",
            "ps51-set-content.json, byte 368: not UTF-8 text: byte 0xe9 does not decode",
        ),
        ("utf16-no-bom.json", "utf16-no-bom.json, byte 1: not UTF-8 text: a NUL byte"),
        ("cut-append.json", "cut-append.json, line 17, column 5: invalid JSON"),
    ],
)
def test_what_no_shell_should_write_is_refused_in_one_line(name: str, message: str) -> None:
    with pytest.raises(InputError) as error:
        load_inventory(SHELLS / "refused" / name)
    assert message in str(error.value)
    assert "UTF-16 with a byte order mark" in str(error.value) or "invalid JSON" in str(error.value)
    assert "\n" not in str(error.value)


def test_utf16_big_endian_with_a_bom_and_utf32_refused(tmp_path: Path) -> None:
    text = json.dumps(f.base_tenant())
    assert (
        load_inventory(_write_bytes(tmp_path / "be.json", b"\xfe\xff" + text.encode("utf-16-be"))).resources
        == 7
    )
    with pytest.raises(InputError, match="UTF-32"):
        load_inventory(
            _write_bytes(tmp_path / "x" / "32.json", b"\xff\xfe\x00\x00" + text.encode("utf-32-le"))
        )


def _write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
