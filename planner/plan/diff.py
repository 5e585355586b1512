"""Migration burndown between two inventories or two plans: what moved, what is new, what is left.

Either side may be an inventory (folder or file) or a plan.json written by `plan`; both are reduced
to the same per-app view, so a governance team can compare last month's plan with today's scan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from planner.core.errors import InputError
from planner.inventory.scope import Scope, Subject, parse_scope
from planner.plan.build import READABLE_SCHEMAS

GATEWAY_REQUIRED = "gateway-required"


@dataclass(frozen=True)
class Side:
    label: str
    apps: dict[str, dict[str, Any]]  # lower id -> app entry of plan.json
    gateways: dict[str, dict[str, Any]]
    as_of: str | None = None
    currency: str | None = None
    redacted: dict[str, Any] | None = None
    present: frozenset[str] | None = None  # lower ids of every gateway read (None: an older plan)

    @classmethod
    def of_plan(cls, plan: dict[str, Any], label: str) -> Side:
        """Stable ids are the key: resource ids compared in lower case (ARM ids are case-insensitive)."""
        return cls(
            label=label,
            apps={str(a["id"]).lower(): a for a in plan["apps"]},
            gateways={str(g["id"]).lower(): g for g in plan["gateways"]},
            as_of=plan.get("as_of"),
            currency=(plan.get("prices") or {}).get("currency"),
            redacted=plan.get("redacted") if isinstance(plan.get("redacted"), dict) else None,
            present=_present(plan),
        )


# What a comparison never reads: dropped while parsing, so an earlier plan of 50,000 apps (430 MB of
# JSON, mostly steps) costs a fraction of its size in memory next to the plan being made.
_UNUSED = frozenset({"steps", "context", "evidence", "target", "codes", "subnets", "waves", "bicep"})


_APP_KEYS = frozenset(
    {"id", "name", "slot", "integration", "readiness", "subscription_id", "subscription_name"}
    | {"resource_group", "tags"}
)
_GATEWAY_KEYS = frozenset({"id", "name", "monthly_cost", "dependents", "decommission"})


def _lean(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = {k for k, _ in pairs}
    if "integration" in keys and "readiness" in keys:  # an app: only what a comparison reads
        return {k: v for k, v in pairs if k in _APP_KEYS}
    if "decommission" in keys and "dependents" in keys:  # a gateway
        return {k: v for k, v in pairs if k in _GATEWAY_KEYS}
    return {k: v for k, v in pairs if k not in _UNUSED}


_ITEM = "\x00item"


def _read_lean(path: Path) -> Any:
    """The JSON of `path`, lean (`_lean`), without holding the file as one string.

    plan.json has one app per line: each line that is a whole object on its own is parsed on its
    own and stands in the rest as a placeholder, so memory holds the lean objects and the skeleton,
    not 400 MB of text (decoding a 433 MB plan in one piece peaked at 1.6 GB). Any other JSON reads
    the same, only without the saving.
    """
    skeleton: list[str] = []
    items: list[Any] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            body = line.strip()
            comma = body.endswith(",")
            body = body[:-1] if comma else body
            if body.startswith("{") and body.endswith("}"):
                try:
                    items.append(json.loads(body, object_pairs_hook=_lean))
                except json.JSONDecodeError:
                    pass
                else:
                    skeleton.append(json.dumps({_ITEM: len(items) - 1}) + ("," if comma else "") + "\n")
                    continue
            skeleton.append(line)

    def restore(pairs: list[tuple[str, Any]]) -> Any:
        if len(pairs) == 1 and pairs[0][0] == _ITEM:
            return items[pairs[0][1]]
        return _lean(pairs)

    return json.loads("".join(skeleton), object_pairs_hook=restore)


def _present(plan: dict[str, Any]) -> frozenset[str] | None:
    ids = (plan.get("inventory") or {}).get("gateway_ids")
    if not isinstance(ids, list):
        return None
    return frozenset(str(i).lower() for i in ids)


def read_plan(path: Path) -> dict[str, Any] | None:
    """A plan.json written by `plan`, read lean (only what a comparison uses); None for anything else."""
    if not (path.is_file() and path.suffix.lower() == ".json"):
        return None
    try:
        data = _read_lean(path)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        return None
    schema = data.get("schema")
    if isinstance(schema, str) and schema.startswith("vnet-planner/plan@") and schema not in READABLE_SCHEMAS:
        raise InputError(
            str(path),
            f"{schema} is a plan format this vnet-planner does not read (it reads {', '.join(READABLE_SCHEMAS)}): "
            "use the vnet-planner release that wrote it, or a newer one",
            field="schema",
        )
    return data if schema in READABLE_SCHEMAS else None


def side_of(plan: dict[str, Any], path: Path) -> Side:
    """One side of a comparison from a plan dict, after checking the fields a comparison reads."""
    for field in ("apps", "gateways"):
        if not isinstance(plan.get(field), list):
            raise InputError(str(path), "expected a list", field=field)
    for field in ("apps", "gateways"):
        for index, item in enumerate(plan[field]):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise InputError(str(path), "expected an object with an 'id'", field=f"{field}[{index}]")
            if field == "apps" and not isinstance(item.get("integration"), str):
                raise InputError(str(path), "expected a string", field=f"apps[{index}].integration")
    return Side.of_plan(plan, str(path))


def _brief(app: dict[str, Any], before: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = {
        "id": app["id"],
        "name": app.get("name") or str(app["id"]).rsplit("/", 1)[-1],
        "integration": app["integration"],
        "readiness": app.get("readiness"),
    }
    if before is not None:
        entry["was"] = before["integration"]
    return entry


def diff(old: Side, new: Side) -> dict[str, Any]:
    """Per-app movement between the two sides, and the gateways that disappeared or appeared."""
    migrated, left, appeared, gone, unknown, unplugged = [], [], [], [], [], []
    for key, before in old.apps.items():
        after = new.apps.get(key)
        if before["integration"] != GATEWAY_REQUIRED:
            continue
        if after is None:
            gone.append(_brief(before))
        elif after["integration"] == GATEWAY_REQUIRED:
            left.append(_brief(after))
        elif after["integration"] == "unknown":
            unknown.append(_brief(after, before))
        elif after["integration"] == "none":
            # The connection was deleted and nothing replaced it: off the list, but not migrated. Either
            # the app no longer needs its VNet, or a cutover stopped halfway and it lost its VNet access.
            unplugged.append(_brief(after, before))
        else:
            migrated.append(_brief(after, before))
    for key, after in new.apps.items():
        if after["integration"] == GATEWAY_REQUIRED and (
            key not in old.apps or old.apps[key]["integration"] != GATEWAY_REQUIRED
        ):
            appeared.append(_brief(after, old.apps.get(key)))
    before_count = sum(1 for a in old.apps.values() if a["integration"] == GATEWAY_REQUIRED)
    after_count = sum(1 for a in new.apps.values() if a["integration"] == GATEWAY_REQUIRED)
    return {
        "old": old.label,
        "new": new.label,
        "gateway_required_before": before_count,
        "gateway_required_after": after_count,
        "migrated": migrated,
        "integration_removed": unplugged,
        "still_gateway_required": left,
        "new_gateway_required": appeared,
        "removed_apps": gone,
        "now_unknown": unknown,
        "gateways_removed": [g["id"] for k, g in old.gateways.items() if k not in new.gateways],
        "gateways_added": [g["id"] for k, g in new.gateways.items() if k not in old.gateways],
        **_gateway_movement(old, new),
    }


def _cost(gateway: dict[str, Any]) -> float | None:
    cost = gateway.get("monthly_cost")
    return float(cost) if isinstance(cost, int | float) else None


def _gateway_brief(gateway: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": gateway["id"],
        "name": gateway.get("name"),
        "monthly_cost": _cost(gateway),
        "decommission": gateway.get("decommission"),
    }


def _gateway_movement(old: Side, new: Side) -> dict[str, Any]:
    """Gateways freed (deleted since, or no app depends on them any more) and what that saves.

    Savings realised are the monthly costs, as the earlier side priced them, of gateways that had
    app dependents then and are gone now; a gateway that is freed but still there saves nothing
    yet, and is listed with the savings its deletion would bring.
    """
    deleted, freed = [], []
    for key, before in old.gateways.items():
        if not before.get("dependents"):
            continue
        after = new.gateways.get(key)
        if after is None and new.present is not None and key in new.present:
            freed.append(_gateway_brief(before))  # still there, no app uses it: the earlier view of it
        elif after is None:
            deleted.append(_gateway_brief(before))
        elif not after.get("dependents"):
            freed.append(_gateway_brief(after))
    realised = sum(g["monthly_cost"] or 0.0 for g in deleted)
    waiting = sum(g["monthly_cost"] or 0.0 for g in freed if g["decommission"] == "yes")
    return {
        "gateways_deleted": deleted,
        "gateways_freed": freed,
        "savings_realised_monthly": round(realised, 2),
        "savings_realised_unpriced": sum(1 for g in deleted if g["monthly_cost"] is None),
        "savings_waiting_monthly": round(waiting, 2),
        "deletions_confirmed": new.present is not None,  # False: the later side lists no gateway_ids,
        # so a gateway no app uses any more cannot be told from a deleted one
        "currency": new.currency or old.currency,
        "old_as_of": old.as_of,
        "new_as_of": new.as_of,
    }


def burndown(old: Side, plan: dict[str, Any]) -> dict[str, Any]:
    """The difference between an earlier plan (or inventory, `old`) and this plan, for `plan --previous`.

    The earlier side is narrowed to this plan's scope, so a scope is not mistaken for deletions.
    Both sides must be redacted alike, or ids would not match. The list of apps still to migrate is
    this plan's own apps, so only its length is kept.
    """
    previous = old.label
    mine, theirs = plan.get("redacted"), old.redacted
    if bool(mine) != bool(theirs) or (mine and theirs and mine.get("key_id") != theirs.get("key_id")):
        state = {True: "with --redact", False: "without --redact"}
        raise InputError(
            str(previous),
            f"written {state[bool(theirs)]}{' (another key)' if mine and theirs else ''} and this plan "
            f"{state[bool(mine)]}: subscription ids cannot be matched; redact both alike",
            field="redacted",
        )
    scope_data = (plan.get("summary") or {}).get("scope") or {}
    scope = parse_scope(scope_data.get("include") or (), scope_data.get("exclude") or ())
    if not scope.empty:
        old = _narrowed(old, scope, {str(g["id"]).lower() for g in plan["gateways"]})
    result = diff(old, Side.of_plan(plan, "this plan"))
    left = result.pop("still_gateway_required")
    result["still_gateway_required_count"] = len(left)
    result["scope_applied_to_previous"] = not scope.empty
    return result


def _narrowed(side: Side, scope: Scope, gateways_now: set[str]) -> Side:
    def subject(app: dict[str, Any]) -> Subject:
        site = side.apps.get(str(app["id"]).lower().split("/slots/")[0], app) if app.get("slot") else app
        tags: dict[str, Any] = site["tags"] if isinstance(site.get("tags"), dict) else {}
        return Subject(
            site.get("subscription_id"), site.get("subscription_name"), site.get("resource_group"), tags
        )

    apps = {k: a for k, a in side.apps.items() if scope.contains(subject(a))}
    kept = {str(i).lower() for i in apps}
    gateways = {
        k: g
        for k, g in side.gateways.items()
        if k in gateways_now or any(str(d).lower() in kept for d in g.get("dependents") or ())
    }
    return replace(side, apps=apps, gateways=gateways)
