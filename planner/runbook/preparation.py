"""Preparation before a blocked app's wave: what must be done first, how long it takes, when to start.

Each blocker's default lead time (working days) is carried by its rule (`Rule.lead_days`, listed in
docs/codes.md); `--lead-times FILE` (YAML: `CODE: days`) overrides them per tenant. An app's wave
starts only after the longest preparation of its codes is done.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from planner.analysis.rules import BY_CODE, RULES
from planner.core.errors import InputError


@dataclass(frozen=True)
class Task:
    """One preparation task of one app: resolve `code` in `lead_days` working days."""

    app_id: str
    app: str
    code: str
    title: str
    lead_days: int
    earliest: date  # the first day it can start (the working day after the plan's date)
    ready_by: date  # its last day when started at `earliest`
    start_by: date | None = None  # the latest start that keeps the app's wave on its date
    needed_by: date | None = None  # its last day: the working day before the app's wave starts
    wave: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "lead_days": self.lead_days,
            "earliest_start": self.earliest.isoformat(),
            "start_by": self.start_by.isoformat() if self.start_by else None,
            "ready_by": self.ready_by.isoformat(),
            "needed_by": self.needed_by.isoformat() if self.needed_by else None,
            "wave": self.wave,
        }


def default_lead_times() -> dict[str, int]:
    """Code -> working days, from the rule catalogue (codes without preparation are left out)."""
    return {rule.code: rule.lead_days for rule in RULES if rule.lead_days}


def load_lead_times(path: Path) -> dict[str, int]:
    """The catalogue's lead times with a YAML file's overrides (`CODE: days`); one-line errors."""
    name = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(name, f"cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(name, "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        position = f"line {mark.line + 1}" if mark is not None else None
        raise InputError(name, "not valid YAML", position=position) from None
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise InputError(name, "expected a mapping of code to working days, e.g. 'CLASSIC_VNET: 40'")
    leads = default_lead_times()
    for code, days in data.items():
        key = str(code).strip().upper()
        if key not in BY_CODE:
            raise InputError(name, "unknown code (see `vnet-planner rules`)", field=str(code))
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InputError(name, "expected a whole number of working days, 0 or more", field=str(code))
        leads[key] = days
    return leads


def lead_times_of(path: str | None) -> dict[str, int]:
    """The lead times a run uses: the catalogue's, or the file's overrides."""
    return load_lead_times(Path(path)) if path else default_lead_times()


def codes_to_prepare(codes: tuple[str, ...], leads: Mapping[str, int]) -> list[tuple[str, int]]:
    """(code, working days) of an app's codes that need preparation, longest first."""
    found = [(code, leads[code]) for code in codes if leads.get(code)]
    return sorted(found, key=lambda item: -item[1])
