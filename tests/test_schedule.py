"""A schedule a project manager can commit to: working days, holidays, change freezes, preparation
lead times, the buffer before the deadline, and the calendar, boards and live-progress outputs."""

from __future__ import annotations

import csv
import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from icalendar import Calendar
from typer.testing import CliRunner

from planner.cli import app
from planner.core.settings import Settings
from planner.plan.pipeline import run_plan
from planner.render.excel.workbook import write_workbook
from planner.render.html import render_html
from planner.render.terminal import schedule_line
from planner.runbook.workdays import WorkCalendar, calendar_of
from planner.sample.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "contoso"
AS_OF = date(2026, 11, 29)
runner = CliRunner()
CHRISTMAS_FREEZE = ((date(2026, 12, 21), date(2027, 1, 1)),)


# -- the calendar --------------------------------------------------------------------------------


def test_working_days_skip_weekends_holidays_and_freezes() -> None:
    plain = WorkCalendar()
    assert plain.span_end(date(2026, 12, 7), 5) == date(2026, 12, 11)  # Monday to Friday
    assert plain.span_end(date(2026, 12, 10), 5) == date(2026, 12, 16)  # over a weekend
    assert plain.on_or_after(date(2026, 12, 12)) == date(2026, 12, 14)  # Saturday -> Monday
    assert plain.before(date(2027, 3, 31), 10) == date(2027, 3, 17)
    bavaria = calendar_of(Settings(holidays="DE-BY"), 2026, 2027)
    assert bavaria.why_not(date(2026, 12, 25)) == "Christmas Day"
    assert bavaria.why_not(date(2027, 1, 6)) == "Epiphany"
    assert bavaria.why_not(date(2026, 12, 26)) == "Saturday"  # a holiday on a rest day costs nothing
    assert bavaria.span_end(date(2026, 12, 21), 5) == date(2026, 12, 28)  # the 24th is worked, the 25th not
    frozen = WorkCalendar(freezes=CHRISTMAS_FREEZE)
    assert frozen.on_or_after(date(2026, 12, 21)) == date(2027, 1, 4)
    assert frozen.span_end(date(2026, 12, 17), 3) == date(2027, 1, 4)
    assert [p.as_dict() for p in frozen.pauses(date(2026, 12, 17), date(2027, 1, 4))] == [
        {"from": "2026-12-21", "to": "2027-01-01", "why": "change freeze"}
    ]
    sun_thu = WorkCalendar(workdays=frozenset({6, 0, 1, 2, 3}))
    assert sun_thu.span_end(date(2026, 12, 6), 5) == date(2026, 12, 10)  # Sunday to Thursday


# -- every wave on working days, no work in a freeze, blocked apps after their preparation ------------


def _tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    yield "contoso", SAMPLE
    folder = tmp_path_factory.mktemp("synthetic")
    generate(400, 7, folder)
    yield "synthetic", folder


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    return list(_tenants(tmp_path_factory))


SETTINGS = {
    "weekdays": Settings(as_of=AS_OF),
    "holidays": Settings(as_of=AS_OF, holidays="GB-ENG"),
    "holidays and freeze": Settings(as_of=AS_OF, holidays="US", freezes=CHRISTMAS_FREEZE),
    "sun-thu, freeze": Settings(as_of=AS_OF, workdays=(6, 0, 1, 2, 3), freezes=CHRISTMAS_FREEZE, wave_days=3),
}


@pytest.mark.parametrize("name", SETTINGS)
def test_waves_and_preparation_respect_the_calendar(tenants: list[tuple[str, Path]], name: str) -> None:
    settings = SETTINGS[name]
    for tenant, path in tenants:
        plan = run_plan(path, settings)
        calendar = calendar_of(settings, 2026, 2028)
        waves = {w["number"]: w for w in plan["waves"]}
        assert waves, tenant
        previous_end = None
        for wave in plan["waves"]:
            start, end = date.fromisoformat(wave["start"]), date.fromisoformat(wave["end"])
            assert calendar.working(start) and calendar.working(end), (tenant, wave)
            assert calendar.count(start, end) == settings.wave_days, (tenant, wave)
            for first, last in settings.freezes:  # nothing starts, ends or is worked inside a freeze
                assert not first <= start <= last and not first <= end <= last
            if previous_end:
                assert start > previous_end
            previous_end = end
        for item in plan["apps"]:
            for task in item.get("preparation") or ():
                wave = waves[item["wave"]]
                assert date.fromisoformat(wave["start"]) > date.fromisoformat(task["ready_by"]), (
                    tenant,
                    item["name"],
                )
                assert date.fromisoformat(task["needed_by"]) < date.fromisoformat(wave["start"])
                assert calendar.working(date.fromisoformat(task["start_by"]))
        assert plan["schedule"]["calendar"]["freezes"] == [
            {"from": a.isoformat(), "to": b.isoformat()} for a, b in settings.freezes
        ]


