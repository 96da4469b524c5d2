"""Accessibility and navigation in a real browser (Debian Chromium + Playwright).

- axe-core (from the npm registry, installed by `.ci/run` into tests/.node/) is injected into every page after it
  settles, in the light and the dark colour scheme and at phone size; WCAG 2.0/2.1/2.2 A and AA rules must report
  no violation (the report is printed on failure).
- each page has its own <title>; `/map?...` opens the map; one history entry per user action (Back returns to the
  previous view in one press); the Data & downloads task "all North West LAs 2015-2025 with CIs" in <= 5 clicks.
"""
from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import pytest

from pages._lib import registry
from tests.test_browser import ARTIFACTS, TIMEOUT_MS, _url_param, browser, goto, no_exception, server, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / ".node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
# every menu page but the Newborns page (tests/test_newborns_page.py has its own)
PAGES = [(p.path, p.title) for p in registry.menu(exclude=("newborns",))]


def _ctx(browser, scheme="light", phone=False):  # noqa: F811
    vp = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 768}
    return browser.new_context(viewport=vp, color_scheme=scheme, accept_downloads=True,
                               is_mobile=phone, has_touch=phone, device_scale_factor=1)


def _open(ctx, url):
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    goto(pg, url)
    pg.wait_for_timeout(800)  # charts finish drawing after the script has finished
    wait_idle(pg)
    return pg


@contextlib.contextmanager
def _opened(browser, url, scheme="light", phone=False):  # noqa: F811
    """One page at `url` in a new browser context (closed on leaving the block)."""
    ctx = _ctx(browser, scheme, phone)
    try:
        yield _open(ctx, url)
    finally:
        ctx.close()


def axe_violations(pg) -> list[dict]:
    if not AXE.exists():
        pytest.skip("axe-core not installed (run `npm install --prefix tests/.node axe-core`, as .ci/run does)")
    pg.add_script_tag(path=str(AXE))
    return pg.evaluate("""async (tags) => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 8).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""", WCAG_TAGS)


def _report(path, scheme, viol) -> str:
    lines = [f"axe-core: {len(viol)} WCAG A/AA rule(s) violated on {path} ({scheme})"]
    for v in viol:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']}")
        for n in v["nodes"]:
            lines.append(f"    {n['target']}: {n['summary']}".replace("\n", " "))
    return "\n".join(lines)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("path,title", PAGES)
def test_axe_clean(server, browser, path, title, scheme):  # noqa: F811
    with _opened(browser, server["base"] + path, scheme) as pg:
        no_exception(pg)
        viol = axe_violations(pg)
        if viol:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            name = f"axe_{path.strip('/') or 'map'}_{scheme}"
            pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
            (ARTIFACTS / f"{name}.json").write_text(json.dumps(viol, indent=1))
        assert not viol, _report(path, scheme, viol)


@pytest.mark.parametrize("path", ["/?colour=significance&area=E06000009", "/north_south?view=models",
                                  "/north_south?view=oe", "/north_south?view=funnel", "/methods?tab=build",
                                  "/methods?tab=accessibility", "/profile?area=E06000009",
                                  "/trends?areas=E06000009,E08000016&view=regions"])
def test_axe_clean_other_views(server, browser, path):  # noqa: F811
    """Views behind the pages' defaults: significance colouring with a selected area, the model text, the
    observed/expected map, the funnel plot, build warnings (a scrollable code block), a profile."""
    with _opened(browser, server["base"] + path, "light") as pg:
        no_exception(pg)
        viol = axe_violations(pg)
        assert not viol, _report(path, "light", viol)


@pytest.mark.parametrize("path", ["/", "/compare?area=E06000009", "/north_south"])
def test_axe_clean_phone(server, browser, path):  # noqa: F811
    with _opened(browser, server["base"] + path, "light", phone=True) as pg:
        viol = axe_violations(pg)
        assert not viol, _report(path, "phone", viol)


def test_each_page_has_its_own_title(server, browser):  # noqa: F811
    ctx = _ctx(browser)
    try:
        seen = {}
        for path, title in PAGES:
            pg = _open(ctx, server["base"] + path)
            pg.wait_for_function("(t) => document.title.includes(t)", arg=title, timeout=TIMEOUT_MS)
            seen[path] = pg.title()
            pg.close()
        assert len(set(seen.values())) == len(PAGES), seen
    finally:
        ctx.close()


def test_map_path_opens_the_map(server, browser):  # noqa: F811
    with _opened(browser, server["base"] + "/map?measure=cla_starts_u1_rate&year=2023") as pg:
        no_exception(pg)
        assert "Page not found" not in pg.locator("body").inner_text()
        assert pg.locator("h1").first.inner_text().startswith("Map")
        assert _url_param(pg, "year") == "2023"
        pg.wait_for_selector('[data-testid="stPlotlyChart"] canvas', timeout=TIMEOUT_MS)


def _back(pg):
    pg.go_back()
    pg.wait_for_timeout(300)
    wait_idle(pg)


