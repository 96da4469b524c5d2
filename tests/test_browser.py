"""Real-browser end-to-end tests: Debian Chromium driven by Playwright against `streamlit run` on a free port.

Opens every page, changes measure and year, clicks an LA on the map, downloads a CSV and checks it, opens a
permalink and checks the view is restored. Screenshots of failures go to tests/artifacts/ (git-ignored).
"""
from __future__ import annotations

import contextlib
import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pages._lib import registry
from tests.app_support import CHROMIUM, chromium, with_geometry
from tests.conftest import FULL

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(warehouse, tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    pytest.importorskip("playwright.sync_api")
    wh, _ = with_geometry(warehouse, tmp_path_factory.mktemp("browserwh") / "atlas.duckdb")
    port = _free_port()
    env = dict(os.environ, ATLAS_WAREHOUSE=str(wh))
    log = open(tmp_path_factory.mktemp("streamlit") / "streamlit.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
        if proc.poll() is not None:
            pytest.fail("streamlit exited: see " + log.name)
    else:
        proc.terminate()
        pytest.fail("streamlit did not become healthy in 90 s")
    yield {"base": base, "warehouse": wh}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as b:
        yield b


@pytest.fixture()
def page(browser, request):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is None or rep.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    ctx.close()


def wait_idle(pg, settle_ms: int = 600, timeout_s: float = 60) -> None:
    """Wait until Streamlit has finished running the script (no 'Running' status widget for settle_ms)."""
    pg.wait_for_selector('[data-testid="stAppViewContainer"]', timeout=TIMEOUT_MS)
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        running = pg.locator('[data-testid="stStatusWidget"]').count() > 0
        skeleton = pg.locator('[data-testid="stSkeleton"]').count() > 0
        if running or skeleton:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif (time.time() - quiet_since) * 1000 >= settle_ms:
            return
        pg.wait_for_timeout(100)
    raise AssertionError("Streamlit kept running for more than %.0f s" % timeout_s)


def goto(pg, url: str) -> None:
    pg.goto(url)
    wait_idle(pg)
    # the first request to a server may be rerun once through st.navigation
    pg.wait_for_selector("h1", timeout=TIMEOUT_MS)
    wait_idle(pg)


def no_exception(pg) -> None:
    assert pg.locator('[data-testid="stException"]').count() == 0, pg.locator(
        '[data-testid="stException"]').first.inner_text()


@pytest.mark.parametrize("path,title", [(p.path, p.title) for p in registry.menu(exclude=("newborns", "your_data"))])
def test_each_page_opens(server, page, path, title):
    goto(page, server["base"] + path)
    no_exception(page)
    assert title in page.locator("h1").first.inner_text()


def _url_param(pg, key):
    from urllib.parse import parse_qs, urlparse
    return parse_qs(urlparse(pg.url).query).get(key, [None])[0]


def test_map_change_year_and_measure(server, page):
    goto(page, server["base"] + "/?measure=cla_starts_u1_rate&year=2024")
    no_exception(page)
    assert _url_param(page, "year") == "2024"
    slider = page.get_by_role("slider").first
    slider.focus()
    page.keyboard.press("ArrowLeft")
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('year=2023')", timeout=TIMEOUT_MS)
    assert "2022/23" in page.locator('[data-testid="stMarkdown"]').all_inner_texts().__str__()
    # measure: open the select box with the keyboard and choose the count
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Infant care starts (count)").first.click()
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('measure=cla_starts_u1&')", timeout=TIMEOUT_MS)
    no_exception(page)


PROJECT_JS = """([lon, lat]) => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const sp = gd._fullLayout.map._subplot;
  const p = sp.map.project([lon, lat]);
  const r = sp.map.getCanvas().getBoundingClientRect();
  return {x: r.left + p.x, y: r.top + p.y};
}"""


def test_map_click_selects_area(server, page):
    import duckdb
    goto(page, server["base"] + "/?measure=cla_starts_u1_rate&year=2024")
    page.wait_for_selector('[data-testid="stPlotlyChart"] canvas', timeout=TIMEOUT_MS)
    page.wait_for_timeout(1500)
    con = duckdb.connect(str(server["warehouse"]), read_only=True)
    lon, lat = con.execute("SELECT rep_lon, rep_lat FROM la_geo WHERE area_code = 'E08000025'").fetchone()
    con.close()
    page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
    xy = page.evaluate(PROJECT_JS, [lon, lat])
    page.mouse.move(xy["x"] - 4, xy["y"] - 4)
    page.mouse.move(xy["x"], xy["y"], steps=4)
    page.wait_for_timeout(400)
    page.mouse.click(xy["x"], xy["y"])
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('area=E08000025')", timeout=TIMEOUT_MS)
    assert page.get_by_text("Selected: Birmingham").count() > 0 or "Birmingham" in page.locator(
        '[data-testid="stAlert"]').all_inner_texts().__str__()
    assert page.get_by_role("link", name="Open the area profile of Birmingham").count() == 1
    no_exception(page)


def test_download_csv(server, page):
    goto(page, server["base"] + "/downloads?measures=cla_starts_u1,cla_starts_u1_rate&levels=la&from=2015&to=2020")
    no_exception(page)
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download CSV").click()
    path = dl.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))
    assert rows and {"measure_id", "area_code", "value", "status", "definition", "source_licence", "licence",
                     "lower_95", "upper_95"} <= set(rows[0])
    assert {r["measure_id"] for r in rows} == {"cla_starts_u1", "cla_starts_u1_rate"}
    assert all(2015 <= int(r["year"]) <= 2020 for r in rows)
    sup = [r for r in rows if r["status"] == "suppressed"]
    assert sup and all(r["value"] == "" and r["numerator"] == "" for r in sup)
    assert not any(v.startswith(("=", "@")) for r in rows for v in r.values() if v)
    # the page survives the download (on_click="ignore"): no rerun, widgets intact
    no_exception(page)
    assert page.get_by_role("button", name="Download CSV").count() == 1


