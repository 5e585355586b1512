"""The live tenant scan: Resource Graph data sets, per-app ARM calls, the inventory folder and manifest.

`run_scan(options)` is the library entry point; the CLI (`planner/cli/scan.py`) adds progress and exit
codes. The output contract is docs/inventory.md: one JSON Lines file per data set, raw resources as
Azure returned them, and manifest.json. Progress is kept in `.vnet-planner-scan/` so that `--resume`
reuses finished data sets and ARM calls; a complete scan removes it.

A scope (`planner.inventory.scope`, `--include`/`--exclude`) narrows the scan in two ways: subscriptions it
leaves out are queried and called no further; resource-group and tag filters keep the Resource Graph
data sets whole (apps out of scope share VNets, plans and gateways with apps in scope) but limit the
per-app ARM calls to apps in scope.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from azure.core.credentials import TokenCredential
from azure.mgmt.web import WebSiteManagementClient

from planner import __version__
from planner.analysis.tiers import GATEWAY_FREE_TIERS, SWIFT_CHECK_TIERS, tier_from_sku
from planner.collect import writer
from planner.collect.access import AccessError, graph_denied, nothing_visible, token_refused
from planner.collect.arm import AppRef, ArmCall, ArmCollector, Result, Task
from planner.collect.auth import Cloud, Connection, ScanCredential, shared_transport, sign_in
from planner.collect.graph import GraphCollector, QueryOutcome
from planner.collect.identity import Identity
from planner.collect.queries import QUERY_NAMES, Query, load_queries
from planner.collect.retry import Backoff, Failure
from planner.core.redact import redact
from planner.inventory.scope import Scope, Subject, ambiguous_names

SCHEMA = "vnet-planner/inventory@1"
STATE_VERSION = 1
ARM_DATASETS = tuple(call.dataset for call in ArmCall)


class ScanError(Exception):
    """The scan cannot go on (TLS refused, Resource Graph failing). The CLI exits 1.

    A credential that cannot be used, or an identity that can read nothing, raises
    `planner.collect.access.AccessError` instead (exit 2).
    """


class ScanUsageError(ScanError):
    """The options cannot work (e.g. --resume with another scope). The CLI exits 2."""


class ScanObserver(Protocol):
    """Progress callbacks; the library never draws anything itself."""

    def phase(self, name: str, total: int | None) -> None:
        """A phase starts ("subscriptions", "resource graph", "arm"); `total` steps if known."""

    def advance(self, name: str, steps: int = 1, detail: str = "") -> None:
        """Steps of a phase are done (called from worker threads during "arm")."""

    def warn(self, message: str) -> None:
        """Something the user should know that does not stop the scan."""


class NullObserver:
    """Observer that ignores everything (library callers, tests)."""

    def phase(self, name: str, total: int | None) -> None:
        """Ignore."""

    def advance(self, name: str, steps: int = 1, detail: str = "") -> None:
        """Ignore."""

    def warn(self, message: str) -> None:
        """Ignore."""


@dataclass(frozen=True)
class ScanOptions:
    """What to scan and how."""

    out: Path
    subscriptions: tuple[str, ...] = ()
    management_group: str | None = None
    cloud: Cloud = Cloud.AZURE_CLOUD
    tenant: str | None = None  # --tenant: the tenant tokens are asked for (id or domain)
    batch_size: int = 300
    concurrency: int = 64
    resume: bool = False
    retry: Backoff = field(default_factory=Backoff)
    scope: Scope = field(default_factory=Scope)


@dataclass
class ScanResult:
    """The manifest written, whether the scan was partial and why, and warnings."""

    out: Path
    manifest: dict[str, Any]
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def partial(self) -> bool:
        """True when anything was not read (the CLI exits 3)."""
        return bool(self.manifest.get("partial"))


# ------------------------------------------------------------------------------------------------
# Which apps get the ARM calls


def plan_tier(plan: dict[str, Any]) -> str | None:
    """The plan's tier, lower-case (`sku.tier`, else derived from `sku.name`); None when unknown."""
    sku: dict[str, Any] = plan["sku"] if isinstance(plan.get("sku"), dict) else {}
    return tier_from_sku(str(sku.get("tier") or ""), str(sku.get("name") or ""))


