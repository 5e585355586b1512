"""Network work before a cutover: the target VNet (new, peered, or with more address space), the
delegated subnet, service-endpoint and Key Vault rules for it, and the firewall changes that follow
the app's new source range.

Much of it is shared: apps of one plan land in one subnet, several plans may use one new VNet, a
storage account admits the subnet once. The first app to need it gets the step; the others get a
read-only check that points back to it (`Shared` in planner.runbook.steps.context).
"""

from __future__ import annotations

from planner.analysis.rules import GATEWAY_USES, codes_where
from planner.core.ids import id_part, last_segment, same_id
from planner.runbook.steps.context import AppContext, Shared
from planner.runbook.steps.facts import AppFacts, GatewayFacts, KeyVaultRef, RuledResource
from planner.runbook.steps.place import Place
from planner.runbook.steps.resources import vnet_rule
from planner.runbook.steps.step import GRAPH_FIRST, GRAPH_NOTE, Deploy, Step, az, shared_note, shown

DELEGATION = "Microsoft.Web/serverFarms"
# Uses of the old VNet's gateway that mean on-premises (or other VNets) are reached through it.
TRANSIT_USES = frozenset(use.code for use in GATEWAY_USES if use.transit)
ON_PREMISES_CODES = codes_where(
    "reaches_on_premises"
)  # limitations: on-premises is reached through the gateway
READ_ONLY = "Nothing to undo: read-only."
PEERING_SYNC = shared_note(
    "peering-sync",
    "If a peering shows RemoteNotInSync, run az network vnet peering sync on both sides so the peers learn the new "
    "range; on-premises (S2S/ExpressRoute) must route it too (BGP advertises it, static routes need it).",
)
FORWARDED_TRAFFIC = shared_note(
    "peering-forwarded-traffic",
    "Forwarded traffic is allowed both ways so traffic a firewall or gateway forwards is not dropped.",
)
SUBNET_CONTROLS = shared_note(
    "subnet-controls",
    "NSGs (outbound rules), route tables and NAT gateways on the integration subnet apply to the app's VNet traffic "
    "after the move (route tables never applied under gateway-required).",
)
ONE_SUBNET_PER_PLAN = shared_note(
    "one-subnet-per-plan",
    "One subnet per plan and VNet: every app of the plan in this VNet joins it, so it is set up once, with the "
    "first of them.",
)
ENDPOINTS_NEEDED = shared_note(
    "service-endpoints-needed",
    "Resources that admit the old VNet's subnets through service endpoints, and restricted Key Vaults, need the "
    "same service endpoints on the new subnet.",
)
ENDPOINTS_REPLACED = shared_note(
    "service-endpoints-replaced",
    "--service-endpoints replaces the subnet's list: add any the pre-check showed.",
)
ENDPOINT_RULE = shared_note(
    "service-endpoint-rule",
    "SERVICE_ENDPOINTS: the resource admits traffic only from listed subnets of the old VNet; after the move the "
    "app's traffic comes from the new integration subnet, through its service endpoint. Keep the old rules: other "
    "resources in the old VNet use them.",
)
VAULT_IDENTITY = shared_note(
    "keyvault-identity",
    "The identity App Service reads the secrets with (keyVaultReferenceIdentity, SystemAssigned when empty) keeps "
    "its access: the move changes the network path only.",
)
POOL_KEEP = shared_note(
    "p2s-pool-keep",
    "Keep the pool's entries until the gateway's clean-up: other apps use the pool until they move.",
)
POOL_QUERY = shared_note(
    "p2s-pool-query",
    "The query finds Azure resources whose settings name the pool; rules outside Azure must be found by hand.",
)


