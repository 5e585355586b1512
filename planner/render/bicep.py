"""Bicep renderer (`--format bicep`): deployable files per wave, from the steps' `deploy` calls.

plan.json (format 2) holds what each step deploys as a call of a module in templates/bicep/ (module,
subscription, resource group, parameters, stage); this writes

- `bicep/modules/*.bicep`: the modules, once;
- `bicep/wave-NN.bicep`: a subscription-scope file per wave calling them, each call scoped to its
  resource group (`resourceGroup(subscription, group)`: a subscription deployment may deploy to resource
  groups of other subscriptions); `wave-NN-part2.bicep` and on when a wave has more calls than one
  deployment takes (Azure Resource Manager: 800 resources per template, and 800 resource groups per
  subscription deployment); an app's calls always stay in one file, in order (`dependsOn`);
- `bicep/README.md`: what each file holds, the commands to deploy it, and the calls left out.

A file has one parameter, `stage`: `network` (VNets, subnets, peerings, and the new plans and apps of
blue-green moves, before the window) or `cutover` (regional integration of the apps themselves, once
their gateway-required connections are deleted: an app uses one form of integration at a time). A
call whose parameters still hold a `<PLACEHOLDER>` is left out, named in a comment and counted in the
README: it cannot be deployed as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from planner.core.shell import placeholders_in
from planner.render.schedule import Schedule, Wave, schedule_of

MAX_CALLS = (
    800  # resources (module calls are deployments) in one template, and resource groups per deployment
)
STAGES = ("network", "cutover")


@dataclass(frozen=True)
class Call:
    """One module call of a wave file: whose step it is, and the step's `deploy` entry."""

    owner: str
    order: int
    title: str
    deploy: Mapping[str, Any]

    @property
    def missing(self) -> list[str]:
        deploy = self.deploy
        return placeholders_in(
            [
                deploy.get("subscription_id"),
                deploy.get("resource_group"),
                *(deploy.get("params") or {}).values(),
            ]
        )


def write_bicep(plan: Mapping[str, Any], out_dir: Path, schedule: Schedule | None = None) -> list[Path]:
    """Write bicep/modules, a file (or parts) per wave with calls, and README.md into `out_dir`."""
    schedule = schedule or schedule_of(plan)
    out_dir.mkdir(parents=True, exist_ok=True)
    modules = out_dir / "modules"
    modules.mkdir(exist_ok=True)
    written = []
    for template in sorted(
        resources.files("planner.templates").joinpath("bicep").iterdir(), key=lambda t: t.name
    ):
        if template.name.endswith(".bicep"):
            (modules / template.name).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
            written.append(modules / template.name)
    readme: list[str] = []
    skipped_total = 0
    for wave in schedule.scheduled:
        calls = list(_calls(wave))
        if not calls:
            continue
        parts = _parts(calls)
        for index, part in enumerate(parts, start=1):
            stem = f"wave-{wave.number:02d}" + (f"-part{index}" if index > 1 else "")
            path = out_dir / f"{stem}.bicep"
            text, skipped = _wave_file(plan, wave, part, index, len(parts))
            path.write_text(text, encoding="utf-8")
            written.append(path)
            skipped_total += len(skipped)
            readme += _readme_entry(path.name, wave, part, skipped)
    (out_dir / "README.md").write_text(_readme(plan, readme, skipped_total), encoding="utf-8")
    written.append(out_dir / "README.md")
    return written


def _calls(wave: Wave) -> Iterator[Call]:
    for owner in wave.owners():
        name = str(owner.get("name") or owner.get("id"))
        for step in owner.get("steps") or ():
            for deploy in step.get("deploy") or ():
                yield Call(name, int(step.get("order") or 0), str(step.get("title") or ""), deploy)


