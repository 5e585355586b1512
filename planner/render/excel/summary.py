"""The Summary sheet: deadline, counts, waves, money, codes and its two charts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.series import DataPoint
from openpyxl.utils import get_column_letter, quote_sheetname

from planner.render.common import NO_HOLIDAYS, governance_lines, inventory_label
from planner.render.common import as_date as _date
from planner.render.excel.cells import Styles, excel_value, formula
from planner.render.excel.spec import (
    COLOURS,
    EXCEL_MAX_ROWS,
    LEARN_DOCS,
    READINESS_LABEL,
    Lookups,
    SheetSpec,
    all_columns,
)
from planner.render.excel.tables import print_setup
from planner.render.schedule import Wave

CHART_ROWS = 16  # blank rows under the deadline block where the two charts sit


def write_summary(ws: Any, lk: Lookups, st: Styles) -> None:
    """Deadline, two charts, counts, codes, waves, gateways and money, inventory notes, sheet index."""
    plan = lk.plan
    summary = plan.get("summary") or {}
    prices = plan.get("prices") or {}
    currency = prices.get("currency") or ""
    schedule = plan.get("schedule") or {}
    inventory = plan.get("inventory") or {}
    widths = (46, 16, 13, 13, 13, 13, 13, 18, 10, 11)
    for letter, width in zip("ABCDEFGHIJ", widths, strict=True):
        ws.column_dimensions[letter].width = width
    print_setup(ws, "portrait", sum(widths))
    row_no = 0

    def put(*cells: Any) -> int:
        nonlocal row_no
        ws.append(list(cells))
        row_no += 1
        return row_no

    def long(label: Any, text: Any) -> None:
        """A label and a text that may be long: the text wraps across columns B to the last one."""
        text = str(excel_value(text) or "")
        lines = max(1, -(-len(text) // int(sum(widths[1:]) * 1.1)))
        if lines > 1:
            ws.row_dimensions[row_no + 1].height = 15 * min(lines, 27)
        put(label, st.cell(text, "wrap"))
        ws.merged_cells.add(f"B{row_no}:{get_column_letter(len(widths))}{row_no}")

    def section(title: str) -> None:
        put(None)
        put(*(st.cell(title if i == 0 else None, "section") for i in range(len(widths))))

    put(st.cell("VNet integration migration plan", "title"))
    days = plan.get("days_left", summary.get("days_left"))
    put(
        st.cell("Gateway-required VNet integration retires on", "label"),
        st.cell(_date(plan.get("retirement_date")) or plan.get("retirement_date"), "sdate"),
    )
    progress = _progress_ranges(lk)
    retirement = _date(plan.get("retirement_date"))
    put(
        st.cell("Days left", "label"),
        formula(st, f"=MAX(0,DATE({retirement.year},{retirement.month},{retirement.day})-TODAY())", "big")
        if retirement
        else st.cell(days, "big"),
        st.cell(f"counted from today when the workbook opens ({days} on the plan's date)", "note"),
    )
    if progress:
        status, _, count = progress
        put(
            st.cell("Apps done", "label"),
            formula(st, f'=COUNTIF({status},"Done")'),
            formula(st, f'=IF({count}=0,0,COUNTIF({status},"Done")/{count})', "spercent"),
            st.cell(f"of {count} (Status column of the Apps sheet)", "note"),
        )
    if schedule:
        late = bool(schedule.get("late") or schedule.get("past_deadline"))
        put(
            st.cell("Planned migration", "label"),
            st.cell(
                f"{schedule.get('start', '?')} to {schedule.get('end', '?')}", "warn" if late else "text"
            ),
            None,
            st.cell(
                f"{len(lk.schedule.scheduled)} waves of {schedule.get('wave_days', '?')} working days"
                + (
                    ", apps done by " + str(schedule.get("migration_end"))
                    if schedule.get("migration_end")
                    else ""
                )
                + (": THE PLAN ENDS AFTER THE DEADLINE" if schedule.get("past_deadline") else ""),
                "warn" if late else "note",
            ),
        )
        if schedule.get("deadline_with_buffer"):
            put(
                st.cell("Buffer before the deadline", "label"),
                st.cell(_date(schedule.get("deadline_with_buffer")), "warn" if late else "sdate"),
                None,
                st.cell(
                    f"{schedule.get('buffer_days')} working days kept free before the retirement date", "note"
                ),
            )
        if schedule.get("late"):
            long(st.cell("LATE", "warn"), schedule.get("advice") or "")
        calendar = schedule.get("calendar") or {}
        if calendar:
            freezes = ", ".join(f"{f.get('from')} to {f.get('to')}" for f in calendar.get("freezes") or ())
            long(
                st.cell("Working days", "label"),
                ", ".join(str(d)[:3] for d in calendar.get("workdays") or ())
                + (
                    f"; public holidays of {calendar['holidays']}"
                    if calendar.get("holidays")
                    else f"; {NO_HOLIDAYS}"
                )
                + (f"; change freezes {freezes}" if freezes else ""),
            )
        prep = schedule.get("preparation") or {}
        if prep.get("tasks"):
            put(
                st.cell("Preparation before blocked waves", "label"),
                st.cell(prep["tasks"], "sint"),
                None,
                st.cell(
                    f"tasks for {prep.get('apps')} apps; the first must start by {prep.get('first_start_by')} "
                    "(Preparation sheet)",
                    "warn",
                ),
            )
    put(
        st.cell("Generated", "label"),
        st.cell(_when(plan.get("generated_at"))),
        None,
        st.cell(f"vnet-planner {plan.get('tool_version', '')}, inventory {inventory_label(plan)}", "note"),
    )
    chart_row = row_no + 2
    for _ in range(CHART_ROWS):
        put(None)

    section("Apps")
    for label, key in (
        ("App Service apps and slots found", "apps_total"),
        ("On gateway-required integration: to migrate", "apps_gateway_required"),
        ("Already on regional integration", "apps_regional"),
        ("Without VNet integration", "apps_none"),
        ("Integration could not be read", "apps_unknown"),
    ):
        put(st.cell(label), st.cell(summary.get(key, 0), "sint"))

    section("Readiness of the apps to migrate")
    readiness = summary.get("readiness") or {}
    first_ready = row_no + 1
    for key, label in READINESS_LABEL.items():
        put(st.cell(label, "colour:" + key), st.cell(readiness.get(key, 0), "sint"))
    last_ready = row_no

    waves = lk.schedule.scheduled
    first_wave = last_wave = 0
    if waves:
        section("Waves")
        head = (
            "Name",
            "Wave",
            "Ready",
            "Needs work",
            "Blocked",
            "Start",
            "End",
            "Gateways deleted",
            "Apps done",
            "Progress",
        )
        put(*(st.cell(h, "head") for h in head))
        first_wave = row_no + 1
        for wave in waves:
            counts = wave.readiness
            apps = len(wave.apps)
            done: list[Any] = [None, None]
            if progress and apps:
                status, wave_column, _ = progress
                row = row_no + 1
                done = [
                    formula(st, f'=COUNTIFS({wave_column},B{row},{status},"Done")'),
                    formula(st, f"=I{row}/{apps}", "spercent"),
                ]
            put(
                st.cell(_wave_name(wave)),
                st.cell(wave.number, "sint"),
                st.cell(counts.get("ready", 0), "sint"),
                st.cell(counts.get("needs-work", 0), "sint"),
                st.cell(counts.get("blocked", 0), "sint"),
                st.cell(wave.start, "sdate"),
                st.cell(wave.end, "sdate"),
                st.cell(sum(1 for g in wave.gateways if g.get("decommission") == "yes"), "sint"),
                *done,
            )
        last_wave = row_no

    section(f"Gateways and money ({currency or 'currency not given'})")
    potential = sum(
        float(g.get("potential_monthly_savings") or 0)
        for g in plan.get("gateways") or ()
        if g.get("decommission") == "verify"
    )
    for label, value, style in (
        ("VPN gateways the apps use", summary.get("gateways", 0), "sint"),
        ("Can be deleted after the migration", summary.get("gateways_decommissionable", 0), "sint"),
        ("To verify before deleting", summary.get("gateways_to_verify", 0), "sint"),
        ("Monthly cost of these gateways", summary.get("monthly_cost"), "smoney"),
        ("Monthly savings (gateways that can be deleted)", summary.get("monthly_savings"), "smoney"),
        ("Yearly savings", summary.get("yearly_savings"), "smoney"),
        ("More per month if the gateways to verify can go", potential, "smoney"),
    ):
        put(st.cell(label), st.cell(value, style))
    long(st.cell("Prices from"), prices.get("source") or "not given")
    put(st.cell("Prices as of"), st.cell(_date(prices.get("as_of")) or prices.get("as_of"), "sdate"))

    codes = plan.get("codes") or {}
    for title, key in (
        ("Limitations: what regional integration fixes (apps)", "limitations"),
        ("Blockers: to solve before the move (apps)", "blockers"),
        ("Findings: health of the current setup (apps)", "findings"),
        ("Could not be decided: data missing (apps)", "unknown"),
    ):
        counts = summary.get(key) or {}
        if key == "unknown" and not counts:
            continue
        section(title)
        for code, count in counts.items():
            info = codes.get(code) or {}
            put(st.cell(str(info.get("title") or code)), st.cell(count, "sint"), st.cell(code, "note"))

    governance = governance_lines(plan)
    if governance:
        section("Scope, suppressions and progress")
        for line in governance:
            long(st.cell(line.split(":", 1)[0]), line.split(":", 1)[1].strip())

    failed = inventory.get("failed_subscriptions") or ()
    warnings_ = [*(inventory.get("warnings") or ()), *(plan.get("warnings") or ())]
    unknown_types = inventory.get("unknown_types") or {}
    if inventory or lk.notes:
        section("Inventory read")
        if inventory:
            put(
                st.cell("Files / resources read"),
                st.cell(f"{inventory.get('files', '?')} files, {inventory.get('resources', '?')} resources"),
            )
        for sub in failed:
            who = f"{sub['name']} ({sub.get('id')})" if sub.get("name") else sub.get("id") or "?"
            long(st.cell("Subscription NOT read", "warn"), f"{who}: {sub.get('reason') or 'no reason given'}")
        for warning in warnings_:
            long(st.cell("Warning"), warning)
        if unknown_types:
            skipped = ", ".join(f"{t} ({n})" for t, n in unknown_types.items())
            long(st.cell("Resource types skipped"), skipped)
        for note in lk.notes:
            long(st.cell("Note", "warn"), note)

    section("Sheets in this workbook")
    for spec in lk.sheets[1:]:
        put(
            st.cell(spec.name, "link", location=f"{quote_sheetname(spec.name)}!A1"), st.cell(spec.description)
        )
    section("Microsoft documentation")
    for title, url in LEARN_DOCS:
        put(st.cell(title, "link", link=url))

    _add_summary_charts(ws, chart_row, (first_ready, last_ready), (first_wave, last_wave))


def _progress_ranges(lk: Lookups) -> tuple[str, str, int] | None:
    """The Apps sheet's Status and Wave ranges and its row count, for the progress formulas."""
    apps = next((spec for spec in lk.sheets if spec.name == "Apps"), None)
    if apps is None or not apps.consultant:
        return None
    keys = [c.key for c in all_columns(apps)]
    count = sum(len(w.apps) for w in lk.schedule.waves)
    if "status" not in keys or "wave" not in keys or count == 0 or count + 1 > EXCEL_MAX_ROWS:
        return None

    def cells(key: str) -> str:
        letter = get_column_letter(keys.index(key) + 1)
        return f"Apps!${letter}$2:${letter}${count + 1}"

    return cells("status"), cells("wave"), count


