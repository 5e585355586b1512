"""What stops a scan before it reads anything, in one line naming the cause and the fix.

Signing in (no credential, a tenant the identity is not in, an expired sign-in or secret), tokens
Resource Manager refuses (expired, wrong tenant), Resource Graph refusing the query, and no
subscription visible. `AccessError` carries the line; the SDK's own text goes to `detail`, which
the CLI prints only with `--verbose`. The advice for a denied read (which role, on which scope) is
also here, so `scan` and `preflight` say the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from planner.collect.identity import Identity, is_guid
from planner.collect.retry import Failure

DOCS = "docs/scan.md"

# The command that signs a credential of DefaultAzureCredential's chain in again.
_SIGN_IN_COMMAND = {
    "AzureCliCredential": "az login",
    "AzurePowerShellCredential": "Connect-AzAccount",
    "AzureDeveloperCliCredential": "azd auth login",
}
_SOURCE_NAME = {
    "AzureCliCredential": "Azure CLI",
    "AzurePowerShellCredential": "Azure PowerShell",
    "AzureDeveloperCliCredential": "Azure Developer CLI",
    "VisualStudioCodeCredential": "VS Code",
    "EnvironmentCredential": "service principal (AZURE_CLIENT_ID/AZURE_TENANT_ID)",
    "WorkloadIdentityCredential": "workload identity",
    "ManagedIdentityCredential": "managed identity",
    "SharedTokenCacheCredential": "shared token cache",
}

# Entra ID (AADSTS) error codes, by what the user has to do about them.
_TENANT_NOT_FOUND = frozenset({"90002", "900023"})
_NOT_IN_TENANT = frozenset({"50020", "50034", "90072", "50177"})
_APP_NOT_IN_TENANT = frozenset({"700016"})
_SIGN_IN_AGAIN = frozenset(
    {"700082", "70043", "50173", "50076", "50079", "50078", "50133", "50132", "50158", "70008"}
)
_SECRET_REFUSED = frozenset({"7000215", "7000222", "700027", "700024", "70021", "700213"})
_CONDITIONAL_ACCESS = frozenset({"53000", "53001", "53002", "53003", "530003"})
_AADSTS = re.compile(r"AADSTS(\d{5,7})")
_WRONG_ISSUER = re.compile(r"sts\.windows\.net/([0-9a-fA-F-]{36})/")
_DENIED = re.compile(r"perform action '(?P<action>[^']+)' over scope '(?P<scope>[^']+)'")


class AccessError(Exception):
    """The credential cannot be used, or the identity cannot read what a scan needs (exit 2).

    `str(error)` is one line naming the cause and the fix; `detail` is the SDK's text (for --verbose).
    """

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


@dataclass(frozen=True)
class Attempt:
    """One credential of the chain that did not give a token: unavailable (not set up) or failed."""

    credential: str
    unavailable: bool
    message: str


def not_signed_in(tenant: str | None) -> str:
    """The line for "no credential in the chain is set up"."""
    login = f"az login --tenant {tenant}" if tenant else "az login"
    return (
        f"not signed in to Azure: run `{login}` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET "
        f"for a service principal, or use a managed identity); see {DOCS}"
    )


def sign_in_failed(attempts: Sequence[Attempt], tenant: str | None, detail: str) -> AccessError:
    """Explain why DefaultAzureCredential (or one credential) gave no token, from what each one said."""
    for attempt in attempts:
        match = _AADSTS.search(attempt.message)
        if match:
            return AccessError(_entra_refusal(match.group(1), attempt, tenant), detail)
    failed = [a for a in attempts if not a.unavailable or "failed to invoke" in a.message.lower()]
    if failed:
        last = failed[-1]
        return AccessError(
            f"signing in with {last.credential} failed ({_first_line(last.message)}): "
            "run with --verbose for the detail",
            detail,
        )
    return AccessError(not_signed_in(tenant), detail)


def _entra_refusal(code: str, attempt: Attempt, tenant: str | None) -> str:
    source = _SOURCE_NAME.get(attempt.credential, attempt.credential)
    where = f"tenant {tenant}" if tenant else "the tenant"
    aadsts = f"AADSTS{code}"
    if code in _TENANT_NOT_FOUND:
        given = "--tenant" if tenant else "AZURE_TENANT_ID or the Azure CLI's tenant"
        return (
            f"{where} does not exist ({aadsts}): check {given} "
            "(a tenant id, or a domain such as contoso.onmicrosoft.com)"
        )
    if code in _NOT_IN_TENANT:
        return (
            f"the {source} account is not a member or guest of {where} ({aadsts}): ask that tenant's "
            "admin to invite it, or choose a tenant it belongs to with --tenant"
        )
    if code in _APP_NOT_IN_TENANT:
        return (
            f"the application in AZURE_CLIENT_ID is not registered in {where} ({aadsts}): check "
            "AZURE_CLIENT_ID and AZURE_TENANT_ID, or have an admin of that tenant consent to it"
        )
    if code in _SIGN_IN_AGAIN:
        command = _SIGN_IN_COMMAND.get(attempt.credential, "az login")
        if tenant and command == "az login":
            command += f" --tenant {tenant}"
        return (
            f"the {source} sign-in has expired or needs multi-factor authentication again ({aadsts}): "
            f"run `{command}`"
        )
    if code in _SECRET_REFUSED:
        return (
            f"the {source} credential was refused ({aadsts}: client secret, certificate or federated "
            "token invalid or expired): renew it and set AZURE_CLIENT_SECRET (or the certificate) again"
        )
    if code in _CONDITIONAL_ACCESS:
        return (
            f"a Conditional Access policy of {where} blocked the sign-in ({aadsts}): ask its admin "
            "which device, network or sign-in method it requires"
        )
    return f"signing in with {attempt.credential} failed ({_first_line(attempt.message)}): run with --verbose for the detail"


def token_expired(identity: Identity, when: str) -> AccessError:
    """The token the credential gave has expired (a stale VNET_PLANNER_TOKEN)."""
    if identity.credential == "VNET_PLANNER_TOKEN":
        fix = "set a fresh one (`az account get-access-token --query accessToken -o tsv`)"
        return AccessError(f"the token in VNET_PLANNER_TOKEN expired at {when}: {fix}")
    command = _SIGN_IN_COMMAND.get(identity.credential, "az login")
    return AccessError(
        f"the access token from {identity.credential} expired at {when}: run `{command}` again"
    )


def wrong_tenant(identity: Identity, tenant: str) -> AccessError:
    """The token is for another tenant than --tenant asked for."""
    if identity.credential == "VNET_PLANNER_TOKEN":
        fix = f"get one for that tenant (`az account get-access-token --tenant {tenant}`)"
    elif identity.kind == "managed identity":
        fix = "a managed identity signs in to its own tenant only: use another credential for that tenant"
    else:
        fix = f"sign in to it (`az login --tenant {tenant}`)"
    return AccessError(
        f"the token from {identity.credential} is for tenant {identity.tenant}, not --tenant {tenant}: {fix}"
    )


def token_refused(failure: Failure, identity: Identity, tenant: str | None) -> AccessError:
    """Resource Manager answered 401: say why (expired, other tenant, wrong audience) and what to do."""
    code = failure.code
    detail = f"{failure.status} {failure.code}: {failure.message}"
    again = (
        "set a fresh VNET_PLANNER_TOKEN"
        if identity.credential == "VNET_PLANNER_TOKEN"
        else f"run `{_SIGN_IN_COMMAND.get(identity.credential, 'az login')}` again"
    )
    if code == "ExpiredAuthenticationToken":
        return AccessError(
            f"Azure Resource Manager says the access token has expired ({code}): {again}", detail
        )
    if code == "InvalidAuthenticationTokenTenant":
        issuers = _WRONG_ISSUER.findall(failure.message)
        expected = issuers[1] if len(issuers) > 1 else None
        target = f"--tenant {expected}" if expected else "--tenant <its tenant id>"
        return AccessError(
            f"the token is for tenant {identity.tenant or (issuers[0] if issuers else '?')}, but the "
            f"subscriptions belong to {'tenant ' + expected if expected else 'another tenant'} ({code}): "
            f"sign in to that tenant with {target}",
            detail,
        )
    if code == "InvalidAuthenticationTokenAudience":
        return AccessError(
            f"the token is not for Azure Resource Manager ({code}): get one for "
            "https://management.azure.com (`az account get-access-token`)",
            detail,
        )
    return AccessError(
        f"Azure Resource Manager refused the token ({failure.status} {code or 'Unauthorized'}): {again}"
        + (f" (with --tenant {tenant})" if tenant and "az login" in again else ""),
        detail,
    )


def graph_denied(identity: Identity, *, management_group: str | None, subscriptions: Iterable[str]) -> str:
    """One line of advice for a 403 from Resource Graph: which role, on which scope."""
    subs = list(subscriptions)
    if management_group:
        scope = f"management group {management_group}"
    elif subs:
        scope = f"the subscription{'s' if len(subs) > 1 else ''} {', '.join(subs[:3])}" + (
            ", ..." if len(subs) > 3 else ""
        )
    else:
        scope = "the subscriptions to scan (or a management group above them)"
    return f"grant {identity.who} Reader on {scope}"


def nothing_visible(identity: Identity, *, management_group: str | None, requested: Sequence[str]) -> str:
    """The line for "the identity sees no subscription in scope"."""
    tenant = f"tenant {identity.tenant}" if identity.tenant else "its tenant"
    if management_group:
        return (
            f"{identity.who} sees no subscription under management group {management_group} in {tenant}: "
            "grant it Reader on that management group (and check its name)"
        )
    if requested:
        return (
            f"none of the {len(requested)} subscription(s) given with --subscription is visible to "
            f"{identity.who} in {tenant}: grant it Reader on them, or sign in to their tenant with --tenant"
        )
    return (
        f"{identity.who} can read no subscription in {tenant}: grant it Reader on the subscriptions "
        "to scan (or a management group above them), or choose the customer's tenant with --tenant"
    )


def subscription_not_visible(identity: Identity, subscription: str) -> str:
    """Advice for a subscription asked for with --subscription that Resource Graph does not show."""
    return (
        f"grant {identity.who} Reader on /subscriptions/{subscription}, or sign in to the tenant "
        "that holds it (--tenant)"
    )


def arm_denied(failure: Failure, identity: Identity, subscription: str, action: str) -> str:
    """Advice for a per-app ARM read refused with 403: Reader on the subscription covers every call."""
    match = _DENIED.search(failure.message)
    needed = match.group("action") if match else action
    return (
        f"grant {identity.who} Reader on /subscriptions/{subscription} (the scan needs {needed} on every app)"
    )


def valid_tenant(tenant: str) -> bool:
    """A tenant id (GUID) or a domain name, as azure-identity accepts them."""
    return is_guid(tenant) or bool(re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}", tenant))


def _first_line(text: str) -> str:
    for line in text.strip().splitlines():
        line = line.strip()
        if line:
            return line[:200]
    return "no message"
