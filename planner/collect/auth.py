"""Credentials, clouds, signing in and the SDK clients the scanner uses.

Settings come from the command line (`--cloud`, `--tenant`) and the environment: `VNET_PLANNER_TOKEN`
(a bearer token used as-is, for pipelines and tests), `VNET_PLANNER_ARM_ENDPOINT` (the Resource Manager
base URL for both Resource Graph and ARM) and `REQUESTS_CA_BUNDLE` (which certificates to trust).

`sign_in` gets the first token before anything else happens, so that a machine without a usable
credential gets one line (`planner.collect.access`) instead of the SDK's dump, a progress bar and a
half-written folder. The token itself is held in memory only: what is shown and recorded is its
claims (`planner.collect.identity`).
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from azure.core import AzureClouds
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.core.tools import get_arm_endpoints
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.web import WebSiteManagementClient

from planner.collect.access import (
    AccessError,
    Attempt,
    sign_in_failed,
    token_expired,
    valid_tenant,
    wrong_tenant,
)
from planner.collect.identity import Identity, is_guid, token_claims

TOKEN_ENV = "VNET_PLANNER_TOKEN"
# Long enough for the slowest honest chain (the Azure CLI, PowerShell and azd get 10 s each); short
# enough that a managed-identity probe stuck behind a silent proxy (azure-core reads for 300 s) ends.
SIGN_IN_TIMEOUT = 60.0
# A cached token is renewed this long before it expires.
_RENEW_BEFORE = 300
ENDPOINT_ENV = "VNET_PLANNER_ARM_ENDPOINT"
CA_BUNDLE_ENV = "REQUESTS_CA_BUNDLE"


class Cloud(StrEnum):
    """Azure clouds, spelled as `az cloud list` spells them."""

    AZURE_CLOUD = "AzureCloud"
    AZURE_US_GOVERNMENT = "AzureUSGovernment"
    AZURE_CHINA_CLOUD = "AzureChinaCloud"


_SDK_CLOUD = {
    Cloud.AZURE_CLOUD: AzureClouds.AZURE_PUBLIC_CLOUD,
    Cloud.AZURE_US_GOVERNMENT: AzureClouds.AZURE_US_GOVERNMENT,
    Cloud.AZURE_CHINA_CLOUD: AzureClouds.AZURE_CHINA_CLOUD,
}
_AUTHORITY = {
    Cloud.AZURE_CLOUD: "login.microsoftonline.com",
    Cloud.AZURE_US_GOVERNMENT: "login.microsoftonline.us",
    Cloud.AZURE_CHINA_CLOUD: "login.chinacloudapi.cn",
}


class StaticTokenCredential:
    """A credential that returns one bearer token as it was given (VNET_PLANNER_TOKEN).

    azure-core asks for a token per client and caches it until `expires_on`; an hour is what Entra
    usually grants, and a pipeline that passes a token knows it is fresh.
    """

    def __init__(self, token: str, lifetime: int = 3600) -> None:
        self._token = token
        self._expires_on = int(time.time()) + lifetime

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        """The token, whatever the scopes: the caller chose it for this endpoint."""
        return AccessToken(self._token, self._expires_on)

    def close(self) -> None:
        """Nothing to release."""


class _Recorder:
    """One credential of DefaultAzureCredential's chain, watched: which one answered, and what each
    one that did not said (the chain itself only returns a multi-line message)."""

    def __init__(self, inner: Any, owner: ScanCredential) -> None:
        self._inner = inner
        self._owner = owner
        # The chain names credentials by this attribute when it has one (its own error message).
        self._credential_name = str(getattr(inner, "_credential_name", None) or type(inner).__name__)

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        from azure.identity import CredentialUnavailableError

        self._owner.trying = self._credential_name
        try:
            return self._inner.get_token(*scopes, **kwargs)
        except CredentialUnavailableError as exc:
            self._owner.attempts.append(Attempt(self._credential_name, True, str(exc.message)))
            raise
        except Exception as exc:
            self._owner.attempts.append(Attempt(self._credential_name, False, str(exc)))
            raise

    def __enter__(self) -> _Recorder:
        self._inner.__enter__()
        return self

    def __exit__(self, *args: Any) -> None:
        self._inner.__exit__(*args)

    def close(self) -> None:
        """Close the credential's transport."""
        self.__exit__()


