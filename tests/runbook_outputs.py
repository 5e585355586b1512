"""What the runbook emits for the bundled sample tenant and a synthetic tenant, gathered once for
the checks that run it through real parsers (tests/test_azcli.py, tests/test_generated_syntax.py).

Commands come from four places: a step's `commands`, the backticked commands inside its
`validation` and `rollback` texts, the `run`/`say` lines of the bash scripts and the
`Invoke-Az`/`Write-StepText` lines of the PowerShell scripts (plus their `az account show` check).
"""

from __future__ import annotations

import re
import shlex
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from planner.core.settings import Settings
from planner.plan.pipeline import run_plan
from planner.render.bicep import write_bicep
from planner.render.scripts import write_scripts
from planner.sample.synthetic import generate

ROOT = Path(__file__).parents[1]
SAMPLE = ROOT / "samples" / "contoso"
AS_OF = date(2026, 11, 29)
SYNTHETIC_APPS = 1000  # the `sample` command's default size: every kind of app, slot and gateway recurs
SYNTHETIC_SEED = 0

BACKTICKED = re.compile(r"`([^`]*)`")
BARE_AZ = re.compile(r"(?<![\w-])az [a-z]")
PS_STRING = re.compile(r"'((?:[^']|'')*)'")


@dataclass(frozen=True)
class Emitted:
    """One command line as an engineer meets it, and where."""

    argv: tuple[str, ...]
    where: str  # "contoso plan.json commands", "synthetic wave-03.ps1", ...


@dataclass(frozen=True)
class Outputs:
    name: str
    plan: dict[str, Any]
    scripts: tuple[Path, ...]
    bicep: tuple[Path, ...] = ()


@cache
def outputs() -> tuple[Outputs, ...]:
    """The sample's and a synthetic tenant's plans with their wave scripts (built once per session)."""
    work = Path(tempfile.mkdtemp(prefix="runbook-outputs-"))
    tenant = work / "synthetic"
    generate(SYNTHETIC_APPS, SYNTHETIC_SEED, tenant)
    found = []
    for name, inventory in (("contoso", SAMPLE), ("synthetic", tenant)):
        plan = run_plan(inventory, Settings(as_of=AS_OF))
        plan["tool_version"] = plan.get("tool_version") or "0.1.0"
        scripts = write_scripts(plan, work / name / "scripts")
        bicep = write_bicep(plan, work / name / "bicep")
        found.append(Outputs(name, plan, tuple(scripts), tuple(p for p in bicep if p.suffix == ".bicep")))
    return tuple(found)


def steps(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for owner in [*plan.get("apps", []), *plan.get("gateways", [])]:
        yield from owner.get("steps") or []


def text_commands(text: str | None) -> list[str]:
    """The `az ...` commands written in backticks inside a validation or rollback text."""
    return [c for c in BACKTICKED.findall(text or "") if c.startswith("az ")]


def bare_commands(text: str | None) -> list[str]:
    """`az ...` written outside backticks: prose that nobody can check or paste safely."""
    outside = BACKTICKED.sub("", text or "")
    return [outside[m.start() : m.start() + 60] for m in BARE_AZ.finditer(outside)]


def plan_commands(out: Outputs) -> Iterator[Emitted]:
    for step in steps(out.plan):
        for line in step["commands"]:
            if line.startswith("az "):
                yield Emitted(tuple(shlex.split(line)), f"{out.name} plan.json commands")
        for field in ("validation", "rollback"):
            for line in text_commands(step.get(field)):
                yield Emitted(tuple(shlex.split(line)), f"{out.name} plan.json {field}")


def ps_words(line: str) -> list[str]:
    """The single-quoted strings of a PowerShell line, unquoted."""
    return [m.replace("''", "'") for m in PS_STRING.findall(line)]


def script_commands(out: Outputs, subscription: str) -> Iterator[Emitted]:
    """Every az command line in the wave scripts: run, printed for a person, and the preflight check."""
    for path in out.scripts:
        where = f"{out.name} {path.name}"
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if path.suffix == ".sh":
                if stripped.startswith("run "):
                    yield Emitted(tuple(shlex.split(stripped)[2:]), where)
                elif stripped.startswith("say '$ az "):
                    yield Emitted(tuple(shlex.split(shlex.split(stripped)[1][2:])), where)
                elif stripped.startswith("az account show"):
                    # without its redirection
                    command = stripped.split(">")[0].replace('"$sub"', subscription)
                    yield Emitted(tuple(shlex.split(command)), where)
            else:
                if stripped.startswith("Invoke-Az "):
                    yield Emitted(("az", *ps_words(stripped)[1:]), where)
                elif stripped.startswith("Write-StepText '$ az "):
                    yield Emitted(tuple(shlex.split(ps_words(stripped)[0][2:])), where)
                elif stripped.startswith("& az account show"):
                    argv = stripped.split("|")[0].split()[1:]
                    yield Emitted(tuple(subscription if w == "$sub" else w for w in argv), where)


def bicep_files() -> Iterator[tuple[str, Path]]:
    """(tenant, path) of every Bicep file `--format bicep` wrote: the modules and the wave files."""
    for out in outputs():
        for path in out.bicep:
            yield out.name, path


def powershell_commands() -> Iterator[tuple[str, str]]:
    """(step title, command) for the classic Azure PowerShell lines some steps hold."""
    for out in outputs():
        for step in steps(out.plan):
            for line in step["commands"]:
                if not line.startswith("az "):
                    yield step["title"], line
