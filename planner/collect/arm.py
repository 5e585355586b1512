"""Per-app ARM calls (virtualNetworkConnections, Key Vault references, networkConfig), many in flight.

ARM throttles reads per subscription (a token bucket), so the scheduler hands out work round-robin
across subscriptions: while one subscription waits out a 429's `Retry-After`, the workers keep
calling the others. `concurrency` bounds the calls in flight over all subscriptions. A call that
still fails after its retries is reported, never fatal.

The responses are kept as Azure sent them (captured from the HTTP response, not re-serialised from
SDK models), except that certificate data is replaced by its digest before anything is stored
(`planner.core.redact`): a VNet connection's `certBlob` becomes `certBlobSha256`, which the planner compares
with the digests of the gateway's root certificates. Key Vault references carry names and a status,
never a value. App-setting values (`config/appsettings/list`) are never requested.
"""

from __future__ import annotations

import heapq
import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from azure.core.exceptions import ResourceNotFoundError
from azure.core.pipeline import PipelineResponse
from azure.mgmt.web import WebSiteManagementClient

from planner.collect.retry import Backoff, Failure, classify
from planner.core.redact import redact

_APP_ID = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourcegroups/(?P<rg>[^/]+)/providers/microsoft\.web/sites/(?P<site>[^/]+)"
    r"(?:/slots/(?P<slot>[^/]+))?$",
    re.IGNORECASE,
)


class ArmCall(StrEnum):
    """The per-app calls, named as in manifest.json `arm.<call>`."""

    VNET_CONNECTIONS = "virtualNetworkConnections"
    KEY_VAULT_REFERENCES = "keyVaultReferences"
    NETWORK_CONFIG = "networkConfig"

    @property
    def dataset(self) -> str:
        """The inventory file (data set) the call's records go to."""
        return {
            ArmCall.VNET_CONNECTIONS: "vnetconnections",
            ArmCall.KEY_VAULT_REFERENCES: "kvreferences",
            ArmCall.NETWORK_CONFIG: "networkconfig",
        }[self]


@dataclass(frozen=True)
class AppRef:
    """An app or slot, from its ARM id."""

    id: str
    subscription: str
    resource_group: str
    site: str
    slot: str | None

    @classmethod
    def parse(cls, resource_id: str) -> AppRef | None:
        """Parse `/subscriptions/../resourceGroups/../providers/Microsoft.Web/sites/app[/slots/s]`."""
        match = _APP_ID.match(resource_id.rstrip("/"))
        if match is None:
            return None
        return cls(resource_id, match["sub"], match["rg"], match["site"], match["slot"])


@dataclass(frozen=True)
class Task:
    """One call for one app or slot."""

    call: ArmCall
    app: AppRef


@dataclass(frozen=True)
class Result:
    """The outcome of a task: its records (None on failure), the failure, and the tries it took."""

    task: Task
    items: list[dict[str, Any]] | None
    failure: Failure | None
    attempts: int


class _Capture:
    """A raw_response_hook that keeps the JSON body of every 200 answer (one per page)."""

    def __init__(self) -> None:
        self.bodies: list[Any] = []
        self.headers: dict[str, str] = {}

    def __call__(self, response: PipelineResponse) -> None:
        http = response.http_response
        self.headers = dict(http.headers)
        if http.status_code == 200:
            self.bodies.append(http.json())


