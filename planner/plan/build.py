"""Assemble the plan: apps with codes, evidence, readiness and targets; gateways; subnets; deadline.

The result is the plan.json dict (docs/plan-format.md), the one structure every renderer reads.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from planner import __version__
from planner.analysis.analyse import AppResult, analyse, run_rules
from planner.analysis.rules import GATEWAY_DOC, GATEWAY_USES, RULES
from planner.analysis.rules.base import Kind, Status
from planner.core.ids import last_segment, norm_id, parent_id
from planner.core.memory import KeyShared, key_shared
from planner.gateways.decommission import GatewayReport, analyse_gateways
from planner.gateways.prices import PriceTable
from planner.inventory.model import App, Integration, Tenant
from planner.inventory.scope import Scope, Subject, ambiguous_names, scope_from_dict
from planner.placement.targets import Placement, place_targets

RETIREMENT_DATE = date(2027, 3, 31)  # azure-facts §7.3: gateway-required integration and SSTP P2S end
SCHEMA = "vnet-planner/plan@2"
# Plans this version reads (diff, --previous): @2 moved shared step notes to `step_notes`, Bicep out of the
# steps and service-endpoint resources to `vnets`; nothing those readers use changed (docs/plan-format.md,
# "Versions").
READABLE_SCHEMAS = ("vnet-planner/plan@1", SCHEMA)


def build_plan(
    tenant: Tenant,
    prices: PriceTable,
    *,
    today: date | None = None,
    now: datetime | None = None,
    scope: Scope | None = None,
) -> dict[str, Any]:
    """Analyse the tenant and return the plan.json dict.

    The whole tenant is always analysed (gateways, VNets and plans are shared by apps in and out of
    a scope); `scope`, on top of the one the scan recorded, only narrows what the plan lists.
    """
    now = now or datetime.now(UTC)
    today = today or now.date()
    results = analyse(tenant)
    placement = place_targets(tenant, results)
    for result in results:
        if result.context is not None:
            run_rules(result, stage="placement")
    migrated = set(placement.by_app)
    gateways = analyse_gateways(tenant, results, migrated, prices)
    gateway_of = {norm_id(d.app.id): g for g in gateways for d in g.dependents}
    scoping = _Scoping(tenant, scope or Scope())
    in_scope = [r for r in results if scoping.contains(r.app)]
    # A plan's subnets are the same for each of its apps: gathered once per plan, not once per app.
    plan_subnets: dict[str | None, list[str]] = {}
    apps = [
        _app_dict(tenant, r, placement, gateway_of.get(norm_id(r.app.id)), plan_subnets)
        for r in _sorted(tenant, in_scope)
    ]
    gateway_dicts = [scoping.gateway(g, _gateway_dict(tenant, g)) for g in gateways if scoping.lists(g)]
    targets = [t for t in placement.targets if scoping.any_app(t.app_ids)]
    return {
        "schema": SCHEMA,
        "tool_version": __version__,
        "generated_at": now.isoformat(timespec="seconds"),
        "as_of": today.isoformat(),
        "retirement_date": RETIREMENT_DATE.isoformat(),
        "days_left": (RETIREMENT_DATE - today).days,
        "prices": {"source": prices.source, "as_of": prices.as_of, "currency": prices.currency},
        "cloud": cloud_of(tenant),
        "inventory": {**_inventory_dict(tenant), **_inventory_identity(tenant)},
        "summary": {
            "retirement_date": RETIREMENT_DATE.isoformat(),
            "days_left": (RETIREMENT_DATE - today).days,
            **_summary(apps, gateway_dicts, targets),
            # Which files hold only part of their result (details: inventory.incomplete).
            "incomplete_files": sorted({file for gap in tenant.gaps for file in gap.files}),
            "scope": scoping.summary(len(results) - len(in_scope), len(gateways) - len(gateway_dicts)),
        },
        "subscriptions": _subscriptions(tenant),
        "codes": codes_legend(),
        "gateway_uses": gateway_uses_legend(),
        "step_notes": {},  # the runbook fills it: notes shared by every step of a kind, by key
        "apps": apps,
        "gateways": gateway_dicts,
        "subnets": [_subnet_dict(t) for t in targets],
        "vnets": _vnets(tenant, in_scope),
        "warnings": scoping.warnings,
        "waves": [],
        "schedule": None,
    }


class _Scoping:
    """Which apps and gateways a scope lists, and what it does to gateway removal.

    A slot follows its site (its resource group and tags), so an app is never half in scope. A
    gateway (the plan lists only gateways apps depend on) is listed when an app in scope depends on
    it. A gateway that apps outside the scope still depend on cannot be removed by this plan.
    """

    def __init__(self, tenant: Tenant, scope: Scope) -> None:
        where = tenant.raw.manifest_path or "manifest.json"
        self.recorded = scope_from_dict((tenant.raw.manifest or {}).get("scope"), where)
        self.scope = self.recorded.merged(scope)
        self.tenant = tenant
        self._cache: dict[str, bool] = {}
        names = {s.id: s.name for s in tenant.subscriptions.values()}
        self.warnings = ambiguous_names(scope, names)

    def contains(self, app: App) -> bool:
        if self.scope.empty:
            return True
        key = norm_id(app.id)
        if key not in self._cache:
            site = self.tenant.apps.get(norm_id(parent_id(app.id))) if app.slot else app
            self._cache[key] = self.scope.contains(self._subject(site or app))
        return self._cache[key]

    def _subject(self, item: Any) -> Subject:
        sub = item.subscription_id
        return Subject(sub, self.tenant.subscription_name(sub), item.resource_group, item.tags)

    def any_app(self, app_ids: Any) -> bool:
        return self.scope.empty or any(
            self.contains(app) for i in app_ids if (app := self.tenant.apps.get(norm_id(i)))
        )

    def lists(self, report: GatewayReport) -> bool:
        if self.scope.empty:
            return True
        return any(self.contains(d.app) for d in report.dependents)

    def gateway(self, report: GatewayReport, data: dict[str, Any]) -> dict[str, Any]:
        outside = [d.app.id for d in report.dependents if not self.contains(d.app)]
        data["dependents_out_of_scope"] = outside
        if data["decommission"] == "verify" and self.recorded.needs_resource_filter:
            data["decommission_reason"] += (
                f". The scan's scope ({self.recorded.describe()}) left apps unread, so this cannot be "
                "settled here: scan their resource groups too"
            )
        if outside:
            data.update(
                decommission="no",
                decommission_reason=f"{len(outside)} app(s) outside this plan's scope "
                f"({self.scope.describe()}) still depend on it: plan them too before removing it. "
                + data["decommission_reason"],
                decommissionable=False,
                monthly_savings=0.0,
                potential_monthly_savings=0.0,
            )
        return data

    def summary(self, apps_out: int, gateways_out: int) -> dict[str, Any]:
        return {
            **self.scope.as_dict(),
            "from_scan": self.recorded.as_dict(),
            "apps_out_of_scope": apps_out if not self.scope.empty else 0,
            "gateways_out_of_scope": gateways_out if not self.scope.empty else 0,
        }


def _subscriptions(tenant: Tenant) -> list[dict[str, Any]]:
    """Every subscription with a label to show: its name, plus enough of the id when names repeat."""
    subs = sorted(tenant.subscriptions.values(), key=lambda s: (s.name or "", s.id))
    groups: dict[str, list[str]] = {}
    for s in subs:
        groups.setdefault((s.name or "").lower(), []).append(s.id.lower())

    def label(name: str | None, sub_id: str) -> str:
        same = groups[(name or "").lower()]
        if not name:
            return sub_id
        if len(same) == 1:
            return name
        width = next((n for n in range(8, 37) if len({i[:n] for i in same}) == len(same)), len(sub_id))
        return f"{name} ({sub_id[:width]})"

    return [{"id": s.id, "name": s.name, "label": label(s.name, s.id)} for s in subs]


CLOUDS = {
    "azurecloud": ("AzureCloud", "https://portal.azure.com", "https://management.azure.com"),
    "azureusgovernment": (
        "AzureUSGovernment",
        "https://portal.azure.us",
        "https://management.usgovcloudapi.net",
    ),
    "azurechinacloud": ("AzureChinaCloud", "https://portal.azure.cn", "https://management.chinacloudapi.cn"),
}


def cloud_of(tenant: Tenant) -> dict[str, str]:
    """The cloud the inventory was scanned in (manifest `cloud`), for portal links; public Azure by default."""
    named = str((tenant.raw.manifest or {}).get("cloud") or "AzureCloud")
    name, portal, arm = CLOUDS.get(named.lower(), CLOUDS["azurecloud"])
    return {"name": name, "portal": portal, "resource_manager": arm}


def codes_legend() -> dict[str, dict[str, str]]:
    """Every code with its list, title, meaning and fix, for renderers.

    A gateway use that shares its code with a rule (EXPRESSROUTE) is described by the rule here, so an
    app's code reads the same everywhere; `gateway_uses_legend` describes every use in its own words.
    """
    rules = {
        r.code: {
            "kind": r.kind.value,
            "title": r.title,
            "meaning": r.why,
            "fix": r.fix,
            "finds": r.finds.split("\n\n")[0].replace("\n", " "),
            "doc": f"docs/codes.md#{r.code.lower().replace('_', '-')}",
            "learn_url": r.learn,
        }
        for r in RULES
    }
    return rules | {code: entry for code, entry in gateway_uses_legend().items() if code not in rules}


def gateway_uses_legend() -> dict[str, dict[str, str]]:
    """What else uses a gateway (gateways[].other_uses), each in words (plan.json `gateway_uses`)."""
    return {
        use.code: {
            "kind": "gateway-use",
            "title": use.title,
            "meaning": use.meaning,
            "fix": use.fix,
            "finds": use.meaning,
            "doc": "docs/codes.md#gateway-uses-gatewaysother_uses",
            "learn_url": GATEWAY_DOC,
        }
        for use in GATEWAY_USES
    }


def _sorted(tenant: Tenant, results: list[AppResult]) -> list[AppResult]:
    def key(r: AppResult) -> tuple[str, str, str, str, str]:
        app = r.app
        return (
            (tenant.subscription_name(app.subscription_id) or app.subscription_id or "").lower(),
            (app.resource_group or "").lower(),
            app.site_name.lower(),
            (app.slot or "").lower(),
            app.id.lower(),
        )

    return sorted(results, key=key)


def _context(
    tenant: Tenant,
    result: AppResult,
    gateway: GatewayReport | None,
    plan_subnets: dict[str | None, list[str]],
) -> dict[str, Any] | None:
    ctx = result.context
    if ctx is None:
        return None
    app = result.app
    vnet = ctx.vnet
    kv = []
    for reference in tenant.kv_references.get(norm_id(app.id), []):
        vault = tenant.vaults_by_name.get((reference.vault_name or "").lower())
        kv.append(
            key_shared(
                _KeyVaultReference,
                {
                    "setting": reference.setting,
                    "vault": reference.vault_name,
                    "vault_id": vault.id if vault else None,
                    "restricted": vault.restricted if vault else None,
                    "public_network_access": vault.public_network_access if vault else None,
                    "default_action": vault.default_action if vault else None,
                    "status": reference.status,
                },
            )
        )
    slots = tenant.slots_by_site.get(norm_id(app.id if not app.slot else app.id.rsplit("/slots/", 1)[0]), [])
    return key_shared(
        _Context,
        {
            "vnet_name": vnet.name if vnet else (ctx.vnet_id or "").rsplit("/", 1)[-1] or None,
            "vnet_resource_group": vnet.resource_group if vnet else None,
            "vnet_location": vnet.location if vnet else None,
            "vnet_address_space": list(vnet.address_prefixes) if vnet else [],
            "vnet_dns_servers": list(vnet.dns_servers) if vnet else [],
            "connection_name": ctx.connection.name,
            "connection_id": ctx.connection.id,
            "connection_dns_servers": list(ctx.connection.dns_servers),
            "p2s_pools": list(gateway.gateway.p2s_pools) if gateway else [],
            "gateway_name": gateway.gateway.name if gateway else None,
            "gateway_resource_group": gateway.gateway.resource_group if gateway else None,
            "gateway_other_uses": gateway.other_uses if gateway else [],
            "route_all": app.route_all,
            "has_slots": bool(slots) or app.slot is not None,
            "slot_names": sorted(s.slot or "" for s in slots),
            "is_function": app.is_function,
            "scm_host": app.scm_host,
            "keyvault_references": kv,
            "plan_routes": [
                {"start": r.start, "end": r.end, "type": r.route_type}
                for r in ctx.connection.routes
                if (r.route_type or "").upper() != "DEFAULT"
            ],
            # The subnets the plan integrates today (every app and slot of it, every signal), and how many
            # it may: the runbook splits a plan from the same facts TOO_MANY_SUBNETS judged.
            "plan_subnets": list(_subnets_of_plan(tenant, app.plan_id, plan_subnets)),
            "plan_subnet_limit": ctx.target.plan_subnet_limit if ctx.target else None,
        },
    )


class _KeyVaultReference(KeyShared):
    """apps[].context.keyvault_references[] (planner.core.memory.key_shared)."""


class _Context(KeyShared):
    """apps[].context: one per gateway-required app (planner.core.memory.key_shared)."""


def _vnets(tenant: Tenant, results: list[AppResult]) -> list[dict[str, Any]]:
    """Facts of a VNet that every app integrated with it shares, said once (plan format 2): the resources
    that admit only its subnets through service endpoints (SERVICE_ENDPOINTS's evidence; an app's verdict
    depends on its VNet alone, access.check_service_endpoints)."""
    found: dict[str, dict[str, Any]] = {}
    for result in results:
        verdict = result.verdicts.get("SERVICE_ENDPOINTS")
        ctx = result.context
        if verdict is None or verdict.status != Status.YES or ctx is None or not ctx.vnet_id:
            continue
        key = norm_id(ctx.vnet_id)
        if key in found:
            continue
        resources: dict[str, dict[str, Any]] = {}
        for evidence in verdict.evidence:
            entry = resources.setdefault(
                evidence.resource_id,
                {"id": evidence.resource_id, "type": evidence.note, "subnets": [], "fields": []},
            )
            entry["subnets"].append(evidence.value)
            entry["fields"].append(evidence.field)
        for entry in resources.values():
            entry["services"] = sorted(_endpoint_services(tenant, entry["subnets"]))
        found[key] = {
            "id": ctx.vnet_id,
            "name": ctx.vnet.name if ctx.vnet else last_segment(ctx.vnet_id),
            "service_endpoint_resources": list(resources.values()),
        }
    return [found[key] for key in sorted(found)]


def _evidence(result: AppResult) -> list[dict[str, Any]]:
    """The app's evidence; SERVICE_ENDPOINTS's as one entry naming its VNet, whose entry in `vnets` lists
    the resources (the same for every app of the VNet)."""
    out: list[dict[str, Any]] = []
    vnet_id = result.context.vnet_id if result.context else None
    for code, verdict in result.verdicts.items():
        if verdict.status != Status.YES:
            continue
        if code == "SERVICE_ENDPOINTS" and vnet_id:
            count = len({e.resource_id.lower() for e in verdict.evidence})
            out.append(
                {
                    "code": code,
                    "resource_id": vnet_id,
                    "field": "vnets[].service_endpoint_resources",
                    "value": count,
                    "note": f"{count} resource(s) admit only subnets of this VNet through service endpoints "
                    "(listed once for the VNet, under vnets in plan.json)",
                }
            )
        else:
            out += [e.as_dict() for e in verdict.evidence]
    return out


def _endpoint_services(tenant: Tenant, subnet_ids: list[str]) -> set[str]:
    services: set[str] = set()
    for subnet_id in subnet_ids:
        subnet = tenant.subnets.get(norm_id(subnet_id))
        if subnet:
            services.update(subnet.service_endpoints)
    return services


def _subnets_of_plan(tenant: Tenant, plan_id: str | None, known: dict[str | None, list[str]]) -> list[str]:
    key = plan_id.lower() if plan_id else None
    if key not in known:
        known[key] = tenant.subnets_of_plan(plan_id)
    return known[key]


def _app_dict(
    tenant: Tenant,
    result: AppResult,
    placement: Placement,
    gateway: GatewayReport | None,
    plan_subnets: dict[str | None, list[str]],
) -> dict[str, Any]:
    app = result.app
    plan = result.plan
    ctx = result.context
    key = norm_id(app.id)
    target = placement.by_app.get(key)
    evidence = _evidence(result)
    readiness = result.readiness
    vnet_id = ctx.vnet_id if ctx else app.regional_subnet_id and app.regional_subnet_id.split("/subnets/")[0]
    data: dict[str, Any] = {
        "id": app.id,
        "name": app.name,
        "site_name": app.site_name,
        "slot": app.slot,
        "kind": app.kind,
        "os": result.os,
        "container": result.container,
        "subscription_id": app.subscription_id,
        "subscription_name": tenant.subscription_name(app.subscription_id),
        "resource_group": app.resource_group,
        "location": app.location,
        "plan_id": app.plan_id,
        "plan_name": plan.name if plan else None,
        "plan_sku": plan.sku_name if plan else None,
        "plan_tier": (plan.sku_tier if plan else None) or app.sku_tier,
        "integration": result.integration.value,
        "integration_reason": result.integration_reason,
        "vnet_id": vnet_id or None,
        "regional_subnet_id": app.regional_subnet_id,
        "gateway_id": gateway.gateway.id if gateway else None,
        "tags": dict(app.tags),
        "limitations": result.codes(Kind.LIMITATION),
        "blockers": result.codes(Kind.BLOCKER),
        "findings": result.codes(Kind.FINDING),
        "unknown": [{"code": code, "reason": reason} for code, reason in result.unknown],
        "evidence": evidence,
        "readiness": readiness.value if readiness else None,
        "wave": None,
        "strategy": None,
        "context": _context(tenant, result, gateway, plan_subnets),
        "target": target.as_dict(placement.peer_with.get(key)) if target else None,
        "target_reason": ctx.target.reason if ctx and ctx.target and target is None else None,
        "steps": [],
    }
    return data


def _gateway_dict(tenant: Tenant, report: GatewayReport) -> dict[str, Any]:
    gateway = report.gateway
    cost = report.monthly_cost
    savings = cost if (report.decommission == "yes" and cost is not None) else 0.0
    return {
        "id": gateway.id,
        "name": gateway.name,
        "sku": gateway.sku,
        "vnet_id": gateway.vnet_ids[0] if gateway.vnet_ids else None,
        "location": gateway.location,
        "subscription_id": gateway.subscription_id,
        "subscription_name": tenant.subscription_name(gateway.subscription_id),
        "resource_group": gateway.resource_group,
        "active_active": gateway.active_active,
        "p2s_pools": list(gateway.p2s_pools),
        "p2s_protocols": list(gateway.p2s_protocols),
        "p2s_auth": list(gateway.p2s_auth),
        "root_certificates": [c.name for c in gateway.root_certificates],
        "app_root_certificates": list(report.app_root_certificates),
        "public_ip_ids": list(gateway.public_ip_ids),
        "dependents": [d.app.id for d in report.dependents],
        "other_uses": report.other_uses,
        "other_uses_weak": report.other_uses_weak,
        "evidence": [u.as_dict() for u in report.uses],
        "decommission": report.decommission,
        "decommission_reason": report.reason,
        "decommissionable": report.decommission == "yes",
        "monthly_cost": round(cost, 2) if cost is not None else None,
        "monthly_savings": round(savings, 2),
        "potential_monthly_savings": round(cost, 2)
        if (cost is not None and report.decommission != "no")
        else 0.0,
        "removal_wave": None,
        "steps": [],
    }


def _subnet_dict(target: Any) -> dict[str, Any]:
    return {
        "vnet_id": target.vnet_id,
        "vnet_name": target.vnet_name,
        "name": target.subnet_name,
        "subnet_id": target.subnet_id,
        "prefix": target.prefix,
        "location": target.location,
        "new_subnet": target.new_subnet,
        "new_vnet": target.new_vnet,
        "vnet_prefix": target.vnet_prefix,
        "plan_ids": list(target.plan_ids),
        "app_ids": list(target.app_ids),
        "addresses_needed": target.addresses_needed,
        "instances": target.instances,
        "instances_source": target.instances_source,
        "address_space_addition": target.address_space_addition,
        "notes": list(dict.fromkeys(target.notes)),
        "unknown_reason": target.unknown_reason,
        "shared_with": list(target.shared_with),
    }


def _inventory_dict(tenant: Tenant) -> dict[str, Any]:
    raw = tenant.raw
    return {
        "path": str(raw.root),
        "files": raw.files,
        "resources": raw.resources,
        "by_type": raw.counts(),
        "unknown_types": dict(sorted(raw.unknown_types.items())),
        "skipped": sum(raw.unknown_types.values()),
        "duplicates_merged": raw.duplicates_merged,
        "manifest": raw.manifest is not None,
        "failed_subscriptions": list(tenant.failed_subscriptions),
        # Files and data sets that hold part of a longer result (docs/inventory.md "Completeness").
        "complete": tenant.complete,
        "incomplete": [gap.as_dict() for gap in tenant.gaps],
        "gateway_ids": sorted(g.id for g in tenant.gateways.values()),  # every one read: diff tells
        # a gateway no app uses any more (still here, still billed) from one that was deleted
        "warnings": list(tenant.warnings),
    }


def _inventory_identity(tenant: Tenant) -> dict[str, Any]:
    """What names the inventory in reports: its folder (or file) name, the tenant and the scan's end,
    never the local path (reports are shared; the path says nothing to their readers)."""
    manifest = tenant.raw.manifest or {}
    tenant_id = manifest.get("tenant_id") or manifest.get("tenant")
    scanned = manifest.get("finished_at") or manifest.get("started_at")
    return {
        "name": tenant.raw.root.name or str(tenant.raw.root),
        "tenant_id": str(tenant_id) if isinstance(tenant_id, str) else None,
        "scanned_at": str(scanned) if isinstance(scanned, str) else None,
    }


def _summary(
    apps: list[dict[str, Any]], gateways: list[dict[str, Any]], targets: list[Any]
) -> dict[str, Any]:
    integration = Counter(a["integration"] for a in apps)
    readiness = Counter(a["readiness"] for a in apps if a["readiness"])
    by_kind = {kind: Counter() for kind in ("limitations", "blockers", "findings")}  # type: dict[str, Counter[str]]
    unknown: Counter[str] = Counter()
    for app in apps:
        for kind, counter in by_kind.items():
            counter.update(app[kind])
        unknown.update(u["code"] for u in app["unknown"])
    monthly_cost = sum(g["monthly_cost"] or 0.0 for g in gateways)
    savings = sum(g["monthly_savings"] for g in gateways)
    kinds = {"limitations": Kind.LIMITATION, "blockers": Kind.BLOCKER, "findings": Kind.FINDING}
    return {
        "apps_total": len(apps),
        "apps_gateway_required": integration[Integration.GATEWAY_REQUIRED.value],
        "apps_regional": integration[Integration.REGIONAL.value],
        "apps_none": integration[Integration.NONE.value],
        "apps_unknown": integration[Integration.UNKNOWN.value],
        "readiness": {r: readiness[r] for r in ("ready", "needs-work", "blocked")},
        **{
            name: {r.code: by_kind[name][r.code] for r in RULES if r.kind == kind}
            for name, kind in kinds.items()
        },
        "unknown": {r.code: unknown[r.code] for r in RULES if unknown[r.code]},
        "gateways": len(gateways),
        "gateways_decommissionable": sum(1 for g in gateways if g["decommission"] == "yes"),
        "gateways_to_verify": sum(1 for g in gateways if g["decommission"] == "verify"),
        "gateways_unpriced": sum(1 for g in gateways if g["monthly_cost"] is None),
        "monthly_cost": round(monthly_cost, 2),
        "monthly_savings": round(savings, 2),
        "yearly_savings": round(savings * 12, 2),
        "by_subscription": _by_subscription(apps),
        "subnets_proposed": sum(1 for t in targets if t.new_subnet),
        "subnets_reused": sum(1 for t in targets if not t.new_subnet),
        "waves": 0,
    }


def _by_subscription(apps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Gateway-required apps per subscription, by readiness: where the work is, largest first."""
    rows: dict[str, dict[str, Any]] = {}
    for app in apps:
        if app["integration"] != Integration.GATEWAY_REQUIRED.value:
            continue
        key = str(app["subscription_id"] or "")
        row = rows.setdefault(
            key,
            {
                "subscription_id": app["subscription_id"],
                "subscription_name": app["subscription_name"],
                "gateway_required": 0,
                "ready": 0,
                "needs-work": 0,
                "blocked": 0,
            },
        )
        row["gateway_required"] += 1
        row[app["readiness"]] += 1
    return sorted(rows.values(), key=lambda r: (-r["gateway_required"], r["subscription_name"] or ""))
