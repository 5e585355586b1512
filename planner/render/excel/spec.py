"""Constants, column and sheet specs, and the lookups every sheet's rows read."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from planner.render.common import last_segment as _last
from planner.render.schedule import Schedule

Row = dict[str, Any]
Plan = Mapping[str, Any]

LEARN_DOCS = (
    (
        "Migrate from gateway-required to regional VNet integration",
        "https://learn.microsoft.com/azure/app-service/migrate-gateway-based-vnet-integration",
    ),
    (
        "Regional VNet integration (overview)",
        "https://learn.microsoft.com/azure/app-service/overview-vnet-integration",
    ),
    (
        "Gateway-required VNet integration (retiring 2027-03-31)",
        "https://learn.microsoft.com/azure/app-service/configure-gateway-required-vnet-integration",
    ),
)
STATUS_CHOICES = ("Not started", "In progress", "Done", "Won't do")
READINESS_LABEL = {"ready": "Ready", "needs-work": "Needs work", "blocked": "Blocked"}
DECOMMISSION_LABEL = {"yes": "Delete", "no": "Keep", "verify": "Verify first"}

EXCEL_MAX_ROWS = 1_048_576
# The Steps sheet holds whole waves, in order, up to this many steps (about 4,500 apps' worth, 65 MB
# of text; the first wave alone if it is longer: its first apps). A migration-heavy tenant of 50,000
# apps has 510,000 steps and 550 MB of command text: a sheet Excel takes minutes and gigabytes to
# open, LibreOffice hardly opens, and nobody tracks half a million rows by hand; writing it took most
# of the plan's time budget. The first waves are the ones being worked on; a plan made after them
# brings the next ones in, and every step stays in runbook.html, the wave scripts and plan.json.
STEPS_SHEET_MAX_ROWS = 50_000
EXCEL_MAX_TEXT = 32_767
# Excel refuses to open links past about 65,530 per sheet; beyond this the URL is written as text.
MAX_LINKS_PER_SHEET = 65_000
# A text starting with one of these would be read as a formula when a user edits the cell (or when
# the sheet is saved as CSV): written as text with Excel's quote prefix instead.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 (and so xlsx) cannot hold most control characters: each becomes U+FFFD, visibly, rather
# than vanishing ("a\x00b" must not read as the different name "ab"); plan.json keeps the original.
REPLACEMENT_CHARACTER = "\ufffd"

GREEN = ("C6EFCE", "006100")
AMBER = ("FFEB9C", "9C5700")
RED = ("FFC7CE", "9C0006")
GREY = ("E7E6E6", "3A3838")
COLOURS = {
    "ready": GREEN,
    "needs-work": AMBER,
    "blocked": RED,
    "yes": GREEN,
    "verify": AMBER,
    "no": GREY,
}


# --------------------------------------------------------------------------------------------------
# Sheet specs


@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, the row key it shows, how to show it, and its widest width."""

    header: str
    key: str
    kind: str = "text"  # text | wrap | int | money | date | colour | link | bool
    width: float = 14
    link_key: str | None = None  # row key holding the hyperlink target for this cell


@dataclass(frozen=True)
class SheetSpec:
    """One sheet of the workbook: the single place that says what the sheet is and holds."""

    name: str
    description: str
    columns: tuple[Column, ...] = ()
    rows: Callable[[Lookups], Iterable[Row]] | None = None
    writer: Callable[[Any, Lookups, Any], None] | None = (
        None  # custom layout (Summary): (sheet, lookups, styles)
    )
    consultant: bool = False  # append Status / Owner / Due / Comment
    freeze: str = "A2"


CONSULTANT_COLUMNS = (
    Column("Status", "status", width=13),
    Column("Owner", "owner", width=16),
    Column("Due", "due", kind="date", width=12),
    Column("Comment", "comment", width=30),
)


def all_columns(spec: SheetSpec) -> tuple[Column, ...]:
    return spec.columns + (CONSULTANT_COLUMNS if spec.consultant else ())


# --------------------------------------------------------------------------------------------------
# Lookups shared by the row sources


@dataclass
class Lookups:
    """The plan and its schedule view (planner/render/schedule.py: names by id, waves by number)."""

    plan: Plan
    schedule: Schedule
    notes: list[str] = field(default_factory=list)  # written to Summary: truncations and the like
    sheets: tuple[SheetSpec, ...] = ()  # the workbook's sheets, for Summary's table of contents

    @property
    def portal(self) -> str | None:
        """The portal of the plan's cloud (plan["cloud"]), for links."""
        cloud = self.plan.get("cloud")
        return cloud.get("portal") if isinstance(cloud, Mapping) else None

    @property
    def sub_labels(self) -> dict[str, str]:
        return self.schedule.subscription_labels

    def app_name(self, app_id: str | None) -> str:
        return self.schedule.app_name(app_id)

    def gateway_name(self, gw_id: str | None) -> str:
        return self.schedule.gateway_name(gw_id)

    def plan_name(self, plan_id: Any) -> str:
        return self.schedule.plan_names.get(str(plan_id).lower()) or _last(plan_id)

    def wave_end(self, number: Any) -> dt.date | None:
        return self.schedule.wave_end(number)

    def code_title(self, code: str) -> str:
        info = (self.plan.get("codes") or {}).get(code) or {}
        return str(info.get("title") or "")


def joined(items: Iterable[Any] | None, sep: str = ", ") -> str:
    return sep.join(str(i) for i in items or () if i is not None)


def tags_text(tags: Mapping[str, Any] | None) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((tags or {}).items()))


def yes_no(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def default_status() -> str:
    return STATUS_CHOICES[0]


# --------------------------------------------------------------------------------------------------
