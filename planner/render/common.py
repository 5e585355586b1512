"""Small helpers every renderer shares: portal links and reading ids and dates out of plan.json."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

PORTAL = "https://portal.azure.com/#@/resource"


def portal_url(resource_id: str | None, portal: str | None = None) -> str | None:
    """The Azure portal page of a resource (in the plan's cloud when given), or None without an id."""
    if not resource_id:
        return None
    base = f"{portal}/#@/resource" if portal else PORTAL
    return base + quote(str(resource_id), safe="/()-_.~!*',;=:@")


def last_segment(resource_id: Any) -> str:
    """The name at the end of an ARM id (`.../sites/web-shop` -> `web-shop`)."""
    return str(resource_id or "").rstrip("/").rsplit("/", 1)[-1]


def as_date(value: Any) -> dt.date | None:
    """An ISO date (or the date part of a timestamp), or None."""
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None
