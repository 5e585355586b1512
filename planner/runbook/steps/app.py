"""The steps that move one gateway-required app or slot to regional integration.

In place (direct, slot-first, needs-peering): record the current connection, prepare the network,
delete the gateway-required connection, connect to the target subnet, set routing and DNS, verify,
and keep a rollback ready. Blue-green: build a new plan and app integrated from the start, switch
traffic, then retire the old app's connection. Blockers come first: a classic VNet is migrated to
Resource Manager before anything else (azure-facts §3.5, §4–§6).
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from json.encoder import encode_basestring_ascii

from planner.analysis.rules import codes_where
from planner.core.ids import id_part, same_id
from planner.runbook.steps.context import AppContext, Shared
from planner.runbook.steps.facts import AppFacts, PlanRoute
from planner.runbook.steps.network import network_steps, restricted_vaults
from planner.runbook.steps.place import Place, Subject, resolve_place
from planner.runbook.steps.resources import test_endpoint
from planner.runbook.steps.step import WEB_API, Deploy, Step, arm_url, az, shared_note, shown

KEYVAULT_API = "2024-11-01"  # the Microsoft.KeyVault version of the Bicep types azure-facts cites (BT-KV)
RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Tiers a new plan can be created in directly; lower tiers are created as PremiumV3 and scaled down,
# because a plan created as PremiumV3 lands on a scale unit that supports regional integration (azure-facts §2.4).
MODERN_TIERS = {"premiumv3", "premium0v3", "premiummv3", "premiumv4", "premiummv4"}
SCALE_DOWN_TIERS = {"basic", "standard", "premiumv2"}


# Blockers whose removal the steps below carry out; any other blocker gets a manual step with its fix.
RESOLVED_BLOCKERS = codes_where("runbook_resolves")  # the others stop the app's steps at a manual step


def build_app_steps(app: AppFacts, ctx: AppContext, shared: Shared) -> list[Step]:
    """Every step for one app or slot, in the order to run them."""
    steps = [_other_blocker(app, code, ctx) for code in app.blockers if code not in RESOLVED_BLOCKERS]
    steps += classic_migration(app, ctx, shared)
    if ctx.strategy.mode == "blue-green":
        steps += _blue_green(app, ctx, shared)
    else:
        steps += _in_place(app, ctx, shared)
    return steps


# --- blockers ---------------------------------------------------------------------------------


def classic_migration(app: AppFacts, ctx: AppContext, shared: Shared) -> list[Step]:
    """CLASSIC_VNET: regional integration cannot reach a classic VNet, so it moves to Resource Manager first."""
    if not app.old_vnet_is_classic or shared.claim(f"classic:{app.vnet_id}", ctx.who(app.name)) is not None:
        return []
    name = app.vnet_name or "<CLASSIC_VNET_NAME>"
    subscription = id_part(app.vnet_id, "subscriptions") or app.subscription_id
    register = az(
        "provider register --namespace Microsoft.ClassicInfrastructureMigrate --subscription {sub}",
        sub=subscription,
    )
    return [
        Step(
            phase="prepare",
            title=f"Register the classic-to-Resource-Manager migration provider in subscription {subscription}",
            commands=(register,),
            validation=(
                shown(
                    az(
                        "provider show -n Microsoft.ClassicInfrastructureMigrate --subscription {sub} "
                        "--query registrationState",
                        sub=subscription,
                    )
                )
                + " shows Registered (allow about five minutes)."
            ),
            rollback="None needed: registering a provider changes no resource.",
        ),
        Step(
            phase="prepare",
            title=f"Migrate the classic VNet {name} to Azure Resource Manager",
            commands=(
                "Add-AzureAccount",
                f"Select-AzureSubscription -SubscriptionId '{subscription}'",
                f"Move-AzureVirtualNetwork -Validate -VirtualNetworkName '{name}'",
                f"Move-AzureVirtualNetwork -Prepare -VirtualNetworkName '{name}'",
                f"Move-AzureVirtualNetwork -Commit -VirtualNetworkName '{name}'",
                az(
                    "network vnet list --subscription {sub} --query {q} -o tsv",
                    sub=subscription,
                    q=f"[?name=='{name}'].id",
                ),
            ),
            validation=(
                "-Validate reports no blocking errors; after -Commit the last command prints the VNet's new "
                "Resource Manager id: use it for <MIGRATED_VNET_ID> in the following steps (and rerun the planner "
                "on a fresh inventory to get a proposed subnet in it)."
            ),
            rollback=(
                f"Before -Commit: Move-AzureVirtualNetwork -Abort -VirtualNetworkName '{name}'. "
                "After -Commit there is no way back, and none is needed: the VNet is managed in Resource Manager only."
            ),
            manual=True,
            notes=(
                f"CLASSIC_VNET: {app.name} is integrated with the classic VNet {name}; regional integration reaches only "
                "Resource Manager VNets and cannot reach a classic VNet across peering.",
                CLASSIC_POWERSHELL,
            ),
        ),
    ]


CLASSIC_POWERSHELL = shared_note(
    "classic-vnet-powershell",
    "These are classic (Service Management) PowerShell commands: run them in Windows PowerShell with the "
    "'Azure' module. Microsoft documents the migration as control-plane only, without data-path downtime.",
)


def _other_blocker(app: AppFacts, code: str, ctx: AppContext) -> Step:
    fix = ctx.fixes.get(code) or "see docs/codes.md"
    return Step(
        phase="prepare",
        title=f"Resolve {code} for {app.name}",
        validation=f"{code} no longer applies when the planner is rerun on a fresh inventory.",
        rollback="Depends on the fix chosen.",
        manual=True,
        notes=(f"{code}: {fix}",),
    )


# --- in place ----------------------------------------------------------------------------------


def _in_place(app: AppFacts, ctx: AppContext, shared: Shared) -> list[Step]:
    place = resolve_place(app)
    me = Subject.of(app)
    steps = [record_current(app, me)]
    if "KEYVAULT_REFERENCES" in app.limitations:
        steps.append(_vault_check(app, me))
    checks, changes = network_steps(app, place, ctx, shared)
    steps += checks + changes
    if ctx.strategy.name == "slot-first" and not app.slot:
        steps += _integrate_plain_slots(app, place, ctx)
    connect = _connect(app, me, place, ctx, shared).finished()
    cut = disconnect(app, me, ctx)
    if connect.manual:
        # Never leave an app disconnected by a script while its connect step waits for a person.
        cut = replace(
            cut, manual=True, notes=(*cut.notes, "Manual because the connect step needs values filled in.")
        )
    steps += [cut, connect]
    steps += configure(app, me, place)
    steps += verify(app, me, place)
    if ctx.strategy.name == "slot-first" and not app.slot and ctx.slots:
        steps.append(_swap(app, me, ctx))
    steps.append(rollback_to_gateway(app, me, ctx))
    return steps


RESYNC_NOTE = shared_note(
    "resync-required",
    "RESYNC_REQUIRED: the connection's routes and DNS may be stale; the move replaces the connection, so no "
    "resync is needed, but check which hosts the app really reaches today.",
)
GATEWAY_NOT_FOUND_NOTE = shared_note(
    "gateway-not-found",
    "GATEWAY_NOT_FOUND: no SSTP point-to-site gateway serves this VNet, so the connection carries no "
    "traffic today and there is nothing to roll back to.",
)


def record_current(app: AppFacts, me: Subject) -> Step:
    """Read-only: what the app has now, so a rollback can re-create it."""
    notes: list[str] = []
    if "RESYNC_REQUIRED" in app.findings:
        notes.append(RESYNC_NOTE)
    if "P2S_POOL_NOT_RFC1918" in app.findings:
        notes.append(
            f"P2S_POOL_NOT_RFC1918: the point-to-site pool ({', '.join(app.p2s_pools)}) is outside RFC 1918, so "
            "gateway-required integration has probably not worked for this app; nothing that works is lost."
        )
    if "GATEWAY_NOT_FOUND" in app.findings:
        notes.append(GATEWAY_NOT_FOUND_NOTE)
    routes = [r for r in app.plan_routes if (r.type or "").upper() != "DEFAULT"]
    if routes:
        listed = ", ".join(_route_text(r) for r in routes)
        notes.append(
            f"The connection carried these routes: {listed}. After the move the app reaches what the target VNet's "
            "routing reaches (its address space, peerings, gateways): check each range is among them."
        )
    return Step(
        phase="pre-check",
        title=f"Record {me.name}'s current gateway-required integration (for rollback)",
        commands=(
            me.integration_list(),
            az("rest --method get --url {url}", url=arm_url(me.id, "/virtualNetworkConnections")),
        ),
        validation=(
            f"The list shows the connection {app.connection} with a certThumbprint and vnetResourceId {app.vnet_id} "
            "(a gateway-required connection names the VNet; a regional one names a subnet and has no certificate), "
            "and the REST output shows it with isSwift false. Keep the output: it is what the rollback re-creates."
        ),
        rollback="Nothing to undo: read-only.",
        notes=tuple(notes),
    )


VAULT_RETRY_NOTE = shared_note(
    "keyvault-retry",
    "Gateway-required integration cannot resolve references to a network-protected vault; regional integration "
    "retries them through the VNet (azure-facts §4).",
)
VAULT_WINDOWS_CONTAINER_NOTE = shared_note(
    "keyvault-windows-container",
    "Windows containers cannot route Key Vault references through VNet integration: the vault must stay "
    "reachable on its public endpoint for this app (e.g. an IP rule for the app's outbound addresses).",
)


def _vault_check(app: AppFacts, me: Subject) -> Step:
    query = (
        "{defaultAction: properties.networkAcls.defaultAction, publicNetworkAccess: properties.publicNetworkAccess, "
        "vnetRules: properties.networkAcls.virtualNetworkRules[].id, "
        "privateEndpoints: properties.privateEndpointConnections[].properties.privateEndpoint.id}"
    )
    commands = []
    for ref in restricted_vaults(app):
        if ref.vault_id:
            commands.append(
                az(
                    "resource show --ids {id} --api-version {api} --query {q}",
                    id=ref.vault_id,
                    api=KEYVAULT_API,
                    q=query,
                )
            )
        else:
            commands.append(az("keyvault list --query {q}", q=f"[?name=='{ref.vault}'].id"))
    commands.append(
        az(
            "resource show --ids {id} --api-version {api} --query {q}",
            id=me.id,
            api=WEB_API,
            q="{identity: identity.type, keyVaultReferenceIdentity: properties.keyVaultReferenceIdentity}",
        )
    )
    notes = [VAULT_RETRY_NOTE]
    if app.is_windows_container:
        notes.append(VAULT_WINDOWS_CONTAINER_NOTE)
    return Step(
        phase="pre-check",
        title=f"Check the Key Vaults {me.name} references, and the identity that reads them",
        commands=tuple(commands),
        validation=(
            "publicNetworkAccess Enabled with defaultAction Deny: a VNet rule for the new subnet (network step) is "
            "enough. publicNetworkAccess Disabled: only a private endpoint works, so privateEndpoints must list one and "
            "the VNet's DNS must resolve the vault to it. keyVaultReferenceIdentity names the identity that reads the "
            "secrets (SystemAssigned when empty); it keeps its access."
        ),
        rollback="Nothing to undo: read-only.",
        notes=tuple(notes),
    )


SLOT_FIRST_NOTE = shared_note(
    "slot-first",
    "The slot has no VNet integration today, so this costs production nothing: it proves the subnet, NSG, routes "
    "and DNS before production's short outage.",
)


def _integrate_plain_slots(app: AppFacts, place: Place, ctx: AppContext) -> list[Step]:
    """Slot-first: slots that are not gateway-required get regional integration before production moves."""
    steps = []
    for slot in ctx.slots:
        if slot.integration == "gateway-required" or slot.integration == "regional":
            continue  # moved by their own steps, or integrated already
        me = Subject.of(app)
        slot_me = Subject(
            id=f"{app.id}/slots/{slot.name}",
            site=app.site_name,
            slot=slot.name,
            resource_group=me.resource_group,
            subscription=me.subscription,
            cli=me.cli,
            is_linux=me.is_linux,
        )
        steps.append(
            Step(
                phase="cutover",
                title=f"Integrate slot {slot.name} with {place.subnet_name} first, and test it there",
                commands=(_add_command(slot_me, place),),
                validation=(
                    f"{shown(slot_me.integration_list())} lists one entry whose vnetResourceId is {place.subnet_id}; "
                    "deploy the current build to the slot and test its dependencies from "
                    f"{slot_me.scm}/DebugConsole (see the verification step of production)."
                ),
                rollback=shown(
                    az(
                        f"{me.cli} vnet-integration remove -g {{rg}} -n {{site}} -s {{slot}} --subscription {{sub}}",
                        rg=me.resource_group,
                        site=app.site_name,
                        slot=slot.name,
                        sub=me.subscription,
                    )
                ),
                notes=(SLOT_FIRST_NOTE,),
            )
        )
    return steps


OUTAGE_STARTS = shared_note(
    "outage-starts",
    "The outage starts here: the app loses VNet access and restarts; typically 2-5 minutes until the connect step "
    "completes, sometimes longer.",
)
OLD_APP_IDLE = shared_note("old-app-idle", "The old app no longer receives traffic, so this costs nothing.")
DELETE_BY_URL = shared_note(
    "delete-connection-by-url",
    "The connection is deleted by its URL: az webapp vnet-integration remove only removes regional integration in "
    f"Azure CLI 2.91, and one app can use only one form of integration at a time. The URL pins api-version {WEB_API}; "
    "az resource delete would first look an api-version up from the provider.",
)


def disconnect(app: AppFacts, me: Subject, ctx: AppContext, *, phase: str = "cutover") -> Step:
    """Delete the gateway-required connection explicitly (azure-facts §6: `vnet-integration remove` may not)."""
    connection = app.connection or "<CONNECTION_NAME>"
    outage = OUTAGE_STARTS if phase == "cutover" else OLD_APP_IDLE
    return Step(
        phase=phase,
        title=f"Delete {me.name}'s gateway-required connection to {connection}",
        commands=(
            az(
                "rest --method delete --url {url}",
                url=arm_url(me.id, f"/virtualNetworkConnections/{connection}"),
            ),
        ),
        validation=f"{shown(me.integration_list())} no longer lists {connection}.",
        rollback="Re-create the connection: see the rollback step (only while the gateway still has SSTP).",
        notes=(outage, DELETE_BY_URL),
    )


OUTAGE_ENDS = shared_note("outage-ends", "The outage ends when this completes and the app has restarted.")
MULTI_PLAN_JOIN = shared_note(
    "multi-plan-subnet-join",
    "The subnet is shared with another plan (multi-plan subnet join, /26 or larger): the app is joined by setting "
    "virtualNetworkSubnetId, which the CLI's add command refuses for a subnet in use.",
)
ADD_SETS_ROUTING = shared_note(
    "add-sets-routing",
    "az ... vnet-integration add also turns on outbound routing of application traffic; the next step sets it.",
)


def _connect(app: AppFacts, me: Subject, place: Place, ctx: AppContext, shared: Shared) -> Step:
    # Multi-plan subnet join: the CLI refuses a subnet another plan already uses, so later plans set the property.
    first_plan = shared.claim(f"subnet-plan:{place.subnet_id}", app.plan_id or app.id)
    joins_other_plan = first_plan is not None and not same_id(first_plan, app.plan_id or app.id)
    if joins_other_plan:
        command = az(
            "resource update --ids {id} --api-version {api} --set {prop}",
            id=me.id,
            api=WEB_API,
            prop=f"properties.virtualNetworkSubnetId={place.subnet_id}",
        )
    else:
        command = _add_command(me, place)
    notes = [OUTAGE_ENDS]
    if joins_other_plan:
        notes.append(MULTI_PLAN_JOIN)
    notes.append(ADD_SETS_ROUTING)
    return Step(
        phase="cutover",
        title=f"Connect {me.name} to {place.subnet_name} in {place.vnet_name} (regional integration)",
        commands=(command,),
        deploy=(
            Deploy(
                "regional",
                me.subscription,
                me.resource_group,
                {"siteName": me.site, "slotName": me.slot or "", "subnetId": place.subnet_id},
                stage="cutover",
            ),
        ),
        validation=(
            f"{shown(me.integration_list())} lists one entry, whose vnetResourceId is {place.subnet_id} "
            "(the subnet: regional integration) and which has no certThumbprint."
        ),
        rollback=shown(
            az(
                f"{me.cli} vnet-integration remove -g {{rg}} -n {{site}} -s {{slot}} --subscription {{sub}}",
                rg=me.resource_group,
                site=me.site,
                slot=me.slot,
                sub=me.subscription,
            )
        )
        + ", then the rollback step.",
        notes=tuple(notes),
    )


def _add_command(me: Subject, place: Place) -> str:
    return az(
        f"{me.cli} vnet-integration add -g {{rg}} -n {{site}} --vnet {{vnet}} --subnet {{subnet}} -s {{slot}} "
        "--subscription {sub}",
        rg=me.resource_group,
        site=me.site,
        vnet=place.vnet_id,
        subnet=place.subnet_id,
        slot=me.slot,
        sub=me.subscription,
    )


def routes_outside_rfc1918(app: AppFacts) -> list[str]:
    """Ranges the connection routed that regional integration sends into the VNet only with route-all."""
    out = []
    for route in app.plan_routes:
        if (route.type or "").upper() == "DEFAULT":
            continue
        try:
            if route.cidr:
                addresses = [ipaddress.ip_network(route.cidr, strict=False).network_address]
            else:
                addresses = [ipaddress.ip_address(a) for a in (route.start, route.end) if a]
        except ValueError:
            continue
        if any(a.version == 4 and not any(a in net for net in RFC1918) for a in addresses):
            out.append(_route_text(route))
    return out


def configure(app: AppFacts, me: Subject, place: Place) -> list[Step]:
    """Routing, then DNS: what the app needs once it is on the subnet."""
    steps = [_routing(app, me, place)]
    dns = _dns(app, me, place)
    if dns:
        steps.append(dns)
    return steps


ROUTE_ALL_APPLIES = shared_note(
    "route-all-applies",
    "NSG outbound rules, route tables and a NAT gateway on the integration subnet now apply to all the app's "
    "outbound traffic (a 0.0.0.0/0 route to a firewall captures internet traffic too). To also route content share, "
    "image pull and backup traffic set outboundVnetRouting.allTraffic=true instead (needs 443 and 445 open to the "
    "storage account).",
)
ROUTE_ALL_OFF = shared_note(
    "route-all-off",
    "vnet-integration add turns route-all on (Azure CLI 2.91 sets applicationTraffic); under gateway-required only "
    "the VNet's ranges and the plan's routes went through the VNet, so turning it off keeps internet traffic where "
    "it was. RFC 1918 destinations and service endpoints still go through the VNet.",
)
ROUTING_EXPLICIT = shared_note(
    "routing-set-explicitly",
    "The value is set explicitly either way: what vnet-integration add leaves behind has changed between CLI "
    "versions. config set --vnet-route-all-enabled writes the site's outboundVnetRouting (Azure CLI 2.91), whether "
    "or not the site had that setting before.",
)


def _routing(app: AppFacts, me: Subject, place: Place) -> Step:
    public_routes = routes_outside_rfc1918(app)
    route_all = bool(app.route_all) or bool(public_routes)
    value = "true" if route_all else "false"
    notes: tuple[str, ...]
    if route_all:
        title = f"Route all of {me.name}'s outbound traffic through {place.subnet_name} (route-all)"
        why = []
        if app.route_all:
            why.append("the app has route-all set (vnetRouteAllEnabled / outboundVnetRouting)")
        if public_routes:
            why.append(
                f"the connection routed ranges outside RFC 1918 ({', '.join(public_routes)}), which regional "
                "integration sends into the VNet only with route-all"
            )
        notes = (
            "Route-all because " + " and ".join(why) + ".",
            ROUTE_ALL_APPLIES,
        )
    else:
        title = f"Keep {me.name}'s internet-bound traffic off the VNet, as before the move"
        notes = (ROUTE_ALL_OFF,)
    notes += (ROUTING_EXPLICIT,)
    return Step(
        phase="configure",
        title=title,
        commands=(_route_all(me, value),),
        validation=(
            shown(
                az(
                    "resource show --ids {id} --api-version {api} --query {q}",
                    id=me.id,
                    api=WEB_API,
                    q="properties.outboundVnetRouting",
                )
            )
            + f" shows applicationTraffic {value}."
        ),
        rollback=shown(_route_all(me, "false" if route_all else "true")),
        notes=notes,
    )


def _route_all(me: Subject, value: str) -> str:
    return az(
        f"{me.cli} config set -g {{rg}} -n {{site}} --slot {{slot}} --vnet-route-all-enabled {{value}} "
        "--subscription {sub}",
        rg=me.resource_group,
        site=me.site,
        slot=me.slot,
        value=value,
        sub=me.subscription,
    )


def _dns(app: AppFacts, me: Subject, place: Place) -> Step | None:
    servers = list(app.vnet_dns_servers)
    if not servers:
        return None
    listed = ", ".join(servers)
    if place.new_vnet or same_id(place.vnet_id, app.vnet_id):
        where = "was created with them" if place.new_vnet else "is the VNet the app used before"
        return Step(
            phase="configure",
            title=f"Check that {me.name} resolves names through {listed}",
            commands=(
                az(
                    "network vnet show --ids {vnet} --query {q}",
                    vnet=place.vnet_id,
                    q="dhcpOptions.dnsServers",
                ),
            ),
            validation=f"Lists {listed}: regional integration uses the VNet's DNS servers directly.",
            rollback="Nothing to undo: read-only.",
            notes=(
                f"{place.vnet_name} {where}, so no WEBSITE_DNS_SERVER setting is needed; under gateway-required a DNS "
                "change needed 'Sync network', under regional it applies directly.",
            ),
        )
    settings = [f"WEBSITE_DNS_SERVER={servers[0]}"] + (
        [f"WEBSITE_DNS_ALT_SERVER={servers[1]}"] if len(servers) > 1 else []
    )
    notes = [
        f"{place.vnet_name} is not the VNet whose DNS servers ({listed}) the app used, so the app keeps them through "
        "app settings."
    ]
    if len(servers) > 2:
        notes.append(f"App Service takes two DNS servers: {', '.join(servers[2:])} are not set.")
    return Step(
        phase="configure",
        title=f"Keep {me.name} on the DNS servers {listed}",
        commands=(
            az(
                f"{me.cli} config appsettings set -g {{rg}} -n {{site}} --slot {{slot}} --settings {{settings}} "
                "--subscription {sub}",
                rg=me.resource_group,
                site=me.site,
                slot=me.slot,
                settings=settings,
                sub=me.subscription,
            ),
        ),
        validation=f"From the Kudu console nameresolver <a host the app calls> resolves through {servers[0]}.",
        rollback=shown(
            az(
                f"{me.cli} config appsettings delete -g {{rg}} -n {{site}} --slot {{slot}} --setting-names {{names}} "
                "--subscription {sub}",
                rg=me.resource_group,
                site=me.site,
                slot=me.slot,
                names=[s.split("=", 1)[0] for s in settings],
                sub=me.subscription,
            )
        ),
        notes=tuple(notes),
    )


def verify(app: AppFacts, me: Subject, place: Place) -> list[Step]:
    """The integration as Azure reports it, Key Vault references, and the app's real dependencies from Kudu."""
    steps = [
        Step(
            phase="verify",
            title=f"Verify {me.name}'s regional integration",
            commands=(
                me.integration_list(),
                az(
                    "resource show --ids {id} --api-version {api} --query {q}",
                    id=me.id,
                    api=WEB_API,
                    q="{subnet: properties.virtualNetworkSubnetId, routing: properties.outboundVnetRouting}",
                ),
            ),
            validation=(
                f"The list has one entry, for {place.subnet_name} (vnetResourceId {place.subnet_id}, no "
                f"certThumbprint), and none for {app.connection}; virtualNetworkSubnetId is {place.subnet_id}."
            ),
            rollback="Nothing to undo: read-only.",
        )
    ]
    if "KEYVAULT_REFERENCES" in app.limitations:
        steps.append(
            Step(
                phase="verify",
                title=f"Verify {me.name}'s Key Vault references resolve",
                commands=(
                    az(
                        "rest --method get --url {url} --query {q}",
                        url=arm_url(me.id, "/config/configreferences/appsettings"),
                        q="value[].{setting: name, status: properties.status}",
                    ),
                ),
                validation="Every reference shows status Resolved.",
                rollback="If a reference fails: check the vault's network rule for the subnet, then the rollback step.",
            )
        )
    steps.append(_kudu_check(app, me, place))
    return steps


