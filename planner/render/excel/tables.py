"""Table sheets streamed row by row (write-only mode): rows, tables, links, validation, print setup."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any, NamedTuple
from zipfile import ZipFile

from openpyxl import Workbook
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import CellIsRule
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
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
    Row,
    SheetSpec,
    all_columns,
    default_status,
)

_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL_SEARCH = ILLEGAL_CHARACTERS_RE.search
# The control characters XML 1.0 refuses (ILLEGAL_CHARACTERS_RE), as bytes: a chunk of rows is checked
# for them once, with bytes.translate, instead of a regular expression over every text.
_ILLEGAL_BYTES = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
# A text whose first character is one of these may be read as a formula or an error value: the
# careful path decides (an error value only if the whole text is one of ERROR_CODES).
_RISKY_FIRST = frozenset(FORMULA_PREFIXES) | {"#"}
_ERROR_CODES = frozenset(ERROR_CODES)
_CHUNK_ROWS = 1_000  # rows joined, encoded, checked and written at once
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_HYPERLINK_TYPE = _REL_NS + "/hyperlink"
# Elements a worksheet may hold after <hyperlinks> (ECMA-376 CT_Worksheet order): links go before the first.
_AFTER_HYPERLINKS = (
    "<printOptions",
    "<pageMargins",
    "<pageSetup",
    "<headerFooter",
    "<rowBreaks",
    "<colBreaks",
    "<customProperties",
    "<cellWatches",
    "<ignoredErrors",
    "<smartTags",
    "<drawing",
    "<legacyDrawing",
    "<picture",
    "<oleObjects",
    "<controls",
    "<webPublishItems",
    "<tableParts",
    "<extLst",
    "</worksheet>",
)


def _xml_text(text: str) -> str:
    """Escape text for an inline string; CR as a character reference so XML parsing keeps it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _xml_attr(text: str) -> str:
    """Escape text for a double-quoted attribute (as ElementTree does, so a parser reads back the same)."""
    if not text.isprintable():
        text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, text)
        text = text.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;")
    if "&" in text or "<" in text or ">" in text or '"' in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return text


def _text_cell(ref: str, sid: int, risky_sid: int, value: str, illegal: bool = True) -> str:
    """One text cell, every rule applied: illegal characters (unless `illegal` is False: the caller
    checks the result for them), length limit, formula guard, spaces, escaping."""
    return f'<c r="{ref}{_text_tail(sid, risky_sid, value, illegal)}'


def _text_tail(sid: int, risky_sid: int, value: str, illegal: bool = True) -> str:
    """A text cell after its reference (`<c r="A2` + this), every rule applied (see `_text_cell`)."""
    text = value
    if illegal and _ILLEGAL_SEARCH(text):
        text = ILLEGAL_CHARACTERS_RE.sub(REPLACEMENT_CHARACTER, text)
    if len(text) > EXCEL_MAX_TEXT:
        text = text[: EXCEL_MAX_TEXT - 40] + " … (truncated; see plan.json)"
    risky = text.startswith(FORMULA_PREFIXES) or text in _ERROR_CODES
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    if "&" in text or "<" in text or ">" in text or "\r" in text:
        text = _xml_text(text)
    return f'" s="{risky_sid if risky else sid}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _lines(text: str, per_line: int) -> int:
    """Lines a wrapped text takes in a column `per_line` characters wide."""
    if len(text) <= per_line and "\n" not in text:
        return 1
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


def _repeats(key: str, sample: list[Row]) -> bool:
    """Whether a column's texts and dates repeat (at most half of them distinct in the sample):
    worth remembering each one's cell XML (`_RowWriter`)."""
    values = [v for row in sample if type(v := row.get(key)) is str or type(v) is dt.date]
    return bool(values) and 2 * len(set(values)) <= len(values)


class _Col(NamedTuple):
    """A column compiled for the row loop: what it reads, where it goes, and its cell-format ids."""

    key: str
    letter: str
    sid: int  # the column's style
    risky_sid: int  # the same with Excel's quote prefix
    wrap: int  # characters per line of a wrapped column (0: not wrapped)
    memo: dict[Any, tuple[str, int]] | None  # a repeating text or date -> (cell after its reference, lines)
    link_key: str | None
    colour: bool  # value -> label, style by value
    status: bool  # None -> the default status
    position: int


