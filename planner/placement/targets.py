"""Choose the target subnet of every gateway-required app (issue 2, item 7).

Apps of one plan that reach the same VNet share one target; a plan that already has a regional
subnet in that VNet reuses it; otherwise a new subnet is sized from the plan and placed at the
lowest free aligned range of the VNet's address space. CROSS_REGION apps target a VNet in their
own region: one the plan already uses there, else a new VNet peered with the old one.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Network

from planner.analysis.analyse import AppResult
from planner.analysis.rules.base import Status, TargetOutcome
from planner.core.errors import InputError
from planner.core.ids import norm_id, norm_location
from planner.core.memory import KeyShared, key_shared
from planner.inventory import loader as inv
from planner.inventory.model import (
    AppServicePlan,
    Subnet,
    SubnetUse,
    Tenant,
    VirtualNetwork,
    id_segment,
    vnet_of_subnet,
)
from planner.placement import subnets as net

PREFERRED_PREFIXLEN = net.RECOMMENDED_PREFIXLEN  # Microsoft's recommendation (azure-facts §4), defined once
NEW_VNET_PREFIXLEN = 24


@dataclass
class Target:
    """A subnet that one or more apps of one plan will join."""

    vnet_id: str
    vnet_name: str
    vnet_resource_group: str | None
    location: str | None
    subnet_name: str
    prefix: str | None
    new_subnet: bool
    new_vnet: bool = False
    vnet_prefix: str | None = None
    address_space_addition: str | None = None
    addresses_needed: int | None = None
    instances: int | None = None
    instances_source: str | None = None
    plan_ids: list[str] = field(default_factory=list)
    app_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unknown_reason: str | None = None  # the subnet cannot be judged from the data (a reused one it lacks)
    shared_with: list[str] = field(default_factory=list)  # other plans on it (multi-plan subnet join)

    @property
    def subnet_id(self) -> str:
        return f"{self.vnet_id}/subnets/{self.subnet_name}"

    def as_dict(self, peer_with: str | None = None) -> dict[str, object]:
        return key_shared(
            _TargetDict,
            {
                "vnet_id": self.vnet_id,
                "vnet_name": self.vnet_name,
                "vnet_resource_group": self.vnet_resource_group,
                "location": self.location,
                "subnet_name": self.subnet_name,
                "subnet_id": self.subnet_id,
                "prefix": self.prefix,
                "new_subnet": self.new_subnet,
                "new_vnet": self.new_vnet,
                "vnet_prefix": self.vnet_prefix,
                "peer_with": peer_with,
                "address_space_addition": self.address_space_addition,
                "addresses_needed": self.addresses_needed,
                "instances": self.instances,
                "instances_source": self.instances_source,
                "notes": list(dict.fromkeys(self.notes)),  # each said once
                "unknown_reason": self.unknown_reason,
                "shared_with": list(self.shared_with),
            },
        )


class _TargetDict(KeyShared):
    """apps[].target: one per app with a target (planner.core.memory.key_shared)."""


@dataclass
class Placement:
    """Targets per app id (lower case), and every target made."""

    by_app: dict[str, Target] = field(default_factory=dict)
    peer_with: dict[str, str] = field(default_factory=dict)  # app id -> old VNet id (CROSS_REGION)
    targets: list[Target] = field(default_factory=list)


class _Space:
    """What is taken inside one VNet (subnets and proposals) and across the tenant."""

    def __init__(self, tenant: Tenant):
        self.tenant = tenant
        self.taken: dict[str, list[IPv4Network]] = {}
        self.claimed: set[str] = set()  # existing subnets already chosen as some plan's target
        self.tenant_ranges = net.RangeSet(_tenant_ranges(tenant))

    def vnet_space(self, vnet: VirtualNetwork) -> list[IPv4Network]:
        return _parse(self.tenant, vnet.id, "properties.addressSpace.addressPrefixes", vnet.address_prefixes)

    def taken_in(self, vnet: VirtualNetwork) -> list[IPv4Network]:
        key = norm_id(vnet.id)
        if key not in self.taken:
            ranges: list[IPv4Network] = []
            for index, subnet in enumerate(vnet.subnets):
                ranges += _parse(
                    self.tenant,
                    vnet.id,
                    f"properties.subnets[{index}].properties.addressPrefix",
                    subnet.prefixes,
                )
            self.taken[key] = ranges
        return self.taken[key]


def _parse(tenant: Tenant, resource_id: str, field_name: str, values: tuple[str, ...]) -> list[IPv4Network]:
    try:
        return net.parse_prefixes(values)
    except ValueError as exc:
        file, _, position = tenant.raw.where(resource_id).partition(", ")
        raise InputError(
            file, f"bad address prefix: {exc}", position=position or None, field=field_name
        ) from None


def _tenant_ranges(tenant: Tenant) -> list[IPv4Network]:
    """Everything a new range must not overlap: VNets, classic VNets, point-to-site pools, on-premises."""
    ranges: list[IPv4Network] = []
    for vnet in list(tenant.vnets.values()) + list(tenant.classic_vnets.values()):
        ranges += _parse(tenant, vnet.id, "properties.addressSpace.addressPrefixes", vnet.address_prefixes)
    for gateway in tenant.gateways.values():
        ranges += _parse(
            tenant,
            gateway.id,
            "properties.vpnClientConfiguration.vpnClientAddressPool.addressPrefixes",
            gateway.p2s_pools,
        )
    for local in tenant.local_gateways.values():
        ranges += _parse(
            tenant, local.id, "properties.localNetworkAddressSpace.addressPrefixes", local.prefixes
        )
    return ranges


def sizing(
    tenant: Tenant, plan: AppServicePlan | None, windows_container_apps: int
) -> tuple[int | None, str, int]:
    """(instances, where that number came from, addresses needed) for a plan's integration subnet.

    The largest of `sku.capacity`, `properties.numberOfWorkers` and the plan's autoscale maximum: the
    two plan fields can disagree (Microsoft's own GetAppServicePlan.json example, azure-rest-api-specs
    web 2024-04-01, has capacity 1 and numberOfWorkers 19), and a subnet too small for the plan's real
    instance count fails its scale-out. On a tie the autoscale maximum, then sku.capacity, is named.
    """
    candidates: list[tuple[int, str]] = []
    if plan is not None:
        autoscale = tenant.autoscale_max.get(norm_id(plan.id))
        if autoscale is not None:
            candidates.append((autoscale[0], f"autoscale maximum ({autoscale[1].rsplit('/', 1)[-1]})"))
        if plan.capacity:
            candidates.append((plan.capacity, "sku.capacity"))
        if plan.number_of_workers:
            candidates.append((plan.number_of_workers, "properties.numberOfWorkers"))
    if not candidates:
        # Not a guess at the instance count: /26 is Microsoft's recommendation when nothing is known.
        return (
            None,
            f"plan not in the inventory: recommended /{PREFERRED_PREFIXLEN}",
            2 ** (32 - PREFERRED_PREFIXLEN),
        )
    instances, source = max(candidates, key=lambda c: c[0])  # max keeps the first of equal ones
    return instances, source, net.addresses_needed(instances, windows_container_apps)


_NAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")


def _subnet_name(plan_name: str, vnet: VirtualNetwork | None, used: set[str]) -> str:
    base = _NAME_BAD.sub("-", f"snet-appsvc-{plan_name}")[:75].rstrip("-.")
    existing = {s.name.lower() for s in vnet.subnets} if vnet else set()
    name, n = base, 2
    while name.lower() in existing or name.lower() in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name.lower())
    return name


def place_targets(tenant: Tenant, results: list[AppResult]) -> Placement:
    """Decide a target for every gateway-required app, and record the outcome NO_SUBNET_SPACE reads."""
    placement = Placement()
    space = _Space(tenant)
    used_names: dict[str, set[str]] = defaultdict(set)
    groups: dict[tuple[str, ...], list[AppResult]] = defaultdict(list)
    for result in sorted(results, key=lambda r: norm_id(r.app.id)):
        ctx = result.context
        if ctx is None:
            continue
        if result.verdicts.get("CLASSIC_VNET") and result.verdicts["CLASSIC_VNET"].status == Status.YES:
            ctx.target = TargetOutcome(
                None, None, reason="classic VNet: migrate it to Resource Manager first"
            )
            continue
        if ctx.vnet is None:
            ctx.target = TargetOutcome(
                ctx.vnet_id, None, reason=f"VNet {ctx.vnet_id} is not in the inventory"
            )
            continue
        plan_key = norm_id(result.app.plan_id) or norm_id(result.app.id)
        if result.verdicts["CROSS_REGION"].status == Status.YES:
            groups[("xr", plan_key, norm_location(result.app.location) or "")].append(result)
        else:
            groups[("same", plan_key, norm_id(ctx.vnet.id))].append(result)

    new_vnets: dict[tuple[str, str], list[Target]] = defaultdict(list)
    seen: set[int] = set()
    container = {norm_id(r.app.id): r.container for r in results}  # decided once, in analysis
    limits = _subnet_limits(results)
    for key, members in sorted(groups.items()):
        first = members[0]
        plan = first.plan
        wc_apps = sum(
            1
            for a in tenant.apps_by_plan.get(norm_id(first.app.plan_id), [])
            if container.get(norm_id(a.id)) == "windows"
        )
        instances, source, needed = sizing(tenant, plan, wc_apps if first.container == "windows" else 0)
        plan_name = plan.name if plan else first.app.site_name
        if key[0] == "same":
            assert first.context is not None and first.context.vnet is not None
            limit = limits.get(key[1], 2)
            target = _same_region(
                tenant, space, first, first.context.vnet, needed, plan_name, used_names, limit
            )
        else:
            target = _cross_region(tenant, space, first, needed, plan_name, used_names, new_vnets)
        target.instances, target.instances_source = instances, source
        target.addresses_needed = needed if target.new_subnet else target.addresses_needed
        if not target.new_subnet and not target.shared_with:
            _judge_sharing(tenant, target, first.app.plan_id, container)
        if plan is not None and plan.id not in target.plan_ids:
            target.plan_ids.append(plan.id)
        for member in members:
            target.app_ids.append(member.app.id)
            placement.by_app[norm_id(member.app.id)] = target
            assert member.context is not None
            if target.unknown_reason:
                if key[0] == "xr":
                    placement.peer_with[norm_id(member.app.id)] = member.context.vnet_id or ""
                member.context.target = TargetOutcome(target.vnet_id, None, reason=target.unknown_reason)
            elif key[0] == "xr":
                placement.peer_with[norm_id(member.app.id)] = member.context.vnet_id or ""
                # A new VNet is sized for its subnets, and a reused subnet already exists: space is no issue.
                member.context.target = TargetOutcome(target.vnet_id, True)
            else:
                fits = target.address_space_addition is None
                member.context.target = TargetOutcome(
                    target.vnet_id,
                    fits,
                    needed_prefixlen=net.prefixlen_for(needed),
                    addition=target.address_space_addition,
                )
        if id(target) not in seen:  # identity, not equality: two targets may look alike
            seen.add(id(target))
            placement.targets.append(target)
    _count_plan_subnets(tenant, groups, placement, limits)
    return placement


def _subnet_limits(results: list[AppResult]) -> dict[str, int]:
    """Subnets each plan may integrate: one for a Linux plan, two for a Windows plan (azure-facts §2.4).

    A plan is Linux when its `properties.reserved` says so or any app on it is Linux; the rules, the
    targets and the runbook (through plan.json) all read this one number.
    """
    limits: dict[str, int] = {}
    for result in results:
        key = norm_id(result.app.plan_id) or norm_id(result.app.id)
        linux = result.os == "linux" or (result.plan is not None and result.plan.reserved is True)
        limits[key] = 1 if linux or limits.get(key) == 1 else 2
    return limits


def _count_plan_subnets(
    tenant: Tenant,
    groups: dict[tuple[str, ...], list[AppResult]],
    placement: Placement,
    limits: dict[str, int],
) -> None:
    """The subnets each plan integrates after the move: those of all its apps, regional (by every
    signal) and gateway-required (their targets). TOO_MANY_SUBNETS and the runbook read the same list."""
    by_plan: dict[str, list[AppResult]] = defaultdict(list)
    for key, members in groups.items():
        by_plan[key[1]].extend(members)
    for plan_key, members in by_plan.items():
        subnets = {norm_id(s): s for s in tenant.subnets_of_plan(plan_key)}
        for member in members:
            target = placement.by_app[norm_id(member.app.id)]
            subnets.setdefault(norm_id(target.subnet_id), target.subnet_id)
        limit = limits.get(plan_key, 2)
        for member in members:
            assert member.context is not None and member.context.target is not None
            member.context.target = replace(
                member.context.target, plan_subnets=tuple(sorted(subnets.values())), plan_subnet_limit=limit
            )


def _regional_subnets_of_plan(tenant: Tenant, plan_id: str | None) -> list[str]:
    return tenant.subnets_of_plan(plan_id)


def _signals(tenant: Tenant, subnet: Subnet | None, subnet_id: str) -> list[str]:
    """Where the signals of a subnet's use disagree, which said what."""
    uses = tenant.uses_of(subnet_id)
    if subnet is None:
        return []
    links = ", ".join(subnet.service_association_links)
    if uses and not subnet.service_association_links:
        return [
            f"{subnet.name}: {_named(tenant, uses)}, but the subnet's data shows no service association link"
        ]
    if subnet.service_association_links and not uses:
        return [
            f"{subnet.name}: its data shows a service association link ({links}), but no app or slot in the "
            "inventory names it: an app outside the inventory integrates it"
        ]
    return []


