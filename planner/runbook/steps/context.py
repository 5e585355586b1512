"""What the step builders need beyond the app itself: its wave, strategy and gateway, and a
ledger of the work several apps share (a subnet, a VNet, a firewall change) so it is done once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from planner.runbook.steps.facts import GatewayFacts, Strategy


@dataclass
class Shared:
    """Work done once for several apps, and who did it, so later apps can point to it."""

    done: dict[str, str] = field(default_factory=dict)

    def claim(self, key: str, who: str) -> str | None:
        """None when `who` is first to claim `key` (and so does the work); else who did it."""
        key = key.lower()
        if key in self.done:
            return self.done[key]
        self.done[key] = who
        return None


@dataclass(frozen=True)
class SlotState:
    """Another slot of the same site, and how it is integrated today."""

    name: str
    integration: str | None


# Not frozen, for speed: treated as a value all the same (docs/architecture.md, "value classes").
@dataclass(unsafe_hash=True)
class AppContext:
    """Plan-wide facts about one app that its steps depend on."""

    wave: int | None
    strategy: Strategy
    retirement_date: str
    gateway: GatewayFacts | None = None
    gateway_removal_wave: int | None = None
    # production site: its slots (slot-first tests on them before production moves)
    slots: tuple[SlotState, ...] = ()
    # service endpoints the target subnet needs, over every app that lands in it
    subnet_services: tuple[str, ...] = ()
    # blue-green: the new plan (name, resource group) and whether this app is the old plan's last
    new_plan_name: str | None = None
    last_of_plan: bool = False
    # the fix text of each code (plan["codes"]), for blockers that have no steps of their own
    fixes: Mapping[str, str] = field(default_factory=dict)

    def who(self, name: str) -> str:
        """How a later app refers to the one that did shared work."""
        return f"{name} (wave {self.wave})" if self.wave else name
