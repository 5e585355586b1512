"""Every command the runbook emits, run through the real Azure CLI (the version docs/runbook.md names).

Each distinct command shape of the sample's and a synthetic tenant's plans (step commands, the
commands inside validation and rollback texts, and the lines of the bash and PowerShell wave
scripts) goes to tests/azcli/check.py, which runs it in-process in the Azure CLI's own venv
(`.venv-azcli`, made by .ci/run) against a fake Resource Manager: no request leaves the machine. A
command passes when the CLI accepts its words and completes against the fake; the requests it sent
are checked where their meaning matters. The defects of issue 13 are pinned twice: the old command
line still fails (or sends the wrong request) here, and the new one passes.

Extension commands are not in the CLI's wheel; `EXTENSIONS` names them with their documented flags.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from runbook_outputs import ROOT, bare_commands, outputs, plan_commands, script_commands, steps, text_commands
from test_runbook import SUB, make_app, make_gateway, make_plan

from planner.core.shell import placeholders
from planner.render.common import step_notes_text
from planner.runbook.apply import apply_runbook
from planner.runbook.steps.step import AZURE_CLI_VERSION, PLACEHOLDER_WHY, SHARED_NOTES, WEB_API

AZCLI_PYTHON = ROOT / ".venv-azcli" / "bin" / "python"
CHECKER = Path(__file__).parent / "azcli" / "check.py"
CHECK_TIMEOUT = 900

# The certificate a re-created connection returns (base64 of DER bytes), as the fake ARM returns it.
CERT_BLOB = "MIIBszCCAVmgAwIBAgIUVGVzdENlcnRGb3JBcHBTZXJ2aWNlMAoGCCqGSM49BAMCMBQxEjAQBgNVBAMMCWFwcHNlcnZpY2U="
ZONE_SUB = "0f0f0f0f-1111-2222-3333-444444444444"

# Commands from extensions, which the CLI's wheel does not contain: checked against the flags their
# documentation gives (resource-graph extension, azext_resourcegraph/_params.py and _validators.py).
EXTENSIONS: dict[tuple[str, ...], dict[str, Any]] = {
    ("graph", "query"): {
        "extension": "resource-graph",
        "flags": {
            ("--graph-query", "--q", "-q"): {"required": True},
            ("--first",): {"type": int, "range": (1, 1000)},
            ("--skip",): {"type": int},
            ("--subscriptions", "-s"): {"nargs": "*"},
            ("--management-groups",): {"nargs": "*"},
            ("--skip-token",): {},
            ("--allow-partial-scopes", "-a"): {},
        },
    },
}
GLOBAL_FLAGS = ("--output", "-o", "--query", "--subscription")
# Commands the CLI answers from its local profile, without a request: they pass when it accepts them.
LOCAL = {("account", "show")}


def fill(argv: Sequence[str], files: dict[str, Path]) -> list[str]:
    """The command with each placeholder replaced by a value of the kind its note asks for."""
    values = {
        "<MIGRATED_VNET_ID>": f"/subscriptions/{SUB}/resourceGroups/rg-migrated/providers/Microsoft.Network/virtualNetworks/vnet-classic",
        "<MIGRATED_VNET_RESOURCE_GROUP>": "rg-migrated",
        "<TARGET_VNET_ID>": f"/subscriptions/{SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-target",
        "<TARGET_VNET_NAME>": "vnet-target",
        "<TARGET_VNET_RESOURCE_GROUP>": "rg-net",
        "<TARGET_SUBNET_NAME>": "snet-appsvc",
        "<TARGET_SUBNET_PREFIX>": "10.9.0.0/26",
        "<RESOURCE_GROUP>": "rg-app",
        "<TARGET_LOCATION>": "westeurope",
        "<P2S_POOL>": "172.16.0.0/24",
        "<CERT_FILE_FROM_PREVIOUS_COMMAND>": str(files["der"]),
        "<CERT_FILE>": str(files["der"]),
        "<VPN_PACKAGE_URL_FROM_PREVIOUS_COMMAND>": "https://example.invalid/vpnclientpackage.zip",
        "<CONTAINER_IMAGE>": "mcr.microsoft.com/dotnet/samples:aspnetapp",
        "<STORAGE_ACCOUNT>": "stfuncapp",
        "<SLOT_NAME>": "staging",
        "<ROOT_CERT_NAME>": "AppServiceCertificate.cer",
        "<CONNECTION_NAME>": "vnet-hub",
        "<CLASSIC_VNET_NAME>": "vnet-classic",
        "<VAULT_NAME>": "kv-app",
        "<TARGET_VNET_PREFIX>": "10.9.0.0/24",
        "<ZONE_RESOURCE_GROUP>": "rg-dns",
        "<ZONE_NAME>": "privatelink.blob.core.windows.net",
        "<ZONE_SUBSCRIPTION_ID>": ZONE_SUB,
        "<DELETED_APP_ID>": f"/subscriptions/{SUB}/providers/Microsoft.Web/locations/westeurope/deletedSites/1234",
        "<PREVIOUS_ADDRESS_PREFIXES>": "10.0.0.0/16",
    }
    # A runtime name is per command group: `az webapp list-runtimes` / `az functionapp list-runtimes`.
    values["<RUNTIME>"] = "dotnet-isolated" if argv[1] == "functionapp" else "dotnet:8"
    missing = {p for p in PLACEHOLDER_WHY if p not in values}
    assert not missing, f"give these placeholders a sample value in fill(): {sorted(missing)}"
    out = []
    for word in argv:
        for placeholder, value in values.items():
            word = word.replace(placeholder, value)
        out.append(word)
    return out


def command_path(argv: Sequence[str]) -> tuple[str, ...]:
    words = []
    for word in argv[1:]:
        if word.startswith("-"):
            break
        words.append(word)
    return tuple(words)


def shape(argv: Sequence[str]) -> str:
    """What makes two command lines different to the CLI: the command, its flags, and for the
    generic commands the property or URL they act on (names and ids left out)."""
    path = command_path(argv)
    flags = sorted(w for w in argv[1 + len(path) :] if re.match(r"^--?[a-zA-Z]", w))
    extra: list[str] = []
    for flag in ("--method", "--set", "--add", "--remove"):
        if flag in argv:
            extra.append(f"{flag}={argv[argv.index(flag) + 1].split('=')[0]}")
    if "--url" in argv:
        url = argv[argv.index("--url") + 1]
        types = re.findall(
            r"/(virtualNetworkConnections|gateways|config|configreferences|appsettings)\b", url
        )
        extra.append("url=" + "/".join(types) + ("/slots" if "/slots/" in url else ""))
    return " ".join([*path, *flags, *extra])


def distinct(commands: Iterable[Sequence[str]]) -> dict[str, list[str]]:
    """The first command line of each shape."""
    found: dict[str, list[str]] = {}
    for argv in commands:
        found.setdefault(shape(argv), list(argv))
    return found


# --- the regression corpus: each defect's old command line and what it did -------------------------

APP = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers/Microsoft.Web/sites/app-a"
OLD = {
    "windows plan without --is-linux": f"az appservice plan create -g rg-app -n asp-new -l westeurope --sku P1V3 --number-of-workers 2 --subscription {SUB}",
    "certBlob pasted": f"az network vnet-gateway root-cert create -g rg-net --gateway-name vgw-hub -n cert-a --public-cert-data {CERT_BLOB} --subscription {SUB}",
    "certBlob text file": f"az network vnet-gateway root-cert create -g rg-net --gateway-name vgw-hub -n cert-a --public-cert-data {{b64}} --subscription {SUB}",
    "vpn profile": f"az network vnet-gateway vpn-client generate -g rg-net -n vgw-hub --processor-architecture Amd64 --subscription {SUB}",
    "delete keeps no plan": f"az webapp delete -g rg-app -n app-a --subscription {SUB}",
    "routing by generic set": f"az resource update --ids {APP} --set properties.outboundVnetRouting.applicationTraffic=false",
    "connection by resource delete": f"az resource delete --ids {APP}/virtualNetworkConnections/vnet-hub",
    "link delete prompts": "az network private-dns link vnet delete -g rg-dns -z privatelink.blob.core.windows.net -n link-a",
    "unknown command": "az webapp vnet-integration bogus -g rg-app -n app-a",
    "unknown flag": "az webapp vnet-integration list -g rg-app -n app-a --bogus",
}


def _focused_plan() -> dict[str, Any]:
    """Blue-green Windows, Linux and Windows-container apps with a rollback: the commands whose requests matter."""
    moved = {"blockers": ("PLAN_UNSUPPORTED",), "tier": "Standard", "sku": "S1", "readiness": "blocked"}
    apps = [
        make_app("app-win", plan="asp-0", **moved),
        make_app("app-lin", plan="asp-1", os="linux", **moved),
        make_app("app-ctr", plan="asp-2", container="windows", **moved),
        make_app("app-a", plan="asp-3", route_all=True),
    ]
    plan = make_plan(apps, [make_gateway("vgw-hub", apps)])
    apply_runbook(plan)
    return plan


def _commands_of(plan: dict[str, Any], site: str) -> list[str]:
    app = next(a for a in plan["apps"] if a["name"] == site)
    return [c for s in app["steps"] for c in s["commands"]]


@pytest.fixture(scope="session")
def checked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Runs every command through the real CLI once; results by command line."""
    if not AZCLI_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{AZCLI_PYTHON} is missing: .ci/run installs azure-cli=={AZURE_CLI_VERSION} there")
        pytest.skip(
            f"no Azure CLI venv: python3 -m venv .venv-azcli && .venv-azcli/bin/pip install azure-cli=={AZURE_CLI_VERSION}"
        )
    files = tmp_path_factory.mktemp("cert")
    der, b64 = files / "rollback.cer", files / "rollback.txt"
    der.write_bytes(base64.b64decode(CERT_BLOB))  # what the notes' `base64 -d` makes of the certBlob
    b64.write_text(CERT_BLOB + "\n", encoding="utf-8")  # the certBlob as printed, saved as is
    paths = {"der": der, "b64": b64}

    emitted = []
    for out in outputs():
        emitted += list(plan_commands(out)) + list(script_commands(out, SUB))
    shapes = distinct(fill(e.argv, paths) for e in emitted if command_path(e.argv) not in EXTENSIONS)
    focused = _focused_plan()
    extra = [
        fill(shlex.split(c), paths)
        for site in ("app-win", "app-lin", "app-ctr", "app-a")
        for c in _commands_of(focused, site)
        if c.startswith("az ")
    ]
    old = {name: shlex.split(line.replace("{b64}", str(b64))) for name, line in OLD.items()}
    extension_samples = [list(e.argv) for e in emitted if command_path(e.argv) in EXTENSIONS]
    assert extension_samples, "no extension command emitted: drop it from EXTENSIONS"
    commands = [*shapes.values(), *extra, *old.values(), *extension_samples[:1]]
    run = subprocess.run(
        [str(AZCLI_PYTHON), str(CHECKER)],
        input=json.dumps({"commands": commands}),
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    by_line = {shlex.join(r["argv"]): r for r in report["results"]}
    return {
        "version": report["azure_cli_version"],
        "emitted": emitted,
        "shapes": shapes,
        "results": by_line,
        "focused": focused,
        "extra": extra,
        "old": {name: by_line[shlex.join(argv)] for name, argv in old.items()},
        "paths": paths,
    }


def result(checked: dict[str, Any], argv: Sequence[str]) -> dict[str, Any]:
    return checked["results"][shlex.join(argv)]


def writes(res: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in res["requests"] if r["method"] != "GET"]


# --- every shape ---------------------------------------------------------------------------------


def test_the_cli_is_the_version_the_docs_name(checked: dict[str, Any]) -> None:
    assert checked["version"] == AZURE_CLI_VERSION
    assert f"Azure CLI {AZURE_CLI_VERSION}" in (ROOT / "docs" / "runbook.md").read_text(encoding="utf-8")


def test_every_command_shape_passes_the_real_cli(checked: dict[str, Any]) -> None:
    shapes = checked["shapes"]
    assert len(shapes) >= 90, f"only {len(shapes)} command shapes collected: is the collection broken?"
    failures = []
    for argv in shapes.values():
        res = result(checked, argv)
        if res["status"] != "ok" and not (res["status"] == "no-request" and command_path(argv) in LOCAL):
            failures.append(f"{res['status']}: {shlex.join(argv)}\n    {res['error'][-600:]}")
    assert not failures, f"{len(failures)} of {len(shapes)} shapes fail:\n" + "\n".join(failures)


def test_no_command_reaches_beyond_the_fake(checked: dict[str, Any]) -> None:
    hosts = {urlsplit(r["url"]).hostname for res in checked["results"].values() for r in res["requests"]}
    assert hosts <= {"management.azure.com"}, hosts


def test_the_scripts_run_and_print_exactly_the_plans_commands(checked: dict[str, Any]) -> None:
    in_plans = {e.argv for e in checked["emitted"] if "plan.json" in e.where}
    for e in checked["emitted"]:
        if "plan.json" in e.where or command_path(e.argv) == ("account", "show"):
            continue
        assert e.argv in in_plans, f"{e.where}: {shlex.join(e.argv)} is not a command of the plan"
    wheres = {e.where.split()[-1].rsplit(".", 1)[-1] for e in checked["emitted"]}
    assert {"sh", "ps1", "commands", "validation", "rollback"} <= wheres


def test_every_placeholder_says_where_its_value_comes_from() -> None:
    for out in outputs():
        for step in steps(out.plan):
            for found in placeholders(" ".join(step["commands"])):
                assert found in PLACEHOLDER_WHY, (out.name, step["title"], found)
                assert step["manual"] and PLACEHOLDER_WHY[found] in step_notes_text(step, SHARED_NOTES), (
                    out.name,
                    step["title"],
                )
            for field in ("validation", "rollback"):
                for found in placeholders(" ".join(text_commands(step.get(field)))):
                    assert found in PLACEHOLDER_WHY, (out.name, step["title"], field, found)


def test_commands_in_validation_and_rollback_texts_are_in_backticks() -> None:
    for out in outputs():
        for step in steps(out.plan):
            for field in ("validation", "rollback"):
                assert not bare_commands(step.get(field)), (out.name, step["title"], field, step[field])


def test_extension_commands_match_their_documented_flags(checked: dict[str, Any]) -> None:
    used = [e.argv for e in checked["emitted"] if command_path(e.argv) in EXTENSIONS]
    assert used, "no extension command found: drop it from EXTENSIONS"
    for argv in used:
        spec = EXTENSIONS[command_path(argv)]
        parser = argparse.ArgumentParser(
            prog=" ".join(command_path(argv)), exit_on_error=False, add_help=False
        )
        for flags, options in spec["flags"].items():
            kwargs = {k: v for k, v in options.items() if k in ("required", "type", "nargs")}
            parser.add_argument(*flags, **kwargs)
        for flag in GLOBAL_FLAGS:
            parser.add_argument(flag)
        words = list(argv[1 + len(command_path(argv)) :])
        try:
            parsed = parser.parse_args(words)
        except (argparse.ArgumentError, SystemExit) as exc:
            raise AssertionError(f"{shlex.join(argv)}: {exc}") from exc
        # 100 rows are returned unless --first says otherwise (at most 1000).
        assert parsed.first == 1000, shlex.join(argv)


def test_the_exceptions_are_really_not_in_the_cli(checked: dict[str, Any]) -> None:
    """If the CLI ever ships these commands, they must be checked like the others."""
    sample = next(e.argv for e in checked["emitted"] if command_path(e.argv) in EXTENSIONS)
    res = result(checked, sample)
    assert res["status"] == "parse-error" and "misspelled or not recognized" in res["error"]


# --- defects 1-8: the old line fails, the new one sends the right request -------------------------


def test_1_windows_plans_are_created_windows(checked: dict[str, Any]) -> None:
    old = checked["old"]["windows plan without --is-linux"]
    assert writes(old)[0]["body"]["properties"]["reserved"] is True  # what 2.91 made of the old line
    expected = {"app-win": (False, None), "app-lin": (True, None), "app-ctr": (False, True)}
    for site, (reserved, hyper_v) in expected.items():
        create = next(
            c
            for c in checked["extra"]
            if c[1:4] == ["appservice", "plan", "create"] and f"asp-{list(expected).index(site)}-v2" in c
        )
        body = writes(result(checked, create))[0]["body"]
        assert body["properties"]["reserved"] is reserved, (site, body)
        assert body["properties"].get("hyperV") is hyper_v, (site, body)


def test_2_the_rollback_certificate_reaches_the_gateway_once_encoded(checked: dict[str, Any]) -> None:
    assert (
        "File '" in checked["old"]["certBlob pasted"]["error"]
        and "doesn't exist" in checked["old"]["certBlob pasted"]["error"]
    )
    double = writes(checked["old"]["certBlob text file"])[0]["body"]
    assert (
        _cert_data(double, "cert-a") == base64.b64encode((CERT_BLOB + "\n").encode()).decode()
    )  # encoded twice
    root_cert = next(
        c for c in checked["extra"] if c[1:5] == ["network", "vnet-gateway", "root-cert", "create"]
    )
    body = writes(result(checked, root_cert))[0]["body"]
    name = root_cert[root_cert.index("-n") + 1]
    assert _cert_data(body, name) == CERT_BLOB
    assert _cert_data(body, "AppServiceCertificate.cer")  # the gateway's other certificates stay


def _cert_data(gateway: dict[str, Any], name: str) -> str:
    certs = gateway["properties"]["vpnClientConfiguration"]["vpnClientRootCertificates"]
    return next(c["properties"]["publicCertData"] for c in certs if c["name"] == name)


def test_3_the_vpn_client_package_comes_from_the_legacy_call(checked: dict[str, Any]) -> None:
    assert writes(checked["old"]["vpn profile"])[0]["url"].split("?")[0].endswith("/generatevpnprofile")
    generate = next(
        c for c in checked["extra"] if c[1:5] == ["network", "vnet-gateway", "vpn-client", "generate"]
    )
    (post,) = writes(result(checked, generate))
    assert post["method"] == "POST" and post["url"].split("?")[0].endswith("/generatevpnclientpackage")


def test_4_validation_texts_name_fields_the_list_prints() -> None:
    for out in outputs():
        for step in steps(out.plan):
            if "vnet-integration list" in (step.get("validation") or ""):
                assert "isSwift" not in step["validation"].split("REST output")[0], step["title"]


def test_5_retiring_an_app_keeps_its_plan_for_the_plans_own_delete(checked: dict[str, Any]) -> None:
    assert "deleteEmptyServerFarm" not in writes(checked["old"]["delete keeps no plan"])[0]["url"]
    deletes = [
        c for c in checked["extra"] if c[1:3] == ["webapp", "delete"] or c[1:3] == ["functionapp", "delete"]
    ]
    assert deletes
    for argv in deletes:
        (request,) = writes(result(checked, argv))
        assert parse_qs(urlsplit(request["url"]).query)["deleteEmptyServerFarm"] == ["false"]
    retire = next(
        s for s in checked["focused"]["apps"][0]["steps"] if s["phase"] == "retire" and "plan" in s["title"]
    )
    assert "--keep-empty-plan" in retire["commands"][0] and "appservice plan delete" in retire["commands"][1]


def test_6_routing_is_set_on_a_site_that_never_had_it(checked: dict[str, Any]) -> None:
    assert "Couldn't find 'outboundVnetRouting'" in checked["old"]["routing by generic set"]["error"]
    for site, value in (("app-win-v2", False), ("app-a", True)):
        argv = next(c for c in checked["extra"] if "--vnet-route-all-enabled" in c and site in c)
        puts = [
            r for r in writes(result(checked, argv)) if r["method"] == "PUT" and "/config/" not in r["url"]
        ]
        assert puts and puts[-1]["body"]["properties"]["outboundVnetRouting"] == {"applicationTraffic": value}


def test_7_the_connection_is_deleted_at_its_url_and_pinned_api_version(checked: dict[str, Any]) -> None:
    old = checked["old"]["connection by resource delete"]
    assert any("/providers/Microsoft.Web?" in r["url"] for r in old["requests"])  # a provider look-up first
    delete = next(
        c for c in checked["extra"] if c[1:4] == ["rest", "--method", "delete"] and "app-a/" in c[5]
    )
    res = result(checked, delete)
    (request,) = res["requests"]
    url = urlsplit(request["url"])
    assert request["method"] == "DELETE"
    assert url.path == f"{APP}/virtualNetworkConnections/vnet-hub"
    assert parse_qs(url.query)["api-version"] == [WEB_API]


def test_8_resource_graph_and_private_dns_commands_ask_for_all_rows_and_no_prompt(
    checked: dict[str, Any],
) -> None:
    old = checked["old"]["link delete prompts"]
    assert old["status"] == "failed" and not writes(old)
    deletes = [
        e.argv
        for e in checked["emitted"]
        if command_path(e.argv) == ("network", "private-dns", "link", "vnet", "delete")
    ]
    assert deletes and all("--yes" in argv for argv in deletes)
    (request,) = writes(result(checked, fill(deletes[0], checked["paths"])))
    assert request["method"] == "DELETE" and f"/subscriptions/{ZONE_SUB}/" in request["url"]


def test_the_checker_fails_what_the_cli_rejects(checked: dict[str, Any]) -> None:
    assert checked["old"]["unknown command"]["status"] == "parse-error"
    assert checked["old"]["unknown flag"]["status"] == "parse-error"
    assert "unrecognized arguments: --bogus" in checked["old"]["unknown flag"]["error"]
