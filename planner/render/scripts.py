"""One bash and one PowerShell script per wave, from the steps in plan.json.

Dry run by default: a script prints every command and runs none; `--execute` (`-Execute`) runs the
automated steps in order and stops at each manual one, which `--from N` (`-From N`) resumes after.
Commands are taken from plan.json, split back into words by `shlex.split`'s rules (`core.shell.split`;
they were joined with the matching quoting) and re-quoted for each shell, so no value from the inventory is ever
interpreted by the shell. Rollback steps are written as comments: a rollback is a decision, not a
default.
"""

from __future__ import annotations

import datetime as dt
import re
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from planner.core.ids import id_part
from planner.core.shell import is_token, placeholders, quote, tokens, unquote
from planner.render.common import step_notes_text
from planner.render.schedule import Schedule, Wave, schedule_of

# Exit code of a script that stopped at a manual step (0 done, 1 a command failed, 2 bad usage).
EXIT_MANUAL = 3


@dataclass(frozen=True)
class ScriptStep:
    """A step as a script runs it: its number in the wave, whose step it is, and the step itself."""

    number: int
    owner: str
    step: Mapping[str, Any]
    # Its own and its shared notes in full (plan.json's `notes` and `see`): a manual step says them.
    notes: str = ""
    comments: tuple[str, ...] = ()  # the comment lines above it: its own notes, the shared ones by key

    @cached_property  # asked twice per step
    def runnable(self) -> bool:
        """Automated steps whose commands are all az commands without placeholders run; the rest print."""
        commands = self.step.get("commands") or []
        return not self.step.get("manual") and all(
            c.startswith("az ") and not placeholders(c) for c in commands
        )


def write_scripts(plan: Mapping[str, Any], out_dir: Path, schedule: Schedule | None = None) -> list[Path]:
    """Write wave-NN.sh and wave-NN.ps1 for every wave of the plan; return the paths written.

    Both scripts of a wave are written together, a block of lines at a time, in one pass over its
    steps: neither is ever held whole (the largest wave's pair was ~140 MB of lines at 50k apps)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    schedule = schedule or schedule_of(plan)
    names = {
        str(a.get("subscription_id", "")).lower(): a.get("subscription_name") for a in plan.get("apps") or []
    }
    names.update({str(s.get("id", "")).lower(): s.get("name") for s in plan.get("subscriptions") or []})
    shared = plan.get("step_notes") or {}
    written: list[Path] = []
    for wave in schedule.scheduled:
        owners = list(wave.owners())
        subscriptions = _subscriptions(owners, names)
        stem = f"wave-{wave.number:02d}"
        bash = out_dir / f"{stem}.sh"
        pwsh = out_dir / f"{stem}.ps1"
        with bash.open("w", encoding="utf-8") as bash_file, pwsh.open("w", encoding="utf-8") as pwsh_file:
            _render(
                plan,
                wave,
                _script_steps(owners, shared),
                _notes_block(plan, _used_notes(owners, shared)),
                subscriptions,
                _block_writer(bash_file),
                _block_writer(pwsh_file),
            )
        bash.chmod(bash.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        written += [bash, pwsh]
    return written


def _block_writer(handle: TextIO) -> Callable[[list[str]], None]:
    """Writes a block of lines, each ended by a newline. Blocks keep the join small: one string of
    a whole script of a large wave is hundreds of MB, and all of it 2 bytes a character if any line
    is not ASCII (the dashes of the header); blocks of plain steps stay ASCII, so they are joined and
    encoded at memcpy speed."""

    def write(lines: list[str]) -> None:
        handle.write("\n".join(lines))
        handle.write("\n")

    return write


def _script_steps(owners: Iterable[Mapping[str, Any]], shared: Mapping[str, Any]) -> Iterator[ScriptStep]:
    """The wave's steps in order, numbered through it (rollbacks numbered 0), one at a time. Only a
    step that says its notes (a manual one, not a rollback) gets their full text."""
    number = 0
    for owner in owners:
        name = str(owner.get("name") or owner.get("id"))
        for step in owner.get("steps") or []:
            keys = [k for k in step.get("see") or () if k in shared]
            comments = _lines(step.get("notes"))
            if keys:  # each shared note is written once, at the top of the script (plan format 2)
                comments.append("notes " + " ".join(f"[{k}]" for k in keys) + " (at the top of this script)")
            if step.get("phase") == "rollback":
                item = ScriptStep(0, name, step, "", tuple(comments))
            else:
                number += 1
                item = ScriptStep(number, name, step, "", tuple(comments))
                if not item.runnable:
                    item = ScriptStep(number, name, step, step_notes_text(step, shared), item.comments)
            yield item


def _used_notes(owners: Iterable[Mapping[str, Any]], shared: Mapping[str, Any]) -> list[str]:
    """The keys of the shared notes the wave's steps name: the steps' first, then the rollbacks'."""
    used: dict[str, None] = {}
    later: dict[str, None] = {}
    for owner in owners:
        for step in owner.get("steps") or []:
            see = step.get("see")
            if see:
                (later if step.get("phase") == "rollback" else used).update(
                    dict.fromkeys(k for k in see if k in shared)
                )
    used.update(later)
    return list(used)


