"""`vnet-planner preflight`: arguments, the table and the exit code. The checks are in
`planner.collect.preflight`.

Exit codes predict the scan's: 0 a scan can run and read everything tried; 3 a scan can run but
would be partial; 2 a scan cannot run (or the options are wrong).
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from planner.cli.signin import TenantOpt, VerboseOpt, access_failed, sdk_logging
from planner.collect.access import AccessError
from planner.collect.auth import Cloud
from planner.collect.preflight import (
    MAX_APPS_PER_SUBSCRIPTION,
    PreflightOptions,
    PreflightReport,
    Status,
    Verdict,
    run_preflight,
)
from planner.collect.scan import ScanUsageError

EXIT = {Verdict.READY: 0, Verdict.BLOCKED: 2, Verdict.PARTIAL: 3}
_STYLE = {Status.OK: "green", Status.FAIL: "bold red", Status.SKIP: "dim"}


def preflight(
    subscription: Annotated[
        list[str] | None,
        typer.Option("--subscription", "-s", help="Subscription the scan would read; repeat for more."),
    ] = None,
    management_group: Annotated[
        str | None,
        typer.Option("--management-group", "-m", help="Check the subscriptions under this management group."),
    ] = None,
    tenant: TenantOpt = None,
    cloud: Annotated[
        Cloud, typer.Option("--cloud", help="Azure cloud.", case_sensitive=False)
    ] = Cloud.AZURE_CLOUD,
    apps: Annotated[
        int,
        typer.Option(
            "--apps",
            min=0,
            max=MAX_APPS_PER_SUBSCRIPTION,
            help="Apps per subscription to try the per-app ARM reads on (0: none).",
        ),
    ] = 2,
    verbose: VerboseOpt = False,
) -> None:
    """Check, in a few seconds, that a scan can run: who you are signed in as, which tenant, which
    subscriptions you see, whether Resource Graph and the per-app ARM reads answer. Writes nothing.

    Exit codes: 0 a scan can run; 3 it would be partial (some reads denied); 2 it cannot run.
    """
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    sdk_logging(verbose)
    options = PreflightOptions(
        subscriptions=tuple(subscription or ()),
        management_group=management_group,
        cloud=cloud,
        tenant=tenant,
        apps_per_subscription=apps,
    )
    try:
        report = run_preflight(options)
    except AccessError as exc:
        raise access_failed(err, exc, verbose) from exc
    except ScanUsageError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(2) from exc
    print_report(report, Console(soft_wrap=True, highlight=False))
    raise typer.Exit(EXIT[report.verdict])


def print_report(report: PreflightReport, console: Console) -> None:
    """The table, one line of advice per failure, and the verdict."""
    table = Table(title="vnet-planner preflight", title_justify="left", show_lines=False)
    table.add_column("check", no_wrap=True)
    table.add_column("subject", overflow="fold")
    table.add_column("result", no_wrap=True)
    table.add_column("detail", overflow="fold")
    for check in report.checks:
        style = _STYLE[check.status]
        table.add_row(
            escape(check.area),
            escape(check.subject),
            f"[{style}]{check.status.value}[/]",
            escape(check.detail),
        )
    console.print(table)
    for line in report.advice:
        console.print(f"  fix: {escape(line)}")
    took = f"({report.seconds:.1f} s, {report.calls} calls)"
    if report.verdict is Verdict.READY:
        console.print(f"[bold green]ready[/]: a scan can run {took}")
    elif report.verdict is Verdict.PARTIAL:
        failed = sum(1 for c in report.checks if c.status is Status.FAIL)
        console.print(
            f"[bold yellow]partial[/]: a scan can run but would miss what {failed} failed check(s) "
            f"could not read (it would exit 3) {took}"
        )
    else:
        console.print(f"[bold red]blocked[/]: a scan cannot run until the first fix above is made {took}")


def register(app: typer.Typer) -> None:
    """Add `preflight` to the main typer app."""
    app.command("preflight")(preflight)


def main() -> None:
    """Run `preflight` on its own (the main CLI normally mounts it)."""
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    register(app)

    @app.callback()
    def _group() -> None:
        """vnet-planner preflight, on its own."""

    app()


if __name__ == "__main__":
    main()
