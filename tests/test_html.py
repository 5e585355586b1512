"""The HTML runbook: plain checks of the file, then the page itself in headless Chromium."""

from __future__ import annotations

import base64
import hashlib
import html as html_lib
import importlib.util
import json
import re
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from planner.render import html as runbook
from planner.render.html import json_for_script, render_html, write_html

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "plan_small.json"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INJECT = '</script><script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
ALLOWED_LINKS = ("https://portal.azure.com/", "https://learn.microsoft.com/")


def load_plan() -> dict[str, Any]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def gateway_required(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in plan["apps"] if a["integration"] == "gateway-required"]


def data_block(page: str) -> Any:
    match = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', page, re.S)
    assert match, "no data block"
    return json.loads(match.group(1))


# -- the file, without a browser ----------------------------------------------------------------------


def test_json_for_script_escapes_what_could_end_the_block() -> None:
    data = {"name": "</script><!-- & > \u2028 \u2029", "n": [1, None]}
    text = json_for_script(data)
    for raw in ("<", ">", "&", "\u2028", "\u2029"):
        assert raw not in text
    assert json.loads(text) == data


def test_page_is_self_contained() -> None:
    page = render_html(load_plan())
    assert "<link" not in page.replace('<link rel="icon" href="data:,">', "")
    assert "@import" not in page and "url(" not in page
    for attr, url in re.findall(r'\b(src|href|action)\s*=\s*["\']?([^"\'\s>]+)', page, re.I):
        if re.match(r"(?i)https?:", url):
            assert url.startswith(ALLOWED_LINKS), (attr, url)
        else:
            assert attr.lower() == "href" and (url.startswith("#") or url == "data:,"), (attr, url)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp


def test_csp_hashes_match_the_inline_style_and_script() -> None:
    page = render_html(load_plan())
    csp = html_lib.unescape(re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1))
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    for text, directive in ((style, "style-src"), (script, "script-src")):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in csp


def test_data_block_round_trips_and_hostile_names_stay_text() -> None:
    plan = load_plan()
    app = gateway_required(plan)[0]
    app["name"] = app["site_name"] = INJECT + "\u2028"
    plan["gateways"][0]["name"] = "<b>gw</b>"
    plan["inventory"]["warnings"] = ["<script>alert(1)</script>"]
    page = render_html(plan)
    assert "<script>window.__pwned" not in page and "<img src=x" not in page
    assert "&lt;b&gt;gw&lt;/b&gt;" in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    data = data_block(page)
    assert data["apps"][0]["site"] == INJECT + "\u2028"
    assert len(data["apps"]) == len(gateway_required(plan))
    assert page.count("<script") == 2


def test_banner_waves_gateways_and_codes_are_on_the_page() -> None:
    plan = load_plan()
    page = render_html(plan)
    text = re.sub(r"<[^>]+>", " ", page.split('<script type="application/json"')[0])
    text = " ".join(html_lib.unescape(text).split())
    assert "122 days left" in text and "retires on 31 Mar 2027" in text
    assert text.index("Wave 1") < text.index("Wave 2") < text.index("Wave 3") < text.index("Not scheduled")
    assert "7–11 Dec 2026" in text
    assert "138.70 USD per month, 1,664.40 USD per year" in text
    for code in plan["codes"].values():
        assert " ".join(code["meaning"].split()) in text
    assert "Contoso Sandbox" in text  # the subscription that was not read
    assert page.count("<svg") == 2


def test_a_plan_without_waves_or_apps_renders() -> None:
    plan = load_plan()
    for app in plan["apps"]:
        app["wave"] = None
    plan.update(waves=[], schedule=None)
    page = render_html(plan)
    assert "Not scheduled" in page and "Schedule against the deadline" not in page
    plan.update(apps=[], gateways=[], subnets=[])
    page = render_html(plan)
    assert "nothing to migrate" in page