def _notes_block(plan: Mapping[str, Any], used: Sequence[str]) -> list[str]:
    """The shared notes the wave's steps refer to, once, as comments (the same lines in both scripts)."""
    if not used:
        return []
    shared = plan.get("step_notes") or {}
    out = ["# --- notes the steps refer to (plan.json step_notes) -------------------------"]
    for key in used:
        out += [f"# [{key}] {line}" for line in _lines(shared[key])]
    return out


def _subscriptions(owners: Iterable[Mapping[str, Any]], names: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(id, name) of every subscription the wave touches; the name from plan.subscriptions or the app."""
    found: dict[str, tuple[str, str]] = {}
    for owner in owners:
        sub = id_part(str(owner.get("id") or ""), "subscriptions")
        if sub and sub.lower() not in found:
            label = names.get(sub.lower()) or owner.get("subscription_name") or ""
            found[sub.lower()] = (sub, str(label))
    return [found[key] for key in sorted(found)]


def _lines(text: Any) -> list[str]:
    """Text as comment-safe lines: nothing from the inventory may end a comment early."""
    if type(text) is str and "\n" not in text and "\r" not in text:  # one line (nearly every note)
        return [text] if text.strip() else []
    return [line for line in str(text or "").replace("\r", "").split("\n") if line.strip()]


_BLOCK = 4096  # lines


# --- bash ---------------------------------------------------------------------------------------

# Texts from the plan are single-quoted on purpose, so a `$` in them (`echo $WEBSITE_PRIVATE_IP`, the
# `$ az ...` of a manual step) is printed, never expanded: ShellCheck's SC2016 says exactly that.
SHELLCHECK_DIRECTIVE = (
    "# shellcheck disable=SC2016  # plan texts are single-quoted: a $ in them is printed, not expanded"
)

BASH_FUNCTIONS = r"""
usage() {
  sed -n '3,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --execute) EXECUTE=1 ;;
    --from) FROM="${2:-}"; shift ;;
    --from=*) FROM="${1#--from=}" ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$FROM" in ''|*[!0-9]*) echo "--from needs a step number" >&2; exit 2 ;; esac

STEP=0
on_exit() {  # names the step a failing command stopped at (a manual stop is not a failure)
  local status=$?
  if [ "$status" -ne 0 ] && [ "$status" -ne __EXIT_MANUAL__ ]; then
    echo "FAILED at step $STEP: see its rollback in this script or in plan.json" >&2
  fi
}
trap on_exit EXIT

