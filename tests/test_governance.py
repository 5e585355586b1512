"""Issue 7: scope filters, suppressions, burndown against a previous plan, --fail-on and --redact."""

from __future__ import annotations

import copy
import json
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import factory as f
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from planner.cli import app
from planner.core.errors import InputError
from planner.inventory.scope import parse_scope

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[1] / "samples" / "contoso"
AS_OF = ["--as-of", "2026-11-30", "--start", "2026-12-07"]


def plan_of(inventory: Path, out: Path, *args: str, formats: str = "json") -> tuple[int, str, dict[str, Any]]:
    result = runner.invoke(app, ["plan", str(inventory), "--out", str(out), "-f", formats, *AS_OF, *args])
    data = json.loads((out / "plan.json").read_text()) if (out / "plan.json").exists() else {}
    return result.exit_code, result.output, data


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    code, output, data = plan_of(SAMPLE, tmp_path_factory.mktemp("full"))
    assert code == 0, output
    return data


# -- scope ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["nonsense", "colour:red", "rg:", "tag:=x", "subscription:"],
)
def test_bad_filter_is_one_line_exit_2(tmp_path: Path, text: str) -> None:
    result = runner.invoke(app, ["plan", str(SAMPLE), "--out", str(tmp_path / "o"), "--include", text])
    assert result.exit_code == 2
    assert "--include" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_resource_group_scope_lists_only_those_apps_and_keeps_shared_gateways(
    tmp_path: Path, full: dict[str, Any]
) -> None:
    # A gateway whose dependents live in several resource groups: plan only one of the groups.
    gateway = next(
        g
        for g in full["gateways"]
        if len({a["resource_group"] for a in full["apps"] if a["id"] in g["dependents"]}) > 1
    )
    groups = sorted({a["resource_group"] for a in full["apps"] if a["id"] in gateway["dependents"]})
    code, output, data = plan_of(SAMPLE, tmp_path / "o", "--include", f"resource-group:{groups[0].upper()}")
    assert code == 0, output
    assert data["apps"] and {a["resource_group"] for a in data["apps"]} == {groups[0]}
    left_out = len(full["apps"]) - len(data["apps"])
    assert data["summary"]["scope"]["apps_out_of_scope"] == left_out > 0
    assert data["summary"]["apps_total"] == len(data["apps"])
    scoped = next(g for g in data["gateways"] if g["id"] == gateway["id"])
    assert scoped["dependents_out_of_scope"], "dependents in the other groups are named"
    assert scoped["decommission"] == "no" and scoped["monthly_savings"] == 0.0
    assert "outside this plan's scope" in scoped["decommission_reason"]
    # every wave and step is about apps in scope
    in_scope = {a["id"] for a in data["apps"]}
    assert all(i in in_scope for w in data["waves"] for i in w["app_ids"])
    assert f"Left out: {left_out} apps and slots" in " ".join(output.split())


def test_exclude_wins_over_include_and_tags_match_any_case(tmp_path: Path, full: dict[str, Any]) -> None:
    tagged = [a for a in full["apps"] if a["tags"]]
    key, value = next(iter(tagged[0]["tags"].items()))
    code, output, data = plan_of(
        SAMPLE,
        tmp_path / "o",
        "--include",
        f"tag:{key.upper()}={value.upper()}",
        "--exclude",
        f"rg:{tagged[0]['resource_group']}",
    )
    assert code == 0, output
    expected = {
        a["id"]
        for a in full["apps"]
        if _site_tag(full, a, key) == value and a["resource_group"] != tagged[0]["resource_group"]
    }
    assert {a["id"] for a in data["apps"]} == expected


def _site_tag(full: dict[str, Any], app_entry: dict[str, Any], key: str) -> Any:
    """Slots follow their site: the site's tags decide."""
    site_id = app_entry["id"].split("/slots/")[0]
    site = next(a for a in full["apps"] if a["id"] == site_id)
    return next((v for k, v in site["tags"].items() if k.lower() == key.lower()), None)