def select_tasks(
    sites: Iterable[dict[str, Any]],
    plans: Iterable[dict[str, Any]],
    *,
    skip_subscriptions: Iterable[str] = (),
) -> tuple[list[Task], list[str]]:
    """The ARM calls to make: every app and slot on a tier where gateway-required can exist, or whose
    plan is unknown (azure-facts §2.4), plus networkConfig for Basic/Standard. Returns (tasks, warnings)."""
    plan_by_id = {str(p.get("id", "")).lower(): p for p in plans}
    site_rows = sorted(sites, key=lambda r: str(r.get("id", "")).lower())
    farm_of_site: dict[str, str] = {}
    for row in site_rows:
        farm = _props(row).get("serverFarmId")
        if farm:
            farm_of_site[str(row.get("id", "")).lower()] = str(farm).lower()
    skip = {s.lower() for s in skip_subscriptions}
    tasks: list[Task] = []
    warnings: list[str] = []
    for row in site_rows:
        ref = AppRef.parse(str(row.get("id", "")))
        if ref is None:
            warnings.append(f"not an app or slot id, no ARM calls: {row.get('id')!r}")
            continue
        if ref.subscription.lower() in skip:
            continue
        farm = str(_props(row).get("serverFarmId") or "").lower()
        if not farm and ref.slot:
            # A slot runs on its app's plan.
            farm = farm_of_site.get(ref.id.lower().split("/slots/")[0], "")
        plan = plan_by_id.get(farm) if farm else None
        tier = plan_tier(plan) if plan is not None else None
        if tier in GATEWAY_FREE_TIERS:
            continue
        tasks.append(Task(ArmCall.VNET_CONNECTIONS, ref))
        tasks.append(Task(ArmCall.KEY_VAULT_REFERENCES, ref))
        if tier is None or tier in SWIFT_CHECK_TIERS:
            tasks.append(Task(ArmCall.NETWORK_CONFIG, ref))
    return tasks, warnings


def apps_in_scope(
    sites: Iterable[dict[str, Any]], scope: Scope, subscription_names: dict[str, str | None]
) -> tuple[list[dict[str, Any]], int]:
    """The app and slot rows inside `scope`, and how many are outside it.

    A slot follows its app: it is in scope exactly when its parent site is, judged by the site's
    resource group and tags (a slot's own tags do not count). `subscription_names` maps lower-case
    subscription ids to names, for name filters.
    """
    rows = list(sites)
    if scope.empty:
        return rows, 0
    by_id = {str(r.get("id", "")).lower(): r for r in rows}
    inside: list[dict[str, Any]] = []
    for row in rows:
        rid = str(row.get("id", "")).lower()
        # A slot without its site in the data (not seen in practice) is judged by its own row.
        judged = by_id.get(rid.split("/slots/")[0], row) if "/slots/" in rid else row
        if scope.contains(_subject(judged, subscription_names)):
            inside.append(row)
    return inside, len(rows) - len(inside)


def _subject(row: dict[str, Any], subscription_names: dict[str, str | None]) -> Subject:
    ref = AppRef.parse(str(row.get("id", "")))
    sub = str(row.get("subscriptionId") or (ref.subscription if ref else "") or "")
    group = str(row.get("resourceGroup") or (ref.resource_group if ref else "") or "")
    tags = row.get("tags") if isinstance(row.get("tags"), dict) else {}
    return Subject(sub, subscription_names.get(sub.lower()), group, tags or {})


def scope_key(scope: Scope) -> dict[str, list[str]]:
    """The scope in a canonical form (kind names, case and order do not matter), for --resume."""

    def canonical(selectors: Iterable[Any]) -> list[str]:
        return sorted(
            f"{s.kind}:{s.value}" + ("" if s.tag_value is None else f"={s.tag_value}") for s in selectors
        )

    return {"include": canonical(scope.include), "exclude": canonical(scope.exclude)}