step() {  # step NUMBER OWNER TITLE
  STEP="$1"
  if [ "$STEP" -ge "$FROM" ]; then printf '\n=== Step %s — %s: %s\n' "$1" "$2" "$3"; fi
}
run() {  # run SHOWN WORD...: SHOWN is the command as plan.json writes it
  local shown="$1"; shift
  if [ "$STEP" -lt "$FROM" ]; then return 0; fi
  if [ "$EXECUTE" -eq 1 ]; then
    printf '+ %s\n' "$shown"
    "$@"
  else
    printf '  would run: %s\n' "$shown"
  fi
}
say() {  # say TEXT: prints with the step (validation, notes, manual commands)
  if [ "$STEP" -ge "$FROM" ]; then printf '  %s\n' "$1"; fi
}
manual() {  # manual: stop here when executing; a person does this step
  if [ "$STEP" -lt "$FROM" ] || [ "$EXECUTE" -ne 1 ]; then return 0; fi
  printf '\nMANUAL STEP %s: do it by hand as shown above, then resume with:\n  %s --execute --from %s\n' \
    "$STEP" "$0" "$((STEP + 1))"
  exit __EXIT_MANUAL__
}

if [ "$EXECUTE" -eq 1 ]; then
  command -v az >/dev/null 2>&1 || { echo "az (Azure CLI) is not on PATH" >&2; exit 1; }
  for sub in ${SUBSCRIPTIONS[@]+"${SUBSCRIPTIONS[@]}"}; do
    az account show --subscription "$sub" --query id -o tsv >/dev/null
  done
else
  echo "DRY RUN: nothing is changed. Run with --execute to carry out the steps."
