"""Scan settings (clouds, environment, credentials), retry parsing and the atomic writer."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError

from planner.collect.auth import Cloud, Connection, StaticTokenCredential
from planner.collect.retry import Backoff, Failure, classify, parse_retry_after
from planner.collect.writer import ScanState, atomic_open, read_jsonl, write_jsonl

# -- clouds and environment ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cloud", "endpoint", "scope"),
    [
        (Cloud.AZURE_CLOUD, "https://management.azure.com", "https://management.azure.com/.default"),
        (
            Cloud.AZURE_US_GOVERNMENT,
            "https://management.usgovcloudapi.net",
            "https://management.core.usgovcloudapi.net/.default",
        ),
        (
            Cloud.AZURE_CHINA_CLOUD,
            "https://management.chinacloudapi.cn",
            "https://management.chinacloudapi.cn/.default",
        ),
    ],
)
def test_each_cloud_has_its_endpoint_and_token_scope(cloud: Cloud, endpoint: str, scope: str) -> None:
    connection = Connection.from_env(cloud, env={})
    assert connection.endpoint == endpoint and connection.scopes == (scope,)
    assert connection.verify is True and connection.token is None


def test_environment_overrides_endpoint_trust_and_token() -> None:
    env = {
        "VNET_PLANNER_ARM_ENDPOINT": "https://127.0.0.1:8443/",
        "REQUESTS_CA_BUNDLE": "/tmp/ca.pem",
        "VNET_PLANNER_TOKEN": "abc",
    }
    connection = Connection.from_env(Cloud.AZURE_US_GOVERNMENT, env=env)
    assert connection.endpoint == "https://127.0.0.1:8443"
    assert connection.verify == "/tmp/ca.pem"
    # The scope stays the cloud's: a token is asked for the cloud, whatever host answers.
    assert connection.scopes == ("https://management.core.usgovcloudapi.net/.default",)
    credential = connection.credential()
    assert isinstance(credential.inner, StaticTokenCredential) and credential.source == "VNET_PLANNER_TOKEN"
    assert credential.get_token("any").token == "abc"


def test_without_a_token_the_default_azure_credential_is_used() -> None:
    from azure.identity import DefaultAzureCredential

    credential = Connection.from_env(Cloud.AZURE_CHINA_CLOUD, env={}).credential()
    assert isinstance(credential.inner, DefaultAzureCredential)
    credential.close()


# -- retry parsing ------------------------------------------------------------------------------------


def test_retry_after_in_seconds_milliseconds_or_as_a_date() -> None:
    assert parse_retry_after({"Retry-After": "7"}) == 7
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"x-ms-retry-after-ms": "1500", "Retry-After": "9"}) == 1.5
    assert parse_retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0  # in the past
    assert parse_retry_after({}) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None


def test_backoff_prefers_retry_after_and_caps_it() -> None:
    backoff = Backoff(base=1, cap=8, max_retry_after=60)
    assert backoff.delay(1, Failure(429, "x", "", True, 3)) == 3
    assert backoff.delay(1, Failure(429, "x", "", True, 3600)) == 60
    assert 4 <= backoff.delay(4, Failure(503, "x", "", True, None)) <= 8
    assert backoff.delay(9, Failure(503, "x", "", True, None)) <= 8


def test_classify_keeps_code_and_message() -> None:
    class Response:
        def __init__(self) -> None:
            self.status_code = 429
            self.headers = {"Retry-After": "2"}
            self.reason = "Too Many Requests"

        def json(self) -> dict:
            return {"error": {"code": "TooManyRequests", "message": "slow down\nsecond line"}}

        def text(self) -> str:
            return json.dumps(self.json())

    failure = classify(HttpResponseError(response=Response()))  # type: ignore[arg-type]
    assert failure is not None
    assert (failure.status, failure.code, failure.retryable, failure.retry_after) == (
        429,
        "TooManyRequests",
        True,
        2,
    )
    assert failure.reason == "429 TooManyRequests" and failure.detail == "TooManyRequests: slow down"
    dropped = classify(ServiceResponseError("Connection aborted."))
    assert dropped is not None and dropped.retryable and dropped.status == 0
    assert classify(ValueError("a bug")) is None


# -- writer -------------------------------------------------------------------------------------------


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "sites.jsonl"
    write_jsonl(target, [{"id": "a"}])
    with pytest.raises(RuntimeError), atomic_open(target) as handle:
        handle.write('{"id": "half')
        raise RuntimeError("disk full")
    assert read_jsonl(target) == [{"id": "a"}]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sites.jsonl"]  # no temporary file left


def test_written_files_get_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    write_jsonl(target, [])
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask


def test_journal_ignores_a_torn_last_line(tmp_path: Path) -> None:
    state = ScanState(tmp_path)
    state.append({"call": "virtualNetworkConnections", "id": "a", "ok": True, "items": []})
    state.close()
    with state.journal_path.open("a") as handle:
        handle.write('{"call": "virtualNetworkConnections", "id": "b", "ok": tr')
    assert [e["id"] for e in state.journal()] == ["a"]
    # Neither state file is something `plan` would read as inventory.
    assert not state.state_path.name.endswith((".json", ".jsonl"))
    assert not state.journal_path.name.endswith((".json", ".jsonl"))
    state.clear()
    assert not state.dir.exists()