def _props(row: dict[str, Any]) -> dict[str, Any]:
    props = row.get("properties")
    return props if isinstance(props, dict) else {}


def _subscription_of(row: dict[str, Any]) -> str:
    return str(row.get("subscriptionId") or str(row.get("id", "")).rsplit("/", 1)[-1])


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------------------------------------
# The scan


def run_scan(
    options: ScanOptions,
    *,
    connection: Connection | None = None,
    credential: TokenCredential | None = None,
    observer: ScanObserver | None = None,
) -> ScanResult:
    """Scan the tenant into `options.out`.

    Signs in first: AccessError (one line) when the credential cannot be used or the identity can
    read no subscription, ScanError when nothing useful can be done otherwise; in both cases the
    folder is left as it was (a new one is not created).
    """
    if options.subscriptions and options.management_group:
        raise ScanUsageError(
            "--subscription and --management-group cannot be combined (Resource Graph refuses it)"
        )
    connection = connection or Connection.from_env(options.cloud)
    owns_credential = credential is None
    credential = credential or connection.credential(options.tenant)
    try:
        identity = sign_in(credential, connection.scopes, options.tenant)
        return _Scan(options, connection, credential, observer or NullObserver(), identity).run()
    finally:
        close = getattr(credential, "close", None)
        if owns_credential and callable(close):
            close()


