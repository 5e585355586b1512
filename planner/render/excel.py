"""Excel renderer: the plan dict as the workbook a consultant hands over (`plan.xlsx`).

One ordered table of sheet specs (`SHEETS`, after azqr's `sheetConfig`) is the single source of
truth: sheet name, what it holds, its columns and where its rows come from. Sheets are streamed
with openpyxl's write-only mode so 50,000 apps stay within memory; see docs/reports.md for what
write-only mode allows (tables, validation, frozen panes, hyperlinks and charts all work there,
with the workarounds noted below) and for measured figures.

Reads only the plan dict (docs/plan-format.md): never Azure, never the model.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from copy import copy
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import DataPoint
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from planner.core.memory import bulk_allocation
from planner.render.common import as_date as _date
from planner.render.common import governance_lines, portal_url, subscription_label
from planner.render.common import last_segment as _last
from planner.render.schedule import Schedule, Wave, schedule_of

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
EXCEL_MAX_TEXT = 32_767
# Excel refuses to open links past about 65,530 per sheet; beyond this the URL is written as text.
MAX_LINKS_PER_SHEET = 65_000
# A text starting with one of these would be read as a formula when a user edits the cell (or when
# the sheet is saved as CSV): written as text with Excel's quote prefix instead.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 (and so xlsx) cannot hold most control characters: each becomes U+FFFD, visibly, rather
# than vanishing ("a\x00b" must not read as the different name "ab"); plan.json keeps the original.
REPLACEMENT_CHARACTER = "\ufffd"

_GREEN = ("C6EFCE", "006100")
_AMBER = ("FFEB9C", "9C5700")
_RED = ("FFC7CE", "9C0006")
_GREY = ("E7E6E6", "3A3838")
_COLOURS = {
    "ready": _GREEN,
    "needs-work": _AMBER,
    "blocked": _RED,
    "yes": _GREEN,
    "verify": _AMBER,
    "no": _GREY,
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
    rows: Callable[[_Lookups], Iterable[Row]] | None = None
    writer: Callable[[Any, _Lookups, _Styles], None] | None = None  # custom layout (Summary)
    consultant: bool = False  # append Status / Owner / Due / Comment
    freeze: str = "A2"


CONSULTANT_COLUMNS = (
    Column("Status", "status", width=13),
    Column("Owner", "owner", width=16),
    Column("Due", "due", kind="date", width=12),
    Column("Comment", "comment", width=30),
)


def _all_columns(spec: SheetSpec) -> tuple[Column, ...]:
    return spec.columns + (CONSULTANT_COLUMNS if spec.consultant else ())


# --------------------------------------------------------------------------------------------------
# Lookups shared by the row sources


@dataclass
class _Lookups:
    """The plan and its schedule view (planner/render/schedule.py: names by id, waves by number)."""

    plan: Plan
    schedule: Schedule
    notes: list[str] = field(default_factory=list)  # written to Summary: truncations and the like

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


def _join(items: Iterable[Any] | None, sep: str = ", ") -> str:
    return sep.join(str(i) for i in items or () if i is not None)


def _tags(tags: Mapping[str, Any] | None) -> str:
    return "; ".join(f"{k}={v}" for k, v in sorted((tags or {}).items()))


def _yes(value: Any) -> str:
    return "" if value is None else ("Yes" if value else "No")


def _default_status() -> str:
    return STATUS_CHOICES[0]


# --------------------------------------------------------------------------------------------------
# Row sources


def _gateway_required(plan: Plan) -> Iterator[Mapping[str, Any]]:
    return (a for a in plan.get("apps") or () if a.get("integration") == "gateway-required")


def _app_rows(lk: _Lookups) -> Iterator[Row]:
    for app in _gateway_required(lk.plan):
        target = app.get("target") or {}
        strategy = app.get("strategy") or {}
        sub_id = app.get("subscription_id") or ""
        yield {
            "app": app.get("site_name") or app.get("name"),
            "slot": app.get("slot") or "",
            "readiness": app.get("readiness"),
            "wave": app.get("wave"),
            "subscription": subscription_label(lk.sub_labels, sub_id, app.get("subscription_name")),
            "subscription_id": sub_id,
            "resource_group": app.get("resource_group"),
            "kind": app.get("kind"),
            "plan": app.get("plan_name") or _last(app.get("plan_id")),
            "sku": app.get("plan_sku"),
            "os": app.get("os"),
            "location": app.get("location"),
            "vnet": _last(app.get("vnet_id")),
            "gateway": lk.gateway_name(app.get("gateway_id")) if app.get("gateway_id") else "",
            "limitations": _join(app.get("limitations")),
            "blockers": _join(app.get("blockers")),
            "findings": _join(app.get("findings")),
            "unknown": _join(u.get("code") for u in app.get("unknown") or ()),
            "suppressed": _join(
                f"{x.get('code')} ({'EXPIRED' if x.get('expired') else 'until'} {x.get('expires_on')}): "
                f"{x.get('reason')}"
                for x in app.get("suppressed") or ()
            ),
            "strategy": strategy.get("name"),
            "target_vnet": target.get("vnet_name") or _last(target.get("vnet_id")),
            "target_subnet": target.get("subnet_name"),
            "prefix": target.get("prefix"),
            "new_subnet": _yes(target.get("new_subnet")) if target else "",
            "tags": _tags(app.get("tags")),
            "portal": "Open in portal",
            "portal_url": portal_url(app.get("id"), lk.portal),
            "id": app.get("id"),
            "due": lk.wave_end(app.get("wave")),
        }


def _step_rows(lk: _Lookups) -> Iterator[Row]:
    """Steps of every app and gateway, wave by wave (unscheduled ones last), in the order they run."""
    for wave in lk.schedule.waves:
        for owner in wave.owners():
            kind = "gateway" if owner in wave.gateways else ("slot" if owner.get("slot") else "app")
            sub_id = str(owner.get("subscription_id") or "")
            for step in owner.get("steps") or ():
                commands = _join(step.get("commands"), "\n")
                yield {
                    "wave": wave.number,
                    "target": owner.get("name") or _last(owner.get("id")),
                    "kind": kind,
                    "subscription": subscription_label(lk.sub_labels, sub_id, owner.get("subscription_name")),
                    "resource_group": owner.get("resource_group"),
                    "order": step.get("order"),
                    "phase": step.get("phase"),
                    "title": step.get("title"),
                    "commands": commands,
                    "bicep": step.get("bicep") or "",
                    "validation": step.get("validation"),
                    "rollback": step.get("rollback"),
                    "due": wave.end,
                }


def _gateway_rows(lk: _Lookups) -> Iterator[Row]:
    for gw in lk.plan.get("gateways") or ():
        dependents = gw.get("dependents") or ()
        sub_id = str(gw.get("subscription_id") or "")
        yield {
            "name": gw.get("name") or _last(gw.get("id")),
            "decommission": gw.get("decommission") or ("yes" if gw.get("decommissionable") else "no"),
            "reason": gw.get("decommission_reason"),
            "subscription": subscription_label(lk.sub_labels, sub_id),
            "resource_group": gw.get("resource_group"),
            "location": gw.get("location"),
            "sku": gw.get("sku"),
            "vnet": _last(gw.get("vnet_id")),
            "dependents_count": len(dependents),
            "dependents": _join(lk.app_name(d) for d in dependents),
            "other_uses": _join(gw.get("other_uses")),
            "other_uses_weak": _join(gw.get("other_uses_weak")),
            "p2s_pools": _join(gw.get("p2s_pools")),
            "p2s_protocols": _join(gw.get("p2s_protocols")),
            "monthly_cost": gw.get("monthly_cost"),
            "monthly_savings": gw.get("monthly_savings"),
            "potential": gw.get("potential_monthly_savings"),
            "removal_wave": gw.get("removal_wave"),
            "portal": "Open in portal",
            "portal_url": portal_url(gw.get("id"), lk.portal),
            "due": lk.wave_end(gw.get("removal_wave")),
        }


def _subnet_rows(lk: _Lookups) -> Iterator[Row]:
    for sn in lk.plan.get("subnets") or ():
        app_ids = sn.get("app_ids") or ()
        yield {
            "vnet": sn.get("vnet_name") or _last(sn.get("vnet_id")),
            "name": sn.get("name"),
            "prefix": sn.get("prefix"),
            "new_subnet": _yes(sn.get("new_subnet")),
            "new_vnet": _yes(sn.get("new_vnet")),
            "address_space_addition": sn.get("address_space_addition"),
            "addresses_needed": sn.get("addresses_needed"),
            "plans": _join(lk.plan_name(p) for p in sn.get("plan_ids") or ()),
            "apps_count": len(app_ids),
            "apps": _join(lk.app_name(a) for a in app_ids),
            "vnet_url": portal_url(sn.get("vnet_id"), lk.portal),
            "notes": _join(sn.get("notes"), "\n"),
        }


def _evidence_rows(lk: _Lookups) -> Iterator[Row]:
    codes = lk.plan.get("codes") or {}
    for app in _gateway_required(lk.plan):
        name = app.get("name")
        for ev in app.get("evidence") or ():
            code = ev.get("code")
            yield {
                "code": code,
                "verdict": (codes.get(code) or {}).get("kind", ""),
                "subject": name,
                "subject_kind": "slot" if app.get("slot") else "app",
                "resource": ev.get("resource_id"),
                "resource_url": portal_url(ev.get("resource_id"), lk.portal),
                "field": ev.get("field"),
                "value": _evidence_value(ev.get("value")),
                "strength": ev.get("strength", ""),
                "note": ev.get("note") or "",
            }
        for unknown in app.get("unknown") or ():
            yield {
                "code": unknown.get("code"),
                "verdict": "unknown",
                "subject": name,
                "subject_kind": "slot" if app.get("slot") else "app",
                "resource": app.get("id"),
                "resource_url": portal_url(app.get("id"), lk.portal),
                "field": "",
                "value": unknown.get("reason"),
                "strength": "",
            }
    for gw in lk.plan.get("gateways") or ():
        for ev in gw.get("evidence") or ():
            yield {
                "code": ev.get("code"),
                "verdict": "gateway use",
                "subject": gw.get("name") or _last(gw.get("id")),
                "subject_kind": "gateway",
                "resource": ev.get("resource_id"),
                "resource_url": portal_url(ev.get("resource_id"), lk.portal),
                "field": ev.get("field"),
                "value": _evidence_value(ev.get("value")),
                "strength": ev.get("strength", ""),
                "note": ev.get("note") or "",
            }


def _evidence_value(value: Any) -> Any:
    if value is None:
        return "(missing)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _code_rows(lk: _Lookups) -> Iterator[Row]:
    summary = lk.plan.get("summary") or {}
    counts: dict[str, Any] = {}
    for key in ("limitations", "blockers", "findings"):
        counts.update(summary.get(key) or {})
    unknown = summary.get("unknown") or {}
    for code, info in (lk.plan.get("codes") or {}).items():
        doc = str(info.get("doc") or "")
        yield {
            "code": code,
            "kind": info.get("kind"),
            "title": info.get("title"),
            "meaning": info.get("meaning"),
            "fix": info.get("fix"),
            "apps": counts.get(code, 0),
            "unknown": unknown.get(code, 0),
            "doc": doc,
            "doc_url": info.get("learn_url") or (doc if doc.startswith(("https://", "http://")) else None),
        }


# --------------------------------------------------------------------------------------------------
# Styles


class _Styles:
    """Cell factory with styles built once: a template cell's style array is copied to each cell.

    Assigning Font/Fill/Alignment objects per cell hashes them every time; copying the template's
    `_style` array is several times faster, which matters at a few million cells.
    """

    def __init__(self, ws_any: Any):
        self._templates: dict[str, Any] = {}
        self._ids: dict[str, int] = {}
        self._ws = ws_any
        top = Alignment(vertical="top")
        wrap = Alignment(wrap_text=True, vertical="top")
        left = Alignment(horizontal="left", vertical="top")
        centre = Alignment(horizontal="center", vertical="top")
        link_font = _font(color="0563C1", underline="single")
        self._specs: dict[str, dict[str, Any]] = {
            "text": {"alignment": top},
            "wrap": {"alignment": wrap},
            "int": {"number_format": "0", "alignment": centre},
            "money": {"number_format": "#,##0.00", "alignment": top},
            "date": {"number_format": "yyyy-mm-dd", "alignment": centre},
            "sint": {"number_format": "#,##0", "alignment": left},
            "smoney": {"number_format": "#,##0.00", "alignment": left},
            "sdate": {"number_format": "yyyy-mm-dd", "alignment": left},
            "link": {"font": link_font, "alignment": top},
            "title": {"font": _font(size=16, bold=True, color="1F3864")},
            "section": {"font": _font(size=12, bold=True, color="FFFFFF"), "fill": _fill("1F3864")},
            "label": {"font": _font(bold=True)},
            "big": {"font": _font(size=14, bold=True), "alignment": left},
            "note": {"font": _font(italic=True, color="595959")},
            "warn": {"font": _font(bold=True, color=_RED[1]), "fill": _fill(_RED[0]), "alignment": left},
            "head": {"font": _font(bold=True, color="FFFFFF"), "fill": _fill("1F3864"), "alignment": top},
        }
        for key, (bg, fg) in _COLOURS.items():
            self._specs["colour:" + key] = {"fill": _fill(bg), "font": _font(color=fg, bold=True)}

    def _template(self, key: str) -> Any:
        tpl = self._templates.get(key)
        if tpl is None:
            base, _, safe = key.partition("|")
            cell = WriteOnlyCell(self._ws)
            for attr, value in self._specs.get(base, self._specs["text"]).items():
                setattr(cell, attr, value)
            if safe:
                cell.quotePrefix = True
            tpl = self._templates[key] = cell._style
        return tpl

    def sid(self, style: str, risky: bool = False) -> int:
        """The workbook's cell-format index for a style (registered on first use)."""
        key = style + "|safe" if risky else style
        sid = self._ids.get(key)
        if sid is None:
            cell = WriteOnlyCell(self._ws)
            cell._style = copy(self._template(key))
            sid = self._ids[key] = cell.style_id
        return sid

    def cell(
        self, value: Any, style: str = "text", link: str | None = None, location: str | None = None
    ) -> Any:
        """A write-only cell holding `value` (text made safe) in the named style, optionally linked."""
        value = _excel_value(value)
        risky = isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value in ERROR_CODES)
        cell = WriteOnlyCell(self._ws, value)
        cell._style = copy(self._template(style + ("|safe" if risky else "")))
        if risky:
            cell.data_type = "s"  # never a formula or an error value coming from data
        if link or location:
            cell.hyperlink = Hyperlink(ref="", target=link, location=location)
        return cell


