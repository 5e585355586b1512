"""Wave scripts: valid bash, dry run by default, commands run in order with --execute, stops at
manual steps, resumes with --from, and no value from the inventory reaches the shell unquoted.

The bash scripts run for real against a fake `az` on PATH that records every call, one argument
per line, so a test sees exactly what Azure would have been asked.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_runbook import SUB, make_app, make_gateway, make_plan

from planner.core.shell import join, split, tokens, unquote
from planner.render.scripts import EXIT_MANUAL, _bash_words, _one_line, _ps_words, ps_quote, write_scripts
from planner.runbook.apply import apply_runbook

CALL_END = "--end-of-call--"
FAKE_AZ = f"""#!/bin/sh
for word in "$@"; do printf '%s\\n' "$word" >> "$AZ_LOG"; done
printf '%s\\n' '{CALL_END}' >> "$AZ_LOG"
case " $* " in *" $AZ_FAIL_ON "*) echo "fake az: failing on purpose" >&2; exit 1 ;; esac
exit 0
"""


def planned(apps: list[dict[str, Any]], gateways: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    plan = make_plan(apps, gateways)
    plan["tool_version"] = "0.1.0"
    apply_runbook(plan)
    return plan


@pytest.fixture
def fake_az(tmp_path: Path) -> dict[str, str]:
    """An environment whose `az` records its calls in AZ_LOG."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    az = bin_dir / "az"
    az.write_text(FAKE_AZ, encoding="utf-8")
    az.chmod(0o755)
    env = dict(os.environ)
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", AZ_LOG=str(tmp_path / "az.log"), AZ_FAIL_ON=""
    )
    return env


def calls(env: dict[str, str]) -> list[list[str]]:
    """The recorded az calls, each as its argument list."""
    log = Path(env["AZ_LOG"])
    if not log.exists():
        return []
    out: list[list[str]] = []
    current: list[str] = []
    for line in log.read_text(encoding="utf-8").splitlines():
        if line == CALL_END:
            out.append(current)
            current = []
        else:
            current.append(line)
    return out


def bash(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(script), *args], env=env, cwd=script.parent, capture_output=True, text=True, timeout=60
    )


def step_calls(env: dict[str, str]) -> list[list[str]]:
    """Calls made by steps (the preflight `az account show` checks left out)."""
    return [c for c in calls(env) if c[:2] != ["account", "show"]]


def test_one_bash_and_one_powershell_script_per_wave(tmp_path: Path) -> None:
    late = make_app("app-z", plan="asp-z", readiness="blocked", blockers=("NO_SUBNET_SPACE",))
    plan = planned([make_app("app-a"), late])
    paths = write_scripts(plan, tmp_path / "out")
    names = sorted(p.name for p in paths)
    expected = [f"wave-{w['number']:02d}.{ext}" for w in plan["waves"] for ext in ("ps1", "sh")]
    assert names == sorted(expected) and len(plan["waves"]) == 3
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".sh":
            assert "set -euo pipefail" in text and os.access(path, os.X_OK)
            assert f"  {SUB}  # prod" in text  # parameters at the top: the subscriptions the wave touches
        else:
            assert "[switch]$Execute" in text and "$PSNativeCommandArgumentPassing = 'Standard'" in text


def test_shared_notes_are_written_once_per_script_and_named_by_each_step(
    tmp_path: Path, fake_az: dict[str, str]
) -> None:
    plan = planned([make_app("app-a"), make_app("app-b")])
    outage = plan["step_notes"]["outage-starts"]
    for path in write_scripts(plan, tmp_path / "out"):
        text = path.read_text(encoding="utf-8")
        if "Delete app-a" not in text:
            continue
        assert text.count(outage) == 1 and f"# [outage-starts] {outage}" in text
        # Both apps' delete steps name it, below the block that holds it.
        assert text.count("[outage-starts]") == 3 and text.index(outage) < text.index("Delete app-a")
    # A manual step still says its shared notes in full when the script stops there (a person reads them).
    rollback = next(s for s in plan["apps"][0]["steps"] if s["phase"] == "rollback")
    assert rollback["see"] and rollback["manual"]
    app = make_app("app-a", target=None)
    app["target"] = None
    manual = planned([app])
    script = write_scripts(manual, tmp_path / "manual")[0]
    connect = next(s for s in manual["apps"][0]["steps"] if s["title"].startswith("Connect app-a"))
    output = bash(script, "--from", str(connect["order"]), env=fake_az)
    fill_in = next(k for k in connect["see"] if k.startswith("fill-in:"))
    assert manual["step_notes"][fill_in] in output.stdout


