"""Benchmark the plan path on synthetic tenants: time and peak memory per stage, against a lower bound.

    .venv/bin/python benchmarks/plan.py                          # 1,000, 10,000 and 50,000 apps
    .venv/bin/python benchmarks/plan.py --sizes 10000 --formats json,csv
    .venv/bin/python benchmarks/plan.py --sizes 50000 --profile  # cProfile, top functions
    .venv/bin/python benchmarks/plan.py --sizes 50000 --gateway-share sample,0.85 \
        --formats json,csv,xlsx,html,scripts                      # the sample beside a migration-heavy tenant
    .venv/bin/python benchmarks/plan.py --sizes 50000 --repeat 3  # each stage's best of 3 runs

Each size runs in a fresh subprocess, so one size's memory does not inflate the next and the peak
resident set (`ru_maxrss`) is that size's own. The worker calls `planner.plan.pipeline.run_plan` as the
CLI does, with the functions it calls wrapped to time them: read (inventory files -> raw
resources), model (typed tenant), analyse (classification and rules), plan (targets, gateways,
the plan dict), runbook (waves and steps); then each renderer of `planner.render.registry.RENDERERS`.

Lower bound, measured in the same subprocess: `json.loads` of every inventory line with no model,
plus, for every file the renderers wrote, one `csv.writer` row per app and gateway holding the
plan's scalar fields, unformatted. Reading this inventory and writing a row per app into that many
files cannot be done faster in Python; `total / lower bound` is what the planner spends beyond it.
CPU seconds are the figures to compare on a shared machine; wall seconds also count waiting for a core.
On a machine whose speed drifts (this one: up to 30 % within an hour), `--repeat N` runs each size N
times and reports each stage's fastest run (as `timeit` does) and the highest peak; the footer lists
every run's total. Compare two commits by running both, alternately, in the same hour.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import csv
import gc
import io
import json
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = (1000, 10_000, 50_000)
TODAY = date(2026, 11, 29)  # fixed, so days_left and the waves do not move between runs
SCALARS = (str, int, float, bool, type(None))


def peak_rss_mb() -> float:
    """The process's peak resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def inventory_for(apps: int, seed: int, work: Path, gateway_share: float | None = None) -> Path:
    """A synthetic inventory of `apps` apps, generated once per (size, seed, share) and reused."""
    from planner.sample.synthetic import generate

    share = "" if gateway_share is None else f"-share{gateway_share:g}"
    folder = work / f"inventory-{apps}-seed{seed}{share}"
    if not (folder / "manifest.json").is_file():
        generate(apps, seed, folder, gateway_share)
    return folder


# -- worker: one size, in its own process --------------------------------------------------------------


