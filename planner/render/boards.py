"""Azure Boards renderer (`--format boards`): CSV files that Azure Boards imports as a hierarchy, a
parent work item per wave and a child per app (and per gateway clean-up), each child's steps in its
description.

The shape follows Microsoft's "Import or update work items in bulk by using CSV files" page
(MicrosoftDocs/azure-devops-docs, docs/boards/queries/import-work-items-from-csv.md): the `ID` column
is empty for new work items; `Work Item Type` and a title are required; children are given by
"indented" title columns (`Title 1` for the parent, `Title 2` for its children, in the rows under
it); tags are separated by semicolons; at most 1,000 work items per import, so larger plans are
split into several files that each keep whole waves. `Epic` and `Task` are the types used because
the four built-in processes (Basic, Agile, Scrum, CMMI) all have them. `Description` is HTML.
"""

from __future__ import annotations

import csv
import html
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from planner.render.csv import as_text
from planner.render.schedule import Schedule, Wave, schedule_of

COLUMNS = ("ID", "Work Item Type", "Title 1", "Title 2", "Description", "Tags")
PARENT_TYPE = "Epic"
CHILD_TYPE = "Task"
MAX_ITEMS = 1000  # per import (Microsoft's limit)
TITLE_LIMIT = 255  # System.Title's length limit


def _title(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TITLE_LIMIT else text[: TITLE_LIMIT - 1] + "…"


def _steps_html(owner: Mapping[str, Any]) -> str:
    items = []
    for step in owner.get("steps") or ():
        commands = "".join(f"<br><code>{html.escape(str(c))}</code>" for c in step.get("commands") or ())
        items.append(f"<li>{html.escape(str(step.get('title') or ''))}{commands}</li>")
    return f"<ol>{''.join(items)}</ol>" if items else ""


def _app_description(app: Mapping[str, Any]) -> str:
    parts = [f"<p><b>{html.escape(str(app.get('id') or ''))}</b></p>"]
    strategy = app.get("strategy") or {}
    if strategy.get("name"):
        parts.append(
            f"<p>Approach: {html.escape(str(strategy['name']))}. {html.escape(str(strategy.get('reason') or ''))}</p>"
        )
    for task in app.get("preparation") or ():
        parts.append(
            "<p>Preparation first: "
            + html.escape(
                f"{task.get('code')} ({task.get('title')}), {task.get('lead_days')} working days, start by "
                f"{task.get('start_by')}, done by {task.get('needed_by')}."
            )
            + "</p>"
        )
    parts.append(_steps_html(app))
    return "".join(parts)


def _rows(wave: Wave, schedule: Schedule) -> list[list[str]]:
    dates = f"{wave.start} to {wave.end}" if wave.start and wave.end else "dates not set"
    parent = [
        "",
        PARENT_TYPE,
        _title(f"VNet migration wave {wave.number}: {wave.short_name} ({dates})"),
        "",
        html.escape(f"{len(wave.apps)} app(s), {len(wave.gateways)} gateway clean-up(s), {dates}."),
        f"vnet-planner; wave-{wave.number}",
    ]
    rows = [parent]
    for app in wave.apps:
        rows.append(
            [
                "",
                CHILD_TYPE,
                "",
                _title(f"Move {app.get('name')} to regional VNet integration ({app.get('readiness')})"),
                _app_description(app),
                f"vnet-planner; wave-{wave.number}; {app.get('readiness') or 'unknown'}",
            ]
        )
    for gateway in wave.gateways:
        rows.append(
            [
                "",
                CHILD_TYPE,
                "",
                _title(
                    f"Clean up VPN gateway {schedule.gateway_name(gateway.get('id'))} ({gateway.get('decommission')})"
                ),
                f"<p>{html.escape(str(gateway.get('decommission_reason') or ''))}</p>" + _steps_html(gateway),
                f"vnet-planner; wave-{wave.number}; gateway",
            ]
        )
    return rows


def _batches(schedule: Schedule) -> Iterator[list[list[str]]]:
    """Files of at most MAX_ITEMS work items, whole waves each (a wave larger than that is split, its
    parent repeated so every file imports on its own)."""
    batch: list[list[str]] = []
    for wave in schedule.scheduled:
        rows = _rows(wave, schedule)
        if batch and len(batch) + len(rows) > MAX_ITEMS:
            yield batch
            batch = []
        while len(rows) > MAX_ITEMS:
            yield rows[:MAX_ITEMS]
            rows = [[*rows[0][:2], rows[0][2] + " (continued)", *rows[0][3:]], *rows[MAX_ITEMS:]]
        batch += rows
    if batch:
        yield batch


def write_boards(plan: Mapping[str, Any], out_dir: Path, schedule: Schedule | None = None) -> list[Path]:
    """Write boards-01.csv (and more when the plan has over 1,000 work items) into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for number, batch in enumerate(_batches(schedule or schedule_of(plan)), 1):
        path = out_dir / f"boards-{number:02d}.csv"
        with path.open("w", encoding="utf-8-sig", newline="") as handle:  # BOM: Excel opens it as UTF-8
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            writer.writerows([as_text(v) for v in row] for row in batch)
        written.append(path)
    return written
