"""Hostile and broken inventories (issue 8, part 1): the CLI plans them or refuses them cleanly.

Hypothesis builds inventories with odd but possible content — missing or null `properties`, values
of unexpected types, mixed-case types and ids, long and non-ASCII names and tags, IPv6 and malformed
prefixes, duplicate and dangling ids, empty and truncated files, broken manifests — and runs
`vnet-planner plan` on each. The oracle: exit 0 with every output present, or exit 2 with exactly
one line on stderr naming the file (and the field where one applies) and no output folder content.
A traceback, exit 1 or a multi-line error is a planner bug.

Runs derandomized (tests/conftest.py's "ci" profile); HYPOTHESIS_PROFILE=explore and
HYPOTHESIS_SCALE=N widen the search locally.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import factory as f
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()
SCALE = int(os.environ.get("HYPOTHESIS_SCALE", "1"))
ALL_FORMATS = "json,csv,xlsx,html,scripts"
OUTPUTS = {
    "json": ["plan.json"],
    "csv": ["apps.csv", "gateways.csv"],
    "xlsx": ["plan.xlsx"],
    "html": ["runbook.html"],
    "scripts": ["scripts"],
}
DELETE = object()

SLOT_ID = f"{f.APP_ID}/slots/stage"
SUBNET_ID = f"{f.VNET_ID}/subnets/workload"


def rich_tenant() -> list[dict[str, Any]]:
    """The factory's one-app tenant plus a slot, a Key Vault reference, a ruled storage account and S2S."""
    slot = f.site(SLOT_ID)
    slot["type"] = "Microsoft.Web/sites/slots"
    slot["name"] = "app1/stage"
    slot_connection = f.vnet_connection(SLOT_ID)
    slot_connection["type"] = "Microsoft.Web/sites/slots/virtualNetworkConnections"
    autoscale = {
        "id": f"{f.RG}/rg-app/providers/microsoft.insights/autoscalesettings/scale1",
        "type": "microsoft.insights/autoscalesettings",
        "name": "scale1",
        "properties": {
            "enabled": True,
            "targetResourceUri": f.PLAN_ID,
            "profiles": [{"capacity": {"minimum": "1", "maximum": "5", "default": "2"}}],
        },
    }
    local = {
        "id": f"{f.RG}/rg-net/providers/Microsoft.Network/localNetworkGateways/onprem",
        "type": "Microsoft.Network/localNetworkGateways",
        "name": "onprem",
        "properties": {"localNetworkAddressSpace": {"addressPrefixes": ["192.168.0.0/16"]}},
    }
    return [
        *f.base_tenant(),
        slot,
        slot_connection,
        f.network_config(SLOT_ID),
        f.vault("kv1"),
        f.kv_reference("DbPassword", "kv1"),
        f.storage("st1", SUBNET_ID),
        f.connection("s2s", "IPsec"),
        autoscale,
        local,
    ]


