"""The plan options, declared once: `plan` and `demo` share this signature, and `settings()` turns
what the user typed into the one `Settings` object the pipeline reads (planner/core/settings.py).

A new plan option is one field of `Settings`, one entry here, and the code that reads it.
"""

import inspect
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from planner.cli.common import fail, parse_date
from planner.core.settings import DEFAULT_BUFFER_DAYS, DEFAULT_WAVE_DAYS, Settings
from planner.render.registry import DEFAULT_FORMATS, Format, available


class FailOn(StrEnum):
    BLOCKED = "blocked"
    NEEDS_WORK = "needs-work"
    ANY = "any"
    LATE = "late"


class HtmlSplit(StrEnum):
    AUTO = "auto"
    SINGLE = "single"
    SITE = "site"


DAYS = {name: number for number, names in enumerate(
    (("mon", "monday"), ("tue", "tuesday"), ("wed", "wednesday"), ("thu", "thursday"), ("fri", "friday"),
     ("sat", "saturday"), ("sun", "sunday"))
) for name in names}  # fmt: skip


def _plan_options(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the outputs.")],
    format: Annotated[
        str | None,
        typer.Option(
            "--format",
            "-f",
            help="Comma list: json,csv,xlsx,html,scripts,bicep,ics,boards (default: json,csv,xlsx,html).",
        ),
    ] = None,
    prices: Annotated[
        Path | None,
        typer.Option("--prices", help="Price file from `prices refresh` (default: shipped table)."),
    ] = None,
    start: Annotated[
        str | None, typer.Option("--start", help="First day of wave 1 (YYYY-MM-DD); default: next Monday.")
    ] = None,
    wave_days: Annotated[
        int, typer.Option("--wave-days", min=1, help="Working days per wave.")
    ] = DEFAULT_WAVE_DAYS,
    wave_size: Annotated[
        int | None,
        typer.Option(
            "--wave-size", min=1, help="Most apps per wave (default 20, raised to meet the deadline)."
        ),
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Count days left from this date (default: today).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but errors.")] = False,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            help="Plan only what matches: subscription:ID-or-name, resource-group:GLOB, tag:KEY=GLOB "
            "(repeat; same kind = or, kinds = and).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Leave out what matches (same forms as --include).")
    ] = None,
    suppressions: Annotated[
        Path | None,
        typer.Option(
            "--suppressions", help="YAML or JSON file of accepted codes: app, code, reason, expires_on."
        ),
    ] = None,
    previous: Annotated[
        Path | None,
        typer.Option("--previous", help="An earlier plan.json (or inventory): show the burndown since then."),
    ] = None,
    fail_on: Annotated[
        FailOn | None,
        typer.Option(
            "--fail-on",
            help="Exit 4 (after writing every output) if an app is blocked, needs work (or blocked), any "
            "app is left (suppressions count), or the schedule is late (ends within the buffer).",
            case_sensitive=False,
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact", help="Replace subscription ids and names by stable pseudonyms in every output."
        ),
    ] = False,
    workdays: Annotated[
        str,
        typer.Option(
            "--workdays", help="Days of the week work is planned on: mon-fri (default), or e.g. sun-thu."
        ),
    ] = "mon-fri",
    holidays: Annotated[
        str | None,
        typer.Option(
            "--holidays", help="No work on public holidays of a country (ISO code, e.g. DE or DE-BY)."
        ),
    ] = None,
    freeze: Annotated[
        list[str] | None,
        typer.Option(
            "--freeze", help="A change freeze, FIRST..LAST (YYYY-MM-DD..YYYY-MM-DD); repeat for several."
        ),
    ] = None,
    lead_times: Annotated[
        Path | None,
        typer.Option(
            "--lead-times", help="YAML file of preparation working days per blocker code (CODE: days)."
        ),
    ] = None,
    buffer_days: Annotated[
        int,
        typer.Option("--buffer-days", min=0, help="Working days kept free before the deadline (default 10)."),
    ] = DEFAULT_BUFFER_DAYS,
    html_split: Annotated[
        HtmlSplit,
        typer.Option(
            "--html-split",
            help="runbook.html as one page (single), an index plus a page per subscription (site), or "
            "auto: a site from 1,000 gateway-required apps.",
            case_sensitive=False,
        ),
    ] = HtmlSplit.AUTO,
) -> None:
    """The signature only: commands built with `with_plan_options` take these parameters."""


