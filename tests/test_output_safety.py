"""Output safety (issue 8, part 2): hostile names and tags stay data in every output.

Names, tags, resource groups, VNet, gateway and subscription names are planted with HTML, script,
formula prefixes (`= + - @`, tab, CR), control characters, a bidi override and very long text; the
full `plan` then runs with every format. The checks: plan.json keeps every value exactly; the HTML
page has the same element structure as a page of harmless names (no tag or attribute added) and its
data block round-trips; no workbook cell is a formula and every text reads back as written (control
characters as U+FFFD); every CSV cell that starts like a formula is quoted; the scripts pass
`bash -n` and run (dry and with --execute against a fake `az`) without the shell ever interpreting
a value.
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import subprocess
import zipfile
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import factory as f
import openpyxl
import pytest
from test_excel import OUR_FORMULA
from typer.testing import CliRunner

from planner.cli import app

runner = CliRunner()
CONTROL = "".join(chr(c) for c in range(32))
HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    '"><svg onload=alert(3)>',
    "</script><script>alert(4)</script>",
    '=HYPERLINK("http://x","y")',
    "+1+2",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|' /C calc'!A0",
    CONTROL,
    "a\x00b",
    "\u202egnp.exe",
    "$(touch pwned)",
    "`touch pwned`",
    "'; touch pwned; echo '",
    "evil\ntouch pwned-newline\n#",
    '"; Start-Process calc; "',
    "&amp; &lt;b&gt;",
    "{{ 7*7 }}",
    "ünïcødé 名前 😀",
    "L" + "ong-" * 2500,
]
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
SUB_NAME = "<b>sub</b> =1+1"
VNET_NAME = '=HYPERLINK("http://vnet")'
GATEWAY_NAME = "<script>alert('gw')</script>"


def hostile_tenant(values: list[str]) -> list[dict[str, Any]]:
    """One gateway-required app per value: the value is its name, resource group, a tag key and a tag value."""
    resources = f.base_tenant()
    resources[0]["name"] = SUB_NAME
    resources[3]["name"] = VNET_NAME
    resources[4]["name"] = GATEWAY_NAME
    for index, value in enumerate(values):
        app_id = f.APP_ID.replace("app1", f"app-{index}")
        site = f.site(app_id)
        site["name"] = value
        site["resourceGroup"] = value
        site["tags"] = {value: value, "owner": value, f"k{index}": "plain"}
        resources += [site, f.vnet_connection(app_id), f.network_config(app_id)]
    return resources


def run(tmp_path: Path, values: list[str], name: str) -> Path:
    inventory = f.write(tmp_path / f"inv-{name}", hostile_tenant(values))
    out = tmp_path / f"out-{name}"
    result = runner.invoke(
        app,
        ["plan", str(inventory), "--out", str(out), "-q", "--format", "json,csv,xlsx,html,scripts"],
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run(tmp_path_factory.mktemp("safety"), HOSTILE, "hostile")


@pytest.fixture(scope="module")
def harmless(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same tenant with plain names: the page structure the hostile one must keep."""
    return run(tmp_path_factory.mktemp("safety"), [f"name{i}" for i in range(len(HOSTILE))], "plain")


def planted_apps(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["id"].rsplit("/", 1)[-1]: a for a in plan["apps"] if "/sites/app-" in a["id"]}


# ------------------------------------------------------------------------------------ JSON


def test_json_keeps_every_value_exactly(outputs: Path) -> None:
    plan = json.loads((outputs / "plan.json").read_text(encoding="utf-8"))
    apps = planted_apps(plan)
    assert len(apps) == len(HOSTILE)
    for index, value in enumerate(HOSTILE):
        got = apps[f"app-{index}"]
        assert got["name"] == value and got["resource_group"] == value
        assert got["tags"] == {value: value, "owner": value, f"k{index}": "plain"}
        assert got["context"]["vnet_name"] == VNET_NAME
    assert plan["gateways"][0]["name"] == GATEWAY_NAME
    assert plan["subscriptions"][0]["name"] == SUB_NAME


# ------------------------------------------------------------------------------------ HTML


