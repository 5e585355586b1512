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
    """A classified failure: HTTP status (0 when there was no answer), ARM error code and message,
    whether another try may succeed, and how long the server asked us to wait (None: it did not say)."""

    status: int
    code: str
    message: str
    retryable: bool
    retry_after: float | None

    @property
    def reason(self) -> str:
        """Status and code, as manifest `subscriptions[].reason` has it: "403 AuthorizationFailed"."""
        if not self.status:
            return self.message
        return f"{self.status} {self.code or self.message}"

    @property
    def detail(self) -> str:
        """Code and message, for a failed ARM call whose status the manifest lists beside it."""
        return f"{self.code}: {self.message}" if self.code else self.reason


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


def error_code(exc: HttpResponseError) -> tuple[str, str]:
    """The ARM error code and message of an HTTP error; ("", "") when the body has neither."""
    if exc.error is not None and exc.error.code:
        return str(exc.error.code), _one_line(str(exc.error.message or ""))
    response: Any = exc.response
    if response is None:
        return "", ""
    try:
        body = response.json()
    except Exception:  # the body of an error is not always JSON
        return "", ""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return str(error.get("code") or ""), _one_line(str(error.get("message") or ""))
    return "", ""


def classify(exc: Exception) -> Failure | None:
    """Classify an exception from an SDK call; None when it is not a failure of the call (a bug)."""
    if isinstance(exc, HttpResponseError) and exc.status_code is not None:
        status = int(exc.status_code)
        code, message = error_code(exc)
        if isinstance(exc, ClientAuthenticationError) and not code:
            code = "AuthenticationFailed"
        response: Any = exc.response
        headers = dict(response.headers) if response is not None else {}
        retryable = status in RETRYABLE_STATUS
        return Failure(status, code, message or _first_line(exc), retryable, parse_retry_after(headers))
    if isinstance(exc, ClientAuthenticationError):
        # No HTTP answer at all: the credential could not get a token.
        return Failure(401, "AuthenticationFailed", _first_line(exc), False, None)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)) and _is_tls_failure(exc):
        # An untrusted certificate does not get better by asking again.
        message = "TLS failure (is REQUESTS_CA_BUNDLE right?): " + _first_line(exc)
        return Failure(0, "", message, False, None)
    if isinstance(exc, (ServiceRequestError, ServiceResponseError)):
        # No answer: refused, reset or dropped connection, timeout. Reads are safe to repeat.
        return Failure(0, "", "connection error: " + _first_line(exc), True, None)
    return None


def _is_tls_failure(exc: Exception) -> bool:
    inner = getattr(exc, "inner_exception", None)
    names = {type(e).__name__ for e in (exc, inner) if e is not None}
    return "SSLError" in names or "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _first_line(exc: Exception) -> str:
    return _one_line(str(exc)) or type(exc).__name__


def _one_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[0][:300] if lines else ""


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
