"""Resource Graph client: scopes, subscription batches, paging, quota headers, retries.

One query runs over a list of subscriptions in batches (`batch_size`, at most 1000 per request);
each batch is paged with `$skipToken`. A batch that keeps failing is split in halves until the
failing subscriptions are found; they are reported and the others still get their rows. Requests
run one at a time: Resource Graph's quota is per user, so parallel queries would only wait for
each other (and the scan's time goes to ARM anyway).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from azure.core.exceptions import HttpResponseError
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from planner.collect.queries import Query
from planner.collect.retry import Backoff, Failure, classify

MAX_BATCH = 1000
PAGE_SIZE = 1000
_QUERY_ERROR_CODES = frozenset({"invalidquery", "parserfailure"})


class GraphError(Exception):
    """A Resource Graph failure that stops the scan (authentication, or no subscription list)."""


class CallFailed(Exception):
    """One Resource Graph request failed for good (after retries)."""

    def __init__(self, failure: Failure, query_error: bool = False) -> None:
        super().__init__(failure.reason)
        self.failure = failure
        self.query_error = query_error


def parse_duration(text: str) -> float | None:
    """Seconds in a `hh:mm:ss` (or `hh:mm:ss.fff`) value such as `x-ms-user-quota-resets-after`."""
    match = re.fullmatch(r"\s*(\d+):(\d{1,2}):(\d{1,2}(?:\.\d+)?)\s*", text or "")
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


class QuotaGuard:
    """Resource Graph's per-user quota, from the headers of the last answer.

    When `x-ms-user-quota-remaining` reaches `reserve`, the next request waits for
    `x-ms-user-quota-resets-after` instead of spending a call on a 429 (ARG-THR guidance).
    """

    def __init__(
        self,
        *,
        reserve: int = 0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reserve = reserve
        self.remaining: int | None = None
        self.resets_at: float | None = None
        self.waited = 0.0
        self._sleep, self._clock = sleep, clock

    def update(self, headers: Mapping[str, str]) -> None:
        """Remember the quota headers of an answer (any status)."""
        lowered = {k.lower(): v for k, v in headers.items()}
        remaining = lowered.get("x-ms-user-quota-remaining")
        resets = parse_duration(lowered.get("x-ms-user-quota-resets-after", ""))
        if remaining is not None and remaining.strip().lstrip("-").isdigit():
            self.remaining = int(remaining)
        if resets is not None:
            self.resets_at = self._clock() + resets

    def pause_needed(self) -> float:
        """Seconds to wait before the next request (0 when the quota allows it)."""
        if self.remaining is None or self.remaining > self.reserve or self.resets_at is None:
            return 0.0
        return max(0.0, self.resets_at - self._clock())

    def wait(self) -> float:
        """Wait for the quota window to reset if it is spent; return the seconds waited."""
        delay = self.pause_needed()
        if delay > 0:
            # A small margin: the header has whole-second resolution.
            delay += 0.05
            self._sleep(delay)
            self.waited += delay
            self.remaining = None
        return delay


@dataclass
class QueryOutcome:
    """What one query returned over its scope."""

    name: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    pages: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # subscription id -> reason
    error: str | None = None  # the query itself failed (e.g. rejected as invalid)
    failure: Failure | None = None  # what made it fail (status and ARM error code), with `error`
    denied: dict[str, Failure] = field(default_factory=dict)  # subscription id -> its 401/403, if so


@dataclass
class GraphCounters:
    """Requests sent (every attempt) and retries among them."""

    calls: int = 0
    retries: int = 0


class GraphCollector:
    """Runs queries against Resource Graph with batching, paging, quota and retries."""

    def __init__(
        self,
        client: ResourceGraphClient,
        *,
        batch_size: int = 300,
        page_size: int = PAGE_SIZE,
        backoff: Backoff | None = None,
        quota: QuotaGuard | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch_size must be 1..{MAX_BATCH}, not {batch_size}")
        self.client = client
        self.batch_size = batch_size
        self.page_size = page_size
        self.backoff = backoff or Backoff()
        self.quota = quota or QuotaGuard(sleep=sleep)
        self.counters = GraphCounters()
        self.warnings: list[str] = []
        self._sleep = sleep
        self._lock = threading.Lock()

    # -- public ------------------------------------------------------------------------------

    def query(
        self,
        query: Query,
        subscriptions: list[str] | None = None,
        *,
        management_group: str | None = None,
        on_page: Callable[[int], None] | None = None,
    ) -> QueryOutcome:
        """Run `query` over `subscriptions` (batched), or over a management group, or over everything
        the credential can read (both None). Failing subscriptions land in `outcome.failed`."""
        outcome = QueryOutcome(query.name)
        if subscriptions is None:
            try:
                outcome.rows, outcome.pages = self._run(query, None, management_group, on_page)
            except CallFailed as exc:
                outcome.error, outcome.failure = exc.failure.reason, exc.failure
            return outcome
        for start in range(0, len(subscriptions), self.batch_size):
            self._run_batch(query, subscriptions[start : start + self.batch_size], outcome, on_page)
            if outcome.error:
                break
        return outcome

    # -- batches -----------------------------------------------------------------------------

    def _run_batch(
        self,
        query: Query,
        batch: list[str],
        outcome: QueryOutcome,
        on_page: Callable[[int], None] | None,
    ) -> None:
        try:
            rows, pages = self._run(query, batch, None, on_page)
        except CallFailed as exc:
            if (
                exc.query_error
                or exc.failure.status == 401
                or not (exc.failure.status or exc.failure.retryable)
            ):
                # Splitting cannot help: the query or the credential is wrong, not a subscription.
                outcome.error, outcome.failure = exc.failure.reason, exc.failure
                return
            if len(batch) == 1:
                outcome.failed[batch[0]] = exc.failure.reason
                if exc.failure.status in (401, 403):
                    outcome.denied[batch[0]] = exc.failure
                return
            # Rows already paged from this batch are dropped: the halves fetch them again, and a
            # `$skipToken` only works for the scope it was issued for.
            middle = len(batch) // 2
            self._run_batch(query, batch[:middle], outcome, on_page)
            if not outcome.error:
                self._run_batch(query, batch[middle:], outcome, on_page)
            return
        outcome.rows.extend(rows)
        outcome.pages += pages

    def _run(
        self,
        query: Query,
        subscriptions: list[str] | None,
        management_group: str | None,
        on_page: Callable[[int], None] | None,
    ) -> tuple[list[dict[str, Any]], int]:
        """Every page of one scope (all pages or an exception)."""
        rows: list[dict[str, Any]] = []
        pages = 0
        token: str | None = None
        while True:
            request = QueryRequest(
                query=query.text,
                subscriptions=subscriptions,
                management_groups=[management_group] if management_group else None,
                options=QueryRequestOptions(
                    top=self.page_size, skip_token=token, result_format="objectArray"
                ),
            )
            body = self._call(request)
            data = body.get("data") or []
            if not isinstance(data, list):
                raise CallFailed(
                    Failure(200, "", "answer 'data' is not a list (resultFormat?)", False, None), True
                )
            rows.extend(data)
            pages += 1
            if on_page is not None:
                on_page(len(data))
            token = body.get("$skipToken") or None
            if not token:
                if str(body.get("resultTruncated", "false")).lower() == "true":
                    self.warnings.append(
                        f"{query.name}: Resource Graph truncated the result and gave no $skipToken"
                    )
                return rows, pages

    # -- one request -------------------------------------------------------------------------

    def _call(self, request: QueryRequest) -> dict[str, Any]:
        attempt = 0
        while True:
            attempt += 1
            self.quota.wait()
            self.counters.calls += 1
            if attempt > 1:
                self.counters.retries += 1
            try:
                answer: Any = self.client.resources(
                    request, cls=lambda pr, _des, _h: (pr.http_response.json(), pr.http_response.headers)
                )
                body, headers = answer
            except Exception as exc:
                failure = classify(exc)
                if failure is None:
                    raise
                response: Any = exc.response if isinstance(exc, HttpResponseError) else None
                if isinstance(exc, HttpResponseError) and response is not None:
                    self.quota.update(response.headers)
                    if _is_query_error(exc):
                        raise CallFailed(failure, query_error=True) from exc
                if failure.status == 401:
                    raise CallFailed(failure) from exc
                if not failure.retryable or attempt >= self.backoff.attempts:
                    raise CallFailed(failure) from exc
                if failure.retry_after is None and self.quota.pause_needed() > 0:
                    # A 429 without Retry-After but with quota headers: the quota wait covers it.
                    continue
                self._sleep(self.backoff.delay(attempt, failure))
                continue
            self.quota.update(headers)
            if str(headers.get("x-ms-tenant-subscription-limit-hit", "")).lower() == "true":
                self._warn_once(
                    "more than 10,000 subscriptions are visible: Resource Graph read only the first 10,000"
                )
            return body if isinstance(body, dict) else {}

    def _warn_once(self, message: str) -> None:
        with self._lock:
            if message not in self.warnings:
                self.warnings.append(message)


def _is_query_error(exc: HttpResponseError) -> bool:
    """True when Resource Graph rejected the query text itself (400 InvalidQuery / ParserFailure)."""
    response: Any = exc.response
    if exc.status_code != 400 or response is None:
        return False
    try:
        body = response.json()
    except Exception:  # not JSON: cannot tell, so treat it as a scope problem and split
        return False
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return False
    codes = {str(error.get("code", "")).lower()}
    codes |= {str(d.get("code", "")).lower() for d in error.get("details") or [] if isinstance(d, dict)}
    return bool(codes & _QUERY_ERROR_CODES)