def test_back_returns_to_previous_view_in_one_press(server, browser):  # noqa: F811
    with _opened(browser, server["base"] + "/?measure=cla_starts_u1_rate&year=2024") as pg:
        first = pg.url
        slider = pg.get_by_role("slider").first
        slider.focus()
        pg.keyboard.press("ArrowLeft")
        pg.wait_for_function("() => location.search.includes('year=2023')", timeout=TIMEOUT_MS)
        wait_idle(pg)
        # a change of year is one entry: Back returns to 2024
        _back(pg)
        pg.wait_for_function("() => location.search.includes('year=2024')", timeout=TIMEOUT_MS)
        assert _url_param(pg, "year") == "2024"
        assert "2023/24" in pg.locator('[data-testid="stMarkdown"]').all_inner_texts().__str__()
        # navigating to another page is one entry: Back returns to the map in one press
        pg.goto(first)
        wait_idle(pg)
        pg.get_by_role("link", name="Trends").first.click()
        pg.wait_for_function("() => location.pathname.endsWith('/trends')", timeout=TIMEOUT_MS)
        wait_idle(pg)
        pg.wait_for_timeout(500)
        _back(pg)
        pg.wait_for_function("() => !location.pathname.endsWith('/trends')", timeout=10_000)
        wait_idle(pg)
        assert pg.locator("h1").first.inner_text().startswith("Map")


def test_downloads_north_west_2015_2025_in_five_clicks(server, browser):  # noqa: F811
    """Task (3): a CSV of all North West LAs 2015-2025 with CIs, counting every click from the page opening."""
    with _opened(browser, server["base"] + "/downloads") as pg:
        clicks = 0
        pg.locator(".st-key-w_downloads_region").click(); clicks += 1  # noqa: E702
        pg.get_by_role("option", name="North West", exact=True).click(); clicks += 1  # noqa: E702
        wait_idle(pg)
        # one click on the year slider's track at 2015 moves the start of the range there
        thumb = pg.locator('.st-key-w_downloads_from_to input[type="range"]').first
        lo, hi = int(thumb.get_attribute("min")), int(thumb.get_attribute("max"))
        assert lo <= 2015 and hi == 2025, (lo, hi)
        if lo < 2015:
            box = pg.locator('.st-key-w_downloads_from_to [data-rac][style*="relative"]').first.bounding_box()
            x = box["x"] + box["width"] * (2015 - lo) / (hi - lo)
            pg.mouse.click(x, box["y"] + box["height"] / 2); clicks += 1  # noqa: E702
            wait_idle(pg)
            now = int(thumb.input_value())
            if now != 2015:  # a pixel off: the arrow keys finish the job (keystrokes, not clicks)
                thumb.focus()
                for _ in range(abs(now - 2015)):
                    pg.keyboard.press("ArrowRight" if now < 2015 else "ArrowLeft")
                wait_idle(pg)
        pg.wait_for_function("() => location.search.includes('from=2015') && location.search.includes('to=2025')",
                             timeout=TIMEOUT_MS)
        assert "region=E12000002" in pg.url
        with pg.expect_download(timeout=TIMEOUT_MS) as dl:
            pg.get_by_role("button", name="Download CSV").click(); clicks += 1  # noqa: E702
        assert clicks <= 5
        rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text(encoding="utf-8"))))
        import duckdb
        con = duckdb.connect(str(server["warehouse"]), read_only=True)
        nw = dict(con.execute("SELECT area_code, valid_to IS NULL FROM areas WHERE area_type = 'la' AND "
                              "region_name = 'North West'").fetchall())
        con.close()
        las = {r["area_code"] for r in rows if r["area_type"] == "la"}
        # every current North West LA, and former ones (Cumbria to 2023) for the years they existed; no other LA
        assert las <= set(nw) and {c for c, current in nw.items() if current} <= las, sorted(las ^ set(nw))
        assert {r["area_code"] for r in rows if r["area_type"] == "region"} <= {"E12000002"}
        assert {int(r["year"]) for r in rows} == set(range(2015, 2026))
        ok = [r for r in rows if r["status"] == "ok" and r["area_type"] == "la"]
        assert ok and all(r["lower_95"] and r["upper_95"] for r in ok)


MAP_VIEW_JS = """() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const sp = gd._fullLayout.map._subplot;
  const b = sp.map.getBounds();
  return {fit: gd.layout.meta.fit_bounds, west: b.getWest(), east: b.getEast(), south: b.getSouth(),
          north: b.getNorth()};
}"""


def test_phone_map_shows_all_of_england_and_labelled_menu(server, browser):  # noqa: F811
    with _opened(browser, server["base"] + "/?measure=cla_starts_u1_rate&year=2024", phone=True) as pg:
        pg.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
        pg.wait_for_timeout(1500)
        v = pg.evaluate(MAP_VIEW_JS)
        (w, s), (e, n) = v["fit"]
        tol = 0.05
        assert v["west"] <= w + tol and v["east"] >= e - tol and v["south"] <= s + tol and v["north"] >= n - tol, v
        menu = pg.evaluate("""() => getComputedStyle(document.querySelector(
            '[data-testid="stExpandSidebarButton"]'), '::after').content""")
        assert "Menu" in menu


