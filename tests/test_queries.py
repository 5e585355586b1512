"""The Resource Graph queries: headers, the `queries` command, and Microsoft's Kusto parser on every file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import factory as f
import pytest
import typer
from typer.testing import CliRunner

from planner.cli.scan import register
from planner.collect.queries import QUERY_NAMES, get_query, load_queries, parse_header, preflight_query

ROOT = Path(__file__).resolve().parent.parent
KUSTO = ROOT / "tests" / "kusto"
ARM_COLUMNS = f.RESOURCE_MEMBERS


def test_every_data_set_of_the_inventory_contract_has_a_query_file() -> None:
    """docs/inventory.md names the Resource Graph data sets; each has its .kql file and nothing else ships."""
    doc = (ROOT / "docs" / "inventory.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"\| `([a-z]+)` \| Resource Graph", doc))
    assert documented == set(QUERY_NAMES)
    assert {p.stem for p in (ROOT / "queries").glob("*.kql")} == set(QUERY_NAMES)


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_header_names_table_purpose_and_the_full_arm_columns(name: str) -> None:
    query = get_query(name)
    assert parse_header(query.text)["name"] == name
    assert query.table in ("resources", "resourcecontainers")
    assert query.purpose
    assert query.columns == ARM_COLUMNS
    body = [line for line in query.text.splitlines() if not line.startswith("//")]
    # Paging needs `id` projected and a stable order (azure-facts §8).
    assert body[0] == query.table
    assert body[-1] == "| order by id asc"
    assert body[-2] == "| project " + ", ".join(ARM_COLUMNS)
    for rtype in query.type_list:
        assert f"'{rtype}'" in query.text, f"{name}: header type {rtype} is not in the where clause"


def test_sha256_identifies_the_text_sent() -> None:
    import hashlib

    for query in load_queries().values():
        assert query.sha256 == hashlib.sha256(query.text.encode()).hexdigest()
        assert query.text == (ROOT / "queries" / f"{query.name}.kql").read_text(encoding="utf-8")


def test_the_data_sets_select_disjoint_types() -> None:
    """A resource read by two queries would be counted twice in the scan's row counts."""
    seen: dict[str, str] = {}
    for query in load_queries().values():
        for rtype in query.type_list:
            assert rtype not in seen, f"{rtype} in {seen.get(rtype)} and {query.name}"
            seen[rtype] = query.name
    # networkrules selects by content; it must leave the vaults to their own query.
    assert "microsoft.keyvault/vaults" in get_query("networkrules").types


def test_get_query_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="sites"):
        get_query("nope")


# -- Microsoft's Kusto parser -----------------------------------------------------------------------


def _kusto(files: list[Path]) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the KQL files cannot be checked with Microsoft's Kusto parser")
    # With node there, a missing parser is a setup error, not a reason to skip (tests make no
    # network calls, so they do not install it themselves).
    assert (KUSTO / "node_modules" / "@kusto" / "language-service-next").is_dir(), (
        "Microsoft's Kusto parser is not installed: run `npm install` in tests/kusto (.ci/run does)"
    )
    done = subprocess.run(
        [node, str(KUSTO / "check.js"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)["files"]


def test_every_query_parses_and_type_checks_with_the_kusto_parser() -> None:
    files = [ROOT / "queries" / f"{name}.kql" for name in QUERY_NAMES]
    report = _kusto(files)
    for file in files:
        result = report[str(file)]
        assert result["diagnostics"] == [], f"{file.name}: {result['diagnostics']}"
        # The columns the parser infers are the ones the header promises.
        assert tuple(result["columns"]) == get_query(file.stem).columns, file.name


def test_the_preflight_query_parses_and_projects_what_its_header_says() -> None:
    """`preflight` samples apps with its own query (queries/preflight/), which no scan sends."""
    query = preflight_query()
    file = ROOT / "queries" / "preflight" / "apps.kql"
    assert query.text == file.read_text(encoding="utf-8") and query.name == "preflight-apps"
    assert query.name not in QUERY_NAMES and query.type_list == ("microsoft.web/sites",)
    result = _kusto([file])[str(file)]
    assert result["diagnostics"] == []
    assert tuple(result["columns"]) == query.columns == ("id", "name", "subscriptionId", "resourceGroup")


def test_the_kusto_check_catches_errors(tmp_path: Path) -> None:
    """Guard against a checker that passes everything: an unknown column and a syntax error fail."""
    bad_column = tmp_path / "bad_column.kql"
    bad_column.write_text("resources | where typ =~ 'microsoft.web/sites' | project id\n")
    bad_syntax = tmp_path / "bad_syntax.kql"
    bad_syntax.write_text("resources | where type =~ | project id\n")
    wrong_table = tmp_path / "wrong_table.kql"
    wrong_table.write_text("appserviceresourcez | project id\n")
    report = _kusto([bad_column, bad_syntax, wrong_table])
    for file in (bad_column, bad_syntax, wrong_table):
        assert any(d["severity"] == "Error" for d in report[str(file)]["diagnostics"]), file.name
    assert "typ" in report[str(bad_column)]["diagnostics"][0]["message"]


def test_the_checker_reads_every_query_file_by_default() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the KQL files cannot be checked with Microsoft's Kusto parser")
    done = subprocess.run(
        [node, str(KUSTO / "check.js")], capture_output=True, text=True, timeout=120, check=True
    )
    files = json.loads(done.stdout)["files"]
    assert sorted(Path(f).stem for f in files) == sorted(QUERY_NAMES)
    assert all(r["diagnostics"] == [] for r in files.values())


def test_both_spellings_of_the_tables_are_known(tmp_path: Path) -> None:
    upper = tmp_path / "upper.kql"
    upper.write_text("Resources | project id, kind\n| union (ResourceContainers | project id, kind)\n")
    assert _kusto([upper])[str(upper)]["diagnostics"] == []


# -- `vnet-planner queries` -------------------------------------------------------------------------


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_queries_command_prints_one_query_verbatim() -> None:
    result = CliRunner().invoke(_app(), ["queries", "--name", "sites"])
    assert result.exit_code == 0
    assert result.stdout == get_query("sites").text


def test_queries_command_prints_all_of_them_in_scan_order() -> None:
    result = CliRunner().invoke(_app(), ["queries"])
    assert result.exit_code == 0
    names = re.findall(r"^// name: (\w+)$", result.stdout, flags=re.MULTILINE)
    assert tuple(names) == QUERY_NAMES


def test_queries_command_refuses_an_unknown_name() -> None:
    result = CliRunner().invoke(_app(), ["queries", "--name", "apps"])
    assert result.exit_code == 2
    assert "sites" in result.stderr