def test_every_blocked_app_waits_for_its_preparation_and_the_gateway_names_it(tenants: list[Any]) -> None:
    plan = run_plan(SAMPLE, Settings(as_of=AS_OF))
    blocked = [a for a in plan["apps"] if a["readiness"] == "blocked"]
    assert blocked and all(a["preparation"] for a in blocked)
    classic = next(a for a in blocked if "CLASSIC_VNET" in a["blockers"])
    task = classic["preparation"][0]
    assert (task["code"], task["lead_days"]) == ("CLASSIC_VNET", 30)
    wave = next(w for w in plan["waves"] if w["number"] == classic["wave"])
    assert wave["waits_for_preparation"] is True
    waiting = [g for g in plan["gateways"] if g["waits_for"]]
    assert waiting and all(
        "Clean-up waits for blocked dependents" in g["decommission_reason"] for g in waiting
    )


def test_lead_times_file_overrides_the_catalogue(tmp_path: Path) -> None:
    leads = tmp_path / "leads.yaml"
    leads.write_text("CLASSIC_VNET: 60\nno_subnet_space: 0\n", encoding="utf-8")
    plan = run_plan(SAMPLE, Settings(as_of=AS_OF, lead_times=str(leads)))
    codes = {t["code"]: t["lead_days"] for a in plan["apps"] for t in a["preparation"]}
    assert codes["CLASSIC_VNET"] == 60 and "NO_SUBNET_SPACE" not in codes


def test_a_schedule_without_holidays_says_which_common_days_off_it_works(tmp_path: Path) -> None:
    plain = run_plan(SAMPLE, Settings(as_of=AS_OF))
    said = [w for w in plain["warnings"] if w.startswith("No public holidays")]
    assert len(said) == 1 and plain["schedule"]["calendar"]["holidays"] is None
    spanned = [
        (f"{day.day} {day:%b} {day.year} (wave {w['number']})")
        for w in plain["waves"]
        for day in (date(2026, 12, 25), date(2027, 1, 1))
        if date.fromisoformat(w["start"]) <= day <= date.fromisoformat(w["end"])
    ]
    assert spanned, "the sample's waves span Christmas: the test needs a day to look for"
    assert all(text in said[0] for text in spanned), said[0]  # each named with its wave
    assert "no holidays" in schedule_line(plain)  # the terminal, the page's banner and the workbook say it
    assert "no public holidays taken out (--holidays not given)" in render_html(plain)
    write_workbook(plain, tmp_path / "plan.xlsx")
    summary = openpyxl.load_workbook(tmp_path / "plan.xlsx", read_only=True)["Summary"]
    (working,) = [r for r in summary.iter_rows(values_only=True) if r and r[0] == "Working days"]
    assert "no public holidays taken out (--holidays not given)" in " ".join(str(v) for v in working if v)
    bavaria = run_plan(SAMPLE, Settings(as_of=AS_OF, holidays="DE-BY"))
    assert not [w for w in bavaria["warnings"] if w.startswith("No public holidays")]
    assert "DE-BY holidays" in schedule_line(bavaria) and "no public holidays" not in render_html(bavaria)
    frozen = run_plan(SAMPLE, Settings(as_of=AS_OF, freezes=CHRISTMAS_FREEZE))
    (line,) = [w for w in frozen["warnings"] if w.startswith("No public holidays")]
    assert "25 Dec" not in line and "1 Jan" not in line  # frozen days are not worked


# -- late, both ways ----------------------------------------------------------------------------------