def test_bash_scripts_pass_bash_n(tmp_path: Path) -> None:
    refs = [
        {
            "vault": "kv-app",
            "vault_id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv-app",
        }
    ]
    apps = [
        make_app("app-a"),
        make_app("app-old", plan="asp-o", blockers=("PLAN_UNSUPPORTED",), tier="Standard", sku="S1"),
        make_app("app-kv", plan="asp-k", limitations=("KEYVAULT_REFERENCES",), keyvault_references=refs),
    ]
    for path in write_scripts(planned(apps), tmp_path):
        if path.suffix == ".sh":
            result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
            assert result.returncode == 0, result.stderr


def test_dry_run_prints_every_command_and_runs_none(tmp_path: Path, fake_az: dict[str, str]) -> None:
    plan = planned([make_app("app-a")])
    script = write_scripts(plan, tmp_path)[0]
    result = bash(script, env=fake_az)
    assert result.returncode == 0, result.stderr
    assert calls(fake_az) == []
    assert "DRY RUN" in result.stdout
    for step in plan["apps"][0]["steps"]:
        if step["phase"] != "rollback":
            assert step["title"] in result.stdout
            for command in step["commands"]:
                assert command in result.stdout  # printed as plan.json writes it, ready to paste
    assert "all steps done" in result.stdout


def test_execute_runs_in_order_stops_at_manual_steps_and_resumes(
    tmp_path: Path, fake_az: dict[str, str]
) -> None:
    plan = planned([make_app("app-a")])
    script = write_scripts(plan, tmp_path)[0]
    steps = plan["apps"][0]["steps"]
    firewall = next(s["order"] for s in steps if s["phase"] == "firewall")

    first = bash(script, "--execute", env=fake_az)
    assert first.returncode == EXIT_MANUAL, first.stderr
    assert f"--execute --from {firewall + 1}" in first.stdout
    assert calls(fake_az)[0][:2] == ["account", "show"]
    done = step_calls(fake_az)
    assert done[-1][:4] == ["network", "vnet", "subnet", "create"]
    # the cutover waits for the firewall change
    assert not any(c[:3] == ["rest", "--method", "delete"] for c in done)

    second = bash(script, "--execute", "--from", str(firewall + 1), env=fake_az)
    assert second.returncode == EXIT_MANUAL  # the Kudu test is done by a person
    after = step_calls(fake_az)[len(done) :]
    delete = next(i for i, c in enumerate(after) if c[:3] == ["rest", "--method", "delete"])
    add = next(i for i, c in enumerate(after) if c[:3] == ["webapp", "vnet-integration", "add"])
    routing = next(i for i, c in enumerate(after) if c[:3] == ["webapp", "config", "set"])
    assert delete < add < routing
    assert after[delete][4].endswith("/sites/app-a/virtualNetworkConnections/vnet-hub?api-version=2024-11-01")
    # Arguments arrive as single words, JSON-free queries and ids intact.
    assert after[add][after[add].index("--subnet") + 1].endswith("/subnets/snet-appsvc-asp-one")

    kudu = next(s["order"] for s in steps if "Kudu" in s["title"])
    last = bash(script, "--execute", "--from", str(kudu + 1), env=fake_az)
    assert last.returncode == 0 and "all steps done" in last.stdout