def fetch(client: WebSiteManagementClient, task: Task) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Make one call; return the records as Azure sent them, and the last answer's headers."""
    app, ops, capture = task.app, client.web_apps, _Capture()
    rg, site, slot = app.resource_group, app.site, app.slot
    if task.call is ArmCall.VNET_CONNECTIONS:
        # A plain JSON array, not {"value": [...]} (azure-facts §1.1).
        if slot:
            ops.list_vnet_connections_slot(rg, site, slot, raw_response_hook=capture)
        else:
            ops.list_vnet_connections(rg, site, raw_response_hook=capture)
        body = capture.bodies[-1] if capture.bodies else []
        items = body if isinstance(body, list) else []
    elif task.call is ArmCall.KEY_VAULT_REFERENCES:
        pager = (
            ops.get_app_settings_key_vault_references_slot(rg, site, slot, raw_response_hook=capture)
            if slot
            else ops.get_app_settings_key_vault_references(rg, site, raw_response_hook=capture)
        )
        for _ in pager:  # walks every page; the hook keeps each page's raw body
            pass
        items = [item for body in capture.bodies for item in (body.get("value") or [])]
    else:
        try:
            if slot:
                ops.get_swift_virtual_network_connection_slot(rg, site, slot, raw_response_hook=capture)
            else:
                ops.get_swift_virtual_network_connection(rg, site, raw_response_hook=capture)
        except ResourceNotFoundError:
            # No networkConfig resource for this app: read, and nothing there.
            return [], capture.headers
        items = [capture.bodies[-1]] if capture.bodies else []
    return [redact(i) for i in items if isinstance(i, dict)], capture.headers


REMAINING_READS = "x-ms-ratelimit-remaining-subscription-reads"
_UNLIMITED = 1 << 30


