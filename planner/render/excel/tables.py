"""Table sheets streamed row by row (write-only mode): rows, tables, links, validation, print setup."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import warnings
from itertools import chain, islice
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from planner.render.excel.cells import (
    Styles,
    cell_style,
    column_widths,
    display_value,
    excel_value,
    make_fill,
    make_font,
    row_height,
)
from planner.render.excel.spec import (
    AMBER,
    EXCEL_MAX_ROWS,
    EXCEL_MAX_TEXT,
    FORMULA_PREFIXES,
    GREEN,
    GREY,
    MAX_LINKS_PER_SHEET,
    REPLACEMENT_CHARACTER,
    STATUS_CHOICES,
    Column,
    Lookups,
    SheetSpec,
    all_columns,
)

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

    def __init__(self, styles: Styles, columns: tuple[Column, ...], out: Any):
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
                text = str(excel_value("Yes" if value is True else "No" if value is False else str(value)))
                safe = sid(key, text.startswith(FORMULA_PREFIXES))
                parts.append(
                    f'<c r="{letter}{number}" s="{safe}" t="inlineStr"><is><t>{_xml_text(text)}</t></is></c>'
                )
        parts.append("</row>")
        self.out.write("".join(parts))


def write_table_sheet(wb: Workbook, spec: SheetSpec, lk: Lookups) -> None:
    ws = wb.create_sheet(spec.name)
    styles = Styles(ws)
    columns = all_columns(spec)
    assert spec.rows is not None
    rows_iter = iter(spec.rows(lk))
    sample = list(islice(rows_iter, 200))
    widths = column_widths(columns, sample)
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    wrapped = [(i, widths[i]) for i, c in enumerate(columns) if c.kind == "wrap"]
    ws.freeze_panes = spec.freeze
    print_setup(ws, "landscape", sum(widths))
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
            values = [display_value(c, row) for c in columns]
            urls: list[str | None] = [row.get(c.link_key) if c.link_key else None for c in columns]
            keys = [cell_style(c, row) for c in columns]
            for i, url in enumerate(urls):
                if url and len(writer.links) >= MAX_LINKS_PER_SHEET:
                    values[i], urls[i] = url, None  # past Excel's per-sheet link limit: the URL as text
                elif url:
                    keys[i] = "link"
            writer.row(written + 2, values, keys, urls, row_height(wrapped, values) if wrapped else None)
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
    for choice, (bg, fg) in (("Done", GREEN), ("In progress", AMBER), ("Won't do", GREY)):
        ws.conditional_formatting.add(
            area,
            CellIsRule(
                operator="equal",
                formula=[f'"{choice}"'],
                fill=make_fill(bg),
                font=make_font(color=fg, bold=True),
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


def print_setup(ws: Any, orientation: str, total_width: float) -> None:
    """Landscape (or portrait) A4, every column on one page's width, as many pages down as needed;
    the header row (and frozen name columns) repeat on every page (set where the sheet is written)."""
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1  # no column is ever cut at the page's edge
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
