"""`vnet-planner prices ...`: refresh the VPN gateway price table from the Azure Retail Prices API.

The command owns arguments, messages and exit codes; the work is ``planner.gateways.prices``. Exit codes
follow the CLI contract: 2 for bad input (an unknown region, a bad currency, an unwritable file),
1 when the API cannot be reached or answers something unusable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from planner.core.errors import InputError
from planner.gateways.prices import PriceFetchError, fetch_retail_prices, monthly_cost, write_prices

app = typer.Typer(
    help="VPN gateway prices: refresh them from the Azure Retail Prices API for `plan --prices FILE`.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def prices() -> None:
    """VPN gateway prices used for gateway cost and savings."""
    # A callback keeps `refresh` a subcommand even while it is the only one.


@app.command()
def refresh(
    out: Annotated[Path, typer.Option("--out", help="File to write the price table to (JSON).")],
    region: Annotated[
        list[str] | None,
        typer.Option(
            "--region",
            help="ARM region name, such as westeurope; repeat for several (the highest price per SKU is kept). "
            "Default: all regions, the price most regions charge.",
        ),
    ] = None,
    currency: Annotated[
        str, typer.Option("--currency", help="Currency code; USD is the retail list, others are reference.")
    ] = "USD",
) -> None:
    """Fetch current VPN gateway hourly list prices and write them as a price file."""
    try:
        table = fetch_retail_prices(region or None, currency)
        write_prices(table, out)
    except InputError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    except PriceFetchError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {len(table.hourly)} SKU prices ({table.currency}, as of {table.as_of}) to {out}")
    for sku, hourly in table.hourly.items():
        typer.echo(f"  {sku:<18} {hourly:>10.4f}/h  {monthly_cost(table, sku):>12,.2f}/month")