def _kudu_check(app: AppFacts, me: Subject, place: Place) -> Step:
    targets = _dependencies(app)
    dns = list(app.vnet_dns_servers)
    lines: list[str] = []
    if me.is_linux:
        console = f"{me.scm}/webssh/host"
        lines.append(f"`echo $WEBSITE_PRIVATE_IP` shows an address in {place.prefix}")
        lines += [f"`tcpping {t}` (or `curl -v telnet://{t}`) connects" for t in targets]
        lines += [f"`nslookup {t.rsplit(':', 1)[0]}{' ' + dns[0] if dns else ''}` resolves" for t in targets]
    else:
        console = f"{me.scm}/DebugConsole"
        lines.append(f"`SET WEBSITE_PRIVATE_IP` shows an address in {place.prefix}")
        lines += [f"`tcpping {t}` connects" for t in targets]
        lines += [
            f"`nameresolver {t.rsplit(':', 1)[0]}{' ' + dns[0] if dns else ''}` resolves" for t in targets
        ]
    lines += [f"`tcpping {server}:53` connects" for server in dns]
    if not targets:
        lines.append(
            "`tcpping <a host:port the app calls through the VNet>` connects (the inventory does not list them)"
        )
    for route in app.plan_routes:
        if (route.type or "").upper() == "STATIC":
            lines.append(f"a host the app uses in {_route_text(route)} answers `tcpping`")
    return Step(
        phase="verify",
        title=f"Test {me.name}'s dependencies from the Kudu console",
        commands=(),
        validation=f"In {console}: " + "; ".join(lines) + ".",
        rollback=(
            "If a dependency fails: a TCP timeout of about 21 seconds points to a firewall or NSG, a DNS failure to "
            "the DNS servers (3 seconds per server); fix it in the window, or run the rollback step."
        ),
        manual=True,
        notes=(f"The app's traffic into the VNet now comes from {place.prefix}.",),
    )


