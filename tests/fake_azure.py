"""A local HTTPS fake of Azure Resource Graph and the ARM calls `vnet-planner scan` makes.

It serves a tenant from an inventory (a folder in the format of docs/inventory.md, or a list of
resources) on 127.0.0.1 with a self-signed certificate, so the real azure-mgmt-resourcegraph and
azure-mgmt-web clients talk to it through their whole pipeline (auth header, TLS, paging, errors).

Resource Graph: `POST /providers/Microsoft.ResourceGraph/resources` evaluates just enough of a
query: the `// table:` and `// types:` header of the query file picks the rows, the request's
`subscriptions` / `managementGroups` filter them, `$top` / `$skipToken` page them, and the
`// columns:` header projects them. ARM: `GET .../sites/{app}[/slots/{slot}]/virtualNetworkConnections`
(a plain JSON array, as Azure answers), `.../config/configreferences/appsettings` (`{"value": [...]}`)
and `.../networkConfig/virtualNetwork` (one object, 404 when the tenant holds none).

Fault knobs, all settable while the server runs: `latency`, `page_limit`, scripted `faults` (a
status with or without `Retry-After`, or a dropped connection), `forbidden_subscriptions` (403),
`arg_quota` (Resource Graph's per-user quota headers) and `arm_throttle` (ARM's per-subscription
token bucket). `stats` records what was asked. Used by the tests and by benchmarks/scan.py.

Tokens: by default the fake accepts exactly `token`. With `tenant_id` set it reads bearer tokens as
Entra ID access tokens do (`make_jwt` builds one; the signature is not checked) and answers as
Resource Manager does: 401 `InvalidAuthenticationTokenTenant` for a token of another tenant,
`ExpiredAuthenticationToken` for an expired one, `InvalidAuthenticationToken` for anything else.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import math
import re
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ARG_PATH = "/providers/microsoft.resourcegraph/resources"
ARG_PAGE_MAX = 1000

_ARM_PATH = re.compile(
    r"^(?P<app>/subscriptions/(?P<sub>[^/]+)/resourcegroups/[^/]+/providers/microsoft\.web/sites/[^/]+"
    r"(?:/slots/[^/]+)?)/(?P<call>virtualnetworkconnections|config/configreferences/appsettings"
    r"|networkconfig/virtualnetwork)$"
)
_SUB_IN_PATH = re.compile(r"^/subscriptions/([^/]+)")
_VNET_RULE_PATHS = (
    ("networkAcls", "virtualNetworkRules"),
    ("virtualNetworkRules",),
    ("networkRuleSet", "virtualNetworkRules"),
)
_SITE_TYPES = {"microsoft.web/sites", "microsoft.web/sites/slots"}


# --------------------------------------------------------------------------------------------
# Certificates


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """Write a self-signed certificate for localhost and 127.0.0.1; return (cert.pem, key.pem).

    The certificate is its own CA, so pointing REQUESTS_CA_BUNDLE at cert.pem makes clients trust it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "fake-azure-cert.pem", directory / "fake-azure-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


# --------------------------------------------------------------------------------------------
# The tenant


def read_inventory(path: Path) -> list[dict[str, Any]]:
    """Every resource in an inventory folder or file, in any of the shapes docs/inventory.md allows."""
    files = (
        [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.suffix in (".json", ".jsonl"))
    )
    out: list[dict[str, Any]] = []
    for file in files:
        if file.name == "manifest.json":
            continue
        text = file.read_text(encoding="utf-8")
        if file.suffix == ".jsonl":
            out.extend(json.loads(line) for line in text.splitlines() if line.strip())
            continue
        doc = json.loads(text)
        if isinstance(doc, dict) and isinstance(doc.get("data"), list):
            doc = doc["data"]
        elif isinstance(doc, dict) and isinstance(doc.get("value"), list):
            doc = doc["value"]
        out.extend(doc if isinstance(doc, list) else [doc])
    return [r for r in out if isinstance(r, dict) and "id" in r]


def arm_call_of(resource: dict[str, Any]) -> tuple[str, str] | None:
    """(call, parent app id lower-case) for a per-app ARM record, None for a Resource Graph resource."""
    rid = str(resource.get("id", "")).lower()
    for marker, call in (
        ("/virtualnetworkconnections/", "vnetconnections"),
        ("/config/configreferences/appsettings/", "kvreferences"),
        ("/networkconfig/", "networkconfig"),
    ):
        if marker in rid:
            return call, rid.split(marker)[0]
    return None