def test_late_is_right_both_ways_and_the_advice_fits(tmp_path: Path) -> None:
    fits = run_plan(SAMPLE, Settings(as_of=AS_OF, start=date(2027, 1, 4)))
    assert fits["schedule"]["late"] is False and fits["schedule"]["late_apps"] == []
    late = run_plan(SAMPLE, Settings(as_of=AS_OF, start=date(2027, 3, 1), wave_size=4))
    schedule = late["schedule"]
    assert schedule["late"] is True and schedule["past_deadline"] is True
    assert schedule["late_apps"] and all(a["wave"] for a in schedule["late_apps"])
    assert any(w.startswith(("LATE", "DEADLINE")) for w in late["warnings"])
    advice = schedule["advice"]
    suggested = {
        "start": advice.split("Starting on ", 1)[1][:10] if "Starting on " in advice else None,
        "wave_days": int(advice.split("(--wave-days ", 1)[1].split(")")[0])
        if "--wave-days" in advice
        else None,
        "wave_size": int(advice.split("(--wave-size ", 1)[1].split(")")[0])
        if "--wave-size" in advice
        else None,
    }
    assert suggested["start"] and suggested["wave_days"], (
        advice
    )  # five readiness/preparation waves from March
    for option, value in suggested.items():
        if value is None:
            continue
        base: dict[str, Any] = {"as_of": AS_OF, "start": date(2027, 3, 1), "wave_size": 4}
        base[option] = date.fromisoformat(value) if option == "start" else value
        again = run_plan(SAMPLE, Settings(**base))
        assert again["schedule"]["late"] is False, (option, value, advice)


def test_fail_on_late_exits_4_after_writing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--as-of", "2026-11-29", "--format", "json", "-q"]
    result = runner.invoke(app, [*args, "--start", "2027-03-15", "--fail-on", "late"])
    assert result.exit_code == 4 and "--fail-on late" in result.output
    assert (out / "plan.json").exists()
    assert runner.invoke(app, [*args, "--start", "2027-01-04", "--fail-on", "late"]).exit_code == 0


# -- bad input: one line naming the option or file and field, exit 2, nothing written ------------------


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--holidays", "XX"], "--holidays: unknown country code 'XX'"),
        (["--holidays", "DE-ZZ"], "--holidays: unknown subdivision 'DE-ZZ'"),
        (["--freeze", "2027-01-05..2027-01-01"], "--freeze: '2027-01-05..2027-01-01' ends before it starts"),
        (
            ["--freeze", "2027-01-01..2027-01-05", "--freeze", "2027-01-03..2027-01-09"],
            "--freeze: freezes overlap",
        ),
        (["--freeze", "2027-01-01"], "--freeze: '2027-01-01' is not FIRST..LAST"),
        (["--workdays", "mon-fry"], "--workdays: 'mon-fry' is not a day"),
        (["--lead-times", "{leads}/unknown.yaml"], "unknown.yaml, field 'NAT_GATEWAY': unknown code"),
        (
            ["--lead-times", "{leads}/negative.yaml"],
            "negative.yaml, field 'CLASSIC_VNET': expected a whole number",
        ),
    ],
)
def test_bad_schedule_options_are_one_line_and_write_nothing(
    tmp_path: Path, extra: list[str], says: str
) -> None:
    (tmp_path / "unknown.yaml").write_text("NAT_GATEWAY: 3\n", encoding="utf-8")
    (tmp_path / "negative.yaml").write_text("CLASSIC_VNET: -2\n", encoding="utf-8")
    out = tmp_path / "out"
    args = [a.replace("{leads}", str(tmp_path)) for a in extra]
    result = runner.invoke(app, ["demo", "--out", str(out), "-q", *args])
    assert result.exit_code == 2, result.output
    assert says in " ".join(result.output.split()), result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not out.exists()


# -- calendar and boards ------------------------------------------------------------------------------