def test_permalink_restores_view(server, page):
    goto(page, server["base"] + "/trends?measure=cla_starts_u1&areas=E06000001,E08000025&view=areas")
    no_exception(page)
    ms = page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert "Hartlepool" in ms and "Birmingham" in ms
    # the measure from the link drives the definition box next to the chart
    assert page.get_by_text("Definition and caveats: Infant care starts (count)").count() == 1
    assert page.locator('[data-testid="stAlert"]').filter(has_text="not recognised").count() == 0


def test_bad_permalink_shows_notice(server, page):
    goto(page, server["base"] + "/?measure=%27%3B%20DROP%20TABLE%20x%3B--&year=abc&area=E99999999")
    no_exception(page)
    alerts = page.locator('[data-testid="stAlert"]').all_inner_texts().__str__()
    assert "not recognised" in alerts
    assert "DROP" not in page.url


def test_upload_your_data_shows_badge(server, page):
    """Upload a file through the real uploader; the badge shows; the page link keeps the session so the map
    offers the user measure with the badge."""
    goto(page, server["base"] + "/your_data")
    no_exception(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(ROOT / "tests" / "fixtures" / "user" / "valid_extract.csv"))
    page.get_by_text("Your data in this session").wait_for(timeout=TIMEOUT_MS)
    wait_idle(page)
    no_exception(page)
    assert page.get_by_text("User-supplied — not official statistics").count() >= 1
    page.get_by_role("link", name="See it on Map").first.click()
    wait_idle(page)
    page.wait_for_function("() => location.pathname.endsWith('/map') || location.search.includes('measure=user.')",
                           timeout=TIMEOUT_MS)
    wait_idle(page)
    no_exception(page)
    assert "measure=user.valid_extract.newborn_s31" in page.url
    assert page.get_by_text("User-supplied — not official statistics").count() >= 1


PLOTS_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(gd => ({
  types: (gd.data || []).map(t => t.type), names: (gd.data || []).map(t => t.name || ''),
  xtitle: JSON.stringify(((gd.layout || {}).xaxis || {}).title || ''),
  points: (gd.data || []).reduce((a, t) => a + ((t.locations || t.x || []).length || 0), 0)}))"""


def test_newborn_extract_upload_draws_la_views(server, page, tmp_path):
    """The Newborns page offers the synthetic extract; uploaded on Your data (same session), the Newborns page draws
    the LA newborn map, its funnel plot and the scatter against infant care starts, badged as not official."""
    goto(page, server["base"] + "/newborns")
    no_exception(page)
    assert page.get_by_text("No newborn extract is loaded in this session").count() == 1
    with page.expect_download(timeout=TIMEOUT_MS) as dl:
        page.get_by_role("button", name="Download a synthetic example extract").click()
    assert dl.value.suggested_filename == "newborn_extract_synthetic.csv"
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert len(rows) > (400 if FULL else 50) and {r["age_at_issue"] for r in rows} == {"under 7 days"}
    assert all("SYNTHETIC" in r["definition"] for r in rows)
    page.get_by_role("link", name="Load an extract on the Your data page").click()
    wait_idle(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))
    page.get_by_text("Your data in this session").wait_for(timeout=TIMEOUT_MS)
    wait_idle(page)
    no_exception(page)
    assert page.get_by_role("link", name="See it on the Newborns in care proceedings page").count() == 1
    # reachable from the sidebar as its own page (same session: the extract is still loaded)
    page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Newborns in care proceedings").click()
    wait_idle(page)
    page.get_by_text("Your newborn extract by local authority").wait_for(timeout=TIMEOUT_MS)
    wait_idle(page, settle_ms=1500)
    no_exception(page)
    assert "extract=user." in page.url and "newborn_s31_u7d_synthetic" in page.url
    assert page.get_by_text("User-supplied — not official statistics").count() >= 3
    page.wait_for_function("() => document.querySelectorAll('.js-plotly-plot').length >= 20", timeout=TIMEOUT_MS)
    plots = page.evaluate(PLOTS_JS)
    la_maps = [p for p in plots if "choroplethmap" in p["types"] and p["points"] > 100]
    funnels = [p for p in plots if "Local authorities" in p["names"]]
    scatters = [p for p in plots if "Infant care starts per 10,000 live births (DfE, official)" in p["xtitle"]]
    assert la_maps and funnels and scatters, plots[-4:]
    # suppressed cells are listed as such in the table alternative, never with a value
    assert page.get_by_text("Table: LA newborn rates (user extract)").count() == 1