class _Page(HTMLParser):
    """Element structure (tag and attribute names), script blocks and text of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.structure: Counter[tuple[str, tuple[str, ...]]] = Counter()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.text: list[str] = []
        self._in_script = False
        self.script_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = tuple(sorted(name for name, _ in attrs))
        self.structure[(tag, names)] += 1
        self.handlers += [name for name in names if name.startswith("on")]
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True
            self.script_text.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text[-1] += data
        else:
            self.text.append(data)


def _page(folder: Path) -> _Page:
    page = _Page()
    page.feed((folder / "runbook.html").read_text(encoding="utf-8"))
    page.close()
    return page


def test_html_structure_is_that_of_a_harmless_page(outputs: Path, harmless: Path) -> None:
    hostile, plain = _page(outputs), _page(harmless)
    assert hostile.structure == plain.structure  # no element or attribute came from data
    assert [s.get("type") for s in hostile.scripts] == ["application/json", None]
    assert hostile.handlers == []
    text = "".join(hostile.text)
    # Rendered on the server (autoescaped): they read back as text, never as markup.
    assert GATEWAY_NAME in text and SUB_NAME in text
    raw = (outputs / "runbook.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "<img src=x" not in raw and "<svg onload" not in raw


def test_html_data_block_round_trips(outputs: Path) -> None:
    data = json.loads(_page(outputs).script_text[0])
    found = json.dumps(data, ensure_ascii=False)
    for value in HOSTILE:
        assert json.dumps(value, ensure_ascii=False) in found, value[:40]


def test_html_has_a_policy_that_forbids_requests_and_foreign_scripts(outputs: Path) -> None:
    raw = (outputs / "runbook.html").read_text(encoding="utf-8")
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', raw)
    assert policy is not None
    directives = dict(d.strip().split(" ", 1) for d in policy.group(1).split(";") if d.strip())
    assert directives["default-src"] == "'none'"
    assert directives["script-src"].startswith("'sha256-") and "unsafe" not in directives["script-src"]


# ------------------------------------------------------------------------------------ Excel


def excel_form(value: str) -> str:
    """What a workbook cell holds for a value: XML-illegal control characters as U+FFFD."""
    return XML_ILLEGAL.sub("\ufffd", value)


def test_no_workbook_cell_is_a_formula_and_texts_read_back(outputs: Path) -> None:
    book = openpyxl.load_workbook(outputs / "plan.xlsx")
    texts: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":  # only the Summary's own progress formulas
                    assert sheet.title == "Summary" and OUR_FORMULA.fullmatch(cell.value), cell.value
                    continue
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value.startswith(FORMULA_PREFIXES):
                        assert cell.quotePrefix, (sheet.title, cell.coordinate, cell.value)
    exact = set(texts)
    for value in HOSTILE:
        assert excel_form(value) in exact, value[:40]  # the app name cell, exactly (or U+FFFD)
    with zipfile.ZipFile(outputs / "plan.xlsx") as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = archive.read(name).decode("utf-8")
                for found in re.findall(r"<f>(.*?)</f>", xml):  # the Summary's progress formulas only
                    assert name == "xl/worksheets/sheet1.xml" and OUR_FORMULA.fullmatch(
                        "=" + html.unescape(found)
                    )
                assert "<f " not in xml, name


# ------------------------------------------------------------------------------------ CSV


def test_csv_neutralises_formula_like_cells_and_keeps_the_rest(outputs: Path) -> None:
    for name in ("apps.csv", "gateways.csv"):
        with (outputs / name).open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        assert rows
        for row in rows:
            for column, cell in row.items():
                assert not cell.startswith(FORMULA_PREFIXES), (name, column, cell[:40])
    with (outputs / "apps.csv").open(encoding="utf-8", newline="") as handle:
        by_id = {r["id"].rsplit("/", 1)[-1]: r for r in csv.DictReader(handle)}
    for index, value in enumerate(HOSTILE):
        row = by_id[f"app-{index}"]
        expected = "'" + value if value.startswith(FORMULA_PREFIXES) else value
        assert row["name"] == expected and row["resource_group"] == expected
        assert json.loads(row["tags"]) == {value: value, "owner": value, f"k{index}": "plain"}


# ------------------------------------------------------------------------------------ scripts


FAKE_AZ = """#!/usr/bin/env bash
printf '%s\\n' "$@" >> "$AZ_LOG"
echo '--end--' >> "$AZ_LOG"
"""


@pytest.mark.parametrize("args", [[], ["--execute"]])
def test_scripts_never_let_the_shell_read_a_value(  # found: a name with a newline ended a rollback comment
    outputs: Path, tmp_path: Path, args: list[str]
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "az").write_text(FAKE_AZ, encoding="utf-8")
    (bin_dir / "az").chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "AZ_LOG": str(tmp_path / "log"),
    }
    scripts = sorted((outputs / "scripts").glob("*.sh"))
    assert scripts
    for script in scripts:
        assert subprocess.run(["bash", "-n", str(script)], capture_output=True).returncode == 0, script
        result = subprocess.run(
            ["bash", str(script), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode in (0, 3), result.stderr  # 3: stopped at a manual step
    assert not (tmp_path / "pwned").exists()
    assert not list(tmp_path.glob("*pwned*"))