def test_rollback_steps_are_never_run(tmp_path: Path, fake_az: dict[str, str]) -> None:
    plan = planned([make_app("app-a")])
    script = write_scripts(plan, tmp_path)[0]
    text = script.read_text(encoding="utf-8")
    rollback = plan["apps"][0]["steps"][-1]
    assert rollback["phase"] == "rollback"
    for command in rollback["commands"]:
        assert f"#   {command}" in text
    total = len([s for s in plan["apps"][0]["steps"] if s["phase"] != "rollback"])
    bash(script, "--execute", "--from", str(total), env=fake_az)
    assert not any("put" in c for c in step_calls(fake_az))


def test_a_failing_command_stops_the_script_and_names_the_step(
    tmp_path: Path, fake_az: dict[str, str]
) -> None:
    plan = planned([make_app("app-a")])
    script = write_scripts(plan, tmp_path)[0]
    fake_az["AZ_FAIL_ON"] = "create"
    result = bash(script, "--execute", env=fake_az)
    assert result.returncode == 1
    create = next(s["order"] for s in plan["apps"][0]["steps"] if "Create subnet" in s["title"])
    assert f"FAILED at step {create}" in result.stderr


def test_bad_arguments_exit_2(tmp_path: Path, fake_az: dict[str, str]) -> None:
    script = write_scripts(planned([make_app("app-a")]), tmp_path)[0]
    assert bash(script, "--frobnicate", env=fake_az).returncode == 2
    assert bash(script, "--from", "x", env=fake_az).returncode == 2
    assert calls(fake_az) == []


def test_hostile_names_reach_az_as_literal_words(tmp_path: Path, fake_az: dict[str, str]) -> None:
    # Names come from the inventory: quotes and $(...) must never be interpreted by the shell.
    app = make_app("app-a")
    evil_rg = "rg-$(touch PWNED)-it's"
    app["resource_group"] = evil_rg
    app["name"] = app["site_name"] = "app-a'; touch PWNED2 #"
    plan = planned([app])
    script = write_scripts(plan, tmp_path)[0]
    assert bash(script, env=fake_az).returncode == 0
    bash(script, "--execute", env=fake_az)
    listed = step_calls(fake_az)[0]
    assert listed[listed.index("-g") + 1] == evil_rg
    assert listed[listed.index("-n") + 1] == "app-a'; touch PWNED2 #"
    assert not list(tmp_path.rglob("PWNED*"))


def test_steps_with_placeholders_are_printed_not_run(tmp_path: Path, fake_az: dict[str, str]) -> None:
    app = make_app("app-a", target=None)
    app["target"] = None
    plan = planned([app])
    script = write_scripts(plan, tmp_path)[0]
    connect = next(s for s in plan["apps"][0]["steps"] if s["title"].startswith("Connect app-a"))
    assert connect["manual"]
    bash(script, "--execute", "--from", str(connect["order"]), env=fake_az)
    assert not any("<" in word for c in step_calls(fake_az) for word in c)


def test_gateway_steps_follow_the_apps_of_their_wave(tmp_path: Path, fake_az: dict[str, str]) -> None:
    app = make_app("app-a")
    plan = planned([app], [make_gateway("vgw-hub", [app])])
    paths = write_scripts(plan, tmp_path)
    cleanup = next(p for p in paths if p.name == "wave-02.sh")
    result = bash(cleanup, "--execute", env=fake_az)
    assert result.returncode == EXIT_MANUAL  # deleting the P2S configuration waits for a person
    made = step_calls(fake_az)
    assert any(c[:4] == ["network", "vnet-gateway", "root-cert", "delete"] for c in made)
    assert not any(c[:3] == ["network", "vnet-gateway", "delete"] for c in made)


def test_powershell_quoting_doubles_every_kind_of_single_quote() -> None:
    assert ps_quote("it's") == "'it''s'"
    assert ps_quote("a\u2019b") == "'a\u2019\u2019b'"
    assert ps_quote("$(Get-Date) `n") == "'$(Get-Date) `n'"


# Characters that decide how a command line splits, plus ordinary and look-alike ones.
_SHELL_TEXT = st.text(alphabet=" \t\r\n'\"\\ab$`!#;<>\x0b\xa0\u2019", max_size=24)


