"""`write_workbook`: the sheets in SHEETS order, written atomically."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from openpyxl import Workbook

from planner.core.memory import bulk_allocation
from planner.render.excel.sheets import SHEETS
from planner.render.excel.spec import Lookups
from planner.render.excel.summary import write_custom_sheet
from planner.render.excel.tables import write_table_sheet
from planner.render.schedule import Schedule, schedule_of


def write_workbook(plan: dict, path: Path, schedule: Schedule | None = None) -> None:
    """Write the plan as an Excel workbook at `path`, atomically (a failure leaves no file behind)."""
    path = Path(path)
    with bulk_allocation():
        _write_workbook(plan, path, schedule or schedule_of(plan))


def _write_workbook(plan: dict, path: Path, schedule: Schedule) -> None:
    lk = Lookups(plan, schedule, sheets=SHEETS)
    wb = Workbook(write_only=True)
    wb.properties.creator = f"vnet-planner {plan.get('tool_version', '')}".strip()
    wb.properties.title = "VNet integration migration plan"
    # Summary is first in the book but written last, so it can report truncations in other sheets.
    for spec in SHEETS:
        if spec.writer is None:
            write_table_sheet(wb, spec, lk)
    write_custom_sheet(wb, SHEETS[0], lk, index=0)
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