# ------------------------------------------------------------------------------------ strategies

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "<script>alert(1)</script>",
            '=HYPERLINK("http://x")',
            "[/]",
            "[bold red]x[/bold red]",
            "\u202egnp.exe",
            "\x00\x01\x1f",
            "a\nb\r\nc",
            "名前-ñ-é-😀",
            "../../etc/passwd",
            "%s%n{0}{{}}",
            "$(touch pwned)`id`",
            "'; DROP TABLE x; --",
            "lone \ud800 surrogate",
            "\udfff",
        ]
    ),
    st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(200, 3000)),
)
json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    hostile_text,
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
PREFIXES = [
    "10.0.0.0/16",
    "10.0.0.0/33",
    "10.0.0.1/24",
    "300.1.1.1/24",
    "10.0.0.0",
    "10.0.0.0/",
    "/24",
    "",
    " 10.1.0.0/24 ",
    "0.0.0.0/0",
    "255.255.255.255/32",
    "::/0",
    "fd00::/64",
    "2001:db8::/129",
    "fe80::1%eth0/64",
    "10.0.0.0/8, 172.16.0.0/12",
    "10.0.0.0/-1",
    "１０.0.0.0/16",
    "10.0.0.0/16\n",
]
prefix_value = st.one_of(
    st.sampled_from(PREFIXES), st.lists(st.sampled_from(PREFIXES), max_size=4), json_leaf
)
PREFIX_PATHS: dict[str, list[tuple[Any, ...]]] = {
    "microsoft.network/virtualnetworks": [
        ("properties", "addressSpace", "addressPrefixes"),
        ("properties", "addressSpace", "addressPrefixes", 0),
        ("properties", "subnets", 0, "properties", "addressPrefix"),
        ("properties", "subnets", 1, "properties", "addressPrefix"),
        ("properties", "subnets", 1, "properties", "addressPrefixes"),
    ],
    "microsoft.network/virtualnetworkgateways": [
        ("properties", "vpnClientConfiguration", "vpnClientAddressPool", "addressPrefixes"),
        ("properties", "vpnClientConfiguration", "vpnClientAddressPool", "addressPrefixes", 0),
    ],
    "microsoft.network/localnetworkgateways": [("properties", "localNetworkAddressSpace", "addressPrefixes")],
    "microsoft.web/sites/virtualnetworkconnections": [("properties", "routes")],
}
REFERENCE_PATHS = [
    ("properties", "serverFarmId"),
    ("properties", "vnetResourceId"),
    ("properties", "virtualNetworkSubnetId"),
    ("properties", "virtualNetworkGateway1", "id"),
    ("properties", "targetResourceUri"),
    ("properties", "networkAcls", "virtualNetworkRules", 0, "id"),
    ("properties", "ipConfigurations", 0, "properties", "subnet", "id"),
    ("properties", "vaultName"),
]
DANGLING = [
    "",
    "/",
    "garbage",
    "/subscriptions/",
    "/subscriptions/x/resourceGroups/r/providers/Microsoft.Web/serverfarms/missing",
    "/subscriptions/x/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/missing",
    f"{f.VNET_ID}/subnets/missing",
    f.APP_ID,
    f.VNET_ID.upper(),
]


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    """Set (or delete) a nested field, creating dicts on the way; a no-op where the path is not there."""
    for part in path[:-1]:
        if isinstance(value, dict):
            value = value.setdefault(part, {}) if not isinstance(part, int) else None
        elif isinstance(value, list) and isinstance(part, int) and part < len(value):
            value = value[part]
        else:
            return
    last = path[-1]
    if isinstance(value, dict) and not isinstance(last, int):
        if new is DELETE:
            value.pop(last, None)
        else:
            value[last] = new
    elif isinstance(value, list) and isinstance(last, int) and last < len(value):
        if new is DELETE:
            del value[last]
        else:
            value[last] = new


Draw = Callable[[st.SearchStrategy[Any]], Any]
CASES: list[Callable[[str], str]] = [str.upper, str.lower, str.swapcase, str.title]


def _pick(draw: Draw, resources: list[dict[str, Any]]) -> dict[str, Any]:
    return resources[draw(st.integers(0, len(resources) - 1))]


def op_set_field(draw: Draw, resources: list[dict[str, Any]]) -> None:
    resource = _pick(draw, resources)
    paths = f.field_paths(resource)
    _set(resource, draw(st.sampled_from(paths)), draw(st.one_of(st.just(DELETE), json_value)))


def op_properties(draw: Draw, resources: list[dict[str, Any]]) -> None:
    resource = _pick(draw, resources)
    _set(resource, ("properties",), draw(st.sampled_from([None, DELETE, {}, [], "x", 0, [{"a": 1}]])))


def op_case(draw: Draw, resources: list[dict[str, Any]]) -> None:
    resource = _pick(draw, resources)
    key = draw(st.sampled_from(["id", "type"]))
    if isinstance(resource.get(key), str):
        resource[key] = draw(st.sampled_from(CASES))(resource[key])


def op_names_and_tags(draw: Draw, resources: list[dict[str, Any]]) -> None:
    resource = _pick(draw, resources)
    resource["name"] = draw(hostile_text)
    resource["tags"] = draw(st.dictionaries(hostile_text, hostile_text, max_size=3))
    if draw(st.booleans()):
        resource["resourceGroup"] = draw(hostile_text)


def op_rename_in_id(draw: Draw, resources: list[dict[str, Any]]) -> None:
    """Change the last segment of an id (and its children's) to hostile text: names Azure would refuse."""
    old = _pick(draw, resources).get("id")
    if not isinstance(old, str):
        return
    new = old.rsplit("/", 1)[0] + "/" + draw(hostile_text)
    for other in resources:
        if isinstance(other.get("id"), str) and other["id"].startswith(old):
            other["id"] = new + other["id"][len(old) :]


def op_prefix(draw: Draw, resources: list[dict[str, Any]]) -> None:
    candidates = [r for r in resources if str(r.get("type", "")).lower() in PREFIX_PATHS]
    if not candidates:
        return
    resource = draw(st.sampled_from(candidates))
    path = draw(st.sampled_from(PREFIX_PATHS[str(resource["type"]).lower()]))
    _set(resource, path, draw(prefix_value))


