"""Benchmark the two reports people read: the Excel workbook and the HTML runbook.

    .venv/bin/python benchmarks/reports.py                      # Excel at 1,000/10,000/50,000 apps, HTML at 10,000
    .venv/bin/python benchmarks/reports.py --excel 50000 --html 10000 --browser
    .venv/bin/python benchmarks/reports.py --html 10000 --browser --keep /tmp/bench   # keep the files to look at
    .venv/bin/python benchmarks/reports.py --site 44000 --regional 6000 --browser      # the runbook as a site

The plan is synthetic: the gateway-required apps of tests/fixtures/plan_small.json cloned N times
with unique ids, names and commands (so strings are not shared as they would not be in a real plan),
spread over 20 waves, with a gateway per 20 apps and a subnet per 10. Each measurement runs in a
fresh subprocess; the peak resident set is reset (`/proc/self/clear_refs`) after the plan is built,
so "peak" is the writer's high-water mark and "extra" is what the writer added above the plan.
`--browser` opens the runbook in headless Chromium (Debian's /usr/bin/chromium, via Playwright)
and reports the time until the page's script has drawn it, and the time a filter takes.
`--site N` writes the runbook as a site (`--html-split site`: runbook.html plus runbook/*.html) and
prints the overview's size, the pages' count and sizes; with `--browser`, every page's first paint
(first-contentful-paint) and the time until its script has drawn it. `--regional M` adds M apps
already on regional integration (counted in the tiles, drawn nowhere), for a tenant of N + M apps.
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "plan_small.json"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def synthetic_plan(apps: int, waves: int = 20, regional: int = 0) -> dict[str, Any]:
    """A plan dict with `apps` gateway-required apps, cloned from the fixture's, every string unique
    (and `regional` apps already on regional integration, with no steps)."""
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))
    templates = [a for a in base["apps"] if a["integration"] == "gateway-required"]
    template_gateways = base["gateways"]
    out_apps = []
    for i in range(apps):
        tpl = templates[i % len(templates)]
        sub = base["subscriptions"][i % len(base["subscriptions"])]
        rg = f"rg-app-{i // 40:04d}"
        site = f"app-{i:06d}-{tpl['site_name']}"
        app_id = f"/subscriptions/{sub['id']}/resourceGroups/{rg}/providers/Microsoft.Web/sites/{site}"
        if tpl["slot"]:
            app_id += f"/slots/{tpl['slot']}"

        def swap(text: Any, tpl: dict[str, Any] = tpl, site: str = site, rg: str = rg) -> Any:
            if not isinstance(text, str):
                return text
            return text.replace(tpl["site_name"], site).replace(tpl["resource_group"], rg)

        app = copy.deepcopy(tpl)
        app.update(
            id=app_id,
            name=f"{site}/{tpl['slot']}" if tpl["slot"] else site,
            site_name=site,
            subscription_id=sub["id"],
            subscription_name=sub["name"],
            resource_group=rg,
            wave=1 + i * waves // apps,
            gateway_id=template_gateways[i // 20 % len(template_gateways)]["id"].replace(
                "vgw-", f"vgw-{i // 20:05d}-"
            ),
        )
        app["tags"] = {**tpl["tags"], "app": site}
        for step in app["steps"]:
            step["title"] = swap(step["title"])
            step["commands"] = [swap(c) for c in step["commands"]]
            step["validation"] = swap(step["validation"])
            step["rollback"] = swap(step["rollback"])
        for ev in app["evidence"]:
            ev["resource_id"] = swap(ev["resource_id"])
        out_apps.append(app)

    gateways = []
    for g in range((apps + 19) // 20):
        tpl = copy.deepcopy(template_gateways[g % len(template_gateways)])
        tpl["id"] = tpl["id"].replace("vgw-", f"vgw-{g:05d}-")
        tpl["name"] = _last(tpl["id"])
        tpl["dependents"] = [a["id"] for a in out_apps[g * 20 : (g + 1) * 20]]
        tpl["removal_wave"] = (
            min(waves, 1 + (g * 20 + 19) * waves // apps) if tpl["decommission"] == "yes" else None
        )
        gateways.append(tpl)
    subnets = []
    for s in range((apps + 9) // 10):
        tpl = copy.deepcopy(base["subnets"][s % len(base["subnets"])])
        tpl["name"] = f"snet-appsvc-{s:05d}"
        tpl["app_ids"] = [a["id"] for a in out_apps[s * 10 : (s + 1) * 10]]
        subnets.append(tpl)
    wave_list = []
    for w in range(1, waves + 1):
        wave_list.append(
            {
                "number": w,
                "name": f"Wave {w}",
                "start": "2026-12-07",
                "end": "2026-12-11",
                "app_ids": [a["id"] for a in out_apps if a["wave"] == w],
                "gateway_ids": [g["id"] for g in gateways if g["removal_wave"] == w],
            }
        )
    others = []
    for i in range(regional):
        sub = base["subscriptions"][i % len(base["subscriptions"])]
        site = f"app-reg-{i:06d}"
        others.append(
            {
                "id": f"/subscriptions/{sub['id']}/resourceGroups/rg-reg-{i // 40:04d}/providers/Microsoft.Web/sites/{site}",
                "name": site,
                "site_name": site,
                "slot": None,
                "subscription_id": sub["id"],
                "subscription_name": sub["name"],
                "resource_group": f"rg-reg-{i // 40:04d}",
                "integration": "regional",
                "readiness": None,
                "wave": None,
                "steps": [],
            }
        )
    plan = dict(base)
    plan.update(apps=out_apps + others, gateways=gateways, subnets=subnets, waves=wave_list)
    summary = dict(base["summary"])
    summary.update(
        apps_total=apps + regional,
        apps_gateway_required=apps,
        apps_regional=regional,
        apps_none=0,
        apps_unknown=0,
    )
    summary["readiness"] = {
        r: sum(1 for a in out_apps if a["readiness"] == r) for r in ("ready", "needs-work", "blocked")
    }
    plan["summary"] = summary
    return plan


def _last(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


# -- worker ---------------------------------------------------------------------------------------------


def _rss_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def worker(kind: str, apps: int, out_dir: Path, regional: int = 0) -> dict[str, Any]:
    """Build the plan, then write one report; time and memory of the write only."""
    sys.path.insert(0, str(ROOT))
    from planner.render.excel import write_workbook
    from planner.render.html import write_html
    from planner.render.site import site_folder, write_runbook

    plan = synthetic_plan(apps, regional=regional)
    steps = sum(len(a["steps"]) for a in plan["apps"])
    base = _rss_mb("VmRSS")
    reset = _reset_peak()
    name = {"excel": f"plan-{apps}.xlsx", "html": f"runbook-{apps}.html", "site": f"site-{apps}/runbook.html"}
    path = out_dir / name[kind]
    path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if kind == "site":
        write_runbook(plan, path, split="site")
    else:
        (write_workbook if kind == "excel" else write_html)(plan, path)
    seconds = time.perf_counter() - started
    peak = _rss_mb("VmHWM")
    pages = sorted(site_folder(path).glob("*.html")) if kind == "site" else []
    return {
        "pages": [str(p) for p in pages],
        "pages_mb": [round(p.stat().st_size / 1e6, 2) for p in pages],
        "kind": kind,
        "apps": apps,
        "steps": steps,
        "seconds": round(seconds, 2),
        "plan_rss_mb": round(base, 1),
        "peak_rss_mb": round(peak, 1),
        "extra_mb": round(peak - base, 1) if reset else None,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "path": str(path),
    }


def browser_load(path: Path) -> dict[str, Any]:
    """Open the runbook in headless Chromium: time to drawn, one filter, opening one card."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        started = time.perf_counter()
        page.goto(path.as_uri(), timeout=120_000)
        page.wait_for_selector("html[data-ready='1']", timeout=120_000)
        wall = time.perf_counter() - started
        timing = page.evaluate(
            """() => {
              const nav = performance.getEntriesByType('navigation')[0];
              const mark = performance.getEntriesByName('runbook-ready')[0];
              return {dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd, ready: mark ? mark.startTime : null,
                      cards: document.querySelectorAll('details.app').length};
            }"""
        )
        t0 = time.perf_counter()
        page.select_option("#f-ready", "blocked")  # the change handler redraws synchronously
        filter_ms = (time.perf_counter() - t0) * 1000
        page.select_option("#f-ready", "")
        t0 = time.perf_counter()
        page.fill("#f-q", "app-000123")
        _wait_until(page, "() => document.querySelectorAll('details.app').length <= 2")
        search_ms = (time.perf_counter() - t0) * 1000
        t0 = time.perf_counter()
        page.click("details.app >> nth=0 >> summary")
        page.wait_for_selector("details.app[open] ol.steps")
        open_ms = (time.perf_counter() - t0) * 1000
        browser.close()
    return {
        "wall_s": round(wall, 2),
        "dom_content_loaded_ms": round(timing["dcl"]),
        "ready_ms": round(timing["ready"]) if timing["ready"] is not None else None,
        "load_ms": round(timing["load"]),
        "cards_drawn": timing["cards"],
        "filter_ms": round(filter_ms),
        "search_ms": round(search_ms),
        "open_card_ms": round(open_ms),
        "errors": errors,
    }