def network_steps(
    app: AppFacts, place: Place, ctx: AppContext, shared: Shared
) -> tuple[list[Step], list[Step]]:
    """(pre-checks, changes) that must be done before this app's cutover."""
    who = ctx.who(app.name)
    checks: list[Step] = []
    changes: list[Step] = []

    if place.new_vnet:
        by = shared.claim(f"vnet:{place.vnet_id}", who)
        if by is None:
            checks.append(_new_vnet_check(app, place))
            changes.append(_create_vnet(app, place))
            changes.append(_peering(app, place, ctx.gateway, new_vnet=True))
            if not app.vnet_dns_servers:
                changes.append(_private_dns_links(app, place))
        else:
            checks.append(_vnet_ready(place, by))
    elif (
        place.peer_with
        and not same_id(place.peer_with, place.vnet_id)
        and shared.claim(f"peer:{place.vnet_id}|{place.peer_with}", who) is None
    ):
        changes.append(_peering(app, place, ctx.gateway, new_vnet=False))

    addition = place.address_space_addition
    if addition and shared.claim(f"space:{place.vnet_id}|{addition}", who) is None:
        changes.append(_add_address_space(place, addition))

    by = shared.claim(f"subnet:{place.subnet_id}", who)
    if by is None:
        if not place.new_vnet:
            checks.append(_subnet_check(app, place))
        changes.append(_create_subnet(app, place, ctx.subnet_services))
    else:
        checks.append(_subnet_ready(place, by))

    if "SERVICE_ENDPOINTS" in app.limitations:
        if not app.service_endpoint_resources:
            changes.append(_unknown_endpoint_resources(app, place))
        for resource in app.service_endpoint_resources:
            if shared.claim(f"rule:{resource.id}|{place.subnet_id}", who) is None:
                changes.append(_endpoint_rule(resource, place))

    if "KEYVAULT_REFERENCES" in app.limitations:
        for ref in restricted_vaults(app):
            if shared.claim(f"vault:{ref.vault_id or ref.vault}|{place.subnet_id}", who) is None:
                changes.append(_vault_access(app, ref, place))

    if shared.claim(f"firewall:{place.subnet_id}", who) is None:
        changes.append(firewall_step(app, place, ctx))
    return checks, changes


def restricted_vaults(app: AppFacts) -> list[KeyVaultRef]:
    """One reference per vault that blocks public access (or whose lock-down is unknown)."""
    seen: set[str] = set()
    out: list[KeyVaultRef] = []
    for ref in app.keyvault_references:
        key = (ref.vault_id or ref.vault or "").lower()
        if not key or key in seen or ref.restricted is False:
            continue
        seen.add(key)
        out.append(ref)
    return out


def needs_gateway_transit(app: AppFacts, gateway: GatewayFacts | None) -> bool:
    """On-premises (or other VNets) are reached through the old VNet's gateway: peer with transit."""
    uses = set(app.gateway_other_uses) | (set(gateway.other_uses) if gateway else set())
    return bool(uses & TRANSIT_USES) or bool(ON_PREMISES_CODES & set(app.limitations))


def _new_vnet_check(app: AppFacts, place: Place) -> Step:
    old = place.peer_with or app.vnet_id or "<TARGET_VNET_ID>"
    return Step(
        phase="pre-check",
        title=f"Check that {place.vnet_prefix} is free to use for the new VNet {place.vnet_name}",
        commands=(
            az(
                "group show -n {rg} --subscription {sub} --query {q}",
                rg=place.vnet_rg,
                sub=place.subscription,
                q="{name: name, location: location}",
            ),
            az(
                "network vnet show --ids {old} --query {q}",
                old=old,
                q="{addressSpace: addressSpace.addressPrefixes, dnsServers: dhcpOptions.dnsServers, "
                "peerings: virtualNetworkPeerings[].remoteVirtualNetwork.id}",
            ),
        ),
        validation=(
            f"The resource group {place.vnet_rg} exists (if not: "
            + shown(
                az(
                    "group create -n {rg} -l {loc} --subscription {sub}",
                    rg=place.vnet_rg,
                    loc=place.location,
                    sub=place.subscription,
                )
            )
            + "). "
            f"{place.vnet_prefix} overlaps neither the old VNet's address space nor the ranges of its peers "
            "(peering refuses overlapping spaces), nor any on-premises range."
        ),
        rollback=READ_ONLY,
    )


