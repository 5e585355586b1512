"""The Excel workbook, read back with openpyxl: sheets, headers, tables, validation, links, safety."""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from planner.render.common import portal_url
from planner.render.excel import spec as excel_spec
from planner.render.excel import tables as excel_tables
from planner.render.excel import workbook as excel_workbook
from planner.render.excel import write_workbook
from planner.render.excel.sheets import SHEETS
from planner.render.excel.spec import STATUS_CHOICES, SheetSpec, all_columns

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "plan_small.json"
RISKY = ["=cmd|' /C calc'!A0", "+1", "-2+3", "@x", "\tx", "\rx", "=1+1", "#N/A"]


def load_plan() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def synthetic_plan(apps: int) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "benchmarks" / "reports.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_plan(apps)


def gateway_required(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in plan["apps"] if a["integration"] == "gateway-required"]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("xlsx") / "plan.xlsx"
    write_workbook(load_plan(), path)
    return openpyxl.load_workbook(path)


def header(ws: Any) -> list[Any]:
    return [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]


def column(ws: Any, name: str) -> list[Any]:
    idx = header(ws).index(name)
    return [row[idx] for row in ws.iter_rows(min_row=2)]


def test_sheets_come_from_the_spec_table_in_order(book: openpyxl.Workbook) -> None:
    assert book.sheetnames == [s.name for s in SHEETS]
    assert book.sheetnames[:4] == ["Summary", "Apps", "Preparation", "Steps"]
    assert book.active.title == "Summary"


@pytest.mark.parametrize("spec", [s for s in SHEETS if s.rows is not None], ids=lambda s: s.name)
def test_table_sheets_have_headers_table_filter_and_frozen_header(book: openpyxl.Workbook, spec: Any) -> None:
    ws = book[spec.name]
    expected = [c.header for c in all_columns(spec)]
    assert header(ws) == expected
    assert ws.freeze_panes == spec.freeze
    (table,) = ws.tables.values()
    assert table.ref == f"A1:{openpyxl.utils.get_column_letter(len(expected))}{max(2, ws.max_row)}"
    assert table.autoFilter is not None and table.autoFilter.ref == table.ref
    assert [c.name for c in table.tableColumns] == expected
    if spec.consultant:
        assert expected[-4:] == ["Status", "Owner", "Due", "Comment"]


def test_apps_sheet_has_one_row_per_gateway_required_app_with_portal_links(book: openpyxl.Workbook) -> None:
    plan = load_plan()
    apps = gateway_required(plan)
    ws = book["Apps"]
    assert ws.max_row == 1 + len(apps)
    names = [c.value for c in column(ws, "App")]
    assert names == [a["site_name"] for a in apps]
    links = [c.hyperlink.target for c in column(ws, "Portal")]
    assert links == [portal_url(a["id"]) for a in apps]
    assert all(link.startswith("https://portal.azure.com/#@/resource/subscriptions/") for link in links)
    slots = [c.value for c in column(ws, "Slot")]
    assert slots.count("staging") == 1


def test_readiness_cells_are_coloured_by_readiness(book: openpyxl.Workbook) -> None:
    fills = {}
    for cell in column(book["Apps"], "Readiness"):
        fills.setdefault(cell.value, set()).add(cell.fill.fgColor.rgb)
    assert set(fills) == {"Ready", "Needs work", "Blocked"}
    assert all(len(colours) == 1 for colours in fills.values())
    assert len({next(iter(c)) for c in fills.values()}) == 3


def test_status_column_is_a_validated_list_and_due_defaults_to_wave_end(book: openpyxl.Workbook) -> None:
    for name in ("Apps", "Steps", "Gateways", "Subnets"):
        ws = book[name]
        status_letter = openpyxl.utils.get_column_letter(header(ws).index("Status") + 1)
        lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
        assert len(lists) == 1, name
        assert lists[0].formula1 == '"' + ",".join(STATUS_CHOICES) + '"'
        assert str(lists[0].sqref) == f"{status_letter}2:{status_letter}{max(2, ws.max_row)}"
        assert {c.value for c in column(ws, "Status")} == {"Not started"}
    dues = [c.value for c in column(book["Apps"], "Due")]
    assert all(d is not None and d.year in (2026, 2027) for d in dues)