def test_ics_holds_waves_preparation_and_deadline(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["demo", "--out", str(out), "--as-of", "2026-11-29", "--format", "json,ics", "-q"]
    assert runner.invoke(app, args).exit_code == 0
    plan = __import__("json").loads((out / "plan.json").read_text(encoding="utf-8"))
    calendar = Calendar.from_ical((out / "schedule.ics").read_bytes())
    events = list(calendar.walk("VEVENT"))
    tasks = sum(len(a["preparation"]) for a in plan["apps"])
    assert len(events) == len(plan["waves"]) + tasks + 2
    assert len({str(e["UID"]) for e in events}) == len(events)
    for wave in plan["waves"]:
        event = next(e for e in events if str(e["SUMMARY"]).split(":")[0].endswith(f"wave {wave['number']}"))
        assert event.decoded("DTSTART") == date.fromisoformat(wave["start"])
        assert event.decoded("DTEND") == date.fromisoformat(wave["end"]) + dt.timedelta(days=1)
    retirement = next(e for e in events if "retires" in str(e["SUMMARY"]))
    assert retirement.decoded("DTSTART") == date(2027, 3, 31)


def test_boards_csv_follows_the_documented_import_shape(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["demo", "--out", str(out), "--format", "json,boards", "-q"]).exit_code == 0
    files = sorted((out / "boards").glob("boards-*.csv"))
    assert [f.name for f in files] == ["boards-01.csv"]
    with files[0].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["ID", "Work Item Type", "Title 1", "Title 2", "Description", "Tags"]
    assert all(r["ID"] == "" for r in rows)  # new work items: Azure Boards assigns the ids
    parents = [r for r in rows if r["Work Item Type"] == "Epic"]
    children = [r for r in rows if r["Work Item Type"] == "Task"]
    assert all(r["Title 1"] and not r["Title 2"] for r in parents)
    assert all(r["Title 2"] and not r["Title 1"] for r in children)
    assert rows[0]["Work Item Type"] == "Epic"  # every child sits under the wave above it
    plan = __import__("json").loads((out / "plan.json").read_text(encoding="utf-8"))
    movers = [a for a in plan["apps"] if a["integration"] == "gateway-required"]
    assert len(parents) == len(plan["waves"])
    assert len(children) == len(movers) + sum(len(w["gateway_ids"]) for w in plan["waves"])
    assert all(len(r["Title 1"] or r["Title 2"]) <= 255 for r in rows)
    assert all("vnet-planner" in r["Tags"].split("; ") for r in rows)


# -- the workbook's live progress, recalculated by LibreOffice ----------------------------------------

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed: apt-get install libreoffice-calc")
def test_marking_apps_done_moves_the_summary_when_libreoffice_recalculates(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert runner.invoke(app, ["demo", "--out", str(out), "--format", "xlsx", "-q"]).exit_code == 0
    book = openpyxl.load_workbook(out / "plan.xlsx")
    apps = book["Apps"]
    header = [c.value for c in apps[1]]
    status, wave = header.index("Status") + 1, header.index("Wave") + 1
    done_in_wave_1 = 0
    for row in range(2, 5):  # three apps done
        apps.cell(row=row, column=status, value="Done")
        done_in_wave_1 += apps.cell(row=row, column=wave).value == 1
    book.save(tmp_path / "edited.xlsx")
    summary = _recalculated_summary(tmp_path / "edited.xlsx", tmp_path / "calc")
    rows = {r[0]: r[1:] for r in summary if r and r[0]}
    assert rows["Apps done"][0] == "3"
    days_left = (date(2027, 3, 31) - date.today()).days
    assert rows["Days left"][0] == str(max(0, days_left))
    waves = [r for r in summary if len(r) > 9 and r[1] == "1" and r[8]]
    assert waves and waves[0][8] == str(done_in_wave_1)
    assert not any(cell.startswith(("#", "Err:")) for r in summary for cell in r)  # no error values


def _recalculated_summary(workbook: Path, folder: Path) -> list[list[str]]:
    """The Summary sheet as LibreOffice computes it (headless, every formula recalculated on load)."""
    folder.mkdir()
    profile = folder / "profile"
    subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,1",
            "--outdir",
            str(folder),
            str(workbook),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    produced = next(folder.glob("*.csv"))
    with produced.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.reader(handle)]


# -- the HTML page opens with this week and next --------------------------------------------------------

from test_html import ARGS, CHROMIUM  # noqa: E402  (the browser the HTML tests use)


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium is not installed")
def test_page_opens_with_this_week_next_overdue_and_waiting(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    out = tmp_path / "out"
    assert (
        runner.invoke(
            app, ["demo", "--out", str(out), "--as-of", "2026-11-29", "-q", "--format", "html,json"]
        ).exit_code
        == 0
    )
    plan = __import__("json").loads((out / "plan.json").read_text(encoding="utf-8"))
    first, second = plan["waves"][0], plan["waves"][1]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            # Tuesday of wave 2's week: wave 1 is over with nothing ticked, wave 2 is running.
            today = date.fromisoformat(second["start"]) + dt.timedelta(days=1)
            page.clock.set_fixed_time(dt.datetime(today.year, today.month, today.day, 12, 0))
            page.goto((out / "runbook.html").as_uri())
            page.wait_for_selector("html[data-ready='1']")

            def group(name: str) -> str:
                return page.locator(f"[data-group='{name}']").inner_text()

            assert f"Running: Wave {second['number']}" in group("this-week")
            assert f"Wave {first['number']}" in group("overdue") and "not done" in group("overdue")
            assert f"Starts: Wave {plan['waves'][2]['number']}" in group("next-week")
            waiting = [w for w in plan["waves"] if w["waits_for_preparation"]]
            assert waiting and f"Wave {waiting[0]['number']}" in group("waiting")
            assert (
                page.locator("#now").bounding_box()["y"] < page.locator("section.tiles").bounding_box()["y"]
            )
        finally:
            browser.close()
