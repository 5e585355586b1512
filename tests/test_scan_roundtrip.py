"""Round trip: a folder the fake serves -> `scan` -> the planner reads the same tenant (and plans it the same)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fake_azure import FakeAzure, Fault, Tenant, arm_call_of, synthetic_tenant, write_inventory

from planner.collect.auth import Connection
from planner.collect.retry import Backoff
from planner.collect.scan import ScanOptions, run_scan, select_tasks
from planner.core.redact import redact
from planner.core.settings import Settings
from planner.inventory.loader import load_inventory

ROOT = Path(__file__).resolve().parent.parent
CONTOSO = ROOT / "samples" / "contoso"


def _scan(
    source: Path, out: Path, cert_dir: Path, *, retry: Backoff | None = None, faults: list[Fault] = ()
) -> Any:
    with FakeAzure(Tenant.from_path(source), cert_dir=cert_dir) as fake:
        for fault in faults:
            fake.add_fault(fault)
        options = ScanOptions(out=out, retry=retry or Backoff(attempts=3, base=0.01))
        return run_scan(options, connection=Connection.from_env(env=fake.env()))


def test_scanned_inventory_reads_as_the_original(tmp_path: Path) -> None:
    """Every resource of a hand-built inventory (all four file shapes) comes back, field for field,
    except the per-app ARM records of apps the scan does not call (plans without gateway-required)."""
    tenant = synthetic_tenant(5, 50, slot_every=3)
    source = write_inventory(tmp_path / "source", tenant)
    result = _scan(source, tmp_path / "scanned", tmp_path / "cert")
    assert not result.partial, result.reasons
    original, scanned = load_inventory(source), load_inventory(tmp_path / "scanned")
    assert scanned.by_type.keys() == original.by_type.keys()
    sites = [r for r in tenant if r.get("type") in ("microsoft.web/sites", "microsoft.web/sites/slots")]
    tasks, _ = select_tasks(sites, [r for r in tenant if r.get("type") == "microsoft.web/serverfarms"])
    called = {(t.call.dataset, t.app.id.lower()) for t in tasks}
    skipped = 0
    for rtype, resources in original.by_type.items():
        expected = {}
        for key, resource in resources.items():
            call = arm_call_of(resource)
            if call is None or call in called:
                expected[key] = redact(resource)  # certificate data arrives as digests only
            else:
                skipped += 1
        assert scanned.by_type[rtype] == expected, rtype
    assert skipped > 0  # e.g. Key Vault references of a Consumption function app
    # What no query selects is not read: the disks were "unknown" to the planner anyway.
    assert dict(original.unknown_types) == {"microsoft.compute/disks": 5}
    assert dict(scanned.unknown_types) == {}
    assert scanned.duplicates_merged == 0


def _contoso_faults(manifest: dict[str, Any]) -> tuple[list[Fault], int]:
    """Faults that make the fake fail the calls the sample's manifest lists as failed, the same way."""
    segment = {
        "virtualNetworkConnections": "/virtualnetworkconnections",
        "keyVaultReferences": "/config/configreferences",
        "networkConfig": "/networkconfig",
    }
    faults: list[Fault] = []
    retries = 0
    for call, lists in manifest.get("arm", {}).items():
        for failed in lists.get("failed", []):
            match = re.fullmatch(r"(\w+): (.*?)(?:, gave up after (\d+) retries)?", failed["reason"])
            assert match, failed["reason"]
            code, message, spent = match.groups()
            retries = max(retries, int(spent or 0))
            path = failed["id"].lower() + segment[call]
            faults.append(
                Fault(
                    status=failed["status"],
                    code=code,
                    message=message,
                    retry_after=0,
                    path_contains=path,
                    times=10**6,
                )
            )
    return faults, retries


def _comparable(plan: dict[str, Any]) -> dict[str, Any]:
    plan = json.loads(json.dumps(plan))
    plan.pop("generated_at", None)
    for key in ("path", "files", "name", "scanned_at"):  # where and when it was written, not what it says
        plan.get("inventory", {}).pop(key, None)
    return plan


@pytest.mark.skipif(not (CONTOSO / "manifest.json").exists(), reason="samples/contoso is not there")
def test_scan_of_the_sample_tenant_plans_exactly_as_the_sample(tmp_path: Path) -> None:
    pipeline = pytest.importorskip("planner.plan.pipeline")
    manifest = json.loads((CONTOSO / "manifest.json").read_text())
    faults, retries = _contoso_faults(manifest)
    result = _scan(
        CONTOSO, tmp_path / "scanned", tmp_path / "cert", retry=Backoff(attempts=retries + 1), faults=faults
    )
    assert result.partial == manifest["partial"]
    scanned = result.manifest
    for call, lists in manifest["arm"].items():
        assert sorted(i.lower() for i in scanned["arm"][call]["fetched"]) == sorted(
            i.lower() for i in lists["fetched"]
        )
        assert scanned["arm"][call]["failed"] == lists["failed"]
    assert {s["id"] for s in scanned["subscriptions"]} == {s["id"] for s in manifest["subscriptions"]}
    today = date(2026, 11, 29)
    expected = _comparable(pipeline.run_plan(CONTOSO, Settings(as_of=today)))
    actual = _comparable(pipeline.run_plan(tmp_path / "scanned", Settings(as_of=today)))
    assert actual == expected
    # Certificate data never reaches the disk: digests stand in for it (planner/core/redact.py).
    written = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "scanned").rglob("*") if p.is_file())
    assert '"certBlob"' not in written and '"publicCertData"' not in written
    assert '"certBlobSha256"' in written and '"publicCertDataSha256"' in written
