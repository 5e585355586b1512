"""`plan --redact`: subscription ids and names replaced by stable pseudonyms in every output.

For plans shared outside the team (a vendor, a ticket, a public pipeline log). The same input gives
the same pseudonym on every run and machine, so `diff` still matches two redacted plans. With
`VNET_PLANNER_REDACT_KEY` set, pseudonyms are keyed (HMAC-SHA-256) and cannot be recomputed from
a guessed name by someone without the key; without it they are a plain salted hash, which hides ids
(122 random bits) but not a name someone can guess ("Production").

What is replaced: every GUID that is a known subscription id or follows `/subscriptions/` (so ids
inside resource ids, commands and portal links too), and every known subscription name where it
stands as a whole word. Other GUIDs (tenant, object ids) and resource names are left as they are.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from typing import Any

KEY_ENV = "VNET_PLANNER_REDACT_KEY"
_SALT = b"vnet-planner/redact@1"
_GUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID_RE = re.compile(rf"(?i)(/subscriptions/)?({_GUID})")


class Pseudonyms:
    def __init__(self, key: bytes | None = None) -> None:
        env = os.environ.get(KEY_ENV)
        self.key = key if key is not None else (env.encode() if env else _SALT)
        self.keyed = key is not None or bool(env)
        self._memo: dict[tuple[str, str], str] = {}

    @property
    def key_id(self) -> str:
        """Tells two keys apart without revealing either (plans redacted alike can be compared)."""
        return self._digest("key-id", "")[:12]

    def _digest(self, kind: str, value: str) -> str:
        key = (kind, value)
        digest = self._memo.get(key)
        if digest is None:  # a few hundred subscriptions, named hundreds of thousands of times
            digest = self._memo[key] = hmac.new(
                self.key, f"{kind}:{value}".encode(), hashlib.sha256
            ).hexdigest()
        return digest

    def subscription_id(self, value: str) -> str:
        h = self._digest("id", value.lower())
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def subscription_name(self, value: str) -> str:
        return f"subscription-{self._digest('name', value)[:10]}"


def redact_subscriptions(plan: dict[str, Any], pseudonyms: Pseudonyms | None = None) -> dict[str, Any]:
    """A copy of the plan with subscription ids and names replaced (the input is not changed)."""
    p = pseudonyms or Pseudonyms()
    ids: set[str] = set()
    names: set[str] = set()
    for sub in plan.get("subscriptions") or ():
        ids.add(str(sub.get("id") or "").lower())
        if sub.get("name"):
            names.add(str(sub["name"]))
    failed = (plan.get("inventory") or {}).get("failed_subscriptions") or ()
    for item in (*(plan.get("apps") or ()), *(plan.get("gateways") or ()), *failed):
        for key in ("subscription_id", "id"):
            value = item.get(key)
            if isinstance(value, str) and re.fullmatch(_GUID, value):
                ids.add(value.lower())
        if item.get("subscription_name"):
            names.add(str(item["subscription_name"]))
    names.update(str(f["name"]) for f in failed if f.get("name"))
    names.discard("")
    # The name pattern starts with the names themselves (a lookbehind first would stop the regex
    # engine from skipping ahead by the first letters: 10x slower); the character before is checked
    # in `named`. Strings repeat (ids, names), so each distinct one is rewritten once.
    name_re = (
        re.compile("(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")(?![\w-])")
        if names
        else None
    )

    def named(m: re.Match[str]) -> str:
        start = m.start(1)
        if start and (m.string[start - 1].isalnum() or m.string[start - 1] in "_.-"):
            return m.group(0)
        return p.subscription_name(m.group(1))

    seen: dict[str, str] = {}

    def text(value: str) -> str:
        done = seen.get(value)
        if done is not None:
            return done
        new = value
        if "-" in new:
            new = _ID_RE.sub(
                lambda m: (
                    (m.group(1) or "") + p.subscription_id(m.group(2))
                    if m.group(1) or m.group(2).lower() in ids
                    else m.group(0)
                ),
                new,
            )
        if name_re is not None:
            new = name_re.sub(named, new)
        seen[value] = new
        return new

    def walk(value: Any) -> Any:
        if isinstance(value, str):
            return text(value)
        if isinstance(value, dict):
            return {(text(k) if isinstance(k, str) else k): walk(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [walk(v) for v in value]
        return value

    redacted: dict[str, Any] = walk(plan)
    for sub in redacted.get("subscriptions") or ():
        if "label" in sub:  # a label shows the id's start when names repeat: rebuild from the pseudonyms
            duplicate = sub["label"] != sub.get("name") and sub.get("name")
            sub["label"] = (
                f"{sub['name']} ({sub['id'][:13]})" if duplicate else (sub.get("name") or sub["id"])
            )
    redacted.setdefault("warnings", []).append(
        "subscription ids and names are pseudonyms (--redact): commands, scripts and portal links in this "
        "plan cannot be used as they are; give the engineers who run the migration an unredacted plan"
    )
    redacted["redacted"] = {
        "subscriptions": True,
        "keyed": p.keyed,
        "key_id": p.key_id,
        "note": "subscription ids and names are pseudonyms (vnet-planner plan --redact)",
    }
    return redacted
