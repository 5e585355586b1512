"""Excel renderer (one module per concern: spec, rows, cells, tables, summary, sheets, workbook): the plan dict as the workbook a consultant hands over (`plan.xlsx`).

One ordered table of sheet specs (`SHEETS`, after azqr's `sheetConfig`) is the single source of
truth: sheet name, what it holds, its columns and where its rows come from. Sheets are streamed
with openpyxl's write-only mode so 50,000 apps stay within memory; see docs/reports.md for what
write-only mode allows (tables, validation, frozen panes, hyperlinks and charts all work there,
with the workarounds noted below) and for measured figures.

Reads only the plan dict (docs/plan-format.md): never Azure, never the model.
"""

from planner.render.excel.workbook import write_workbook

__all__ = ["write_workbook"]