fi
""".replace("__EXIT_MANUAL__", str(EXIT_MANUAL))


def _render(
    plan: Mapping[str, Any],
    wave: Wave,
    items: Iterable[ScriptStep],
    notes_block: list[str],
    subscriptions: Sequence[tuple[str, str]],
    write_bash: Callable[[list[str]], None],
    write_pwsh: Callable[[list[str]], None],
) -> None:
    """Both scripts of one wave, in one pass over its steps (rollbacks, numbered 0, set aside for
    the end): each step's title, check, comments and command words are worked out once for the
    two. Lines go to the writers a block at a time."""
    write_bash([*_bash_head(plan, wave, subscriptions), *notes_block, _STEPS_RULE])
    write_pwsh([*_powershell_head(plan, wave, subscriptions), *notes_block, _STEPS_RULE])
    bq = _bash_quote
    pq = ps_quote
    bash_word = _BASH_WORDS.__getitem__
    ps_word = _PS_WORDS.__getitem__
    rollbacks: list[ScriptStep] = []
    owner: str | None = None
    bash_owner = ps_owner = ""
    b: list[str] = []
    p: list[str] = []
    for s in items:
        if s.number == 0:
            rollbacks.append(s)
            continue
        step = s.step
        title = _one_line(step.get("title"))
        b.append("")
        p.append("")
        if s.comments:
            comments = [f"# {line}" for line in s.comments]
            b += comments
            p += comments
        if s.owner is not owner:  # an owner's steps come together: its name is quoted once
            owner = s.owner
            bash_owner = bq(owner)
            ps_owner = pq(owner)
        b.append(f"step {s.number} {bash_owner} {bq(title)}")
        p.append(f"Start-Step {s.number} {ps_owner} {pq(title)}")
        commands = step.get("commands") or []
        runnable = s.runnable
        if runnable:
            for command in commands:
                pieces = command.split(" ")
                try:  # nearly every command is words between single spaces: split once for both
                    bash_words = " ".join(map(bash_word, pieces))  # type: ignore[arg-type]
                    ps_words = ", ".join(map(ps_word, pieces[1:]))  # type: ignore[arg-type]
                except TypeError:  # a piece is not a whole word (a quoted word with spaces...)
                    bash_words = _BASH_WORDS.join(command, " ")
                    ps_words = _PS_WORDS.join(command, ", ", 1)
                b.append(f"run {bq(command)} {bash_words}")
                p.append(f"Invoke-Az {pq(command)} @({ps_words})")
        else:
            text = "MANUAL: " + title
            b.append(f"say {bq(text)}")
            p.append(f"Write-StepText {pq(text)}")
            for c in commands:
                text = "$ " + c
                b.append(f"say {bq(text)}")
                p.append(f"Write-StepText {pq(text)}")
            for line in _lines(s.notes):
                text = "note: " + line
                b.append(f"say {bq(text)}")
                p.append(f"Write-StepText {pq(text)}")
        validation = step.get("validation")
        if validation:
            text = "check: " + _one_line(validation)
            b.append(f"say {bq(text)}")
            p.append(f"Write-StepText {pq(text)}")
        if not runnable:
            b.append("manual")
            p.append("Stop-ForManualStep")
        if len(b) >= _BLOCK:
            write_bash(b)
            write_pwsh(p)
            b = []
            p = []
    b += ["", "echo", 'echo "Wave $WAVE: all steps done."', ""]
    p += ["", 'Write-Host "`nWave ${Wave}: all steps done."', ""]
    write_bash(b)
    write_pwsh(p)
    if rollbacks:  # the same comment lines in both scripts
        r = ["# --- rollbacks (never run by this script; see plan.json) ---------------------"]
        for s in rollbacks:
            r.append(f"# {_one_line(s.owner)}: {_one_line(s.step.get('title'))}")
            r += [f"#   {_one_line(c)}" for c in s.step.get("commands") or []]
            r += [f"#   {line}" for line in s.comments]
            if len(r) >= _BLOCK:
                write_bash(r)
                write_pwsh(r)
                r = []
        if r:
            write_bash(r)
            write_pwsh(r)


_STEPS_RULE = "# --- steps --------------------------------------------------------------------"


def _bash_head(plan: Mapping[str, Any], wave: Wave, subscriptions: Sequence[tuple[str, str]]) -> list[str]:
    """The bash script's lines before its notes and steps."""
    q = _bash_quote
    name = Path(f"wave-{wave.number:02d}.sh").name
    return [
        "#!/usr/bin/env bash",
        SHELLCHECK_DIRECTIVE,
        f"# {_one_line(wave.name)}: {_iso(wave.start) or 'no date'} to {_iso(wave.end) or 'no date'}",
        *(f"# {line}" for line in _schedule_notes(wave)),
        f"# Generated by vnet-planner {_one_line(plan.get('tool_version'))} from the plan of "
        f"{_one_line(plan.get('generated_at'))}; regenerate rather than edit.",
        "#",
        "# Dry run by default: prints every command and runs none.",
        f"#   ./{name}                      print the commands",
        f"#   ./{name} --execute            run them, stopping at each manual step",
        f"#   ./{name} --execute --from N   resume at step N",
        f"# Exit codes: 0 done, 1 a command failed, 2 bad usage, {EXIT_MANUAL} stopped at a manual step.",
        f"# Gateway-required integration stops working on {plan.get('retirement_date') or '2027-03-31'}.",
        "set -euo pipefail",
        "",
        "# --- parameters ---------------------------------------------------------------",
        f"WAVE={wave.number}",
        f"WAVE_START={q(_iso(wave.start))}",
        f"WAVE_END={q(_iso(wave.end))}",
        "SUBSCRIPTIONS=(",
        *[f"  {q(sub)}  # {_one_line(label)}" if label else f"  {q(sub)}" for sub, label in subscriptions],
        ")",
        "EXECUTE=0  # --execute sets it",
        "FROM=1     # --from N sets it",
        'echo "Wave $WAVE: $WAVE_START to $WAVE_END"',
        BASH_FUNCTIONS,
    ]


def _bash_quote(text: str) -> str:
    """`quote`, without its cache for texts that hold a space and no single quote (titles, checks,
    notes, commands: seldom the same twice), which it single-quotes as they are."""
    if " " in text and "'" not in text:
        return "'" + text + "'"
    return quote(text)


# --- PowerShell ---------------------------------------------------------------------------------