def _two_prod_subscriptions(tmp_path: Path) -> tuple[Path, str, str]:
    """Two subscriptions both named "Prod", each with a gateway-required app."""
    sub2 = "00000000-0000-0000-0000-000000000002"
    second = [copy.deepcopy(r) for r in f.base_tenant()]
    text = json.dumps(second).replace(f.SUB, sub2).replace("app1", "app2").replace("gw-hub", "gw-hub2")
    second = json.loads(text)
    resources = [*f.base_tenant(), *[r for r in second if r["type"] != "microsoft.resources/subscriptions"]]
    for sub_id in (f.SUB, sub2):
        resources = [r for r in resources if r.get("id") != f"/subscriptions/{sub_id}"]
        resources.append(
            {
                "id": f"/subscriptions/{sub_id}",
                "type": "microsoft.resources/subscriptions",
                "name": "Prod",
                "subscriptionId": sub_id,
            }
        )
    third = "00000000-0000-0000-0000-000000000003"
    resources.append(
        {"id": f"/subscriptions/{third}", "type": "microsoft.resources/subscriptions", "name": "Dev"}
    )
    return f.write(tmp_path / "inv", resources), f.SUB, sub2


def test_a_subscription_name_shared_by_two_subscriptions(tmp_path: Path) -> None:
    inventory, sub1, sub2 = _two_prod_subscriptions(tmp_path)
    code, output, data = plan_of(
        inventory, tmp_path / "o", "--include", "subscription:prod", formats="json,csv"
    )
    assert code == 0, output
    # both are in scope, and the user is told how to pick one
    assert {a["subscription_id"] for a in data["apps"]} == {sub1, sub2}
    assert "matches 2 subscriptions that share a name" in " ".join(output.split())
    assert sub1 in " ".join(output.split()) and sub2 in " ".join(output.split())
    labels = {s["id"]: s["label"] for s in data["subscriptions"]}
    assert labels[sub1] == f"Prod ({sub1})" and labels[sub2] == f"Prod ({sub2})"
    assert labels["00000000-0000-0000-0000-000000000003"] == "Dev"
    # an id picks exactly one
    code, output, data = plan_of(inventory, tmp_path / "o2", "--include", f"subscription:{sub2.upper()}")
    assert code == 0, output
    assert {a["subscription_id"] for a in data["apps"]} == {sub2}
    assert "share a name" not in output


def test_scope_recorded_by_the_scan_applies_to_the_plan(tmp_path: Path) -> None:
    inventory, sub1, sub2 = _two_prod_subscriptions(tmp_path)
    manifest_path = inventory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["scope"] = {"include": [], "exclude": [f"subscription:{sub1}"]}
    manifest_path.write_text(json.dumps(manifest))
    code, output, data = plan_of(inventory, tmp_path / "o")
    assert code == 0, output
    assert {a["subscription_id"] for a in data["apps"]} == {sub2}
    assert data["summary"]["scope"]["from_scan"]["exclude"] == [f"subscription:{sub1}"]
    manifest["scope"] = {"include": "rg:x"}
    manifest_path.write_text(json.dumps(manifest))
    code, output, _ = plan_of(inventory, tmp_path / "o3")
    assert code == 2 and "scope.include" in output


def test_scope_matching_rules() -> None:
    from planner.inventory.scope import Subject

    scope = parse_scope(["rg:rg-web-*", "rg:rg-api", "tag:env"], ["tag:tier=gold"])

    def subject(rg: str, tags: dict[str, str]) -> Subject:
        return Subject("s", "n", rg, tags)

    assert scope.contains(subject("RG-WEB-01", {"Env": "x"}))
    assert scope.contains(subject("rg-api", {"env": ""}))
    assert not scope.contains(subject("rg-data", {"env": "x"}))  # no rg include matches
    assert not scope.contains(subject("rg-api", {}))  # no tag include matches
    assert not scope.contains(subject("rg-api", {"env": "x", "tier": "Gold"}))  # exclude wins
    with pytest.raises(InputError, match="--exclude"):
        parse_scope([], ["rg"])


# -- suppressions -----------------------------------------------------------------------------------


def _blocked(full: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in full["apps"] if a["readiness"] == "blocked" and len(a["blockers"]) == 1)