def _dependencies(app: AppFacts) -> list[str]:
    out: list[str] = []
    for resource in app.service_endpoint_resources:
        endpoint = test_endpoint(resource.type, resource.name)
        if endpoint and endpoint not in out:
            out.append(endpoint)
    for ref in app.keyvault_references:
        if ref.vault and f"{ref.vault.lower()}.vault.azure.net:443" not in out:
            out.append(f"{ref.vault.lower()}.vault.azure.net:443")
    return out


SWAP_IS_RELEASE = shared_note(
    "swap-is-a-release",
    "A release decision, not a network one: swap only if the slot holds the build to promote.",
)


def _swap(app: AppFacts, me: Subject, ctx: AppContext) -> Step:
    slot = next((s.name for s in ctx.slots), "<SLOT_NAME>")
    swap = az(
        f"{me.cli} deployment slot swap -g {{rg}} -n {{site}} --slot {{slot}} --target-slot production --subscription {{sub}}",
        rg=me.resource_group,
        site=me.site,
        slot=slot,
        sub=me.subscription,
    )
    return Step(
        phase="switch",
        title=f"Swap slot {slot} into production to promote the build tested on regional integration",
        commands=(swap,),
        validation=(
            f"Production serves the build tested on {slot}; both slots keep their own regional integration "
            "(integration stays with the slot on a swap)."
        ),
        rollback=f"Swap back: {shown(swap)}",
        manual=True,
        notes=(SWAP_IS_RELEASE,),
    )