@dataclass
class Tenant:
    """What the fake serves: Resource Graph tables and the per-app ARM lists."""

    resources: list[dict[str, Any]] = field(default_factory=list)
    containers: list[dict[str, Any]] = field(default_factory=list)
    arm: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    apps: set[str] = field(default_factory=set)
    management_groups: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_resources(cls, items: Iterable[dict[str, Any]]) -> Tenant:
        """Sort resources into tables; a subscription's management groups come from its ancestors chain."""
        tenant = cls()
        for item in items:
            call = arm_call_of(item)
            rtype = str(item.get("type", "")).lower()
            if call is not None:
                tenant.arm.setdefault(call, []).append(item)
            elif rtype == "microsoft.resources/subscriptions":
                tenant.containers.append(item)
                sub = str(item.get("subscriptionId") or str(item["id"]).rsplit("/", 1)[-1]).lower()
                chain = (item.get("properties") or {}).get("managementGroupAncestorsChain") or []
                for group in chain:
                    if isinstance(group, dict) and group.get("name"):
                        tenant.management_groups.setdefault(str(group["name"]).lower(), set()).add(sub)
            else:
                tenant.resources.append(item)
                if rtype in _SITE_TYPES:
                    tenant.apps.add(str(item["id"]).lower())
        return tenant

    @classmethod
    def from_path(cls, path: Path) -> Tenant:
        """Load an inventory folder or file."""
        return cls.from_resources(read_inventory(path))


# --------------------------------------------------------------------------------------------
# Knobs and statistics


@dataclass
class Fault:
    """A scripted failure: the next `times` requests that match fail this way.

    `kind` is "status" (answer `status`, with `Retry-After: retry_after` when that is not None) or
    "drop" (close the connection without an answer). A request matches when its lower-cased path
    contains `path_contains`, and its subscription (ARM path, or Resource Graph request body) is
    `subscription` when that is set.
    """

    kind: str = "status"
    status: int = 429
    retry_after: float | None = None
    path_contains: str = ""
    subscription: str | None = None
    times: int = 1
    code: str = "TooManyRequests"
    message: str = "scripted fault"


@dataclass
class RequestLog:
    """One request the fake answered."""

    method: str
    path: str
    status: int
    subscriptions: tuple[str, ...]
    body: dict[str, Any] | None
    at: float  # when the answer went out (time.monotonic)
    received: float  # when the request came in


@dataclass
class Stats:
    """What the fake saw; tests assert on it."""

    requests: list[RequestLog] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    throttled: int = 0
    dropped: int = 0
    connections: int = 0  # TCP connections accepted (keep-alive reuses them)

    def count(self, *, kind: str | None = None, status: int | None = None) -> int:
        """Requests of a kind ("arg" or "arm") and/or status."""
        return sum(
            1
            for r in self.requests
            if (kind is None or (r.path == ARG_PATH) == (kind == "arg"))
            and (status is None or r.status == status)
        )

    def arg_bodies(self) -> list[dict[str, Any]]:
        """Bodies of the Resource Graph requests, in order."""
        return [r.body for r in self.requests if r.path == ARG_PATH and r.body is not None]

    def arm_apps(self) -> set[str]:
        """Lower-case ids of the apps and slots that ARM calls were made for."""
        return {m.group("app") for r in self.requests if (m := _ARM_PATH.match(r.path))}


class TokenBucket:
    """ARM's read throttling per subscription: `burst` tokens, refilled at `rate` per second."""

    def __init__(self, burst: int, rate: float) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> tuple[bool, int, float]:
        """Take one token: (granted, tokens left, seconds until the next token)."""
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True, int(self.tokens), 0.0
        return False, 0, (1.0 - self.tokens) / self.rate


# --------------------------------------------------------------------------------------------
# Query evaluation


def _header(query: str) -> dict[str, str]:
    header: dict[str, str] = {}
    last = None
    for line in query.splitlines():
        if not line.startswith("//"):
            break
        match = re.match(r"^//\s*([a-z_]+):\s*(.*)$", line)
        if match:
            last = match.group(1)
            header[last] = match.group(2).strip()
        elif last and line[2:].strip():
            header[last] += " " + line[2:].strip()
    return header


def _has_vnet_rules(resource: dict[str, Any]) -> bool:
    props = resource.get("properties")
    for path in _VNET_RULE_PATHS:
        node: Any = props
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list) and node:
            return True
    return False


