"""Sovereign clouds: portal links follow the scanned cloud, and `az rest` URLs carry no public host."""

from __future__ import annotations

import json
from pathlib import Path

import factory as f
import openpyxl

from planner.plan.pipeline import run_plan
from planner.render.excel import write_workbook


def test_us_government_inventory(tmp_path: Path) -> None:
    manifest = {**f.manifest([f.APP_ID]), "cloud": "AzureUSGovernment"}
    plan = run_plan(f.write(tmp_path / "inv", f.base_tenant(), manifest))
    assert plan["cloud"] == {
        "name": "AzureUSGovernment",
        "portal": "https://portal.azure.us",
        "resource_manager": "https://management.usgovcloudapi.net",
    }
    steps = json.dumps(plan["apps"][0]["steps"])
    assert "az rest" in steps and "management.azure.com" not in steps  # az rest adds the cloud's endpoint
    write_workbook(plan, tmp_path / "plan.xlsx")
    links = [
        c.hyperlink.target
        for row in openpyxl.load_workbook(tmp_path / "plan.xlsx")["Apps"].iter_rows()
        for c in row
        if c.hyperlink
    ]
    assert links and all(
        link.startswith(("https://portal.azure.us/", "https://learn.microsoft.com/")) for link in links
    )


def test_public_cloud_by_default(tmp_path: Path) -> None:
    plan = run_plan(f.write(tmp_path / "inv", f.base_tenant()))
    assert plan["cloud"]["portal"] == "https://portal.azure.com"