def _create_vnet(app: AppFacts, place: Place) -> Step:
    dns = list(app.vnet_dns_servers)
    notes = [
        f"Regional integration only reaches a VNet in the app's own region ({place.location}); the old VNet "
        f"{app.vnet_name} is in {app.vnet_location or 'another region'} (CROSS_REGION), so the app gets a VNet "
        "here and reaches the old one over global peering."
    ]
    if dns:
        notes.append(
            f"Created with the old VNet's DNS servers ({', '.join(dns)}) so the app resolves the same names."
        )
    return Step(
        phase="network",
        title=f"Create VNet {place.vnet_name} ({place.vnet_prefix}) in {place.location}",
        commands=(
            az(
                "network vnet create -g {rg} -n {name} -l {loc} --address-prefixes {prefix} --dns-servers {dns} "
                "--subscription {sub}",
                rg=place.vnet_rg,
                name=place.vnet_name,
                loc=place.location,
                prefix=place.vnet_prefix or "<TARGET_VNET_PREFIX>",
                dns=dns,
                sub=place.subscription,
            ),
        ),
        deploy=(
            Deploy(
                "vnet",
                place.subscription,
                place.vnet_rg,
                {
                    "name": place.vnet_name,
                    "location": place.location,
                    "addressPrefix": place.vnet_prefix or "<TARGET_VNET_PREFIX>",
                    "dnsServers": dns,
                },
            ),
        ),
        validation=(
            shown(
                az(
                    "network vnet show --ids {vnet} --query {q}",
                    vnet=place.vnet_id,
                    q="{location: location, space: addressSpace.addressPrefixes}",
                )
            )
            + f" shows {place.location} and {place.vnet_prefix}."
        ),
        rollback=shown(az("network vnet delete --ids {vnet}", vnet=place.vnet_id))
        + " (only while nothing is in it).",
        notes=tuple(notes),
    )


def _peering(app: AppFacts, place: Place, gateway: GatewayFacts | None, *, new_vnet: bool) -> Step:
    old_id = place.peer_with or app.vnet_id or "<TARGET_VNET_ID>"
    old_name = last_segment(old_id) or "old"
    old_rg = id_part(old_id, "resourceGroups") or "<RESOURCE_GROUP>"
    transit = needs_gateway_transit(app, gateway)
    to_new = f"peer-{old_name}-to-{place.vnet_name}"
    to_old = f"peer-{place.vnet_name}-to-{old_name}"
    create = (
        "network vnet peering create -g {rg} --vnet-name {vnet} -n {name} --remote-vnet {remote} "
        "--allow-vnet-access true --allow-forwarded-traffic true {transit} --subscription {sub}"
    )
    # The old (hub) side first: useRemoteGateways on the new side needs allowGatewayTransit on the old one.
    hub = az(
        create,
        rg=old_rg,
        vnet=old_name,
        name=to_new,
        remote=place.vnet_id,
        transit=["--allow-gateway-transit", "true"] if transit else None,
        sub=id_part(old_id, "subscriptions"),
    )
    spoke = az(
        create,
        rg=place.vnet_rg,
        vnet=place.vnet_name,
        name=to_old,
        remote=old_id,
        transit=["--use-remote-gateways", "true"] if transit else None,
        sub=place.subscription,
    )
    if transit:
        uses = ", ".join(sorted(set(app.gateway_other_uses) & TRANSIT_USES)) or "ExpressRoute"
        why_transit = (
            f"Gateway transit: on-premises or other VNets are reached through the gateway of {old_name} ({uses}), "
            "so the new VNet uses it too (allowGatewayTransit on the old side, useRemoteGateways on the new side); "
            f"on-premises must route {place.vnet_prefix or place.prefix} back (BGP advertises it; static routes need it)."
        )
    else:
        why_transit = (
            f"No gateway transit: nothing shows on-premises being reached through {old_name}'s gateway."
        )
    notes = [
        why_transit,
        FORWARDED_TRAFFIC,
    ]
    if not new_vnet:
        notes.append(
            f"{place.vnet_name} already exists: skip this step if it is already peered with {old_name}."
        )
    return Step(
        phase="network",
        title=f"Peer {place.vnet_name} with {old_name} in both directions",
        commands=(hub, spoke),
        deploy=(  # the old (hub) side first: useRemoteGateways needs allowGatewayTransit on the other side
            Deploy(
                "peering",
                id_part(old_id, "subscriptions") or place.subscription,
                old_rg,
                {
                    "vnetName": old_name,
                    "name": to_new,
                    "remoteVnetId": place.vnet_id,
                    "allowGatewayTransit": transit,
                },
            ),
            Deploy(
                "peering",
                place.subscription,
                place.vnet_rg,
                {
                    "vnetName": place.vnet_name,
                    "name": to_old,
                    "remoteVnetId": old_id,
                    "useRemoteGateways": transit,
                },
            ),
        ),
        validation=(
            shown(
                az(
                    "network vnet peering show -g {rg} --vnet-name {vnet} -n {name} --subscription {sub} --query {q}",
                    rg=place.vnet_rg,
                    vnet=place.vnet_name,
                    name=to_old,
                    sub=place.subscription,
                    q="{state: peeringState, sync: peeringSyncLevel}",
                )
            )
            + f" shows Connected and FullyInSync, and so does {to_new} on {old_name}."
        ),
        rollback=(
            shown(
                az(
                    "network vnet peering delete -g {rg} --vnet-name {vnet} -n {name} --subscription {sub}",
                    rg=place.vnet_rg,
                    vnet=place.vnet_name,
                    name=to_old,
                    sub=place.subscription,
                )
            )
            + ", then "
            + shown(
                az(
                    "network vnet peering delete -g {rg} --vnet-name {vnet} -n {name} --subscription {sub}",
                    rg=old_rg,
                    vnet=old_name,
                    name=to_new,
                    sub=id_part(old_id, "subscriptions"),
                )
            )
        ),
        manual=not new_vnet,
        notes=tuple(notes),
    )