ROLLBACK_NOTES = (
    shared_note(
        "rollback-needs-sstp",
        "Possible only while the app's gateway still has SSTP point-to-site: SSTP connections stop on 2027-03-31 and "
        "SSTP cannot be enabled again after 2026-03-31, so once the gateway's point-to-site configuration is removed "
        "there is no way back.",
    ),
    shared_note(
        "rollback-recreates-connection",
        "The PUT re-creates the connection and returns a new certificate; it becomes a root certificate of the "
        "gateway, and the VPN client package URL is handed to the app (the legacy PowerShell flow).",
    ),
    shared_note(
        "rollback-certificate-file",
        "The certificate goes in through a file of its bytes: --public-cert-data takes a file path and "
        "base64-encodes the file itself (Azure CLI 2.91), so pasting the certBlob fails and a file of the base64 "
        "text would be encoded a second time. (vnet-gateway update --root-cert-data fails on a gateway that "
        "already has root certificates in 2.91.)",
    ),
    shared_note(
        "rollback-use-legacy",
        "--use-legacy true asks the gateway for the VPN client package (generatevpnclientpackage), the URL App "
        "Service takes; without it the CLI generates a VPN profile instead.",
    ),
)


def _json_body(name: str, value: str | None, package: str | None = None) -> str:
    """`{"properties": {name: value}}` (and `vpnPackageUri` when given) exactly as `json.dumps` writes it,
    without its encoder machinery (twice in every app's rollback step)."""
    text = f'{{"properties": {{"{name}": {_json_text(value)}'
    return text + (f', "vpnPackageUri": {_json_text(package)}}}}}' if package is not None else "}}")