def _named(tenant: Tenant, uses: list[SubnetUse], with_plan: bool = True) -> str:
    """'app1 (plan plan1) names it in properties.virtualNetworkSubnetId' for the first few apps."""
    fields: dict[str, list[str]] = {}
    for use in uses:
        fields.setdefault(_who(tenant, use) if with_plan else _app_name(tenant, use), []).append(use.field)
    parts = [f"{who} names it in {', '.join(found)}" for who, found in list(fields.items())[:3]]
    return "; ".join(parts) + (f" (and {len(fields) - 3} more apps)" if len(fields) > 3 else "")


def _app_name(tenant: Tenant, use: SubnetUse) -> str:
    app = tenant.apps.get(norm_id(use.app_id))
    return app.name if app else use.app_id


def _who(tenant: Tenant, use: SubnetUse) -> str:
    plan = tenant.plans.get(norm_id(use.plan_id))
    return f"{_app_name(tenant, use)} (plan {plan.name if plan else (use.plan_id or 'unknown')})"


MPSJ_PREFIXLEN = 26  # multi-plan subnet join needs a /26 or larger at GA (azure-facts §4, MPSJ)


def _judge_sharing(
    tenant: Tenant, target: Target, plan_id: str | None, container: dict[str, str | None]
) -> None:
    """A reused subnet other plans integrate too: multi-plan subnet join, which the target may use only
    when every condition of it holds (azure-facts §4, from the MPSJ announcement): every plan in one
    subscription, the subnet /26 or larger, and room for each plan's doubled instance count (one more
    address per Windows container app and instance) plus the 5 Azure keeps. Otherwise, or when the data
    cannot show a condition, the target is unknown with the condition named.
    """
    subnet = tenant.subnets.get(norm_id(target.subnet_id))
    uses = tenant.uses_of(target.subnet_id)
    others = sorted({norm_id(u.plan_id) for u in uses if norm_id(u.plan_id) != norm_id(plan_id)})
    if subnet is None or not others:
        return
    problems: list[str] = []
    shares: list[str] = []
    subscriptions: set[str] = set()
    total = net.AZURE_RESERVED_ADDRESSES
    for key in [norm_id(plan_id), *others]:
        plan = tenant.plans.get(key) if key else None
        if plan is None:
            problems.append(
                f"plan {key or '(of an app outside the inventory)'} is not in the inventory, so its size is unknown"
            )
            continue
        subscriptions.add((plan.subscription_id or id_segment(plan.id, "subscriptions") or "").lower())
        windows_containers = sum(
            1 for a in tenant.apps_by_plan.get(key, []) if container.get(norm_id(a.id)) == "windows"
        )
        instances, source, _ = sizing(tenant, plan, windows_containers)
        if instances is None:
            problems.append(f"plan {plan.name}'s instance count is not in the data")
            continue
        total += 2 * instances * (1 + windows_containers)
        shares.append(
            f"{plan.name} 2 x {instances} ({source})"
            + (f" x {1 + windows_containers}" if windows_containers else "")
        )
    if len(subscriptions) > 1:
        problems.append(
            f"the plans are in {len(subscriptions)} subscriptions; all plans on one subnet must share one"
        )
    field_name = "properties.addressPrefix"
    prefixes = _parse(tenant, subnet.vnet_id, field_name, subnet.prefixes)
    size = sum(p.num_addresses for p in prefixes)
    widest = min((p.prefixlen for p in prefixes), default=32)
    if widest > MPSJ_PREFIXLEN:
        problems.append(f"it is a /{widest}, and multi-plan subnet join needs a /{MPSJ_PREFIXLEN} or larger")
    if not problems and total > size:
        problems.append(
            f"the plans need {total} addresses ({' + '.join(shares)} + 5 reserved), it has {size}"
        )
    names = ", ".join((tenant.plans[k].name if k in tenant.plans else k) or "(unknown plan)" for k in others)
    head = f"{subnet.name} is shared with plan(s) {names} ({_named(tenant, [u for u in uses if norm_id(u.plan_id) in others])})"
    target.shared_with = [tenant.plans[k].id if k in tenant.plans else k for k in others]
    if problems:
        target.unknown_reason = f"{head}, multi-plan subnet join, but " + "; ".join(problems)
        target.notes.append(target.unknown_reason)
        return
    target.notes.append(
        f"{head}: multi-plan subnet join, and every condition holds: one subscription, /{widest} "
        f"(/{MPSJ_PREFIXLEN} or larger), {total} addresses needed ({' + '.join(shares)} + 5 reserved) of {size}"
    )