def _wave_name(wave: Wave) -> str:
    """A wave's name without a leading "Wave N" (the number has its own column)."""
    return wave.short_name or f"Wave {wave.number}"


def _when(value: Any) -> str:
    """`2026-11-29T09:00:00+00:00` as `2026-11-29 09:00 UTC` (other offsets kept as given)."""
    text = str(value or "")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%d %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M %z").strip()


def _add_summary_charts(ws: Any, at_row: int, ready: tuple[int, int], waves: tuple[int, int]) -> None:
    """Side by side under the deadline: a bar per readiness in its colour; apps per wave by readiness."""
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = "Apps by readiness"
    chart.legend = None
    chart.y_axis.majorGridlines = None
    chart.y_axis.delete = True
    chart.x_axis.delete = False
    chart.add_data(Reference(ws, min_col=2, min_row=ready[0], max_row=ready[1]), titles_from_data=False)
    chart.set_categories(Reference(ws, min_col=1, min_row=ready[0], max_row=ready[1]))
    chart.x_axis.scaling.orientation = "maxMin"  # Ready on top, as in the table below
    series = chart.series[0]
    for idx, key in enumerate(READINESS_LABEL):
        point = DataPoint(idx=idx)
        point.graphicalProperties.solidFill = COLOURS[key][1]
        point.graphicalProperties.line.solidFill = COLOURS[key][1]
        series.dPt.append(point)
    series.dLbls = DataLabelList(
        showVal=True, showSerName=False, showCatName=False, showLegendKey=False, showPercent=False
    )
    chart.gapWidth = 60
    chart.height, chart.width = 7.2, 11.5
    ws.add_chart(chart, f"A{at_row}")

    if waves[0] and waves[1] >= waves[0]:
        per_wave = BarChart()
        per_wave.type = "col"
        per_wave.grouping = "stacked"
        per_wave.overlap = 100
        per_wave.gapWidth = 60
        per_wave.title = "Apps per wave"
        per_wave.x_axis.title = "wave"
        per_wave.y_axis.title = "apps"
        per_wave.x_axis.delete = False
        per_wave.y_axis.delete = False
        per_wave.legend.position = "b"
        data = Reference(ws, min_col=3, max_col=5, min_row=waves[0] - 1, max_row=waves[1])
        per_wave.add_data(data, titles_from_data=True)
        per_wave.set_categories(Reference(ws, min_col=2, min_row=waves[0], max_row=waves[1]))
        for series, key in zip(per_wave.series, READINESS_LABEL, strict=True):
            series.graphicalProperties.solidFill = COLOURS[key][1]
            series.graphicalProperties.line.solidFill = COLOURS[key][1]
        per_wave.height, per_wave.width = 7.2, 13.5
        ws.add_chart(per_wave, f"C{at_row}")


def write_custom_sheet(wb: Workbook, spec: SheetSpec, lk: Lookups, index: int) -> None:
    ws = wb.create_sheet(spec.name, index)
    assert spec.writer is not None
    spec.writer(ws, lk, Styles(ws))