def _font(**kw: Any) -> Font:
    # A font without a name makes LibreOffice fall back to a serif face.
    return Font(name="Calibri", size=kw.pop("size", 11), **kw)


def _fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


def _excel_value(value: Any) -> Any:
    """Text with characters Excel rejects shown as U+FFFD, within its cell limit; other values as they are."""
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, str(value))
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 40] + " … (truncated; see plan.json)"
    return text


# --------------------------------------------------------------------------------------------------
# Writers


def _widths(columns: tuple[Column, ...], sample: list[Row]) -> list[float]:
    """Header length plus room for the filter button, grown to the longest sampled value, capped."""
    widths = []
    for col in columns:
        longest = len(col.header) + 4
        for row in sample:
            value = row.get(col.key)
            if value is not None:
                text = str(value) if not isinstance(value, float) else f"{value:,.2f}"
                longest = max(longest, max((len(line) for line in text.split("\n")), default=0) + 2)
        widths.append(float(max(8, min(longest, col.width))))
    return widths


def _cell_style(col: Column, row: Row) -> str:
    if col.kind == "colour":
        return "colour:" + str(row.get(col.key) or "")
    if col.kind in ("wrap", "int", "money", "date"):
        return col.kind
    return "text"


def _display(col: Column, row: Row) -> Any:
    value = row.get(col.key)
    if col.kind == "colour":
        return READINESS_LABEL.get(str(value), DECOMMISSION_LABEL.get(str(value), value))
    if col.key == "status" and value is None:
        return _default_status()
    return value