def _reuse(tenant: Tenant, subnet_id: str, plan_id: str | None = None) -> Target:
    vnet_id = vnet_of_subnet(subnet_id)
    vnet = tenant.vnet(vnet_id)
    subnet = tenant.subnets.get(norm_id(subnet_id))
    target = Target(
        vnet_id=vnet.id if vnet else vnet_id,
        vnet_name=vnet.name if vnet else vnet_id.rsplit("/", 1)[-1],
        vnet_resource_group=(vnet.resource_group if vnet else None) or id_segment(vnet_id, "resourceGroups"),
        location=vnet.location if vnet else None,
        subnet_name=subnet.name if subnet else subnet_id.rsplit("/", 1)[-1],
        prefix=", ".join(subnet.prefixes) if subnet else None,
        new_subnet=False,
    )
    own = [u for u in tenant.uses_of(subnet_id) if plan_id and norm_id(u.plan_id) == norm_id(plan_id)]
    if own:
        target.notes.append(
            f"the plan already integrates this subnet ({_named(tenant, own, with_plan=False)}): reuse it"
        )
    if subnet is None:
        # The apps say they integrate it, but its size, delegation and use cannot be seen: a guess
        # here would be the one place the plan advises from nothing.
        where = (
            f"VNet {vnet.name} holds no subnet of that name in the data"
            if vnet
            else f"VNet {vnet_id} is not in the inventory"
        )
        gap = tenant.gap_note(inv.VNET)
        target.unknown_reason = f"the reused subnet {subnet_id} is not in the inventory ({where})" + (
            f"; {gap}" if gap else ""
        )
        target.notes.append(target.unknown_reason)
    target.notes += _signals(tenant, subnet, subnet_id)
    return target


