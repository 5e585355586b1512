"""Runbook step builders: per app or slot (planner.steps.app), the network work apps share
(planner.steps.network), and per VPN gateway (planner.steps.gateway).

planner.runbook decides strategies and waves and calls these; they read typed views of the plan
dict (planner.steps.facts) and return `Step`s (planner.steps.step).
"""

from planner.steps.app import build_app_steps
from planner.steps.context import AppContext, Shared, SlotState
from planner.steps.facts import AppFacts, GatewayFacts, Strategy
from planner.steps.gateway import GatewayContext, build_gateway_steps
from planner.steps.step import Step, numbered

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
]
