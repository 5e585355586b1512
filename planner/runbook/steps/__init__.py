"""Runbook step builders: per app or slot (planner.runbook.steps.app), the network work apps share
(planner.runbook.steps.network), and per VPN gateway (planner.runbook.steps.gateway).

planner.runbook.apply decides strategies and waves and calls these; they read typed views of the plan
dict (planner.runbook.steps.facts) and return `Step`s (planner.runbook.steps.step).
"""

from planner.runbook.steps.app import build_app_steps
from planner.runbook.steps.context import AppContext, Shared, SlotState
from planner.runbook.steps.facts import AppFacts, GatewayFacts, Strategy
from planner.runbook.steps.gateway import GatewayContext, build_gateway_steps
from planner.runbook.steps.step import Step, numbered, step_notes

__all__ = [
    "AppContext",
    "AppFacts",
    "GatewayContext",
    "GatewayFacts",
    "Shared",
    "SlotState",
    "Step",
    "Strategy",
    "build_app_steps",
    "build_gateway_steps",
    "numbered",
    "step_notes",
]