class Stages:
    """Wall and CPU seconds of each stage, and the peak RSS at its end."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.rows.append(
                {
                    "stage": name,
                    "seconds": time.perf_counter() - started,
                    "cpu_seconds": time.process_time() - cpu,
                    "peak_rss_mb": peak_rss_mb(),
                }
            )

    def wrap(self, module: Any, attribute: str, name: str) -> None:
        """Time every call of `module.attribute` as stage `name` (no-op if the planner has no such name)."""
        original = getattr(module, attribute, None)
        if original is None:
            return

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.stage(name):
                return original(*args, **kwargs)

        setattr(module, attribute, timed)


def run_worker(
    inventory: Path, out: Path, formats: list[str], profile: Path | None, gc_mode: str = "on"
) -> dict[str, Any]:
    """Run the plan path stage by stage; return timings, memory and the lower bound."""
    import planner.plan.build as plan_module
    from planner.core.settings import Settings
    from planner.plan import pipeline
    from planner.render.registry import RENDERERS, Format, available

    if gc_mode == "off":
        gc.disable()  # to measure what pausing the cyclic collector over acyclic data would gain
    stages = Stages()
    # run_plan calls these through the names it imported; build_plan calls analyse the same way.
    stages.wrap(pipeline, "load_inventory", "read")
    stages.wrap(pipeline, "build_tenant", "model")
    stages.wrap(plan_module, "analyse", "analyse")
    stages.wrap(pipeline, "build_plan", "plan")
    stages.wrap(pipeline, "apply_runbook", "runbook")
    baseline_rss = peak_rss_mb()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()

    started, cpu = time.perf_counter(), time.process_time()
    plan = pipeline.run_plan(inventory, Settings(as_of=TODAY))
    whole = {"seconds": time.perf_counter() - started, "cpu_seconds": time.process_time() - cpu}
    by_name = {row["stage"]: row for row in stages.rows}
    # build_plan's time includes analyse's: report the planning part on its own.
    if "plan" in by_name and "analyse" in by_name:
        for key in ("seconds", "cpu_seconds"):
            by_name["plan"][key] -= by_name["analyse"][key]
    order = ("read", "model", "analyse", "plan", "runbook")
    rows = [by_name[name] for name in order if name in by_name]
    rest = {key: whole[key] - sum(row[key] for row in rows) for key in ("seconds", "cpu_seconds")}
    if rest["seconds"] > 0.05:
        rows.append({"stage": "run_plan, other", **rest, "peak_rss_mb": peak_rss_mb()})
    stages.rows = rows

    written: list[Path] = []
    errors: list[str] = []
    for name in formats:
        fmt = Format(name)
        if not available(fmt):
            errors.append(f"{name}: not available in this build")
            continue
        for renderer in RENDERERS[fmt]:
            module = __import__(renderer.module, fromlist=[renderer.function])
            function: Callable[[dict[str, Any], Path], None] = getattr(module, renderer.function)
            target = out / (renderer.filename or "scripts")
            if renderer.filename is None:
                target.mkdir(parents=True, exist_ok=True)
            try:
                with stages.stage(f"render {renderer.filename or 'scripts/'}"):
                    function(plan, target)
            except Exception as exc:  # a renderer being written must not hide the others' figures
                errors.append(f"{renderer.module}.{renderer.function}: {type(exc).__name__}: {exc}")
                continue
            written.append(target)
    if profiler:
        profiler.disable()
        assert profile is not None
        profiler.dump_stats(profile)

    lower = lower_bound(inventory, plan, len(written), out / "lower-bound")
    return {
        "inventory": str(inventory),
        "apps_in_plan": len(plan["apps"]),
        "gateway_required": sum(1 for a in plan["apps"] if a["integration"] == "gateway-required"),
        "inventory_mb": sum(p.stat().st_size for p in inventory.iterdir()) / 1e6,
        "output_mb": sum(_size(p) for p in written) / 1e6,
        "baseline_rss_mb": baseline_rss,
        "stages": stages.rows,
        "lower_bound": lower,
        "errors": errors,
    }


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*")) if path.is_dir() else path.stat().st_size


def lower_bound(inventory: Path, plan: dict[str, Any], files: int, scratch: Path) -> dict[str, float]:
    """Plain json of the inventory, plus one unformatted row per app and gateway for each output file."""
    gc.collect()
    started, cpu = time.perf_counter(), time.process_time()
    resources = 0
    for path in sorted(inventory.iterdir()):
        with path.open(encoding="utf-8") as handle:
            if path.suffix == ".jsonl":
                resources += sum(1 for line in handle if json.loads(line))
            else:
                json.load(handle)
    read_wall, read_cpu = time.perf_counter() - started, time.process_time() - cpu

    rows = [[v for v in item.values() if isinstance(v, SCALARS)] for item in plan["apps"] + plan["gateways"]]
    scratch.mkdir(parents=True, exist_ok=True)
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(max(1, files)):
        with (scratch / f"rows-{n}.csv").open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows(rows)
    write_wall, write_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "read_seconds": read_wall,
        "write_seconds": write_wall,
        "seconds": read_wall + write_wall,
        "cpu_seconds": read_cpu + write_cpu,
        "resources": resources,
    }


# -- parent: sizes, subprocesses, table ---------------------------------------------------------------


def run_size(apps: int, share: float | None, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    started = time.perf_counter()
    inventory = inventory_for(apps, args.seed, work, share)
    generation = time.perf_counter() - started
    out = work / (f"out-{apps}" + ("" if share is None else f"-share{share:g}"))
    shutil.rmtree(out, ignore_errors=True)  # sizes below measure this run's files only
    command = [sys.executable, __file__, "--worker", str(inventory), "--out", str(out)]
    command += ["--formats", args.formats, "--gc", args.gc]
    profile = work / f"profile-{out.name}.pstats" if args.profile else None
    if profile:
        command += ["--profile-file", str(profile)]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if completed.returncode != 0:
        sys.stderr.write(completed.stderr)
        raise SystemExit(f"worker for {apps} apps failed with exit code {completed.returncode}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    result["apps"] = apps
    result["share"] = share
    result["label"] = f"{apps:,} apps" + ("" if share is None else f" (share {share:g})")
    result["generation_seconds"] = generation
    plan_json = out / "plan.json"
    if plan_json.is_file() and result["gateway_required"]:
        result["plan_json_kb_per_gateway_required_app"] = (
            plan_json.stat().st_size / 1000 / result["gateway_required"]
        )
    if profile:
        result["profile"] = str(profile)
    return result


def best_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One result from several runs of a size: each stage's least wall and CPU time and its highest peak,
    the least lower bound, and every run's CPU total (`run_totals`)."""
    best = dict(runs[0])
    rows: dict[str, dict[str, Any]] = {}
    for run in runs:
        for row in run["stages"]:
            kept = rows.setdefault(row["stage"], dict(row))
            kept["seconds"] = min(kept["seconds"], row["seconds"])
            kept["cpu_seconds"] = min(kept["cpu_seconds"], row["cpu_seconds"])
            kept["peak_rss_mb"] = max(kept["peak_rss_mb"], row["peak_rss_mb"])
    best["stages"] = list(rows.values())
    best["lower_bound"] = {
        key: min(run["lower_bound"][key] for run in runs) for key in ("seconds", "cpu_seconds")
    }
    best["run_totals"] = [sum(row["cpu_seconds"] for row in run["stages"]) for run in runs]
    if len(runs) > 1:
        best["label"] = f"{runs[0]['label']}, best of {len(runs)}"
    return best


