"""Cell styles, values and sizes: what a value looks like in a cell, and how wide a column is."""

from __future__ import annotations

import datetime as dt
from copy import copy
from typing import Any

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.hyperlink import Hyperlink

from planner.render.excel.spec import (
    COLOURS,
    DECOMMISSION_LABEL,
    EXCEL_MAX_TEXT,
    FORMULA_PREFIXES,
    READINESS_LABEL,
    RED,
    REPLACEMENT_CHARACTER,
    Column,
    Row,
    default_status,
)

# --------------------------------------------------------------------------------------------------
# Styles


class Styles:
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
        link_font = make_font(color="0563C1", underline="single")
        self._specs: dict[str, dict[str, Any]] = {
            "text": {"alignment": top},
            "wrap": {"alignment": wrap},
            "int": {"number_format": "0", "alignment": centre},
            "money": {"number_format": "#,##0.00", "alignment": top},
            "date": {"number_format": "yyyy-mm-dd", "alignment": centre},
            "sint": {"number_format": "#,##0", "alignment": left},
            "smoney": {"number_format": "#,##0.00", "alignment": left},
            "sdate": {"number_format": "yyyy-mm-dd", "alignment": left},
            "spercent": {"number_format": "0%", "alignment": left},
            "link": {"font": link_font, "alignment": top},
            "title": {"font": make_font(size=16, bold=True, color="1F3864")},
            "section": {"font": make_font(size=12, bold=True, color="FFFFFF"), "fill": make_fill("1F3864")},
            "label": {"font": make_font(bold=True)},
            "big": {"font": make_font(size=14, bold=True), "alignment": left},
            "note": {"font": make_font(italic=True, color="595959")},
            "warn": {
                "font": make_font(bold=True, color=RED[1]),
                "fill": make_fill(RED[0]),
                "alignment": left,
            },
            "head": {
                "font": make_font(bold=True, color="FFFFFF"),
                "fill": make_fill("1F3864"),
                "alignment": top,
            },
        }
        for key, (bg, fg) in COLOURS.items():
            self._specs["colour:" + key] = {"fill": make_fill(bg), "font": make_font(color=fg, bold=True)}

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
        value = excel_value(value)
        risky = isinstance(value, str) and (value.startswith(FORMULA_PREFIXES) or value in ERROR_CODES)
        cell = WriteOnlyCell(self._ws, value)
        cell._style = copy(self._template(style + ("|safe" if risky else "")))
        if risky:
            cell.data_type = "s"  # never a formula or an error value coming from data
        if link or location:
            cell.hyperlink = Hyperlink(ref="", target=link, location=location)
        return cell


def formula(styles: Styles, text: str, style: str = "sint") -> Any:
    """A cell holding a formula of ours (never data from the plan): recalculated when the book opens."""
    cell = styles.cell(None, style)
    cell.value = text
    cell.data_type = "f"
    return cell


def make_font(**kw: Any) -> Font:
    # A font without a name makes LibreOffice fall back to a serif face.
    return Font(name="Calibri", size=kw.pop("size", 11), **kw)


def make_fill(colour: str) -> PatternFill:
    return PatternFill("solid", start_color=colour, end_color=colour)


def excel_value(value: Any) -> Any:
    """Text with characters Excel rejects shown as U+FFFD, within its cell limit; other values as they are."""
    if value is None or isinstance(value, bool | int | float | dt.date):
        return value
    text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, str(value))
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 40] + " … (truncated; see plan.json)"
    return text


# --------------------------------------------------------------------------------------------------
# Writers


def column_widths(columns: tuple[Column, ...], sample: list[Row]) -> list[float]:
    """Header length plus room for the filter button, grown to the longest sampled value, capped."""
    widths = []
    for col in columns:
        longest = len(col.header) + 4
        for row in sample:
            value = row.get(col.key)
            if value is not None:
                text = str(value) if not isinstance(value, float) else f"{value:,.2f}"
                longest = max(longest, max((len(line) for line in text.split("\n")), default=0) + 2)
        # Never narrower than the header and its filter button: a truncated header is unreadable.
        widths.append(float(max(8, len(col.header) + 4, min(longest, col.width))))
    return widths


def cell_style(col: Column, row: Row) -> str:
    if col.kind == "colour":
        return "colour:" + str(row.get(col.key) or "")
    if col.kind in ("wrap", "int", "money", "date"):
        return col.kind
    return "text"


def display_value(col: Column, row: Row) -> Any:
    value = row.get(col.key)
    if col.kind == "colour":
        return READINESS_LABEL.get(str(value), DECOMMISSION_LABEL.get(str(value), value))
    if col.key == "status" and value is None:
        return default_status()
    return value