def test_suppression_accepts_a_blocker_until_it_expires(tmp_path: Path, full: dict[str, Any]) -> None:
    target = _blocked(full)
    blocked = [a for a in full["apps"] if a["readiness"] == "blocked"]
    lines = [
        f"- app: '{target['id'].upper()}'\n  code: {target['blockers'][0]}\n"
        f"  reason: 'Replaced in January: CAB-1234'\n  expires_on: 2027-01-31\n",
    ]
    for other in blocked:
        if other is not target:
            lines.append(
                f"- app: '{other['id']}'\n  code: '*'\n  reason: decommissioned\n  expires_on: 2027-01-31\n"
            )
    rules = tmp_path / "s.yaml"
    rules.write_text("".join(lines))
    code, output, data = plan_of(
        SAMPLE,
        tmp_path / "o",
        "--suppressions",
        str(rules),
        "--fail-on",
        "blocked",
        formats="json,csv,xlsx,html",
    )
    assert code == 0, output
    app_entry = next(a for a in data["apps"] if a["id"] == target["id"])
    assert app_entry["readiness"] == "blocked", "the data still says blocked"
    assert app_entry["readiness_open"] != "blocked"
    assert app_entry["suppressed"][0]["reason"] == "Replaced in January: CAB-1234"
    assert app_entry["suppressed"][0]["expired"] is False
    assert data["summary"]["suppressions"]["active"] == len(lines)
    # visible in every output with the reason
    assert "Replaced in January: CAB-1234" in (tmp_path / "o" / "apps.csv").read_text()
    assert "Replaced in January: CAB-1234" in (tmp_path / "o" / "runbook.html").read_text()
    with zipfile.ZipFile(tmp_path / "o" / "plan.xlsx") as book:
        assert any("Replaced in January: CAB-1234" in book.read(n).decode() for n in book.namelist())
    # the same file after the date: expired, shown as such, and the pipeline fails again
    code, output, data = plan_of(
        SAMPLE, tmp_path / "o2", "--suppressions", str(rules), "--fail-on", "blocked", "--as-of", "2027-01-31"
    )
    assert code == 4, output
    app_entry = next(a for a in data["apps"] if a["id"] == target["id"])
    assert app_entry["suppressed"][0]["expired"] is True and app_entry["readiness_open"] == "blocked"
    assert data["summary"]["suppressions"]["expired"] == len(lines)
    assert "expired on 2027-01-31" in " ".join(output.split())
    assert (tmp_path / "o2" / "plan.json").exists(), "outputs are written before exit 4"


@pytest.mark.parametrize(
    ("content", "field"),
    [
        ("- app: x\n  code: NOT_A_CODE\n  reason: r\n  expires_on: 2027-01-01\n", "code"),
        ("- app: x\n  code: CROSS_REGION\n  reason: r\n", "expires_on"),
        ("- app: x\n  code: CROSS_REGION\n  reason: r\n  expires_on: soon\n", "expires_on"),
        ("- app: x\n  code: CROSS_REGION\n  reason: ''\n  expires_on: 2027-01-01\n", "reason"),
        ("- app: x\n  code: CROSS_REGION\n  reason: r\n  expires: 2027-01-01\n", "expires"),
        ("app: [unclosed\n", None),
    ],
)
def test_bad_suppression_file_is_one_line_exit_2(tmp_path: Path, content: str, field: str | None) -> None:
    rules = tmp_path / "s.yaml"
    rules.write_text(content)
    code, output, _ = plan_of(SAMPLE, tmp_path / "o", "--suppressions", str(rules))
    assert code == 2
    assert "s.yaml" in output and len(output.strip().splitlines()) == 1
    if field:
        assert f"field '{field}'" in output and "suppression 1" in output
    assert not (tmp_path / "o").exists()


def test_json_suppressions_and_unmatched_entries_are_reported(tmp_path: Path) -> None:
    rules = tmp_path / "s.json"
    rules.write_text(
        json.dumps(
            {
                "suppressions": [
                    {
                        "app": "*/sites/no-such-app",
                        "code": "CROSS_REGION",
                        "reason": "r",
                        "expires_on": "2027-01-01",
                    }
                ]
            }
        )
    )
    code, output, data = plan_of(SAMPLE, tmp_path / "o", "--suppressions", str(rules))
    assert code == 0, output
    assert data["summary"]["suppressions"]["unmatched"] == 1
    assert "matches no app" in " ".join(output.split())


# -- --fail-on --------------------------------------------------------------------------------------


