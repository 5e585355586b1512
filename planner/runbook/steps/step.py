"""One runbook step, the az command lines in it, and the placeholders a person must fill in.

Commands are built as argument lists and joined with `shlex.join`, so each string in plan.json is
copy-pasteable into bash and `shlex.split` gives back the exact arguments (the script writer relies
on that to re-quote them for PowerShell).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from planner.core.memory import KeyShared, key_shared
from planner.core.shell import placeholders_in, quote

# `az rest` prefixes a URL that has no host with the current cloud's Resource Manager endpoint (Azure CLI
# `rest --url` help), so the runbook's commands work unchanged in AzureUSGovernment and AzureChinaCloud.
ARM = ""
WEB_API = "2024-11-01"  # the api-version azure-facts §6 uses for virtualNetworkConnections
# The Azure CLI release every command shape is checked against (tests/test_azcli.py, docs/runbook.md).
AZURE_CLI_VERSION = "2.91.0"
# Resource Graph returns 100 rows unless asked for more; 1000 is the most one call returns.
GRAPH_FIRST = "1000"
GRAPH_NOTE_TEXT = (
    "az graph query comes with the resource-graph extension (az extension add --name resource-graph); it "
    "returns at most 1000 rows a call: if the output has a skip_token, repeat the query with --skip-token."
)

# Why a value cannot come from the plan. A step that still holds one of these is manual: the
# scripts print it and stop rather than send a literal "<...>" to Azure.
PLACEHOLDER_WHY: dict[str, str] = {
    "<MIGRATED_VNET_ID>": "the classic VNet gets its Resource Manager id only when its migration is committed; "
    "read it with the `az network vnet list` command of the migration step",
    "<MIGRATED_VNET_RESOURCE_GROUP>": "Azure picks the resource group of a migrated classic VNet at commit time",
    "<TARGET_VNET_ID>": "the plan has no target VNet for this app (see its target_reason)",
    "<TARGET_VNET_NAME>": "the plan has no target VNet for this app (see its target_reason)",
    "<TARGET_VNET_RESOURCE_GROUP>": "the plan has no target VNet for this app (see its target_reason)",
    "<TARGET_SUBNET_NAME>": "the plan has no target subnet for this app (see its target_reason)",
    "<TARGET_SUBNET_PREFIX>": "the plan has no free range for this app's subnet (see its target_reason)",
    "<RESOURCE_GROUP>": "the resource id in the plan names no resource group",
    "<TARGET_LOCATION>": "the plan gives no region for this app",
    "<P2S_POOL>": "the inventory shows no point-to-site pool for this app's gateway",
    "<CERT_FILE_FROM_PREVIOUS_COMMAND>": "Azure returns the connection's certificate (certBlob) only when the "
    "connection is re-created, and the previous command prints it as base64 text, while --public-cert-data takes "
    "the path of a file holding the certificate's bytes (the CLI encodes them itself): decode the text into a "
    "file and give its path (bash: append `| base64 -d > appservice-rollback.cer` to the previous command; "
    'PowerShell: `[IO.File]::WriteAllBytes("$PWD/appservice-rollback.cer", [Convert]::FromBase64String((...)))` '
    "around it)",
    "<CERT_FILE>": "a file holding the certificate's bytes: decode the base64 publicCertData of the gateway's "
    "show output (recorded in the pre-check) into a file, as for the rollback's <CERT_FILE_FROM_PREVIOUS_COMMAND>",
    "<VPN_PACKAGE_URL_FROM_PREVIOUS_COMMAND>": "Azure generates the VPN client package URL on request: "
    "it is the URL the previous command prints",
    "<RUNTIME>": "the inventory does not hold the app's runtime stack; read it from the old app "
    "(`az webapp config show` or `az functionapp config show`: linuxFxVersion, netFrameworkVersion) and pick "
    "the matching name from `az webapp list-runtimes` or `az functionapp list-runtimes`",
    "<CONTAINER_IMAGE>": "the inventory does not hold the container image; copy windowsFxVersion from the old app",
    "<STORAGE_ACCOUNT>": "a function app needs its storage account (AzureWebJobsStorage); settings are not read",
    "<SLOT_NAME>": "the inventory says the site has slots but lists none of them",
    "<ROOT_CERT_NAME>": "the inventory does not say which root certificate App Service registered for these apps",
    "<CONNECTION_NAME>": "the plan does not name the app's gateway-required connection (Azure names it after the VNet)",
    "<CLASSIC_VNET_NAME>": "the plan does not name the classic VNet",
    "<VAULT_NAME>": "the plan names neither the vault nor its id",
    "<TARGET_VNET_PREFIX>": "the plan proposes no address space for the new VNet",
    "<DELETED_APP_ID>": "Azure gives a deleted app an id of its own: the deleted list command prints it",
    "<PREVIOUS_ADDRESS_PREFIXES>": "the VNet's address space before the addition, as the pre-check printed it",
    "<ZONE_RESOURCE_GROUP>": "private DNS zones are not in the inventory: the query lists each zone's resource group",
    "<ZONE_NAME>": "private DNS zones are not in the inventory: the query lists each zone",
    "<ZONE_SUBSCRIPTION_ID>": "private DNS zones are not in the inventory: the query lists each zone's subscription",
}


class SharedNote(str):
    """A note that every step of its kind carries word for word (plan format 2): plan.json writes its text
    once, under `step_notes`, and the step names its key in `see`. Build one with `shared_note`."""

    key: str


# Every shared note by key, in the order they were declared; `step_notes` in plan.json is a subset.
SHARED_NOTES: dict[str, SharedNote] = {}


def shared_note(key: str, text: str) -> SharedNote:
    """Declare a shared note once, at import time; the key is its stable name in plan.json."""
    if key in SHARED_NOTES and SHARED_NOTES[key] != text:
        raise ValueError(f"shared note {key!r} declared twice with different texts")
    note = SharedNote(text)
    note.key = key
    SHARED_NOTES[key] = note
    return note


def _fill_in(placeholder: str) -> SharedNote:
    return shared_note(f"fill-in:{placeholder}", f"Fill in {placeholder}: {PLACEHOLDER_WHY[placeholder]}.")


def az(template: str, /, **values: str | Sequence[str] | None) -> str:
    """An `az ...` command line from a one-line template such as
    `"network vnet show --ids {vnet} --query {q}"`.

    A `{name}` word takes the value given for it (a list adds several words). A missing value
    (None or empty) drops the word, and the flag before it, so optional flags read naturally:
    `--subscription {sub}` disappears when the subscription is unknown.
    """
    # The words as given (to see whether the last one is a flag) and as quoted (to join): the template's
    # own words are quoted once per template, values per call (1.2 million calls on a 50,000-app tenant).
    raw = ["az"]
    out = ["az"]
    for is_value, word, quoted in _compiled(template):
        if not is_value:
            raw.append(word)
            out.append(quoted)
            continue
        value = values[word]
        if not value:
            if raw[-1].startswith("-"):
                raw.pop()
                out.pop()
            continue
        if isinstance(value, str):
            raw.append(value)
            out.append(quote(value))
        else:
            raw.extend(value)
            out.extend(quote(v) for v in value)
    return " ".join(out)


GRAPH_NOTE = shared_note("graph-query", GRAPH_NOTE_TEXT)
# "Fill in <X>: why" for every known placeholder: the same words wherever <X> occurs.
FILL_IN: dict[str, SharedNote] = {p: _fill_in(p) for p in PLACEHOLDER_WHY}


@lru_cache(maxsize=1024)
def _compiled(template: str) -> tuple[tuple[bool, str, str], ...]:
    """A template's words: (is a `{value}`, the word or the value's name, the word quoted)."""
    return tuple(
        (True, word[1:-1], "") if word.startswith("{") and word.endswith("}") else (False, word, quote(word))
        for word in template.split()
    )


def shown(command: str) -> str:
    """A command inside a validation or rollback text: in backticks, so it can be told from the prose
    (and checked like the step's own commands)."""
    return f"`{command}`"


def arm_url(resource_id: str, suffix: str = "", api: str = WEB_API) -> str:
    """The management URL of a resource (or a child path below it) for `az rest`."""
    return f"{ARM}{resource_id}{suffix}?api-version={api}"


@dataclass(frozen=True)
class Deploy:
    """What a step deploys, as a call of one of the Bicep modules in templates/bicep/ (plan format 2).

    `--format bicep` gathers a wave's calls into deployable files (planner/render/bicep.py); plan.json
    holds the call, not Bicep text. `stage` says when it may run: "network" before the window (VNets,
    subnets, peerings, and the new plans and apps of blue-green moves), "cutover" once the app's
    gateway-required connection is deleted (its regional integration).
    """

    module: str
    subscription: str | None
    resource_group: str | None
    params: Mapping[str, Any]
    stage: str = "network"

    def as_dict(self) -> dict[str, Any]:
        return key_shared(
            _DeployDict,
            {
                "module": self.module,
                "subscription_id": self.subscription,
                "resource_group": self.resource_group,
                "stage": self.stage,
                "params": dict(self.params),
            },
        )

    def values(self) -> list[Any]:
        """Every value the call carries (for the placeholder check)."""
        return [self.subscription, self.resource_group, *self.params.values()]


class _DeployDict(KeyShared):
    """steps[].deploy[]: a Bicep module call (planner.core.memory.key_shared)."""


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ takes 3x as long, on 500,000 steps
class Step:
    """A step before it gets its number: what to run, how to check it, how to undo it. Treated as a value:
    nothing changes a step once built (`finished` and `dataclasses.replace` make new ones)."""

    phase: str
    title: str
    commands: tuple[str, ...] = ()
    validation: str = ""
    rollback: str = ""
    deploy: tuple[Deploy, ...] = ()
    manual: bool = False
    notes: tuple[str, ...] = field(default_factory=tuple)

    def finished(self) -> Step:
        """The step with its placeholders explained; a placeholder in a command makes it manual."""
        # The common case, nothing to fill in: no "<" in any command or Bicep parameter (a placeholder
        # starts with one). 511,000 steps at 50,000 migration-heavy apps, so without the regex.
        for command in self.commands:
            if "<" in command:
                break
        else:
            if not self.deploy or not any(_has_angle(v) for d in self.deploy for v in d.values()):
                return self
        missing = placeholders_in([*self.commands, *(v for d in self.deploy for v in d.values())])
        if not missing:
            return self
        why = [FILL_IN.get(p, f"Fill in {p}: the plan does not hold this value.") for p in missing]
        new = tuple(note for note in why if note not in self.notes)  # finished twice: explained once
        if not new and self.manual:
            return self
        return replace(self, manual=True, notes=self.notes + new)

    def as_dict(self, order: int) -> dict[str, Any]:
        """The plan.json shape (docs/plan-format.md), with `manual`, `notes` and `see` as extensions:
        `notes` holds what is said of this step only, `see` the keys of the shared notes that apply."""
        notes = self.notes  # most steps have none: 511,000 steps at 50,000 migration-heavy apps
        own = [n for n in notes if n.__class__ is not SharedNote] if notes else None
        return _StepFields(
            order,
            self.phase,
            self.title,
            list(self.commands),
            self.validation,
            self.rollback,
            self.manual,
            " ".join(own) if own else None,
            [n.key for n in notes if n.__class__ is SharedNote] if notes else [],
            [d.as_dict() for d in self.deploy] if self.deploy else [],
        ).__dict__


class _StepFields(KeyShared):
    """steps[]: `Step.as_dict` returns the `__dict__` of one of these, as `key_shared` would, with the
    fields set by an `__init__` (faster than its loop, on 511,000 steps at 50,000 migration-heavy apps).
    A step dict takes 152 bytes instead of 272: 47 MB less at the peak (docs/performance.md)."""

    def __init__(
        self,
        order: int,
        phase: str,
        title: str,
        commands: list[str],
        validation: str,
        rollback: str,
        manual: bool,
        notes: str | None,
        see: list[str],
        deploy: list[dict[str, Any]],
    ) -> None:
        self.order = order
        self.phase = phase
        self.title = title
        self.commands = commands
        self.validation = validation
        self.rollback = rollback
        self.manual = manual
        self.notes = notes
        self.see = see
        self.deploy = deploy


def _has_angle(value: Any) -> bool:
    """Whether a Bicep parameter may hold a placeholder, read as `placeholders_in` reads it."""
    if isinstance(value, list | tuple):
        return any("<" in str(v) for v in value)
    return "<" in str(value if value is not None else "")


def step_notes(steps: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """The shared notes the given plan.json steps name in `see`, by key, in declaration order."""
    used = {key for step in steps for key in step.get("see") or ()}
    return {key: str(note) for key, note in SHARED_NOTES.items() if key in used}


def numbered(steps: Iterable[Step]) -> list[dict[str, Any]]:
    """Steps as plan.json dicts, numbered from 1 in the order given."""
    return [step.finished().as_dict(i) for i, step in enumerate(steps, start=1)]