def select_rows(
    tenant: Tenant, query: str, subscriptions: list[str] | None, groups: list[str] | None
) -> list[dict]:
    """The rows a query file returns for a scope, sorted by id and projected; ValueError if not understood."""
    header = _header(query)
    if "table" not in header or "types" not in header:
        raise ValueError("the fake only understands queries with '// table:' and '// types:' headers")
    table = tenant.containers if header["table"].lower() == "resourcecontainers" else tenant.resources
    types_text = header["types"].lower()
    if types_text.startswith("any"):
        excluded = set()
        if "except" in types_text:
            excluded = set(re.findall(r"[a-z]+\.[a-z]+/[a-z/]+", types_text.split("except", 1)[1]))

        def wanted(r: dict) -> bool:
            return str(r.get("type", "")).lower() not in excluded and _has_vnet_rules(r)
    else:
        types = {t.strip() for t in types_text.split(",") if t.strip()}

        def wanted(r: dict) -> bool:
            return str(r.get("type", "")).lower() in types

    scope: set[str] | None = None
    if subscriptions:
        scope = {s.lower() for s in subscriptions}
    elif groups:
        scope = set().union(*(tenant.management_groups.get(g.lower(), set()) for g in groups))
    columns = [c.strip() for c in header.get("columns", "").split(",") if c.strip()]
    rows = []
    for r in table:
        sub = str(r.get("subscriptionId") or "").lower() or _sub_of(str(r.get("id", "")))
        if wanted(r) and (scope is None or sub in scope):
            rows.append({c: r[c] for c in columns if c in r} if columns else dict(r))
    rows.sort(key=lambda r: str(r.get("id", "")))
    return rows


def _sub_of(path: str) -> str:
    match = _SUB_IN_PATH.match(path.lower())
    return match.group(1) if match else ""


# --------------------------------------------------------------------------------------------
# The server