class ScanCredential:
    """The credential of one scan or preflight: asks for tokens of `tenant` (--tenant), keeps each
    token until shortly before it expires (the Azure CLI would otherwise start a process per SDK
    client), and knows which source gave it."""

    def __init__(self, inner: Any, *, tenant: str | None = None, source: str | None = None) -> None:
        self.inner = inner
        self.tenant = tenant
        self._source = source
        self.attempts: list[Attempt] = []
        self.trying: str | None = None
        self._cache: dict[tuple[tuple[str, ...], str | None], AccessToken] = {}
        self._lock = threading.Lock()

    @classmethod
    def chain(cls, chained: Any, *, tenant: str | None) -> ScanCredential:
        """Wrap a ChainedTokenCredential (DefaultAzureCredential) and watch each link of it."""
        credential = cls(chained, tenant=tenant)
        chained.credentials = tuple(_Recorder(c, credential) for c in chained.credentials)
        return credential

    @property
    def source(self) -> str:
        """The credential that gave the tokens: "AzureCliCredential", "VNET_PLANNER_TOKEN", ..."""
        if self._source:
            return self._source
        answered = getattr(self.inner, "_successful_credential", None)
        if answered is not None:
            return str(getattr(answered, "_credential_name", None) or type(answered).__name__)
        return type(self.inner).__name__

    def get_token(self, *scopes: str, claims: str | None = None, **kwargs: Any) -> AccessToken:
        """A token for `scopes` in the tenant asked for; cached unless a claims challenge came."""
        tenant = kwargs.pop("tenant_id", None) or self.tenant
        if tenant:
            kwargs["tenant_id"] = tenant
        if claims:
            return self.inner.get_token(*scopes, claims=claims, **kwargs)
        key = (scopes, tenant)
        with self._lock:  # one sign-in at a time: the first one fills the cache for the others
            token = self._cache.get(key)
            if token is None or token.expires_on - time.time() < _RENEW_BEFORE:
                token = self.inner.get_token(*scopes, **kwargs)
                self._cache[key] = token
            return token

    def close(self) -> None:
        """Close the underlying credential."""
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()