class _RowWriter:
    """Serialises data rows as sheet XML, straight to a temporary file, and their links to two more.

    openpyxl builds a Cell object per value and serialises it through ElementTree: about 20 µs a cell
    here (measured; lxml takes a quarter off that), which is minutes for 50,000 apps and their steps.
    Rows are plain text, so they are written as XML strings instead (well under 1 µs a cell: each
    column's style ids are looked up once; a column whose values repeat, such as subscriptions, phases
    or due dates, remembers each value's cell XML; other texts need no escaping in the common case;
    and a thousand rows are encoded and checked for characters XML refuses at once) and spliced into
    the sheet openpyxl writes (`SheetPart`); styles, tables and validation stay openpyxl's. Links are
    written the same way, as `<hyperlink>` elements and their relationships (openpyxl's objects for
    them cost about 50 µs a link). Every text is an inline string (t="inlineStr"), so no value from
    the plan can ever become a formula.
    """

    MEMO_MAX = 4_096  # values remembered per column (a few MB at most); a column with more stops

    def __init__(
        self, styles: Styles, columns: tuple[Column, ...], widths: list[float], sample: list[Row], out: Any
    ):
        self.styles = styles
        self.out = out  # rows, UTF-8 bytes
        self.link_refs: Any = None  # <hyperlink> elements, opened with the first link
        self.link_rels: Any = None  # their <Relationship> elements
        self.links = 0
        self._colours: dict[tuple[str, Any], tuple[Any, int, int]] = {}
        self.cols = []
        for i, (col, width) in enumerate(zip(columns, widths, strict=True)):
            base = "text" if col.kind == "colour" else cell_style(col, {})
            plain = col.kind != "colour" and not col.link_key
            self.cols.append(
                _Col(
                    key=col.key,
                    letter=get_column_letter(i + 1),
                    sid=styles.sid(base),
                    risky_sid=styles.sid(base, True),
                    wrap=int(max(1.0, width)) if col.kind == "wrap" else 0,
                    memo={} if plain and (col.key == "status" or _repeats(col.key, sample)) else None,
                    link_key=col.link_key,
                    colour=col.kind == "colour",
                    status=col.key == "status",
                    position=i,
                )
            )
        self._link_sid = styles.sid("link")
        self._link_risky_sid = styles.sid("link", True)

    def _colour(self, col: _Col, value: Any) -> tuple[Any, int, int]:
        """The label and cell-format ids of a value in a colour column (by value: Ready is green)."""
        found = self._colours.get((col.key, value))
        if found is None:
            fake = Column("", col.key, kind="colour")
            row = {col.key: value}
            style = cell_style(fake, row)
            found = (display_value(fake, row), self.styles.sid(style), self.styles.sid(style, True))
            self._colours[(col.key, value)] = found
        return found

    def write(self, rows: Iterable[Row], first: int, limit: int) -> int:
        """Write rows numbered from `first`, at most `limit` of them; returns how many were written."""
        rows = iter(rows)
        number = first
        while number - first < limit:
            # A chunk of rows is made, then written (measured: a third faster than one row at a time).
            batch = list(islice(rows, min(_CHUNK_ROWS, limit - (number - first))))
            if not batch:
                break
            done = []  # (number, links before it, row): what a careful redo needs
            chunk = []
            for i, row in enumerate(batch, number):
                done.append((i, self.links, row))
                chunk.append(self._row(i, row, self.links, False))
            self._flush(chunk, done)
            number += len(batch)
        return number - first

    def _flush(self, chunk: list[str], done: list[tuple[int, int, Row]]) -> None:
        data = "".join(chunk).encode("utf-8")
        if len(data.translate(None, _ILLEGAL_BYTES)) != len(data):  # rare: redo these rows with care
            data = "".join(self._row(number, row, links, True) for number, links, row in done).encode("utf-8")
        self.out.write(data)

    def _link(self, ref: str, url: str) -> None:
        if self.link_refs is None:
            self.link_refs = tempfile.TemporaryFile("w+b")  # noqa: SIM115 (closed by SheetPart.close)
            self.link_rels = tempfile.TemporaryFile("w+b")  # noqa: SIM115
        self.links += 1
        rel = f"rIdL{self.links}"
        self.link_refs.write(f'<hyperlink ref="{ref}" r:id="{rel}"/>'.encode())
        self.link_rels.write(
            f'<Relationship Id="{rel}" Type="{_HYPERLINK_TYPE}" Target="{_xml_attr(url)}" '
            'TargetMode="External"/>'.encode()
        )

    def _remember(self, col: _Col, value: Any) -> tuple[str, int]:
        """A repeating value's cell XML after its reference, and the lines it takes."""
        if type(value) is str:
            found = (_text_tail(col.sid, col.risky_sid, value), _lines(value, col.wrap) if col.wrap else 1)
        else:
            day = value.date() if isinstance(value, dt.datetime) else value
            found = (f'" s="{col.sid}"><v>{(day - _EPOCH).days}</v></c>', 1)
        assert col.memo is not None
        if len(col.memo) < self.MEMO_MAX:
            col.memo[value] = found
        else:  # more distinct values than the sample suggested: no use remembering them
            self.cols[col.position] = col._replace(memo=None)
        return found

    def _row(self, number: int, row: Row, links_before: int, careful: bool) -> str:
        """One `<row>`; empty values are left out, as Excel does. `links_before`: the sheet's links
        before this row (past Excel's limit a URL is shown as text). `careful`: every text through
        `_text_cell` (the chunk holds a character XML refuses); links are recorded the first time only."""
        rs = str(number)
        parts = []
        lines = 1
        over = links_before >= MAX_LINKS_PER_SHEET
        get = row.get
        for col in self.cols:
            key, letter, sid, risky_sid, wrap, memo, link_key, colour, status, _ = col
            value = get(key)
            if memo is not None:  # plain column: no link, no colour
                if value is None:
                    if not status:
                        continue
                    value = default_status()
                kind = type(value)
                if kind is str or kind is dt.date:
                    if value == "":
                        continue
                    found = memo.get(value) or self._remember(col, value)
                    parts.append(f'<c r="{letter}{rs}{found[0]}')
                    if found[1] > lines:
                        lines = found[1]
                    continue
            if colour:
                value, sid, risky_sid = self._colour(col, value)
            elif status and value is None:
                value = default_status()
            link = None
            if link_key:
                url = get(link_key)
                if url and over:
                    value = url  # past Excel's per-sheet link limit: the URL as text
                elif url:
                    link = url
                    sid, risky_sid = self._link_sid, self._link_risky_sid
            if value is None or value == "":
                continue
            if link and not careful:
                self._link(letter + rs, link)
            kind = type(value)
            if kind is str:
                if wrap:
                    lines = max(lines, _lines(value, wrap))
                if (
                    careful
                    or len(value) > EXCEL_MAX_TEXT
                    or value[0] in _RISKY_FIRST
                    or value[0].isspace()
                    or value[-1].isspace()
                    or "&" in value
                    or "<" in value
                    or ">" in value
                    or "\r" in value
                ):
                    parts.append(_text_cell(letter + rs, sid, risky_sid, value, careful))
                else:
                    parts.append(f'<c r="{letter}{rs}" s="{sid}" t="inlineStr"><is><t>{value}</t></is></c>')
            elif kind is int or kind is float:
                parts.append(f'<c r="{letter}{rs}" s="{sid}"><v>{value!r}</v></c>')
            elif isinstance(value, dt.date):
                day = value.date() if isinstance(value, dt.datetime) else value
                parts.append(f'<c r="{letter}{rs}" s="{sid}"><v>{(day - _EPOCH).days}</v></c>')
            else:  # bool or anything else: as text
                text = str(excel_value("Yes" if value is True else "No" if value is False else str(value)))
                safe = risky_sid if text.startswith(FORMULA_PREFIXES) else sid
                parts.append(
                    f'<c r="{letter}{rs}" s="{safe}" t="inlineStr"><is><t>{_xml_text(text)}</t></is></c>'
                )
        height = min(409.0, 15.0 * lines) if lines > 1 else None
        head = f'<row r="{rs}" ht="{height:g}" customHeight="1">' if height else f'<row r="{rs}">'
        return head + "".join(parts) + "</row>"