def _private_dns_links(app: AppFacts, place: Place) -> Step:
    old_id = place.peer_with or app.vnet_id or ""
    query = (
        "resources | where type =~ 'microsoft.network/privatednszones/virtualnetworklinks' "
        f"and properties.virtualNetwork.id =~ '{old_id}' "
        "| project zone = tostring(split(id, '/')[8]), resourceGroup, subscriptionId"
    )
    link = f"link-{place.vnet_name}"
    in_zone = "-g <ZONE_RESOURCE_GROUP> -z <ZONE_NAME> --subscription <ZONE_SUBSCRIPTION_ID>"
    return Step(
        phase="network",
        title=f"Link the private DNS zones of {last_segment(old_id)} to {place.vnet_name}",
        commands=(
            az("graph query -q {q} --first {first}", q=query, first=GRAPH_FIRST),
            az(
                f"network private-dns link vnet create {in_zone} -n {{link}} -v {{vnet}} -e false",
                link=link,
                vnet=place.vnet_id,
            ),
        ),
        validation=(
            f"Every zone the query lists is also linked to {place.vnet_name} ("
            + shown(az(f"network private-dns link vnet list {in_zone} --query {{q}}", q="[].name"))
            + f" lists {link})."
        ),
        rollback=shown(az(f"network private-dns link vnet delete {in_zone} -n {{link}} --yes", link=link)),
        manual=True,
        notes=(
            f"The old VNet has no custom DNS servers, so names in private zones resolve only through zones linked to "
            f"the VNet: link each zone the query lists to {place.vnet_name} (second command, once per zone).",
            GRAPH_NOTE,
        ),
    )


def _vnet_ready(place: Place, by: str) -> Step:
    return Step(
        phase="pre-check",
        title=f"VNet {place.vnet_name} ready (created with {by})",
        commands=(
            az(
                "network vnet show --ids {vnet} --query {q}",
                vnet=place.vnet_id,
                q="{location: location, space: addressSpace.addressPrefixes}",
            ),
        ),
        validation=f"The VNet exists in {place.location} with {place.vnet_prefix}.",
        rollback=READ_ONLY,
    )


def _add_address_space(place: Place, addition: str) -> Step:
    return Step(
        phase="network",
        title=f"Add {addition} to the address space of {place.vnet_name}",
        commands=(
            az(
                "network vnet update --ids {vnet} --add addressSpace.addressPrefixes {prefix}",
                vnet=place.vnet_id,
                prefix=addition,
            ),
            az(
                "network vnet peering list -g {rg} --vnet-name {vnet} --subscription {sub} --query {q}",
                rg=place.vnet_rg,
                vnet=place.vnet_name,
                sub=place.subscription,
                q="[].{name: name, remote: remoteVirtualNetwork.id, sync: peeringSyncLevel}",
            ),
        ),
        validation=(
            shown(
                az(
                    "network vnet show --ids {vnet} --query {q}",
                    vnet=place.vnet_id,
                    q="addressSpace.addressPrefixes",
                )
            )
            + f" lists {addition}; every peering listed shows sync FullyInSync."
        ),
        rollback=(
            f"While no subnet uses it, remove {addition} again (portal: {place.vnet_name} > Address space, or "
            + shown(
                az(
                    "network vnet update --ids {vnet} --address-prefixes <PREVIOUS_ADDRESS_PREFIXES>",
                    vnet=place.vnet_id,
                )
            )
            + " with the list the pre-check showed)."
        ),
        notes=(
            f"NO_SUBNET_SPACE: {place.vnet_name} has no free range of the needed size; {addition} is the smallest "
            "addition that fits the integration subnet and overlaps no range in the tenant.",
            PEERING_SYNC,
        ),
    )


