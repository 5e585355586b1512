"""Scope filters: which subscriptions, resource groups and tagged apps a scan or a plan covers.

A filter is `KIND:VALUE`, given to `--include` or `--exclude` (repeatable):

- `subscription:VALUE` (or `sub:`): a subscription id (exact, any case) or name (glob, any case).
  Names can repeat in a tenant, so a name matches every subscription that carries it; ids stay the
  key everywhere, and `ambiguous_names` says when a name picked more than one.
- `resource-group:GLOB` (or `rg:`): resource group names, any case (Azure treats them so).
- `tag:KEY=GLOB`, or `tag:KEY` for "has the tag": tag names any case (as Azure), values any case.

Includes of one kind are alternatives (OR); kinds combine (AND); any exclude wins. A resource is in
scope when it passes every include kind given and matches no exclude.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from planner.core.errors import InputError

KINDS = {
    "subscription": "subscription",
    "sub": "subscription",
    "resource-group": "resource-group",
    "resourcegroup": "resource-group",
    "rg": "resource-group",
    "tag": "tag",
}


@dataclass(frozen=True)
class Selector:
    """One `KIND:VALUE` filter, as the user wrote it (`text`) and parsed."""

    kind: str  # subscription | resource-group | tag
    value: str  # lower-cased pattern; for tags the key
    tag_value: str | None = None  # lower-cased glob for tags; None = any value
    text: str = ""

    def matches(self, item: Subject) -> bool:
        if self.kind == "subscription":
            sub_id = (item.subscription_id or "").lower()
            name = (item.subscription_name or "").lower()
            return sub_id == self.value or (bool(name) and fnmatch.fnmatchcase(name, self.value))
        if self.kind == "resource-group":
            return fnmatch.fnmatchcase((item.resource_group or "").lower(), self.value)
        for key, value in item.tags.items():
            if key.lower() == self.value and (
                self.tag_value is None or fnmatch.fnmatchcase(str(value).lower(), self.tag_value)
            ):
                return True
        return False


@dataclass(frozen=True)
class Subject:
    """What a filter looks at: an app's (or gateway's) subscription, resource group and tags."""

    subscription_id: str | None
    subscription_name: str | None
    resource_group: str | None
    tags: Mapping[str, object]


@dataclass(frozen=True)
class Scope:
    include: tuple[Selector, ...] = ()
    exclude: tuple[Selector, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.include and not self.exclude

    def contains(self, item: Subject) -> bool:
        by_kind: dict[str, list[Selector]] = defaultdict(list)
        for selector in self.include:
            by_kind[selector.kind].append(selector)
        if not all(any(s.matches(item) for s in group) for group in by_kind.values()):
            return False
        return not any(s.matches(item) for s in self.exclude)

    def contains_subscription(self, subscription_id: str, name: str | None) -> bool:
        """Whether a subscription can hold anything in scope (only subscription filters decide)."""
        subject = Subject(subscription_id, name, None, {})
        includes = [s for s in self.include if s.kind == "subscription"]
        if includes and not any(s.matches(subject) for s in includes):
            return False
        return not any(s.matches(subject) for s in self.exclude if s.kind == "subscription")

    @property
    def needs_resource_filter(self) -> bool:
        """True when resource groups or tags narrow the scope below whole subscriptions."""
        return any(s.kind != "subscription" for s in (*self.include, *self.exclude))

    def merged(self, other: Scope) -> Scope:
        """Both scopes at once (a plan's filters on top of the scan's)."""
        return Scope(self.include + other.include, self.exclude + other.exclude)

    def as_dict(self) -> dict[str, list[str]]:
        return {"include": [s.text for s in self.include], "exclude": [s.text for s in self.exclude]}

    def describe(self) -> str:
        parts = [f"--include {s.text}" for s in self.include] + [f"--exclude {s.text}" for s in self.exclude]
        return " ".join(parts) or "everything"


def parse_selector(text: str, option: str) -> Selector:
    """`KIND:VALUE` -> Selector; InputError naming the option on anything else."""
    kind, sep, value = text.partition(":")
    canonical = KINDS.get(kind.strip().lower())
    value = value.strip()
    if not sep or canonical is None or not value:
        raise InputError(
            option,
            f"'{text}' is not KIND:VALUE (subscription:ID-or-name, resource-group:GLOB, tag:KEY=GLOB)",
        )
    if canonical == "tag":
        key, has_value, tag_value = value.partition("=")
        if not key.strip():
            raise InputError(option, f"'{text}': the tag name is empty (tag:KEY=GLOB)")
        return Selector(
            "tag", key.strip().lower(), tag_value.strip().lower() if has_value else None, text.strip()
        )
    return Selector(canonical, value.lower(), None, text.strip())


def parse_scope(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> Scope:
    return Scope(
        tuple(parse_selector(t, "--include") for t in include),
        tuple(parse_selector(t, "--exclude") for t in exclude),
    )


def scope_from_dict(data: object, source: str) -> Scope:
    """The scope a scan recorded in its manifest (`scope: {include: [...], exclude: [...]}`)."""
    if data is None:
        return Scope()
    if not isinstance(data, dict):
        raise InputError(source, "expected an object with include/exclude lists", field="scope")
    lists = {}
    for key in ("include", "exclude"):
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise InputError(source, "expected a list of KIND:VALUE strings", field=f"scope.{key}")
        lists[key] = value
    try:
        return parse_scope(lists["include"], lists["exclude"])
    except InputError as exc:
        raise InputError(source, exc.detail, field="scope") from None


def ambiguous_names(scope: Scope, subscriptions: Mapping[str, str | None]) -> list[str]:
    """Warnings for subscription filters given by a name that several subscriptions share.

    `subscriptions` maps id -> name. The filter keeps every match (ids are the key, names are not
    unique); the warning lists the ids so the user can pick one.
    """
    warnings = []
    judged = [(s, "in scope") for s in scope.include] + [(s, "left out") for s in scope.exclude]
    for selector, verdict in judged:
        if selector.kind != "subscription":
            continue
        hits = sorted(
            sub_id
            for sub_id, name in subscriptions.items()
            if sub_id.lower() != selector.value and name and fnmatch.fnmatchcase(name.lower(), selector.value)
        )
        names = {str(subscriptions[h]).lower() for h in hits}
        if len(hits) > 1 and len(names) < len(hits):
            warnings.append(
                f"subscription filter '{selector.text}' matches {len(hits)} subscriptions that share a name "
                f"({', '.join(hits)}); all of them are {verdict}: give an id to pick one"
            )
    return warnings