def test_fail_on_levels(tmp_path: Path, full: dict[str, Any]) -> None:
    readiness = {a["readiness"] for a in full["apps"]}
    assert {"blocked", "needs-work", "ready"} <= readiness
    for level in ("blocked", "needs-work", "any"):
        code, output, _ = plan_of(SAMPLE, tmp_path / level, "--fail-on", level)
        assert code == 4, output
        assert f"--fail-on {level}" in output and (tmp_path / level / "plan.json").exists()
    # a tenant with one ready app: only "any" fails
    inventory = f.write(tmp_path / "ready", f.base_tenant())
    assert plan_of(inventory, tmp_path / "r1", "--fail-on", "needs-work")[0] == 0
    assert plan_of(inventory, tmp_path / "r2", "--fail-on", "any")[0] == 4
    assert (
        runner.invoke(
            app, ["plan", str(inventory), "--out", str(tmp_path / "r3"), "--fail-on", "x"]
        ).exit_code
        == 2
    )


# -- --redact ---------------------------------------------------------------------------------------


def _texts(folder: Path) -> str:
    parts = []
    for path in folder.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                parts += [book.read(n).decode("utf-8", "replace") for n in book.namelist()]
        elif path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_redact_replaces_subscription_ids_and_names_everywhere(tmp_path: Path, full: dict[str, Any]) -> None:
    code, output, data = plan_of(SAMPLE, tmp_path / "a", "--redact", formats="json,csv,xlsx,html,scripts")
    assert code == 0, output
    text = _texts(tmp_path / "a") + output
    for sub in full["subscriptions"]:
        assert sub["id"].lower() not in text.lower()
        assert not re.search(rf"(?<![\w.-]){re.escape(sub['name'])}(?![\w-])", text), sub["name"]
    assert data["redacted"]["subscriptions"] is True
    assert any("cannot be used as they are" in w for w in data["warnings"])
    assert len(data["apps"]) == len(full["apps"])
    # stable: the same pseudonyms on a second run, so two redacted plans can be compared
    code, _, again = plan_of(SAMPLE, tmp_path / "b", "--redact")
    assert [a["id"] for a in again["apps"]] == [a["id"] for a in data["apps"]]
    assert (
        runner.invoke(
            app, ["diff", str(tmp_path / "a" / "plan.json"), str(tmp_path / "b" / "plan.json")]
        ).exit_code
        == 0
    )
    # a keyed run gives other pseudonyms, and refuses to compare with an unkeyed one
    result = runner.invoke(
        app,
        ["plan", str(SAMPLE), "--out", str(tmp_path / "k"), "-f", "json", "--redact", *AS_OF,
         "--previous", str(tmp_path / "a" / "plan.json")],
        env={"VNET_PLANNER_REDACT_KEY": "team-secret"},
    )  # fmt: skip
    assert result.exit_code == 2 and "another key" in result.output


# -- diff and --previous on two versions of the sample tenant -------------------------------------


def _migrated_sample(
    tmp_path: Path, full: dict[str, Any], delete_gateway: bool = True
) -> tuple[Path, dict[str, Any], list[dict[str, Any]]]:
    """The sample a month later: one deletable gateway's apps moved to regional, the gateway deleted."""
    gateway = next(g for g in full["gateways"] if g["decommission"] == "yes" and g["monthly_cost"])
    moved = [a for a in full["apps"] if a["id"] in gateway["dependents"]]
    later = tmp_path / "later"
    shutil.copytree(SAMPLE, later)
    sites = json.loads((later / "sites.json").read_text())
    targets = {a["id"].lower(): a["target"] for a in moved}
    for site in sites["data"]:
        target = targets.get(site["id"].lower())
        if target:
            site["properties"]["virtualNetworkSubnetId"] = (
                f"{target['vnet_id']}/subnets/{target['subnet_name']}"
            )
    (later / "sites.json").write_text(json.dumps(sites))
    prefixes = tuple(f"{a['id'].lower()}/virtualnetworkconnections/" for a in moved)
    lines = (later / "vnetconnections.jsonl").read_text().splitlines()
    kept = [line for line in lines if not json.loads(line)["id"].lower().startswith(prefixes)]
    (later / "vnetconnections.jsonl").write_text("\n".join(kept) + "\n")
    if delete_gateway:
        gateways = json.loads((later / "virtualnetworkgateways.json").read_text())
        kept_gateways = [g for g in gateways if g["id"].lower() != gateway["id"].lower()]
        assert len(kept_gateways) == len(gateways) - 1
        (later / "virtualnetworkgateways.json").write_text(json.dumps(kept_gateways))
    return later, gateway, moved


