"""`scan --include/--exclude`: the real SDK clients against the HTTPS fake on 127.0.0.1.

The tenant: four subscriptions, two of them sharing the name "Contoso Prod"; apps spread over three
resource groups (rg-shop-web, rg-shop-api, rg-intranet) and tagged env=prod or env=test, every slot
tagged the other way from its app (a slot follows its app, not its own tags).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fake_azure import ARG_PATH, FakeAzure, Tenant, iter_arg_pages, synthetic_tenant
from typer.testing import CliRunner, Result

from planner.cli.scan import register
from planner.collect.arm import ArmCall
from planner.collect.scan import apps_in_scope, select_tasks
from planner.collect.writer import STATE_DIR
from planner.inventory.loader import load_inventory
from planner.inventory.scope import parse_scope, scope_from_dict

SHARED_NAME = "Contoso Prod"
GROUPS = ("rg-shop-web", "rg-shop-api", "rg-intranet")
_SITE_PREFIX = re.compile(
    r"^(/subscriptions/[^/]+/resourceGroups/)rg-web(/providers/Microsoft\.Web/sites/[^/]+)"
)


def _tenant() -> list[dict[str, Any]]:
    resources = synthetic_tenant(4, 48, slot_every=4)
    subscriptions = [r for r in resources if r.get("type") == "microsoft.resources/subscriptions"]
    for sub in subscriptions[1:3]:
        sub["name"] = SHARED_NAME
    group_of: dict[str, str] = {}  # site id -> its new resource group
    env_of: dict[str, str] = {}
    position: dict[str, int] = defaultdict(int)
    for r in resources:
        if r.get("type") == "microsoft.web/sites":
            a = position[r["subscriptionId"]]
            position[r["subscriptionId"]] += 1
            group_of[r["id"]] = GROUPS[a % 3]
            env_of[r["id"]] = "prod" if (a // 4) % 2 == 0 else "test"
    for r in resources:
        match = _SITE_PREFIX.match(r["id"])
        if match is None:
            continue
        site = match.group(0)
        group = group_of[site]
        r["id"] = _SITE_PREFIX.sub(rf"\g<1>{group}\g<2>", r["id"])
        if r.get("type") == "microsoft.web/sites":
            r["resourceGroup"], r["tags"] = group, {**r["tags"], "env": env_of[site]}
        elif r.get("type") == "microsoft.web/sites/slots":
            other = "test" if env_of[site] == "prod" else "prod"
            r["resourceGroup"], r["tags"] = group, {**r["tags"], "env": other}
    return resources


TENANT = _tenant()
SUB_ROWS = [r for r in TENANT if r.get("type") == "microsoft.resources/subscriptions"]
SUB_IDS = [r["subscriptionId"] for r in SUB_ROWS]
SHARED = sorted(r["subscriptionId"] for r in SUB_ROWS if r["name"] == SHARED_NAME)
SITES = [r for r in TENANT if r.get("type") in ("microsoft.web/sites", "microsoft.web/sites/slots")]
PLANS = [r for r in TENANT if r.get("type") == "microsoft.web/serverfarms"]


def _site_of(row: dict[str, Any]) -> dict[str, Any]:
    parent = row["id"].split("/slots/")[0].lower()
    return next(r for r in SITES if r["id"].lower() == parent)


def _called(sites: list[dict[str, Any]]) -> set[str]:
    """The apps and slots the scan should make ARM calls for, among `sites`."""
    return {t.app.id.lower() for t in select_tasks(sites, PLANS)[0]}


def _arm_calls(sites: list[dict[str, Any]]) -> int:
    return len(select_tasks(sites, PLANS)[0])


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert") as server:
        yield server


def scan(fake: FakeAzure, out: Path, *args: str) -> Result:
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, ["scan", "--out", str(out), *args], env=fake.env())


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def error_line(result: Result) -> str:
    """The one `error:` line of a refused run (progress bars may share stderr)."""
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def queried_subscriptions(fake: FakeAzure) -> set[str]:
    """Subscriptions named in the Resource Graph requests after the subscription list."""
    listing = {id(r) for r in iter_arg_pages(fake.stats, "subscriptions")}
    return {
        s.lower()
        for r in fake.stats.requests
        if r.path == ARG_PATH and id(r) not in listing
        for s in r.subscriptions
    }


def test_without_filters_the_manifest_scope_is_empty(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out)
    assert result.exit_code == 0, result.output
    scope = manifest(out)["scope"]
    assert scope["include"] == [] and scope["exclude"] == []
    assert scope["subscriptions_excluded"] == [] and scope["apps_out_of_scope"] == 0
    assert "scope:" not in result.stdout
    assert fake.stats.arm_apps() == _called(SITES)


def test_a_name_two_subscriptions_share_scans_both_and_warns(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out, "--include", "subscription:contoso prod")  # names match in any case
    assert result.exit_code == 0, result.output
    warning = next(line for line in result.stderr.splitlines() if "share a name" in line)
    assert all(sub in warning for sub in SHARED) and "give an id" in warning
    m = manifest(out)
    assert sorted(e["id"] for e in m["subscriptions"]) == SHARED
    assert all(e["status"] == "ok" and e["name"] == SHARED_NAME for e in m["subscriptions"])
    others = sorted((r["name"], r["subscriptionId"]) for r in SUB_ROWS if r["name"] != SHARED_NAME)
    assert [(e["name"], e["id"]) for e in m["scope"]["subscriptions_excluded"]] == others
    assert m["scope"]["include"] == ["subscription:contoso prod"] and m["scope"]["apps_out_of_scope"] == 0
    # Left out of everything after the subscription list: no query, no ARM call, not in the inventory.
    assert queried_subscriptions(fake) == {s.lower() for s in SHARED}
    assert {a.split("/")[2] for a in fake.stats.arm_apps()} == {s.lower() for s in SHARED}
    assert sorted(r["subscriptionId"] for r in lines(out / "subscriptions.jsonl")) == SHARED
    assert {r["subscriptionId"] for r in lines(out / "sites.jsonl")} == set(SHARED)
    assert "left out: 2 subscription(s), not queried" in result.stdout
    assert m["partial"] is False and "complete" in result.stdout


def test_exclude_by_id(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    gone = SHARED[0]
    result = scan(fake, out, "--exclude", f"sub:{gone.upper()}")  # ids match in any case
    assert result.exit_code == 0, result.output
    m = manifest(out)
    assert m["scope"]["subscriptions_excluded"] == [{"id": gone, "name": SHARED_NAME}]
    assert sorted(e["id"] for e in m["subscriptions"]) == sorted(s for s in SUB_IDS if s != gone)
    assert gone.lower() not in queried_subscriptions(fake)
    assert all(gone.lower() not in a for a in fake.stats.arm_apps())
    assert "share a name" not in result.stderr  # an id picks one subscription: nothing to warn about
    assert gone in result.stdout and "left out: 1 subscription(s)" in result.stdout


def test_resource_group_glob_limits_arm_calls_not_resource_graph(fake: FakeAzure, tmp_path: Path) -> None:
    everything = tmp_path / "all"
    assert scan(fake, everything).exit_code == 0
    calls_all = fake.stats.count(kind="arm")
    fake.stats.requests.clear()

    out = tmp_path / "shop"
    result = scan(fake, out, "--include", "rg:RG-SHOP-*")
    assert result.exit_code == 0, result.output
    inside = [r for r in SITES if r["resourceGroup"].startswith("rg-shop-")]
    assert fake.stats.arm_apps() == _called(inside)
    calls_scoped = fake.stats.count(kind="arm")
    assert calls_scoped == _arm_calls(inside) < calls_all == _arm_calls(SITES)
    # Resource Graph data is whole: the out-of-scope apps share plans, VNets and gateways.
    assert lines(out / "sites.jsonl") == lines(everything / "sites.jsonl")
    for name in ("serverfarms", "virtualnetworks", "virtualnetworkgateways"):
        assert lines(out / f"{name}.jsonl") == lines(everything / f"{name}.jsonl")
    m = manifest(out)
    assert m["scope"]["apps_out_of_scope"] == len(SITES) - len(inside) > 0
    assert m["scope"]["subscriptions_excluded"] == []
    for call in ArmCall:
        fetched = {i.lower() for i in m["arm"][call.value]["fetched"]}
        assert fetched <= _called(inside)
    assert m["partial"] is False
    assert f"apps and slots out of scope: {len(SITES) - len(inside)}" in result.stdout
    # The inventory still reads: out-of-scope apps are there, without ARM records.
    inventory = load_inventory(out)
    assert len(inventory.by_type["microsoft.web/sites"]) + len(
        inventory.by_type["microsoft.web/sites/slots"]
    ) == len(SITES)


def test_tag_include_and_slots_follow_their_app(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out, "--include", "tag:env=prod")
    assert result.exit_code == 0, result.output
    inside = [r for r in SITES if _site_of(r)["tags"]["env"] == "prod"]
    slots = [r for r in SITES if r["type"] == "microsoft.web/sites/slots"]
    # The tenant makes every slot's own tag the opposite of its app's, in both directions.
    assert {r["tags"]["env"] for r in slots} == {"prod", "test"}
    assert all(r["tags"]["env"] != _site_of(r)["tags"]["env"] for r in slots)
    called = fake.stats.arm_apps()
    assert called == _called(inside)
    assert any("/slots/" in a for a in called)
    assert not any(r["id"].lower() in called for r in slots if r["tags"]["env"] == "prod")
    assert manifest(out)["scope"]["apps_out_of_scope"] == len(SITES) - len(inside)


def test_kinds_combine_and_excludes_win(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    args = ["--include", f"sub:{SHARED_NAME}", "--include", "rg:rg-shop-*", "--exclude", "tag:env=test"]
    result = scan(fake, out, *args)
    assert result.exit_code == 0, result.output
    inside = [
        r
        for r in SITES
        if r["subscriptionId"] in SHARED
        and r["resourceGroup"].startswith("rg-shop-")
        and _site_of(r)["tags"]["env"] != "test"
    ]
    assert fake.stats.arm_apps() == _called(inside)
    in_shared = [r for r in SITES if r["subscriptionId"] in SHARED]
    assert manifest(out)["scope"]["apps_out_of_scope"] == len(in_shared) - len(inside)


def test_the_manifest_scope_reads_back_as_the_same_filters(fake: FakeAzure, tmp_path: Path) -> None:
    """The planner reads `scope.include`/`scope.exclude` with scope_from_dict: same filters, same apps."""
    out = tmp_path / "inv"
    include, exclude = ["rg:rg-shop-*", "tag:env=prod"], [f"subscription:{SUB_IDS[0]}"]
    args = [a for t in include for a in ("--include", t)] + [a for t in exclude for a in ("--exclude", t)]
    assert scan(fake, out, *args).exit_code == 0
    scope = manifest(out)["scope"]
    assert scope["include"] == include and scope["exclude"] == exclude
    read = scope_from_dict(scope, str(out / "manifest.json"))
    assert read == parse_scope(include, exclude)
    names = {r["subscriptionId"].lower(): r["name"] for r in SUB_ROWS}
    in_subs = [r for r in SITES if r["subscriptionId"] != SUB_IDS[0]]
    inside, out_of_scope = apps_in_scope(in_subs, read, names)
    assert out_of_scope == scope["apps_out_of_scope"]
    assert _called(inside) == fake.stats.arm_apps()


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--include", "prod", "--include: 'prod' is not KIND:VALUE"),
        ("--exclude", "colour:red", "--exclude: 'colour:red' is not KIND:VALUE"),
        ("--include", "tag:=prod", "the tag name is empty"),
        ("--include", "rg:", "is not KIND:VALUE"),
    ],
)
def test_a_bad_filter_exits_2_with_one_line(
    fake: FakeAzure, tmp_path: Path, option: str, value: str, says: str
) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out, option, value)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ") and says in result.stderr
    assert fake.stats.requests == [] and not out.exists()


def test_a_scope_that_leaves_out_every_subscription_is_bad_usage(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    result = scan(fake, out, "--include", "sub:no-such-subscription")
    assert result.exit_code == 2
    assert "leaves out all 4 subscription(s)" in error_line(result)
    # The previous inventory in the folder is left as it was.
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_subscription_option_and_include_apply_together(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    picked = [SUB_IDS[0], SHARED[0]]
    args = [a for s in picked for a in ("-s", s)]
    result = scan(fake, out, *args, "--include", f"sub:{SHARED_NAME}")
    assert result.exit_code == 0, result.output
    m = manifest(out)
    assert [e["id"] for e in m["subscriptions"]] == [SHARED[0]]
    assert [e["id"] for e in m["scope"]["subscriptions_excluded"]] == [SUB_IDS[0]]
    # --subscription limits what is listed, so one name is one subscription here: no warning.
    assert "share a name" not in result.stderr


def test_resume_refuses_another_scope_and_accepts_the_same_one_spelt_otherwise(
    fake: FakeAzure, tmp_path: Path
) -> None:
    out = tmp_path / "inv"
    fake.forbidden_subscriptions = {SUB_IDS[3].lower()}
    first = scan(fake, out, "--include", "rg:rg-shop-*", "--exclude", "tag:env=test")
    assert first.exit_code == 3, first.output
    assert (out / STATE_DIR).is_dir()
    fake.forbidden_subscriptions = set()

    for other in (
        ["--include", "rg:rg-intranet"],
        ["--include", "rg:rg-shop-*"],  # one filter fewer is another scope too
        [],
    ):
        refused = scan(fake, out, "--resume", *other)
        assert refused.exit_code == 2, refused.output
        assert "--include rg:rg-shop-* --exclude tag:env=test" in error_line(refused)  # what the scan used
    assert (out / STATE_DIR).is_dir() and manifest(out)["partial"] is True

    fake.stats.requests.clear()
    # Kind aliases, case and order do not change a scope.
    resumed = scan(
        fake, out, "--resume", "--exclude", "TAG:ENV=TEST", "--include", "resource-group:RG-SHOP-*"
    )
    assert resumed.exit_code == 0, resumed.output
    m = manifest(out)
    assert m["partial"] is False and m["scope"]["exclude"] == ["TAG:ENV=TEST"]
    inside = [
        r for r in SITES if r["resourceGroup"].startswith("rg-shop-") and _site_of(r)["tags"]["env"] == "prod"
    ]
    fetched = {i.lower() for i in m["arm"][ArmCall.VNET_CONNECTIONS.value]["fetched"]}
    assert fetched == _called(inside)
    # Only the subscription that failed was called again.
    assert {a.split("/")[2] for a in fake.stats.arm_apps()} == {SUB_IDS[3].lower()}


def test_resume_of_a_scan_left_before_scope_filters_existed(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    fake.forbidden_subscriptions = {SUB_IDS[0].lower()}
    assert scan(fake, out).exit_code == 3
    state_path = out / STATE_DIR / "state"
    state = json.loads(state_path.read_text())
    del state["key"]["filters"], state["filters_given"]
    state_path.write_text(json.dumps(state))
    fake.forbidden_subscriptions = set()
    assert scan(fake, out, "--resume").exit_code == 0
    assert scan(fake, out, "--resume", "--include", "rg:x").exit_code == 0  # nothing left: a new scan


def test_apps_in_scope_judges_a_slot_by_its_app() -> None:
    site = {
        "id": "/subscriptions/s1/resourceGroups/rg-a/providers/Microsoft.Web/sites/web",
        "subscriptionId": "s1",
        "resourceGroup": "rg-a",
        "tags": {"env": "prod"},
    }
    slot = {**site, "id": site["id"] + "/slots/staging", "tags": {"env": "test"}}
    orphan = {**slot, "id": site["id"].replace("/web", "/gone") + "/slots/staging"}
    names = {"s1": "Shop"}
    assert apps_in_scope([site, slot, orphan], parse_scope(["tag:env=prod"]), names) == ([site, slot], 1)
    assert apps_in_scope([site, slot, orphan], parse_scope(["tag:env=test"]), names) == ([orphan], 2)
    assert apps_in_scope([site, slot], parse_scope(["sub:shop"], ["rg:rg-b"]), names) == ([site, slot], 0)
    assert apps_in_scope([site, slot], parse_scope(), names) == ([site, slot], 0)


def test_a_subscription_given_by_id_but_not_visible_has_no_name_to_match(
    fake: FakeAzure, tmp_path: Path
) -> None:
    out = tmp_path / "inv"
    unseen = "00000000-0000-0000-0000-00000000dead"
    result = scan(fake, out, "-s", SHARED[0], "-s", unseen, "--include", f"sub:{SHARED_NAME}")
    assert result.exit_code == 0, result.output
    m = manifest(out)
    assert [e["id"] for e in m["subscriptions"]] == [SHARED[0]]
    assert m["scope"]["subscriptions_excluded"] == [{"id": unseen, "name": None}]
    # Given by id, the filter can judge it: in scope, and failed because it cannot be read.
    again = scan(
        fake,
        tmp_path / "by-id",
        "-s",
        unseen,
        "-s",
        SHARED[0],
        "--include",
        f"sub:{unseen}",
        "--include",
        f"sub:{SHARED[0]}",
    )
    assert again.exit_code == 3 and "not in Resource Graph" in again.stdout
    # Alone in scope, it leaves nothing to scan: one line, exit 2, no folder.
    alone = scan(fake, tmp_path / "alone", "-s", unseen, "--include", f"sub:{unseen}")
    assert alone.exit_code == 2 and "none of the 1 subscription(s) given with --subscription" in alone.stderr
    assert not (tmp_path / "alone").exists()


def test_plan_of_a_scoped_scan_lists_only_apps_in_scope_and_none_as_unknown(
    fake: FakeAzure, tmp_path: Path
) -> None:
    from planner.plan.pipeline import run_plan

    everything, shop = tmp_path / "all", tmp_path / "shop"
    assert scan(fake, everything).exit_code == 0
    assert scan(fake, shop, "--include", "rg:rg-shop-*").exit_code == 0
    full = run_plan(everything)
    scoped = run_plan(shop)
    expected = {a["id"] for a in full["apps"] if _site_of(a)["resourceGroup"].startswith("rg-shop-")}
    assert expected and {a["id"] for a in scoped["apps"]} == expected
    # the apps the scan left out are out of scope, not "unknown"; the rest is judged as in a full scan
    by_id = {a["id"]: a for a in full["apps"]}
    assert [(a["integration"], a["readiness"]) for a in scoped["apps"]] == [
        (by_id[a["id"]]["integration"], by_id[a["id"]]["readiness"]) for a in scoped["apps"]
    ]
    assert scoped["summary"]["scope"]["from_scan"]["include"] == ["rg:rg-shop-*"]
    assert scoped["summary"]["scope"]["apps_out_of_scope"] == len(full["apps"]) - len(expected)
    # never offers to delete a gateway that apps the scan did not read still depend on
    full_gateways = {g["id"]: g for g in full["gateways"]}
    for gateway in scoped["gateways"]:
        if gateway["decommission"] == "yes":
            assert set(full_gateways[gateway["id"]]["dependents"]) <= expected, gateway["name"]
    assert any(g["decommission"] != "yes" for g in scoped["gateways"])
    unsettled = [g for g in scoped["gateways"] if g["decommission"] == "verify"]
    assert unsettled and all(
        "The scan's scope (--include rg:rg-shop-*)" in g["decommission_reason"] for g in unsettled
    )