def _subnet_check(app: AppFacts, place: Place) -> Step:
    nsg_note = SUBNET_CONTROLS
    if place.new_subnet:
        after = f" (once {place.address_space_addition} is added)" if place.address_space_addition else ""
        query = (
            "{addressSpace: addressSpace.addressPrefixes, subnets: subnets[].{name: name, prefix: addressPrefix, "
            "prefixes: addressPrefixes, nsg: networkSecurityGroup.id, routeTable: routeTable.id, natGateway: natGateway.id}}"
        )
        return Step(
            phase="pre-check",
            title=f"Check that {place.prefix} is free in {place.vnet_name} for subnet {place.subnet_name}",
            commands=(az("network vnet show --ids {vnet} --query {q}", vnet=place.vnet_id, q=query),),
            validation=(
                f"{place.prefix} lies inside the address space{after} and overlaps no listed subnet; no subnet is "
                f"named {place.subnet_name}. Note the NSG, route table and NAT gateway the other subnets use and decide "
                f"whether {place.subnet_name} needs the same (add --network-security-group / --route-table to the "
                "create command)."
            ),
            rollback=READ_ONLY,
            notes=(nsg_note,),
        )
    query = (
        "{prefix: addressPrefix, delegations: delegations[].serviceName, ipConfigurations: ipConfigurations[].id, "
        "privateEndpoints: privateEndpoints[].id, links: serviceAssociationLinks[].{type: linkedResourceType, link: link}, "
        "endpointPolicies: serviceEndpointPolicies[].id, serviceEndpoints: serviceEndpoints[].service, "
        "nsg: networkSecurityGroup.id, routeTable: routeTable.id, natGateway: natGateway.id}"
    )
    return Step(
        phase="pre-check",
        title=f"Check that subnet {place.subnet_name} is empty or already delegated to plan {app.plan_name}",
        commands=(
            az("network vnet subnet show --ids {subnet} --query {q}", subnet=place.subnet_id, q=query),
        ),
        validation=(
            f"ipConfigurations and privateEndpoints are empty, or delegations shows {DELEGATION} with an AppServiceLink "
            f"to plan {app.plan_name}; endpointPolicies is empty (regional integration refuses them); prefix is "
            f"{place.prefix}."
        ),
        rollback=READ_ONLY,
        notes=(nsg_note,),
    )