def _cells(wall: float, cpu: float, peak: float | None, column: int = 28) -> str:
    return f"{wall:>{column - 16}.2f}{cpu:>8.2f}{'' if peak is None else f'{peak:.0f}':>8}"


def print_table(results: list[dict[str, Any]]) -> None:
    names: list[str] = []
    for r in results:
        names += [row["stage"] for row in r["stages"] if row["stage"] not in names]
    width = max(len(n) for n in [*names, "total / lower bound (CPU)"]) + 2
    column = max(28, *(len(r["label"]) + 2 for r in results))
    header = f"{'stage':<{width}}" + "".join(f"{r['label']:>{column}}" for r in results)
    print(header)
    print(f"{'':<{width}}" + "".join(f"{'wall s   CPU s  peak MB':>{column}}" for _ in results))
    print("-" * len(header))
    by_size = [{row["stage"]: row for row in r["stages"]} for r in results]
    for name in names:
        line = ""
        for stages in by_size:
            row = stages.get(name)
            line += (
                _cells(row["seconds"], row["cpu_seconds"], row["peak_rss_mb"], column)
                if row
                else f"{'-':>{column}}"
            )
        print(f"{name:<{width}}{line}")
    print("-" * len(header))
    totals = [
        (
            sum(row["seconds"] for row in r["stages"]),
            sum(row["cpu_seconds"] for row in r["stages"]),
            max(row["peak_rss_mb"] for row in r["stages"]),
        )
        for r in results
    ]
    print(f"{'total':<{width}}" + "".join(_cells(*t, column) for t in totals))
    lower = [r["lower_bound"] for r in results]
    print(
        f"{'lower bound (json + csv)':<{width}}"
        + "".join(_cells(v["seconds"], v["cpu_seconds"], None, column) for v in lower)
    )
    ratios = [t[1] / v["cpu_seconds"] for t, v in zip(totals, lower, strict=True)]
    print(
        f"{'total / lower bound (CPU)':<{width}}" + "".join(f"{v:>{column - 9}.1f}x{'':>8}" for v in ratios)
    )
    print()
    for r in results:
        analyse = next((row["cpu_seconds"] for row in r["stages"] if row["stage"] == "analyse"), float("nan"))
        per_app = r.get("plan_json_kb_per_gateway_required_app")
        print(
            f"{r['label']}: {r['apps_in_plan']:,} apps and slots in the plan "
            f"({r['gateway_required']:,} gateway-required); inventory {r['inventory_mb']:.0f} MB, "
            f"output {r['output_mb']:.0f} MB; analyse {1e6 * analyse / r['apps_in_plan']:.0f} µs CPU per app; "
            f"interpreter and imports {r['baseline_rss_mb']:.0f} MB"
            + (f"; plan.json {per_app:.1f} KB per gateway-required app" if per_app else "")
        )
        if len(r.get("run_totals", ())) > 1:
            print(f"{'':>7}  CPU total of each run: " + ", ".join(f"{t:.2f}" for t in r["run_totals"]))
        for error in r["errors"]:
            print(f"{'':>7}  not timed: {error}")
    if len(results) > 1 and results[-2]["share"] == results[-1]["share"]:
        small, large = results[-2], results[-1]
        scale = large["apps_in_plan"] / small["apps_in_plan"]
        print(f"\nscaling, {small['apps']:,} -> {large['apps']:,} apps ({scale:.1f}x the apps and slots):")
        for name in names:
            a = next((row["cpu_seconds"] for row in small["stages"] if row["stage"] == name), None)
            b = next((row["cpu_seconds"] for row in large["stages"] if row["stage"] == name), None)
            if a and b and a > 0.01:
                print(f"  {name:<{width}} {b / a:>5.1f}x CPU time")


