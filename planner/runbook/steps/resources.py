"""What the runbook knows per Azure resource type: its service endpoint, how to admit a subnet in
its VNet rules, and which host and port to test from the Kudu console.

Only types with a CLI command of their own are listed; any other type gets a manual step that
names the resource, because a generic `az resource update` on the wrong property path would
silently do nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.core.ids import id_part
from planner.runbook.steps.facts import RuledResource
from planner.runbook.steps.step import az


@dataclass(frozen=True)
class VnetRuleRecipe:
    """How to admit, list and remove a subnet in one resource's VNet rules."""

    add: str
    check: str
    remove: str


# resource type (lower case) -> (service endpoint, "<name-template>:<port>" to test from Kudu)
KNOWN_TYPES: dict[str, tuple[str, str]] = {
    "microsoft.storage/storageaccounts": ("Microsoft.Storage", "{name}.blob.core.windows.net:443"),
    "microsoft.sql/servers": ("Microsoft.Sql", "{name}.database.windows.net:1433"),
    "microsoft.keyvault/vaults": ("Microsoft.KeyVault", "{name}.vault.azure.net:443"),
    "microsoft.documentdb/databaseaccounts": ("Microsoft.AzureCosmosDB", "{name}.documents.azure.com:443"),
    "microsoft.eventhub/namespaces": ("Microsoft.EventHub", "{name}.servicebus.windows.net:443"),
    "microsoft.servicebus/namespaces": ("Microsoft.ServiceBus", "{name}.servicebus.windows.net:443"),
    "microsoft.containerregistry/registries": ("Microsoft.ContainerRegistry", "{name}.azurecr.io:443"),
    "microsoft.cognitiveservices/accounts": (
        "Microsoft.CognitiveServices",
        "{name}.cognitiveservices.azure.com:443",
    ),
    "microsoft.web/sites": ("Microsoft.Web", "{name}.azurewebsites.net:443"),
    "microsoft.dbforpostgresql/servers": ("Microsoft.Sql", "{name}.postgres.database.azure.com:5432"),
    "microsoft.dbformysql/servers": ("Microsoft.Sql", "{name}.mysql.database.azure.com:3306"),
}


def service_endpoint(resource: RuledResource) -> tuple[str, ...]:
    """The service endpoint(s) the new subnet needs to reach this resource."""
    known = KNOWN_TYPES.get(resource.type.lower())
    if known:
        return (known[0],)
    # The analysis lists the endpoints of the old subnets; without a type match keep them all.
    return resource.services


def test_endpoint(resource_type: str, name: str) -> str | None:
    """`host:port` to tcpping from the Kudu console (public Azure cloud host names)."""
    known = KNOWN_TYPES.get(resource_type.lower())
    return known[1].format(name=name.lower()) if known else None


def vnet_rule(resource: RuledResource, subnet_id: str, subnet_name: str) -> VnetRuleRecipe | None:
    """Commands that admit `subnet_id` on the resource, or None when there is no CLI recipe."""
    kind = resource.type.lower()
    v = {
        "name": resource.name,
        "rg": id_part(resource.id, "resourceGroups") or "<RESOURCE_GROUP>",
        "sub": id_part(resource.id, "subscriptions"),
        "subnet": subnet_id,
        "rule": f"allow-{subnet_name}"[:128],
        "hub_subnet": f"id={subnet_id}",
        "rule_set": f"{resource.id}/networkRuleSets/default",
    }
    if kind == "microsoft.storage/storageaccounts":
        base = "storage account network-rule {verb} --account-name {name} -g {rg} --subscription {sub}"
        return _recipe(base, v, "virtualNetworkRules[].virtualNetworkResourceId")
    if kind == "microsoft.keyvault/vaults":
        return _recipe(
            "keyvault network-rule {verb} --name {name} -g {rg} --subscription {sub}",
            v,
            "virtualNetworkRules[].id",
        )
    if kind == "microsoft.documentdb/databaseaccounts":
        return _recipe("cosmosdb network-rule {verb} --name {name} -g {rg} --subscription {sub}", v, "[].id")
    if kind == "microsoft.containerregistry/registries":
        base = "acr network-rule {verb} --name {name} -g {rg} --subscription {sub}"
        return _recipe(base, v, "virtualNetworkRules[].virtualNetworkResourceId")
    if kind == "microsoft.cognitiveservices/accounts":
        base = "cognitiveservices account network-rule {verb} --name {name} -g {rg} --subscription {sub}"
        return _recipe(base, v, "virtualNetworkRules[].id")
    if kind == "microsoft.sql/servers":
        base = "sql server vnet-rule {verb} --server {name} -g {rg} --subscription {sub}"
        return VnetRuleRecipe(
            add=az(base.replace("{verb}", "create") + " -n {rule} --subnet {subnet}", **v),
            check=az(base.replace("{verb}", "list") + " --query {q}", q="[].virtualNetworkSubnetId", **v),
            remove=az(base.replace("{verb}", "delete") + " -n {rule}", **v),
        )
    if kind in ("microsoft.eventhub/namespaces", "microsoft.servicebus/namespaces"):
        group = "eventhubs" if kind.startswith("microsoft.eventhub") else "servicebus"
        base = (
            group
            + " namespace network-rule-set virtual-network-rule {verb} --namespace-name {name} -g {rg} --subscription {sub}"
        )
        return VnetRuleRecipe(
            add=az(
                base.replace("{verb}", "add") + " --subnet {hub_subnet} ignore-missing-endpoint=false", **v
            ),
            check=az(
                "resource show --ids {rule_set} --query {q}",
                q="properties.virtualNetworkRules[].subnet.id",
                **v,
            ),
            remove=az(base.replace("{verb}", "remove") + " --subnet {hub_subnet}", **v),
        )
    return None


def _recipe(base: str, values: dict[str, str | None], query: str) -> VnetRuleRecipe:
    """add/list/remove for the many types whose network-rule commands share one shape."""
    return VnetRuleRecipe(
        add=az(base.replace("{verb}", "add") + " --subnet {subnet}", **values),
        check=az(base.replace("{verb}", "list") + " --query {q}", q=query, **values),
        remove=az(base.replace("{verb}", "remove") + " --subnet {subnet}", **values),
    )