def sign_in(
    credential: TokenCredential,
    scopes: tuple[str, ...],
    tenant: str | None = None,
    *,
    timeout: float = SIGN_IN_TIMEOUT,
) -> Identity:
    """Get the first token and say who it is for; AccessError (one line) when no usable token comes.

    Runs the credential in a thread with a deadline: a credential that never answers (a managed
    identity endpoint behind a silent proxy) must not hang the command.
    """
    outcome: dict[str, Any] = {}

    def get() -> None:
        try:
            outcome["token"] = credential.get_token(*scopes)
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=get, name="sign-in", daemon=True)
    worker.start()
    worker.join(timeout)
    recorded = credential if isinstance(credential, ScanCredential) else None
    if worker.is_alive():
        waiting = (recorded.trying if recorded else None) or type(credential).__name__
        hint = (
            "; on a machine that is not in Azure, set AZURE_TOKEN_CREDENTIALS=dev to skip it"
            if "ManagedIdentity" in waiting
            else ""
        )
        raise AccessError(
            f"signing in to Azure did not finish within {timeout:g} s: {waiting} did not answer{hint}"
        )
    error = outcome.get("error")
    if isinstance(error, ClientAuthenticationError):
        attempts = recorded.attempts if recorded else [Attempt(type(credential).__name__, False, str(error))]
        raise sign_in_failed(attempts, tenant, detail=str(error)) from error
    if isinstance(error, ValueError):  # e.g. a tenant azure-identity will not ask for
        raise AccessError(f"signing in to Azure failed: {error}", str(error)) from error
    if error is not None:
        raise error
    token: AccessToken = outcome["token"]
    source = recorded.source if recorded else type(credential).__name__
    identity = Identity.from_claims(source, token_claims(token.token))
    expires = identity.expires_on if identity.expires_on is not None else token.expires_on
    if expires and expires < time.time():
        when = dt.datetime.fromtimestamp(expires, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        raise token_expired(identity, when)
    # A domain (contoso.onmicrosoft.com) cannot be compared with the token's tenant id.
    if tenant and is_guid(tenant) and identity.tenant and identity.tenant.lower() != tenant.lower():
        raise wrong_tenant(identity, tenant)
    return identity


@dataclass(frozen=True)
class Connection:
    """Where and how to reach Azure: endpoint, token scope, TLS trust."""

    cloud: Cloud
    endpoint: str
    scopes: tuple[str, ...]
    verify: str | bool
    token: str | None

    @classmethod
    def from_env(cls, cloud: Cloud = Cloud.AZURE_CLOUD, env: Mapping[str, str] | None = None) -> Connection:
        """Settings for `cloud`, overridden by the VNET_PLANNER_* variables."""
        env = os.environ if env is None else env
        arm = get_arm_endpoints(_SDK_CLOUD[cloud])
        endpoint = (env.get(ENDPOINT_ENV) or arm["resource_manager"]).rstrip("/")
        # An empty REQUESTS_CA_BUNDLE means "not set", not "trust nothing".
        verify: str | bool = env.get(CA_BUNDLE_ENV) or True
        return cls(
            cloud=cloud,
            endpoint=endpoint,
            scopes=tuple(arm["credential_scopes"]),
            verify=verify,
            token=env.get(TOKEN_ENV) or None,
        )

    def credential(self, tenant: str | None = None) -> ScanCredential:
        """The bearer token if one was given, else DefaultAzureCredential for this cloud; tokens are
        asked for `tenant` (--tenant) when given."""
        if tenant is not None and not valid_tenant(tenant):
            raise AccessError(
                f"--tenant {tenant!r} is not a tenant: give its id (a GUID) or a domain such as "
                "contoso.onmicrosoft.com"
            )
        if self.token:
            return ScanCredential(StaticTokenCredential(self.token), tenant=tenant, source=TOKEN_ENV)
        from azure.identity import DefaultAzureCredential

        kwargs: dict[str, Any] = {"authority": _AUTHORITY[self.cloud]}
        if tenant:
            # A service principal configured for its home tenant may then ask for this one.
            kwargs["additionally_allowed_tenants"] = [tenant]
        return ScanCredential.chain(DefaultAzureCredential(**kwargs), tenant=tenant)

    def _client_kwargs(self, transport: RequestsTransport | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "base_url": self.endpoint,
            "credential_scopes": list(self.scopes),
            "connection_verify": self.verify,
            # The scanner retries on its own (collect/retry.py): it must see every 429 to pause the
            # right subscription, to count retries, and to retry Resource Graph POSTs without
            # Retry-After, which azure-core does not retry.
            "retry_total": 0,
            "read_timeout": 120,
        }
        if transport is not None:
            kwargs["transport"] = transport
        return kwargs

    def graph_client(self, credential: TokenCredential) -> ResourceGraphClient:
        """A Resource Graph client against this endpoint."""
        return ResourceGraphClient(credential, **self._client_kwargs(None))

    def web_client(
        self, credential: TokenCredential, subscription_id: str, transport: RequestsTransport | None = None
    ) -> WebSiteManagementClient:
        """An App Service client for one subscription; clients of a scan share one transport."""
        return WebSiteManagementClient(credential, subscription_id, **self._client_kwargs(transport))


def shared_transport(pool_size: int, verify: str | bool, endpoint: str) -> RequestsTransport:
    """One connection pool for all ARM clients, sized so `pool_size` threads never wait for a socket.

    The proxy settings (HTTPS_PROXY, NO_PROXY) are read once for the one host every call goes to:
    left to requests, they are re-read from the whole environment on every call, a fifth of the
    client's time per call when thousands of calls run.
    """
    import requests
    from requests.adapters import HTTPAdapter
    from requests.utils import get_environ_proxies

    session = requests.Session()
    session.proxies = dict(get_environ_proxies(endpoint))
    session.trust_env = False
    adapter = HTTPAdapter(pool_connections=4, pool_maxsize=max(10, pool_size))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True, connection_verify=verify)
