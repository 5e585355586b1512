"""Signing in, for `scan` and `preflight`: DefaultAzureCredential's real chain on an emptied
environment, a stand-in `az` on PATH, `--tenant`, and one line (exit 2, nothing written) per failure.

Nothing leaves the machine: the commands run with HTTP(S)_PROXY pointing at a recorder on 127.0.0.1
that answers nobody, so the managed identity probe (to 169.254.169.254) ends there and is seen; Azure
itself is the HTTPS fake.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_azure import ARG_PATH, FakeAzure, Fault, Tenant, make_jwt, synthetic_tenant
from typer.testing import CliRunner, Result

from planner.cli import app
from planner.collect.access import AccessError
from planner.collect.auth import Connection, sign_in

TENANT_ID = "11111111-2222-4333-8444-555555555555"
OTHER_TENANT = "99999999-8888-4777-8666-555555555555"
ALICE = make_jwt(
    tid=TENANT_ID,
    upn="alice@contoso.com",
    oid="0b0b0b0b-0000-4000-8000-000000000001",
    scp="user_impersonation",
)
TENANT = synthetic_tenant(3, 12, slot_every=5)
ROOT = Path(__file__).resolve().parent.parent
NOT_SIGNED_IN = (
    "error: not signed in to Azure: run `az login` (or set AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET "
    "for a service principal, or use a managed identity); see docs/scan.md\n"
)


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeAzure]:
    with FakeAzure(Tenant.from_resources(TENANT), cert_dir=tmp_path / "cert", tenant_id=TENANT_ID) as server:
        yield server


class ProxyRecorder:
    """A local "proxy" that writes down each request line it gets and answers none: it hangs up at
    once (`silent=False`), or holds the connection open without a word (`silent=True`)."""

    def __init__(self, *, silent: bool = False) -> None:
        self.silent = silent
        self.lines: list[str] = []
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            conn.settimeout(5)
            with contextlib.suppress(OSError):
                self.lines.append(conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1"))
            if self.silent:
                self._held.append(conn)
            else:
                conn.close()

    def hosts(self) -> set[str]:
        """The hosts asked for: `GET http://host/...` or `CONNECT host:443`."""
        out = set()
        for line in self.lines:
            target = line.split(" ")[1] if " " in line else line
            out.add(target.split("://", 1)[-1].split("/")[0].split(":")[0])
        return out

    def close(self) -> None:
        self._stop.set()
        self._sock.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def proxy() -> Iterator[ProxyRecorder]:
    recorder = ProxyRecorder()
    yield recorder
    recorder.close()


def bare_env(tmp_path: Path, proxy: ProxyRecorder, fake: FakeAzure, **extra: str) -> dict[str, str]:
    """An environment with no Azure credential at all: no AZURE_* variables, no `az`/`pwsh`/`azd` on
    PATH, an empty home (no CLI or VS Code sign-in), every HTTP request through the recorder."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    (tmp_path / "home").mkdir(exist_ok=True)
    env = {
        "PATH": str(tmp_path / "bin"),
        "HOME": str(tmp_path / "home"),
        "HTTP_PROXY": proxy.url,
        "HTTPS_PROXY": proxy.url,
        "http_proxy": proxy.url,
        "https_proxy": proxy.url,
        "VNET_PLANNER_ARM_ENDPOINT": fake.base_url,
        "REQUESTS_CA_BUNDLE": str(fake.cert_path),
        "NO_PROXY": "127.0.0.1",  # the fake, and only the fake, is reached directly
    }
    return {**env, **extra}


def run(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    """The CLI in its own process, as a user starts it; returns the result and the seconds it took."""
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done, time.monotonic() - started


def fake_az(tmp_path: Path, *, stdout: str = "", stderr: str = "", code: int = 0) -> Path:
    """A stand-in `az` on PATH that logs its arguments and answers as told; returns the log."""
    log = tmp_path / "az.log"
    script = tmp_path / "bin" / "az"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys\n"
        f"open({str(log)!r}, 'a').write(' '.join(sys.argv[1:]) + '\\n')\n"
        f"sys.stdout.write({stdout!r})\n"
        f"sys.stderr.write({stderr!r})\n"
        f"sys.exit({code})\n"
    )
    script.chmod(0o755)
    return log


def az_token(token: str) -> str:
    """What `az account get-access-token -o json` prints."""
    expires = int(time.time()) + 3600
    return json.dumps(
        {
            "accessToken": token,
            "expiresOn": time.strftime("%Y-%m-%d %H:%M:%S.000000", time.localtime(expires)),
            "expires_on": expires,
            "tenant": TENANT_ID,
            "tokenType": "Bearer",
        }
    )