def _create_subnet(app: AppFacts, place: Place, services: tuple[str, ...]) -> Step:
    values = {
        "rg": place.vnet_rg,
        "vnet": place.vnet_name,
        "name": place.subnet_name,
        "prefix": place.prefix,
        "id": place.subnet_id,
        "delegation": DELEGATION,
        "endpoints": list(services),
        "sub": place.subscription,
    }
    if place.new_subnet:
        command = az(
            "network vnet subnet create -g {rg} --vnet-name {vnet} -n {name} --address-prefixes {prefix} "
            "--delegations {delegation} --service-endpoints {endpoints} --subscription {sub}",
            **values,
        )
        title = f"Create subnet {place.subnet_name} ({place.prefix}) in {place.vnet_name}, delegated to {DELEGATION}"
        rollback = (
            shown(az("network vnet subnet delete --ids {subnet}", subnet=place.subnet_id))
            + " (only while no app is integrated: the AppServiceLink blocks deletion until every app is disconnected)"
        )
    else:
        command = az(
            "network vnet subnet update --ids {id} --delegations {delegation} --service-endpoints {endpoints}",
            **values,
        )
        title = f"Delegate the existing subnet {place.subnet_name} ({place.prefix}) to {DELEGATION}"
        rollback = (
            shown(
                az("network vnet subnet update --ids {subnet} --remove delegations", subnet=place.subnet_id)
            )
            + " (only while no app uses it)"
        )
    notes: list[str] = [ONE_SUBNET_PER_PLAN]
    if services:
        notes += [f"Service endpoints {', '.join(services)}.", ENDPOINTS_NEEDED]
        if not place.new_subnet:
            notes.append(ENDPOINTS_REPLACED)
    return Step(
        phase="network",
        title=title,
        commands=(command,),
        # Only a new subnet: a PUT of an existing one would drop its NSG, route table and other settings.
        deploy=(
            (
                Deploy(
                    "subnet",
                    place.subscription,
                    place.vnet_rg,
                    {
                        "vnetName": place.vnet_name,
                        "name": place.subnet_name,
                        "addressPrefix": place.prefix,
                        "serviceEndpoints": list(services),
                    },
                ),
            )
            if place.new_subnet
            else ()
        ),
        validation=(
            shown(
                az(
                    "network vnet subnet show --ids {subnet} --query {q}",
                    subnet=place.subnet_id,
                    q="{prefix: addressPrefix, delegation: delegations[0].serviceName, endpoints: serviceEndpoints[].service}",
                )
            )
            + f" shows {place.prefix} and {DELEGATION}."
        ),
        rollback=rollback,
        notes=tuple(notes),
    )


def _subnet_ready(place: Place, by: str) -> Step:
    return Step(
        phase="pre-check",
        title=f"Subnet {place.subnet_name} ready (created with {by})",
        commands=(
            az(
                "network vnet subnet show --ids {subnet} --query {q}",
                subnet=place.subnet_id,
                q="{prefix: addressPrefix, delegation: delegations[0].serviceName}",
            ),
        ),
        validation=f"Shows {place.prefix} and {DELEGATION}; if not, do that app's subnet step first.",
        rollback=READ_ONLY,
    )


def _endpoint_rule(resource: RuledResource, place: Place) -> Step:
    recipe = vnet_rule(resource, place.subnet_id, place.subnet_name)
    short_type = resource.type.split("/", 1)[-1] if resource.type else "resource"
    title = f"Admit {place.subnet_name} on {short_type} {resource.name} (service endpoint VNet rule)"
    why = ENDPOINT_RULE
    if recipe is None:
        return Step(
            phase="network",
            title=title,
            commands=(az("resource show --ids {id} --query properties", id=resource.id),),
            validation=f"The resource's virtual network rules list {place.subnet_id}.",
            rollback=f"Remove {place.subnet_id} from the resource's virtual network rules.",
            manual=True,
            notes=(
                why,
                f"No CLI recipe for type {resource.type}: add {place.subnet_id} to its virtual network rules "
                "(portal: the resource's Networking page).",
            ),
        )
    return Step(
        phase="network",
        title=title,
        commands=(recipe.add,),
        validation=f"{shown(recipe.check)} lists {place.subnet_id}.",
        rollback=shown(recipe.remove),
        notes=(why,),
    )


def _unknown_endpoint_resources(app: AppFacts, place: Place) -> Step:
    query = f"resources | where tostring(properties) contains '{app.vnet_id or app.vnet_name}/subnets/' | project id, type"
    return Step(
        phase="network",
        title=f"Find the resources that admit {app.vnet_name}'s subnets and admit {place.subnet_name} on them",
        commands=(az("graph query -q {q} --first {first}", q=query, first=GRAPH_FIRST),),
        validation=f"Each listed resource's virtual network rules also name {place.subnet_id}.",
        rollback=f"Remove {place.subnet_id} from those rules again.",
        manual=True,
        notes=(
            "SERVICE_ENDPOINTS is on this app but the plan names no resource: search for them.",
            GRAPH_NOTE,
        ),
    )


