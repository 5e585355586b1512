"""Write the chosen output formats into a folder, all or nothing.

Every file is rendered into a temporary folder beside the target first; only when all renderers
succeeded are the files moved into place, so a failure never leaves half-written output. A renderer
may write a folder beside its file (the HTML runbook's site pages, `runbook/`): it is moved in with the
file, and a folder a previous run left is removed when this run writes none.
"""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from planner.render.schedule import Schedule, schedule_of


class Format(StrEnum):
    JSON = "json"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    SCRIPTS = "scripts"
    ICS = "ics"
    BOARDS = "boards"
    BICEP = "bicep"


@dataclass(frozen=True)
class _Renderer:
    module: str
    function: str
    filename: str | None  # None: the renderer writes into a folder named after its format
    schedule: bool = False  # takes the schedule view (planner/render/schedule.py) built once for all
    folder: str | None = None  # a folder the renderer may write beside its file (replaced as a whole)


RENDERERS: dict[Format, list[_Renderer]] = {
    Format.JSON: [_Renderer("planner.render.json", "write_json", "plan.json")],
    Format.CSV: [
        _Renderer("planner.render.csv", "write_apps_csv", "apps.csv"),
        _Renderer("planner.render.csv", "write_gateways_csv", "gateways.csv"),
    ],
    Format.XLSX: [_Renderer("planner.render.excel", "write_workbook", "plan.xlsx", schedule=True)],
    Format.HTML: [
        _Renderer("planner.render.site", "write_runbook", "runbook.html", schedule=True, folder="runbook")
    ],
    Format.SCRIPTS: [_Renderer("planner.render.scripts", "write_scripts", None, schedule=True)],
    Format.ICS: [_Renderer("planner.render.ics", "write_ics", "schedule.ics", schedule=True)],
    Format.BOARDS: [_Renderer("planner.render.boards", "write_boards", None, schedule=True)],
    Format.BICEP: [_Renderer("planner.render.bicep", "write_bicep", None, schedule=True)],
}
DEFAULT_FORMATS = (Format.JSON, Format.CSV, Format.XLSX, Format.HTML)


def available(fmt: Format) -> bool:
    """Whether the renderers of a format are installed in this build."""
    try:
        for renderer in RENDERERS[fmt]:
            getattr(importlib.import_module(renderer.module), renderer.function)
    except (ImportError, AttributeError):
        return False
    return True


def _share_like_any_file(path: Path) -> None:
    """Temporary files are private (0600); reports are for sharing: give them the umask's usual mode."""
    umask = os.umask(0)
    os.umask(umask)
    paths = [path, *path.rglob("*")] if path.is_dir() else [path]
    for item in paths:
        executable = item.is_dir() or os.access(item, os.X_OK)
        item.chmod((0o777 if executable else 0o666) & ~umask)


def write_outputs(
    plan: dict[str, Any],
    out_dir: Path,
    formats: list[Format],
    on_file: Callable[[str], None] | None = None,
) -> list[Path]:
    """Render every format into `out_dir`; returns the paths written (files, or the scripts folder)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".vnet-planner-", dir=out_dir))
    produced: list[str] = []
    stale: list[str] = []  # companion folders this run did not write: an earlier run's are removed
    view: Schedule | None = None
    try:
        for fmt in formats:
            for renderer in RENDERERS[fmt]:
                function = getattr(importlib.import_module(renderer.module), renderer.function)
                extra: tuple[Schedule, ...] = ()
                if renderer.schedule:
                    view = view or schedule_of(plan)
                    extra = (view,)
                if renderer.filename is None:
                    folder = staging / fmt.value
                    folder.mkdir()
                    function(plan, folder, *extra)
                    produced.append(fmt.value)
                else:
                    function(plan, staging / renderer.filename, *extra)
                    produced.append(renderer.filename)
                    if renderer.folder and (staging / renderer.folder).is_dir():
                        produced.append(renderer.folder)
                    elif renderer.folder:
                        stale.append(renderer.folder)
                if on_file:
                    on_file(produced[-1])
        written = []
        aside = staging / ".replaced"
        aside.mkdir()
        for name in produced:
            target = out_dir / name
            _share_like_any_file(staging / name)
            if target.is_dir():  # moved aside in one rename, deleted with the staging folder
                os.replace(target, aside / name)
            os.replace(staging / name, target)
            written.append(target)
        for name in stale:
            if (out_dir / name).is_dir():
                os.replace(out_dir / name, aside / name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