NUMBER_PATHS = [
    ("sku", "capacity"),
    ("properties", "maximumNumberOfWorkers"),
    ("properties", "profiles", 0, "capacity", "maximum"),
    ("properties", "numberOfWorkers"),
]
hostile_number = st.one_of(
    st.sampled_from([-1, 0, 2**31, 10**30, 1e308, -0.0, 2.5, "²", "٣", " 7 ", "1" * 5000, "0x10", "1e3"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(),
)


def op_numbers(draw: Draw, resources: list[dict[str, Any]]) -> None:
    """Instance counts (they size subnets): huge, negative, fractional, non-ASCII digits, 5,000 digits."""
    resource = _pick(draw, resources)
    _set(resource, draw(st.sampled_from(NUMBER_PATHS)), draw(hostile_number))


def op_dangling(draw: Draw, resources: list[dict[str, Any]]) -> None:
    resource = _pick(draw, resources)
    _set(resource, draw(st.sampled_from(REFERENCE_PATHS)), draw(st.sampled_from(DANGLING)))


def op_duplicate(draw: Draw, resources: list[dict[str, Any]]) -> None:
    twin = copy.deepcopy(_pick(draw, resources))
    if isinstance(twin.get("id"), str):
        twin["id"] = draw(st.sampled_from(CASES))(twin["id"])
    paths = f.field_paths(twin)
    _set(twin, draw(st.sampled_from(paths)), draw(st.one_of(st.just(DELETE), json_value)))
    resources.insert(draw(st.integers(0, len(resources))), twin)


def op_drop(draw: Draw, resources: list[dict[str, Any]]) -> None:
    if len(resources) > 1:
        resources.remove(_pick(draw, resources))


OPS = [
    op_set_field,
    op_properties,
    op_case,
    op_names_and_tags,
    op_rename_in_id,
    op_prefix,
    op_numbers,
    op_numbers,
    op_dangling,
    op_duplicate,
    op_drop,
]
EXTRA_FILES = {
    "empty.json": b"",
    "blank.jsonl": b"\n  \n",
    "bom.json": b"\xef\xbb\xbf[]",
    "null.json": b"null",
    "number.json": b"42",
    "object.json": b'{"hello": 1}',
    "latin1.json": '[{"id": "caf\u00e9", "type": "x"}]'.encode("latin-1"),
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
}


@st.composite
def hostile_inventory(draw: Draw) -> dict[str, Any]:
    resources = rich_tenant()
    for op in draw(st.lists(st.sampled_from(OPS), min_size=1, max_size=4)):
        op(draw, resources)
    return {
        "resources": resources,
        "shape": draw(st.sampled_from(["array", "data", "value", "jsonl", "split"])),
        "ascii": draw(st.booleans()),
        "manifest": draw(st.one_of(st.just("full"), st.just("none"), json_value.map(lambda v: ("raw", v)))),
        "extras": draw(st.lists(st.sampled_from(sorted(EXTRA_FILES)), max_size=2, unique=True)),
        "truncate": draw(st.one_of(st.none(), st.floats(0.0, 0.999))),
    }


def write_inventory(folder: Path, case: dict[str, Any]) -> Path:
    """Lay out a drawn inventory in one of the shapes docs/inventory.md allows."""
    folder.mkdir(parents=True)
    resources, ascii_only = case["resources"], case["ascii"]

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=ascii_only)

    shape = case["shape"]
    files: dict[str, str] = {}
    if shape == "array":
        files["resources.json"] = dump(resources)
    elif shape in ("data", "value"):
        files["resources.json"] = dump({shape: resources, "count": len(resources)})
    elif shape == "jsonl":
        files["resources.jsonl"] = "\n".join(dump(r) for r in resources) + "\n"
    else:
        for index, resource in enumerate(resources):
            files[f"part{index % 3}/r{index}.json{'l' if index % 2 else ''}"] = dump(resource)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        # A lone surrogate cannot be UTF-8: written as CESU-8 bytes, which is what a broken tool would do.
        (folder / name).write_text(text, encoding="utf-8", errors="surrogatepass")
    if case["truncate"] is not None:
        victim = folder / sorted(files)[0]
        data = victim.read_bytes()
        victim.write_bytes(data[: int(len(data) * case["truncate"])])
    manifest = case["manifest"]
    if manifest == "full":
        apps = [
            r["id"]
            for r in resources
            if isinstance(r.get("id"), str)
            and str(r.get("type", "")).lower() in ("microsoft.web/sites", "microsoft.web/sites/slots")
        ]
        (folder / "manifest.json").write_text(
            dump(f.manifest(apps)), encoding="utf-8", errors="surrogatepass"
        )
    elif isinstance(manifest, tuple):
        (folder / "manifest.json").write_text(dump(manifest[1]), encoding="utf-8", errors="surrogatepass")
    for name in case["extras"]:
        (folder / name).write_bytes(EXTRA_FILES[name])
    return folder


# ------------------------------------------------------------------------------------ the oracle

_POSITION = re.compile(r", (\w+)?\[\d+\]|, line \d+")
# Errors about a whole file or its syntax have no field to name.
_NO_FIELD = ("invalid JSON", "not UTF-8", "a resource must be a JSON object", "no *.json", "expected a JSON")


def plan_or_clean_refusal(
    inventory: Path, out: Path, formats: str = ALL_FORMATS, quiet: bool = True
) -> dict[str, Any] | None:
    """Run `plan`; return plan.json on success, None on a clean refusal; fail on anything else.

    Without `quiet` the terminal summary is printed too (it shows names and warnings from the input).
    """
    args = ["plan", str(inventory), "--out", str(out), "--format", formats, "--as-of", "2026-12-01"]
    result = runner.invoke(app, [*args, "--quiet"] if quiet else args)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"crash on {inventory}:\n{trace}")
    if result.exit_code == 0:
        assert result.stderr == "", result.stderr
        wanted = [name for fmt in formats.split(",") for name in OUTPUTS[fmt]]
        present = sorted(p.name for p in out.iterdir())
        assert present == sorted(wanted), present
        plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
        if "xlsx" in formats:
            with zipfile.ZipFile(out / "plan.xlsx") as book:
                assert book.testzip() is None
        return plan
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2, f"exit {result.exit_code}: {result.stderr}"
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("error: "), message
    names = [str(p) for p in [inventory, *inventory.rglob("*")]]
    assert any(name in message for name in names), f"no file named in: {message}"
    if _POSITION.search(message) and not any(word in message for word in _NO_FIELD):
        assert "field '" in message, f"no field named in: {message}"
    assert not out.exists() or not any(out.iterdir()), "half-written output"
    return None