def test_a_gateway_no_app_uses_but_still_there_is_freed_not_a_saving(
    tmp_path: Path, full: dict[str, Any]
) -> None:
    earlier = tmp_path / "earlier"
    assert plan_of(SAMPLE, earlier)[0] == 0
    later, gateway, moved = _migrated_sample(tmp_path, full, delete_gateway=False)
    result = runner.invoke(
        app, ["diff", str(earlier / "plan.json"), str(later), "--json", str(tmp_path / "d.json")]
    )
    assert result.exit_code == 0, result.output
    d = json.loads((tmp_path / "d.json").read_text())
    assert len(d["migrated"]) == len(moved)
    assert d["gateways_deleted"] == [] and d["savings_realised_monthly"] == 0.0
    assert [g["id"] for g in d["gateways_freed"]] == [gateway["id"]]
    assert d["savings_waiting_monthly"] == gateway["monthly_cost"] and d["deletions_confirmed"] is True


def test_diff_between_two_versions_of_the_sample(tmp_path: Path, full: dict[str, Any]) -> None:
    earlier = tmp_path / "earlier"
    assert plan_of(SAMPLE, earlier)[0] == 0
    later, gateway, moved = _migrated_sample(tmp_path, full)
    result = runner.invoke(
        app, ["diff", str(earlier / "plan.json"), str(later), "--json", str(tmp_path / "d.json")]
    )
    assert result.exit_code == 0, result.output
    d = json.loads((tmp_path / "d.json").read_text())
    assert sorted(a["id"] for a in d["migrated"]) == sorted(a["id"] for a in moved)
    assert [g["id"] for g in d["gateways_deleted"]] == [gateway["id"]]
    assert d["savings_realised_monthly"] == gateway["monthly_cost"]
    assert d["gateway_required_after"] == d["gateway_required_before"] - len(moved)
    assert not d["new_gateway_required"]
    assert "Savings realised" in result.output

    # plan --previous carries the same burndown into plan.json and the HTML runbook
    code, output, data = plan_of(
        later, tmp_path / "now", "--previous", str(earlier / "plan.json"), formats="json,html"
    )
    assert code == 0, output
    prev = data["previous"]
    assert len(prev["migrated"]) == len(moved) and prev["savings_realised_monthly"] == gateway["monthly_cost"]
    assert prev["still_gateway_required_count"] == data["summary"]["apps_gateway_required"]
    html = (tmp_path / "now" / "runbook.html").read_text()
    assert f"{len(moved)} migrated" in html and "gateways deleted 1" in html
    assert f"Migrated to regional integration ({len(moved)})" in html and moved[0]["name"] in html


def test_diff_names_the_broken_field_of_a_plan(tmp_path: Path, full: dict[str, Any]) -> None:
    broken = copy.deepcopy(full)
    del broken["apps"][3]["integration"]
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(broken))
    result = runner.invoke(app, ["diff", str(path), str(path)])
    assert result.exit_code == 2
    assert "apps[3].integration" in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("entry", "field"),
    [
        ({"app": 123, "code": "CROSS_REGION", "reason": "r", "expires_on": "2027-01-01"}, "app"),
        ({"app": "*", "code": ["CROSS_REGION"], "reason": "r", "expires_on": "2027-01-01"}, "code"),
        ({"app": "*", "code": "CROSS_REGION", "reason": {"a": 1}, "expires_on": "2027-01-01"}, "reason"),
        ({"app": "*", "code": "CROSS_REGION", "reason": "r", "expires_on": 20270101}, "expires_on"),
        ({"app": "*", "code": "CROSS_REGION", "reason": "r", "expires_on": "2027-02-30"}, "expires_on"),
        ({"app": None, "code": "CROSS_REGION", "reason": "r", "expires_on": "2027-01-01"}, "app"),
    ],
)
def test_odd_suppression_values_are_named(tmp_path: Path, entry: dict[str, Any], field: str) -> None:
    rules = tmp_path / "s.json"
    rules.write_text(json.dumps([entry]))
    code, output, _ = plan_of(SAMPLE, tmp_path / "o", "--suppressions", str(rules))
    assert code == 2, output
    assert f"field '{field}'" in output and len(output.strip().splitlines()) == 1


