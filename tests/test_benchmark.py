"""benchmarks/plan.py's --repeat: each stage's fastest run, the highest peak, every run's total."""

import importlib.util
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[1]


def _bench() -> Any:
    spec = importlib.util.spec_from_file_location("bench_plan", ROOT / "benchmarks" / "plan.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(read: float, runbook: float, peak: float, bound: float) -> dict[str, Any]:
    return {
        "label": "50,000 apps (share 0.85)",
        "stages": [
            {"stage": "read", "seconds": read + 0.1, "cpu_seconds": read, "peak_rss_mb": 900.0},
            {"stage": "runbook", "seconds": runbook + 0.1, "cpu_seconds": runbook, "peak_rss_mb": peak},
        ],
        "lower_bound": {"seconds": bound + 0.1, "cpu_seconds": bound},
    }


def test_best_of_takes_each_stages_fastest_run_and_the_highest_peak() -> None:
    best = _bench().best_of([_run(4.0, 22.0, 1396.0, 5.0), _run(3.5, 33.0, 1401.0, 4.5)])
    by_stage = {row["stage"]: row for row in best["stages"]}
    assert [row["stage"] for row in best["stages"]] == ["read", "runbook"]
    assert by_stage["read"]["cpu_seconds"] == 3.5 and by_stage["runbook"]["cpu_seconds"] == 22.0
    assert by_stage["runbook"]["seconds"] == 22.1
    assert by_stage["runbook"]["peak_rss_mb"] == 1401.0
    assert best["lower_bound"]["cpu_seconds"] == 4.5
    assert best["run_totals"] == [26.0, 36.5]
    assert best["label"].endswith("best of 2")


def test_one_run_is_reported_as_it_is() -> None:
    run = _run(4.0, 22.0, 1396.0, 5.0)
    best = _bench().best_of([run])
    assert best["stages"] == run["stages"] and best["label"] == run["label"]