def _wait_until(page: Any, predicate: str, timeout: float = 10.0) -> None:
    """Poll a predicate with page.evaluate: the page's CSP forbids the eval behind wait_for_function."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        if time.monotonic() > deadline:
            raise TimeoutError(predicate)
        time.sleep(0.01)


def first_paint(path: Path) -> dict[str, Any]:
    """Open one page in a fresh headless Chromium: first contentful paint and the script's drawn mark."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        started = time.perf_counter()
        page.goto(path.as_uri(), timeout=120_000)
        page.wait_for_selector("html[data-ready='1']", timeout=120_000)
        wall = time.perf_counter() - started
        timing = page.evaluate(
            """() => {
              const paint = performance.getEntriesByName('first-contentful-paint')[0];
              const mark = performance.getEntriesByName('runbook-ready')[0];
              return {fcp: paint ? paint.startTime : null, ready: mark ? mark.startTime : null};
            }"""
        )
        browser.close()
    return {
        "page": path.name,
        "first_paint_ms": round(timing["fcp"]) if timing["fcp"] is not None else None,
        "ready_ms": round(timing["ready"]) if timing["ready"] is not None else None,
        "wall_s": round(wall, 2),
        "errors": errors,
    }


def run(kind: str, apps: int, out_dir: Path, regional: int = 0) -> dict[str, Any]:
    """One measurement in a fresh interpreter."""
    proc = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(apps), str(out_dir), str(regional)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    """Parse arguments, run the measurements, print a table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--excel", type=int, nargs="*", default=None, help="app counts for the workbook")
    parser.add_argument("--html", type=int, nargs="*", default=None, help="app counts for the runbook")
    parser.add_argument(
        "--site", type=int, nargs="*", default=None, help="app counts for the runbook as a site"
    )
    parser.add_argument("--regional", type=int, default=0, help="apps already regional, added to each plan")
    parser.add_argument("--browser", action="store_true", help="also load each runbook in headless Chromium")
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, apps, out, regional = args.worker
        print(json.dumps(worker(kind, int(apps), Path(out), int(regional))))
        return
    chosen = args.excel is not None or args.html is not None or args.site is not None
    excel = args.excel if args.excel is not None else ([] if chosen else [1000, 10_000, 50_000])
    html = args.html if args.html is not None else ([] if chosen else [10_000])
    site = args.site or []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = args.keep or Path(tmp)
        out_dir.mkdir(parents=True, exist_ok=True)
        print(
            f"{'report':7} {'apps':>7} {'steps':>8} {'seconds':>8} {'peak MB':>8} {'extra MB':>9} {'file MB':>8}"
        )
        for kind, sizes in (("excel", excel), ("html", html), ("site", site)):
            for apps in sizes:
                r = run(kind, apps, out_dir, args.regional)
                extra = "?" if r["extra_mb"] is None else f"{r['extra_mb']:.0f}"
                print(
                    f"{kind:7} {apps:>7,} {r['steps']:>8,} {r['seconds']:>8.2f} {r['peak_rss_mb']:>8.0f} "
                    f"{extra:>9} {r['file_mb']:>8.1f}"
                )
                if kind == "html" and args.browser:
                    b = browser_load(Path(r["path"]))
                    print(f"        chromium: {json.dumps(b)}")
                if kind == "site":
                    sizes_mb = r["pages_mb"]
                    print(
                        f"        site: overview {r['file_mb']:.1f} MB, {len(sizes_mb)} pages, "
                        f"largest {max(sizes_mb, default=0):.1f} MB, all pages {sum(sizes_mb):.1f} MB"
                    )
                if kind == "site" and args.browser:
                    paints = [first_paint(Path(r["path"]))] + [first_paint(Path(p)) for p in r["pages"]]
                    for b in paints:
                        print(f"        chromium: {json.dumps(b)}")
                    worst = max(paints, key=lambda b: b["first_paint_ms"] or 0)
                    slowest = max(paints, key=lambda b: b["ready_ms"] or 0)
                    print(
                        f"        first paint: overview {paints[0]['first_paint_ms']} ms, slowest page "
                        f"{worst['first_paint_ms']} ms ({worst['page']}); drawn: slowest "
                        f"{slowest['ready_ms']} ms ({slowest['page']})"
                    )


if __name__ == "__main__":
    main()
