"""Real-browser tests of what a person reads on the first screens (Chromium + Playwright, as tests/test_browser.py).

- Rapid year changes on the Map leave one consistent view: slider, URL, title, summary and the map's values all
  belong to the same year and agree with the warehouse (no "Cached ForwardMsg MISS", no mixed years).
- The first screen of the Map and North-south pages answers "which areas are highest, is there a north-south
  divide, how much does deprivation explain" (key findings) on a 1366x768 laptop and a 390x844 phone.
"""
from __future__ import annotations

import random
import re

import duckdb
import pytest

from tests.conftest import FULL
from tests.test_browser import ARTIFACTS, TIMEOUT_MS, browser, goto, page, server, wait_idle  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

MAP_DATA_JS = """() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!gd || !gd._fullData) return null;
  // _fullData: the traces as drawn (typed arrays decoded)
  const t = gd._fullData.find(t => t.type === 'choroplethmap' && t.z && t.z.length > 1 && !t.showlegend);
  return t ? {locations: Array.from(t.locations), z: Array.from(t.z)} : null;
}"""


def _wh(server):
    return duckdb.connect(str(server["warehouse"]), read_only=True)


def _markdown(pg) -> list[str]:
    return pg.locator('[data-testid="stMarkdown"]').all_inner_texts()


def test_rapid_year_changes_leave_one_consistent_year(server, page):
    """Bursts of 12 quick clicks on the year slider (years revisited within a burst, as a person clicking back and
    forth does). After each burst the slider, URL, title, summary and every value on the map are of one year, and
    the values are the warehouse's."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if "ForwardMsg" in m.text or "fatal" in m.text else None)
    measure = "cla_starts_u1_rate"
    con = _wh(server)
    labels = dict(con.execute("SELECT DISTINCT period_label, year FROM indicator_values WHERE measure_id = ?",
                              [measure]).fetchall())
    goto(page, server["base"] + f"/?measure={measure}&year=2024")
    rng = random.Random(11)
    fractions = [0.15, 0.5, 0.85]  # each year comes back every third click (its figure is then 2 runs old)
    for burst in range(10):
        box = page.locator('[data-testid="stSlider"]').first.bounding_box()
        for i in range(12):
            x = box["x"] + 12 + fractions[(i + burst) % len(fractions)] * (box["width"] - 24)
            page.mouse.click(x, box["y"] + box["height"] * 0.55)
            # some clicks interrupt a run, others land just as one finishes
            page.wait_for_timeout(rng.choice([rng.randint(30, 200), rng.randint(200, 900)]))
        try:
            wait_idle(page, settle_ms=1500)
        finally:  # a broken session never settles: report why
            assert not [e for e in errors if "MISS" in e or "fatal" in e], errors[:2]
        assert page.locator('[data-testid="stException"]').count() == 0
        period = page.get_by_role("slider").first.get_attribute("aria-valuetext")
        year = labels[period]
        url_year = re.search(r"[?&]year=(\d+)", page.url)
        assert url_year and int(url_year.group(1)) == year, (burst, period, page.url)
        md = _markdown(page)
        assert any(t.startswith("Children who started") and t.rstrip().endswith(period) for t in md), (burst, period)
        assert any(t.startswith(f"{period}:") and "local authorities have a value" in t for t in md), (burst, period)
        data = page.evaluate(MAP_DATA_JS)
        assert data and len(data["locations"]) > (100 if FULL else 20), burst  # the synthetic edition: a subset
        want = dict(con.execute("""SELECT area_code, value FROM indicator_values WHERE measure_id = ? AND year = ?
                                   AND value IS NOT NULL""", [measure, year]).fetchall())
        got = dict(zip(data["locations"], data["z"]))
        wrong = [c for c, v in got.items() if c not in want or abs(want[c] - v) > 1e-6 * max(1, abs(v))]
        assert not wrong, (burst, period, wrong[:5])
    con.close()


@pytest.mark.parametrize("path", ["/", "/north_south"])
@pytest.mark.parametrize("viewport", [(1366, 768), (390, 844)])
def test_first_screen_answers_the_policymaker(server, browser, path, viewport):  # noqa: F811
    """Which areas are highest, is there a north-south divide, how much does deprivation explain: answered by the
    key findings on the first screen (whole box visible without scrolling on a laptop; first thing under the title
    on a phone), with the warehouse's figures."""
    w, h = viewport
    ctx = browser.new_context(viewport={"width": w, "height": h}, is_mobile=w < 500, has_touch=w < 500)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        goto(pg, server["base"] + f"{path}?measure=cla_starts_u1_rate&year=2024")
        box = pg.locator(".st-key-key_findings").first
        box.wait_for()
        b = box.bounding_box()
        text = box.inner_text()
        con = _wh(server)
        top = con.execute("""SELECT a.area_name FROM indicator_values i JOIN areas a USING (area_code)
                             WHERE measure_id = 'cla_starts_u1_rate' AND year = 2024 AND a.area_type = 'la'
                             AND value IS NOT NULL ORDER BY value DESC LIMIT 1""").fetchone()[0]
        rr, share = con.execute("SELECT northing_rr_unadjusted, share_explained FROM ns_summary "
                                "WHERE period = '2024'").fetchone()
        con.close()
        assert f"Highest: {top}" in text and "Lowest:" in text and "England:" in text
        assert f"North–south, 2023/24: each 100 km further north, the rate is {rr:.2f} times" in text
        assert f"about {share * 100:.0f}% of it" in text and "pooled" in text
        title = pg.locator("h1").first.bounding_box()
        widgets = pg.locator('[data-testid="stSelectbox"]').first.bounding_box()
        assert title["y"] < b["y"] < widgets["y"], (title, b, widgets)  # first under the title
        if w > 1000:
            assert b["y"] + b["height"] <= h, b  # the whole box without scrolling
        else:
            assert b["y"] < h / 2, b  # starts on the first screen
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"first_screen_{path.strip('/') or 'map'}_{w}x{h}.png"))
    finally:
        ctx.close()