def test_steps_sheet_lists_every_step_wave_by_wave(book: openpyxl.Workbook) -> None:
    plan = load_plan()
    expected = sum(len(a["steps"]) for a in gateway_required(plan)) + sum(
        len(g["steps"]) for g in plan["gateways"]
    )
    ws = book["Steps"]
    assert ws.max_row == 1 + expected
    waves = [c.value for c in column(ws, "Wave")]
    numbered = [w for w in waves if w is not None]
    assert numbered == sorted(numbered)
    assert waves[-1] is None  # the gateway clean-up without a wave comes last
    commands = [c for c in column(ws, "Commands") if c.value]
    assert not any(c.alignment.wrap_text for c in commands)  # rows are not sized by off-screen text
    assert any("\n" in c.value for c in commands)  # several commands of one step, one per line
    # A row is as tall as its visible "What to do" text needs, never as its commands, Bicep or rollback.
    titles = column(ws, "What to do")
    for cell in titles:
        height = ws.row_dimensions[cell.row].height
        assert height is None or height <= 15 * (len(cell.value or "") // 30 + 2), (cell.value, height)
    bicep = [c.value for c in column(ws, "Bicep") if c.value]
    assert len(bicep) == 1 and bicep[0].startswith("resource site 'Microsoft.Web/sites@")


def test_summary_has_deadline_counts_savings_prices_and_two_charts(book: openpyxl.Workbook) -> None:
    plan = load_plan()
    ws = book["Summary"]
    rows = {r[0].value: [c.value for c in r[1:]] for r in ws.iter_rows() if r[0].value}
    assert rows["Days left"][0] == "=MAX(0,DATE(2027,3,31)-TODAY())"  # live: LibreOffice test below
    assert rows["Gateway-required VNet integration retires on"][0].date().isoformat() == "2027-03-31"
    assert rows["Ready"][0] == plan["summary"]["readiness"]["ready"]
    assert rows["Blocked"][0] == plan["summary"]["readiness"]["blocked"]
    assert rows["Yearly savings"][0] == plan["summary"]["yearly_savings"]
    assert rows["Prices from"][0] == plan["prices"]["source"]
    assert rows["Classic VNet"][0] == 1
    assert "Subscription NOT read" in rows
    assert len(ws._charts) == 2
    internal = {
        c.value: c.hyperlink.location
        for r in ws.iter_rows()
        for c in r
        if c.hyperlink and c.hyperlink.location
    }
    assert internal["Steps"] == "'Steps'!A1"
    external = [c.hyperlink.target for r in ws.iter_rows() for c in r if c.hyperlink and c.hyperlink.target]
    assert external and all(t.startswith("https://learn.microsoft.com/") for t in external)


def test_evidence_and_codes_sheets(book: openpyxl.Workbook) -> None:
    plan = load_plan()
    ws = book["Evidence"]
    codes = [c.value for c in column(ws, "Code")]
    assert "CROSS_REGION" in codes and "S2S" in codes and "KEYVAULT_REFERENCES" in codes
    assert "(missing)" in [c.value for c in column(ws, "Value")]
    assert all(c.hyperlink.target.startswith("https://portal.azure.com/") for c in column(ws, "Resource"))
    legend = book["Codes"]
    rules = [c for c, i in plan["codes"].items() if i["kind"] != "gateway-use"]
    assert [c.value for c in column(legend, "Code")] == rules + list(plan["gateway_uses"])
    kinds = {(c.value, k.value) for c, k in zip(column(legend, "Code"), column(legend, "Kind"), strict=True)}
    assert ("EXPRESSROUTE", "limitation") in kinds and ("EXPRESSROUTE", "gateway-use") in kinds
    meanings = {
        r.value: m.value for r, m in zip(column(legend, "Code"), column(legend, "Meaning"), strict=True)
    }
    assert meanings["LINUX"] == plan["codes"]["LINUX"]["meaning"]


OUR_FORMULA = re.compile(
    r'=MAX\(0,DATE\(\d+,\d+,\d+\)-TODAY\(\)\)|=COUNTIF\(Apps!\$[A-Z]+\$2:\$[A-Z]+\$\d+,"Done"\)'
    r'|=IF\(\d+=0,0,COUNTIF\(Apps!\$[A-Z]+\$2:\$[A-Z]+\$\d+,"Done"\)/\d+\)'
    r'|=COUNTIFS\(Apps!\$[A-Z]+\$2:\$[A-Z]+\$\d+,B\d+,Apps!\$[A-Z]+\$2:\$[A-Z]+\$\d+,"Done"\)|=I\d+/\d+'
)


def test_text_from_data_is_never_a_formula(tmp_path: Path) -> None:
    plan = load_plan()
    apps = gateway_required(plan)
    for app, text in zip(apps, RISKY, strict=False):
        app["site_name"] = app["name"] = text
        app["tags"] = {"x": "1", "@owner": text}
    apps[0]["steps"][0]["commands"] = ['=HYPERLINK("http://evil")', "-c"]
    plan["gateways"][0]["name"] = "+gw"
    plan["codes"]["LINUX"]["meaning"] = "=2*3"
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path)
    for ws in book:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # only the Summary's own progress formulas, never text from data
                    assert ws.title == "Summary" and OUR_FORMULA.fullmatch(cell.value), (ws.title, cell.value)
    names = column(book["Apps"], "App")
    for cell, text in zip(names, RISKY, strict=False):
        expected = text.replace("\r", "\n") if text.startswith("\r") else text
        assert cell.value in (text, expected)
        assert cell.data_type == "s" and cell.quotePrefix, cell.value
    tags = [c.value for c in column(book["Apps"], "Tags")]
    assert tags[0] == f"@owner={RISKY[0]}; x=1"
    plain = column(book["Apps"], "Resource group")[0]
    assert not plain.quotePrefix


