"""What to do after a failed call: retry (after how long) or give up, and why.

Shared by the Resource Graph and ARM collectors, which keep azure-core's own retries off so that
every 429 reaches them (see auth.py).
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)

# Statuses worth another try: throttling and the gateway/transient server errors ARM documents.
RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class Failure:
    """A classified failure: its HTTP status (0 when there was no answer), a one-line reason,
    whether another try may succeed, and how long the server asked us to wait (None: it did not say)."""

    status: int
    reason: str
    retryable: bool
    retry_after: float | None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from `retry-after-ms`, `x-ms-retry-after-ms` or `Retry-After` (seconds or HTTP date)."""
    lowered = {k.lower(): v for k, v in headers.items()}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        if name in lowered:
            try:
                return max(0.0, float(lowered[name]) / 1000)
            except ValueError:
                pass
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def error_code(exc: HttpResponseError) -> str:
    """The ARM error code of an HTTP error ("AuthorizationFailed"), or "" when the body has none."""
    if exc.error is not None and exc.error.code:
        return str(exc.error.code)
    response: Any = exc.response
    if response is None:
        return ""
    try:
        body = response.json()
    except Exception:  # the body of an error is not always JSON
        return ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("code") or "")
    return ""


def classify(exc: Exception) -> Failure | None:
    """Classify an exception from an SDK call; None when it is not a failure of the call (a bug)."""
    if isinstance(exc, ClientAuthenticationError):
        return Failure(401, "401 authentication failed: " + _first_line(exc), False, None)
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = int(exc.status_code)
        code = error_code(exc)
        reason = f"{status} {code}".strip() if code else f"{status} {_first_line(exc)}"
        response: Any = exc.response
        headers = dict(response.headers) if response is not None else {}
        return Failure(status, reason, status in RETRYABLE_STATUS, parse_retry_after(headers))
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)) and _is_tls_failure(exc):
        # An untrusted certificate does not get better by asking again.
        return Failure(0, "TLS failure (is REQUESTS_CA_BUNDLE right?): " + _first_line(exc), False, None)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        # No answer: refused, reset or dropped connection, timeout. Reads are safe to repeat.
        return Failure(0, "connection error: " + _first_line(exc), True, None)
    return None


def _is_tls_failure(exc: Exception) -> bool:
    inner = getattr(exc, "inner_exception", None)
    names = {type(e).__name__ for e in (exc, inner) if e is not None}
    return "SSLError" in names or "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


@dataclass(frozen=True)
class Backoff:
    """Retry budget and back-off when the server gives no Retry-After: base * 2^n, capped, with jitter."""

    attempts: int = 6
    base: float = 1.0
    cap: float = 30.0
    max_retry_after: float = 300.0

    def delay(self, attempt: int, failure: Failure) -> float:
        """Seconds to wait before try number `attempt + 1` (attempt counts from 1)."""
        if failure.retry_after is not None:
            return min(failure.retry_after, self.max_retry_after)
        # Full jitter keeps parallel workers from retrying in lockstep.
        return random.uniform(0.5, 1.0) * min(self.cap, self.base * 2 ** (attempt - 1))