PLAN_OPTIONS = inspect.signature(_plan_options).parameters


def with_plan_options(
    leading: list[inspect.Parameter], out_default: Path | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command `leading` parameters followed by every plan option (typer reads the signature)."""

    def decorate(command: Callable[..., None]) -> Callable[..., None]:
        params = list(PLAN_OPTIONS.values())
        if out_default is not None:
            params[0] = params[0].replace(default=out_default)
        command.__signature__ = inspect.Signature([*leading, *params])  # type: ignore[attr-defined]
        return command

    return decorate


def formats(value: str | None) -> list[Format]:
    """The formats of `--format`, or the default ones available in this build."""
    if not value:
        return [f for f in DEFAULT_FORMATS if available(f)]
    chosen = []
    for part in value.split(","):
        name = part.strip().lower()
        try:
            fmt = Format(name)
        except ValueError:
            raise fail(
                f"--format: unknown format '{name}' (choose from {', '.join(f.value for f in Format)})"
            ) from None
        if not available(fmt):
            raise fail(f"--format: {name} is not available in this build")
        chosen.append(fmt)
    return chosen


def settings(options: dict[str, Any]) -> Settings:
    """The one Settings object from the plan options as typed (dates checked, lists frozen)."""
    try:
        return _settings(options)
    except ValueError as exc:  # what Settings itself refuses: overlapping freezes and the like
        option = "--freeze" if "freeze" in str(exc) else "--workdays" if "workdays" in str(exc) else "options"
        raise fail(f"{option}: {exc}") from None


def _settings(options: dict[str, Any]) -> Settings:
    return Settings(
        as_of=parse_date(options["as_of"], "--as-of"),
        start=parse_date(options["start"], "--start"),
        wave_days=options["wave_days"],
        wave_size=options["wave_size"],
        prices=str(options["prices"]) if options["prices"] else None,
        include=tuple(options["include"] or ()),
        exclude=tuple(options["exclude"] or ()),
        suppressions=str(options["suppressions"]) if options["suppressions"] else None,
        redact=options["redact"],
        workdays=parse_workdays(options["workdays"]),
        holidays=options["holidays"] or None,
        freezes=tuple(sorted(parse_freeze(text) for text in options["freeze"] or ())),
        lead_times=str(options["lead_times"]) if options["lead_times"] else None,
        buffer_days=options["buffer_days"],
        html_split=HtmlSplit(options["html_split"]).value,
    )


def parse_workdays(text: str) -> tuple[int, ...]:
    """`mon-fri`, `sun-thu` or `mon,tue,thu` as weekday numbers (Monday is 0)."""
    days: set[int] = set()
    for part in text.lower().replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if first not in DAYS or (dash and last not in DAYS):
            raise fail(f"--workdays: '{part}' is not a day or range of days (e.g. mon-fri, sun-thu, mon,wed)")
        day = DAYS[first]
        days.add(day)
        while dash and day != DAYS[last]:
            day = (day + 1) % 7
            days.add(day)
    return tuple(sorted(days))


def parse_freeze(text: str) -> tuple[date, date]:
    """`2026-12-21..2027-01-01` as (first, last); one line naming the option when it is not that."""
    first, dots, last = text.partition("..")
    start, end = parse_date(first.strip(), "--freeze"), parse_date(last.strip(), "--freeze") if dots else None
    if start is None or end is None:
        raise fail(f"--freeze: '{text}' is not FIRST..LAST (YYYY-MM-DD..YYYY-MM-DD)")
    if end < start:
        raise fail(f"--freeze: '{text}' ends before it starts")
    return start, end