def _json_text(value: str | None) -> str:
    return "null" if value is None else encode_basestring_ascii(value)


def rollback_to_gateway(app: AppFacts, me: Subject, ctx: AppContext, *, after_switch: bool = False) -> Step:
    """Re-create the gateway-required connection (the PUT shape of azure-facts §6)."""
    connection = app.connection or "<CONNECTION_NAME>"
    gateway = ctx.gateway
    if gateway is None and not app.gateway_name:
        return Step(
            phase="rollback",
            title=f"No rollback to gateway-required for {me.name}: the inventory shows no SSTP gateway for {connection}",
            validation="Fix forward: without the gateway there is no gateway-required path to go back to.",
            rollback="Not applicable.",
            manual=True,
        )
    gw_name = gateway.name if gateway else app.gateway_name
    gw_rg = (gateway.resource_group if gateway else None) or app.gateway_resource_group or "<RESOURCE_GROUP>"
    gw_sub = (gateway.subscription_id if gateway else None) or id_part(app.gateway_id, "subscriptions")
    conn_url = arm_url(me.id, f"/virtualNetworkConnections/{connection}")
    cert_name = f"AppServiceCertificate-{app.plan_name or app.site_name}-rollback"
    commands = []
    if not after_switch:
        commands.append(
            az(
                f"{me.cli} vnet-integration remove -g {{rg}} -n {{site}} -s {{slot}} --subscription {{sub}}",
                rg=me.resource_group,
                site=me.site,
                slot=me.slot,
                sub=me.subscription,
            )
        )
    commands += [
        az(
            "rest --method put --url {url} --body {body}",
            url=conn_url,
            body=_json_body("vnetResourceId", app.vnet_id),
        ),
        az("rest --method get --url {url} --query properties.certBlob -o tsv", url=conn_url),
        az(
            "network vnet-gateway root-cert create -g {rg} --gateway-name {gw} -n {name} "
            "--public-cert-data <CERT_FILE_FROM_PREVIOUS_COMMAND> --subscription {sub}",
            rg=gw_rg,
            gw=gw_name,
            name=cert_name,
            sub=gw_sub,
        ),
        az(
            "network vnet-gateway vpn-client generate -g {rg} -n {gw} --processor-architecture Amd64 --use-legacy true "
            "--subscription {sub}",
            rg=gw_rg,
            gw=gw_name,
            sub=gw_sub,
        ),
        az(
            "rest --method put --url {url} --body {body}",
            url=arm_url(me.id, f"/virtualNetworkConnections/{connection}/gateways/primary"),
            body=_json_body("vnetName", connection, "<VPN_PACKAGE_URL_FROM_PREVIOUS_COMMAND>"),
        ),
    ]
    until = f"until {ctx.retirement_date}"
    if ctx.gateway_removal_wave:
        until += f" and until {gw_name}'s clean-up in wave {ctx.gateway_removal_wave}"
    return Step(
        phase="rollback",
        title=f"If verification fails: roll {me.name} back to gateway-required ({until})",
        commands=tuple(commands),
        validation=(
            f"{shown(me.integration_list())} lists {connection} again (with a certThumbprint) and the app reaches its "
            "dependencies."
        ),
        rollback="Not applicable: this is the rollback.",
        manual=True,
        notes=ROLLBACK_NOTES,
    )