@dataclass
class SheetPart:
    """A table sheet's XML in pieces, put together as it goes into the file (`write_into`): openpyxl's
    sheet (header row, table, validation, print setup) around the rows and links streamed to temporary
    files; and the links' relationships, added to the sheet's relationships (`rels_into`)."""

    sheet_path: str  # the sheet openpyxl wrote (write-only mode: a temporary file)
    head: bytes  # openpyxl's sheet up to its rows
    middle: bytes  # from </sheetData> to where <hyperlinks> goes
    tail: bytes
    rows: Any
    link_refs: Any
    link_rels: Any

    def write_into(self, archive: ZipFile, name: str) -> None:
        files = [f for f in (self.rows, self.link_refs, self.link_rels) if f is not None]
        size = (
            len(self.head)
            + len(self.middle)
            + len(self.tail)
            + sum(os.fstat(f.fileno()).st_size for f in files)
        )
        with archive.open(name, "w", force_zip64=size > 1 << 30) as out:
            out.write(self.head)
            _copy(self.rows, out)
            out.write(self.middle)
            if self.link_refs is not None:
                out.write(f'<hyperlinks xmlns:r="{_REL_NS}">'.encode())
                _copy(self.link_refs, out)
                out.write(b"</hyperlinks>")
            out.write(self.tail)

    def rels_into(self, archive: ZipFile, name: str, rels: bytes | None) -> None:
        """The sheet's relationships (openpyxl's `rels`, or none) with those of the links."""
        if rels is None:
            rels = b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
        if self.link_rels is None:
            archive.writestr(name, rels)
            return
        if rels.endswith(b"/>") and b"</Relationships>" not in rels:
            rels = rels[:-2] + b"></Relationships>"
        at = rels.rindex(b"</Relationships>")
        with archive.open(name, "w") as out:
            out.write(rels[:at])
            _copy(self.link_rels, out)
            out.write(rels[at:])

    def close(self) -> None:
        for f in (self.rows, self.link_refs, self.link_rels):
            if f is not None:
                f.close()