def make_jwt(**claims: Any) -> str:
    """An unsigned JWT carrying `claims`, shaped like an Entra ID access token (tests only)."""

    def part(doc: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")

    claims.setdefault("exp", int(time.time()) + 3600)
    claims.setdefault("aud", "https://management.azure.com")
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.c2ln"


def _jwt_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


class FakeAzure:
    """The fake: start() it (or use it as a context manager), point the scanner at `base_url`."""

    def __init__(
        self,
        tenant: Tenant | Path,
        *,
        cert_dir: Path,
        token: str | None = "fake-token",
        latency: float = 0.0,
        page_limit: int = ARG_PAGE_MAX,
        arm_page_size: int | None = None,
        tenant_id: str | None = None,
    ) -> None:
        self.tenant = tenant if isinstance(tenant, Tenant) else Tenant.from_path(tenant)
        self.tenant_id = tenant_id
        self.cert_path, self.key_path = make_certificate(cert_dir)
        self.token = token
        self.latency = latency
        self.page_limit = page_limit
        self.arm_page_size = arm_page_size
        self.faults: list[Fault] = []
        self.forbidden_subscriptions: set[str] = set()
        self.arg_quota: tuple[int, float] | None = None
        self.arm_throttle: tuple[int, float] | None = None
        self.whole_second_retry_after = True
        self.stats = Stats()
        self._lock = threading.Lock()
        self._buckets: dict[str, TokenBucket] = {}
        self._quota_window: tuple[float, int] = (0.0, 0)
        self._row_cache: dict[str, list[dict]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """https://127.0.0.1:<port>, the value for VNET_PLANNER_ARM_ENDPOINT."""
        assert self._server is not None, "start() the fake first"
        return f"https://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeAzure:
        """Listen on an ephemeral port of 127.0.0.1 in a daemon thread."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_path, self.key_path)
        self._server = _Server(("127.0.0.1", 0), _Handler, context, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-azure", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeAzure:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """Environment variables that point `vnet-planner scan` at this fake."""
        env = {"VNET_PLANNER_ARM_ENDPOINT": self.base_url, "REQUESTS_CA_BUNDLE": str(self.cert_path)}
        if self.token:
            env["VNET_PLANNER_TOKEN"] = self.token
        return env

    # -- knobs -------------------------------------------------------------------------------

    def add_fault(self, fault: Fault) -> None:
        """Script a failure (see Fault)."""
        with self._lock:
            self.faults.append(fault)

    def _take_fault(self, path: str, subscriptions: Iterable[str]) -> Fault | None:
        subs = {s.lower() for s in subscriptions}
        with self._lock:
            for fault in self.faults:
                if fault.times <= 0 or fault.path_contains.lower() not in path:
                    continue
                if fault.subscription is not None and fault.subscription.lower() not in subs:
                    continue
                fault.times -= 1
                return fault
        return None

    def _quota(self) -> tuple[bool, dict[str, str]]:
        """Resource Graph's per-user quota: fixed windows of `arg_quota = (queries, seconds)`."""
        if self.arg_quota is None:
            return True, {}
        limit, window = self.arg_quota
        with self._lock:
            now = time.monotonic()
            start, used = self._quota_window
            if now - start >= window:
                start, used = now, 0
            granted = used < limit
            used += 1 if granted else 0
            self._quota_window = (start, used)
            left = max(0.0, start + window - now)
        resets = str(dt.timedelta(seconds=math.ceil(left))).rjust(8, "0")
        return granted, {
            "x-ms-user-quota-remaining": str(max(0, limit - used)),
            "x-ms-user-quota-resets-after": resets,
        }

    def _throttle(self, subscription: str) -> tuple[bool, dict[str, str]]:
        """ARM's per-subscription token bucket, `arm_throttle = (burst, refill per second)`."""
        if self.arm_throttle is None:
            return True, {}
        with self._lock:
            bucket = self._buckets.get(subscription)
            if bucket is None:
                bucket = self._buckets[subscription] = TokenBucket(*self.arm_throttle)
            granted, left, wait = bucket.take()
        headers = {"x-ms-ratelimit-remaining-subscription-reads": str(left)}
        if not granted:
            # ARM answers whole seconds; tests may ask for the exact wait to run faster.
            headers["Retry-After"] = (
                str(max(1, math.ceil(wait))) if self.whole_second_retry_after else f"{wait:.3f}"
            )
        return granted, headers

    # -- request handling --------------------------------------------------------------------

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> _Reply:
        """Answer one request (called from the handler threads)."""
        split = urlsplit(raw_path)
        path = split.path.lower().rstrip("/")
        query = {k.lower(): v[-1] for k, v in parse_qs(split.query).items()}
        doc: dict[str, Any] | None = None
        if body:
            try:
                doc = json.loads(body)
            except ValueError:
                return _error(400, "InvalidRequestContent", "body is not JSON")
        subs = tuple((doc or {}).get("subscriptions") or ()) if path == ARG_PATH else (_sub_of(path),)
        authorization = headers.get("authorization", "")
        if self.tenant_id is not None:
            refused = self._check_jwt(authorization.removeprefix("Bearer "))
            if refused is not None:
                return refused
        elif self.token and authorization != f"Bearer {self.token}":
            return _error(401, "AuthenticationFailed", "missing or wrong bearer token")
        if "api-version" not in query:
            return _error(400, "MissingApiVersionParameter", "api-version is required")
        fault = self._take_fault(path, subs)
        if fault is not None:
            if fault.kind == "drop":
                return _Reply(drop=True)
            extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
            return _error(fault.status, fault.code, fault.message, extra)
        if any(s.lower() in self.forbidden_subscriptions for s in subs):
            return _error(
                403, "AuthorizationFailed", "The client does not have authorization to read " + ",".join(subs)
            )
        if path == ARG_PATH and method == "POST":
            granted, quota = self._quota()
            if not granted:
                return _error(429, "RateLimiting", "user quota exceeded", quota)
            reply = self._resource_graph(doc or {})
            reply.headers.update(quota)
            return reply
        match = _ARM_PATH.match(path)
        if method != "GET" or match is None:
            return _error(404, "NotFound", f"the fake does not serve {method} {path}")
        granted, limits = self._throttle(match.group("sub"))
        if not granted:
            return _error(429, "TooManyRequests", "subscription read quota exceeded", limits)
        reply = self._arm(match.group("app"), match.group("call"), query)
        reply.headers.update(limits)
        return reply

    def _check_jwt(self, token: str) -> _Reply | None:
        """Resource Manager's checks of an access token, as far as the claims tell (no signature)."""
        claims = _jwt_claims(token)
        if claims is None:
            return _error(401, "InvalidAuthenticationToken", "The access token is invalid.")
        if str(claims.get("tid", "")).lower() != str(self.tenant_id).lower():
            return _error(
                401,
                "InvalidAuthenticationTokenTenant",
                f"The access token is from the wrong issuer 'https://sts.windows.net/{claims.get('tid')}/'. "
                f"It must match the tenant 'https://sts.windows.net/{self.tenant_id}/' associated with this "
                f"subscription. Please use the authority (URL) 'https://login.windows.net/{self.tenant_id}' "
                "to get the token.",
            )
        if float(claims.get("exp", 0)) < time.time():
            now = dt.datetime.now(dt.UTC).strftime("%m/%d/%Y %H:%M:%S")
            return _error(
                401,
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time is earlier than current UTC time '{now}'.",
            )
        return None

    def _resource_graph(self, doc: dict[str, Any]) -> _Reply:
        text = str(doc.get("query", ""))
        options = doc.get("options") or {}
        subs, groups = doc.get("subscriptions"), doc.get("managementGroups")
        if subs and groups:
            return _error(400, "BadRequest", "subscriptions and managementGroups cannot be combined")
        key = hashlib.sha256(json.dumps([text, subs, groups], sort_keys=True).encode()).hexdigest()[:16]
        with self._lock:
            rows = self._row_cache.get(key)
        if rows is None:
            try:
                rows = select_rows(self.tenant, text, subs, groups)
            except ValueError as exc:
                return _error(400, "InvalidQuery", str(exc))
            with self._lock:
                self._row_cache[key] = rows
        offset = 0
        token = options.get("$skipToken")
        if token:
            try:
                token_key, offset_text = base64.urlsafe_b64decode(token.encode()).decode().split(":")
                offset = int(offset_text)
            except ValueError:
                return _error(400, "InvalidSkipToken", "unreadable $skipToken")
            if token_key != key:
                # A token is only valid for the same query and scope (ARG-DATA).
                return _error(400, "InvalidSkipToken", "$skipToken belongs to another query or scope")
        offset += int(options.get("$skip") or 0) if not token else 0
        top = min(int(options.get("$top") or ARG_PAGE_MAX), ARG_PAGE_MAX, self.page_limit)
        page = rows[offset : offset + top]
        answer: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "data": page,
            "facets": [],
        }
        if offset + top < len(rows):
            answer["$skipToken"] = base64.urlsafe_b64encode(f"{key}:{offset + top}".encode()).decode()
        return _Reply(200, answer)

    def _arm(self, app: str, call: str, query: dict[str, str]) -> _Reply:
        if app not in self.tenant.apps:
            return _error(404, "ResourceNotFound", f"The Resource '{app}' was not found.")
        if call == "virtualnetworkconnections":
            return _Reply(200, self.tenant.arm.get(("vnetconnections", app), []))
        if call == "networkconfig/virtualnetwork":
            items = self.tenant.arm.get(("networkconfig", app), [])
            if not items:
                return _error(404, "NotFound", "no networkConfig for this app")
            return _Reply(200, items[0])
        items = self.tenant.arm.get(("kvreferences", app), [])
        if self.arm_page_size is None:
            return _Reply(200, {"value": items})
        start = int(query.get("$skiptoken") or 0)
        answer: dict[str, Any] = {"value": items[start : start + self.arm_page_size]}
        if start + self.arm_page_size < len(items):
            answer["nextLink"] = (
                f"{self.base_url}{app}/config/configreferences/appsettings"
                f"?api-version={query['api-version']}&$skiptoken={start + self.arm_page_size}"
            )
        return _Reply(200, answer)


@dataclass
class _Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> _Reply:
    return _Reply(status, {"error": {"code": code, "message": message}}, dict(headers or {}))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a burst of new connections (16 workers
    # opening theirs at once), and each dropped one costs the client a 1-second retransmit.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type, context: ssl.SSLContext, fake: FakeAzure):
        super().__init__(address, handler)
        self.context, self.fake = context, fake

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs here, in the connection's own thread, not in the accept loop.
        with self.fake._lock:
            self.fake.stats.connections += 1
        try:
            request = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        super().finish_request(request, client_address)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (a dropped connection is one of the knobs) are not errors here.
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        received = time.monotonic()
        with fake._lock:
            fake.stats.in_flight += 1
            fake.stats.max_in_flight = max(fake.stats.max_in_flight, fake.stats.in_flight)
        try:
            if fake.latency:
                time.sleep(fake.latency)
            headers = {k.lower(): v for k, v in self.headers.items()}
            reply = fake.handle(method, self.path, headers, body)
        finally:
            with fake._lock:
                fake.stats.in_flight -= 1
        path = urlsplit(self.path).path.lower().rstrip("/")
        doc = None
        if path == ARG_PATH and body:
            try:
                doc = json.loads(body)
            except ValueError:
                doc = None
        subs = tuple((doc or {}).get("subscriptions") or ()) if doc else (_sub_of(path),)
        with fake._lock:
            fake.stats.requests.append(
                RequestLog(
                    method, path, 0 if reply.drop else reply.status, subs, doc, time.monotonic(), received
                )
            )
            fake.stats.throttled += reply.status == 429 and not reply.drop
            fake.stats.dropped += reply.drop
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-ms-request-id", hashlib.md5(payload + str(time.time()).encode()).hexdigest())
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)


def iter_arg_pages(stats: Stats, query_name: str) -> Iterator[RequestLog]:
    """The Resource Graph requests made for one query file (found by its `// name:` header)."""
    for r in stats.requests:
        if r.path == ARG_PATH and r.body and f"// name: {query_name}\n" in str(r.body.get("query", "")):
            yield r


# --------------------------------------------------------------------------------------------
# A synthetic tenant (tests and the benchmark; independent of planner.sample.synthetic)

# (sku name, tier, reserved): a mix of tiers with and without gateway-required integration.
_PLAN_SKUS: tuple[tuple[str, str, bool], ...] = (
    ("S1", "Standard", False),
    ("P1v3", "PremiumV3", False),
    ("B1", "Basic", False),
    ("P1v2", "PremiumV2", False),
    ("Y1", "Dynamic", False),
    ("EP1", "ElasticPremium", False),
    ("P1v3", "PremiumV3", True),
    ("S2", "Standard", False),
    ("I1v2", "IsolatedV2", False),
    ("F1", "Free", False),
    ("WS1", "WorkflowStandard", False),
    ("P0v4", "PremiumV4", False),
)


def _guid(*parts: object) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(str(p) for p in parts)))


