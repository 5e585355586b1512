"""Rules about the app itself and its plan (azure-facts §2)."""

from __future__ import annotations

from planner.analysis.rules.base import AppContext, Evidence, Verdict, join_reasons, no, unknown, yes
from planner.analysis.tiers import NO_REGIONAL_TIERS, REGIONAL_TIERS, SWIFT_CHECK_TIERS, tier_from_sku
from planner.inventory import loader as inv


def check_linux(ctx: AppContext) -> Verdict:
    """The app is a Linux app (`kind` contains `linux`, or `properties.reserved` on the app or plan)."""
    if ctx.os == "linux":
        resource, field, value = ctx.os_evidence or (ctx.app.id, "kind", ctx.app.kind)
        return yes(Evidence("LINUX", resource, field, value))
    if ctx.os is None:
        return unknown("neither kind nor properties.reserved of the app or its plan is in the data")
    return no()


def check_windows_container(ctx: AppContext) -> Verdict:
    """The app is a Windows container (`properties.hyperV`/`isXenon`, or kind `app,container,windows`)."""
    if ctx.container == "windows":
        resource, field, value = ctx.container_evidence or (ctx.app.id, "kind", ctx.app.kind)
        return yes(Evidence("WINDOWS_CONTAINER", resource, field, value))
    if ctx.os is None:
        return unknown("the app's kind and flags are not in the data")
    return no()


def tier_of(ctx: AppContext) -> tuple[str | None, str, str]:
    """The plan tier, and where it was read (resource id, field)."""
    if ctx.plan and ctx.plan.sku_tier:
        return ctx.plan.sku_tier, ctx.plan.id, "sku.tier"
    if ctx.plan and (derived := tier_from_sku(None, ctx.plan.sku_name)):
        return derived, ctx.plan.id, "sku.name"
    if ctx.app.sku_tier:
        return ctx.app.sku_tier, ctx.app.id, "properties.sku"
    return None, ctx.app.id, "properties.serverFarmId"


def check_plan_unsupported(ctx: AppContext) -> Verdict:
    """The plan's tier cannot use regional integration.

    Free, Shared, Consumption and Isolated (App Service Environment) tiers cannot; Basic and Standard
    can only on newer scale units, which `networkConfig/virtualNetwork.swiftSupported` reports.
    """
    tier, resource, field = tier_of(ctx)
    if tier is None:
        return unknown(
            join_reasons(
                f"the plan {ctx.app.plan_id or '(none)'} is not in the inventory",
                ctx.tenant.gap_note(inv.PLAN),
            )
        )
    lowered = tier.lower()
    if lowered in NO_REGIONAL_TIERS:
        return yes(Evidence("PLAN_UNSUPPORTED", resource, field, tier))
    if lowered in REGIONAL_TIERS:
        return no()
    if lowered in SWIFT_CHECK_TIERS:
        config = ctx.tenant.network_config.get(ctx.app.id.lower())
        if config is None or config.swift_supported is None:
            reason = ctx.tenant.failure_reason("networkConfig", ctx.app.id)
            return unknown(
                f"{tier} supports regional integration only on newer scale units; "
                + (f"reading swiftSupported failed ({reason})" if reason else "swiftSupported was not read")
            )
        if config.swift_supported is False:
            return yes(
                Evidence(
                    "PLAN_UNSUPPORTED", config.id, "properties.swiftSupported", False, note=f"tier {tier}"
                )
            )
        return no()
    return unknown(f"tier {tier} is not known to support regional integration (azure-facts §2.4 UNSURE)")