def test_illegal_characters_are_replaced_and_long_text_truncated(tmp_path: Path) -> None:
    plan = load_plan()
    app = gateway_required(plan)[0]
    app["site_name"] = "bad\x01\x1fname"
    app["steps"][0]["validation"] = "v" * 40_000
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path)
    assert column(book["Apps"], "App")[0].value == "bad\ufffd\ufffdname"
    long = [c.value for c in column(book["Steps"], "Validation") if c.value and c.value.startswith("vvv")]
    assert (
        len(long) == 1
        and len(long[0]) <= excel_spec.EXCEL_MAX_TEXT
        and long[0].endswith("(truncated; see plan.json)")
    )


def test_empty_plan_still_gives_valid_tables(tmp_path: Path) -> None:
    plan = load_plan()
    plan.update(apps=[], gateways=[], subnets=[], waves=[], codes={}, gateway_uses={}, schedule=None)
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path)
    for spec in SHEETS[1:]:
        (table,) = book[spec.name].tables.values()
        assert table.ref.endswith("2") or spec.name == "Legend"  # the legend's words are always there


def test_link_limit_and_row_limit_degrade_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(excel_tables, "MAX_LINKS_PER_SHEET", 3)
    monkeypatch.setattr(excel_tables, "EXCEL_MAX_ROWS", 12)  # 10 data rows per sheet
    path = tmp_path / "plan.xlsx"
    write_workbook(load_plan(), path)
    book = openpyxl.load_workbook(path)
    portal = column(book["Apps"], "Portal")
    assert [bool(c.hyperlink) for c in portal] == [True] * 3 + [False] * (len(portal) - 3)
    assert portal[3].value.startswith("https://portal.azure.com/")
    assert book["Steps"].max_row == 11
    notes = [r[1].value for r in book["Summary"].iter_rows() if r[0].value == "Note"]
    assert any("Steps" in n and "rows fit in Excel" in n for n in notes)


def test_failed_write_leaves_no_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "plan.xlsx"
    path.write_bytes(b"old")

    def broken(lk: Any) -> Any:
        yield {"target": "x"}
        raise RuntimeError("boom")

    specs = [s if s.name != "Steps" else SheetSpec(s.name, s.description, s.columns, broken) for s in SHEETS]
    monkeypatch.setattr(excel_workbook, "SHEETS", tuple(specs))
    with pytest.raises(RuntimeError, match="boom"):
        write_workbook(load_plan(), path)
    assert path.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.xlsx"]