PS_FUNCTIONS = r"""
$script:Step = 0

function Start-Step([int]$Number, [string]$Owner, [string]$Title) {
    $script:Step = $Number
    if ($Number -ge $From) { Write-Host ("`n=== Step {0} — {1}: {2}" -f $Number, $Owner, $Title) }
}

function Invoke-Az([string]$Shown, [string[]]$Words) {
    # Words are the command's arguments after 'az', each passed as one argument.
    if ($script:Step -lt $From) { return }
    if ($Execute) {
        Write-Host "+ $Shown"
        & az @Words
        if ($LASTEXITCODE -ne 0) {
            throw "FAILED at step $($script:Step) (az exited with $LASTEXITCODE): see its rollback in this script or in plan.json"
        }
    } else {
        Write-Host "  would run: $Shown"
    }
}

function Write-StepText([string]$Text) {
    if ($script:Step -ge $From) { Write-Host "  $Text" }
}

function Stop-ForManualStep {
    if ($script:Step -lt $From -or -not $Execute) { return }
    Write-Host ("`nMANUAL STEP {0}: do it by hand as shown above, then resume with:`n  {1} -Execute -From {2}" -f $script:Step, $PSCommandPath, ($script:Step + 1))
    exit __EXIT_MANUAL__
}

if ($Execute) {
    if (-not (Get-Command az -ErrorAction SilentlyContinue)) { throw 'az (Azure CLI) is not on PATH' }
    foreach ($sub in $Subscriptions) {
        & az account show --subscription $sub --query id -o tsv | Out-Null
        if ($LASTEXITCODE -ne 0) { throw "cannot use subscription ${sub}: run az login first" }
    }
} else {
    Write-Host 'DRY RUN: nothing is changed. Run with -Execute to carry out the steps.'
}
""".replace("__EXIT_MANUAL__", str(EXIT_MANUAL))


_PS_SINGLE_QUOTES = re.compile("['\u2018\u2019\u201a\u201b]")  # PowerShell ends a '...' at any of them


def ps_quote(text: str) -> str:
    """A PowerShell single-quoted string: nothing inside is expanded; quotes (also typographic ones) double."""
    if "'" in text or (not text.isascii() and _PS_SINGLE_QUOTES.search(text)):
        for mark in "'\u2018\u2019\u201a\u201b":
            text = text.replace(mark, mark * 2)
    return "'" + text + "'"


class _QuotedWords(dict[str, str | None]):
    """A word as a command writes it -> the word quoted for one shell; None for a text that is not
    exactly one word (part of a quoted word with spaces in it, or an empty one).

    Flags, names and ids recur in thousands of commands: each is unquoted and quoted once. So do
    the ends of commands that hold a quoted word with spaces (`--query '{prefix: addressPrefix}'`):
    `tails` keeps their quoted words. Emptied when full, so memory stays bounded on any plan.
    """

    LIMIT = 1 << 17

    def __init__(self, quote_word: Callable[[str], str]) -> None:
        super().__init__()
        self.quote_word = quote_word
        self.tails: dict[str, list[str]] = {}

    def __missing__(self, token: str) -> str | None:
        if len(self) >= self.LIMIT:
            self.clear()
        quoted = self[token] = self.quote_word(unquote(token)) if is_token(token) else None
        return quoted

    def join(self, command: str, separator: str, skip: int = 0) -> str:
        """The command's words (the first `skip` left out), each quoted, between separators: the
        words of `shlex.split(command)`."""
        pieces = command.split(" ")
        try:  # nearly every command is words between single spaces
            return separator.join(map(self.__getitem__, pieces[skip:]))  # type: ignore[arg-type]
        except TypeError:  # a piece is None: not a whole word
            pass
        # The words up to that piece, then the rest of the command split by shlex's rules (a quoted
        # word holding spaces, two spaces, a tab...); the rest starts after a single space, where
        # shlex starts a new word too.
        quoted = list(map(self.__getitem__, pieces))
        at = quoted.index(None)
        tail = " ".join(pieces[at:])
        words = self.tails.get(tail)
        if words is None:
            if len(self.tails) >= self.LIMIT:
                self.tails.clear()
            words = self.tails[tail] = [self.quote_word(unquote(token)) for token in tokens(tail)]
        return separator.join((quoted[:at] + words)[skip:])  # type: ignore[arg-type]


