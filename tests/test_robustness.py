"""Inventories nobody here has seen: any field of any resource may be missing or of another type.

Each case mutates one field of the Contoso sample (deterministic seed) and plans it. The planner
must either plan it (a missing field becomes "unknown") or stop with an InputError naming the file
and field; any other exception is a crash a user would meet on a real tenant.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path
from typing import Any

import factory as f
import pytest

from planner.core.errors import InputError
from planner.plan.pipeline import run_plan

SAMPLE = Path(__file__).parents[1] / "samples" / "contoso"
REPLACEMENTS: list[Any] = [None, 42, "text", True, [], {}, ["x"], {"id": 1}, -1.5]


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    for part in path[:-1]:
        value = value[part]
    if new is _DELETE:
        del value[path[-1]]
    else:
        value[path[-1]] = new


_DELETE = object()


def _resources(file: Path) -> tuple[list[dict[str, Any]], str]:
    text = file.read_text(encoding="utf-8")
    if file.suffix == ".jsonl":
        return [json.loads(line) for line in text.splitlines() if line.strip()], "jsonl"
    data = json.loads(text)
    if isinstance(data, dict):
        return data.get("data") or data.get("value") or [], "wrapped"
    return data, "array"


def _cases(count: int, seed: int = 20261129) -> list[tuple[str, int, tuple[Any, ...], Any]]:
    rng = random.Random(seed)
    files = sorted(
        p for p in SAMPLE.iterdir() if p.suffix in (".json", ".jsonl") and p.name != "manifest.json"
    )
    cases = []
    while len(cases) < count:
        file = rng.choice(files)
        resources, _ = _resources(file)
        if not resources:
            continue
        index = rng.randrange(len(resources))
        paths = [p for p in f.field_paths(resources[index]) if p and p[0] not in ("id",)]
        path = rng.choice(paths)
        new = _DELETE if rng.random() < 0.3 and not isinstance(path[-1], int) else rng.choice(REPLACEMENTS)
        cases.append((file.name, index, path, new))
    return cases


@pytest.mark.parametrize(("filename", "index", "path", "new"), _cases(150))
def test_one_bad_field_plans_or_fails_cleanly(
    tmp_path: Path, filename: str, index: int, path: tuple, new: Any
) -> None:
    copy = tmp_path / "inv"
    shutil.copytree(SAMPLE, copy)
    file = copy / filename
    resources, shape = _resources(file)
    _set(resources[index], path, new)
    if shape == "jsonl":
        file.write_text("\n".join(json.dumps(r) for r in resources) + "\n", encoding="utf-8")
    else:
        file.write_text(json.dumps(resources), encoding="utf-8")
    try:
        plan = run_plan(copy)
    except InputError as error:
        message = str(error)
        assert filename in message and "\n" not in message
        return
    assert plan["summary"]["apps_total"] >= 1
