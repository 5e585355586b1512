"""`vnet-planner sample`: write a synthetic tenant inventory (planner/sample/synthetic.py) for demos and benchmarks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from planner.core.errors import InputError
from planner.sample.synthetic import generate


def sample(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the inventory into.")],
    apps: Annotated[int, typer.Option("--apps", min=1, help="Number of apps (slots come on top).")] = 1000,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Same seed, same bytes.")] = 0,
    gateway_share: Annotated[
        float | None,
        typer.Option(
            "--gateway-share",
            help="Share of apps on gateway-required integration, 0 to 1 (default about 0.3; e.g. 0.85 for a "
            "migration-heavy tenant).",
        ),
    ] = None,
) -> None:
    """Write a realistic synthetic tenant inventory: `plan` reads it like a scan."""
    started = time.perf_counter()
    try:
        stats = generate(apps, seed, out, gateway_share)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    seconds = time.perf_counter() - started
    typer.echo(
        f"Wrote a synthetic tenant to {out} in {seconds:.1f} s "
        f"({stats.bytes_written / 1e6:.1f} MB, seed {seed}):\n"
        f"  {stats.apps} apps and {stats.slots} slots in {stats.subscriptions} subscriptions, "
        f"{stats.plans} plans\n"
        f"  gateway-required {stats.gateway_required} ({stats.gateway_required_share:.1%}), "
        f"regional {stats.regional}\n"
        f"  {stats.vnets} VNets, {stats.gateways} gateways; "
        f"{stats.failed_calls} ARM calls recorded as throttled (partial data)"
    )
    for data_set, rows in stats.rows.items():
        typer.echo(f"  {data_set + '.jsonl':<30} {rows:>8} rows")


def register(app: typer.Typer) -> None:
    """Add the `sample` command to the CLI."""
    app.command("sample")(sample)