def test_phone_compare_is_a_per_measure_list(server, browser):  # noqa: F811
    for phone in (True, False):
        ctx = _ctx(browser, phone=phone)
        try:
            pg = _open(ctx, server["base"] + "/compare?area=E06000009")
            lst, wide = pg.locator(".st-key-phone_only"), pg.locator(".st-key-wide_only")
            assert lst.is_visible() is phone and wide.is_visible() is not phone
            if phone:
                text = lst.inner_text()
                assert "Blackpool:" in text and "England:" in text
        finally:
            ctx.close()


def _lum(rgb: str) -> float:
    import re
    c = [int(x) / 255 for x in re.findall(r"\d+", rgb)[:3]]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _ratio(a: str, b: str) -> float:
    la, lb = _lum(a), _lum(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_chart_legends_and_lines_visible_in_both_themes(server, browser, scheme):  # noqa: F811
    ctx = _ctx(browser, scheme)
    try:
        # the map's legend (on the map's white background)
        pg = _open(ctx, server["base"] + "/?measure=cla_starts_u1_rate&year=2024&colour=quantile")
        fills = pg.evaluate("""() => Array.from(document.querySelectorAll(
            '[data-testid="stPlotlyChart"] .legendtext')).map(t => getComputedStyle(t).fill)""")
        assert fills and all(_ratio(f, "rgb(255,255,255)") >= 4.5 for f in fills), fills
        # the England line of a trend chart against the page background
        pg = _open(ctx, server["base"] + "/trends?measure=cla_starts_u1_rate&areas=E06000009&view=areas")
        res = pg.evaluate("""() => {
            const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
            const eng = gd._fullData.find(t => t.name === 'England' && t.mode && t.mode.includes('lines'));
            return {line: eng && eng.line.color,
                    bg: getComputedStyle(document.querySelector('[data-testid="stApp"]')).backgroundColor};
        }""")
        assert res["line"], res
        assert _ratio(res["line"] if res["line"].startswith("rgb") else _hex(res["line"]), res["bg"]) >= 4.5, res
    finally:
        ctx.close()


def _hex(h: str) -> str:
    h = h.lstrip("#")
    return "rgb(%d,%d,%d)" % tuple(int(h[i:i + 2], 16) for i in (0, 2, 4))


def test_prewarm_runs_the_default_page(server):
    """`atlas up` pre-warms a fresh server with one headless session on the map page (benchmarks/cold_start.py
    --prewarm measures the effect); it never fails the start-up: an unreachable server gives None."""
    from pipeline.prewarm import prewarm
    took = prewarm(server["base"], timeout=120)
    assert took is not None and took > 0
    from tests.test_browser import _free_port
    assert prewarm(f"http://127.0.0.1:{_free_port()}", timeout=2) is None


FOCUS_JS = """(sel) => {
  const e = document.activeElement;
  const t = sel ? e.closest(sel) : e;
  const s = getComputedStyle(t);
  return {tag: e.tagName, style: s.outlineStyle, width: parseFloat(s.outlineWidth), colour: s.outlineColor};
}"""


def test_visible_keyboard_focus_on_nav_links_and_slider(server, browser):  # noqa: F811
    with _opened(browser, server["base"] + "/?measure=cla_starts_u1_rate&year=2024") as pg:
        pg.locator('[data-testid="stSidebarNav"] a').first.focus()
        pg.keyboard.press("Tab")
        pg.keyboard.press("Shift+Tab")
        f = pg.evaluate(FOCUS_JS, None)
        assert f["tag"] == "A" and f["style"] == "solid" and f["width"] >= 2, f
        pg.locator('.st-key-w_map_year input[type="range"]').first.focus()
        pg.keyboard.press("Shift+Tab")
        pg.keyboard.press("Tab")
        f = pg.evaluate(FOCUS_JS, '[data-rac][style*="absolute"]')  # the slider's thumb
        assert f["tag"] == "INPUT" and f["style"] == "solid" and f["width"] >= 2, f


def test_area_picker_exact_substring_and_enter_adds_one(server, browser):  # noqa: F811
    with _opened(browser, server["base"] + "/trends?measure=cla_starts_u1_rate&areas=E06000009&view=areas") as pg:
        box = pg.locator(".st-key-w_trends_areas input").first
        box.click()
        box.type("arnsl")
        pg.wait_for_timeout(500)
        opts = pg.get_by_role("option").all_inner_texts()
        # exact substring: only the two Barnsley codes (fuzzy matching would offer many more)
        assert opts and all("arnsl" in o.lower() for o in opts), opts
        assert {o.split(" · ")[1] for o in opts} == {"E08000016", "E08000038"}, opts
        assert not any("select all" in o.lower() for o in opts)
        pg.keyboard.press("Enter")
        wait_idle(pg)
        pg.wait_for_function("() => location.search.includes('areas=E06000009%2CE0800')", timeout=TIMEOUT_MS)
        areas = _url_param(pg, "areas").split(",")
        assert len(areas) == 2 and areas[1] in ("E08000016", "E08000038"), areas
