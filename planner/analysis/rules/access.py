"""Rules about what the app reaches: service-endpoint-locked resources and Key Vault references."""

from __future__ import annotations

from planner.analysis.rules.base import AppContext, Evidence, Verdict, join_reasons, no, unknown, yes
from planner.core.ids import norm_id
from planner.inventory import loader as inv


def check_service_endpoints(ctx: AppContext) -> Verdict:
    """Resources admit traffic only from subnets of the integrated VNet, through service endpoints.

    Reads `networkAcls.virtualNetworkRules` (storage, Key Vault, Cognitive Services),
    `virtualNetworkRules` (Cosmos DB, SQL) and `networkRuleSet.virtualNetworkRules` (Container Registry,
    Event Hubs, Service Bus) of every resource in the tenant, where the resource denies other traffic
    (`defaultAction` Deny, `publicNetworkAccess` Disabled, or Cosmos DB's `isVirtualNetworkFilterEnabled`).
    """
    if not ctx.vnet_id:
        return unknown("the connection has no vnetResourceId")
    rules = ctx.tenant.vnet_rules_by_vnet.get(norm_id(ctx.vnet_id), [])
    locked = [r for r in rules if r.restricted is True]
    if locked:
        return yes(
            *(
                Evidence("SERVICE_ENDPOINTS", r.resource_id, r.field, r.subnet_id, note=r.resource_type)
                for r in locked
            )
        )
    if any(r.restricted is None for r in rules):
        return unknown(
            "a resource names a subnet of this VNet but its default network action is not in the data"
        )
    return no()


def check_keyvault_references(ctx: AppContext) -> Verdict:
    """The app's settings reference a Key Vault whose network access is restricted.

    Reads the app's Key Vault references (`config/configreferences/appsettings`: setting name and
    vault, never a value) and the vault's `networkAcls.defaultAction` / `publicNetworkAccess`.
    """
    read = ctx.tenant.was_read("keyVaultReferences", ctx.app.id)
    if read is not True:
        reason = ctx.tenant.failure_reason("keyVaultReferences", ctx.app.id)
        return unknown(
            f"reading the app's Key Vault references failed ({reason})"
            if reason
            else "the app's Key Vault references were not read"
        )
    evidence: list[Evidence] = []
    missing: list[str] = []
    vault_unseen = False
    for reference in ctx.tenant.kv_references.get(norm_id(ctx.app.id), []):
        if not reference.vault_name:
            missing.append(f"setting {reference.setting} names no vault")
            continue
        vault = ctx.tenant.vaults_by_name.get(reference.vault_name.lower())
        if vault is None:
            missing.append(f"vault {reference.vault_name} is not in the inventory")
            vault_unseen = True
            continue
        if vault.restricted is None:
            missing.append(f"vault {vault.name} has no network settings in the data")
            continue
        if vault.restricted:
            field, value = (
                ("properties.publicNetworkAccess", vault.public_network_access)
                if (vault.public_network_access or "").lower() == "disabled"
                else ("properties.networkAcls.defaultAction", vault.default_action)
            )
            evidence.append(
                Evidence(
                    "KEYVAULT_REFERENCES", vault.id, field, value, note=f"app setting {reference.setting}"
                )
            )
    if evidence:
        return yes(*evidence)
    if missing:
        return unknown(join_reasons(*missing, ctx.tenant.gap_note(inv.VAULT) if vault_unseen else None))
    return no()