def _split_or_error(split_with: Any, text: str) -> Any:
    try:
        return split_with(text)
    except ValueError as error:
        return ("ValueError", str(error))


@given(_SHELL_TEXT)
def test_split_is_shlex_split(text: str) -> None:
    """The scripts split each command with `split`: the same words, and the same error, as shlex's."""
    assert _split_or_error(split, text) == _split_or_error(shlex.split, text)


@given(st.lists(_SHELL_TEXT, max_size=6))
def test_split_undoes_join(words: list[str]) -> None:
    assert split(join(words)) == words


@given(_SHELL_TEXT)
def test_tokens_are_the_words_as_written(text: str) -> None:
    assert _split_or_error(lambda t: [unquote(token) for token in tokens(t)], text) == _split_or_error(
        shlex.split, text
    )


@given(st.lists(_SHELL_TEXT, max_size=6).map(" ".join) | _SHELL_TEXT)
def test_command_words_are_requoted_as_shlex_splits_them(command: str) -> None:
    """The scripts quote each word once and reuse it; the result is the one of splitting every command."""
    command = "az " + command
    assert _split_or_error(_bash_words, command) == _split_or_error(lambda c: join(shlex.split(c)), command)
    assert _split_or_error(_ps_words, command) == _split_or_error(
        lambda c: ", ".join(ps_quote(w) for w in shlex.split(c)[1:]), command
    )


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("az webapp list", ["az", "webapp", "list"]),
        ("  a\tb\r\nc  ", ["a", "b", "c"]),
        ("a\xa0b", ["a\xa0b"]),  # only space, tab, CR and LF separate words, as in shlex
        ("a '' b", ["a", "", "b"]),
        ("--query '{a: b}'x\"y z\"", ["--query", "{a: b}xy z"]),
        ('"a\\"b\\c\\\\"', ['a"b\\c\\']),  # inside "...", only \" and \\ are escapes
        ("a\\ b \\'c", ["a b", "'c"]),
    ],
)
def test_split_examples(text: str, words: list[str]) -> None:
    assert split(text) == words == shlex.split(text)


def test_split_reports_shlex_errors() -> None:
    with pytest.raises(ValueError, match="No closing quotation"):
        split("az 'open")
    with pytest.raises(ValueError, match="No escaped character"):
        split("az \\")


@given(st.text(alphabet="'\u2018\u2019\u201a\u201b\u201ca$`", max_size=12))
def test_powershell_quoting_doubles_each_quote_mark(text: str) -> None:
    marks = "'\u2018\u2019\u201a\u201b"
    assert ps_quote(text) == "'" + "".join(ch * 2 if ch in marks else ch for ch in text) + "'"


@given(st.text(alphabet=" \t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u2000\u2028\u3000\u200b#>a\u2014", max_size=12))
def test_one_line_joins_every_kind_of_whitespace(text: str) -> None:
    """Titles and checks that are one line already are kept as they are: the same as normalising them."""
    assert _one_line(text) == " ".join(text.split()).replace("#>", "# >")


def test_powershell_script_passes_each_word_separately(tmp_path: Path) -> None:
    plan = planned([make_app("app-a")])
    ps1 = next(p for p in write_scripts(plan, tmp_path) if p.suffix == ".ps1")
    text = ps1.read_text(encoding="utf-8")
    assert "Invoke-Az 'az network vnet subnet create" in text
    assert "@('network', 'vnet', 'subnet', 'create', '-g', 'rg-net'," in text
    assert text.count("Stop-ForManualStep") >= 3  # firewall, Kudu test (and the function itself)


@pytest.mark.skipif(shutil.which("pwsh") is None, reason="PowerShell (pwsh) is not installed")
def test_powershell_dry_run_parses_and_runs_nothing(tmp_path: Path, fake_az: dict[str, str]) -> None:
    ps1 = next(p for p in write_scripts(planned([make_app("app-a")]), tmp_path) if p.suffix == ".ps1")
    result = subprocess.run(
        ["pwsh", "-NoProfile", "-File", str(ps1)], env=fake_az, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert calls(fake_az) == []