class Scheduler:
    """Hands tasks to workers round-robin over subscriptions, skipping paused ones.

    A 429 pauses its whole subscription (ARM throttles per subscription); other retries delay only
    their task. ARM's `x-ms-ratelimit-remaining-subscription-reads` caps how many calls a
    subscription gets in flight, so a nearly spent quota is not met with a volley of 429s.
    `next()` blocks until a task is ready, and returns None once nothing is queued, delayed or in
    flight.
    """

    def __init__(self, tasks: Iterable[Task], clock: Callable[[], float] = time.monotonic) -> None:
        self._queues: dict[str, deque[tuple[Task, int]]] = {}
        for task in tasks:
            self._queues.setdefault(task.app.subscription.lower(), deque()).append((task, 0))
        self._order = list(self._queues)
        self._cursor = 0
        self._paused: dict[str, float] = {}
        self._delayed: list[tuple[float, int, Task, int]] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._sub_in_flight: dict[str, int] = {}
        self._remaining: dict[str, int] = {}
        self._cond = threading.Condition()
        self._clock = clock
        self._stopped = False

    def next(self) -> tuple[Task, int] | None:
        """The next (task, tries so far), or None when all work is done."""
        with self._cond:
            while True:
                if self._stopped:
                    return None
                now = self._clock()
                while self._delayed and self._delayed[0][0] <= now:
                    _, _, task, tries = heapq.heappop(self._delayed)
                    self._queues.setdefault(task.app.subscription.lower(), deque()).appendleft((task, tries))
                    if task.app.subscription.lower() not in self._order:
                        self._order.append(task.app.subscription.lower())
                picked = self._pick(now)
                if picked is not None:
                    self._in_flight += 1
                    sub = picked[0].app.subscription.lower()
                    self._sub_in_flight[sub] = self._sub_in_flight.get(sub, 0) + 1
                    return picked
                waits = [t for s, t in self._paused.items() if self._queues.get(s) and t > now]
                if self._delayed:
                    waits.append(self._delayed[0][0])
                if not waits and self._in_flight == 0 and not any(self._queues.values()):
                    self._cond.notify_all()
                    return None
                self._cond.wait(timeout=(min(waits) - now) if waits else None)

    def _pick(self, now: float) -> tuple[Task, int] | None:
        for step in range(len(self._order)):
            sub = self._order[(self._cursor + step) % len(self._order)]
            queue = self._queues.get(sub)
            # With the quota nearly spent, one call at a time probes it (a 429 then pauses the
            # subscription for as long as ARM asks).
            allowance = max(1, self._remaining.get(sub, _UNLIMITED))
            if queue and self._paused.get(sub, 0.0) <= now and self._sub_in_flight.get(sub, 0) < allowance:
                self._cursor = (self._cursor + step + 1) % len(self._order)
                return queue.popleft()
        return None

    def done(self, task: Task, remaining: int | None = None) -> None:
        """A task handed out by next() has finished (succeeded or failed for good); `remaining` is
        the subscription's read quota its answer reported, if any."""
        with self._cond:
            self._release(task)
            if remaining is not None:
                self._remaining[task.app.subscription.lower()] = remaining
            self._cond.notify_all()

    def _release(self, task: Task) -> None:
        self._in_flight -= 1
        sub = task.app.subscription.lower()
        self._sub_in_flight[sub] = self._sub_in_flight.get(sub, 1) - 1

    def retry(self, task: Task, tries: int, delay: float, *, pause_subscription: bool) -> None:
        """Put a task back to run after `delay`; a throttled one pauses its subscription too."""
        with self._cond:
            self._release(task)
            sub = task.app.subscription.lower()
            if pause_subscription:
                self._paused[sub] = max(self._paused.get(sub, 0.0), self._clock() + delay)
                # After the pause the quota has refilled by an unknown amount.
                self._remaining.pop(sub, None)
                self._queues.setdefault(sub, deque()).appendleft((task, tries))
            else:
                heapq.heappush(self._delayed, (self._clock() + delay, next(self._seq), task, tries))
            self._cond.notify_all()

    def stop(self) -> None:
        """Hand out nothing more (workers finish their current call)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()


@dataclass
class ArmCounters:
    """Requests sent (every attempt), retries among them, and 429 answers."""

    calls: int = 0
    retries: int = 0
    throttled: int = 0


class ArmCollector:
    """Runs tasks on `concurrency` worker threads; reports each result through `on_result`."""

    def __init__(
        self,
        client_for: Callable[[str], WebSiteManagementClient],
        *,
        concurrency: int = 16,
        backoff: Backoff | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.client_for = client_for
        self.concurrency = concurrency
        self.backoff = backoff or Backoff()
        self.counters = ArmCounters()
        self._lock = threading.Lock()

    def run(self, tasks: list[Task], on_result: Callable[[Result], None]) -> None:
        """Run every task; returns when all have a result. `on_result` is called from worker threads."""
        if not tasks:
            return
        scheduler = Scheduler(tasks)
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                while (item := scheduler.next()) is not None:
                    self._one(scheduler, *item, on_result)
            except BaseException as exc:  # a bug, not a failed call: stop everyone, re-raise below
                errors.append(exc)
                scheduler.stop()

        threads = [
            threading.Thread(target=worker, name=f"arm-{i}", daemon=True)
            for i in range(min(self.concurrency, len(tasks)))
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except BaseException:
            # Ctrl-C: hand out no more calls; the journal already holds every finished one.
            scheduler.stop()
            raise
        if errors:
            raise errors[0]

    def _one(self, scheduler: Scheduler, task: Task, tries: int, on_result: Callable[[Result], None]) -> None:
        tries += 1
        with self._lock:
            self.counters.calls += 1
            self.counters.retries += tries > 1
        try:
            items, headers = fetch(self.client_for(task.app.subscription), task)
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            with self._lock:
                self.counters.throttled += failure.status == 429
            if failure.retryable and tries < self.backoff.attempts:
                scheduler.retry(
                    task, tries, self.backoff.delay(tries, failure), pause_subscription=failure.status == 429
                )
                return
            on_result(Result(task, None, failure, tries))
            scheduler.done(task)
            return
        on_result(Result(task, items, None, tries))
        scheduler.done(task, _remaining_reads(headers))


def _remaining_reads(headers: dict[str, str]) -> int | None:
    for name, value in headers.items():
        if name.lower() == REMAINING_READS:
            try:
                return int(value)
            except ValueError:
                return None
    return None