def _unused_delegated_subnet(
    tenant: Tenant, space: _Space, vnet: VirtualNetwork, needed: int
) -> tuple[Subnet | None, list[str]]:
    """A subnet someone already prepared for App Service and nothing uses yet, big enough for the plan,
    and notes on delegated subnets passed over because an app names them though their data shows no use.

    In use is any signal: an app or slot naming it (virtualNetworkSubnetId, a regional connection
    entry, networkConfig), a service association link, IP configurations or private endpoints.
    """
    passed: list[str] = []
    for index, subnet in enumerate(vnet.subnets):
        if norm_id(subnet.id) in space.claimed:
            continue
        if not any(d.lower() == "microsoft.web/serverfarms" for d in subnet.delegations):
            continue
        if subnet.service_association_links or subnet.ip_configurations or subnet.private_endpoints:
            continue
        if uses := tenant.uses_of(subnet.id):
            passed.append(
                f"{subnet.name} is delegated to Microsoft.Web/serverFarms and its own data shows no use (no service "
                f"association link), but {_named(tenant, uses)}: it is in use, so it is not reused"
            )
            continue
        if subnet.service_endpoint_policies:
            continue  # regional integration does not support service endpoint policies (azure-facts §4)
        field = f"properties.subnets[{index}].properties.addressPrefix"
        size = sum(prefix.num_addresses for prefix in _parse(tenant, vnet.id, field, subnet.prefixes))
        if size >= needed:
            return subnet, passed
    return None, passed