# ------------------------------------------------------------------------------------ the tests


@settings(max_examples=400 * SCALE)
@given(hostile_inventory(), st.booleans())
def test_hostile_inventories_plan_or_fail_in_one_line(case: dict[str, Any], quiet: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        inventory = write_inventory(work / "inv", case)
        plan = plan_or_clean_refusal(inventory, work / "out", quiet=quiet)
        event("planned" if plan is not None else "refused")  # --hypothesis-show-statistics
        if plan is not None:
            assert plan["schema"] == "vnet-planner/plan@2"
            assert plan["summary"]["apps_total"] == len(plan["apps"])
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=60 * SCALE)
@given(hostile_inventory(), st.sampled_from(sorted(set(EXTRA_FILES) - {"bom.json", "blank.jsonl"})))
def test_a_broken_file_is_named(case: dict[str, Any], broken: str) -> None:
    """A file that is not an inventory stops the run, and the message names that file."""
    work = Path(tempfile.mkdtemp(prefix="hostile-"))
    try:
        case = {**case, "extras": [broken], "truncate": None, "manifest": "full"}
        inventory = write_inventory(work / "inv", case)
        result = runner.invoke(app, ["plan", str(inventory), "--out", str(work / "out"), "-q"])
        if broken == "empty.json":  # an empty file is an empty data set (a query that found nothing)
            assert result.exit_code in (0, 2)
            if result.exit_code == 2:
                assert "empty.json" not in result.stderr
            return
        assert result.exit_code == 2, result.stderr
        assert broken in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert not (work / "out").exists()
    finally:
        shutil.rmtree(work, ignore_errors=True)


# ------------------------------------------------------------------- regressions (found by the above)


def test_deeply_nested_json_is_a_clean_error(tmp_path: Path) -> None:
    """Found by hypothesis: json.loads raised RecursionError (exit 1) on `[[[[...]]]]`."""
    inventory = f.write(tmp_path / "inv", f.base_tenant())
    (inventory / "deep.json").write_bytes(EXTRA_FILES["deep.json"])
    (inventory / "deep.jsonl").write_bytes(b'{"id": "x", "type": "t"}\n' + EXTRA_FILES["deep.json"] + b"\n")
    assert plan_or_clean_refusal(inventory, tmp_path / "out") is None
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "out"), "-q"])
    assert "deep.json" in result.stderr and "nested too deeply" in result.stderr