def _vault_access(app: AppFacts, ref: KeyVaultRef, place: Place) -> Step:
    name = ref.vault or last_segment(ref.vault_id) or "<VAULT_NAME>"
    identity_note = VAULT_IDENTITY
    if (ref.public_network_access or "").lower() == "disabled":
        return Step(
            phase="network",
            title=f"Reach Key Vault {name} through its private endpoint from {place.subnet_name}",
            commands=(az("network private-endpoint-connection list --id {id}", id=ref.vault_id or name),),
            validation=(
                f"A private endpoint is Approved, and from the Kudu console nameresolver {name}.vault.azure.net "
                "returns its private address."
            ),
            rollback="Nothing changed.",
            manual=True,
            notes=(
                f"KEYVAULT_REFERENCES: {name} has public network access disabled, so a VNet rule does not help; "
                f"the VNet's DNS must resolve {name}.vault.azure.net to the private endpoint "
                "(privatelink.vaultcore.azure.net linked to the VNet).",
                identity_note,
            ),
        )
    why = (
        f"KEYVAULT_REFERENCES: setting {ref.setting or '(a setting)'} of {app.name} references {name}, which blocks "
        "public access; App Service retries the reference through regional integration, so the vault must admit "
        f"{place.subnet_name} (whose Microsoft.KeyVault service endpoint comes with the subnet)."
    )
    if not ref.vault_id:
        return Step(
            phase="network",
            title=f"Admit {place.subnet_name} on Key Vault {name}",
            commands=(
                az(
                    "keyvault network-rule add --name {name} --subnet {subnet}",
                    name=name,
                    subnet=place.subnet_id,
                ),
            ),
            validation=shown(
                az(
                    "keyvault network-rule list --name {name} --query {q}",
                    name=name,
                    q="virtualNetworkRules[].id",
                )
            )
            + f" lists {place.subnet_id}.",
            rollback=shown(
                az(
                    "keyvault network-rule remove --name {name} --subnet {subnet}",
                    name=name,
                    subnet=place.subnet_id,
                )
            ),
            notes=(
                why,
                f"The vault {name} is not in the inventory: check its name and subscription.",
                identity_note,
            ),
        )
    vault = RuledResource(id=ref.vault_id, type="microsoft.keyvault/vaults", services=("Microsoft.KeyVault",))
    recipe = vnet_rule(vault, place.subnet_id, place.subnet_name)
    assert recipe is not None  # Key Vault has a recipe
    return Step(
        phase="network",
        title=f"Admit {place.subnet_name} on Key Vault {name}",
        commands=(recipe.add,),
        validation=f"{shown(recipe.check)} lists {place.subnet_id}.",
        rollback=shown(recipe.remove),
        notes=(why, identity_note),
    )


def firewall_step(app: AppFacts, place: Place, ctx: AppContext) -> Step:
    """Allow the new subnet range wherever the point-to-site pool is allowed (manual: much is outside Azure)."""
    pools = list(app.p2s_pools or (ctx.gateway.p2s_pools if ctx.gateway else ())) or ["<P2S_POOL>"]
    condition = " or ".join(f"tostring(properties) contains '{p}'" for p in pools)
    onprem_uses = sorted(
        (set(app.gateway_other_uses) & TRANSIT_USES) | (set(app.limitations) & ON_PREMISES_CODES)
    )
    onprem = ""
    if onprem_uses:
        onprem = (
            f" On-premises is reached through {app.gateway_name or 'the gateway'} ({', '.join(onprem_uses)}): "
            f"{place.prefix} is inside the VNet's address space, so BGP advertises it; static on-premises routes and "
            "on-premises firewalls need it added."
        )
    return Step(
        phase="firewall",
        title=f"Allow {place.prefix} wherever the point-to-site pool {', '.join(pools)} is allowed",
        commands=(
            az(
                "graph query -q {q} --first {first}",
                q=f"resources | where {condition} | project id, type, resourceGroup",
                first=GRAPH_FIRST,
            ),
        ),
        validation=(
            f"Every NSG rule, Azure Firewall rule, route, IP rule (storage, SQL, Key Vault) and on-premises firewall "
            f"or ACL that admits {', '.join(pools)} also admits {place.prefix}; on-premises routes send {place.prefix} "
            f"back to Azure.{onprem}"
        ),
        rollback=f"Leaving {place.prefix} allowed is harmless; remove it only if the move is abandoned.",
        manual=True,
        notes=(
            f"From the cutover on, traffic of plan {app.plan_name}'s apps into the VNet comes from {place.prefix} "
            f"(WEBSITE_PRIVATE_IP is an address of it), no longer from the point-to-site pool {', '.join(pools)}.",
            POOL_KEEP,
            POOL_QUERY,
            GRAPH_NOTE,
        ),
    )
