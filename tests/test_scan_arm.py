"""Per-app ARM calls: which apps get them, and the collector against the fake via azure-mgmt-web."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_azure import FakeAzure, Fault, Tenant, synthetic_tenant

from planner.collect.arm import AppRef, ArmCall, ArmCollector, Result, Scheduler, Task
from planner.collect.auth import Connection, shared_transport
from planner.collect.retry import Backoff
from planner.collect.scan import plan_tier, select_tasks
from planner.core.redact import redact

SUB = "00000000-0000-0000-0000-000000000001"
FAST = Backoff(attempts=4, base=0.01, cap=0.05)


# -- which apps -------------------------------------------------------------------------------------


def _plan(name: str, sku: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/serverfarms/{name}",
        "type": "microsoft.web/serverfarms",
        "sku": sku,
    }


def _site(name: str, plan: str | None, slot: str | None = None) -> dict[str, Any]:
    rid = f"/subscriptions/{SUB}/resourceGroups/rg/providers/Microsoft.Web/sites/{name}"
    props: dict[str, Any] = {}
    if plan:
        props["serverFarmId"] = (
            f"/subscriptions/{SUB}/resourceGroups/RG/providers/Microsoft.Web/serverFarms/{plan}"
        )
    if slot:
        return {"id": f"{rid}/slots/{slot}", "type": "microsoft.web/sites/slots", "properties": props}
    return {"id": rid, "type": "microsoft.web/sites", "properties": props}


ALL = {ArmCall.VNET_CONNECTIONS, ArmCall.KEY_VAULT_REFERENCES, ArmCall.NETWORK_CONFIG}
NO_SWIFT = {ArmCall.VNET_CONNECTIONS, ArmCall.KEY_VAULT_REFERENCES}

# (sku of the plan, calls expected) — azure-facts §2.4
TIER_CASES = [
    ({"name": "B1", "tier": "Basic"}, ALL),
    ({"name": "S1", "tier": "Standard"}, ALL),
    ({"name": "P1", "tier": "Premium"}, NO_SWIFT),
    ({"name": "P1v2", "tier": "PremiumV2"}, NO_SWIFT),
    ({"name": "P1v3", "tier": "PremiumV3"}, NO_SWIFT),
    ({"name": "P0v4", "tier": "PremiumV4"}, NO_SWIFT),
    ({"name": "P1mv3", "tier": "PremiumMV3"}, NO_SWIFT),
    ({"name": "P1mv4", "tier": "PremiumMV4"}, NO_SWIFT),
    ({"name": "WS1", "tier": "WorkflowStandard"}, NO_SWIFT),  # UNSURE in azure-facts: read it
    ({"name": "Z9", "tier": "SomethingNew"}, NO_SWIFT),  # a tier this tool does not know: read it
    ({"name": "F1", "tier": "Free"}, set()),
    ({"name": "D1", "tier": "Shared"}, set()),
    ({"name": "Y1", "tier": "Dynamic"}, set()),
    ({"name": "EP1", "tier": "ElasticPremium"}, set()),
    ({"name": "FC1", "tier": "FlexConsumption"}, set()),
    ({"name": "I1", "tier": "Isolated"}, set()),
    ({"name": "I1v2", "tier": "IsolatedV2"}, set()),
    ({"name": "I1mv2", "tier": "IsolatedMV2"}, set()),
    ({"name": "s2"}, ALL),  # no tier: derived from the name
    ({"name": "EP2"}, set()),
    (None, ALL),  # a plan without sku: unknown, so every call
]


@pytest.mark.parametrize(("sku", "calls"), TIER_CASES)
def test_calls_follow_the_plan_tier(sku: dict[str, Any] | None, calls: set[ArmCall]) -> None:
    tasks, warnings = select_tasks([_site("app1", "plan1")], [_plan("plan1", sku)])
    assert {t.call for t in tasks} == calls and not warnings


def test_an_app_whose_plan_is_not_in_the_inventory_gets_every_call() -> None:
    tasks, _ = select_tasks([_site("app1", "gone"), _site("app2", None)], [])
    assert len(tasks) == 6


def test_a_slot_without_server_farm_uses_its_apps_plan() -> None:
    sites = [_site("app1", "free"), _site("app1", None, slot="stage"), _site("app2", "std")]
    plans = [_plan("free", {"name": "F1", "tier": "Free"}), _plan("std", {"name": "S1", "tier": "Standard"})]
    tasks, _ = select_tasks(sites, plans)
    assert {t.app.id.rsplit("/", 1)[-1] for t in tasks} == {"app2"}


def test_failed_subscriptions_and_odd_ids_are_skipped() -> None:
    odd = {"id": "/subscriptions/x/providers/Microsoft.Web/sites", "type": "microsoft.web/sites"}
    tasks, warnings = select_tasks([_site("app1", None), odd], [], skip_subscriptions=[SUB.upper()])
    assert tasks == [] and len(warnings) == 1


def test_plan_tier_prefers_sku_tier() -> None:
    assert plan_tier({"sku": {"name": "P1v3", "tier": "PremiumV3"}}) == "premiumv3"
    assert plan_tier({"sku": {"name": "P2mv3"}}) == "premiummv3"
    assert plan_tier({"sku": {"name": "P0v3"}}) == "premium0v3"
    assert plan_tier({}) is None


def test_app_ref_parses_apps_and_slots() -> None:
    ref = AppRef.parse(f"/subscriptions/{SUB}/resourceGroups/RG-1/providers/Microsoft.Web/sites/a/slots/s")
    assert ref is not None and (ref.resource_group, ref.site, ref.slot) == ("RG-1", "a", "s")
    assert (
        AppRef.parse(f"/subscriptions/{SUB}/resourceGroups/r/providers/Microsoft.Web/serverfarms/p") is None
    )


# -- the collector against the fake ----------------------------------------------------------------

TENANT = synthetic_tenant(3, 24, slot_every=4)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert") as server:
        yield server


def _run(
    fake: FakeAzure, tasks: list[Task], concurrency: int = 8, backoff: Backoff = FAST
) -> tuple[dict[tuple[str, str], Result], ArmCollector]:
    connection = Connection.from_env(env=fake.env())
    credential = connection.credential()
    transport = shared_transport(concurrency, connection.verify, connection.endpoint)
    clients: dict[str, Any] = {}
    lock = threading.Lock()

    def client_for(sub: str) -> Any:
        with lock:
            if sub not in clients:
                clients[sub] = connection.web_client(credential, sub, transport)
            return clients[sub]

    results: dict[tuple[str, str], Result] = {}
    collector = ArmCollector(client_for, concurrency=concurrency, backoff=backoff)
    collector.run(tasks, lambda r: results.__setitem__((r.task.call.value, r.task.app.id), r))
    transport.close()
    return results, collector


def _all_tasks() -> list[Task]:
    sites = [r for r in TENANT if r.get("type") in ("microsoft.web/sites", "microsoft.web/sites/slots")]
    plans = [r for r in TENANT if r.get("type") == "microsoft.web/serverfarms"]
    return select_tasks(sites, plans)[0]


def _expected(call: str, app_id: str) -> list[dict[str, Any]]:
    marker = {
        "virtualNetworkConnections": "/virtualnetworkconnections/",
        "keyVaultReferences": "/config/configreferences/appsettings/",
        "networkConfig": "/networkconfig/",
    }[call]
    return [r for r in TENANT if r["id"].lower().startswith(app_id.lower() + marker)]


def test_every_call_returns_exactly_what_the_fake_holds(fake: FakeAzure) -> None:
    fake.arm_page_size = 1  # Key Vault references come back over several nextLink pages
    tasks = _all_tasks()
    results, _ = _run(fake, tasks)
    assert len(results) == len(tasks) and all(r.failure is None for r in results.values())
    for (call, app_id), result in results.items():
        # Raw JSON as served (certThumbprint, unknown fields and the missing `type` of KV references kept),
        # except certificate data, which arrives as a digest (planner/core/redact.py).
        assert result.items == redact(_expected(call, app_id)), (call, app_id)
    assert any(r.items for (c, _), r in results.items() if c == "keyVaultReferences")
    assert any("/slots/" in app for (_, app) in results)
    assert not any("appsettings/list" in r.path for r in fake.stats.requests)  # never a setting value


def test_calls_run_concurrently_but_within_the_bound(fake: FakeAzure) -> None:
    fake.latency = 0.03
    tasks = _all_tasks()
    _run(fake, tasks, concurrency=6)
    # Concurrency is shown by the fake's count of calls in flight, not by a timing (speed is for benchmarks).
    assert 2 <= fake.stats.max_in_flight <= 6


def test_throttled_subscription_is_paused_while_others_continue(fake: FakeAzure) -> None:
    fake.latency = 0.02  # so the other subscriptions still have work while one waits
    tasks = _all_tasks()
    throttled = tasks[0].app.subscription
    fake.add_fault(
        Fault(status=429, retry_after=0.4, subscription=throttled, path_contains="/sites/", times=1)
    )
    results, collector = _run(fake, tasks, concurrency=4)
    assert all(r.failure is None for r in results.values())
    assert collector.counters.throttled == 1 and collector.counters.retries == 1
    log = [r for r in fake.stats.requests if "/sites/" in r.path]
    refused = next(r for r in log if r.status == 429)
    window = (refused.at + 0.05, refused.at + 0.35)  # the 429 reached the client, Retry-After not over
    same_sub = [
        r for r in log if r.subscriptions == refused.subscriptions and window[0] < r.received < window[1]
    ]
    others = [
        r for r in log if r.subscriptions != refused.subscriptions and window[0] < r.received < window[1]
    ]
    # Nothing more was asked of the throttled subscription before Retry-After; the others went on.
    assert same_sub == [] and others
    assert max(r.received for r in log if r.subscriptions == refused.subscriptions) > refused.at + 0.4


def test_token_bucket_throttling_is_survived_with_nothing_lost(fake: FakeAzure) -> None:
    fake.arm_throttle = (5, 40.0)  # 5-call burst, 40 per second, per subscription
    fake.whole_second_retry_after = False
    tasks = _all_tasks()
    results, collector = _run(fake, tasks, concurrency=8, backoff=Backoff(attempts=20, base=0.01))
    assert all(r.failure is None for r in results.values())
    assert fake.stats.throttled > 0 and collector.counters.retries == fake.stats.throttled


def test_429_without_retry_after_backs_off_and_retries(fake: FakeAzure) -> None:
    fake.add_fault(Fault(status=429, retry_after=None, path_contains="/virtualnetworkconnections", times=3))
    results, collector = _run(fake, _all_tasks())
    assert all(r.failure is None for r in results.values()) and collector.counters.retries == 3


def test_a_dropped_connection_is_retried(fake: FakeAzure) -> None:
    fake.add_fault(Fault(kind="drop", path_contains="/config/configreferences", times=2))
    results, collector = _run(fake, _all_tasks())
    assert all(r.failure is None for r in results.values())
    assert fake.stats.dropped == 2 and collector.counters.retries == 2


def test_a_failing_call_is_reported_and_the_rest_completes(fake: FakeAzure) -> None:
    tasks = _all_tasks()
    denied = tasks[0].app.subscription
    fake.forbidden_subscriptions = {denied.lower()}
    bad = next(t for t in tasks if t.app.subscription != denied and t.call is ArmCall.VNET_CONNECTIONS)
    fake.add_fault(
        Fault(status=500, code="InternalServerError", path_contains=bad.app.id.lower() + "/virtual", times=99)
    )
    results, _ = _run(fake, tasks)
    failed = {k: r for k, r in results.items() if r.failure is not None}
    assert {r.failure.status for r in failed.values() if r.failure} == {403, 500}
    assert all(r.attempts == 1 for r in failed.values() if r.failure and r.failure.status == 403)  # no retry
    assert results[(bad.call.value, bad.app.id)].attempts == FAST.attempts
    assert len(results) == len(tasks)
    assert all(r.failure is None for k, r in results.items() if k not in failed)


def test_scheduler_alternates_subscriptions() -> None:
    def task(sub: str, n: int) -> Task:
        ref = AppRef(
            f"/subscriptions/{sub}/resourceGroups/r/providers/Microsoft.Web/sites/a{n}",
            sub,
            "r",
            f"a{n}",
            None,
        )
        return Task(ArmCall.VNET_CONNECTIONS, ref)

    scheduler = Scheduler([task("s1", 1), task("s1", 2), task("s1", 3), task("s2", 4), task("s2", 5)])
    order = []
    while (item := scheduler.next()) is not None:
        order.append(item[0].app.subscription)
        scheduler.done(item[0])
    assert order == ["s1", "s2", "s1", "s2", "s1"]


def test_scheduler_holds_a_subscription_to_its_remaining_reads() -> None:
    def task(sub: str, n: int) -> Task:
        rid = f"/subscriptions/{sub}/resourceGroups/r/providers/Microsoft.Web/sites/a{n}"
        return Task(ArmCall.VNET_CONNECTIONS, AppRef(rid, sub, "r", f"a{n}", None))

    scheduler = Scheduler([task("s1", n) for n in range(6)] + [task("s2", 9)])
    first = scheduler.next()
    assert first is not None and first[0].app.subscription == "s1"
    scheduler.done(first[0], remaining=0)  # ARM says the quota is spent
    handed = [scheduler.next(), scheduler.next()]
    assert sorted(h[0].app.subscription for h in handed if h) == ["s1", "s2"]
    probe = next(h[0] for h in handed if h and h[0].app.subscription == "s1")
    # One probe of s1 is in flight; nothing more of s1 until it answers.
    later: list[Any] = []
    blocked = threading.Thread(target=lambda: later.append(scheduler.next()))
    blocked.start()
    blocked.join(0.2)
    assert blocked.is_alive()
    scheduler.done(probe, remaining=5)
    blocked.join(1)
    assert not blocked.is_alive() and later[0] is not None and later[0][0].app.subscription == "s1"
