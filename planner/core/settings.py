"""Every option that changes what a plan says, in one frozen object.

The CLI builds one `Settings` from the command line; the pipeline hands it to each stage that reads
an option, and plan.json records it (`settings`) so `diff` and `--previous` re-plan an inventory
with the options the other side was made with. A new option is one field here, one CLI
declaration (planner/cli/options.py) and the code that reads it.

It lives in `planner.core` because stages at every layer read it (placement, runbook, plan).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from itertools import pairwise
from typing import Any

from planner.core.errors import InputError

DEFAULT_WAVE_DAYS = 5
DEFAULT_BUFFER_DAYS = 10  # working days kept free before the retirement date for what goes wrong
WEEKDAYS = (0, 1, 2, 3, 4)  # date.weekday() of the days worked by default: Monday to Friday
HTML_SPLITS = ("auto", "single", "site")  # runbook.html as one page, a site, or by its size


@dataclass(frozen=True)
class Settings:
    """Plan options as the user gave them; None means "the documented default"."""

    as_of: date | None = None  # count days left from this date (default: today)
    start: date | None = None  # first day of wave 1 (default: the first Monday a week after as_of)
    wave_days: int = DEFAULT_WAVE_DAYS  # working days per wave
    wave_size: int | None = None  # most apps per wave (default 20, raised to meet the deadline)
    prices: str | None = None  # price file from `prices refresh` (default: the shipped table)
    include: tuple[str, ...] = ()  # scope filters, KIND:VALUE
    exclude: tuple[str, ...] = ()
    suppressions: str | None = None  # YAML or JSON file of accepted codes
    redact: bool = False  # pseudonyms for subscription ids and names
    workdays: tuple[int, ...] = WEEKDAYS  # weekdays worked (date.weekday(): Monday is 0)
    holidays: str | None = None  # public holidays of a country (and subdivision): "DE", "DE-BY"
    freezes: tuple[tuple[date, date], ...] = ()  # change freezes, first and last day included
    lead_times: str | None = None  # YAML file: blocker code -> preparation working days
    buffer_days: int = DEFAULT_BUFFER_DAYS  # working days the schedule keeps free before the deadline
    html_split: str = "auto"  # runbook.html: one page, an index with a page per subscription, or by size

    def __post_init__(self) -> None:
        if self.wave_days < 1:
            raise ValueError("wave_days must be at least 1")
        if self.wave_size is not None and self.wave_size < 1:
            raise ValueError("wave_size must be at least 1")
        if self.buffer_days < 0:
            raise ValueError("buffer_days must not be negative")
        if self.html_split not in HTML_SPLITS:
            raise ValueError(f"html_split must be one of {', '.join(HTML_SPLITS)}")
        if not self.workdays or any(d not in range(7) for d in self.workdays):
            raise ValueError("workdays must name at least one day of the week")
        ordered = sorted(self.freezes)
        for start, end in ordered:
            if end < start:
                raise ValueError(f"freeze {start}..{end} ends before it starts")
        for (_, first_end), (second_start, _) in pairwise(ordered):
            if second_start <= first_end:
                raise ValueError(f"freezes overlap on {second_start} (merge them into one)")

    def as_dict(self) -> dict[str, Any]:
        """The JSON form written to plan.json `settings` (dates as ISO text, tuples as lists)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                value = value.isoformat()
            elif f.name == "freezes":
                value = [[a.isoformat(), b.isoformat()] for a, b in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: object, source: str) -> Settings:
        """Settings read back from a plan.json; keys a later version added are ignored.

        A plan written before settings were recorded has none: its options were the defaults.
        """
        if data is None:
            return cls()
        if not isinstance(data, Mapping):
            raise InputError(source, "expected an object", field="settings")
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name not in data or data[f.name] is None:
                continue
            values[f.name] = _read(f.name, data[f.name], source)
        try:
            return cls(**values)
        except ValueError as exc:
            raise InputError(source, str(exc), field="settings") from None


def _read(name: str, value: Any, source: str) -> Any:
    field = f"settings.{name}"
    if name in ("as_of", "start"):
        try:
            return date.fromisoformat(value) if isinstance(value, str) else _bad(source, field, "a date")
        except ValueError:
            return _bad(source, field, "a date (YYYY-MM-DD)")
    if name == "workdays":
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            return _bad(source, field, "a list of weekday numbers (Monday is 0)")
        return tuple(value)
    if name == "freezes":
        try:
            return tuple((date.fromisoformat(a), date.fromisoformat(b)) for a, b in value)
        except (TypeError, ValueError):
            return _bad(source, field, "a list of [first, last] dates")
    if name in ("wave_days", "wave_size", "buffer_days"):
        if isinstance(value, bool) or not isinstance(value, int):
            return _bad(source, field, "a whole number")
        return value
    if name in ("include", "exclude"):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return _bad(source, field, "a list of KIND:VALUE strings")
        return tuple(value)
    if name == "redact":
        return value if isinstance(value, bool) else _bad(source, field, "true or false")
    return value if isinstance(value, str) else _bad(source, field, "text")


def _bad(source: str, field: str, expected: str) -> Any:
    raise InputError(source, f"expected {expected}", field=field)
