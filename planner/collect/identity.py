"""Who signed in: the claims of an access token (tenant, user or app, object id), never the token.

The claims are read without verifying the signature: they only name the identity to the user and
check that the token is for the tenant asked for and not expired. Resource Manager verifies the
token itself on every call.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass
from typing import Any

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def is_guid(text: str | None) -> bool:
    """True for a GUID such as a tenant or subscription id."""
    return bool(text and _GUID.match(text))


def token_claims(token: str) -> dict[str, Any] | None:
    """The payload of a JWT access token, or None when the token is not a readable JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
    except (ValueError, UnicodeError):
        return None
    return claims if isinstance(claims, dict) else None


@dataclass(frozen=True)
class Identity:
    """The signed-in identity as its token describes it, and the credential that got the token."""

    credential: str  # e.g. "AzureCliCredential", "VNET_PLANNER_TOKEN"
    tenant: str | None = None  # `tid`
    kind: str = "unknown"  # "user", "service principal", "managed identity" or "unknown"
    name: str | None = None  # user principal name (users), display name (apps) when the token has one
    object_id: str | None = None  # `oid`
    app_id: str | None = None  # `appid` (v1 tokens) or `azp` (v2)
    expires_on: int | None = None  # `exp`, seconds since the epoch

    @classmethod
    def from_claims(cls, credential: str, claims: dict[str, Any] | None) -> Identity:
        """Read the identity from token claims (None: an opaque token, nothing known but its source)."""
        if not claims:
            return cls(credential)

        def text(*names: str) -> str | None:
            for name in names:
                value = claims.get(name)
                if isinstance(value, str) and value:
                    return value
            return None

        exp = claims.get("exp")
        app_id = text("appid", "azp")
        if claims.get("xms_mirid"):
            kind, name = "managed identity", text("xms_mirid")
        elif claims.get("idtyp") == "app" or (not claims.get("scp") and app_id and not text("upn")):
            kind, name = "service principal", text("app_displayname")
        else:
            # Guests have no `upn`: their `unique_name` is e.g. "live.com#alice@outlook.com".
            kind, name = "user", text("upn", "unique_name", "preferred_username", "email")
        return cls(
            credential=credential,
            tenant=text("tid"),
            kind=kind,
            name=name,
            object_id=text("oid"),
            app_id=app_id if kind != "user" else None,
            expires_on=int(exp) if isinstance(exp, (int, float)) else None,
        )

    @property
    def who(self) -> str:
        """A short name for messages: "alice@contoso.com", "service principal <app id>", ..."""
        if self.kind == "user" and self.name:
            return self.name
        if self.kind == "managed identity":
            return f"the managed identity {self.name or self.object_id or ''}".rstrip()
        if self.kind == "service principal":
            return f"the service principal {self.name or self.app_id or self.object_id or ''}".rstrip()
        return "the signed-in identity"

    def describe(self) -> str:
        """One line for the preflight table: kind, name and ids (no token, no secret)."""
        if self.kind == "unknown":
            return "token not readable as a JWT: identity unknown"
        ids = [f"object id {self.object_id}"] if self.object_id else []
        if self.app_id:
            ids.append(f"app id {self.app_id}")
        name = f" {self.name}" if self.name else ""
        return f"{self.kind}{name}" + (f" ({', '.join(ids)})" if ids else "")
