"""Keep certificate data and secrets out of everything the tool writes.

The planner needs to know whether a gateway's root certificate is an app's certificate, not the
certificate itself, so the scanner replaces every certificate blob with a SHA-256 digest of it
(`certBlobSha256`, `publicCertDataSha256`) before anything reaches the disk, and drops fields that
can hold secrets (RADIUS secrets, IPsec shared keys, app settings and connection strings). The
loader reads either form, so an inventory built by hand from raw `az rest` output still works.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

REDACTED = "<redacted by vnet-planner>"
_PEM = re.compile(r"-----(BEGIN|END) CERTIFICATE-----|\s")
_BASE64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
# Fields that may hold a secret, wherever they appear under `properties`.
_SECRET_KEYS = frozenset(
    k.lower()
    for k in (
        "radiusServerSecret",
        "sharedKey",
        "appSettings",
        "connectionStrings",
        "publishingPassword",
        "password",
        "secret",
        "primaryKey",
        "secondaryKey",
    )
)
_CERT_KEYS = {"certblob": "certBlobSha256", "publiccertdata": "publicCertDataSha256"}
# Any field whose name says it holds a credential, wherever it appears: ExpressRoute
# `authorizationKey`, storage-mount `accessKey`, SQL `administratorLoginPassword`, `clientSecret`, ...
# Names that only point at a secret (`secretName`, `secretUri`, `secretVersion`) do not match.
_SECRET_NAME = re.compile(
    r"password|sharedkey|authorizationkey|accesskey|accountkey|primarykey|secondarykey|privatekey"
    r"|connectionstring|clientsecret|radiussecret|serversecret|sastoken|secretvalue",
    re.IGNORECASE,
)


def is_secret_field(name: str) -> bool:
    """Whether a field of that name may hold a secret value (which the scanner never writes)."""
    lowered = name.lower()
    return lowered in _SECRET_KEYS or _SECRET_NAME.search(lowered) is not None


def cert_digest(data: str | None) -> str | None:
    """SHA-256 of a base64 certificate with whitespace and PEM armour removed; None if empty."""
    if not data:
        return None
    if data.isascii():  # the common case, a bare base64 blob: hashed as it is (25 -> 2 us a certificate)
        raw = data.encode("ascii")
        if not raw.translate(None, _BASE64):
            return hashlib.sha256(raw).hexdigest()
    body = _PEM.sub("", data)
    if not body:
        return None
    return hashlib.sha256(body.encode("ascii", "ignore")).hexdigest()


def redact(value: Any) -> Any:
    """A copy of an ARM resource with certificate blobs digested and secret fields removed."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            lowered = key.lower()
            if lowered in _CERT_KEYS:
                out[_CERT_KEYS[lowered]] = cert_digest(item) if isinstance(item, str) else None
            elif (
                is_secret_field(lowered) and isinstance(item, str | list | dict) and item not in ("", [], {})
            ):
                out[key] = REDACTED
            else:
                out[key] = redact(item)
        return out
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