def _parts(calls: Sequence[Call]) -> list[list[Call]]:
    """Calls split into files of at most MAX_CALLS calls and resource groups, an owner's calls together."""
    parts: list[list[Call]] = [[]]
    groups: set[tuple[str, str]] = set()
    by_owner: dict[str, list[Call]] = {}
    for call in calls:
        by_owner.setdefault(call.owner, []).append(call)
    for owned in by_owner.values():
        new_groups = {_group(c) for c in owned} - groups
        if parts[-1] and (len(parts[-1]) + len(owned) > MAX_CALLS or len(groups | new_groups) > MAX_CALLS):
            parts.append([])
            groups = set()
        parts[-1] += owned
        groups |= {_group(c) for c in owned}
    return parts


def _group(call: Call) -> tuple[str, str]:
    return (
        str(call.deploy.get("subscription_id") or "").lower(),
        str(call.deploy.get("resource_group") or "").lower(),
    )


def _wave_file(
    plan: Mapping[str, Any], wave: Wave, calls: Sequence[Call], part: int, parts: int
) -> tuple[str, list[Call]]:
    first = calls[0].deploy
    location = _location(wave) or "westeurope"
    name = f"wave-{wave.number:02d}" + (f"-part{part}" if part > 1 else "")
    out = [
        f"// {wave.name}: {_iso(wave.start)} to {_iso(wave.end)}"
        + (f", part {part} of {parts}" if parts > 1 else "")
        + f". Generated by vnet-planner {plan.get('tool_version') or ''} from the plan of {plan.get('as_of') or ''}.",
        "// Deploy the network stage before the window, the cutover stage once these apps' gateway-required",
        "// connections are deleted (README.md):",
        f"//   az deployment sub create --subscription {first.get('subscription_id') or '<SUBSCRIPTION_ID>'} "
        f"--location {location} --name {name}-network --template-file {name}.bicep --parameters stage=network",
        "targetScope = 'subscription'",
        "",
        "@description('network: VNets, subnets, peerings, new plans and apps; cutover: regional integration')",
        "@allowed([",
        *[f"  '{stage}'" for stage in STAGES],
        "])",
        "param stage string",
    ]
    skipped: list[Call] = []
    previous: dict[tuple[str, str], str] = {}  # (owner, stage) -> symbol of its last call in that stage
    for number, call in enumerate(calls, start=1):
        out.append("")
        if call.missing:
            skipped.append(call)
            out.append(
                f"// left out: {_comment(call.owner)}, step {call.order} ({_comment(call.title)}) needs "
                f"{', '.join(call.missing)} filled in (plan.json notes say how)"
            )
            continue
        symbol = f"m{number}"
        stage = str(call.deploy.get("stage") or "network")
        after = previous.get((call.owner, stage))
        previous[(call.owner, stage)] = symbol
        out.append(f"// {_comment(call.owner)}, step {call.order}: {_comment(call.title)}")
        out += module_call(call.deploy, symbol, f"{name}-{number}-{call.deploy.get('module')}", after)
    return "\n".join(out) + "\n", skipped


def module_call(deploy: Mapping[str, Any], symbol: str, name: str, after: str | None = None) -> list[str]:
    """The Bicep lines of one module call (also what the workbook and the HTML show for a step)."""
    stage = str(deploy.get("stage") or "network")
    lines = [
        f"module {symbol} 'modules/{deploy.get('module')}.bicep' = if (stage == '{stage}') {{",
        f"  name: {_string(name[:64])}",
        f"  scope: resourceGroup({_string(deploy.get('subscription_id'))}, {_string(deploy.get('resource_group'))})",
        "  params: {",
    ]
    for key, value in (deploy.get("params") or {}).items():
        lines += _param(str(key), value)
    lines.append("  }")
    if after:
        lines += ["  dependsOn: [", f"    {after}", "  ]"]
    lines.append("}")
    return lines


