"""docs/pipelines.md: its two pipeline examples parse as YAML and use the actions, tasks and options
the page explains (a pipeline copied from the docs must not fail on its first line)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import typer
import yaml
from typer.testing import CliRunner

from planner.cli.scan import register

DOC = Path(__file__).resolve().parent.parent / "docs" / "pipelines.md"
BLOCKS = re.findall(r"^```yaml\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.S | re.M)


def _pipelines() -> tuple[dict[str, Any], dict[str, Any]]:
    docs = [yaml.safe_load(block) for block in BLOCKS]
    github = next(d for d in docs if "jobs" in d)
    devops = next(d for d in docs if "steps" in d)
    return github, devops


def _scripts(steps: list[dict[str, Any]]) -> str:
    return "\n".join(
        str(
            s.get("run")
            or s.get("bash")
            or s.get("script")
            or (s.get("inputs") or {}).get("inlineScript")
            or ""
        )
        for s in steps
    )


def test_the_page_holds_two_pipelines_that_parse() -> None:
    assert len(BLOCKS) == 2
    github, devops = _pipelines()
    assert github is not devops


def test_github_workflow() -> None:
    github, _ = _pipelines()
    triggers = github.get("on", github.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    assert github["permissions"]["id-token"] == "write" and github["permissions"]["contents"] == "read"
    steps = [s for job in github["jobs"].values() for s in job.get("steps", [])]
    login = next(s for s in steps if str(s.get("uses", "")).startswith("azure/login@"))
    assert login["uses"] == "azure/login@v2"
    assert {"client-id", "tenant-id", "subscription-id"} <= set(login["with"])
    uses = {str(s.get("uses", "")).split("@")[0] for s in steps}
    assert {"actions/upload-artifact", "actions/upload-pages-artifact", "actions/deploy-pages"} <= uses
    pages = github["jobs"]["pages"]
    assert pages["permissions"] == {"pages": "write", "id-token": "write"}
    script = _scripts(steps)
    assert "vnet-planner scan --management-group" in script and "--fail-on blocked" in script


def test_azure_devops_pipeline() -> None:
    _, devops = _pipelines()
    assert devops["schedules"][0]["cron"] and devops["trigger"] == "none"
    cli = next(s for s in devops["steps"] if s.get("task") == "AzureCLI@2")
    assert cli["inputs"]["addSpnToEnvironment"] is True
    assert cli["inputs"]["scriptType"] == "bash" and cli["inputs"]["scriptLocation"] == "inlineScript"
    assert "azureSubscription" in cli["inputs"]
    tasks = {s.get("task") for s in devops["steps"]}
    assert {"PublishPipelineArtifact@1", "DownloadPipelineArtifact@2"} <= tasks
    assert "vnet-planner scan --management-group" in cli["inputs"]["inlineScript"]


@pytest.mark.parametrize("pipeline", ["github", "devops"])
def test_scan_options_in_the_examples_exist(pipeline: str) -> None:
    github, devops = _pipelines()
    doc = github if pipeline == "github" else devops
    steps = [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])] + doc.get("steps", [])
    app = typer.Typer()
    register(app)
    help_text = CliRunner().invoke(app, ["scan", "--help"], env={"COLUMNS": "200"}).output
    used = {
        option
        for line in _scripts(steps).splitlines()
        if "vnet-planner scan" in line
        for option in re.findall(r"\s(--[a-z-]+)", line)
    }
    assert used and all(option in help_text for option in used), used


@pytest.mark.parametrize("pipeline", ["github", "devops"])
def test_the_shell_scripts_are_valid_bash(pipeline: str, tmp_path: Path) -> None:
    github, devops = _pipelines()
    doc = github if pipeline == "github" else devops
    steps = [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])] + doc.get("steps", [])
    checked = 0
    for n, step in enumerate(steps):
        text = _scripts([step])
        if not text.strip():
            continue
        script = tmp_path / f"step{n}.sh"
        script.write_text(text)
        result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
        assert result.returncode == 0, (text, result.stderr)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("pipeline", ["github", "devops"])
def test_plan_options_in_the_examples_exist(pipeline: str) -> None:
    from planner.cli import app as main_app

    github, devops = _pipelines()
    doc = github if pipeline == "github" else devops
    steps = [s for job in doc.get("jobs", {}).values() for s in job.get("steps", [])] + doc.get("steps", [])
    help_text = CliRunner().invoke(main_app, ["plan", "--help"], env={"COLUMNS": "200"}).output
    used = {
        option
        for line in _scripts(steps).splitlines()
        if "vnet-planner plan" in line or re.search(r"\bargs\+?=\(", line)
        for option in re.findall(r"[\s(](--[a-z-]+)", line)
    }
    assert {"--previous", "--fail-on"} <= used
    assert all(option in help_text for option in used), used
