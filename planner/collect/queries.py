"""The Resource Graph queries: `queries/*.kql`, shipped as package data of `planner.queries`.

Each file starts with a header of `// key: value` comment lines (name, table, types, purpose,
columns; a line `//   more` continues the previous key). The scanner sends the file text as it is,
so the sha256 in the manifest identifies exactly what was asked of Resource Graph.

The loader lives here, not in `planner/queries.py`: `planner.queries` is the package name the
`queries/` folder is installed under, and a module of the same name would shadow it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

# The order the scanner runs them in: subscriptions first (they define the scope), then sites and
# plans (the ARM phase needs them), then the network side.
QUERY_NAMES: tuple[str, ...] = (
    "subscriptions",
    "sites",
    "serverfarms",
    "autoscalesettings",
    "virtualnetworks",
    "virtualnetworkgateways",
    "connections",
    "localnetworkgateways",
    "classicvirtualnetworks",
    "vaults",
    "networkrules",
)

# Not a data set: `preflight` samples a few apps per subscription with it (queries/preflight/).
PREFLIGHT_QUERY = "preflight/apps"

_HEADER_LINE = re.compile(r"^//\s*([a-z_]+):\s*(.*)$")
_CONTINUATION = re.compile(r"^//\s+(\S.*)$")


@dataclass(frozen=True)
class Query:
    """One Resource Graph query file and what its header says about it."""

    name: str
    text: str
    sha256: str
    table: str
    types: str
    purpose: str
    columns: tuple[str, ...]

    @property
    def type_list(self) -> tuple[str, ...]:
        """The resource types the query selects, lower-case; empty when it selects by content ("any ...")."""
        if self.types.startswith("any"):
            return ()
        return tuple(t.strip().lower() for t in self.types.split(",") if t.strip())


def parse_header(text: str) -> dict[str, str]:
    """Read the `// key: value` header of a query (continuation lines joined with a space)."""
    header: dict[str, str] = {}
    last: str | None = None
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        match = _HEADER_LINE.match(line)
        if match:
            last = match.group(1)
            header[last] = match.group(2).strip()
            continue
        more = _CONTINUATION.match(line)
        if more and last is not None:
            header[last] += " " + more.group(1).strip()
    return header


def _read(name: str) -> str:
    return resources.files("planner.queries").joinpath(f"{name}.kql").read_text(encoding="utf-8")


def _build(name: str, text: str) -> Query:
    header = parse_header(text)
    missing = [key for key in ("table", "types", "purpose", "columns") if key not in header]
    if missing:
        # A shipped query without its header is a packaging bug, not user input.
        raise ValueError(f"queries/{name}.kql: header lacks {', '.join(missing)}")
    return Query(
        name=name,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        table=header["table"],
        types=header["types"],
        purpose=header["purpose"],
        columns=tuple(c.strip() for c in header["columns"].split(",") if c.strip()),
    )


@cache
def load_queries() -> dict[str, Query]:
    """All queries, keyed by name, in the order the scanner runs them."""
    return {name: _build(name, _read(name)) for name in QUERY_NAMES}


@cache
def preflight_query() -> Query:
    """The query `preflight` samples apps with; shipped beside the data sets, never part of a scan."""
    return _build("preflight-apps", _read(PREFLIGHT_QUERY))


def get_query(name: str) -> Query:
    """One query by name; KeyError names the known ones."""
    queries = load_queries()
    if name not in queries:
        raise KeyError(f"unknown query {name!r}; known: {', '.join(queries)}")
    return queries[name]