# --- blue-green --------------------------------------------------------------------------------


def new_site_name(site: str) -> str:
    """The proposed name of the new app: global host names allow 60 characters."""
    return f"{site[:57]}-v2"


def new_plan_name(plan: str) -> str:
    return f"{plan[:57]}-v2"


def _blue_green(app: AppFacts, ctx: AppContext, shared: Shared) -> list[Step]:
    place = resolve_place(app)
    old = Subject.of(app)
    plan_rg = id_part(app.plan_id, "resourceGroups") or app.resource_group or "<RESOURCE_GROUP>"
    plan_sub = id_part(app.plan_id, "subscriptions") or app.subscription_id
    new_plan = ctx.new_plan_name or new_plan_name(app.plan_name or app.site_name)
    new_plan_id = (
        f"/subscriptions/{plan_sub}/resourceGroups/{plan_rg}/providers/Microsoft.Web/serverfarms/{new_plan}"
    )
    site = new_site_name(app.site_name)
    rg = app.resource_group or "<RESOURCE_GROUP>"
    new = Subject(
        id=f"/subscriptions/{app.subscription_id}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}"
        + (f"/slots/{app.slot}" if app.slot else ""),
        site=site,
        slot=app.slot,
        resource_group=rg,
        subscription=app.subscription_id,
        cli=app.cli,
        is_linux=app.is_linux,
    )
    steps = [record_current(app, old)]
    if "KEYVAULT_REFERENCES" in app.limitations:
        steps.append(_vault_check(app, old))
    checks, changes = network_steps(app, place, ctx, shared)
    steps += checks + changes
    if shared.claim(f"new-plan:{new_plan_id}", ctx.who(app.name)) is None:
        steps += _create_plan(app, new_plan, plan_rg, plan_sub, place)
    steps.append(_create_app(app, new, new_plan_id, place))
    steps += configure(app, new, place)
    steps.append(_deploy(app, old, new))
    steps += verify(app, new, place)
    if not app.slot:
        steps.append(_switch(app, old, new))
    steps.append(disconnect(app, old, ctx, phase="retire"))
    steps.append(_delete_old(app, old, ctx, plan_rg))
    steps.append(_blue_green_rollback(app, old, new, ctx))
    return steps


