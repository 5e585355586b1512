"""`vnet-planner scan` and `vnet-planner queries`: arguments, progress and exit codes only.

The main CLI mounts them with `register(app)`. The work is in `planner.collect.scan`.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Column

from planner.cli.signin import TenantOpt, VerboseOpt, access_failed, sdk_logging
from planner.collect.access import AccessError
from planner.collect.auth import Cloud
from planner.collect.queries import load_queries
from planner.collect.retry import Backoff
from planner.collect.scan import ScanError, ScanOptions, ScanResult, ScanUsageError, run_scan
from planner.core.errors import InputError
from planner.inventory.scope import parse_scope

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3


class RichObserver:
    """Draws one progress bar per scan phase on stderr (stdout stays clean for pipelines).

    Nothing is drawn until the first answer arrives (signing in and the first Resource Graph request
    come before it), and the bars are taken away when the scan is refused access, so a scan refused
    at first contact prints its one-line error alone.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<14}"),
            BarColumn(bar_width=20),
            MofNCompleteColumn(table_column=Column(no_wrap=True, min_width=11)),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn(
                "{task.fields[detail]}", table_column=Column(no_wrap=True, overflow="ellipsis", max_width=30)
            ),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()
        self._last_refresh = 0.0
        self._drawing = False

    def __enter__(self) -> RichObserver:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self._drawing:
            return
        if isinstance(exc, AccessError):
            # Refused at first contact (e.g. no subscription visible): the bar goes, the one-line
            # error stands alone. Live.stop, not Progress.stop, which adds a blank line to logs.
            self.progress.live.transient = True
            self.progress.live.stop()
        else:
            self.progress.stop()

    def _draw(self) -> None:
        if not self._drawing:
            self._drawing = True
            self.progress.start()

    def phase(self, name: str, total: int | None) -> None:
        """Start a bar for a phase and finish the previous ones."""
        with self._lock:
            if self._tasks:
                self._draw()
            for task_id in self._tasks.values():
                task = self.progress.tasks[task_id]
                if task.total is None:
                    self.progress.update(task_id, total=task.completed)
            self._tasks[name] = self.progress.add_task(name, total=total, detail="")

    def advance(self, name: str, steps: int = 1, detail: str = "") -> None:
        """Advance a bar (thread-safe: ARM workers call it)."""
        with self._lock:
            task_id = self._tasks.get(name)
            if task_id is not None:
                self._draw()
                self.progress.update(task_id, advance=steps, detail=detail)

    def warn(self, message: str) -> None:
        """Print a warning above the bars."""
        self.console.print(f"[yellow]warning:[/] {escape(message)}")


