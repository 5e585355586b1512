"""Steps for a VPN gateway once its last gateway-required app has moved.

decommission "yes": confirm nothing uses it, remove the apps' root certificates, the point-to-site
configuration, then the gateway and its public IPs (with the savings). "verify": the checks to make
first, then the same removal as manual steps. "no": remove only what the apps used, and say why the
gateway stays. Deleting the point-to-site configuration or the gateway cannot be undone for
gateway-required integration (SSTP cannot be enabled after 2026-03-31), so those steps are manual:
a person reads the checks before they run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from planner.analysis.rules import USES_BY_CODE
from planner.core.ids import id_part, last_segment
from planner.runbook.steps.facts import GatewayFacts
from planner.runbook.steps.step import GRAPH_FIRST, GRAPH_NOTE, Step, arm_url, az, shown


@dataclass(frozen=True)
class GatewayContext:
    """What the gateway steps need from the rest of the plan."""

    removal_wave: int | None
    dependent_names: Mapping[str, str]  # app id (lower case) -> app name, for the checks
    currency: str = "USD"


def build_gateway_steps(gw: GatewayFacts, ctx: GatewayContext) -> list[Step]:
    """The clean-up or decommission steps of one gateway, in order."""
    if gw.decommission == "yes":
        return [
            _confirm_unused(gw, ctx, manual=False),
            *_remove_app_certificates(gw),
            _remove_p2s(gw, conditional=False),
            _delete_gateway(gw, ctx, conditional=False),
            *_delete_public_ips(gw, conditional=False),
            _retire_pool_rules(gw),
        ]
    if gw.decommission == "verify":
        return [
            _confirm_unused(gw, ctx, manual=True),
            *_remove_app_certificates(gw),
            _remove_p2s(gw, conditional=True),
            _delete_gateway(gw, ctx, conditional=True),
            *_delete_public_ips(gw, conditional=True),
            _retire_pool_rules(gw),
        ]
    steps = [*_remove_app_certificates(gw), _keep(gw)]
    sstp = any(p.upper() == "SSTP" for p in gw.p2s_protocols)
    clients = "P2S_CLIENTS" in gw.other_uses or "P2S_CLIENTS" in gw.other_uses_weak
    if clients and sstp:
        steps.append(_move_clients_off_sstp(gw))
    elif not clients and gw.p2s_pools:
        steps.append(_remove_p2s(gw, conditional=False, keep_gateway=True))
        steps.append(_retire_pool_rules(gw))
    return steps


def _g(gw: GatewayFacts) -> dict[str, str | None]:
    return {"rg": gw.resource_group or "<RESOURCE_GROUP>", "gw": gw.name, "sub": gw.subscription_id}


def _confirm_unused(gw: GatewayFacts, ctx: GatewayContext, *, manual: bool) -> Step:
    v = _g(gw)
    gw_query = (
        "{sku: sku.name, pool: vpnClientConfiguration.vpnClientAddressPool.addressPrefixes, "
        "protocols: vpnClientConfiguration.vpnClientProtocols, auth: vpnClientConfiguration.vpnAuthenticationTypes, "
        "rootCertificates: vpnClientConfiguration.vpnClientRootCertificates[].name}"
    )
    commands = [
        az("network vnet-gateway show -g {rg} -n {gw} --subscription {sub} --query {q}", q=gw_query, **v),
        az("network vnet-gateway vpn-client show-health -g {rg} -n {gw} --subscription {sub}", **v),
        az(
            "network vpn-connection list -g {rg} --subscription {sub} --query {q}",
            rg=v["rg"],
            sub=v["sub"],
            q="[].{name: name, type: connectionType, gateway1: virtualNetworkGateway1.id, gateway2: virtualNetworkGateway2.id}",
        ),
    ]
    if gw.vnet_id:
        vnet_rg = id_part(gw.vnet_id, "resourceGroups")
        commands.append(
            az(
                "network vnet peering list -g {rg} --vnet-name {vnet} --subscription {sub} --query {q}",
                rg=vnet_rg,
                vnet=last_segment(gw.vnet_id),
                sub=gw.subscription_id,
                q="[].{name: name, remote: remoteVirtualNetwork.id, gatewayTransit: allowGatewayTransit}",
            )
        )
    for app_id in gw.dependents:
        commands.append(
            az(
                "rest --method get --url {url} --query {q}",
                url=arm_url(app_id, "/virtualNetworkConnections"),
                q="[?properties.isSwift != `true`].name",
            )
        )
    names = (
        ", ".join(ctx.dependent_names.get(a.lower(), last_segment(a) or a) for a in gw.dependents) or "none"
    )
    why = gw.decommission_reason or ""
    weak = f" Weak signals to rule out: {', '.join(gw.other_uses_weak)}." if gw.other_uses_weak else ""
    return Step(
        phase="pre-check",
        title=f"Confirm that nothing uses gateway {gw.name} any more",
        commands=tuple(commands),
        validation=(
            "Keep the show output (the gateway's record). The point-to-site health shows no connected clients; no "
            f"connection lists {gw.name} as gateway1 or gateway2; no peering has gatewayTransit true; and each "
            f"dependent app ({names}) lists no gateway-required connection (empty list)." + weak
        ),
        rollback="Nothing to undo: read-only.",
        manual=manual,
        notes=(f"Decide before going on: {why or 'the analysis could not rule out other uses'}.",)
        if manual
        else (),
    )


def _remove_app_certificates(gw: GatewayFacts) -> list[Step]:
    certs = gw.certificates_of_apps
    v = _g(gw)
    if not certs:
        return [
            Step(
                phase="clean-up",
                title=f"Remove the root certificates App Service registered on {gw.name}",
                commands=(
                    az(
                        "network vnet-gateway show -g {rg} -n {gw} --subscription {sub} --query {q}",
                        **v,
                        q="vpnClientConfiguration.vpnClientRootCertificates[].name",
                    ),
                    az(
                        "network vnet-gateway root-cert delete -g {rg} --gateway-name {gw} -n <ROOT_CERT_NAME> "
                        "--subscription {sub}",
                        **v,
                    ),
                ),
                validation="The certificates of the migrated apps are gone; other users' certificates remain.",
                rollback="Re-add a certificate with "
                + shown(_readd_certificate(v, "<ROOT_CERT_NAME>"))
                + ".",
                notes=(_CERT_FILE_NOTE,),
            )
        ]
    commands = tuple(
        az(
            "network vnet-gateway root-cert delete -g {rg} --gateway-name {gw} -n {cert} --subscription {sub}",
            cert=c,
            **v,
        )
        for c in certs
    )
    others = [c for c in gw.root_certificates if c not in certs]
    return [
        Step(
            phase="clean-up",
            title=f"Remove the root certificates of the migrated apps from {gw.name}",
            commands=commands,
            validation=(
                shown(
                    az(
                        "network vnet-gateway show -g {rg} -n {gw} --subscription {sub} --query {q}",
                        q="vpnClientConfiguration.vpnClientRootCertificates[].name",
                        **v,
                    )
                )
                + f" no longer lists {', '.join(certs)}"
                + (f"; {', '.join(others)} remain." if others else ".")
            ),
            rollback="Re-add a certificate with " + shown(_readd_certificate(v, certs[0])) + ".",
            notes=(
                "Every app that registered these certificates has moved (this runs after the wave of the last one); "
                "a certificate left behind is a credential nobody needs.",
                _CERT_FILE_NOTE,
            ),
        )
    ]


_CERT_FILE_NOTE = (
    "To re-add a certificate, keep its data now (vpnClientRootCertificates[].publicCertData in the gateway's show "
    "output): --public-cert-data takes a file of the certificate's bytes, so decode the base64 text into a file."
)


def _readd_certificate(v: dict[str, str | None], name: str) -> str:
    return az(
        "network vnet-gateway root-cert create -g {rg} --gateway-name {gw} -n {name} --public-cert-data <CERT_FILE> "
        "--subscription {sub}",
        name=name,
        **v,
    )


def _remove_p2s(gw: GatewayFacts, *, conditional: bool, keep_gateway: bool = False) -> Step:
    v = _g(gw)
    prefix = "If the checks found no other use: " if conditional else ""
    pools = ", ".join(gw.p2s_pools) or "the pool"
    protocols = " ".join(p for p in gw.p2s_protocols if p.upper() != "SSTP") or "IkeV2 OpenVPN"
    return Step(
        phase="decommission" if not keep_gateway else "clean-up",
        title=f"{prefix}Remove the point-to-site configuration of {gw.name}",
        commands=(
            az(
                "network vnet-gateway update -g {rg} -n {gw} --remove vpnClientConfiguration --subscription {sub}",
                **v,
            ),
        ),
        validation=(
            shown(
                az(
                    "network vnet-gateway show -g {rg} -n {gw} --subscription {sub} --query {q}",
                    q="vpnClientConfiguration",
                    **v,
                )
            )
            + f" returns nothing; the pool {pools} is free."
        ),
        rollback=(
            shown(
                az(
                    "network vnet-gateway update -g {rg} -n {gw} --address-prefixes {pools} --client-protocol {protocols} "
                    "--subscription {sub}",
                    pools=list(gw.p2s_pools) or ["<P2S_POOL>"],
                    protocols=protocols.split(),
                    **v,
                )
            )
            + " — but not with SSTP: it cannot be enabled after 2026-03-31, so gateway-required integration cannot "
            "come back."
        ),
        manual=True,
        notes=(
            "Ends every remaining point-to-site connection: after it, no app can roll back to gateway-required.",
            "Removing the whole vpnClientConfiguration with --remove is a generic update; its effect is not verified "
            "against a live gateway (azure-facts §6): check with the validation command.",
        )
        + (
            (
                "The gateway itself stays (see the previous step); only App Service used its point-to-site side.",
            )
            if keep_gateway
            else ()
        ),
    )


def _delete_gateway(gw: GatewayFacts, ctx: GatewayContext, *, conditional: bool) -> Step:
    v = _g(gw)
    prefix = "If the checks found no other use: " if conditional else ""
    savings = gw.monthly_savings if not conditional else gw.potential_monthly_savings
    amount = f" (saves {savings:,.2f} {ctx.currency} a month)" if savings else ""
    return Step(
        phase="decommission",
        title=f"{prefix}Delete gateway {gw.name}{amount}",
        commands=(az("network vnet-gateway delete -g {rg} -n {gw} --subscription {sub}", **v),),
        validation=shown(
            az("network vnet-gateway list -g {rg} --subscription {sub} --query {q}", q="[].name", **v)
        )
        + f" no longer lists {gw.name}.",
        rollback=(
            "None for gateway-required integration: a new gateway cannot get SSTP after 2026-03-31. For other needs, "
            "re-create it from the show output recorded in the first step (new non-AZ VpnGw SKUs are no longer sold)."
        ),
        manual=True,
        notes=(
            f"{gw.sku or 'The'} gateway costs {gw.monthly_cost:,.2f} {ctx.currency} a month; deleting it takes a while "
            "(often tens of minutes)."
            if gw.monthly_cost
            else "Deleting a gateway takes a while (often tens of minutes).",
        ),
    )


def _delete_public_ips(gw: GatewayFacts, *, conditional: bool) -> list[Step]:
    if not gw.public_ip_ids:
        return []
    prefix = "If the checks found no other use: " if conditional else ""
    names = ", ".join(last_segment(p) or p for p in gw.public_ip_ids)
    return [
        Step(
            phase="decommission",
            title=f"{prefix}Delete the gateway's public IP address(es) {names}",
            commands=tuple(az("network public-ip delete --ids {ip}", ip=p) for p in gw.public_ip_ids),
            validation=shown(az("network public-ip show --ids {ip}", ip=gw.public_ip_ids[0]))
            + " reports ResourceNotFound.",
            rollback="None: the address is released for good.",
            manual=True,
            notes=("Check first that no DNS record or on-premises VPN device still points to the address.",),
        )
    ]


def _retire_pool_rules(gw: GatewayFacts) -> Step:
    pools = list(gw.p2s_pools) or ["<P2S_POOL>"]
    condition = " or ".join(f"tostring(properties) contains '{p}'" for p in pools)
    return Step(
        phase="clean-up",
        title=f"Remove the point-to-site pool {', '.join(pools)} from firewalls, NSGs and on-premises routes",
        commands=(
            az(
                "graph query -q {q} --first {first}",
                q=f"resources | where {condition} | project id, type, resourceGroup",
                first=GRAPH_FIRST,
            ),
        ),
        validation=f"No rule or route admits {', '.join(pools)} any more, in Azure or on-premises.",
        rollback="Re-add the entries removed.",
        manual=True,
        notes=(
            "The migrated apps' traffic comes from their integration subnets now; nothing uses the pool.",
            GRAPH_NOTE,
        ),
    )


def _keep(gw: GatewayFacts) -> Step:
    uses = [USES_BY_CODE[u].serves if u in USES_BY_CODE else u for u in gw.other_uses]
    uses = uses or ["uses the analysis reported"]
    return Step(
        phase="keep",
        title=f"Keep gateway {gw.name}: it also serves {', '.join(uses)}",
        validation="Nothing to check: the gateway stays.",
        rollback="Not applicable.",
        notes=(
            (gw.decommission_reason or "Other uses remain")
            + "; only what the migrated apps used is removed.",
        ),
    )


def _move_clients_off_sstp(gw: GatewayFacts) -> Step:
    v = _g(gw)
    basic = (gw.sku or "").lower() == "basic"
    notes = [
        "SSTP connections stop working on 2027-03-31 whatever happens to App Service; the remaining VPN users need "
        "IKEv2 or OpenVPN (with new client profiles)."
    ]
    if basic:
        notes.append(
            "A Basic gateway created before November 2025 may not offer IKEv2 or OpenVPN: it may need a SKU change first."
        )
    return Step(
        phase="clean-up",
        title=f"Move {gw.name}'s remaining point-to-site users off SSTP before 2027-03-31",
        commands=(
            az(
                "network vnet-gateway update -g {rg} -n {gw} --client-protocol IkeV2 OpenVPN --subscription {sub}",
                **v,
            ),
        ),
        validation=(
            shown(
                az(
                    "network vnet-gateway show -g {rg} -n {gw} --subscription {sub} --query {q}",
                    q="vpnClientConfiguration.vpnClientProtocols",
                    **v,
                )
            )
            + " shows IkeV2 and OpenVPN; users connect with the new profile."
        ),
        rollback="SSTP cannot be re-enabled after 2026-03-31.",
        manual=True,
        notes=tuple(notes),
    )
