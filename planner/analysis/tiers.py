"""App Service plan tiers: which integration each allows (azure-facts §2.3, §2.4).

One place for the scanner (which apps get the per-app ARM calls), the planner (which unread apps
are "unknown") and the rules (PLAN_UNSUPPORTED), so they never disagree. Tiers are compared in
lower case; ARM's casing varies by value.
"""

from __future__ import annotations

import re

# Tiers on which gateway-required integration cannot exist. Every other tier, including tiers this
# list does not know yet, may carry it: an unknown tier is read, never assumed free of it.
GATEWAY_FREE_TIERS = frozenset(
    {
        "free",
        "shared",
        "dynamic",
        "elasticpremium",
        "flexconsumption",
        "isolated",
        "isolatedv2",
        "isolatedmv2",
    }
)
# Tiers where regional integration exists.
REGIONAL_TIERS = frozenset(
    {
        "premium",
        "premiumv2",
        "premiumv3",
        "premium0v3",
        "premiummv3",
        "premiumv4",
        "premiummv4",
        "elasticpremium",
        "flexconsumption",
    }
)
# Regional integration only on newer scale units: networkConfig/virtualNetwork.swiftSupported tells.
SWIFT_CHECK_TIERS = frozenset({"basic", "standard"})
# No regional integration: shared infrastructure, Consumption, or an App Service Environment.
NO_REGIONAL_TIERS = frozenset({"free", "shared", "dynamic", "isolated", "isolatedv2", "isolatedmv2"})

# sku.name -> tier, for plans whose sku lacks `tier` (azure-facts §2.3, CLI get_sku_tier).
_SKU_TIERS: tuple[tuple[str, str], ...] = (
    (r"f\d+", "free"),
    (r"d\d+", "shared"),
    (r"b\d+", "basic"),
    (r"s\d+", "standard"),
    (r"p\d+", "premium"),
    (r"p\d+v2", "premiumv2"),
    (r"p0v3", "premium0v3"),
    (r"p\d+v3", "premiumv3"),
    (r"p\d+mv3", "premiummv3"),
    (r"p\d+v4", "premiumv4"),
    (r"p\d+mv4", "premiummv4"),
    (r"ep\d+", "elasticpremium"),
    (r"y\d+", "dynamic"),
    (r"fc\d+", "flexconsumption"),
    (r"i\d+", "isolated"),
    (r"i\d+v2", "isolatedv2"),
    (r"i\d+mv2", "isolatedmv2"),
    (r"ws\d+", "workflowstandard"),
)


def tier_from_sku(tier: str | None, name: str | None) -> str | None:
    """The tier in lower case: `sku.tier`, else derived from `sku.name`; None when neither tells."""
    if tier and tier.strip():
        return tier.strip().lower()
    lowered = (name or "").strip().lower()
    for pattern, derived in _SKU_TIERS:
        if re.fullmatch(pattern, lowered):
            return derived
    return None


def gateway_possible(tier: str | None) -> bool:
    """Whether gateway-required integration can exist on this tier (unknown tiers: yes)."""
    return tier is None or tier.lower() not in GATEWAY_FREE_TIERS