def deploy_text(step: Mapping[str, Any]) -> str:
    """What a step deploys, as Bicep: its module calls (plan@2), or the snippet a plan@1 step held."""
    if step.get("bicep"):
        return str(step["bicep"])
    if not step.get("deploy"):
        return ""  # most steps deploy nothing
    return "\n\n".join(
        "\n".join(module_call(d, f"m{i}", f"step-{step.get('order')}-{d.get('module')}"))
        for i, d in enumerate(step.get("deploy") or (), start=1)
    )


def _param(key: str, value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        if not value:
            return [f"    {key}: []"]
        return [f"    {key}: [", *[f"      {_scalar(v)}" for v in value], "    ]"]
    return [f"    {key}: {_scalar(value)}"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return _string(value)


def _string(value: Any) -> str:
    """A Bicep string literal: backslash, quote and interpolation escaped."""
    text = str(value or "").replace("\\", "\\\\").replace("'", "\\'").replace("${", "\\${")
    return "'" + text.replace("\n", "\\n").replace("\r", "\\r") + "'"


def _comment(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def _iso(value: Any) -> str:
    return value.isoformat() if value else "unscheduled"


def _location(wave: Wave) -> str | None:
    for app in wave.apps:
        if app.get("location"):
            return str(app["location"])
    return None


def _readme_entry(name: str, wave: Wave, calls: Sequence[Call], skipped: Sequence[Call]) -> list[str]:
    counts = {
        stage: sum(1 for c in calls if (c.deploy.get("stage") or "network") == stage) for stage in STAGES
    }
    subscriptions = sorted({str(c.deploy.get("subscription_id") or "") for c in calls} - {""})
    owners = len({c.owner for c in calls})
    line = (
        f"| `{name}` | {wave.number} | {_iso(wave.start)} | {owners} | {counts['network']} | {counts['cutover']} "
        f"| {len(skipped)} | {len(subscriptions)} |"
    )
    return [line]


def _readme(plan: Mapping[str, Any], rows: Sequence[str], skipped: int) -> str:
    lines = [
        "# Bicep for each wave",
        "",
        f"Generated by vnet-planner {plan.get('tool_version') or ''} from the plan of {plan.get('as_of') or ''}. "
        "Each `wave-NN.bicep` deploys what the wave's steps create, as calls of the modules in `modules/`, "
        "each in its own resource group (and subscription). The runbook's commands do the same work; use "
        "one or the other for a step, not both.",
        "",
        "Deploy each file twice, from a subscription the deploying identity can create deployments in:",
        "",
        "```bash",
        "az deployment sub create --subscription <SUBSCRIPTION_ID> --location <REGION> \\",
        "  --name wave-01-network --template-file wave-01.bicep --parameters stage=network",
        "# the window: delete each app's gateway-required connection (the runbook's cutover steps), then",
        "az deployment sub create --subscription <SUBSCRIPTION_ID> --location <REGION> \\",
        "  --name wave-01-cutover --template-file wave-01.bicep --parameters stage=cutover",
        "```",
        "",
        "- `network`: new VNets, new integration subnets (delegated to Microsoft.Web/serverFarms), peerings, and "
        "the new plans and apps of blue-green moves (built beside the old ones). Existing subnets are changed by the runbook's commands only: a Bicep subnet declaration "
        "replaces the subnet's settings (its NSG and route table among them).",
        "- `cutover`: regional integration of each app and slot moved in place. It connects every app of the file at once, so use it only when the wave's connections are all deleted "
        "in one window; otherwise connect app by app with the runbook's commands.",
        "- An app's calls run in order (`dependsOn`); different apps' calls run in parallel.",
        "- A wave with more than 800 calls or resource groups is split into `-partN` files (one deployment "
        "takes at most 800 resources and 800 resource groups); an app's calls stay in one file.",
        "",
        "| file | wave | starts | apps | network calls | cutover calls | left out | subscriptions |",
        "|---|---:|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Left out: {skipped} call(s) whose parameters hold a `<PLACEHOLDER>` the plan cannot fill (each is "
        "named in a comment where it would be; the step's notes in plan.json say where the value comes from).",
        "",
    ]
    return "\n".join(lines)