def test_streamed_workbook_of_a_larger_plan(tmp_path: Path) -> None:
    plan = synthetic_plan(600)
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path, read_only=True)
    assert book["Apps"].max_row == 601
    steps = sum(len(a["steps"]) for a in plan["apps"]) + sum(len(g["steps"]) for g in plan["gateways"])
    assert book["Steps"].max_row == 1 + steps


def test_fixture_follows_the_plan_schema() -> None:
    """The fixture is a plan@1 on purpose: the renderers keep reading plans of the previous version."""
    plan = load_plan()
    assert plan["schema"] == "vnet-planner/plan@1"
    schema_path = ROOT / "docs" / "plan-v1.schema.json"
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(plan, json.loads(schema_path.read_text(encoding="utf-8")))


def test_real_sample_plan_renders(tmp_path: Path) -> None:
    pipeline = pytest.importorskip("planner.plan.pipeline")
    plan = pipeline.run_plan(ROOT / "samples" / "contoso")
    path = tmp_path / "plan.xlsx"
    write_workbook(copy.deepcopy(plan), path)
    book = openpyxl.load_workbook(path)
    assert book["Apps"].max_row == 1 + len(gateway_required(plan))


def test_headers_are_never_narrower_than_their_text(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets[1:]:
        for cell in ws[1]:
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= len(str(cell.value)) + 2, (ws.title, cell.value, width)


def test_customer_columns_show_titles_with_the_code_beside(book: openpyxl.Workbook) -> None:
    plan = load_plan()
    blockers = [c.value for c in column(book["Apps"], "Blockers") if c.value]
    assert blockers and all("(" in b and ")" in b for b in blockers)
    title = plan["codes"]["CLASSIC_VNET"]["title"]
    assert any(f"{title} (CLASSIC_VNET)" in b for b in blockers)


def test_legend_sheet_explains_strategies_readiness_and_phases(book: openpyxl.Workbook) -> None:
    ws = book["Legend"]
    groups = {row[0].value for row in ws.iter_rows(min_row=2)}
    assert {"Readiness", "Strategy", "Phase", "Gateway decision", "Status"} <= groups
    terms = {row[1].value for row in ws.iter_rows(min_row=2)}
    assert {"direct", "slot-first", "blue-green", "needs-peering", "Blocked", "cutover"} <= terms
    plan = json.loads((Path(__file__).parent / "golden" / "contoso-plan.json").read_text(encoding="utf-8"))
    phases = {s["phase"] for a in plan["apps"] for s in a.get("steps") or ()} | {
        s["phase"] for g in plan["gateways"] for s in g.get("steps") or ()
    }
    assert phases <= terms, phases - terms  # every phase the plan uses is explained


def test_every_sheet_prints_one_page_wide_with_its_header_repeated(book: openpyxl.Workbook) -> None:
    for ws in book.worksheets[1:]:
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert ws.print_title_rows in ("1:1", "$1:$1"), ws.title


def test_libreoffice_opens_recalculates_and_prints_on_a4_without_cut_columns(tmp_path: Path) -> None:
    import re
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed: apt-get install libreoffice-calc-nogui")
    from typer.testing import CliRunner

    from planner.cli import app

    assert (
        CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--format", "xlsx,json", "-q"]).exit_code
        == 0
    )
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(tmp_path / "plan.xlsx")],
        check=True, capture_output=True, timeout=240,
    )  # fmt: skip
    pdf = (tmp_path / "plan.pdf").read_bytes()
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    boxes = re.findall(rb"/Type\s*/Page[^s][^>]*?/MediaBox\s*\[\s*([\d.\s]+)\]", pdf) or re.findall(
        rb"/MediaBox\s*\[\s*0 0 ([\d.]+ [\d.]+)\s*\]", pdf
    )
    movers = sum(
        1
        for a in json.loads((tmp_path / "plan.json").read_text())["apps"]
        if a["integration"] == "gateway-required"
    )
    assert 0 < len(pages) <= 30 * -(-movers // 100), len(pages)  # was 109 pages for these 22 apps
    a4 = {(595, 841), (841, 595), (841, 841)}  # portrait, landscape, and the page tree's default box
    for box in boxes:
        numbers = [float(n) for n in box.split()][-2:]
        assert (int(numbers[0]), int(numbers[1])) in a4, box  # no page wider than the paper


def test_gateways_deleted_on_summary_counts_deletions_only(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    assert (
        CliRunner().invoke(app, ["demo", "--out", str(tmp_path), "--format", "xlsx,json", "-q"]).exit_code
        == 0
    )
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Summary"]
    head = next(r for r in ws.iter_rows() if r[0].value == "Name" and r[7].value == "Gateways deleted")
    rows = [r for r in ws.iter_rows(min_row=head[0].row + 1) if isinstance(r[1].value, int)]
    deleted = sum(r[7].value or 0 for r in rows[: len(plan["waves"])])
    scheduled = sum(1 for g in plan["gateways"] if g["decommission"] == "yes" and g["removal_wave"])
    assert deleted == scheduled
    assert deleted < sum(
        len(w["gateway_ids"]) for w in plan["waves"]
    )  # kept gateways are cleaned, not deleted


def test_steps_sheet_of_a_huge_plan_holds_its_first_whole_waves_with_a_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planner.render.excel import rows as excel_rows
    from planner.render.schedule import schedule_of

    plan = load_plan()
    waves = schedule_of(plan).waves
    first = waves[0].steps
    assert len(waves) > 2 and waves[1].steps > 0
    # Wave 2 misses by one step.
    monkeypatch.setattr(excel_rows, "STEPS_SHEET_MAX_ROWS", first + waves[1].steps - 1)
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path)
    assert book["Steps"].max_row == 1 + first
    assert {c.value for c in column(book["Steps"], "Wave")} == {waves[0].number}
    notes = [r[1].value for r in book["Summary"].iter_rows() if r[0].value == "Note"]
    expected = f"Sheet Steps: the {first:,} steps of wave {waves[0].number},"
    assert any(n.startswith(expected) for n in notes), notes

    # Not even the first wave fits: its first apps, each with all its steps.
    monkeypatch.setattr(excel_rows, "STEPS_SHEET_MAX_ROWS", first - 1)
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path)
    shown = book["Steps"].max_row - 1
    assert 0 < shown < first
    owners = list(waves[0].owners())
    assert shown == sum(len(o["steps"]) for o in owners[: len(owners) - 1])  # whole apps only


