"""Resource Graph collector against the local HTTPS fake, through the real azure-mgmt-resourcegraph client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_azure import ARG_PATH, FakeAzure, Fault, Tenant, iter_arg_pages, synthetic_tenant

from planner.collect.auth import Connection
from planner.collect.graph import GraphCollector, QuotaGuard, parse_duration
from planner.collect.queries import get_query
from planner.collect.retry import Backoff

TENANT = synthetic_tenant(7, 140)
SUBS = sorted({r["subscriptionId"] for r in TENANT if r.get("type") == "microsoft.resources/subscriptions"})
SITES = sorted(
    r["id"] for r in TENANT if r.get("type") in ("microsoft.web/sites", "microsoft.web/sites/slots")
)
FAST = Backoff(attempts=4, base=0.01, cap=0.05)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert") as server:
        yield server


def collector(fake: FakeAzure, **kwargs: object) -> GraphCollector:
    connection = Connection.from_env(env=fake.env())
    kwargs.setdefault("backoff", FAST)
    return GraphCollector(connection.graph_client(connection.credential()), **kwargs)  # type: ignore[arg-type]


def test_pages_with_skip_token_until_the_last_page(fake: FakeAzure) -> None:
    fake.page_limit = 40
    outcome = collector(fake, batch_size=300).query(get_query("sites"), SUBS)
    assert [r["id"] for r in outcome.rows] == SITES
    assert len(SITES) > 120 and outcome.pages == -(-len(SITES) // 40) >= 4
    requests = list(iter_arg_pages(fake.stats, "sites"))
    tokens = [r.body["options"].get("$skipToken") for r in requests if r.body]
    # The first page has no token; each later one resends the same query and scope with one.
    assert tokens[0] is None and all(tokens[1:])
    assert len({tuple(r.subscriptions) for r in requests}) == 1
    assert fake.stats.count(kind="arg") == outcome.pages


def test_subscriptions_go_in_batches(fake: FakeAzure) -> None:
    outcome = collector(fake, batch_size=3).query(get_query("sites"), SUBS)
    assert sorted(r["id"] for r in outcome.rows) == SITES
    batches = [r.subscriptions for r in iter_arg_pages(fake.stats, "sites")]
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(s for b in batches for s in b) == SUBS


def test_batch_size_is_limited_to_what_resource_graph_accepts(fake: FakeAzure) -> None:
    with pytest.raises(ValueError, match="1000"):
        collector(fake, batch_size=1001)


def test_projection_returns_the_arm_columns_only(fake: FakeAzure) -> None:
    outcome = collector(fake).query(get_query("serverfarms"), SUBS)
    assert outcome.rows and all(set(r) <= set(get_query("serverfarms").columns) for r in outcome.rows)
    assert {r["type"] for r in outcome.rows} == {"microsoft.web/serverfarms"}


def test_429_with_retry_after_is_waited_out_and_retried(fake: FakeAzure) -> None:
    fake.add_fault(Fault(status=429, retry_after=0.3, path_contains=ARG_PATH, times=2))
    started = time.monotonic()
    graph = collector(fake)
    outcome = graph.query(get_query("sites"), SUBS)
    assert sorted(r["id"] for r in outcome.rows) == SITES and not outcome.failed
    assert time.monotonic() - started >= 0.6
    assert graph.counters.retries == 2 and fake.stats.throttled == 2


def test_429_without_retry_after_on_a_post_is_retried_too(fake: FakeAzure) -> None:
    """azure-core does not retry a POST without Retry-After; the collector must."""
    fake.add_fault(Fault(status=429, retry_after=None, path_contains=ARG_PATH, times=2))
    graph = collector(fake)
    outcome = graph.query(get_query("sites"), SUBS)
    assert sorted(r["id"] for r in outcome.rows) == SITES
    assert graph.counters.retries == 2


def test_quota_headers_make_it_wait_instead_of_being_throttled(fake: FakeAzure) -> None:
    fake.arg_quota = (3, 1.0)  # 3 queries per 1-second window
    fake.page_limit = 40
    started = time.monotonic()
    graph = collector(fake)
    outcome = graph.query(get_query("sites"), SUBS)
    assert sorted(r["id"] for r in outcome.rows) == SITES
    # 4 pages at 3 per window: the 4th waited for the window to reset, and nothing was refused.
    assert fake.stats.throttled == 0
    assert time.monotonic() - started >= 0.9 and graph.quota.waited > 0


def test_quota_exhausted_429_without_retry_after_waits_for_the_reset(fake: FakeAzure) -> None:
    """Another client spent the quota: the 429 carries only quota headers."""
    fake.arg_quota = (2, 1.0)
    graph = collector(fake, backoff=Backoff(attempts=3, base=0.01))
    graph.query(get_query("vaults"), SUBS)
    graph.query(get_query("vaults"), SUBS)
    graph.quota.remaining = None  # forget what we read: as if the quota went to another process
    outcome = graph.query(get_query("vaults"), SUBS)
    assert len(outcome.rows) == 7 and not outcome.failed
    assert fake.stats.throttled == 1


def test_403_on_one_subscription_is_isolated_and_the_rest_is_read(fake: FakeAzure) -> None:
    denied = SUBS[4]
    fake.forbidden_subscriptions = {denied}
    outcome = collector(fake, batch_size=300).query(get_query("sites"), SUBS)
    assert outcome.failed == {denied: "403 AuthorizationFailed"}
    expected = [s for s in SITES if f"/subscriptions/{denied}/" not in s]
    assert sorted(r["id"] for r in outcome.rows) == expected
    # Split in halves: far fewer requests than one per subscription plus the failed batch.
    assert fake.stats.count(kind="arg") <= 2 * len(SUBS)


def test_throttling_past_the_retry_budget_fails_only_that_subscription(fake: FakeAzure) -> None:
    stuck = SUBS[1]
    fake.add_fault(Fault(status=503, code="ServiceUnavailable", subscription=stuck, times=10**6))
    graph = collector(fake, backoff=Backoff(attempts=2, base=0.01))
    outcome = graph.query(get_query("vaults"), SUBS)
    assert list(outcome.failed) == [stuck] and outcome.failed[stuck] == "503 ServiceUnavailable"
    assert len(outcome.rows) == len(SUBS) - 1


def test_a_dropped_connection_is_retried(fake: FakeAzure) -> None:
    fake.page_limit = 50
    fake.add_fault(Fault(kind="drop", path_contains=ARG_PATH, times=1))
    graph = collector(fake)
    outcome = graph.query(get_query("sites"), SUBS)
    assert sorted(r["id"] for r in outcome.rows) == SITES
    assert fake.stats.dropped == 1 and graph.counters.retries == 1


def test_an_invalid_query_is_not_split_per_subscription(fake: FakeAzure) -> None:
    fake.add_fault(Fault(status=400, code="InvalidQuery", path_contains=ARG_PATH, times=10**6))
    outcome = collector(fake, batch_size=2).query(get_query("sites"), SUBS)
    assert outcome.error == "400 InvalidQuery" and not outcome.failed
    assert fake.stats.count(kind="arg") == 1


def test_tenant_and_management_group_scopes(fake: FakeAzure) -> None:
    graph = collector(fake)
    everything = graph.query(get_query("subscriptions"))
    assert sorted(r["subscriptionId"] for r in everything.rows) == SUBS
    prod = graph.query(get_query("subscriptions"), management_group="mg-prod")
    assert 0 < len(prod.rows) < len(SUBS)
    assert fake.stats.arg_bodies()[-1]["managementGroups"] == ["mg-prod"]


def test_parse_duration() -> None:
    assert parse_duration("00:00:03") == 3
    assert parse_duration("01:02:03.5") == 3723.5
    assert parse_duration("soon") is None


def test_quota_guard_waits_only_when_the_quota_is_spent() -> None:
    now = [100.0]
    slept: list[float] = []
    guard = QuotaGuard(sleep=slept.append, clock=lambda: now[0])
    guard.update({"x-ms-user-quota-remaining": "1", "x-ms-user-quota-resets-after": "00:00:04"})
    assert guard.wait() == 0 and slept == []
    guard.update({"x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:04"})
    now[0] += 1
    assert guard.wait() == pytest.approx(3.05)
    assert slept == [pytest.approx(3.05)]
