"""The HTML runbook as a site: an overview plus a page per subscription, past a threshold."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import json
import re
import threading
from collections import Counter
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_html import (
    ALLOWED_LINKS,
    Page,
    _QuietHandler,
    browser,  # noqa: F401  (the fixture, shared)
    data_block,
    gateway_required,
    synthetic_plan,
)

from planner.core.settings import Settings
from planner.render import html as runbook
from planner.render.html import write_html
from planner.render.registry import Format, write_outputs
from planner.render.site import site_pages, split_mode, write_runbook

APPS = 300  # two subscriptions in the synthetic plan: 150 apps each


def site_plan(apps: int = APPS) -> dict[str, Any]:
    plan = synthetic_plan(apps)
    plan["settings"] = {**(plan.get("settings") or {}), "html_split": "site"}
    return plan


def pages_of(out: Path) -> list[Path]:
    return sorted((out / "runbook").glob("*.html"))


def links(page: str) -> list[str]:
    return re.findall(r'\b(?:src|href|action)\s*=\s*["\']([^"\']+)', page, re.I)


# -- which page, without a browser -----------------------------------------------------------------


def test_below_the_threshold_the_runbook_is_one_page(tmp_path: Path) -> None:
    plan = synthetic_plan(30)
    assert split_mode(plan) == "single"
    write_outputs(plan, tmp_path, [Format.HTML])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runbook.html"]
    page = (tmp_path / "runbook.html").read_text(encoding="utf-8")
    assert len(data_block(page)["apps"]) == 30 and "site" not in data_block(page)


def test_the_threshold_and_the_option_decide() -> None:
    plan = synthetic_plan(30)
    assert split_mode(plan, threshold=30) == "site"
    assert split_mode(plan, threshold=31) == "single"
    plan["settings"] = Settings(html_split="site").as_dict()
    assert split_mode(plan) == "site"
    plan["settings"] = Settings(html_split="single").as_dict()
    assert split_mode(plan, threshold=1) == "single"
    with pytest.raises(ValueError, match="html_split"):
        Settings(html_split="pages")


def test_above_the_threshold_every_app_is_on_exactly_one_page(tmp_path: Path) -> None:
    plan = synthetic_plan(APPS)
    write_runbook(plan, tmp_path / "runbook.html", threshold=APPS)
    pages = pages_of(tmp_path)
    assert [p.name for p in pages] == ["contoso-dev-test.html", "contoso-production.html"]
    seen = Counter(a["id"] for p in pages for a in data_block(p.read_text(encoding="utf-8"))["apps"])
    assert set(seen) == {a["id"] for a in gateway_required(plan)}
    assert set(seen.values()) == {1}
    index = (tmp_path / "runbook.html").read_text(encoding="utf-8")
    assert data_block(index)["apps"] == [] and data_block(index)["site"]["index"] is True


def test_a_big_subscription_splits_by_resource_group(tmp_path: Path) -> None:
    plan = synthetic_plan(APPS)
    write_runbook(plan, tmp_path / "runbook.html", split="site", page_limit=60)
    pages = pages_of(tmp_path)
    assert len(pages) == 6  # 150 apps a subscription, whole groups of 40 apps (20 each here), <= 60 a page
    seen: Counter[str] = Counter()
    for path in pages:
        apps = data_block(path.read_text(encoding="utf-8"))["apps"]
        assert 0 < len(apps) <= 60
        groups = {(a["subId"], a["rg"]) for a in apps}
        for other in pages:  # a resource group is on one page only
            if other != path:
                others = data_block(other.read_text(encoding="utf-8"))["apps"]
                assert not groups & {(a["subId"], a["rg"]) for a in others}
        seen.update(a["id"] for a in apps)
    assert sorted(seen) == sorted(a["id"] for a in gateway_required(plan)) and set(seen.values()) == {1}
    titles = [p.title for p in site_pages(plan, 60)]
    assert titles[0] == "Contoso Dev-Test, part 1 of 3: resource groups rg-app-0000 – rg-app-0002"


def test_every_gateway_with_steps_is_on_one_page_and_linked_from_the_overview(tmp_path: Path) -> None:
    plan = site_plan()
    write_runbook(plan, tmp_path / "runbook.html")
    cards = Counter(
        g["id"] for p in pages_of(tmp_path) for g in data_block(p.read_text(encoding="utf-8"))["gateways"]
    )
    assert set(cards) == {g["id"] for g in plan["gateways"] if g.get("steps")} and set(cards.values()) == {1}
    index = (tmp_path / "runbook.html").read_text(encoding="utf-8")
    assert re.search(r'href="runbook/contoso-[a-z-]+\.html#wave-\d+">Wave', index)


def test_overview_links_resolve_and_every_page_is_self_contained(tmp_path: Path) -> None:
    write_runbook(site_plan(), tmp_path / "runbook.html")
    for path in [tmp_path / "runbook.html", *pages_of(tmp_path)]:
        page = path.read_text(encoding="utf-8")
        assert "<link" not in page.replace('<link rel="icon" href="data:,">', "")
        assert "@import" not in page and "url(" not in page and " style=" not in page
        for url in links(page):
            if re.match(r"(?i)https?:", url):
                assert url.startswith(ALLOWED_LINKS), (path.name, url)
            elif url.startswith("#") or url == "data:,":
                continue
            else:  # a page of the site: it exists
                target = (path.parent / url.split("#")[0]).resolve()
                assert target.is_file(), (path.name, url)
        csp = html_lib.unescape(re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1))
        assert "default-src 'none'" in csp and "unsafe-inline" not in csp
        style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
        script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
        for text, directive in ((style, "style-src"), (script, "script-src")):
            digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
            assert f"{directive} 'sha256-{digest}'" in csp
    index = (tmp_path / "runbook.html").read_text(encoding="utf-8")
    assert {u.split("#")[0] for u in links(index) if u.startswith("runbook/")} == {
        f"runbook/{p.name}" for p in pages_of(tmp_path)
    }


def test_the_overview_says_why_apps_are_blocked(tmp_path: Path) -> None:
    plan = site_plan()
    write_runbook(plan, tmp_path / "runbook.html")
    text = " ".join(
        html_lib.unescape(re.sub(r"<[^>]+>", " ", (tmp_path / "runbook.html").read_text())).split()
    )
    blocked = sum(a["readiness"] == "blocked" for a in gateway_required(plan))
    assert f"Why {blocked} apps are blocked" in text
    counts = Counter(c for a in gateway_required(plan) for c in a["blockers"])
    for code, n in counts.items():
        assert f"{plan['codes'][code]['title']} {code} {n}" in text


# -- writing, all or nothing -----------------------------------------------------------------------


def test_a_failing_page_leaves_the_old_output_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_outputs(site_plan(), tmp_path, [Format.HTML])
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    calls = {"n": 0}
    real = runbook._app_view

    def fails_on_the_second_page(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > APPS // 2:
            raise RuntimeError("boom")
        return real(*args)

    monkeypatch.setattr(runbook, "_app_view", fails_on_the_second_page)
    with pytest.raises(RuntimeError, match="boom"):
        write_outputs(site_plan(), tmp_path, [Format.HTML])
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runbook", "runbook.html"]


def test_a_new_run_replaces_the_old_site_cleanly(tmp_path: Path) -> None:
    write_outputs(site_plan(), tmp_path, [Format.HTML])
    assert len(pages_of(tmp_path)) == 2
    plan = site_plan()
    plan["apps"] = [a for a in plan["apps"] if a["subscription_name"] == "Contoso Production"]
    plan["gateways"] = [g for g in plan["gateways"] if "/11111111-" in g["id"]]
    write_outputs(plan, tmp_path, [Format.HTML])
    assert [p.name for p in pages_of(tmp_path)] == ["contoso-production.html"]  # the other page is gone
    plan["settings"]["html_split"] = "single"
    write_outputs(plan, tmp_path, [Format.HTML])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runbook.html"]  # one page: no stale site


# -- in headless Chromium --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A site and the same plan as one page, served from one origin over http://127.0.0.1."""
    folder = tmp_path_factory.mktemp("runbook-site")
    plan = site_plan()
    write_runbook(plan, folder / "runbook.html")
    write_html(plan, folder / "single.html")
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_QuietHandler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_every_page_loads_without_errors_or_outside_requests(browser: Any, served: tuple[str, Path]) -> None:  # noqa: F811
    base, folder = served
    for path in [folder / "runbook.html", *pages_of(folder)]:
        page = Page(browser, f"{base}/{path.relative_to(folder).as_posix()}")
        try:
            assert page.errors == [] and page.requests == [page.url], path.name
            if path.name != "runbook.html":
                shown = len(data_block(path.read_text(encoding="utf-8"))["apps"])
                assert page.page.locator("#shown").inner_text() == f"Showing {shown} of {shown} apps"
                page.page.locator("details.app >> nth=0 >> summary").click()  # steps, copy buttons, ticks
                # The steps are drawn by the <details> toggle event, which fires after the click returns.
                page.page.locator("details.app[open] button.copy").first.wait_for(timeout=5000)
                assert page.page.locator("details.app[open] button.copy").count() > 0
                assert page.errors == []
        finally:
            page.close()