def _same_region(
    tenant: Tenant,
    space: _Space,
    first: AppResult,
    vnet: VirtualNetwork,
    needed: int,
    plan_name: str,
    used_names: dict[str, set[str]],
    limit: int,
) -> Target:
    regional = _regional_subnets_of_plan(tenant, first.app.plan_id)
    for subnet_id in regional:
        if norm_id(vnet_of_subnet(subnet_id)) == norm_id(vnet.id):
            return _reuse(tenant, subnet_id, first.app.plan_id)
    target = Target(
        vnet_id=vnet.id,
        vnet_name=vnet.name,
        vnet_resource_group=vnet.resource_group,
        location=vnet.location,
        subnet_name=_subnet_name(plan_name, vnet, used_names[norm_id(vnet.id)]),
        prefix=None,
        new_subnet=True,
    )
    if regional and len(regional) >= limit:
        target.notes.append(
            f"the plan already integrates {len(regional)} other subnet(s); a "
            f"{'Linux' if limit == 1 else 'Windows'} plan can use {limit}: move those apps too or use a new plan"
        )
    if any(":" in prefix for prefix in vnet.address_prefixes):
        # VNI-DOC (2023) lists an IPv4-only VNet as a requirement; later texts drop it (azure-facts §4).
        target.notes.append(
            "the VNet also has IPv6 address space: older docs required IPv4-only, verify first"
        )
    empty, passed = _unused_delegated_subnet(tenant, space, vnet, needed)
    target.notes += passed
    if empty is not None:
        space.claimed.add(norm_id(empty.id))
        reused = _reuse(tenant, empty.id, first.app.plan_id)
        reused.notes = [
            f"{empty.name} ({', '.join(empty.prefixes)}) is delegated to Microsoft.Web/serverFarms and unused "
            "(no app or slot names it, no service association link, no IP configurations, no private endpoints): "
            f"reuse it; it holds the {needed} addresses needed",
            *target.notes,
        ]
        return reused
    taken = space.taken_in(vnet)
    proposal = net.propose(space.vnet_space(vnet), taken, needed, PREFERRED_PREFIXLEN)
    if proposal is not None:
        target.prefix = str(proposal.prefix)
        target.notes.append(proposal.reason)
        taken.append(proposal.prefix)  # inside the VNet's space, which tenant_ranges already holds
        return target
    prefixlen = min(net.prefixlen_for(needed), 28)
    try:
        addition = net.space_addition(space.tenant_ranges, prefixlen, space.vnet_space(vnet))
    except ValueError:
        target.notes.append(
            f"no free /{prefixlen} in the VNet, and no private range left to add: plan one by hand"
        )
        target.address_space_addition = "none free"
        return target
    target.address_space_addition = str(addition)
    target.prefix = str(addition)
    target.notes.append(
        f"no free /{prefixlen} in {', '.join(vnet.address_prefixes)}: add {addition} to the address space"
    )
    taken.append(addition)
    space.tenant_ranges.add(addition)
    return target


