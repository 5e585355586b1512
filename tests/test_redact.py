"""What the scanner writes holds no certificate data and no secrets."""

from __future__ import annotations

import factory as f

from planner.core.redact import REDACTED, cert_digest, redact


def test_certificates_become_digests_and_secrets_go() -> None:
    gateway = f.gateway()
    gateway["properties"]["vpnClientConfiguration"]["radiusServerSecret"] = "hunter2"
    connection = f.connection("s2s", "IPsec")
    connection["properties"]["sharedKey"] = "psk-value"
    out = redact([f.vnet_connection(), gateway, connection])
    text = repr(out)
    assert f.CERT not in text and "hunter2" not in text and "psk-value" not in text
    assert out[0]["properties"]["certBlobSha256"] == cert_digest(f.CERT)
    root = out[1]["properties"]["vpnClientConfiguration"]["vpnClientRootCertificates"][0]
    assert root["properties"] == {"publicCertDataSha256": cert_digest(f.CERT)}
    assert out[1]["properties"]["vpnClientConfiguration"]["radiusServerSecret"] == REDACTED
    # Names that merely contain a secret word stay: they are not secrets.
    reference = redact(f.kv_reference("DbPassword", "kv1"))
    assert reference["properties"]["secretName"] == "dbpassword"


def test_digest_ignores_pem_armour_and_line_breaks() -> None:
    body = "MIIC" + "A" * 100
    pem = "-----BEGIN CERTIFICATE-----\n" + body[:50] + "\n" + body[50:] + "\n-----END CERTIFICATE-----\n"
    assert cert_digest(pem) == cert_digest(body)
    assert cert_digest("") is None


def test_planner_reads_the_redacted_form(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from planner.plan.pipeline import run_plan

    raw = run_plan(f.write(tmp_path / "raw", f.base_tenant()))
    digested = run_plan(f.write(tmp_path / "digested", redact(f.base_tenant())))
    assert digested["gateways"][0]["decommission"] == raw["gateways"][0]["decommission"] == "yes"
    assert digested["gateways"][0]["app_root_certificates"] == ["cert0"]


def test_fields_named_like_credentials_go_wherever_they_are() -> None:
    """Found by tests/test_secrets.py: these reached the scanner's files verbatim."""
    resource = {
        "id": "/x",
        "properties": {
            "authorizationKey": "er-key",  # ExpressRoute connection
            "administratorLoginPassword": "sql-pw",  # SQL server
            "siteConfig": {"azureStorageAccounts": {"m": {"accountName": "st", "accessKey": "mount-key"}}},
            "allowSharedKeyAccess": False,  # a switch, not a secret: kept
            "secretName": "db",  # points at a secret: kept
        },
    }
    out = redact(resource)
    text = repr(out)
    assert "er-key" not in text and "sql-pw" not in text and "mount-key" not in text
    assert out["properties"]["allowSharedKeyAccess"] is False
    assert out["properties"]["secretName"] == "db"
    assert out["properties"]["siteConfig"]["azureStorageAccounts"]["m"]["accountName"] == "st"
