"""The short rich summary `plan` prints, and the `rules` catalogue."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from planner.render.common import (
    completeness_lines,
    governance_lines,
    subscription_label,
    subscription_labels,
)


def _named(name: str | None, sub_id: str | None) -> str:
    return f"{name} ({sub_id})" if name and sub_id else str(name or sub_id or "?")


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def print_summary(plan: dict[str, Any], console: Console, written: Sequence[Path] = ()) -> None:
    """Deadline, counts, gateways and savings, and where the files went."""
    s = plan["summary"]
    currency = plan["prices"]["currency"]
    days = plan["days_left"]
    colour = "red" if days < 60 else "yellow" if days < 180 else "green"
    console.print(
        Panel.fit(
            f"Gateway-required VNet integration retires on [bold]{plan['retirement_date']}[/]: "
            f"[bold {colour}]{days} days left[/] (as of {plan['as_of']}).",
            title="vnet-planner",
        )
    )
    # Before any number: what follows rests on an inventory that lacks part of its data.
    for line in completeness_lines(plan):
        console.print(escape(line), style="bold red", highlight=False)
    apps = Table(title="Apps and slots", show_header=True, header_style="bold")
    for column in (
        "total",
        "gateway-required",
        "regional",
        "none",
        "unknown",
        "ready",
        "needs-work",
        "blocked",
    ):
        apps.add_column(column, justify="right")
    r = s["readiness"]
    apps.add_row(
        *(
            str(x)
            for x in (
                s["apps_total"],
                s["apps_gateway_required"],
                s["apps_regional"],
                s["apps_none"],
                s["apps_unknown"],
                r["ready"],
                r["needs-work"],
                r["blocked"],
            )
        )
    )
    console.print(apps)
    codes = Table(title="Codes (gateway-required apps)", header_style="bold")
    codes.add_column("code")
    codes.add_column("kind")
    codes.add_column("apps", justify="right")
    codes.add_column("undecided", justify="right")
    for kind in ("limitations", "blockers", "findings"):
        for code, count in s[kind].items():
            undecided = s["unknown"].get(code, 0)
            if count or undecided:
                codes.add_row(code, kind[:-1], str(count), str(undecided) if undecided else "")
    console.print(codes)
    _print_subscriptions(plan, console)
    _print_gateways(plan, console, currency)
    console.print(
        f"VPN gateways: {s['gateways']} ({s['gateways_decommissionable']} can be deleted, "
        f"{s['gateways_to_verify']} to verify); savings {_money(s['monthly_savings'], currency)}/month, "
        f"{_money(s['yearly_savings'], currency)}/year (prices {plan['prices']['as_of']})."
    )
    schedule = plan.get("schedule")
    if schedule:
        console.print(
            schedule_line(plan), style="bold red" if schedule.get("late") else "green", highlight=False
        )
        if schedule.get("late"):
            console.print(
                f"LATE: {escape(str(schedule.get('advice') or ''))}", style="bold red", highlight=False
            )
        prep = schedule.get("preparation") or {}
        if prep.get("tasks"):
            console.print(
                f"Preparation: {prep['tasks']} task(s) for {prep['apps']} blocked app(s) before their waves; "
                f"the first must start by {prep.get('first_start_by')} (plan.xlsx Preparation sheet).",
                style="yellow",
                highlight=False,
            )
    for line in governance_lines(plan, completeness=False):
        console.print(escape(line), highlight=False)
    inventory = plan["inventory"]
    if inventory["skipped"]:
        console.print(
            f"Skipped {inventory['skipped']} resources of types the planner does not read: "
            + ", ".join(f"{escape(t)} ({n})" for t, n in inventory["unknown_types"].items())
        )
    for failed in inventory["failed_subscriptions"]:
        console.print(
            f"[yellow]Subscription not read:[/] {escape(_named(failed['name'], failed['id']))}: "
            f"{escape(str(failed['reason']))}"
        )
    for warning in grouped_warnings(inventory["warnings"] + plan.get("warnings", [])):
        console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False)
    for path in written:
        console.print(f"wrote {escape(str(path))}")


def schedule_line(plan: dict[str, Any]) -> str:
    """`Waves: 6 of 5 working days (Mon-Fri, DE-BY holidays, 1 freeze), 2026-12-07 to 2027-01-22`."""
    schedule = plan.get("schedule") or {}
    calendar = schedule.get("calendar") or {}
    days = calendar.get("workdays") or []
    what = [f"{days[0][:3]}-{days[-1][:3]}" if len(days) > 1 else (days[0][:3] if days else "?")]
    if calendar.get("holidays"):
        what.append(f"{str(calendar['holidays']).split(' ')[0]} holidays")
    elif calendar:
        what.append("no holidays")
    if calendar.get("freezes"):
        what.append(f"{len(calendar['freezes'])} freeze(s)")
    return (
        f"Waves: {plan['summary'].get('waves', 0)} of {schedule.get('wave_days')} working days "
        f"({', '.join(what)}), {schedule.get('start')} to {schedule.get('end')}; apps done by "
        f"{schedule.get('migration_end')}, buffer until {schedule.get('deadline_with_buffer')}"
    )


def _print_subscriptions(plan: dict[str, Any], console: Console, limit: int = 10) -> None:
    """Where the work is: gateway-required apps per subscription, largest first."""
    rows = plan["summary"].get("by_subscription") or []
    if len(rows) < 2:
        return
    table = Table(title="Gateway-required apps by subscription", header_style="bold")
    table.add_column("subscription")
    table.add_column("id", no_wrap=True)
    for column in ("apps", "ready", "needs-work", "blocked"):
        table.add_column(column, justify="right")
    labels = subscription_labels(plan)
    for row in rows[:limit]:
        table.add_row(
            escape(
                subscription_label(labels, row["subscription_id"], row["subscription_name"]) or "(unknown)"
            ),
            escape(str(row["subscription_id"] or "")),
            str(row["gateway_required"]),
            str(row["ready"]),
            str(row["needs-work"]),
            str(row["blocked"]),
        )
    console.print(table)
    if len(rows) > limit:
        console.print(
            f"... and {len(rows) - limit} more subscriptions in plan.json (summary.by_subscription)."
        )


def _print_gateways(plan: dict[str, Any], console: Console, currency: str, limit: int = 12) -> None:
    """The gateways behind the apps: what can go first (largest savings), then what must stay and why."""
    gateways = plan["gateways"]
    if not gateways:
        return
    order = {"yes": 0, "verify": 1, "no": 2}
    ranked = sorted(
        gateways,
        key=lambda g: (order.get(g["decommission"], 3), -(g["monthly_cost"] or 0.0), g["name"] or ""),
    )
    table = Table(title="VPN gateways behind gateway-required apps", header_style="bold")
    for column, justify in (
        ("gateway", "left"),
        ("sku", "left"),
        ("apps", "right"),
        ("delete?", "left"),
        (f"{currency}/month", "right"),
        ("when or why", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for gateway in ranked[:limit]:
        cost = gateway["monthly_cost"]
        table.add_row(
            escape(gateway["name"] or ""),
            escape(gateway["sku"] or ""),
            str(len(gateway["dependents"])),
            gateway["decommission"],
            f"{cost:,.2f}" if cost is not None else "unpriced",
            f"delete in wave {gateway['removal_wave']}"
            if gateway["decommission"] == "yes" and gateway.get("removal_wave")
            else escape(gateway["decommission_reason"] or ""),
        )
    console.print(table)
    if len(ranked) > limit:
        console.print(
            f"... and {len(ranked) - limit} more in gateways.csv and the workbook's Gateways sheet."
        )


def grouped_warnings(warnings: list[str], *, examples: int = 3) -> list[str]:
    """Warnings that differ only by the app they start with ("app: text") are said once, with a count.

    plan.json keeps every warning; the terminal would otherwise scroll hundreds of lines away.
    """
    by_text: dict[str, list[str]] = {}
    order: list[str] = []
    for warning in warnings:
        subject, sep, text = warning.partition(": ")
        key = text if sep and " " not in subject else warning
        if key not in by_text:
            by_text[key] = []
            order.append(key)
        by_text[key].append(subject if key == text else "")
    lines = []
    for key in order:
        subjects = [s for s in by_text[key] if s]
        if len(subjects) < 2:
            lines.append(f"{subjects[0]}: {key}" if subjects else key)
            continue
        shown = ", ".join(subjects[:examples]) + (
            f" and {len(subjects) - examples} more" if len(subjects) > examples else ""
        )
        lines.append(f"{len(subjects)} apps ({shown}): {key}")
    return lines


def print_diff(result: dict[str, Any], console: Console) -> None:
    """The burndown between two sides, one table per movement."""
    before, after = result["gateway_required_before"], result["gateway_required_after"]
    console.print(f"Gateway-required apps and slots: {before} -> {after} ({after - before:+d})")
    sections = (
        ("migrated", "Migrated to regional integration"),
        ("integration_removed", "Integration removed, not replaced by regional"),
        ("new_gateway_required", "New on gateway-required integration"),
        ("now_unknown", "Now unknown (not read in the later scan)"),
        ("removed_apps", "Gone (app or slot deleted, or not scanned)"),
        ("still_gateway_required", "Still to migrate"),
    )
    for key, title in sections:
        rows = result[key]
        if not rows:
            continue
        table = Table(title=f"{title}: {len(rows)}", header_style="bold")
        for column in ("app", "integration", "before", "readiness"):
            table.add_column(column)
        for row in rows:
            table.add_row(
                escape(str(row["name"])), row["integration"], row.get("was") or "", row.get("readiness") or ""
            )
        console.print(table)
    currency = result.get("currency") or ""
    for key, title in (
        ("gateways_deleted", "Gateways deleted since (their dependents moved)"),
        ("gateways_freed", "Gateways no app depends on any more, still there"),
    ):
        rows = result.get(key) or []
        if not rows:
            continue
        table = Table(title=f"{title}: {len(rows)}", header_style="bold")
        for column in ("gateway", "monthly cost", "decision now"):
            table.add_column(column)
        for row in rows:
            cost = row["monthly_cost"]
            table.add_row(
                escape(str(row["name"] or row["id"])),
                "unpriced" if cost is None else _money(cost, currency),
                row["decommission"] or "",
            )
        console.print(table)
    if "savings_realised_monthly" in result:
        console.print(
            f"Savings realised: {_money(result['savings_realised_monthly'], currency)}/month"
            + (
                f"; {_money(result['savings_waiting_monthly'], currency)}/month more once the freed "
                "gateways are deleted"
                if result.get("savings_waiting_monthly")
                else ""
            ),
            highlight=False,
        )
    if result.get("gateways_added"):
        console.print(f"New gateways: {escape(', '.join(result['gateways_added']))}", highlight=False)