def test_rich_markup_in_an_error_is_printed_as_is(tmp_path: Path) -> None:
    """Found by hypothesis: a value like `[/]` in an error message crashed rich (MarkupError, exit 1)."""
    resources = f.base_tenant()
    resources[2]["properties"]["reserved"] = "[/][bold]x"
    inventory = f.write(tmp_path / "in[/]v", resources)
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.stderr
    assert "'[/][bold]x'" in result.stderr and "in[/]v" in result.stderr
    assert "field 'properties.reserved'" in result.stderr


def test_rich_markup_in_names_is_printed_as_is_in_the_summary(tmp_path: Path) -> None:
    """Found by hypothesis: a gateway named `[/]` crashed the terminal summary after the files were written."""
    resources = f.base_tenant()
    resources[4]["name"] = "[/]gw[red]"
    resources[0]["name"] = "[/]sub"
    inventory = f.write(tmp_path / "inv", resources)
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "out"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "[/]gw[red]" in result.stdout


def test_an_error_naming_a_file_with_a_newline_stays_one_line(tmp_path: Path) -> None:
    inventory = tmp_path / "inv"
    inventory.mkdir()
    (inventory / "bad\nname.json").write_text("[1]", encoding="utf-8")
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "bad\\nname.json" in result.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (10**30, "expected a whole number from 0 to 10000"),  # found: ValueError in subnet sizing
        (-5, "expected a whole number from 0 to 10000"),  # found: ValueError in addresses_needed
        ("²", "expected a whole number from 0 to 10000"),  # found: '²'.isdigit() but int('²') fails
        ("1" * 5000, "expected a whole number from 0 to 10000"),  # found: int() digit limit
        (float("nan"), "expected a whole number from 0 to 10000"),
    ],
)
def test_instance_counts_out_of_range_are_named(tmp_path: Path, value: Any, expected: str) -> None:
    """Found by probing what the fuzzer's number generator would reach: exit 1 before the fix."""
    resources = f.base_tenant()
    resources[1]["sku"]["capacity"] = value
    inventory = f.write(tmp_path / "inv", resources)
    assert plan_or_clean_refusal(inventory, tmp_path / "out") is None
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "out"), "-q"])
    assert "field 'sku.capacity'" in result.stderr and expected in result.stderr


def test_a_5000_digit_json_number_is_a_clean_error(tmp_path: Path) -> None:
    """json.loads raises a plain ValueError (not JSONDecodeError) past Python's 4,300-digit limit."""
    inventory = f.write(tmp_path / "inv", f.base_tenant())
    (inventory / "big.json").write_text('[{"id": "/x", "type": "t", "n": ' + "9" * 5000 + "}]")
    assert plan_or_clean_refusal(inventory, tmp_path / "out") is None


@pytest.mark.parametrize("where", ["name", "tags", "manifest"])
def test_a_lone_surrogate_escape_is_named_not_a_crash(tmp_path: Path, where: str) -> None:
    """Found: '\\ud800' in a name or tag read fine and crashed every UTF-8 writer (UnicodeEncodeError)."""
    resources = f.base_tenant()
    if where == "name":
        resources[2]["name"] = "app\ud800"
    elif where == "tags":
        resources[2]["tags"] = {"owner": "x\udfff"}
    inventory = f.write(tmp_path / "inv", resources)
    if where == "manifest":
        manifest = json.loads((inventory / "manifest.json").read_text())
        manifest["cloud"] = "\ud83d"
        (inventory / "manifest.json").write_text(json.dumps(manifest))
    assert plan_or_clean_refusal(inventory, tmp_path / "out") is None
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(tmp_path / "out"), "-q"])
    assert "lone UTF-16 surrogate" in result.stderr
    assert {"name": "field 'name'", "tags": "field 'tags.owner'", "manifest": "field 'cloud'"}[
        where
    ] in result.stderr
    # An escaped pair is one character (an emoji): read as usual.
    resources[2]["name"] = "app-\ud83d\ude00"
    resources[2]["tags"] = {"owner": "\ud83d\ude00"}
    fine = f.write(tmp_path / "fine", resources)
    plan = plan_or_clean_refusal(fine, tmp_path / "out-fine")
    assert plan is not None and any(a["name"] == "app-😀" for a in plan["apps"])