# -- no credential at all ---------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["scan", "preflight"])
def test_no_credential_is_one_line_in_seconds_with_nothing_written(
    command: str, fake: FakeAzure, proxy: ProxyRecorder, tmp_path: Path
) -> None:
    out = tmp_path / "inv"
    args = ["scan", "--out", str(out)] if command == "scan" else ["preflight"]
    done, took = run(bare_env(tmp_path, proxy, fake), *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr == NOT_SIGNED_IN  # no SDK dump, no progress bar
    assert done.stdout == ""
    assert not out.exists()
    # The whole process, Python start included: measured 1.5-2 s on the 2-core build machine.
    assert took < 5, f"{took:.1f} s"
    # The chain did try the managed identity endpoint, through the local recorder (which hung up),
    # and asked nothing of any other host; Azure was never called.
    assert proxy.hosts() == {"169.254.169.254"}
    assert fake.stats.requests == []


def test_verbose_adds_the_sdks_detail(fake: FakeAzure, proxy: ProxyRecorder, tmp_path: Path) -> None:
    quiet, _ = run(bare_env(tmp_path, proxy, fake), "preflight")
    done, _ = run(bare_env(tmp_path, proxy, fake), "preflight", "--verbose")
    assert done.returncode == 2
    lines = done.stderr.splitlines(keepends=True)
    assert NOT_SIGNED_IN in lines and len(lines) > 5
    # The SDK's own account of each credential it tried, which the one line leaves out.
    for said in ("DefaultAzureCredential failed to retrieve a token", "AzureCliCredential", "IMDS"):
        assert said in done.stderr and said not in quiet.stderr


def test_a_silent_managed_identity_endpoint_cannot_hang_the_sign_in(
    fake: FakeAzure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Behind a proxy that accepts and never answers, the probe would read for 300 s: the sign-in
    deadline ends it and names the credential that did not answer."""
    silent = ProxyRecorder(silent=True)
    try:
        for name in list(os.environ):
            if name.startswith(("AZURE_", "IDENTITY_", "MSI_", "IMDS_")) or name.lower().endswith("_proxy"):
                monkeypatch.delenv(name)
        for name, value in bare_env(tmp_path, silent, fake).items():
            monkeypatch.setenv(name, value)
        connection = Connection.from_env()
        credential = connection.credential()
        started = time.monotonic()
        with pytest.raises(AccessError, match="ManagedIdentityCredential did not answer") as caught:
            sign_in(credential, connection.scopes, timeout=1.5)
        assert time.monotonic() - started < 5
        assert "AZURE_TOKEN_CREDENTIALS=dev" in str(caught.value)
        assert silent.hosts() == {"169.254.169.254"}
    finally:
        # Let the abandoned sign-in finish its chain while the emptied environment still holds.
        silent.close()
        for thread in threading.enumerate():
            if thread.name == "sign-in":
                thread.join(30)


# -- the Azure CLI -----------------------------------------------------------------------------------------


def test_the_azure_cli_not_signed_in_is_the_same_line(
    fake: FakeAzure, proxy: ProxyRecorder, tmp_path: Path
) -> None:
    fake_az(tmp_path, stderr="ERROR: Please run 'az login' to setup account.\n", code=1)
    done, _ = run(bare_env(tmp_path, proxy, fake), "preflight")
    assert done.returncode == 2 and done.stderr == NOT_SIGNED_IN


@pytest.mark.parametrize(
    ("stderr", "line"),
    [
        (
            "ERROR: AADSTS50020: User account 'alice@fabrikam.com' from identity provider "
            "'https://sts.windows.net/x/' does not exist in tenant 'Contoso' and cannot access the application.\n",
            f"error: the Azure CLI account is not a member or guest of tenant {OTHER_TENANT} (AADSTS50020): ask "
            "that tenant's admin to invite it, or choose a tenant it belongs to with --tenant\n",
        ),
        (
            "ERROR: AADSTS700082: The refresh token has expired due to inactivity.\n"
            "Run the command below to authenticate interactively:\naz login --tenant x\n",
            "error: the Azure CLI sign-in has expired or needs multi-factor authentication again "
            f"(AADSTS700082): run `az login --tenant {OTHER_TENANT}`\n",
        ),
        (
            f"ERROR: AADSTS90002: Tenant '{OTHER_TENANT}' not found.\n",
            f"error: tenant {OTHER_TENANT} does not exist (AADSTS90002): check --tenant (a tenant id, or a "
            "domain such as contoso.onmicrosoft.com)\n",
        ),
    ],
    ids=["not-in-tenant", "expired", "no-such-tenant"],
)
def test_entra_refusals_through_the_azure_cli_name_cause_and_fix(
    stderr: str, line: str, fake: FakeAzure, proxy: ProxyRecorder, tmp_path: Path
) -> None:
    log = fake_az(tmp_path, stderr=stderr, code=1)
    out = tmp_path / "inv"
    done, _ = run(bare_env(tmp_path, proxy, fake), "scan", "--out", str(out), "--tenant", OTHER_TENANT)
    assert done.returncode == 2
    assert done.stderr == line
    assert not out.exists()
    # --tenant reached the credential: the CLI was asked for a token of that tenant.
    assert f"--tenant {OTHER_TENANT}" in log.read_text()


def test_signed_in_with_the_azure_cli_the_scan_records_who_and_asks_once(
    fake: FakeAzure, proxy: ProxyRecorder, tmp_path: Path
) -> None:
    log = fake_az(tmp_path, stdout=az_token(ALICE))
    env = bare_env(tmp_path, proxy, fake)
    checked, _ = run(env, "preflight", "--tenant", TENANT_ID)
    assert checked.returncode == 0, checked.stderr
    assert "AzureCliCredential" in checked.stdout and "user alice@contoso.com" in checked.stdout
    assert "as asked with --tenant" in checked.stdout
    out = tmp_path / "inv"
    scanned, _ = run(env, "scan", "--out", str(out), "--tenant", TENANT_ID, "--quiet")
    assert scanned.returncode == 0, scanned.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["tenant"], manifest["cloud"], manifest["credential"]) == (
        TENANT_ID,
        "AzureCloud",
        "AzureCliCredential",
    )
    calls = log.read_text().splitlines()
    # One token per command, for the tenant asked: not one `az` process per SDK client.
    assert len(calls) == 2 and all(f"--tenant {TENANT_ID}" in c for c in calls)
    assert ALICE not in (out / "manifest.json").read_text()


# -- tokens Resource Manager refuses, and identities that can read nothing (scan) ---------------------------


def scan(fake: FakeAzure, out: Path, *args: str, token: str = ALICE) -> Result:
    env = {**fake.env(), "VNET_PLANNER_TOKEN": token}
    return CliRunner().invoke(app, ["scan", "--out", str(out), *args], env=env)


def test_the_manifest_records_tenant_cloud_and_credential(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert (manifest["tenant"], manifest["cloud"], manifest["credential"]) == (
        TENANT_ID,
        "AzureCloud",
        "VNET_PLANNER_TOKEN",
    )
    assert f"signed in: VNET_PLANNER_TOKEN, tenant {TENANT_ID}" in result.stdout


def test_a_token_of_another_tenant_stops_the_scan_with_one_line(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out, token=make_jwt(tid=OTHER_TENANT, upn="alice@fabrikam.com"))
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: the token is for tenant {OTHER_TENANT}, but the subscriptions belong to tenant {TENANT_ID} "
        f"(InvalidAuthenticationTokenTenant): sign in to that tenant with --tenant {TENANT_ID}\n"
    )
    assert not out.exists()


def test_403_on_resource_graph_stops_the_scan_and_keeps_the_previous_inventory(
    fake: FakeAzure, tmp_path: Path
) -> None:
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    fake.add_fault(Fault(status=403, code="AuthorizationFailed", path_contains=ARG_PATH, times=99))
    result = scan(fake, out)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: Resource Graph refused the query (403 AuthorizationFailed): grant alice@contoso.com Reader "
        "on the subscriptions to scan (or a management group above them)\n"
    )
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    fresh = tmp_path / "fresh"
    assert scan(fake, fresh).exit_code == 2 and not fresh.exists()


def test_no_subscription_visible_stops_the_scan_with_the_role_to_grant(tmp_path: Path) -> None:
    out = tmp_path / "inv"
    with FakeAzure(Tenant.from_resources([]), cert_dir=tmp_path / "cert", tenant_id=TENANT_ID) as empty:
        result = scan(empty, out)
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: alice@contoso.com can read no subscription in tenant {TENANT_ID}: grant it Reader on the "
        "subscriptions to scan (or a management group above them), or choose the customer's tenant with --tenant\n"
    )
    assert not out.exists()


def test_an_expired_token_stops_the_scan_before_any_request(fake: FakeAzure, tmp_path: Path) -> None:
    out = tmp_path / "inv"
    result = scan(fake, out, token=make_jwt(tid=TENANT_ID, upn="alice@contoso.com", exp=1_700_000_000))
    assert result.exit_code == 2 and "expired at 2023-11-14 22:13 UTC" in result.stderr
    assert result.stderr.count("\n") == 1
    assert fake.stats.requests == [] and not out.exists()


def test_resume_refuses_a_scan_of_another_tenant(fake: FakeAzure, tmp_path: Path) -> None:
    fake.forbidden_subscriptions = {TENANT[0]["subscriptionId"]}
    out = tmp_path / "inv"
    assert scan(fake, out).exit_code == 3
    fake.tenant_id = OTHER_TENANT
    result = scan(fake, out, "--resume", token=make_jwt(tid=OTHER_TENANT, upn="bob@fabrikam.com"))
    assert result.exit_code == 2 and "another scope, cloud or tenant" in result.stderr