@dataclass(frozen=True)
class _ResourceMaker:
    """Builds resources of one subscription with the full ARM columns."""

    sub: str
    region: str
    tags: dict[str, str]

    def __call__(
        self, rg: str, provider_path: str, name: str, rtype: str, props: dict[str, Any], **extra: Any
    ) -> dict[str, Any]:
        return {
            "id": f"/subscriptions/{self.sub}/resourceGroups/{rg}/providers/{provider_path}/{name}",
            "name": name,
            "type": rtype,
            "location": extra.pop("location", self.region),
            "kind": extra.pop("kind", ""),
            "subscriptionId": self.sub,
            "resourceGroup": rg,
            "sku": extra.pop("sku", None),
            "properties": props,
            "tags": extra.pop("tags", dict(self.tags)),
        }


def synthetic_tenant(
    subscriptions: int, apps: int, *, slot_every: int = 7, apps_per_plan: int = 4
) -> list[dict[str, Any]]:
    """A deterministic tenant of `apps` apps spread over `subscriptions`, as Resource Graph and ARM
    would return it: plans of mixed tiers, slots, VNets, gateways, vaults, storage with VNet rules,
    gateway-required connections (with a public certBlob), KV references and
    networkConfig records. Every resource has the full ARM columns."""
    out: list[dict[str, Any]] = []
    per_sub = [apps // subscriptions + (1 if i < apps % subscriptions else 0) for i in range(subscriptions)]
    app_no = 0
    for s in range(subscriptions):
        sub = _guid("sub", s)
        region = ("westeurope", "northeurope", "eastus")[s % 3]
        base = f"/subscriptions/{sub}/resourceGroups"

        res = _ResourceMaker(sub, region, {"env": "prod" if s % 2 else "test"})
        out.append(
            {
                "id": f"/subscriptions/{sub}",
                "name": f"sub-{s:03d}",
                "type": "microsoft.resources/subscriptions",
                "location": "",
                "kind": "",
                "subscriptionId": sub,
                "resourceGroup": "",
                "sku": None,
                "properties": {
                    "state": "Enabled",
                    "managementGroupAncestorsChain": [
                        {"name": "mg-prod" if s % 2 else "mg-test", "displayName": "workloads"},
                        {"name": "mg-root", "displayName": "Tenant Root Group"},
                    ],
                },
                "tags": {},
            }
        )
        vnet_id = f"{base}/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-hub"
        out.append(
            res(
                "rg-net",
                "Microsoft.Network/virtualNetworks",
                "vnet-hub",
                "microsoft.network/virtualnetworks",
                {
                    "addressSpace": {"addressPrefixes": [f"10.{s % 250}.0.0/16"]},
                    "subnets": [
                        {
                            "id": f"{vnet_id}/subnets/GatewaySubnet",
                            "name": "GatewaySubnet",
                            "properties": {"addressPrefix": f"10.{s % 250}.0.0/27"},
                        },
                        {
                            "id": f"{vnet_id}/subnets/snet-data",
                            "name": "snet-data",
                            "properties": {
                                "addressPrefix": f"10.{s % 250}.1.0/24",
                                "serviceEndpoints": [{"service": "Microsoft.Storage"}],
                            },
                        },
                    ],
                    "dhcpOptions": {"dnsServers": [f"10.{s % 250}.1.4"]},
                    "virtualNetworkPeerings": [],
                },
            )
        )
        gw = res(
            "rg-net",
            "Microsoft.Network/virtualNetworkGateways",
            "vgw-hub",
            "microsoft.network/virtualnetworkgateways",
            {
                "gatewayType": "Vpn",
                "vpnType": "RouteBased",
                "sku": {"name": "VpnGw1", "tier": "VpnGw1"},
                "ipConfigurations": [
                    {"name": "default", "properties": {"subnet": {"id": f"{vnet_id}/subnets/GatewaySubnet"}}}
                ],
                "vpnClientConfiguration": {
                    "vpnClientAddressPool": {"addressPrefixes": ["172.16.0.0/24"]},
                    "vpnClientProtocols": ["SSTP"],
                    "vpnAuthenticationTypes": ["Certificate"],
                },
                "provisioningState": "Succeeded",
            },
        )
        out.append(gw)
        if s % 3 == 0:
            out.append(
                res(
                    "rg-net",
                    "Microsoft.Network/localNetworkGateways",
                    "lgw-onprem",
                    "microsoft.network/localnetworkgateways",
                    {"localNetworkAddressSpace": {"addressPrefixes": ["192.168.0.0/16"]}},
                )
            )
            out.append(
                res(
                    "rg-net",
                    "Microsoft.Network/connections",
                    "cn-onprem",
                    "microsoft.network/connections",
                    {"connectionType": "IPsec", "virtualNetworkGateway1": {"id": gw["id"]}},
                )
            )
        if s % 5 == 0:
            out.append(
                res(
                    "rg-classic",
                    "Microsoft.ClassicNetwork/virtualNetworks",
                    "classic-vnet",
                    "microsoft.classicnetwork/virtualnetworks",
                    {"addressSpace": {"addressPrefixes": ["10.200.0.0/16"]}},
                )
            )
        vault = res(
            "rg-sec",
            "Microsoft.KeyVault/vaults",
            f"kv-{s:03d}",
            "microsoft.keyvault/vaults",
            {
                "vaultUri": f"https://kv-{s:03d}.vault.azure.net/",
                "publicNetworkAccess": "Enabled",
                "networkAcls": {
                    "defaultAction": "Deny" if s % 2 else "Allow",
                    "virtualNetworkRules": [{"id": f"{vnet_id}/subnets/snet-data"}],
                },
            },
        )
        out.append(vault)
        out.append(
            res(
                "rg-data",
                "Microsoft.Storage/storageAccounts",
                f"st{s:03d}",
                "microsoft.storage/storageaccounts",
                {
                    "networkAcls": {
                        "defaultAction": "Deny",
                        "virtualNetworkRules": [{"id": f"{vnet_id}/subnets/snet-data"}],
                    }
                },
                kind="StorageV2",
                sku={"name": "Standard_LRS", "tier": "Standard"},
            )
        )
        out.append(
            res("rg-data", "Microsoft.Compute/disks", "disk1", "microsoft.compute/disks", {"diskSizeGB": 32})
        )
        plan_ids: list[tuple[str, str, bool]] = []
        for a in range(per_sub[s]):
            if a % apps_per_plan == 0:
                sku_name, tier, reserved = _PLAN_SKUS[(len(plan_ids) + s) % len(_PLAN_SKUS)]
                plan = res(
                    "rg-web",
                    "Microsoft.Web/serverfarms",
                    f"plan-{len(plan_ids):04d}",
                    "microsoft.web/serverfarms",
                    {
                        "reserved": reserved,
                        "hyperV": False,
                        "numberOfWorkers": 2,
                        "maximumNumberOfWorkers": 10,
                    },
                    kind="linux" if reserved else "app",
                    sku={"name": sku_name, "tier": tier, "capacity": 2},
                )
                out.append(plan)
                plan_ids.append((plan["id"], tier, reserved))
                if len(plan_ids) % 3 == 0:
                    out.append(
                        res(
                            "rg-web",
                            "microsoft.insights/autoscalesettings",
                            f"autoscale-{len(plan_ids):04d}",
                            "microsoft.insights/autoscalesettings",
                            {
                                "targetResourceUri": plan["id"],
                                "enabled": True,
                                "profiles": [{"capacity": {"minimum": "2", "maximum": "8", "default": "2"}}],
                            },
                        )
                    )
            plan_id, tier, reserved = plan_ids[-1]
            name = f"app-{app_no:05d}"
            app_no += 1
            site = res(
                "rg-web",
                "Microsoft.Web/sites",
                name,
                "microsoft.web/sites",
                {"serverFarmId": plan_id, "reserved": reserved, "hyperV": False, "state": "Running"},
                kind="app,linux" if reserved else "app",
            )
            out.append(site)
            owners = [site]
            if a % slot_every == 3:
                slot = res(
                    "rg-web",
                    "Microsoft.Web/sites",
                    f"{name}/slots/staging",
                    "microsoft.web/sites/slots",
                    {"serverFarmId": plan_id, "reserved": reserved},
                    kind=site["kind"],
                )
                slot["name"] = f"{name}/staging"
                out.append(slot)
                owners.append(slot)
            for owner in owners:
                oid = owner["id"]
                otype = "Microsoft.Web/sites/slots" if "/slots/" in oid else "Microsoft.Web/sites"
                if a % 3 == 0 and not reserved:
                    out.append(
                        {
                            "id": f"{oid}/virtualNetworkConnections/vnet-hub",
                            "name": "vnet-hub",
                            "type": f"{otype}/virtualNetworkConnections",
                            "location": region,
                            "properties": {
                                "vnetResourceId": vnet_id,
                                "certThumbprint": "AB" * 20,
                                "certBlob": "MIIB" + "A" * 60,
                                "routes": [],
                                "resyncRequired": a % 9 == 0,
                                "dnsServers": f"10.{s % 250}.1.4",
                                "isSwift": False,
                            },
                        }
                    )
                if a % 4 == 1:
                    out.append(
                        {
                            "id": f"{oid}/config/configreferences/appsettings/DbPassword",
                            "name": "DbPassword",
                            "properties": {
                                "reference": f"@Microsoft.KeyVault(SecretUri={vault['properties']['vaultUri']}secrets/db/)",
                                "status": "Resolved",
                                "vaultName": vault["name"],
                                "secretName": "db",
                                "identityType": "SystemAssigned",
                            },
                        }
                    )
                if tier in ("Basic", "Standard"):
                    out.append(
                        {
                            "id": f"{oid}/networkConfig/virtualNetwork",
                            "name": "virtualNetwork",
                            "type": f"{otype}/networkConfig",
                            "location": region,
                            "properties": {"subnetResourceId": None, "swiftSupported": a % 2 == 0},
                        }
                    )
    return out


def write_inventory(folder: Path, resources: list[dict[str, Any]]) -> Path:
    """Write resources as a hand-built inventory, one file per type, cycling through every shape
    docs/inventory.md allows (JSON array, Resource Graph response, ARM list, JSON Lines)."""
    folder.mkdir(parents=True, exist_ok=True)
    by_type: dict[str, list[dict[str, Any]]] = {}
    for item in resources:
        call = arm_call_of(item)
        key = (
            call[0] if call else str(item.get("type", "unknown")).lower().replace("/", "_").replace(".", "_")
        )
        by_type.setdefault(key, []).append(item)
    for n, (key, items) in enumerate(sorted(by_type.items())):
        shape = n % 4
        if shape == 0:
            (folder / f"{key}.json").write_text(json.dumps(items, indent=1))
        elif shape == 1:
            doc = {"totalRecords": len(items), "count": len(items), "resultTruncated": "false", "data": items}
            (folder / f"{key}.json").write_text(json.dumps(doc))
        elif shape == 2:
            (folder / f"{key}.json").write_text(json.dumps({"value": items, "nextLink": None}))
        else:
            (folder / f"{key}.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    return folder
