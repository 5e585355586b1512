"""`--format bicep`: a deployable file per wave from the steps' `deploy` calls (plan format 2).

The files' syntax is checked by tree-sitter-bicep in tests/test_generated_syntax.py; here: that every
call a plan holds lands in exactly one file or is counted as left out, the split at Azure's limits,
and the quoting of values that come from the inventory.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from typer.testing import CliRunner

from planner.cli import app
from planner.render.bicep import MAX_CALLS, Call, _parts, _string, module_call

ROOT = Path(__file__).parents[1]
CALL = re.compile(r"^module (m\d+) 'modules/(\w+)\.bicep' = if \(stage == '(network|cutover)'\)", re.M)
LEFT_OUT = re.compile(r"^// left out: ", re.M)


def test_every_deploy_call_of_the_sample_is_in_one_wave_file_or_counted(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["plan", str(ROOT / "samples" / "contoso"), "--out", str(tmp_path), "--format", "json,bicep", "-q"],
    )
    assert result.exit_code == 0, result.output
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    deploys = [
        (d["module"], d["stage"])
        for owner in plan["apps"]
        for step in owner["steps"]
        for d in step.get("deploy") or ()
        if owner.get("wave")
    ]
    assert deploys and all(
        "bicep" not in s for a in plan["apps"] for s in a["steps"]
    )  # no snippet in plan.json
    files = sorted((tmp_path / "bicep").glob("wave-*.bicep"))
    calls = [c for f in files for c in CALL.findall(f.read_text(encoding="utf-8"))]
    left_out = sum(len(LEFT_OUT.findall(f.read_text(encoding="utf-8"))) for f in files)
    assert len(calls) + left_out == len(deploys)
    assert not Counter((m, s) for _, m, s in calls) - Counter(deploys)  # each call is one of the plan's
    readme = (tmp_path / "bicep" / "README.md").read_text(encoding="utf-8")
    assert f"Left out: {left_out} call(s)" in readme
    assert all(f"`{f.name}`" in readme for f in files)
    # A classic VNet's app has no id to integrate with yet: its call waits for <MIGRATED_VNET_ID>.
    assert left_out >= 1 and "<MIGRATED_VNET_ID>" in "".join(f.read_text(encoding="utf-8") for f in files)


def test_an_apps_calls_run_in_order_and_stay_in_one_file() -> None:
    def call(owner: str, order: int, group: str) -> Call:
        return Call(owner, order, "t", {"module": "subnet", "subscription_id": "s", "resource_group": group})

    calls = [call(f"app-{n}", step, f"rg-{n}") for n in range(MAX_CALLS - 1) for step in (1,)]
    calls += [call("big", 1, "rg-big"), call("big", 2, "rg-big"), call("last", 1, "rg-last")]
    parts = _parts(calls)
    assert [len(p) for p in parts] == [MAX_CALLS - 1, 3]
    assert [c.owner for c in parts[1]] == ["big", "big", "last"]
    lines = module_call(calls[-2].deploy | {"params": {"name": "x"}}, "m2", "n", after="m1")
    assert "  dependsOn: [" in lines and "    m1" in lines


def test_values_from_the_inventory_are_bicep_strings() -> None:
    assert _string("it's ${x}\\n") == "'it\\'s \\${x}\\\\n'"
    lines = module_call(
        {
            "module": "vnet",
            "subscription_id": "s",
            "resource_group": "rg",
            "stage": "network",
            "params": {"name": "v'1", "dnsServers": ["10.0.0.4", "10.0.0.5"], "flag": True, "n": 2},
        },
        "m1",
        "wave-01-1-vnet",
    )
    text = "\n".join(lines)
    assert "name: 'v\\'1'" in text and "flag: true" in text and "n: 2" in text
    assert "dnsServers: [\n      '10.0.0.4'\n      '10.0.0.5'\n    ]" in text