class _Scan:
    """One run of the scan; holds the state the phases share."""

    def __init__(
        self,
        options: ScanOptions,
        connection: Connection,
        credential: TokenCredential,
        observer: ScanObserver,
        identity: Identity | None = None,
    ) -> None:
        self.options = options
        self.identity = identity or Identity(
            credential.source if isinstance(credential, ScanCredential) else type(credential).__name__
        )
        self.out = options.out
        self.connection = connection
        self.credential = credential
        self.observer = observer
        self.queries = load_queries()
        self.store = writer.ScanState(self.out)
        self.state: dict[str, Any] = {}
        self.warnings: list[str] = []
        self.subscriptions: dict[str, dict[str, Any]] = {}  # lower id -> manifest entry
        self.excluded: dict[str, dict[str, Any]] = {}  # lower id -> {id, name}: left out by the scope
        self.apps_out_of_scope = 0
        self.query_stats: dict[str, dict[str, Any]] = {}
        self.results: dict[tuple[str, str], dict[str, Any]] = {}  # (call, lower app id) -> journal entry
        self.tasks: list[Task] = []
        self._lock = threading.Lock()
        self.graph = GraphCollector(
            connection.graph_client(credential), batch_size=options.batch_size, backoff=options.retry
        )
        self.arm: ArmCollector | None = None

    # -- orchestration -----------------------------------------------------------------------

    def run(self) -> ScanResult:
        created = not self.out.exists()
        fresh = self._prepare()
        try:
            scope = self._discover()
        except (ScanError, AccessError):
            if fresh:
                self.store.clear()  # nothing worth resuming
                if created and self.out.is_dir() and not any(self.out.iterdir()):
                    self.out.rmdir()  # no empty folder that looks like an inventory
            raise
        if fresh:
            # Only now that the credential has worked: a scan that cannot even list subscriptions
            # leaves the previous inventory in the folder as it was.
            self._drop_previous_outputs()
        self._write_manifest(final=False)
        rows = self._resource_graph(scope)
        self._write_manifest(final=False)
        self._enrich(rows.get("sites", []), rows.get("serverfarms", []))
        manifest, reasons = self._write_manifest(final=True)
        self.warnings.extend(self.graph.warnings)
        if not manifest["partial"]:
            self.store.clear()
        else:
            self.store.close()
        return ScanResult(self.out, manifest, reasons, self.warnings)

    def _prepare(self) -> bool:
        """Load the state to resume, or start a new one; True for a new scan."""
        key = {
            "subscriptions": sorted(s.lower() for s in self.options.subscriptions),
            "management_group": self.options.management_group,
            "cloud": str(self.connection.cloud),
            "endpoint": self.connection.endpoint,
            "filters": scope_key(self.options.scope),
            "tenant": (self.identity.tenant or "").lower() or None,
        }
        previous = self.store.load() if self.options.resume else None
        if previous is not None and previous.get("version") == STATE_VERSION:
            saved_key = dict(previous.get("key") or {})
            # A scan left unfinished before scope filters (or tenants) were recorded had none.
            saved_key.setdefault("filters", scope_key(Scope()))
            saved_key.setdefault("tenant", key["tenant"])
            if saved_key["filters"] != key["filters"]:
                # Refused rather than merged: the data sets, the ARM journal and the manifest's
                # scope would otherwise describe two different scans.
                before = previous.get("filters_given") or {}
                given = " ".join(
                    [*(f"--include {t}" for t in before.get("include", ()))]
                    + [f"--exclude {t}" for t in before.get("exclude", ())]
                )
                raise ScanUsageError(
                    f"--resume: the unfinished scan in {self.out} used the scope "
                    f"'{given or 'everything'}', not '{self.options.scope.describe()}'; "
                    "repeat its --include/--exclude, or scan into a new folder without --resume"
                )
            if saved_key != key:
                raise ScanUsageError(
                    f"--resume: {self.out} holds a scan of another scope, cloud or tenant; "
                    "scan into a new folder or drop --resume"
                )
            self.state = previous
            for entry in self.store.journal():
                if entry.get("ok") and entry.get("call") and entry.get("id"):
                    self.results[(str(entry["call"]), str(entry["id"]).lower())] = entry
            return False
        if self.options.resume:
            self.observer.warn(f"--resume: no unfinished scan in {self.out}; starting a new one")
        self.store.clear()
        self.state = {
            "version": STATE_VERSION,
            "key": key,
            "filters_given": self.options.scope.as_dict(),
            "started_at": _now(),
            "datasets": {},
        }
        self.store.save(self.state)
        return True

    def _drop_previous_outputs(self) -> None:
        """A new scan into a folder that holds an earlier one: its data sets and manifest go."""
        for name in (*QUERY_NAMES, *ARM_DATASETS):
            if name != "subscriptions":  # just written by this scan
                (self.out / f"{name}.jsonl").unlink(missing_ok=True)
        (self.out / "manifest.json").unlink(missing_ok=True)
        self._warn_about_other_files()

    def _warn_about_other_files(self) -> None:
        """`plan` reads every JSON file under the folder: say so if the scan's are not alone."""
        ours = {f"{name}.jsonl" for name in (*QUERY_NAMES, *ARM_DATASETS)} | {"manifest.json"}
        others = sorted(
            str(p.relative_to(self.out))
            for p in self.out.rglob("*")
            if p.suffix in (".json", ".jsonl")
            and p.name not in ours
            and not any(part.startswith(".") for part in p.relative_to(self.out).parts)
        )
        if others:
            listed = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
            self.warnings.append(
                f"{self.out} also holds {len(others)} other JSON file(s) that `plan` will read too: {listed}"
            )

    # -- phase 1: subscriptions ---------------------------------------------------------------

    def _discover(self) -> list[str]:
        """Find the subscriptions in scope; return the ids (lower-case) that the queries will cover."""
        query = self.queries["subscriptions"]
        explicit = [s.lower() for s in self.options.subscriptions]
        saved = self.state.get("datasets", {}).get("subscriptions")
        rows: list[dict[str, Any]] | None = None
        failed: dict[str, str] = {}
        if saved and self._reusable(saved, query) and (self.out / "subscriptions.jsonl").exists():
            rows = writer.read_jsonl(self.out / "subscriptions.jsonl")
            failed = dict(saved.get("failed") or {})
            for entry in saved.get("excluded") or []:
                self.excluded[str(entry["id"]).lower()] = entry
            self.query_stats["subscriptions"] = {
                "sha256": query.sha256,
                "rows": len(rows),
                "pages": saved["pages"],
            }
        if rows is None:
            self.observer.phase("subscriptions", None)
            outcome = self.graph.query(
                query,
                explicit or None,
                management_group=self.options.management_group,
                on_page=lambda n: self.observer.advance("subscriptions", 1, f"{n} rows"),
            )
            if outcome.error:
                self._refuse_access(outcome.failure)
                raise ScanError(f"Resource Graph could not list subscriptions: {outcome.error}")
            rows, failed = self._apply_subscription_scope(outcome.rows, explicit, failed=outcome.failed)
            # Before anything is written: a mistyped filter, or an identity that sees nothing, leaves
            # a previous inventory as it was.
            if not rows:
                if self.excluded and all(s in self.excluded for s in explicit):
                    self._refuse_empty_scope()
                raise AccessError(
                    nothing_visible(
                        self.identity, management_group=self.options.management_group, requested=explicit
                    )
                )
            # Only subscriptions in scope go into the inventory; the others are named in the manifest.
            writer.write_jsonl(self.out / "subscriptions.jsonl", rows)
            outcome.rows = rows
            self._save_dataset(query, outcome, covered=[])
            self.state["datasets"]["subscriptions"]["excluded"] = list(self.excluded.values())
            self.store.save(self.state)
        for row in rows:
            sub = _subscription_of(row)
            self.subscriptions[sub.lower()] = {"id": sub, "name": row.get("name"), "status": "ok"}
        for sub in explicit:
            if sub not in self.subscriptions and sub not in self.excluded:
                self.subscriptions[sub] = {"id": sub, "name": None, "status": "ok"}
                if sub not in failed:
                    failed[sub] = (
                        "not in Resource Graph's resourcecontainers (no access, or no such subscription)"
                    )
        for sub, reason in failed.items():
            if sub.lower() not in self.excluded:
                self._fail_subscription(sub, reason)
        self._warn_about_names()
        if not self.subscriptions:
            if self.excluded:
                self._refuse_empty_scope()
            raise AccessError(
                nothing_visible(
                    self.identity, management_group=self.options.management_group, requested=explicit
                )
            )
        return [s for s, e in self.subscriptions.items() if e["status"] == "ok"]

    def _refuse_access(self, failure: Failure | None) -> None:
        """A 401 or 403 on the subscription list: the credential or the identity's roles, one line."""
        if failure is None:
            return
        if failure.status == 401:
            raise token_refused(failure, self.identity, self.options.tenant)
        if failure.status == 403:
            advice = graph_denied(
                self.identity,
                management_group=self.options.management_group,
                subscriptions=self.options.subscriptions,
            )
            raise AccessError(
                f"Resource Graph refused the query ({failure.reason}): {advice}", failure.detail
            )

    def _apply_subscription_scope(
        self, rows: list[dict[str, Any]], explicit: list[str], *, failed: dict[str, str]
    ) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """Drop the subscriptions the scope leaves out (into self.excluded); return the rest."""
        scope = self.options.scope
        kept: list[dict[str, Any]] = []
        for row in rows:
            sub = _subscription_of(row)
            name = row.get("name")
            if scope.contains_subscription(sub, str(name) if name else None):
                kept.append(row)
            else:
                self.excluded[sub.lower()] = {"id": sub, "name": name}
        seen = {_subscription_of(r).lower() for r in rows}
        for sub in explicit:
            # Asked for by id but not visible: its name is unknown, so only its id can be judged.
            if sub not in seen and not scope.contains_subscription(sub, None):
                self.excluded[sub] = {"id": sub, "name": None}
        return kept, {s: r for s, r in failed.items() if s.lower() not in self.excluded}

    def _refuse_empty_scope(self) -> None:
        raise ScanUsageError(
            f"the scope ({self.options.scope.describe()}) leaves out all {len(self.excluded)} "
            "subscription(s) the credential can read: nothing to scan"
        )

    def _warn_about_names(self) -> None:
        """A subscription name filter that matches several subscriptions sharing a name picks them all."""
        names = {e["id"]: e.get("name") for e in (*self.subscriptions.values(), *self.excluded.values())}
        for message in ambiguous_names(self.options.scope, names):
            self.observer.warn(message)

    def _fail_subscription(self, sub: str, reason: str) -> None:
        entry = self.subscriptions.setdefault(sub.lower(), {"id": sub, "name": None, "status": "ok"})
        if entry["status"] != "failed":
            entry["status"], entry["reason"] = "failed", reason

    # -- phase 2: Resource Graph data sets ----------------------------------------------------

    def _resource_graph(self, scope: list[str]) -> dict[str, list[dict[str, Any]]]:
        names = [n for n in QUERY_NAMES if n != "subscriptions"]
        self.observer.phase("resource graph", len(names))
        rows: dict[str, list[dict[str, Any]]] = {}
        for name in names:
            query = self.queries[name]
            saved = self.state["datasets"].get(name)
            path = self.out / f"{name}.jsonl"
            if (
                saved
                and self._reusable(saved, query)
                and set(saved.get("covered", [])) >= set(scope)
                and path.exists()
            ):
                rows[name] = writer.read_jsonl(path)
                self.query_stats[name] = {
                    "sha256": query.sha256,
                    "rows": len(rows[name]),
                    "pages": saved["pages"],
                }
                self.observer.advance("resource graph", 1, f"{name}: {len(rows[name])} rows (resumed)")
                continue
            # Subscriptions that failed an earlier query are not asked again: their data is
            # incomplete anyway, and each failure costs a round of batch splitting.
            live = [s for s in scope if self.subscriptions[s]["status"] == "ok"]
            outcome = self.graph.query(query, live) if live else QueryOutcome(name)
            for sub, reason in outcome.failed.items():
                self._fail_subscription(sub, f"{reason} (query {name})")
            if outcome.error:
                self.warnings.append(f"query {name} failed: {outcome.error}")
            covered = [s for s in live if s not in outcome.failed] if not outcome.error else []
            outcome.rows = [redact(row) for row in outcome.rows]  # gateways carry root certificate data
            writer.write_jsonl(path, outcome.rows)
            self._save_dataset(query, outcome, covered)
            rows[name] = outcome.rows
            self.observer.advance(
                "resource graph", 1, f"{name}: {len(outcome.rows)} rows, {outcome.pages} pages"
            )
        return rows

    def _reusable(self, saved: dict[str, Any] | None, query: Query) -> bool:
        return bool(
            self.options.resume
            and saved
            and saved.get("sha256") == query.sha256
            and not saved.get("error")
            and not saved.get("failed")
        )

    def _save_dataset(self, query: Query, outcome: QueryOutcome, covered: list[str]) -> None:
        stats: dict[str, Any] = {"sha256": query.sha256, "rows": len(outcome.rows), "pages": outcome.pages}
        if outcome.error:
            stats["status"], stats["error"] = "failed", outcome.error
        elif outcome.failed:
            stats["status"] = "partial"
        self.query_stats[query.name] = stats
        self.state["datasets"][query.name] = {
            **stats,
            "failed": outcome.failed,
            "covered": covered,
        }
        self.store.save(self.state)

    # -- phase 3: ARM enrichment --------------------------------------------------------------

    def _enrich(self, sites: list[dict[str, Any]], plans: list[dict[str, Any]]) -> None:
        failed_subs = [s for s, e in self.subscriptions.items() if e["status"] == "failed"]
        names = {s: e.get("name") for s, e in self.subscriptions.items()}
        # Resource Graph rows stay whole (shared VNets, plans, gateways); ARM calls only in scope.
        sites, self.apps_out_of_scope = apps_in_scope(sites, self.options.scope, names)
        self.tasks, warnings = select_tasks(sites, plans, skip_subscriptions=failed_subs)
        self.warnings.extend(warnings)
        todo = [t for t in self.tasks if (t.call.value, t.app.id.lower()) not in self.results]
        self.observer.phase("arm", len(self.tasks))
        if len(todo) < len(self.tasks):
            self.observer.advance("arm", len(self.tasks) - len(todo), "resumed")
        if not todo:
            return
        transport = shared_transport(
            self.options.concurrency, self.connection.verify, self.connection.endpoint
        )
        clients: dict[str, WebSiteManagementClient] = {}

        def client_for(subscription: str) -> WebSiteManagementClient:
            with self._lock:
                client = clients.get(subscription.lower())
                if client is None:
                    client = self.connection.web_client(self.credential, subscription, transport)
                    clients[subscription.lower()] = client
                return client

        self.arm = ArmCollector(client_for, concurrency=self.options.concurrency, backoff=self.options.retry)
        try:
            self.arm.run(todo, self._record)
        finally:
            self.store.close()
            transport.close()

    def _record(self, result: Result) -> None:
        task = result.task
        entry: dict[str, Any] = {"call": task.call.value, "id": task.app.id}
        if result.failure is None:
            entry.update(ok=True, items=result.items or [])
        else:
            reason = result.failure.detail
            if result.attempts > 1:
                reason += f", gave up after {result.attempts - 1} retries"
            entry.update(ok=False, status=result.failure.status, reason=reason)
        self.store.append(entry)
        with self._lock:
            self.results[(task.call.value, task.app.id.lower())] = entry
        self.observer.advance("arm", 1, task.call.value)

    # -- output -------------------------------------------------------------------------------

    def _arm_manifest(self, final: bool) -> dict[str, dict[str, list[Any]]]:
        arm: dict[str, dict[str, list[Any]]] = {c.value: {"fetched": [], "failed": []} for c in ArmCall}
        if not final:
            return arm
        items: dict[str, list[dict[str, Any]]] = {c.value: [] for c in ArmCall}
        for task in sorted(self.tasks, key=lambda t: (t.app.id.lower(), t.call.value)):
            entry = self.results.get((task.call.value, task.app.id.lower()))
            if entry is None:
                continue
            if entry.get("ok"):
                arm[task.call.value]["fetched"].append(task.app.id)
                items[task.call.value].extend(entry.get("items") or [])
            else:
                arm[task.call.value]["failed"].append(
                    {"id": task.app.id, "status": entry.get("status"), "reason": entry.get("reason")}
                )
        for call in ArmCall:
            writer.write_jsonl(self.out / f"{call.dataset}.jsonl", items[call.value])
        return arm

    def _write_manifest(self, *, final: bool) -> tuple[dict[str, Any], list[str]]:
        arm = self._arm_manifest(final)
        reasons: list[str] = []
        failed_subs = [e for e in self.subscriptions.values() if e["status"] == "failed"]
        if failed_subs:
            listed = ", ".join(f"{e['id']} ({e.get('reason')})" for e in failed_subs[:5])
            reasons.append(f"{len(failed_subs)} subscription(s) failed: {listed}")
        for name, stats in self.query_stats.items():
            if stats.get("error"):
                reasons.append(f"query {name} failed: {stats['error']}")
        for call, lists in arm.items():
            if lists["failed"]:
                first = lists["failed"][0]
                reasons.append(
                    f"{call}: {len(lists['failed'])} app(s) not read, e.g. {first['id']} ({first['reason']})"
                )
        if not final:
            reasons.append("the scan has not finished")
        arm_counters = self.arm.counters if self.arm is not None else None
        manifest: dict[str, Any] = {
            "schema": SCHEMA,
            "tool_version": __version__,
            "started_at": self.state.get("started_at"),
            "finished_at": _now() if final else None,
            "cloud": str(self.connection.cloud),
            "tenant": self.identity.tenant,
            "credential": self.identity.credential,
            "scope": {
                "subscriptions": [e["id"] for e in self.subscriptions.values()],
                "management_group": self.options.management_group,
                **self.options.scope.as_dict(),
                "subscriptions_excluded": sorted(
                    self.excluded.values(), key=lambda e: (str(e.get("name") or ""), str(e["id"]).lower())
                ),
                "apps_out_of_scope": self.apps_out_of_scope,
            },
            "subscriptions": list(self.subscriptions.values()),
            "queries": dict(self.query_stats),
            "arm": arm,
            "calls": {
                "resource_graph": self.graph.counters.calls,
                "arm": arm_counters.calls if arm_counters else 0,
                "retries": self.graph.counters.retries + (arm_counters.retries if arm_counters else 0),
            },
            "partial": bool(reasons),
        }
        writer.write_json(self.out / "manifest.json", manifest)
        return manifest, reasons