_BASH_WORDS = _QuotedWords(quote)
_PS_WORDS = _QuotedWords(ps_quote)


def _bash_words(command: str) -> str:
    """The command's words, each quoted for bash: `join(shlex.split(command))`."""
    return _BASH_WORDS.join(command, " ")


def _ps_words(command: str) -> str:
    """The command's words after `az`, each quoted for PowerShell, comma-separated."""
    return _PS_WORDS.join(command, ", ", 1)


def _powershell_head(
    plan: Mapping[str, Any], wave: Wave, subscriptions: Sequence[tuple[str, str]]
) -> list[str]:
    """The PowerShell script's lines before its notes and steps."""
    q = ps_quote
    name = f"wave-{wave.number:02d}.ps1"
    return [
        "#Requires -Version 7.3",
        "<#",
        ".SYNOPSIS",
        f"    {_one_line(wave.name)}: {_iso(wave.start) or 'no date'} to {_iso(wave.end) or 'no date'}",
        *(f"    {line}" for line in _schedule_notes(wave)),
        ".DESCRIPTION",
        f"    Generated by vnet-planner {_one_line(plan.get('tool_version'))} from the plan of "
        f"{_one_line(plan.get('generated_at'))}; regenerate rather than edit.",
        "    Dry run by default: prints every command and runs none.",
        f"      ./{name}                     print the commands",
        f"      ./{name} -Execute            run them, stopping at each manual step",
        f"      ./{name} -Execute -From N    resume at step N",
        f"    Exit codes: 0 done, 1 a command failed, {EXIT_MANUAL} stopped at a manual step.",
        f"    Gateway-required integration stops working on {plan.get('retirement_date') or '2027-03-31'}.",
        "#>",
        "[CmdletBinding()]",
        "param(",
        "    [switch]$Execute,",
        "    [ValidateRange(1, [int]::MaxValue)][int]$From = 1",
        ")",
        "Set-StrictMode -Version Latest",
        "$ErrorActionPreference = 'Stop'",
        "# Pass each argument to az exactly as written (JSON and JMESPath included).",
        "$PSNativeCommandArgumentPassing = 'Standard'",
        "",
        "# --- parameters ---------------------------------------------------------------",
        f"$Wave = {wave.number}",
        f"$WaveStart = {q(_iso(wave.start))}",
        f"$WaveEnd = {q(_iso(wave.end))}",
        "$Subscriptions = @(",
        *[
            f"    {q(sub)}  # {_one_line(label)}" if label else f"    {q(sub)}"
            for sub, label in subscriptions
        ],
        ")",
        'Write-Host "Wave ${Wave}: $WaveStart to $WaveEnd"',
        PS_FUNCTIONS,
    ]


def _one_line(text: Any) -> str:
    """Text on one line, unable to close a PowerShell block comment."""
    return " ".join(str(text or "").split()).replace("#>", "# >")


def _iso(value: dt.date | None) -> str:
    """An ISO date, or "" for a wave without one."""
    return value.isoformat() if value else ""


def _schedule_notes(wave: Wave) -> list[str]:
    """Holidays and freezes inside the wave, and the preparation that must be done before it."""
    lines = [
        f"Pauses {_one_line(p.get('from'))}"
        + (f" to {_one_line(p.get('to'))}" if p.get("to") != p.get("from") else "")
        + f": {_one_line(p.get('why'))} (no work then)."
        for p in wave.pauses
    ]
    for app in wave.apps:
        for task in app.get("preparation") or ():
            lines.append(
                f"Before this wave: {_one_line(task.get('code'))} for {_one_line(app.get('name'))} "
                f"({_one_line(task.get('lead_days'))} working days, done by {_one_line(task.get('needed_by'))})."
            )
    return lines