def _create_plan(app: AppFacts, name: str, rg: str, subscription: str | None, place: Place) -> list[Step]:
    tier = (app.plan_tier or "").lower()
    sku = app.plan_sku if tier in MODERN_TIERS and app.plan_sku else "P1V3"
    workers = str(app.target.instances) if app.target and app.target.instances else None
    # Always explicit: since CLI 2.x a plan created without --is-linux is Linux unless --hyper-v is given
    # (appservice _params.py: "Defaults to true unless --hyper-v is specified").
    flags = ["--is-linux", "true"] if app.is_linux else ["--is-linux", "false"]
    if app.is_windows_container:
        flags.append("--hyper-v")
    create = az(
        "appservice plan create -g {rg} -n {name} -l {loc} --sku {sku} --number-of-workers {workers} {flags} "
        "--subscription {sub}",
        rg=rg,
        name=name,
        loc=place.location,
        sku=sku,
        workers=workers,
        flags=flags,
        sub=subscription,
    )
    kind = "linux" if app.is_linux else ("windows" if app.is_windows_container else "app")
    notes = [
        f"A new plan in {place.location} integrated from the start: the old plan {app.plan_name} "
        f"({app.plan_sku}, {app.plan_tier}) keeps serving until traffic is switched."
    ]
    if "PLAN_UNSUPPORTED" in app.blockers:
        notes.append(
            f"PLAN_UNSUPPORTED: {app.plan_name}'s scale unit cannot do regional integration; a plan created as "
            "PremiumV3 lands on a scale unit that can, and keeps it when scaled down (azure-facts §2.4). Scaling the "
            "old plan up in place helps only if its scale unit offers PremiumV3 and then reports swiftSupported; the "
            "new plan does not depend on that."
        )
    steps = [
        Step(
            phase="build",
            title=f"Create plan {name} ({sku}) in {place.location}",
            commands=(create,),
            deploy=(
                Deploy(
                    "plan",
                    subscription,
                    rg,
                    {
                        "name": name,
                        "location": place.location,
                        "kind": kind,
                        "skuName": sku.replace("V", "v"),
                        "capacity": int(workers) if workers else 1,
                        "reserved": bool(app.is_linux),
                        "hyperV": bool(app.is_windows_container),
                    },
                ),
            ),
            validation=(
                shown(
                    az(
                        "appservice plan show -g {rg} -n {name} --subscription {sub} --query {q}",
                        rg=rg,
                        name=name,
                        sub=subscription,
                        q="{sku: sku.name, workers: sku.capacity, linux: reserved, hyperV: hyperV}",
                    )
                )
                + f" shows {sku}, linux {str(app.is_linux).lower()}"
                + (", hyperV true." if app.is_windows_container else ".")
            ),
            rollback=shown(
                az(
                    "appservice plan delete -g {rg} -n {name} --yes --subscription {sub}",
                    rg=rg,
                    name=name,
                    sub=subscription,
                )
            )
            + " (once no app is on it)",
            notes=tuple(notes),
        )
    ]
    if sku == "P1V3" and tier in SCALE_DOWN_TIERS and app.plan_sku:
        steps.append(
            Step(
                phase="build",
                title=f"Scale {name} down to {app.plan_sku}, the old plan's size",
                commands=(
                    az(
                        "appservice plan update -g {rg} -n {name} --sku {sku} --subscription {sub}",
                        rg=rg,
                        name=name,
                        sku=app.plan_sku,
                        sub=subscription,
                    ),
                ),
                validation=shown(
                    az(
                        "appservice plan show -g {rg} -n {name} --subscription {sub} --query sku.name",
                        rg=rg,
                        name=name,
                        sub=subscription,
                    )
                )
                + f" shows {app.plan_sku}.",
                rollback=shown(
                    az(
                        "appservice plan update -g {rg} -n {name} --sku P1V3 --subscription {sub}",
                        rg=rg,
                        name=name,
                        sub=subscription,
                    )
                ),
                notes=(
                    "The plan stays on the scale unit it was created on, which supports regional integration.",
                ),
            )
        )
    return steps


def _create_app(app: AppFacts, new: Subject, plan_id: str, place: Place) -> Step:
    commands: tuple[str, ...]
    if new.slot:
        commands = (
            az(
                f"{new.cli} deployment slot create -g {{rg}} -n {{site}} --slot {{slot}} --subscription {{sub}}",
                rg=new.resource_group,
                site=new.site,
                slot=new.slot,
                sub=new.subscription,
            ),
            _add_command(new, place),
        )
        title = f"Create slot {new.slot} on {new.site}, integrated with {place.subnet_name}"
        deploy: tuple[Deploy, ...] = ()
    else:
        if app.is_function:
            command = az(
                "functionapp create -g {rg} -p {plan} -n {site} --storage-account <STORAGE_ACCOUNT> --functions-version 4 "
                "--runtime <RUNTIME> {os} --disable-app-insights true --vnet {vnet} --subnet {subnet} --subscription {sub}",
                rg=new.resource_group,
                plan=plan_id,
                site=new.site,
                os=["--os-type", "Linux"] if app.is_linux else None,
                vnet=place.vnet_id,
                subnet=place.subnet_id,
                sub=new.subscription,
            )
        else:
            image = ["--container-image-name", "<CONTAINER_IMAGE>"] if app.container else None
            # Windows too: without --runtime the CLI picks Node's default version for a Windows app.
            runtime = ["--runtime", "<RUNTIME>"] if not app.container else None
            command = az(
                "webapp create -g {rg} -p {plan} -n {site} {stack} --vnet {vnet} --subnet {subnet} --subscription {sub}",
                rg=new.resource_group,
                plan=plan_id,
                site=new.site,
                stack=image or runtime,
                vnet=place.vnet_id,
                subnet=place.subnet_id,
                sub=new.subscription,
            )
        commands = (command,)
        title = f"Create {new.site} on the new plan, integrated with {place.subnet_name} from the start"
        deploy = (
            Deploy(
                "site",
                new.subscription,
                new.resource_group,
                {
                    "name": new.site,
                    "location": place.location,
                    "kind": app.kind or "app",
                    "serverFarmId": plan_id,
                    "subnetId": place.subnet_id,
                    "routeAll": bool(app.route_all) or bool(routes_outside_rfc1918(app)),
                },
                # The new app is built beside the old one: nothing waits for the old connection to go.
                stage="network",
            ),
        )
    return Step(
        phase="build",
        title=title,
        commands=commands,
        deploy=deploy,
        validation=f"{shown(new.integration_list())} lists one entry, whose vnetResourceId is {place.subnet_id}.",
        rollback=shown(_delete_site(new)),
        notes=(
            f"{new.site} is a proposed name (host names are global: change it consistently if it is taken).",
        )
        + (
            (
                "--disable-app-insights: functionapp create would otherwise create a new Application Insights "
                "resource; the new app keeps the old one's through the settings copied in the deploy step.",
            )
            if app.is_function and not new.slot
            else ()
        ),
    )