@pytest.mark.browser
def test_a_tick_on_a_page_counts_on_the_overview_and_shows_on_the_single_page(
    browser: Any,  # noqa: F811
    served: tuple[str, Path],
) -> None:
    base, folder = served
    first = pages_of(folder)[0].name
    context_page = Page(browser, f"{base}/runbook/{first}")
    context = context_page.context
    p = context_page.page
    try:
        card = p.locator("details.app").first
        card.locator("summary").click()
        card.locator("input.tick").first.check()
        name = card.locator(".app-name").inner_text()
        context_page.open()  # reload page A: the tick is still there
        card = p.locator("details.app").first
        assert card.locator(".app-progress").inner_text().startswith("1/")

        overview = context.new_page()
        overview.route(
            "**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort()
        )
        overview.goto(f"{base}/runbook.html")
        overview.wait_for_selector("html[data-ready='1']")
        total = json.loads(overview.locator("#plan-data").text_content())["site"]["pages"]
        assert (
            overview.locator("#overall-text")
            .inner_text()
            .startswith(f"1 of {sum(x['total'] for x in total)} steps")
        )
        row = overview.locator(f'tr[data-page="{first[:-5]}"] .page-done')
        assert row.inner_text().startswith("1 of ")
        assert overview.locator("td.wave-progress-cell >> text=/^1 of /").count() == 1

        single = context.new_page()  # the same step on another page that lists the app: done there too
        single.goto(f"{base}/single.html")
        single.wait_for_selector("html[data-ready='1']")
        app = single.locator("details.app", has_text=name).first
        assert app.locator(".app-progress").inner_text().startswith("1/")
    finally:
        context_page.close()


@pytest.mark.browser
@pytest.mark.parametrize("width", [1440, 390])
def test_overview_reads_at_desktop_and_phone_width(
    browser: Any,  # noqa: F811
    served: tuple[str, Path],
    tmp_path: Path,
    width: int,
) -> None:
    base, _ = served
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        page.goto(f"{base}/runbook.html")
        page.wait_for_selector("html[data-ready='1']")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        tiles = page.locator(".tiles").bounding_box()
        blockers = page.locator("#blockers").bounding_box()
        if width >= 1000:  # the breakdown sits beside the tiles
            assert blockers["x"] >= tiles["x"] + tiles["width"] and abs(blockers["y"] - tiles["y"]) < 40
        else:
            assert blockers["y"] >= tiles["y"] + tiles["height"]
        page.screenshot(path=str(tmp_path / f"overview-{width}.png"), full_page=True)
    finally:
        page.close()