def _cross_region(
    tenant: Tenant,
    space: _Space,
    first: AppResult,
    needed: int,
    plan_name: str,
    used_names: dict[str, set[str]],
    new_vnets: dict[tuple[str, str], list[Target]],
) -> Target:
    region = norm_location(first.app.location) or "unknown-region"
    for subnet_id in _regional_subnets_of_plan(tenant, first.app.plan_id):
        vnet = tenant.vnet(vnet_of_subnet(subnet_id))
        if vnet is not None and norm_location(vnet.location) == region:
            return _reuse(tenant, subnet_id, first.app.plan_id)
    subscription = first.app.subscription_id or ""
    resource_group = (first.plan.resource_group if first.plan else None) or first.app.resource_group
    prefixlen = net.prefixlen_for(needed)
    subnet_prefixlen = PREFERRED_PREFIXLEN if needed <= 2 ** (32 - PREFERRED_PREFIXLEN) else prefixlen
    for existing in new_vnets[(norm_id(subscription), region)]:
        vnet_range = IPv4Network(existing.vnet_prefix or "0.0.0.0/32")
        taken = space.taken.setdefault(norm_id(existing.vnet_id), [])
        found = net.find_free([vnet_range], taken, subnet_prefixlen)
        if found is not None:
            taken.append(found)
            return _new_vnet_target(existing, found, plan_name, used_names)
    vnet_prefixlen = min(NEW_VNET_PREFIXLEN, subnet_prefixlen)
    try:
        vnet_range = net.new_vnet_range(space.tenant_ranges, vnet_prefixlen)
    except ValueError:
        raise InputError(
            str(tenant.raw.root),
            f"no private /{vnet_prefixlen} is free in the tenant for a new VNet in {region}",
        ) from None
    space.tenant_ranges.add(vnet_range)
    count = len(new_vnets[(norm_id(subscription), region)])
    name = f"vnet-appsvc-{region}" + (f"-{count + 1}" if count else "")
    vnet_id = f"/subscriptions/{subscription}/resourceGroups/{resource_group}/providers/Microsoft.Network/virtualNetworks/{name}"
    shell = Target(
        vnet_id=vnet_id,
        vnet_name=name,
        vnet_resource_group=resource_group,
        location=region,
        subnet_name="",
        prefix=None,
        new_subnet=True,
        new_vnet=True,
        vnet_prefix=str(vnet_range),
    )
    new_vnets[(norm_id(subscription), region)].append(shell)
    subnet = next(iter(vnet_range.subnets(new_prefix=subnet_prefixlen)))
    space.taken[norm_id(vnet_id)] = [subnet]
    return _new_vnet_target(shell, subnet, plan_name, used_names)


def _new_vnet_target(
    shell: Target, subnet: IPv4Network, plan_name: str, used_names: dict[str, set[str]]
) -> Target:
    return Target(
        vnet_id=shell.vnet_id,
        vnet_name=shell.vnet_name,
        vnet_resource_group=shell.vnet_resource_group,
        location=shell.location,
        subnet_name=_subnet_name(plan_name, None, used_names[norm_id(shell.vnet_id)]),
        prefix=str(subnet),
        new_subnet=True,
        new_vnet=True,
        vnet_prefix=shell.vnet_prefix,
        notes=[
            f"new VNet {shell.vnet_name} ({shell.vnet_prefix}) in {shell.location}, peered with the old VNet"
        ],
    )