def test_a_chunk_with_a_character_xml_refuses_is_written_cell_by_cell(tmp_path: Path) -> None:
    plan = load_plan()
    apps = gateway_required(plan)
    apps[1]["steps"][0]["title"] = " <b>&\x02 "
    path = tmp_path / "plan.xlsx"
    write_workbook(plan, path)
    book = openpyxl.load_workbook(path)
    titles = [c.value for c in column(book["Steps"], "What to do")]
    assert " <b>&\ufffd " in titles
    assert [c.value for c in column(book["Apps"], "App")] == [a["site_name"] for a in apps]


def test_service_endpoint_evidence_is_listed_once_per_vnet(tmp_path: Path) -> None:
    """plan@2: each app's SERVICE_ENDPOINTS row names its VNet; the VNet's rows name every resource."""
    from planner.plan.pipeline import run_plan

    plan = run_plan(ROOT / "samples" / "contoso")
    assert plan["vnets"], "the sample has apps whose VNet's subnets are admitted through service endpoints"
    write_workbook(plan, tmp_path / "plan.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "plan.xlsx")["Evidence"]
    cells = [column(ws, name) for name in ("Code", "Type", "Resource", "Value")]
    rows = [tuple(c.value for c in row) for row in zip(*cells, strict=True)]
    vnet_rows = [r for r in rows if r[0] == "SERVICE_ENDPOINTS" and r[1] == "VNet"]
    expected = [
        (rule["resource_id"], rule["value"])
        for vnet in plan["vnets"]
        for rule in (
            {"resource_id": resource["id"], "value": subnet}
            for resource in vnet["service_endpoint_resources"]
            for subnet in resource["subnets"]
        )
    ]
    assert sorted((r[2], r[3]) for r in vnet_rows) == sorted(expected)
    app_rows = [r for r in rows if r[0] == "SERVICE_ENDPOINTS" and r[1] in ("app", "slot")]
    vnet_ids = {v["id"] for v in plan["vnets"]}
    assert app_rows and all(r[2] in vnet_ids for r in app_rows)
