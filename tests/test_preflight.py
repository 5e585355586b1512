"""`vnet-planner preflight` against the local HTTPS fake: the real SDK clients, tokens shaped like
Entra ID's (tenant and expiry in their claims), and each failure's one line of advice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_azure import ARG_PATH, FakeAzure, Fault, Tenant, make_jwt, synthetic_tenant
from typer.testing import CliRunner, Result

from planner.cli import app
from planner.collect.arm import ArmCall

TENANT_ID = "11111111-2222-4333-8444-555555555555"
OTHER_TENANT = "99999999-8888-4777-8666-555555555555"
ALICE = make_jwt(
    tid=TENANT_ID,
    upn="alice@contoso.com",
    oid="0b0b0b0b-0000-4000-8000-000000000001",
    scp="user_impersonation",
)
TENANT = synthetic_tenant(6, 60, slot_every=5)
SUB_NAMES = {
    r["subscriptionId"]: r["name"] for r in TENANT if r.get("type") == "microsoft.resources/subscriptions"
}
SUBS = sorted(SUB_NAMES)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert", tenant_id=TENANT_ID) as server:
        yield server


def preflight(fake: FakeAzure, *args: str, token: str = ALICE) -> Result:
    env = {**fake.env(), "VNET_PLANNER_TOKEN": token, "COLUMNS": "250"}
    return CliRunner().invoke(app, ["preflight", *args], env=env)


def arm_requests(fake: FakeAzure) -> list[str]:
    return [r.path for r in fake.stats.requests if r.path != ARG_PATH]


def test_a_tenant_the_identity_can_scan_is_ready(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    started = time.monotonic()
    result = preflight(fake)
    took = time.monotonic() - started
    assert result.exit_code == 0, result.output
    out = result.stdout
    # Who, with which credential, in which tenant: the token's claims, never the token.
    assert "VNET_PLANNER_TOKEN" in out and "user alice@contoso.com" in out and TENANT_ID in out
    assert ALICE not in out and ALICE.split(".")[1] not in out
    assert "6 visible" in out and "12 app(s) sampled" in out
    assert (
        "6 subscription(s)" in out
        and "12 app(s): virtualNetworkConnections, config references, network config read" in out
    )
    assert "ready: a scan can run" in out and result.stderr == ""
    # Two apps per subscription, the three per-app reads of the scan on each: nothing else.
    calls = arm_requests(fake)
    assert len(calls) == 6 * 2 * len(ArmCall)
    per_app: dict[str, set[str]] = {}
    for path in calls:
        app_id, call = path.split("/providers/microsoft.web/sites/")[1].split("/", 1)
        per_app.setdefault(app_id, set()).add(call)
    assert len(per_app) == 12 and all(
        c
        == {
            "virtualnetworkconnections",
            "config/configreferences/appsettings",
            "networkconfig/virtualnetwork",
        }
        for c in per_app.values()
    )
    assert list(tmp_path.iterdir()) == [tmp_path / "cert"]  # it writes nothing
    assert took < 10  # "a few seconds": measured 0.2-0.3 s here


def test_403_on_resource_graph_blocks_the_scan_and_says_which_role(fake: FakeAzure) -> None:
    fake.add_fault(Fault(status=403, code="AuthorizationFailed", path_contains=ARG_PATH, times=99))
    result = preflight(fake, "--management-group", "mg-prod")
    assert result.exit_code == 2, result.output
    assert "refused the query: 403 AuthorizationFailed" in result.stdout
    assert "fix: grant alice@contoso.com Reader on management group mg-prod" in result.stdout
    assert "blocked: a scan cannot run" in result.stdout
    assert arm_requests(fake) == []


def test_403_on_one_subscriptions_arm_reads_is_partial_and_names_the_subscription(fake: FakeAzure) -> None:
    denied = SUBS[3]
    fake.add_fault(
        Fault(
            status=403,
            code="AuthorizationFailed",
            subscription=denied,
            path_contains="/providers/microsoft.web/sites/",
            times=99,
            message=(
                "The client 'alice@contoso.com' with object id '0b0b' does not have authorization to perform "
                "action 'Microsoft.Web/sites/virtualNetworkConnections/read' over scope "
                f"'/subscriptions/{denied}/resourceGroups/rg-web/providers/Microsoft.Web/sites/app' or the "
                "scope is invalid."
            ),
        )
    )
    result = preflight(fake)
    assert result.exit_code == 3, result.output
    out = result.stdout
    row = next(line for line in out.splitlines() if denied in line and "FAIL" in line)
    assert SUB_NAMES[denied] in row and "403 AuthorizationFailed" in row
    fixes = [line for line in out.splitlines() if "fix:" in line]
    assert fixes == [
        f"  fix: grant alice@contoso.com Reader on /subscriptions/{denied} (the scan needs "
        "Microsoft.Web/sites/virtualNetworkConnections/read on every app)"
    ]
    assert "5 subscription(s)" in out and "partial: a scan can run" in out


def test_no_subscription_visible_blocks_and_says_what_to_grant(tmp_path: Path) -> None:
    with FakeAzure(Tenant.from_resources([]), cert_dir=tmp_path / "cert", tenant_id=TENANT_ID) as empty:
        result = preflight(empty)
    assert result.exit_code == 2, result.output
    assert (
        "fix: grant it Reader on the subscriptions to scan (or a management group above them), or choose the "
        "customer's tenant with --tenant" in result.stdout
    )
    assert f"alice@contoso.com can read no subscription in tenant {TENANT_ID}" in result.stdout


def test_requested_subscriptions_it_cannot_see_are_named(fake: FakeAzure) -> None:
    unseen = "00000000-0000-4000-8000-00000000dead"
    result = preflight(fake, "-s", SUBS[0], "-s", unseen)
    assert result.exit_code == 3, result.output
    assert (
        f"fix: grant alice@contoso.com Reader on /subscriptions/{unseen}, or sign in to the tenant that holds it"
        in result.stdout
    )
    assert "1 visible" in result.stdout
    alone = preflight(fake, "-s", unseen)
    assert alone.exit_code == 2 and "none of the 1 subscription(s) given with --subscription" in alone.stdout


def test_a_token_of_another_tenant_is_one_line_naming_the_tenant_to_use(fake: FakeAzure) -> None:
    guest = make_jwt(tid=OTHER_TENANT, upn="alice@fabrikam.com", scp="user_impersonation")
    result = preflight(fake, token=guest)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (
        f"error: the token is for tenant {OTHER_TENANT}, but the subscriptions belong to tenant {TENANT_ID} "
        f"(InvalidAuthenticationTokenTenant): sign in to that tenant with --tenant {TENANT_ID}\n"
    )
    # Asked for with --tenant, the mismatch is seen before any request.
    before = len(fake.stats.requests)
    asked = preflight(fake, "--tenant", TENANT_ID, token=guest)
    assert asked.exit_code == 2 and len(fake.stats.requests) == before
    assert asked.stderr == (
        f"error: the token from VNET_PLANNER_TOKEN is for tenant {OTHER_TENANT}, not --tenant {TENANT_ID}: "
        f"get one for that tenant (`az account get-access-token --tenant {TENANT_ID}`)\n"
    )


def test_an_expired_token_is_one_line_and_no_request(fake: FakeAzure) -> None:
    stale = make_jwt(tid=TENANT_ID, upn="alice@contoso.com", exp=1_700_000_000)
    result = preflight(fake, token=stale)
    assert result.exit_code == 2 and fake.stats.requests == []
    assert result.stderr == (
        "error: the token in VNET_PLANNER_TOKEN expired at 2023-11-14 22:13 UTC: set a fresh one "
        "(`az account get-access-token --query accessToken -o tsv`)\n"
    )


def test_resource_manager_saying_expired_is_its_own_line(fake: FakeAzure) -> None:
    """Clock skew: the token looks valid here, Resource Manager says it has expired."""
    fake.add_fault(Fault(status=401, code="ExpiredAuthenticationToken", path_contains=ARG_PATH, times=1))
    result = preflight(fake)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: Azure Resource Manager says the access token has expired (ExpiredAuthenticationToken): "
        "set a fresh VNET_PLANNER_TOKEN\n"
    )


def test_subscription_and_management_group_cannot_be_combined(fake: FakeAzure) -> None:
    result = preflight(fake, "-s", SUBS[0], "-m", "mg-prod")
    assert result.exit_code == 2 and "cannot be combined" in result.stderr
    assert fake.stats.requests == []


def test_a_bad_tenant_is_refused_before_signing_in(fake: FakeAzure) -> None:
    result = preflight(fake, "--tenant", "contoso tenant")
    assert result.exit_code == 2 and fake.stats.requests == []
    assert result.stderr.startswith("error: --tenant 'contoso tenant' is not a tenant")


def test_a_subscription_resource_graph_will_not_read_is_named_once(fake: FakeAzure) -> None:
    denied = SUBS[1]
    fake.forbidden_subscriptions = {denied}
    result = preflight(fake)
    assert result.exit_code == 3, result.output
    out = result.stdout
    rows = [line for line in out.splitlines() if denied in line and line.startswith("│")]
    assert (
        len(rows) == 1 and "refused reading the subscription's resources: 403 AuthorizationFailed" in rows[0]
    )
    assert f"fix: grant alice@contoso.com Reader on the subscription {denied}" in out
    assert "5 subscription(s)" in out and "no app" not in out  # its apps were not listed, not absent
    assert not [p for p in arm_requests(fake) if denied in p]


def test_apps_0_lists_but_reads_no_app(fake: FakeAzure) -> None:
    result = preflight(fake, "--apps", "0")
    assert result.exit_code == 0, result.output
    assert "not tried (--apps 0)" in result.stdout and arm_requests(fake) == []