def print_profile(path: str, limit: int) -> None:
    for order in ("tottime", "cumulative"):
        stream = io.StringIO()
        pstats.Stats(path, stream=stream).strip_dirs().sort_stats(order).print_stats(limit)
        print(f"\n== profile {path}, by {order} ==")
        print("\n".join(line for line in stream.getvalue().splitlines() if line.strip()))


def describe_code() -> str:
    """The commit measured, marked dirty when the working tree differs from it."""
    completed = subprocess.run(
        ["git", "describe", "--always", "--dirty"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return completed.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n", 1)[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)), help="comma list of app counts")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--gateway-share",
        default="sample",
        help="comma list of shares of apps on gateway-required integration, each run at every size: "
        "'sample' for the sample's own draw (~0.3), 0.85 for a migration-heavy tenant; "
        "'sample,0.85' puts both tenants side by side",
    )
    parser.add_argument("--formats", default="json,csv,xlsx,html", help="renderers to time (comma list)")
    parser.add_argument(
        "--work", type=Path, help="folder for inventories and outputs (default: a temp folder)"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    parser.add_argument(
        "--gc", choices=("on", "off"), default="on", help="off: run with Python's cyclic collector disabled"
    )
    parser.add_argument(
        "--profile", action="store_true", help="run under cProfile and print the top functions"
    )
    parser.add_argument("--profile-limit", type=int, default=35)
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs of each size; each stage's fastest is reported"
    )
    parser.add_argument("--worker", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--profile-file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    if args.worker:
        args.out.mkdir(parents=True, exist_ok=True)
        formats = [f.strip() for f in args.formats.split(",") if f.strip()]
        print(json.dumps(run_worker(args.worker, args.out, formats, args.profile_file, args.gc)))
        return

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    with contextlib.ExitStack() as stack:
        work = args.work or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="vnet-planner-bench-"))
        )
        work.mkdir(parents=True, exist_ok=True)
        shares = [
            None if s.strip() == "sample" else float(s) for s in args.gateway_share.split(",") if s.strip()
        ]
        results = []
        for share in shares:
            for apps in sizes:
                print(f"running {apps:,} apps, share {share or 'sample'} ...", file=sys.stderr, flush=True)
                results.append(
                    best_of([run_size(apps, share, args, work) for _ in range(max(1, args.repeat))])
                )
        with open("/proc/loadavg", encoding="ascii") as handle:
            load = handle.read().split()[0]
        print(
            f"code {describe_code()}, python {sys.version.split()[0]}, seed {args.seed}, "
            f"formats {args.formats}, gc {args.gc}, load average {load}\n"
        )
        print_table(results)
        if args.json:
            args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        if args.profile:
            for r in results:
                print_profile(r["profile"], args.profile_limit)


if __name__ == "__main__":
    main()
