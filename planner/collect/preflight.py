"""`preflight`: can this identity scan this tenant? Answered in a few seconds, writing nothing.

It signs in (which credential, which identity, which tenant), lists the subscriptions in scope with
the scan's own Resource Graph query, samples a few apps per subscription (`queries/preflight/apps.kql`)
and makes, on each sampled app, the three per-app ARM reads the scan makes. Each failure comes with
one line of advice: which role, on which scope. The verdict predicts the scan's exit code: ready (0),
partial (3: a scan runs but misses what was denied), blocked (2: a scan cannot run).

Credential failures (no credential, token refused) raise `AccessError` as they do for the scan: there
is no table to show without an identity.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from azure.core.credentials import TokenCredential
from azure.mgmt.web import WebSiteManagementClient

from planner.collect.access import (
    arm_denied,
    graph_denied,
    nothing_visible,
    subscription_not_visible,
    token_refused,
)
from planner.collect.arm import AppRef, ArmCall, ArmCollector, Result, Task
from planner.collect.auth import Cloud, Connection, shared_transport, sign_in
from planner.collect.graph import GraphCollector
from planner.collect.identity import Identity
from planner.collect.queries import load_queries, preflight_query
from planner.collect.retry import Backoff, Failure
from planner.collect.scan import ScanUsageError

# The RBAC action each per-app read needs (docs/scan.md, Permissions); Reader's */read has them all.
ACTIONS = {
    ArmCall.VNET_CONNECTIONS: "Microsoft.Web/sites/virtualNetworkConnections/read",
    ArmCall.KEY_VAULT_REFERENCES: "Microsoft.Web/sites/config/read",
    ArmCall.NETWORK_CONFIG: "Microsoft.Web/sites/networkConfig/read",
}
CALL_NAMES = {
    ArmCall.VNET_CONNECTIONS: "virtualNetworkConnections",
    ArmCall.KEY_VAULT_REFERENCES: "config references",
    ArmCall.NETWORK_CONFIG: "network config",
}
MAX_APPS_PER_SUBSCRIPTION = 5  # what queries/preflight/apps.kql returns at most


@dataclass(frozen=True)
class PreflightOptions:
    """What to check, as `scan` would be given it."""

    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None
    cloud: Cloud = Cloud.AZURE_CLOUD
    tenant: str | None = None
    apps_per_subscription: int = 2
    concurrency: int = 16
    # One retry, and no long waits: a throttled read is reported, not waited out for minutes.
    retry: Backoff = field(
        default_factory=lambda: Backoff(attempts=2, base=0.5, cap=2.0, max_retry_after=5.0)
    )


class Status(StrEnum):
    """The result of one check."""

    OK = "ok"
    FAIL = "FAIL"
    SKIP = "skip"


class Verdict(StrEnum):
    """What a scan with the same options would do."""

    READY = "ready"  # it can run and read everything tried (exit 0)
    PARTIAL = "partial"  # it can run, but would miss what was denied (exit 3)
    BLOCKED = "blocked"  # it cannot run (exit 2)


@dataclass(frozen=True)
class Check:
    """One row of the preflight table; a failure carries one line of advice."""

    area: str  # "sign-in", "tenant", "subscriptions", "resource graph", "arm reads"
    subject: str
    status: Status
    detail: str
    advice: str | None = None
    blocking: bool = False  # a scan cannot run while this fails


@dataclass
class PreflightReport:
    """The identity, the checks in order, and what they cost."""

    identity: Identity
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0
    calls: int = 0

    @property
    def verdict(self) -> Verdict:
        """Blocked if a blocking check failed, partial if another one did, else ready."""
        failed = [c for c in self.checks if c.status is Status.FAIL]
        if any(c.blocking for c in failed):
            return Verdict.BLOCKED
        return Verdict.PARTIAL if failed else Verdict.READY

    @property
    def advice(self) -> list[str]:
        """One line per failure, in table order, without repeats."""
        return list(dict.fromkeys(c.advice for c in self.checks if c.status is Status.FAIL and c.advice))


def run_preflight(
    options: PreflightOptions,
    *,
    connection: Connection | None = None,
    credential: TokenCredential | None = None,
) -> PreflightReport:
    """Check what a scan with these options needs; AccessError when the credential cannot be used."""
    if options.subscriptions and options.management_group:
        raise ScanUsageError(
            "--subscription and --management-group cannot be combined (Resource Graph refuses it)"
        )
    started = time.monotonic()
    connection = connection or Connection.from_env(options.cloud)
    owns_credential = credential is None
    credential = credential or connection.credential(options.tenant)
    try:
        identity = sign_in(credential, connection.scopes, options.tenant)
        report = _Preflight(options, connection, credential, identity).run()
    finally:
        close = getattr(credential, "close", None)
        if owns_credential and callable(close):
            close()
    report.seconds = time.monotonic() - started
    return report


class _Preflight:
    def __init__(
        self,
        options: PreflightOptions,
        connection: Connection,
        credential: TokenCredential,
        identity: Identity,
    ) -> None:
        self.options = options
        self.connection = connection
        self.credential = credential
        self.identity = identity
        self.report = PreflightReport(identity)
        self.graph = GraphCollector(
            connection.graph_client(credential),
            batch_size=1000,
            backoff=Backoff(attempts=3, base=0.5, cap=4.0, max_retry_after=10.0),
        )

    def add(self, *args: Any, **kwargs: Any) -> None:
        self.report.checks.append(Check(*args, **kwargs))

    def run(self) -> PreflightReport:
        identity, options = self.identity, self.options
        self.add("sign-in", identity.credential, Status.OK, identity.describe())
        self.add(
            "tenant",
            identity.tenant or "unknown",
            Status.OK,
            "as asked with --tenant"
            if options.tenant
            else "the credential's own (choose another with --tenant)",
        )
        try:
            visible = self._subscriptions()
            if visible:
                samples, unread = self._sample_apps(visible)
                self._arm_reads(visible, samples, unread)
        finally:
            self.report.calls += self.graph.counters.calls
        return self.report

    # -- subscriptions ------------------------------------------------------------------------

    def _scope_text(self) -> str:
        if self.options.management_group:
            return f"management group {self.options.management_group}"
        if self.options.subscriptions:
            return f"{len(self.options.subscriptions)} subscription(s) given"
        return "every subscription the identity can read"

    def _subscriptions(self) -> dict[str, str | None]:
        """The visible subscriptions in scope (lower-case id -> name); failures become checks."""
        options, identity = self.options, self.identity
        explicit = list(options.subscriptions)
        began = time.monotonic()
        outcome = self.graph.query(
            load_queries()["subscriptions"], explicit or None, management_group=options.management_group
        )
        self._graph_seconds = time.monotonic() - began
        if outcome.error:
            failure = outcome.failure
            if failure is not None and failure.status == 401:
                raise token_refused(failure, identity, options.tenant)
            if failure is not None and failure.status == 403:
                advice = graph_denied(
                    identity, management_group=options.management_group, subscriptions=explicit
                )
                self.add("resource graph", self._scope_text(), Status.FAIL, f"refused the query: {failure.reason}",
                         advice, blocking=True)  # fmt: skip
            else:
                self.add("resource graph", self._scope_text(), Status.FAIL, f"did not answer: {outcome.error}",
                         f"retry; if it persists, check the way to {self.connection.endpoint} "
                         "(proxy, REQUESTS_CA_BUNDLE)", blocking=True)  # fmt: skip
            return {}
        visible: dict[str, str | None] = {}
        for row in outcome.rows:
            sub = str(row.get("subscriptionId") or str(row.get("id", "")).rsplit("/", 1)[-1])
            visible[sub.lower()] = str(row["name"]) if row.get("name") else None
        for sub in explicit:
            if sub.lower() in visible:
                continue
            why = outcome.failed.get(sub)
            self.add("subscriptions", sub, Status.FAIL,
                     f"not visible ({why})" if why else "not visible to this identity",
                     subscription_not_visible(identity, sub), blocking=False)  # fmt: skip
        if not visible:
            line = nothing_visible(identity, management_group=options.management_group, requested=explicit)
            cause, _, fix = line.partition(": ")
            self.add("subscriptions", self._scope_text(), Status.FAIL, cause, fix, blocking=True)
            return {}
        names = sorted(name or "(no name)" for name in visible.values())[:3]
        more = f", and {len(visible) - 3} more" if len(visible) > 3 else ""
        self.add(
            "subscriptions",
            self._scope_text(),
            Status.OK,
            f"{len(visible)} visible: {', '.join(names)}{more}",
        )
        return visible

    # -- a sample of apps ---------------------------------------------------------------------

    def _sample_apps(self, visible: dict[str, str | None]) -> tuple[dict[str, list[AppRef]], set[str]]:
        """Up to `apps_per_subscription` apps of each visible subscription, from Resource Graph, and
        the subscriptions whose apps could not be listed (a failure already reported)."""
        began = time.monotonic()
        outcome = self.graph.query(preflight_query(), sorted(visible))
        seconds = self._graph_seconds + time.monotonic() - began
        if outcome.error and outcome.failure is not None and outcome.failure.status == 401:
            raise token_refused(outcome.failure, self.identity, self.options.tenant)
        for sub, reason in sorted(outcome.failed.items()):
            self.add("resource graph", self._label(sub, visible), Status.FAIL,
                     f"refused reading the subscription's resources: {reason}",
                     graph_denied(self.identity, management_group=None, subscriptions=[sub]))  # fmt: skip
        samples: dict[str, list[AppRef]] = defaultdict(list)
        for row in sorted(outcome.rows, key=lambda r: str(r.get("id", "")).lower()):
            ref = AppRef.parse(str(row.get("id", "")))
            if ref is None or ref.slot:
                continue
            picked = samples[ref.subscription.lower()]
            if len(picked) < min(self.options.apps_per_subscription, MAX_APPS_PER_SUBSCRIPTION):
                picked.append(ref)
        if outcome.error:
            self.add("resource graph", "sample of apps", Status.FAIL, f"query failed: {outcome.error}",
                     "retry; a scan now would miss the apps of every subscription")  # fmt: skip
            return {}, set(visible)
        apps = sum(len(v) for v in samples.values())
        self.add("resource graph", "answers", Status.OK,
                 f"in {seconds:.2f} s: {len(visible)} subscription(s), {apps} app(s) sampled")  # fmt: skip
        return samples, {s.lower() for s in outcome.failed}

    # -- per-app ARM reads --------------------------------------------------------------------

    def _arm_reads(
        self, visible: dict[str, str | None], samples: dict[str, list[AppRef]], unread: set[str]
    ) -> None:
        if self.options.apps_per_subscription == 0:
            self.add("arm reads", f"{len(visible)} subscription(s)", Status.SKIP, "not tried (--apps 0)")
            return
        tasks = [Task(call, app) for apps in samples.values() for app in apps for call in ArmCall]
        results: list[Result] = []
        lock = threading.Lock()
        if tasks:
            transport = shared_transport(
                self.options.concurrency, self.connection.verify, self.connection.endpoint
            )
            clients: dict[str, WebSiteManagementClient] = {}

            def client_for(subscription: str) -> WebSiteManagementClient:
                with lock:
                    key = subscription.lower()
                    if key not in clients:
                        clients[key] = self.connection.web_client(self.credential, subscription, transport)
                    return clients[key]

            def keep(result: Result) -> None:
                with lock:
                    results.append(result)

            collector = ArmCollector(
                client_for, concurrency=self.options.concurrency, backoff=self.options.retry
            )
            try:
                collector.run(tasks, keep)
            finally:
                transport.close()
                self.report.calls += collector.counters.calls
        by_sub: dict[str, list[Result]] = defaultdict(list)
        for result in results:
            by_sub[result.task.app.subscription.lower()].append(result)
        read_subs, read_apps, empty = 0, 0, 0
        for sub in sorted(visible, key=lambda s: (visible[s] or "", s)):
            if sub in unread:
                continue
            if not samples.get(sub):
                empty += 1
                continue
            failures = sorted(
                (r for r in by_sub[sub] if r.failure is not None),
                key=lambda r: (list(ArmCall).index(r.task.call), r.task.app.id.lower()),
            )
            if not failures:
                read_subs += 1
                read_apps += len(samples[sub])
                continue
            self._arm_failure(sub, visible, failures)
        if read_subs:
            self.add("arm reads", f"{read_subs} subscription(s)", Status.OK,
                     f"{read_apps} app(s): {', '.join(CALL_NAMES.values())} read")  # fmt: skip
        if empty:
            self.add("arm reads", f"{empty} subscription(s)", Status.SKIP,
                     "no app: the scan makes no per-app call there")  # fmt: skip

    def _arm_failure(self, sub: str, visible: dict[str, str | None], failures: list[Result]) -> None:
        first = failures[0]
        failure: Failure = first.failure  # type: ignore[assignment]
        calls = list(dict.fromkeys(CALL_NAMES[r.task.call] for r in failures))
        app = first.task.app.site
        detail = f"{', '.join(calls)}: {failure.reason} (app {app}" + (
            f", and {len(failures) - 1} more call(s))" if len(failures) > 1 else ")"
        )
        if failure.status == 401:
            advice = str(token_refused(failure, self.identity, self.options.tenant))
        elif failure.status == 403:
            advice = arm_denied(failure, self.identity, first.task.app.subscription, ACTIONS[first.task.call])
        else:
            advice = f"retry; the scan would list these apps as not read ({failure.detail})"
        self.add("arm reads", self._label(sub, visible), Status.FAIL, detail, advice)

    @staticmethod
    def _label(sub: str, visible: dict[str, str | None]) -> str:
        name = visible.get(sub.lower())
        return f"{name} ({sub})" if name else sub