def test_failed_write_leaves_no_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "runbook.html"
    path.write_text("old")

    def broken(*args: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(runbook, "_app_view", broken)
    with pytest.raises(RuntimeError, match="boom"):
        write_html(load_plan(), path)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["runbook.html"]


def test_real_sample_plan_renders(tmp_path: Path) -> None:
    pipeline = pytest.importorskip("planner.plan.pipeline")
    plan = pipeline.run_plan(ROOT / "samples" / "contoso")
    path = tmp_path / "runbook.html"
    write_html(plan, path)
    assert len(data_block(path.read_text(encoding="utf-8"))["apps"]) == len(gateway_required(plan))


# -- the page in headless Chromium ----------------------------------------------------------------------


def synthetic_plan(apps: int) -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("bench_reports", ROOT / "benchmarks" / "reports.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.synthetic_plan(apps, waves=2)


def current_sample_plan() -> dict[str, Any]:
    """The bundled sample planned now (plan format 2; the fixture above is a plan@1 on purpose)."""
    from planner.plan.pipeline import run_plan

    return run_plan(ROOT / "samples" / "contoso")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The runbooks served over http://127.0.0.1 (clipboard and storage need a real origin)."""
    folder = tmp_path_factory.mktemp("site")
    plan = load_plan()
    write_html(plan, folder / "runbook.html")
    hostile = load_plan()
    gateway_required(hostile)[0]["site_name"] = INJECT
    gateway_required(hostile)[0]["tags"] = {"x": INJECT}
    write_html(hostile, folder / "hostile.html")
    write_html(synthetic_plan(240), folder / "big.html")
    write_html(current_sample_plan(), folder / "contoso.html")
    handler = partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("headless Chromium is not installed (/usr/bin/chromium): apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


class Page:
    """A page plus what it said on the console and every request it made."""

    def __init__(self, browser: Any, url: str, **context: Any):
        self.context = browser.new_context(**context)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._route)
        self.url = url
        self.open()

    def _route(self, route: Any) -> None:
        self.requests.append(route.request.url)
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def open(self) -> None:
        self.page.goto(self.url)
        self.page.wait_for_selector("html[data-ready='1']")

    def cards(self) -> Any:
        return self.page.locator("details.app:visible")

    def close(self) -> None:
        self.context.close()


@pytest.mark.browser
def test_page_loads_without_errors_or_outside_requests(browser: Any, site: tuple[str, Path]) -> None:
    page = Page(browser, site[0] + "/runbook.html")
    try:
        assert page.cards().count() == len(gateway_required(load_plan()))
        page.page.locator("details.app >> nth=0 >> summary").click()
        page.page.locator("details.gw-card >> nth=0 >> summary").click()
        assert page.errors == []
        assert page.requests == [page.url]
        assert page.page.locator("#shown").inner_text() == "Showing 8 of 8 apps"
    finally:
        page.close()


@pytest.mark.browser
def test_filters_narrow_the_cards(browser: Any, site: tuple[str, Path]) -> None:
    plan = load_plan()
    apps = gateway_required(plan)
    page = Page(browser, site[0] + "/runbook.html")
    p = page.page
    try:
        p.select_option("#f-ready", "blocked")
        badges = p.locator("details.app:visible .badge").all_inner_texts()
        assert badges == ["Blocked"] * sum(a["readiness"] == "blocked" for a in apps)
        assert p.locator("section.wave:visible").count() == 1  # only wave 3 has blocked apps
        p.select_option("#f-ready", "")
        p.select_option("#f-wave", "2")
        assert sorted(p.locator("details.app:visible .app-name").all_inner_texts()) == sorted(
            a["name"] for a in apps if a["wave"] == 2
        )
        p.select_option("#f-wave", "")
        p.select_option("#f-sub", "Contoso Dev-Test")
        assert page.cards().count() == sum(a["subscription_name"] == "Contoso Dev-Test" for a in apps)
        p.select_option("#f-sub", "")
        p.select_option("#f-code", "CROSS_REGION")
        assert p.locator("details.app:visible .app-name").all_inner_texts() == ["app-legacy-crm"]
        p.select_option("#f-code", "")
        p.fill("#f-q", "team-orders")  # a tag value
        _wait(lambda: page.cards().count() == 1)
        assert p.locator("details.app:visible .app-name").inner_text().endswith("api-orders")
        assert "#q=team-orders" in p.url
        p.click("#clear")
        _wait(lambda: page.cards().count() == len(apps))
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_a_tick_survives_a_reload_and_counts_in_the_wave(browser: Any, site: tuple[str, Path]) -> None:
    page = Page(browser, site[0] + "/runbook.html")
    p = page.page
    try:
        first = p.locator("details.app").first
        first.locator("summary").click()
        total = p.locator("#wave-1 .wave-done").inner_text()
        first.locator("input.tick").first.check()
        assert first.locator(".app-progress").inner_text().startswith("1/")
        assert p.locator("#wave-1 .wave-done").inner_text() == total.replace("0 of", "1 of")
        page.open()  # reload
        first = p.locator("details.app").first
        assert first.locator(".app-progress").inner_text().startswith("1/")
        first.locator("summary").click()
        assert first.locator("input.tick").first.is_checked()
        assert not first.locator("input.tick").nth(1).is_checked()
        assert p.locator("#wave-1 .wave-done").inner_text().startswith("1 of")
        p.check("#f-open")
        assert page.cards().count() == len(gateway_required(load_plan()))  # one tick does not finish an app
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_copy_button_copies_the_commands(browser: Any, site: tuple[str, Path]) -> None:
    base = site[0]
    page = Page(browser, base + "/runbook.html", permissions=["clipboard-read", "clipboard-write"])
    p = page.page
    try:
        app = gateway_required(load_plan())[0]
        card = p.locator("details.app").first
        card.locator("summary").click()
        card.locator("button.copy").first.click()
        _wait(lambda: card.locator("button.copy").first.inner_text() == "Copied")
        assert p.evaluate("() => navigator.clipboard.readText()") == "\n".join(app["steps"][0]["commands"])
        slot = p.locator("details.app", has_text="staging").first
        slot.locator("summary").click()
        slot.locator("details.bicep summary").click()
        slot.locator("details.bicep button.copy").click()
        _wait(lambda: slot.locator("details.bicep button.copy").inner_text() == "Copied")
        assert p.evaluate("() => navigator.clipboard.readText()").startswith("resource site ")
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_step_notes_and_deploy_calls_of_a_plan2_are_shown(browser: Any, site: tuple[str, Path]) -> None:
    plan = current_sample_plan()
    app = next(a for a in gateway_required(plan) if any(s.get("deploy") for s in a["steps"]))
    delete = next(s for s in app["steps"] if "outage-starts" in s["see"])
    connect = next(s for s in app["steps"] if s.get("deploy"))
    page = Page(browser, site[0] + "/contoso.html")
    p = page.page
    try:
        card = p.locator("details.app", has=p.locator(".app-name", has_text=app["name"])).first
        card.locator("summary").click()
        steps = card.locator("ol.steps > li")
        said = steps.nth(delete["order"] - 1).locator(".step-notes").inner_text()
        assert plan["step_notes"]["outage-starts"] in said  # the shared text, written once on the page
        assert plan["step_notes"]["delete-connection-by-url"] in said
        bicep = steps.nth(connect["order"] - 1).locator("details.bicep")
        bicep.locator("summary").click()
        module = connect["deploy"][0]["module"]
        assert f"module m1 'modules/{module}.bicep'" in bicep.locator("pre").inner_text()
        assert page.errors == []
    finally:
        page.close()
    text = (site[1] / "contoso.html").read_text(encoding="utf-8")
    assert text.count(plan["step_notes"]["outage-starts"]) == 1


@pytest.mark.browser
def test_script_injection_in_names_stays_text(browser: Any, site: tuple[str, Path]) -> None:
    page = Page(browser, site[0] + "/hostile.html")
    p = page.page
    try:
        card = p.locator("details.app", has_text="window.__pwned").first
        assert INJECT in card.locator(".app-name").inner_text()
        card.locator("summary").click()
        assert INJECT in card.locator(".facts").inner_text()
        assert p.evaluate("() => window.__pwned") is None
        assert p.locator("img").count() == 0
        assert page.requests == [page.url]
        assert page.errors == []
    finally:
        page.close()


@pytest.mark.browser
def test_cards_are_drawn_lazily_and_print_opens_them(browser: Any, site: tuple[str, Path]) -> None:
    page = Page(browser, site[0] + "/big.html")
    p = page.page
    try:
        wave = p.locator("#wave-1")
        assert wave.locator("details.app").count() == 50
        assert p.locator("details.app ol.steps").count() == 0  # steps are drawn when a card opens
        wave.locator("button.more").click()
        assert wave.locator("details.app").count() == 100
        p.select_option("#f-wave", "2")
        p.evaluate("() => window.dispatchEvent(new Event('beforeprint'))")
        assert p.locator("details.app[open]").count() == 120
        assert p.locator("details.app[open] ol.steps").count() == 120
        assert page.errors == []
    finally:
        page.close()


def _wait(predicate: Any, timeout: float = 5.0) -> None:
    """Poll from Python: the page's CSP forbids the eval behind Playwright's wait_for_function."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


LAYOUT_SIZES = (1, 30, 2000)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["x"] + inner["w"] <= outer["x"] + outer["w"] + 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["y"] + inner["h"] <= outer["y"] + outer["h"] + 0.5
    )


@pytest.mark.browser
@pytest.mark.parametrize("apps", LAYOUT_SIZES)
def test_chart_labels_never_overlap_and_stay_inside_their_chart(
    browser: Any, tmp_path: Path, apps: int
) -> None:
    plan = synthetic_plan(apps)
    for app in gateway_required(plan)[: max(1, apps // 3)]:  # large counts make long legend labels
        app["readiness"] = "needs-work"
    plan["summary"]["readiness"] = {"ready": 9000 + apps, "needs-work": 25000 + apps, "blocked": 203 + apps}
    write_html(plan, tmp_path / "runbook.html")
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    try:
        page.goto((tmp_path / "runbook.html").as_uri())
        page.wait_for_selector("html[data-ready='1']")
        for chart in page.locator("figure.chart svg").all():
            frame = chart.bounding_box()
            labels = [
                t.bounding_box() for t in chart.locator("text.legend, text.bar-label, text.row-label").all()
            ]
            labels = [dict(x=b["x"], y=b["y"], w=b["width"], h=b["height"]) for b in labels if b]
            box = dict(x=frame["x"], y=frame["y"], w=frame["width"], h=frame["height"])
            assert all(_inside(label, box) for label in labels), (
                apps,
                [x for x in labels if not _inside(x, box)][:3],
            )
            legend = [t.bounding_box() for t in chart.locator("text.legend, rect.seg").all()[:6]]
            legend = [
                dict(x=b["x"], y=b["y"], w=b["width"], h=b["height"])
                for b in legend
                if b and b["y"] < frame["y"] + 20
            ]
            assert not any(_overlap(a, b) for i, a in enumerate(legend) for b in legend[i + 1 :]), apps
    finally:
        page.close()


@pytest.mark.browser
def test_phone_width_has_no_sideways_scroll_and_folds_the_filters(
    browser: Any, site: tuple[str, Path]
) -> None:
    url, folder = site
    page = browser.new_page(viewport={"width": 390, "height": 844})
    try:
        page.goto(f"{url}/runbook.html")
        page.wait_for_selector("html[data-ready='1']")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert not page.locator("#controls input[type=search], #controls select").first.is_visible()
        page.locator(".controls-toggle").click()
        assert page.locator("#controls select").first.is_visible()
        for table in page.locator("table").all():  # wide tables scroll inside their own box
            assert table.bounding_box()["width"] <= 390
        page.screenshot(path=str(folder / "phone.png"), full_page=True)
    finally:
        page.close()


def test_single_page_answers_why_apps_are_blocked_and_marks_blocked_waves(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from planner.cli import app

    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["demo", "--out", str(out), "--format", "html,json", "-q"]).exit_code == 0
    page = (out / "runbook.html").read_text(encoding="utf-8")
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    blocked = plan["summary"]["readiness"]["blocked"]
    head = page.split('id="plan-data"', 1)[0]
    assert f"Why {blocked} apps are blocked" in head and head.index('id="blockers"') < head.index(
        'class="charts"'
    )
    for code, count in plan["summary"]["blockers"].items():
        if count:
            assert f"<code>{code}</code>" in head
    assert 'class="wave-bar blocked' in head and 'class="wave-bar ready' in head  # blocked waves stand out
