"""Resolved names for the two ends of a move: the target network, and the app being configured.

Every value is either real (from the plan) or a named placeholder with a reason in
`planner.runbook.steps.step.PLACEHOLDER_WHY`, so the step texts never need to test for None.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from planner.core.ids import id_part, last_segment
from planner.runbook.steps.facts import CLASSIC_MARKER, AppFacts
from planner.runbook.steps.step import az


# Not frozen, for speed: treated as a value all the same (docs/architecture.md, "value classes").
@dataclass(unsafe_hash=True, slots=True)
class Place:
    """The target VNet and subnet of an app."""

    vnet_id: str
    vnet_name: str
    vnet_rg: str
    subscription: str | None
    location: str
    subnet_name: str
    subnet_id: str
    prefix: str
    new_subnet: bool
    new_vnet: bool
    vnet_prefix: str | None
    peer_with: str | None
    address_space_addition: str | None
    known: bool  # False: the plan had no target and every value is a placeholder or a proposal


# The places of the apps resolved last, by identity: every step builder of an app asks for it (four
# times an app on a 50,000-app tenant), and an AppFacts is frozen.
_RECENT: dict[int, tuple[AppFacts, Place]] = {}


def resolve_place(app: AppFacts) -> Place:
    """The app's target with placeholders where the plan cannot say."""
    hit = _RECENT.get(id(app))
    if hit is not None and hit[0] is app:
        return hit[1]
    place = _resolve(app)
    if len(_RECENT) >= 64:
        _RECENT.clear()
    _RECENT[id(app)] = (app, place)
    return place


def _resolve(app: AppFacts) -> Place:
    t = app.target
    location = (t.location if t else None) or app.location or "<TARGET_LOCATION>"
    classic = app.old_vnet_is_classic and (t is None or CLASSIC_MARKER in (t.vnet_id or "").lower())
    if t is None or classic or not (t.vnet_id or (t.vnet_name and t.vnet_resource_group)):
        if classic:
            # The ARM id of a classic VNet exists only after its migration is committed.
            vnet_id, vnet_rg = "<MIGRATED_VNET_ID>", "<MIGRATED_VNET_RESOURCE_GROUP>"
            vnet_name = (t.vnet_name if t else None) or app.vnet_name or "<TARGET_VNET_NAME>"
        else:
            vnet_id, vnet_rg, vnet_name = (
                "<TARGET_VNET_ID>",
                "<TARGET_VNET_RESOURCE_GROUP>",
                "<TARGET_VNET_NAME>",
            )
        # The subnet name is a choice, not a fact: propose the planner's usual one so it can be used as is.
        subnet_name = (t.subnet_name if t else None) or (
            f"snet-appsvc-{app.plan_name}" if app.plan_name else "<TARGET_SUBNET_NAME>"
        )
        return Place(
            vnet_id=vnet_id,
            vnet_name=vnet_name,
            vnet_rg=vnet_rg,
            subscription=app.subscription_id,
            location=location,
            subnet_name=subnet_name,
            subnet_id=f"{vnet_id}/subnets/{subnet_name}",
            prefix=(t.prefix if t else None) or "<TARGET_SUBNET_PREFIX>",
            new_subnet=True if t is None else t.new_subnet,
            new_vnet=False,
            vnet_prefix=None,
            peer_with=None,
            address_space_addition=t.address_space_addition if t else None,
            known=False,
        )
    vnet_rg = t.vnet_resource_group or id_part(t.vnet_id, "resourceGroups") or "<TARGET_VNET_RESOURCE_GROUP>"
    vnet_name = t.vnet_name or last_segment(t.vnet_id) or "<TARGET_VNET_NAME>"
    subscription = id_part(t.vnet_id, "subscriptions") or app.subscription_id
    vnet_id = t.vnet_id or (
        f"/subscriptions/{subscription}/resourceGroups/{vnet_rg}/providers/Microsoft.Network/virtualNetworks/{vnet_name}"
    )
    subnet_name = t.subnet_name or last_segment(t.subnet_id) or "<TARGET_SUBNET_NAME>"
    return Place(
        vnet_id=vnet_id,
        vnet_name=vnet_name,
        vnet_rg=vnet_rg,
        subscription=subscription,
        location=location,
        subnet_name=subnet_name,
        subnet_id=t.subnet_id or f"{vnet_id}/subnets/{subnet_name}",
        prefix=t.prefix or "<TARGET_SUBNET_PREFIX>",
        new_subnet=t.new_subnet,
        new_vnet=t.new_vnet,
        vnet_prefix=t.vnet_prefix,
        peer_with=t.peer_with,
        address_space_addition=t.address_space_addition,
        known=True,
    )


@dataclass(frozen=True)
class Subject:
    """The app or slot a command acts on: the old one in place, or the new one in blue-green."""

    id: str
    site: str
    slot: str | None
    resource_group: str
    subscription: str | None
    cli: str
    is_linux: bool
    scm_host: str | None = None

    @classmethod
    def of(cls, app: AppFacts) -> Subject:
        return cls(
            id=app.id,
            site=app.site_name,
            slot=app.slot,
            resource_group=app.resource_group or "<RESOURCE_GROUP>",
            subscription=app.subscription_id,
            cli=app.cli,
            is_linux=app.is_linux,
            scm_host=app.scm_host,
        )

    @property
    def name(self) -> str:
        return f"{self.site}/{self.slot}" if self.slot else self.site

    @property
    def slot_short(self) -> list[str] | None:
        """`-s SLOT` for the vnet-integration commands."""
        return ["-s", self.slot] if self.slot else None

    @property
    def slot_long(self) -> list[str] | None:
        """`--slot SLOT` for the config commands."""
        return ["--slot", self.slot] if self.slot else None

    @property
    def scm(self) -> str:
        """The Kudu site: as the app reports it, else the default host name pattern."""
        if self.scm_host:
            return f"https://{self.scm_host.lower()}"
        host = f"{self.site}-{self.slot}" if self.slot else self.site
        return f"https://{host.lower()}.scm.azurewebsites.net"

    def integration_list(self) -> str:
        return self._integration_list

    @cached_property  # in four or five steps of every app
    def _integration_list(self) -> str:
        return az(
            f"{self.cli} vnet-integration list -g {{rg}} -n {{site}} -s {{slot}} --subscription {{sub}}",
            rg=self.resource_group,
            site=self.site,
            slot=self.slot,
            sub=self.subscription,
        )
