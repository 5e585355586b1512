"""`vnet-planner scan` end to end: the CLI, the real SDK clients and the HTTPS fake on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fake_azure import ARG_PATH, FakeAzure, Fault, Tenant, synthetic_tenant
from typer.testing import CliRunner, Result

from planner import __version__
from planner.cli.scan import register
from planner.collect.arm import ArmCall
from planner.collect.auth import Connection
from planner.collect.queries import QUERY_NAMES, load_queries
from planner.collect.retry import Backoff
from planner.collect.scan import ScanOptions, run_scan, select_tasks
from planner.collect.writer import STATE_DIR
from planner.core.redact import redact

ROOT = Path(__file__).resolve().parent.parent
TENANT = synthetic_tenant(6, 60, slot_every=5)
SUB_NAMES = {
    r["subscriptionId"]: r["name"] for r in TENANT if r.get("type") == "microsoft.resources/subscriptions"
}
SUBS = sorted(SUB_NAMES)
SITES = [r for r in TENANT if r.get("type") in ("microsoft.web/sites", "microsoft.web/sites/slots")]
PLANS = [r for r in TENANT if r.get("type") == "microsoft.web/serverfarms"]
TASKS = select_tasks(SITES, PLANS)[0]
DATA_SETS = (*QUERY_NAMES, "vnetconnections", "kvreferences", "networkconfig")


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert") as server:
        yield server


def scan(fake: FakeAzure, out: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, ["scan", "--out", str(out), *args], env={**fake.env(), **(env or {})})


def manifest(out: Path) -> dict[str, Any]:
    return json.loads((out / "manifest.json").read_text())


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_complete_scan_writes_every_data_set_and_the_manifest(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out, "--batch-size", "4")
    assert result.exit_code == 0, result.output
    assert "complete" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*(f"{d}.jsonl" for d in DATA_SETS), "manifest.json"]
    )
    m = manifest(out)
    assert m["schema"] == "vnet-planner/inventory@1" and m["tool_version"] == __version__
    assert m["cloud"] == "AzureCloud" and m["partial"] is False
    assert m["started_at"] <= m["finished_at"] and m["finished_at"].endswith("Z")
    assert sorted(m["scope"]["subscriptions"]) == SUBS and m["scope"]["management_group"] is None
    assert [s["status"] for s in m["subscriptions"]] == ["ok"] * len(SUBS)
    assert {s["name"] for s in m["subscriptions"]} == {f"sub-{i:03d}" for i in range(6)}
    for name, query in load_queries().items():
        assert m["queries"][name]["sha256"] == query.sha256
        assert m["queries"][name]["rows"] == len(lines(out / f"{name}.jsonl"))
    assert m["queries"]["sites"]["pages"] == 2  # 6 subscriptions in batches of 4
    for call in ArmCall:
        expected = sorted(t.app.id.lower() for t in TASKS if t.call is call)
        assert sorted(i.lower() for i in m["arm"][call.value]["fetched"]) == expected
        assert m["arm"][call.value]["failed"] == []
    assert m["calls"] == {
        "resource_graph": fake.stats.count(kind="arg"),
        "arm": fake.stats.count(kind="arm"),
        "retries": 0,
    }
    assert not (out / STATE_DIR).exists()  # nothing left to resume


def test_resource_graph_rows_and_arm_records_are_written_as_served(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 0
    sites = lines(out / "sites.jsonl")
    assert sorted(r["id"] for r in sites) == sorted(r["id"] for r in SITES)
    original = {r["id"]: r for r in SITES}
    assert all(r == original[r["id"]] for r in sites)
    connections = lines(out / "vnetconnections.jsonl")
    served = [r for r in TENANT if "/virtualNetworkConnections/" in r["id"]]
    candidates = {t.app.id.lower() for t in TASKS}
    assert sorted(connections, key=lambda r: r["id"]) == sorted(
        # As served, but with certificate data as digests (planner/core/redact.py).
        (redact(r) for r in served if r["id"].split("/virtualNetworkConnections/")[0].lower() in candidates),
        key=lambda r: r["id"],
    )
    references = lines(out / "kvreferences.jsonl")
    assert references and all("type" not in r and "value" not in r["properties"] for r in references)


def test_403_on_one_subscription_is_partial_exit_3_and_says_which(fake: FakeAzure, tmp_path: Path) -> None:
    denied = SUBS[2]
    fake.forbidden_subscriptions = {denied}
    out = tmp_path / "inv"
    result = scan(fake, out)
    assert result.exit_code == 3, result.output
    assert "PARTIAL" in result.stdout and denied in result.stdout
    m = manifest(out)
    assert m["partial"] is True
    failed = [s for s in m["subscriptions"] if s["status"] == "failed"]
    assert failed == [
        {
            "id": denied,
            "name": SUB_NAMES[denied],
            "status": "failed",
            "reason": "403 AuthorizationFailed (query sites)",
        }
    ]
    assert m["queries"]["sites"]["status"] == "partial"
    # Everything else was read: every app of the other subscriptions, and their ARM calls.
    sites = {r["id"] for r in lines(out / "sites.jsonl")}
    assert sites == {r["id"] for r in SITES if r["subscriptionId"] != denied}
    fetched = {i.lower() for i in m["arm"]["virtualNetworkConnections"]["fetched"]}
    assert fetched == {
        t.app.id.lower() for t in TASKS if t.call is ArmCall.VNET_CONNECTIONS and denied not in t.app.id
    }
    assert not [r for r in fake.stats.requests if r.path != ARG_PATH and denied in r.path]
    assert (out / STATE_DIR).is_dir()  # kept for --resume


def test_a_failed_arm_call_is_listed_with_its_status_and_exit_3(fake: FakeAzure, tmp_path: Path) -> None:
    task = next(t for t in TASKS if t.call is ArmCall.KEY_VAULT_REFERENCES)
    fake.add_fault(
        Fault(
            status=429,
            retry_after=0,
            path_contains=task.app.id.lower() + "/config/",
            message="busy",
            times=99,
        )
    )
    out = tmp_path / "inv"
    result = scan(fake, out, "--max-retries", "2")
    assert result.exit_code == 3
    m = manifest(out)
    assert m["arm"]["keyVaultReferences"]["failed"] == [
        {"id": task.app.id, "status": 429, "reason": "TooManyRequests: busy, gave up after 2 retries"}
    ]
    assert task.app.id not in m["arm"]["keyVaultReferences"]["fetched"]
    assert task.app.id in m["arm"]["virtualNetworkConnections"]["fetched"]
    assert m["calls"]["retries"] == 2
    assert all(s["status"] == "ok" for s in m["subscriptions"])


def test_faults_everywhere_are_survived_with_nothing_lost(fake: FakeAzure, tmp_path: Path) -> None:
    """429 with and without Retry-After, quota headers, a dropped connection: complete, exit 0."""
    fake.page_limit = 25
    fake.arg_quota = (6, 1.0)
    fake.arm_throttle = (30, 200.0)
    fake.whole_second_retry_after = False
    fake.add_fault(Fault(status=429, retry_after=0.2, path_contains=ARG_PATH, times=1))
    fake.add_fault(Fault(status=429, retry_after=None, path_contains="/virtualnetworkconnections", times=2))
    fake.add_fault(Fault(kind="drop", path_contains="/networkconfig/", times=1))
    fake.add_fault(Fault(kind="drop", path_contains=ARG_PATH, times=1))
    clean = tmp_path / "clean"
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert2") as calm:
        assert scan(calm, clean).exit_code == 0
    out = tmp_path / "inv"
    # The library entry point, for a quick back-off; the CLI adds only arguments and exit codes.
    options = ScanOptions(out=out, retry=Backoff(attempts=6, base=0.05, cap=0.2))
    result = run_scan(options, connection=Connection.from_env(env=fake.env()))
    assert not result.partial, result.reasons
    assert fake.stats.throttled >= 3 and fake.stats.dropped == 2
    for name in DATA_SETS:
        assert (out / f"{name}.jsonl").read_text() == (clean / f"{name}.jsonl").read_text(), name
    m = manifest(out)
    assert m["calls"]["retries"] >= 5 and m["partial"] is False


def test_resume_reuses_finished_work_and_fetches_only_what_failed(fake: FakeAzure, tmp_path: Path) -> None:
    broken = SUBS[1]
    fault = Fault(
        status=403, code="AuthorizationFailed", subscription=broken, path_contains="/sites/", times=10**6
    )
    fake.add_fault(fault)
    out = tmp_path / "inv"
    first = scan(fake, out)
    assert first.exit_code == 3
    failed_calls = sum(len(v["failed"]) for v in manifest(out)["arm"].values())
    assert failed_calls == sum(1 for t in TASKS if t.app.subscription == broken)
    fault.times = 0  # access fixed
    before = len(fake.stats.requests)
    second = scan(fake, out, "--resume")
    assert second.exit_code == 0, second.output
    again = fake.stats.requests[before:]
    assert [r for r in again if r.path == ARG_PATH] == []  # every data set was finished: reused
    assert len(again) == failed_calls and all(broken in r.path for r in again)
    m = manifest(out)
    assert m["partial"] is False and m["calls"]["arm"] == failed_calls
    for call in ArmCall:
        assert len(m["arm"][call.value]["fetched"]) == sum(1 for t in TASKS if t.call is call)
    clean = tmp_path / "clean"
    fake.faults.clear()
    assert scan(fake, clean).exit_code == 0
    for name in DATA_SETS:
        assert (out / f"{name}.jsonl").read_text() == (clean / f"{name}.jsonl").read_text(), name
    assert not (out / STATE_DIR).exists()


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_resume_after_the_scan_was_stopped(fake: FakeAzure, tmp_path: Path, stop: signal.Signals) -> None:
    """Killed or interrupted in the middle of the ARM phase: --resume keeps every call that had finished."""
    fake.latency = 0.02
    out = tmp_path / "inv"
    env = {**os.environ, **fake.env()}
    command = [
        sys.executable,
        "-m",
        "planner.cli.scan",
        "scan",
        "--out",
        str(out),
        "--concurrency",
        "2",
        "-q",
    ]
    # A shell that starts the tests as a background job leaves SIGINT ignored, and a Python started
    # with SIGINT ignored never raises KeyboardInterrupt: give the scan the default, as a terminal does.
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)
    )
    journal = out / STATE_DIR / "arm-journal"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (
        not journal.exists() or len(journal.read_text().splitlines()) < 20
    ):
        time.sleep(0.02)
    fake.latency = 1.0  # the calls left now take long, so the stop lands mid-phase however busy the machine
    process.send_signal(stop)
    assert process.wait(timeout=10) != 0  # Ctrl-C stops the workers too, promptly
    fake.latency = 0.02
    done = len(journal.read_text().splitlines())
    assert 20 <= done < len(TASKS), "the scan was not killed in its ARM phase"
    assert manifest(out)["partial"] is True  # the folder says it is unfinished
    before = len(fake.stats.requests)
    result = scan(fake, out, "--resume")
    assert result.exit_code == 0, result.output
    arm_again = [r for r in fake.stats.requests[before:] if r.path != ARG_PATH]
    # A call that was in flight when the process died may be made again; finished ones are not.
    assert len(TASKS) - done <= len(arm_again) <= len(TASKS) - done + 2
    m = manifest(out)
    assert m["partial"] is False
    for call in ArmCall:
        assert len(m["arm"][call.value]["fetched"]) == sum(1 for t in TASKS if t.call is call)


def test_resume_refuses_a_folder_of_another_scope(fake: FakeAzure, tmp_path: Path) -> None:
    fake.forbidden_subscriptions = {SUBS[0]}
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 3
    result = scan(fake, out, "--resume", "--subscription", SUBS[1])
    assert result.exit_code == 2 and "another scope" in result.stderr


def test_resume_without_unfinished_work_starts_a_new_scan(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 0
    result = scan(fake, out, "--resume")
    assert result.exit_code == 0 and "starting a new one" in result.stderr


def test_subscription_and_management_group_cannot_be_combined(fake: FakeAzure, tmp_path: Path) -> None:
    result = scan(fake, tmp_path / "inv", "--subscription", SUBS[0], "--management-group", "mg-prod")
    assert result.exit_code == 2 and "cannot be combined" in result.stderr
    assert fake.stats.requests == []


def test_batch_size_over_1000_is_bad_usage(fake: FakeAzure, tmp_path: Path) -> None:
    assert scan(fake, tmp_path / "inv", "--batch-size", "1001").exit_code == 2


def test_management_group_scope(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    assert scan(fake, out, "--management-group", "mg-prod").exit_code == 0
    m = manifest(out)
    expected = {
        r["subscriptionId"]
        for r in TENANT
        if r.get("type") == "microsoft.resources/subscriptions"
        and r["properties"]["managementGroupAncestorsChain"][0]["name"] == "mg-prod"
    }
    assert set(m["scope"]["subscriptions"]) == expected and 0 < len(expected) < len(SUBS)
    assert m["scope"]["management_group"] == "mg-prod"
    assert {r["subscriptionId"] for r in lines(out / "sites.jsonl")} == expected


def test_explicit_subscriptions_and_one_that_is_not_visible(fake: FakeAzure, tmp_path: Path) -> None:
    missing = "99999999-9999-9999-9999-999999999999"
    out = tmp_path / "inv"
    result = scan(fake, out, "-s", SUBS[0], "-s", SUBS[3].upper(), "-s", missing)
    assert result.exit_code == 3
    m = manifest(out)
    status = {s["id"].lower(): s for s in m["subscriptions"]}
    assert status[SUBS[0]]["status"] == status[SUBS[3]]["status"] == "ok"
    assert status[missing]["status"] == "failed" and "resourcecontainers" in status[missing]["reason"]
    assert {r["subscriptionId"] for r in lines(out / "sites.jsonl")} == {SUBS[0], SUBS[3]}


def test_quiet_prints_nothing_when_complete(fake: FakeAzure, tmp_path: Path) -> None:
    result = scan(fake, tmp_path / "inv", "--quiet")
    assert result.exit_code == 0 and result.stdout == "" and result.stderr == ""


def test_an_untrusted_certificate_stops_the_scan_at_once(fake: FakeAzure, tmp_path: Path) -> None:
    """TLS is verified: with the system bundle the fake's self-signed certificate is refused, unretried."""
    system = os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    result = scan(fake, tmp_path / "inv", env={"REQUESTS_CA_BUNDLE": system})
    assert result.exit_code == 1 and "TLS" in result.stderr
    assert fake.stats.requests == []  # no request ever got through the refused handshake


def test_a_wrong_token_stops_the_scan_and_keeps_the_previous_inventory(
    fake: FakeAzure, tmp_path: Path
) -> None:
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    requests = len(fake.stats.requests)
    result = scan(fake, out, env={"VNET_PLANNER_TOKEN": "stolen"})
    # A credential problem, not an unexpected one: exit 2, one line saying what to do, no progress bar.
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        "error: Azure Resource Manager refused the token (401 AuthenticationFailed): set a fresh VNET_PLANNER_TOKEN\n"
    )
    assert len(fake.stats.requests) == requests + 1  # not retried
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_folder_with_other_json_files_is_scanned_with_a_warning(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    (out / "old").mkdir(parents=True)
    (out / "old" / "sites.json").write_text("[]")
    result = scan(fake, out)
    assert result.exit_code == 0
    assert "1 other JSON file(s)" in result.stdout and "old/sites.json" in result.stdout
    assert (out / "old" / "sites.json").read_text() == "[]"  # not ours: left alone