def _row_height(wrapped: list[tuple[int, float]], values: list[Any]) -> float | None:
    """Points for a row whose wrapped cells need more than one line (Excel does not fit rows itself)."""
    lines = 1
    for idx, width in wrapped:
        text = values[idx]
        if isinstance(text, str):
            per_line = int(max(1.0, width))
            lines = max(lines, sum(max(1, -(-len(part) // per_line)) for part in text.split("\n")))
    return min(409.0, 15.0 * lines) if lines > 1 else None


_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL_SEARCH = ILLEGAL_CHARACTERS_RE.search


def _xml_text(text: str) -> str:
    """Escape text for an inline string; CR as a character reference so XML parsing keeps it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


class _RowWriter:
    """Serialises data rows as sheet XML, straight to a temporary file.

    openpyxl builds a Cell object per value and serialises it through ElementTree: about 20 µs a cell
    here (measured; lxml takes a quarter off that), which is minutes for 50,000 apps and their steps.
    Rows are plain text, so they are written as XML strings instead (a few µs a cell) and spliced into
    the sheet openpyxl writes; styles, tables, validation, links and charts stay openpyxl's. Every
    text is an inline string (t="inlineStr"), so no value from the plan can ever become a formula.
    """

    def __init__(self, styles: _Styles, columns: tuple[Column, ...], out: Any):
        self.styles = styles
        self.columns = columns
        self.letters = [get_column_letter(i) for i in range(1, len(columns) + 1)]
        self.out = out
        self.links: list[tuple[str, str]] = []

    def row(
        self, number: int, values: list[Any], keys: list[str], urls: list[str | None], height: float | None
    ) -> None:
        """Write one `<row>`; empty values are left out, as Excel does."""
        sid = self.styles.sid
        parts = [f'<row r="{number}" ht="{height:g}" customHeight="1">' if height else f'<row r="{number}">']
        for letter, value, key, url in zip(self.letters, values, keys, urls, strict=True):
            if value is None or value == "":
                continue
            if url:
                self.links.append((f"{letter}{number}", url))
            kind = type(value)
            if kind is str:
                text = value
                if _ILLEGAL_SEARCH(text):
                    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, text)
                if len(text) > EXCEL_MAX_TEXT:
                    text = text[: EXCEL_MAX_TEXT - 40] + " … (truncated; see plan.json)"
                risky = text.startswith(FORMULA_PREFIXES) or text in ERROR_CODES
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                if "&" in text or "<" in text or ">" in text or "\r" in text:
                    text = _xml_text(text)
                parts.append(
                    f'<c r="{letter}{number}" s="{sid(key, risky)}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
                )
            elif kind is int or kind is float:
                parts.append(f'<c r="{letter}{number}" s="{sid(key)}"><v>{value!r}</v></c>')
            elif isinstance(value, dt.date):
                day = value.date() if isinstance(value, dt.datetime) else value
                parts.append(f'<c r="{letter}{number}" s="{sid(key)}"><v>{(day - _EPOCH).days}</v></c>')
            else:  # bool or anything else: as text
                text = str(_excel_value("Yes" if value is True else "No" if value is False else str(value)))
                safe = sid(key, text.startswith(FORMULA_PREFIXES))
                parts.append(
                    f'<c r="{letter}{number}" s="{safe}" t="inlineStr"><is><t>{_xml_text(text)}</t></is></c>'
                )
        parts.append("</row>")
        self.out.write("".join(parts))


def _write_table_sheet(wb: Workbook, spec: SheetSpec, lk: _Lookups) -> None:
    ws = wb.create_sheet(spec.name)
    styles = _Styles(ws)
    columns = _all_columns(spec)
    assert spec.rows is not None
    rows_iter = iter(spec.rows(lk))
    sample = list(islice(rows_iter, 200))
    widths = _widths(columns, sample)
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    wrapped = [(i, widths[i]) for i, c in enumerate(columns) if c.kind == "wrap"]
    ws.freeze_panes = spec.freeze
    _print_setup(ws, "landscape", sum(widths))
    ws.print_title_rows = "1:1"
    frozen_cols = spec.freeze.rstrip("0123456789")
    if frozen_cols != "A":  # repeat the frozen name columns on every printed page
        ws.print_title_cols = f"A:{get_column_letter(column_index_from_string(frozen_cols) - 1)}"

    # Header cells styled like the table's header, for viewers that ignore table styles (LibreOffice).
    ws.append([styles.cell(c.header, "head") for c in columns])

    with tempfile.TemporaryFile("w+", encoding="utf-8") as rows_file:
        writer = _RowWriter(styles, columns, rows_file)
        written = 0
        limit = EXCEL_MAX_ROWS - 2
        for row in chain(sample, rows_iter):
            if written >= limit:
                lk.notes.append(
                    f"Sheet {spec.name}: only the first {limit:,} rows fit in Excel; see plan.json."
                )
                break
            values = [_display(c, row) for c in columns]
            urls: list[str | None] = [row.get(c.link_key) if c.link_key else None for c in columns]
            keys = [_cell_style(c, row) for c in columns]
            for i, url in enumerate(urls):
                if url and len(writer.links) >= MAX_LINKS_PER_SHEET:
                    values[i], urls[i] = url, None  # past Excel's per-sheet link limit: the URL as text
                elif url:
                    keys[i] = "link"
            writer.row(written + 2, values, keys, urls, _row_height(wrapped, values) if wrapped else None)
            written += 1

        last_row = max(2, written + 1)  # an Excel table needs one data row, even an empty one
        last_col = get_column_letter(len(columns))
        table = Table(displayName="tbl" + spec.name, ref=f"A1:{last_col}{last_row}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        # write-only sheets cannot be read back, so openpyxl cannot take the column names from row 1
        table.tableColumns = [TableColumn(id=i, name=c.header) for i, c in enumerate(columns, 1)]
        table.autoFilter = AutoFilter(ref=table.ref)
        with warnings.catch_warnings():  # openpyxl warns in write-only mode even when columns are given
            warnings.filterwarnings("ignore", "In write-only mode you must add table columns manually")
            ws.add_table(table)
        ws._hyperlinks.extend(Hyperlink(ref=ref, target=url) for ref, url in writer.links)
        if spec.consultant:
            _add_consultant_rules(ws, len(spec.columns), last_row)
        ws.close()
        rows_file.seek(0)
        _splice_rows(ws._writer.out, rows_file, f"A1:{last_col}{written + 1}")


def _splice_rows(sheet_path: str, rows_file: Any, dimension: str) -> None:
    """Put the streamed rows into the sheet XML openpyxl wrote, after its header row, and state the
    sheet's size (write-only mode leaves `<dimension>` out; read-only readers rely on it)."""
    text = Path(sheet_path).read_text(encoding="utf-8")
    head, marker, tail = text.partition("</sheetData>")
    if not marker or "<sheetViews" not in head:
        raise RuntimeError(f"unexpected sheet XML in {sheet_path}")
    head = head.replace("<sheetViews", f'<dimension ref="{dimension}"/><sheetViews', 1)
    with open(sheet_path, "w", encoding="utf-8") as out:
        out.write(head)
        shutil.copyfileobj(rows_file, out, 1 << 20)
        out.write(marker + tail)


def _add_consultant_rules(ws: Any, first: int, last_row: int) -> None:
    """Status: a list to pick from, coloured by value; Due: dates only."""
    status_col = get_column_letter(first + 1)
    area = f"{status_col}2:{status_col}{last_row}"
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(STATUS_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error="Pick one of: " + ", ".join(STATUS_CHOICES),
    )
    dv.add(area)
    ws.data_validations.append(dv)
    for choice, (bg, fg) in (("Done", _GREEN), ("In progress", _AMBER), ("Won't do", _GREY)):
        ws.conditional_formatting.add(
            area,
            CellIsRule(
                operator="equal", formula=[f'"{choice}"'], fill=_fill(bg), font=_font(color=fg, bold=True)
            ),
        )
    due_col = get_column_letter(first + 3)
    due = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2000,1,1)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Due",
        error="A date, for example 2027-01-31",
    )
    due.add(f"{due_col}2:{due_col}{last_row}")
    ws.data_validations.append(due)


def _print_setup(ws: Any, orientation: str, total_width: float) -> None:
    """Fit the sheet to pages a reader can read: about 250 characters of columns per landscape page."""
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = max(1, round(total_width / (250 if orientation == "landscape" else 130)))
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


CHART_ROWS = 16  # blank rows under the deadline block where the two charts sit


def _write_summary(ws: Any, lk: _Lookups, st: _Styles) -> None:
    """Deadline, two charts, counts, codes, waves, gateways and money, inventory notes, sheet index."""
    plan = lk.plan
    summary = plan.get("summary") or {}
    prices = plan.get("prices") or {}
    currency = prices.get("currency") or ""
    schedule = plan.get("schedule") or {}
    inventory = plan.get("inventory") or {}
    widths = (46, 16, 13, 13, 13, 13, 13, 18)
    for letter, width in zip("ABCDEFGH", widths, strict=True):
        ws.column_dimensions[letter].width = width
    _print_setup(ws, "portrait", sum(widths))
    row_no = 0

    def put(*cells: Any) -> int:
        nonlocal row_no
        ws.append(list(cells))
        row_no += 1
        return row_no

    def long(label: Any, text: Any) -> None:
        """A label and a text that may be long: the text wraps across columns B to the last one."""
        text = str(_excel_value(text) or "")
        lines = max(1, -(-len(text) // int(sum(widths[1:]) * 1.1)))
        if lines > 1:
            ws.row_dimensions[row_no + 1].height = 15 * min(lines, 27)
        put(label, st.cell(text, "wrap"))
        ws.merged_cells.add(f"B{row_no}:{get_column_letter(len(widths))}{row_no}")

    def section(title: str) -> None:
        put(None)
        put(*(st.cell(title if i == 0 else None, "section") for i in range(len(widths))))

    put(st.cell("VNet integration migration plan", "title"))
    days = plan.get("days_left", summary.get("days_left"))
    put(
        st.cell("Gateway-required VNet integration retires on", "label"),
        st.cell(_date(plan.get("retirement_date")) or plan.get("retirement_date"), "sdate"),
    )
    put(
        st.cell("Days left", "label"),
        st.cell(days, "warn" if isinstance(days, int) and days < 120 else "big"),
        st.cell(f"counted from {plan.get('as_of') or str(plan.get('generated_at', ''))[:10]}", "note"),
    )
    if schedule:
        late = bool(schedule.get("past_deadline"))
        put(
            st.cell("Planned migration", "label"),
            st.cell(
                f"{schedule.get('start', '?')} to {schedule.get('end', '?')}", "warn" if late else "text"
            ),
            None,
            st.cell(
                f"{len(lk.schedule.scheduled)} waves of {schedule.get('wave_days', '?')} working days"
                + (": THE PLAN ENDS AFTER THE DEADLINE" if late else ""),
                "warn" if late else "note",
            ),
        )
    put(
        st.cell("Generated", "label"),
        st.cell(_when(plan.get("generated_at"))),
        None,
        st.cell(
            f"vnet-planner {plan.get('tool_version', '')}, inventory {inventory.get('path', '?')}", "note"
        ),
    )
    chart_row = row_no + 2
    for _ in range(CHART_ROWS):
        put(None)

    section("Apps")
    for label, key in (
        ("App Service apps and slots found", "apps_total"),
        ("On gateway-required integration: to migrate", "apps_gateway_required"),
        ("Already on regional integration", "apps_regional"),
        ("Without VNet integration", "apps_none"),
        ("Integration could not be read", "apps_unknown"),
    ):
        put(st.cell(label), st.cell(summary.get(key, 0), "sint"))

    section("Readiness of the apps to migrate")
    readiness = summary.get("readiness") or {}
    first_ready = row_no + 1
    for key, label in READINESS_LABEL.items():
        put(st.cell(label, "colour:" + key), st.cell(readiness.get(key, 0), "sint"))
    last_ready = row_no

    waves = lk.schedule.scheduled
    first_wave = last_wave = 0
    if waves:
        section("Waves")
        head = ("Name", "Wave", "Ready", "Needs work", "Blocked", "Start", "End", "Gateways removed")
        put(*(st.cell(h, "head") for h in head))
        first_wave = row_no + 1
        for wave in waves:
            counts = wave.readiness
            put(
                st.cell(_wave_name(wave)),
                st.cell(wave.number, "sint"),
                st.cell(counts.get("ready", 0), "sint"),
                st.cell(counts.get("needs-work", 0), "sint"),
                st.cell(counts.get("blocked", 0), "sint"),
                st.cell(wave.start, "sdate"),
                st.cell(wave.end, "sdate"),
                st.cell(len(wave.gateways), "sint"),
            )
        last_wave = row_no

    section(f"Gateways and money ({currency or 'currency not given'})")
    potential = sum(
        float(g.get("potential_monthly_savings") or 0)
        for g in plan.get("gateways") or ()
        if g.get("decommission") == "verify"
    )
    for label, value, style in (
        ("VPN gateways the apps use", summary.get("gateways", 0), "sint"),
        ("Can be deleted after the migration", summary.get("gateways_decommissionable", 0), "sint"),
        ("To verify before deleting", summary.get("gateways_to_verify", 0), "sint"),
        ("Monthly cost of these gateways", summary.get("monthly_cost"), "smoney"),
        ("Monthly savings (gateways that can be deleted)", summary.get("monthly_savings"), "smoney"),
        ("Yearly savings", summary.get("yearly_savings"), "smoney"),
        ("More per month if the gateways to verify can go", potential, "smoney"),
    ):
        put(st.cell(label), st.cell(value, style))
    long(st.cell("Prices from"), prices.get("source") or "not given")
    put(st.cell("Prices as of"), st.cell(_date(prices.get("as_of")) or prices.get("as_of"), "sdate"))

    codes = plan.get("codes") or {}
    for title, key in (
        ("Limitations: what regional integration fixes (apps)", "limitations"),
        ("Blockers: to solve before the move (apps)", "blockers"),
        ("Findings: health of the current setup (apps)", "findings"),
        ("Could not be decided: data missing (apps)", "unknown"),
    ):
        counts = summary.get(key) or {}
        if key == "unknown" and not counts:
            continue
        section(title)
        for code, count in counts.items():
            info = codes.get(code) or {}
            put(st.cell(str(info.get("title") or code)), st.cell(count, "sint"), st.cell(code, "note"))

    governance = governance_lines(plan)
    if governance:
        section("Scope, suppressions and progress")
        for line in governance:
            long(st.cell(line.split(":", 1)[0]), line.split(":", 1)[1].strip())

    failed = inventory.get("failed_subscriptions") or ()
    warnings_ = [*(inventory.get("warnings") or ()), *(plan.get("warnings") or ())]
    unknown_types = inventory.get("unknown_types") or {}
    if inventory or lk.notes:
        section("Inventory read")
        if inventory:
            put(
                st.cell("Files / resources read"),
                st.cell(f"{inventory.get('files', '?')} files, {inventory.get('resources', '?')} resources"),
            )
        for sub in failed:
            who = f"{sub['name']} ({sub.get('id')})" if sub.get("name") else sub.get("id") or "?"
            long(st.cell("Subscription NOT read", "warn"), f"{who}: {sub.get('reason') or 'no reason given'}")
        for warning in warnings_:
            long(st.cell("Warning"), warning)
        if unknown_types:
            skipped = ", ".join(f"{t} ({n})" for t, n in unknown_types.items())
            long(st.cell("Resource types skipped"), skipped)
        for note in lk.notes:
            long(st.cell("Note", "warn"), note)

    section("Sheets in this workbook")
    for spec in SHEETS[1:]:
        put(
            st.cell(spec.name, "link", location=f"{quote_sheetname(spec.name)}!A1"), st.cell(spec.description)
        )
    section("Microsoft documentation")
    for title, url in LEARN_DOCS:
        put(st.cell(title, "link", link=url))

    _add_summary_charts(ws, chart_row, (first_ready, last_ready), (first_wave, last_wave))


def _wave_name(wave: Wave) -> str:
    """A wave's name without a leading "Wave N" (the number has its own column)."""
    name, prefix = wave.name, f"wave {wave.number}"
    if name.lower().startswith(prefix):
        name = name[len(prefix) :].lstrip(" —–-:·")
        name = name[:1].upper() + name[1:]
    return name or f"Wave {wave.number}"


def _when(value: Any) -> str:
    """`2026-11-29T09:00:00+00:00` as `2026-11-29 09:00 UTC` (other offsets kept as given)."""
    text = str(value or "")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M %z").strip()


def _add_summary_charts(ws: Any, at_row: int, ready: tuple[int, int], waves: tuple[int, int]) -> None:
    """Side by side under the deadline: a bar per readiness in its colour; apps per wave by readiness."""
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = "Apps by readiness"
    chart.legend = None
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = True
    chart.x_axis.delete = False
    chart.add_data(Reference(ws, min_col=2, min_row=ready[0], max_row=ready[1]), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=ready[0], max_row=ready[1]))
    chart.x_axis.scaling.orientation = "maxMin"  # Ready on top, as in the table below
    series = chart.series[0]
    for idx, key in enumerate(READINESS_LABEL):
        point = DataPoint(idx=idx)
        point.graphicalProperties.solidFill = _COLOURS[key][1]
        point.graphicalProperties.line.solidFill = _COLOURS[key][1]
        series.dPt.append(point)
    series.dLbls = DataLabelList(
        showVal=True, showSerName=False, showCatName=False, showLegendKey=False, showPercent=False
    )
    chart.gapWidth = 60
    chart.height, chart.width = 7.2, 11.5
    ws.add_chart(chart, f"A{at_row}")

    if waves[0] and waves[1] >= waves[0]:
        per_wave = BarChart()
        per_wave.type = "col"
        per_wave.grouping = "stacked"
        per_wave.overlap = 100
        per_wave.gapWidth = 60
        per_wave.title = "Apps per wave"
        per_wave.x_axis.title = "wave"
        per_wave.y_axis.title = "apps"
        per_wave.x_axis.delete = False
        per_wave.y_axis.delete = False
        per_wave.legend.position = "b"
        data = Reference(ws, min_col=3, max_col=5, min_row=waves[0] - 1, max_row=waves[1])
        per_wave.add_data(data, titles_from_data=True)
        per_wave.set_categories(Reference(ws, min_col=2, min_row=waves[0], max_row=waves[1]))
        for series, key in zip(per_wave.series, READINESS_LABEL, strict=True):
            series.graphicalProperties.solidFill = _COLOURS[key][1]
            series.graphicalProperties.line.solidFill = _COLOURS[key][1]
        per_wave.height, per_wave.width = 7.2, 13.5
        ws.add_chart(per_wave, f"C{at_row}")


def _write_custom_sheet(wb: Workbook, spec: SheetSpec, lk: _Lookups, index: int) -> None:
    ws = wb.create_sheet(spec.name, index)
    assert spec.writer is not None
    spec.writer(ws, lk, _Styles(ws))


# --------------------------------------------------------------------------------------------------
# The table that drives the workbook

_C = Column
SHEETS: tuple[SheetSpec, ...] = (
    SheetSpec(
        "Summary",
        "Deadline, counts by readiness and code, waves, gateways and savings, prices.",
        writer=_write_summary,
    ),
    SheetSpec(
        "Apps",
        "One row per gateway-required app or slot: where it is, its codes, readiness, wave and target.",
        columns=(
            _C("App", "app", width=28),
            _C("Slot", "slot", width=12),
            _C("Readiness", "readiness", kind="colour", width=13),
            _C("Wave", "wave", kind="int", width=8),
            _C("Subscription", "subscription", width=24),
            _C("Resource group", "resource_group", width=22),
            _C("Kind", "kind", width=18),
            _C("Plan", "plan", width=20),
            _C("SKU", "sku", width=8),
            _C("OS", "os", width=9),
            _C("Location", "location", width=14),
            _C("VNet", "vnet", width=22),
            _C("Gateway", "gateway", width=20),
            _C("Limitations", "limitations", width=36),
            _C("Blockers", "blockers", width=34),
            _C("Findings", "findings", width=34),
            _C("Unknown", "unknown", width=30),
            _C("Suppressed", "suppressed", width=36),
            _C("Strategy", "strategy", width=14),
            _C("Target VNet", "target_vnet", width=22),
            _C("Target subnet", "target_subnet", width=26),
            _C("Prefix", "prefix", width=16),
            _C("New subnet", "new_subnet", width=11),
            _C("Tags", "tags", width=36),
            _C("Subscription ID", "subscription_id", width=38),
            _C("Portal", "portal", kind="link", width=16, link_key="portal_url"),
        ),
        rows=_app_rows,
        consultant=True,
        freeze="C2",
    ),
    SheetSpec(
        "Steps",
        "The runbook: one row per step, wave by wave, with commands, validation and rollback.",
        columns=(
            _C("Wave", "wave", kind="int", width=7),
            _C("App or gateway", "target", width=28),
            _C("Type", "kind", width=9),
            _C("Subscription", "subscription", width=22),
            _C("Resource group", "resource_group", width=18),
            _C("Step", "order", kind="int", width=7),
            _C("Phase", "phase", width=11),
            _C("What to do", "title", kind="wrap", width=40),
            _C("Commands", "commands", kind="wrap", width=70),
            _C("Bicep", "bicep", kind="wrap", width=50),
            _C("Validation", "validation", kind="wrap", width=40),
            _C("Rollback", "rollback", kind="wrap", width=40),
        ),
        rows=_step_rows,
        consultant=True,
        freeze="C2",
    ),
    SheetSpec(
        "Gateways",
        "VPN gateways behind the apps: what else uses them, whether they can go, cost and savings.",
        columns=(
            _C("Gateway", "name", width=22),
            _C("Decision", "decommission", kind="colour", width=13),
            _C("Why", "reason", kind="wrap", width=50),
            _C("Subscription", "subscription", width=22),
            _C("Resource group", "resource_group", width=20),
            _C("Location", "location", width=13),
            _C("SKU", "sku", width=10),
            _C("VNet", "vnet", width=20),
            _C("Dependent apps", "dependents_count", kind="int", width=10),
            _C("Apps", "dependents", kind="wrap", width=40),
            _C("Other uses", "other_uses", width=20),
            _C("Weak signals", "other_uses_weak", width=16),
            _C("P2S pools", "p2s_pools", width=18),
            _C("P2S protocols", "p2s_protocols", width=14),
            _C("Monthly cost", "monthly_cost", kind="money", width=13),
            _C("Monthly savings", "monthly_savings", kind="money", width=13),
            _C("Potential savings", "potential", kind="money", width=13),
            _C("Removal wave", "removal_wave", kind="int", width=9),
            _C("Portal", "portal", kind="link", width=16, link_key="portal_url"),
        ),
        rows=_gateway_rows,
        consultant=True,
        freeze="B2",
    ),
    SheetSpec(
        "Subnets",
        "Target subnets: new ones to create (prefix, VNet, address space to add) and reused ones.",
        columns=(
            _C("VNet", "vnet", kind="link", width=22, link_key="vnet_url"),
            _C("Subnet", "name", width=28),
            _C("Prefix", "prefix", width=16),
            _C("New subnet", "new_subnet", width=10),
            _C("New VNet", "new_vnet", width=10),
            _C("Address space to add", "address_space_addition", width=18),
            _C("Addresses needed", "addresses_needed", kind="int", width=10),
            _C("Plans", "plans", kind="wrap", width=30),
            _C("Apps (count)", "apps_count", kind="int", width=8),
            _C("Apps", "apps", kind="wrap", width=50),
            _C("Notes", "notes", kind="wrap", width=40),
        ),
        rows=_subnet_rows,
        consultant=True,
        freeze="C2",
    ),
    SheetSpec(
        "Evidence",
        "What decided each code: the resource, the field and the value found, to check in the portal.",
        columns=(
            _C("Code", "code", width=24),
            _C("Verdict", "verdict", width=12),
            _C("App or gateway", "subject", width=28),
            _C("Type", "subject_kind", width=9),
            _C("Resource", "resource", kind="link", width=60, link_key="resource_url"),
            _C("Field", "field", width=40),
            _C("Value", "value", kind="wrap", width=40),
            _C("Strength", "strength", width=9),
            _C("Note", "note", kind="wrap", width=40),
        ),
        rows=_evidence_rows,
        freeze="D2",
    ),
    SheetSpec(
        "Codes",
        "Legend: what each code means in plain words, and how to fix it.",
        columns=(
            _C("Code", "code", width=24),
            _C("Kind", "kind", width=11),
            _C("Title", "title", kind="wrap", width=32),
            _C("Meaning", "meaning", kind="wrap", width=60),
            _C("Fix", "fix", kind="wrap", width=60),
            _C("Apps", "apps", kind="int", width=7),
            _C("Undecided apps", "unknown", kind="int", width=10),
            _C("Docs", "doc", kind="link", width=30, link_key="doc_url"),
        ),
        rows=_code_rows,
        freeze="B2",
    ),
)


def write_workbook(plan: dict, path: Path, schedule: Schedule | None = None) -> None:
    """Write the plan as an Excel workbook at `path`, atomically (a failure leaves no file behind)."""
    path = Path(path)
    with bulk_allocation():
        _write_workbook(plan, path, schedule or schedule_of(plan))


def _write_workbook(plan: dict, path: Path, schedule: Schedule) -> None:
    lk = _Lookups(plan, schedule)
    wb = Workbook(write_only=True)
    wb.properties.creator = f"vnet-planner {plan.get('tool_version', '')}".strip()
    wb.properties.title = "VNet integration migration plan"
    # Summary is first in the book but written last, so it can report truncations in other sheets.
    for spec in SHEETS:
        if spec.writer is None:
            _write_table_sheet(wb, spec, lk)
    _write_custom_sheet(wb, SHEETS[0], lk, index=0)
    wb.active = 0

    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or Path("."))
    os.close(fd)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
