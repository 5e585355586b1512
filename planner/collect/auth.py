"""Credentials, clouds and the SDK clients the scanner uses.

Settings come from the command line (`--cloud`) and the environment: `VNET_PLANNER_TOKEN` (a bearer
token used as-is, for pipelines and tests), `VNET_PLANNER_ARM_ENDPOINT` (the Resource Manager base URL
for both Resource Graph and ARM) and `REQUESTS_CA_BUNDLE` (which certificates to trust).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from azure.core import AzureClouds
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.pipeline.transport import RequestsTransport
from azure.mgmt.core.tools import get_arm_endpoints
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.mgmt.web import WebSiteManagementClient

TOKEN_ENV = "VNET_PLANNER_TOKEN"
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

    def credential(self) -> TokenCredential:
        """The bearer token if one was given, else DefaultAzureCredential for this cloud."""
        if self.token:
            return StaticTokenCredential(self.token)
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential(authority=_AUTHORITY[self.cloud])

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