def scan(
    out: Annotated[Path, typer.Option("--out", "-o", help="Inventory folder to write (created if missing).")],
    subscription: Annotated[
        list[str] | None,
        typer.Option(
            "--subscription", "-s", help="Subscription id to scan; repeat for more. Default: all visible."
        ),
    ] = None,
    management_group: Annotated[
        str | None,
        typer.Option("--management-group", "-m", help="Scan the subscriptions under this management group."),
    ] = None,
    include: Annotated[
        list[str] | None,
        typer.Option(
            "--include",
            help="Scan only what matches: subscription:ID-or-name, resource-group:GLOB or tag:KEY=GLOB; "
            "repeat for more (same kind: any of them; different kinds: all).",
        ),
    ] = None,
    exclude: Annotated[
        list[str] | None,
        typer.Option(
            "--exclude",
            help="Leave out what matches (same KIND:VALUE forms as --include); repeat for more.",
        ),
    ] = None,
    cloud: Annotated[
        Cloud, typer.Option("--cloud", help="Azure cloud.", case_sensitive=False)
    ] = Cloud.AZURE_CLOUD,
    tenant: TenantOpt = None,
    batch_size: Annotated[
        int,
        typer.Option("--batch-size", min=1, max=1000, help="Subscriptions per Resource Graph request."),
    ] = 300,
    concurrency: Annotated[
        int,
        typer.Option("--concurrency", min=1, max=512, help="ARM calls in flight, over all subscriptions."),
    ] = 64,
    max_retries: Annotated[
        int,
        typer.Option(
            "--max-retries",
            min=0,
            max=20,
            help="Retries of a throttled or failed call before it is reported.",
        ),
    ] = 5,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an unfinished scan in --out without refetching.")
    ] = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress and no summary (exit code only).")
    ] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Scan a live tenant (Reader is enough) into an inventory folder for `plan`.

    Exit codes: 0 complete; 3 partial (some subscriptions or calls failed, see manifest.json; rerun with --resume); 2 bad usage, not signed in, or nothing readable; 1 the scan could not run.
    """
    err = Console(stderr=True, soft_wrap=True, highlight=False)
    sdk_logging(verbose)
    try:
        scope = parse_scope(include or (), exclude or ())
    except InputError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from exc
    options = ScanOptions(
        out=out,
        subscriptions=tuple(subscription or ()),
        management_group=management_group,
        cloud=cloud,
        tenant=tenant,
        batch_size=batch_size,
        concurrency=concurrency,
        resume=resume,
        retry=Backoff(attempts=max_retries + 1),
        scope=scope,
    )
    started = time.monotonic()
    try:
        if quiet:
            result = run_scan(options)
        else:
            with RichObserver(err) as observer:
                result = run_scan(options, observer=observer)
    except AccessError as exc:
        raise access_failed(err, exc, verbose) from exc
    except ScanUsageError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from exc
    except ScanError as exc:
        err.print(f"error: {escape(str(exc))}")
        raise typer.Exit(EXIT_ERROR) from exc
    if not quiet:
        _summary(result, time.monotonic() - started)
    elif result.partial:
        # Even in pipelines, say in one line why the exit code is 3.
        print(f"partial scan: {'; '.join(result.reasons)}", file=sys.stderr)
    raise typer.Exit(EXIT_PARTIAL if result.partial else EXIT_OK)


def _summary(result: ScanResult, seconds: float) -> None:
    manifest = result.manifest
    console = Console(soft_wrap=True, highlight=False)
    subs = manifest["subscriptions"]
    failed = [s for s in subs if s.get("status") == "failed"]
    console.print(f"[bold]Scan written to[/] {escape(str(result.out))}  ({seconds:.1f} s)")
    console.print(
        f"  signed in: {escape(str(manifest.get('credential')))}, tenant {escape(str(manifest.get('tenant') or 'unknown'))}"
    )
    console.print(f"  subscriptions: {len(subs) - len(failed)} read, {len(failed)} failed")
    _scope_summary(console, manifest["scope"])
    rows = ", ".join(f"{name} {q['rows']}" for name, q in manifest["queries"].items())
    console.print(f"  resource graph rows: {rows}")
    for call, lists in manifest["arm"].items():
        console.print(f"  {call}: {len(lists['fetched'])} read, {len(lists['failed'])} failed")
    calls = manifest["calls"]
    console.print(
        f"  calls: {calls['resource_graph']} Resource Graph, {calls['arm']} ARM, {calls['retries']} retries",
    )
    for warning in result.warnings:
        console.print(f"  [yellow]warning:[/] {escape(warning)}")
    if result.partial:
        console.print("[bold yellow]PARTIAL[/] (exit 3):")
        for reason in result.reasons:
            console.print(f"  - {escape(reason)}")
        console.print("  Fix access or wait, then run the same command with --resume.")
    else:
        console.print("[bold green]complete[/]")


def _scope_summary(console: Console, scope: dict[str, Any]) -> None:
    """What --include/--exclude left out: subscriptions (not queried) and apps (no ARM calls)."""
    given = [f"--include {t}" for t in scope["include"]] + [f"--exclude {t}" for t in scope["exclude"]]
    if not given:
        return
    console.print(f"  scope: {escape(' '.join(given))}")
    excluded = scope["subscriptions_excluded"]
    if excluded:
        listed = ", ".join(f"{e.get('name') or '(no name)'} {e['id']}" for e in excluded[:5])
        more = f", and {len(excluded) - 5} more" if len(excluded) > 5 else ""
        console.print(f"    left out: {len(excluded)} subscription(s), not queried: {escape(listed)}{more}")
    else:
        console.print("    left out: no subscription")
    console.print(
        f"    apps and slots out of scope: {scope['apps_out_of_scope']} "
        "(kept in the Resource Graph data, no ARM calls made for them)"
    )


def queries(
    name: Annotated[
        str | None, typer.Option("--name", "-n", help="Print only this query (e.g. sites).")
    ] = None,
) -> None:
    """Print the Resource Graph queries, to paste into Resource Graph Explorer or `az graph query -q`."""
    known = load_queries()
    if name is not None:
        if name not in known:
            Console(stderr=True, soft_wrap=True, highlight=False).print(
                escape(f"error: no query named {name!r}; known: {', '.join(known)}")
            )
            raise typer.Exit(EXIT_USAGE)
        sys.stdout.write(known[name].text)
        return
    sys.stdout.write("\n".join(q.text for q in known.values()))


def register(app: typer.Typer) -> None:
    """Add `scan` and `queries` to the main typer app."""
    app.command("scan")(scan)
    app.command("queries")(queries)


def main() -> None:
    """Run `scan`/`queries` on their own (the main CLI normally mounts them)."""
    app = typer.Typer(add_completion=False, no_args_is_help=True)
    register(app)
    app()


if __name__ == "__main__":
    main()