def _copy(source: Any, out: Any) -> None:
    source.seek(0)
    shutil.copyfileobj(source, out, 1 << 20)


def write_table_sheet(wb: Workbook, spec: SheetSpec, lk: Lookups) -> SheetPart:
    """Write a table sheet; its rows and links wait in temporary files for the returned part
    (`SheetPart.write_into`), which the caller closes."""
    ws = wb.create_sheet(spec.name)
    styles = Styles(ws)
    columns = all_columns(spec)
    assert spec.rows is not None
    rows_iter = iter(spec.rows(lk))
    sample = list(islice(rows_iter, 200))
    widths = column_widths(columns, sample)
    for idx, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.freeze_panes = spec.freeze
    print_setup(ws, "landscape", sum(widths))
    ws.print_title_rows = "1:1"
    frozen_cols = spec.freeze.rstrip("0123456789")
    if frozen_cols != "A":  # repeat the frozen name columns on every printed page
        ws.print_title_cols = f"A:{get_column_letter(column_index_from_string(frozen_cols) - 1)}"

    # Header cells styled like the table's header, for viewers that ignore table styles (LibreOffice).
    ws.append([styles.cell(c.header, "head") for c in columns])

    rows_file = tempfile.TemporaryFile("w+b")  # noqa: SIM115 (closed by SheetPart.close)
    writer = _RowWriter(styles, columns, widths, sample, rows_file)
    try:
        limit = EXCEL_MAX_ROWS - 2
        rows = chain(sample, rows_iter)
        written = writer.write(rows, 2, limit)
        if written >= limit and next(rows, None) is not None:
            lk.notes.append(f"Sheet {spec.name}: only the first {limit:,} rows fit in Excel; see plan.json.")

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
        if spec.consultant:
            _add_consultant_rules(ws, len(spec.columns), last_row)
        ws.close()
        head, middle, tail = _split_sheet(ws._writer.out, f"A1:{last_col}{written + 1}")
    except BaseException:
        for f in (rows_file, writer.link_refs, writer.link_rels):
            if f is not None:
                f.close()
        raise
    return SheetPart(ws._writer.out, head, middle, tail, rows_file, writer.link_refs, writer.link_rels)


def _split_sheet(sheet_path: str, dimension: str) -> tuple[bytes, bytes, bytes]:
    """The sheet XML openpyxl wrote, cut where the streamed rows and links go (after its header row;
    before the elements that follow <hyperlinks>), with the sheet's size stated (write-only mode leaves
    `<dimension>` out; read-only readers rely on it)."""
    text = Path(sheet_path).read_text(encoding="utf-8")
    head, marker, tail = text.partition("</sheetData>")
    if not marker or "<sheetViews" not in head or "<hyperlinks" in tail:
        raise RuntimeError(f"unexpected sheet XML in {sheet_path}")
    head = head.replace("<sheetViews", f'<dimension ref="{dimension}"/><sheetViews', 1)
    at = min(i for i in (tail.find(tag) for tag in _AFTER_HYPERLINKS) if i >= 0)
    return head.encode("utf-8"), (marker + tail[:at]).encode("utf-8"), tail[at:].encode("utf-8")


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