def test_a_yaml_timestamp_counts_as_its_day_and_markup_in_reasons_stays_text(
    tmp_path: Path, full: dict[str, Any]
) -> None:
    target = _blocked(full)
    rules = tmp_path / "s.yaml"
    rules.write_text(
        f"- app: '{target['id']}'\n  code: '*'\n  reason: '<script>alert(1)</script> =1+1 [red]x[/red]'\n"
        "  expires_on: 2026-12-01 10:00:00\n"
    )
    code, output, data = plan_of(
        SAMPLE, tmp_path / "o", "--suppressions", str(rules), formats="json,csv,html"
    )
    assert code == 0, output
    entry = next(a for a in data["apps"] if a["id"] == target["id"])
    assert entry["suppressed"][0]["expires_on"] == "2026-12-01" and entry["readiness_open"] == "suppressed"
    assert entry["suppressed"][0]["reason"] == "<script>alert(1)</script> =1+1 [red]x[/red]"
    html = (tmp_path / "o" / "runbook.html").read_text()
    assert "<script>alert(1)" not in html  # the page's data is JSON inside a script: '<' is escaped there


def test_diff_reads_a_plan_however_it_is_laid_out(tmp_path: Path, full: dict[str, Any]) -> None:
    """plan.json is read a line at a time when it has one app per line; any other layout reads the same."""
    ours = tmp_path / "ours"
    assert plan_of(SAMPLE, ours)[0] == 0
    for name, text in (("pretty.json", json.dumps(full, indent=2)), ("flat.json", json.dumps(full))):
        (tmp_path / name).write_text(text)
    results = []
    for name in ("ours/plan.json", "pretty.json", "flat.json"):
        result = runner.invoke(
            app, ["diff", str(tmp_path / name), str(SAMPLE), "--json", str(tmp_path / "d.json")]
        )
        assert result.exit_code == 0, result.output
        d = json.loads((tmp_path / "d.json").read_text())
        results.append({k: v for k, v in d.items() if k != "old"})
    assert results[0] == results[1] == results[2]
    assert results[0]["gateway_required_before"] == full["summary"]["apps_gateway_required"]


# -- hostile governance inputs (issue 8 applied to issue 7's files) ---------------------------------


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=20,
)
_entry = st.fixed_dictionaries(
    {},
    optional={
        "app": st.one_of(st.text(max_size=40), _json),
        "code": st.one_of(st.sampled_from(["CROSS_REGION", "*", "cross_region", "NOPE"]), _json),
        "reason": st.one_of(st.text(max_size=40), _json),
        "expires_on": st.one_of(st.sampled_from(["2027-01-01", "2027-02-30", "x"]), st.dates(), _json),
    },
)


@given(st.one_of(st.lists(_entry, max_size=4), _json))
def test_any_suppression_file_loads_or_is_named(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    from planner.plan.suppressions import apply_suppressions, load_suppressions

    path = tmp_path_factory.mktemp("s") / "s.json"
    path.write_text(json.dumps(data, default=str))
    try:
        entries = load_suppressions(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    plan = {"as_of": "2026-12-01", "summary": {}, "apps": [dict(_APP)]}
    apply_suppressions(plan, entries)
    assert plan["summary"]["suppressions"]["entries"] == len(entries)
    assert plan["apps"][0]["readiness_open"] in ("blocked", "suppressed", "needs-work", "ready")


_APP = {
    "id": "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Web/sites/a",
    "readiness": "blocked",
    "blockers": ["CROSS_REGION"],
    "limitations": [],
    "findings": [],
    "unknown": [],
}


@given(st.lists(st.text(max_size=30), max_size=4), st.lists(st.text(max_size=30), max_size=4))
def test_any_filter_text_parses_or_is_named(include: list[str], exclude: list[str]) -> None:
    from planner.inventory.scope import Subject

    try:
        scope = parse_scope(include, exclude)
    except InputError as exc:
        assert str(exc).startswith(("--include", "--exclude")) and "\n" not in str(exc).replace("\\n", "")
        return
    assert isinstance(scope.contains(Subject("id", "name", "rg", {"k": "v"})), bool)