def _deploy(app: AppFacts, old: Subject, new: Subject) -> Step:
    config = f"{old.cli} config appsettings list -g {{rg}} -n {{site}} --slot {{slot}} --subscription {{sub}} --query [].name"
    return Step(
        phase="build",
        title=f"Deploy {old.name}'s code and configuration to {new.name}",
        commands=(
            az(config, rg=old.resource_group, site=old.site, slot=old.slot, sub=old.subscription),
            az(
                f"{old.cli} identity show -g {{rg}} -n {{site}} --slot {{slot}} --subscription {{sub}}",
                rg=old.resource_group,
                site=old.site,
                slot=old.slot,
                sub=old.subscription,
            ),
        ),
        validation=(
            f"{new.name} runs the same build with the same settings, connection strings, identity role assignments "
            "and certificates; its own health check passes."
        ),
        rollback=f"Nothing to undo on {old.name}.",
        manual=True,
        notes=(
            "Deploy with your own pipeline: the inventory holds no build. The commands list what to copy (setting names "
            "only); copy values through your pipeline or Key Vault, not through files on disk.",
            "The new app has its own managed identity: grant it what the old one had (Key Vault, storage, databases).",
        ),
    )


def _switch(app: AppFacts, old: Subject, new: Subject) -> Step:
    return Step(
        phase="switch",
        title=f"Switch traffic from {old.site} to {new.site}",
        commands=(
            az(
                "webapp config hostname list -g {rg} --webapp-name {site} --subscription {sub}",
                rg=old.resource_group,
                site=old.site,
                sub=old.subscription,
            ),
        ),
        validation=f"Requests reach {new.site}; {old.site} receives none (its request metrics drop to zero).",
        rollback=f"Point the front end or DNS back to {old.site}: it is unchanged and still integrated.",
        manual=True,
        notes=(
            f"With Front Door, Application Gateway or Traffic Manager: change the origin to {new.site}. With DNS: add the "
            f"custom domains listed (and their certificates) to {new.site} first, then move the records.",
        ),
    )


def _delete_site(subject: Subject) -> str:
    """Delete an app (keeping its plan: a plan is deleted by its own command) or a slot."""
    if subject.slot:
        return az(
            f"{subject.cli} deployment slot delete -g {{rg}} -n {{site}} --slot {{slot}} --subscription {{sub}}",
            rg=subject.resource_group,
            site=subject.site,
            slot=subject.slot,
            sub=subject.subscription,
        )
    return az(
        f"{subject.cli} delete -g {{rg}} -n {{site}} --keep-empty-plan --subscription {{sub}}",
        rg=subject.resource_group,
        site=subject.site,
        sub=subject.subscription,
    )


def _delete_old(app: AppFacts, old: Subject, ctx: AppContext, plan_rg: str) -> Step:
    commands = [_delete_site(old)]
    if ctx.last_of_plan and app.plan_name:
        commands.append(
            az(
                "appservice plan delete -g {rg} -n {name} --yes --subscription {sub}",
                rg=plan_rg,
                name=app.plan_name,
                sub=id_part(app.plan_id, "subscriptions") or app.subscription_id,
            )
        )
    title = f"After a quiet period, delete {old.name}" + (
        f" and plan {app.plan_name}" if ctx.last_of_plan else ""
    )
    return Step(
        phase="retire",
        title=title,
        commands=tuple(commands),
        validation=(
            shown(
                az(
                    f"{old.cli} list -g {{rg}} --subscription {{sub}} --query {{q}}",
                    rg=old.resource_group,
                    sub=old.subscription,
                    q="[].name",
                )
            )
            + f" no longer lists {old.site}."
        ),
        rollback=(
            "A deleted app can be restored for a limited time: "
            + shown(
                az(
                    "webapp deleted list -g {rg} -n {site} --subscription {sub} --query {q}",
                    rg=old.resource_group,
                    site=old.site,
                    sub=old.subscription,
                    q="[].id",
                )
            )
            + " gives its deleted id for "
            + shown(
                az(
                    "webapp deleted restore --deleted-id <DELETED_APP_ID> -g {rg} -n {site} --subscription {sub}",
                    rg=old.resource_group,
                    site=old.site,
                    sub=old.subscription,
                )
            )
            + "."
        ),
        manual=True,
        notes=(
            "Irreversible in practice: wait until the new app has run a full business cycle.",
            "The app is deleted with --keep-empty-plan, so the plan goes only by its own command (without the flag "
            "az webapp delete also deletes a plan left empty, and the plan's delete would then fail).",
        ),
    )


def _blue_green_rollback(app: AppFacts, old: Subject, new: Subject, ctx: AppContext) -> Step:
    gateway_back = rollback_to_gateway(app, old, ctx, after_switch=True)
    return Step(
        phase="rollback",
        title=f"If {new.name} misbehaves: send traffic back to {old.name}",
        commands=gateway_back.commands,
        validation=f"Requests reach {old.name} again and it reaches its dependencies.",
        rollback="Not applicable: this is the rollback.",
        manual=True,
        notes=(
            f"Before the retire steps, only switch the traffic back: {old.name} still has its gateway-required "
            "connection. After its connection was deleted, re-create it with the commands listed (the PUT shape of "
            "the gateway-required connection), which works only while the gateway still has SSTP point-to-site.",
            *gateway_back.notes[:1],
        ),
    )


def _route_text(route: PlanRoute) -> str:
    if route.cidr:
        return route.cidr
    return f"{route.start}-{route.end}" if route.start != route.end else str(route.start)
