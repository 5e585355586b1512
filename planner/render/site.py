"""The HTML runbook at any size: one page for a small plan, a site for a large one.

Below `SITE_THRESHOLD` gateway-required apps (or with `--html-split single`) `runbook.html` is the one
self-contained page of planner/render/html.py. From it (or with `--html-split site`) `runbook.html`
is an overview (deadline, tiles, blocker breakdown, charts, a table of subscriptions, waves,
gateways, codes) and each subscription gets its own self-contained page in `runbook/`, split by
resource group past `PAGE_LIMIT` apps. Every app is on exactly one page; a gateway's steps are on the
page of its subscription (and resource group). Ticks are shared: every page keeps them under the
same localStorage key, keyed by what the step is, not by the page (planner/templates/runbook.js).
Reads only the plan dict and the schedule view.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner.render.common import subscription_label, subscription_labels
from planner.render.html import PageScope, render_page, write_html
from planner.render.schedule import Schedule, schedule_of

SITE_THRESHOLD = 1_000  # gateway-required apps from which `auto` writes a site
PAGE_LIMIT = 2_000  # most apps on one page: a bigger subscription is split by resource group
GATEWAY_REQUIRED = "gateway-required"

App = Mapping[str, Any]


@dataclass
class SitePage:
    """One page of the site: a subscription, or a run of its resource groups."""

    slug: str
    label: str  # the subscription, as every report names it
    part: str = ""  # "part 2 of 9: resource groups rg-a – rg-f" when the subscription is split
    apps: list[App] = field(default_factory=list)
    gateways: list[App] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.label}, {self.part}" if self.part else self.label


def split_mode(plan: Mapping[str, Any], split: str | None = None, threshold: int = SITE_THRESHOLD) -> str:
    """ "single" or "site": `split` (else the plan's `settings.html_split`), `auto` deciding by size."""
    chosen = split or str((plan.get("settings") or {}).get("html_split") or "auto")
    if chosen in ("single", "site"):
        return chosen
    movers = sum(1 for a in plan.get("apps") or () if a.get("integration") == GATEWAY_REQUIRED)
    return "site" if movers >= threshold else "single"


def site_folder(path: Path) -> Path:
    """The folder of a site's pages, beside the overview: `runbook.html` -> `runbook/`."""
    return path.with_name(path.stem)


def write_runbook(
    plan: dict[str, Any],
    path: Path,
    schedule: Schedule | None = None,
    *,
    split: str | None = None,
    threshold: int = SITE_THRESHOLD,
    page_limit: int = PAGE_LIMIT,
) -> None:
    """Write `runbook.html` as one page, or as an overview plus `runbook/<page>.html`, all or nothing.

    A site replaces the folder beside `path` as a whole; one page leaves such a folder alone (the
    registry removes a site a previous run left in an output folder).
    """
    path = Path(path)
    if split_mode(plan, split, threshold) == "single":
        write_html(plan, path, schedule)
        return
    schedule = schedule or schedule_of(plan)
    pages = site_pages(plan, page_limit)
    folder = site_folder(path)
    staging = Path(tempfile.mkdtemp(prefix=f".{path.stem}.", suffix=".tmp", dir=path.parent))
    old: Path | None = None
    try:
        stamp = _stamp(plan)
        gateway_links: dict[str, str] = {}
        rows = []
        # Each page's part of the schedule, in one pass over it (a page per subscription would
        # otherwise filter the whole schedule again: 36 s at 50,000 apps instead of about 4).
        page_of = {
            str(item.get("id") or "").lower(): page.slug
            for page in pages
            for item in (*page.apps, *page.gateways)
        }
        parts = schedule.partition(page_of)
        movers = sum(1 for a in plan.get("apps") or () if a.get("integration") == "gateway-required")
        for page in pages:
            href = f"{folder.name}/{page.slug}.html"
            for gateway in page.gateways:
                gateway_links[str(gateway.get("id") or "").lower()] = href
            scope = PageScope(
                role="page",
                title=page.title,
                apps=tuple(page.apps),
                gateways=tuple(page.gateways),
                home=f"../{path.name}",
                site={"index": False, "page": page.slug, "stamp": stamp},
                page_schedule=parts.get(page.slug),
                movers=movers,
            )
            _write(staging / "pages" / f"{page.slug}.html", plan, schedule, scope)
            rows.append({**_row(page), "href": href})
        index = PageScope(
            role="index",
            gateway_links=gateway_links,
            pages=tuple(rows),
            site={
                "index": True,
                "stamp": stamp,
                "pages": [{"slug": r["slug"], "total": r["steps"]} for r in rows],
            },
        )
        _write(staging / path.name, plan, schedule, index)
        # Swap in: the old folder moves aside (one rename), the new one takes its place, then the page.
        if folder.exists():
            old = staging / "old"
            os.replace(folder, old)
        os.replace(staging / "pages", folder)
        os.replace(staging / path.name, path)
    except BaseException:
        if old is not None and old.exists() and not folder.exists():
            with contextlib.suppress(OSError):
                os.replace(old, folder)  # put the previous site back
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _write(target: Path, plan: Mapping[str, Any], schedule: Schedule, scope: PageScope) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", encoding="utf-8", newline="\n") as out:
        render_page(plan, out, schedule, scope)


def _stamp(plan: Mapping[str, Any]) -> str:
    """Which generation of the runbook a page belongs to: the overview counts only its own pages."""
    return f"{plan.get('generated_at') or ''}|{plan.get('tool_version') or ''}|{len(plan.get('apps') or ())}"


def _row(page: SitePage) -> dict[str, Any]:
    mix = {"ready": 0, "needs-work": 0, "blocked": 0}
    for app in page.apps:
        key = str(app.get("readiness") or "")
        mix[key] = mix.get(key, 0) + 1
    steps = sum(len(a.get("steps") or ()) for a in page.apps)
    steps += sum(len(g.get("steps") or ()) for g in page.gateways)
    return {
        "slug": page.slug,
        "label": page.label,
        "part": page.part,
        "apps": len(page.apps),
        "ready": mix["ready"],
        "needs_work": mix["needs-work"],
        "blocked": mix["blocked"],
        "steps": steps,
    }


# --------------------------------------------------------------------------------------------------
# Which app goes on which page


def site_pages(plan: Mapping[str, Any], page_limit: int = PAGE_LIMIT) -> list[SitePage]:
    """The pages of the site, by subscription label; each gateway-required app on exactly one."""
    labels = subscription_labels(plan)
    by_sub: dict[str, list[App]] = {}
    names: dict[str, str] = {}
    for app in plan.get("apps") or ():
        if app.get("integration") != GATEWAY_REQUIRED:
            continue
        key = str(app.get("subscription_id") or app.get("subscription_name") or "").lower()
        by_sub.setdefault(key, []).append(app)
        names.setdefault(
            key, subscription_label(labels, app.get("subscription_id"), app.get("subscription_name"))
        )
    gateways_by_sub: dict[str, list[App]] = {}
    for gateway in plan.get("gateways") or ():
        if not gateway.get("steps"):
            continue  # no card to draw: the overview's table lists it
        key = _segment(gateway.get("id"), "subscriptions")
        gateways_by_sub.setdefault(key, []).append(gateway)
        names.setdefault(key, subscription_label(labels, key, None) if key else "Other gateways")

    pages: list[SitePage] = []
    for key in sorted(names, key=lambda k: (names[k].lower(), k)):
        pages += _split(names[key], by_sub.get(key, []), gateways_by_sub.get(key, []), page_limit)
    taken: set[str] = set()
    for page in pages:
        page.slug = _unique(page.slug, taken)
    return pages


def _split(label: str, apps: list[App], gateways: list[App], limit: int) -> list[SitePage]:
    """One page for the subscription, or runs of whole resource groups of at most `limit` apps."""
    slug = _slug(label)
    if len(apps) <= limit:
        return [SitePage(slug, label, "", apps, list(gateways))]
    groups: dict[str, list[App]] = {}
    for app in apps:
        groups.setdefault(str(app.get("resource_group") or "").lower(), []).append(app)
    chunks: list[list[tuple[str, list[App]]]] = [[]]
    size = 0
    for name in sorted(groups):
        members = groups[name]
        for start in range(0, len(members), limit):  # a group bigger than a page spans pages
            piece = members[start : start + limit]
            if size + len(piece) > limit and chunks[-1]:
                chunks.append([])
                size = 0
            chunks[-1].append((name, piece))
            size += len(piece)
    pages = []
    where: dict[str, int] = {}
    for i, chunk in enumerate(chunks):
        first = str(chunk[0][1][0].get("resource_group") or "")
        last = str(chunk[-1][1][0].get("resource_group") or "")
        groups_text = f"resource group {first}" if first == last else f"resource groups {first} – {last}"
        pages.append(
            SitePage(
                f"{slug}-{i + 1:0{len(str(len(chunks)))}d}",  # -01 ... -11: in order in a file list
                label,
                f"part {i + 1} of {len(chunks)}: {groups_text}",
                [app for _, piece in chunk for app in piece],
            )
        )
        for name, _ in chunk:
            where.setdefault(name, i)
    for gateway in gateways:  # with the apps of its resource group, else on the first part
        pages[where.get(_segment(gateway.get("id"), "resourcegroups"), 0)].gateways.append(gateway)
    return pages


def _segment(resource_id: Any, name: str) -> str:
    """The value after `/<name>/` in an ARM id, lower case ("" if absent)."""
    parts = str(resource_id or "").lower().split("/")
    for i, part in enumerate(parts[:-1]):
        if part == name:
            return parts[i + 1]
    return ""


def _slug(label: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")[:60].strip("-")
    return slug or "subscription"


def _unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate
