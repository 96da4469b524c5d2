"""The commissioner's task end to end in a real browser (Debian Chromium + Playwright, the Streamlit server fixture of
tests/test_browser.py): "Blackpool vs its statistical neighbours and England over time, with confidence intervals,
plus its nearest mother and baby unit, shared by one link that restores the view".

Every figure the page shows is checked against the warehouse the server reads. (The researcher's task, a CSV of all
North West LAs 2015-2025 with CIs in <= 5 clicks, is covered in tests/test_browser_a11y.py.)
"""
from __future__ import annotations

import math
import re

import pytest

from tests.test_browser import TIMEOUT_MS, _url_param, browser, goto, no_exception, server, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser
BLACKPOOL = "E06000009"
RATE = "cla_starts_u1_rate"

# every line of the trend chart: name, x, y; CI ribbons are the traces named "<area> 95% CI" (upper then lower)
TRACES_JS = """() => {
  const gd = document.querySelector('.st-key-trend_chart .js-plotly-plot')
          || document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  // _fullData: plotly.js has decoded the typed arrays that plotly.py sends as base64
  return (gd._fullData || []).map(t => ({name: t.name || '', fill: t.fill || '', x: Array.from(t.x || []),
                                    y: Array.from(t.y || [], v => v === null ? null : Number(v))}));
}"""


def _ctx(browser):  # noqa: F811
    return browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)


def _open(ctx, url):
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    goto(pg, url)
    return pg


def _chart(pg) -> dict[str, dict]:
    pg.wait_for_function("() => { const gd = document.querySelector('[data-testid=\"stPlotlyChart\"] .js-plotly-plot');"
                         " return gd && gd._fullData && gd._fullData.length > 0; }", timeout=TIMEOUT_MS)
    return {t["name"]: t for t in pg.evaluate(TRACES_JS)}


def _warehouse_facts(path):
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        nbrs = [r[0] for r in con.execute(
            "SELECT neighbour_code FROM comparator_sets WHERE area_code = ? AND set_id = 'dfe_sn_2025' ORDER BY rank",
            [BLACKPOOL]).fetchall()]
        names = dict(con.execute("SELECT area_code, area_name FROM areas").fetchall())
        region = con.execute("SELECT region_code FROM areas WHERE area_code = ?", [BLACKPOOL]).fetchone()[0]
        vals = con.execute("SELECT area_code, year, value, lower_95, upper_95, status FROM indicator_values "
                           "WHERE measure_id = ? AND area_code IN (SELECT unnest(?::VARCHAR[]))",
                           [RATE, [BLACKPOOL, *nbrs, region, "E92000001"]]).fetchall()
        short_title = con.execute("SELECT short_title FROM measures WHERE measure_id = ?", [RATE]).fetchone()[0]
        mbu = con.execute("SELECT * FROM mbu_nearest WHERE area_code = ? ORDER BY year DESC LIMIT 1",
                          [BLACKPOOL]).fetchdf().iloc[0].to_dict()
    finally:
        con.close()
    return nbrs, names, region, vals, mbu, short_title


def _assert_view(pg, codes, names, vals, *, region):
    """The Trends chart shows each chosen area, its region and England over time, each with a CI ribbon, and its
    points are the warehouse's values (suppressed years are gaps, never a number)."""
    traces = _chart(pg)
    for code in [*codes, region, "E92000001"]:
        name = names[code]
        assert name in traces, (name, sorted(traces))
        assert f"{name} 95% CI" in traces and traces[f"{name} 95% CI"]["fill"] == "toself", name
        want = {y: (v, lo, hi, s) for c, y, v, lo, hi, s in vals if c == code}
        line = traces[name]
        assert len(set(line["x"])) >= 8, (name, line["x"])  # over time: every published year
        for x, y in zip(line["x"], line["y"]):
            v, _, _, s = want[int(x)]
            if v is None:
                assert y is None or math.isnan(y), (name, x, y, s)
            else:
                assert y == pytest.approx(v, rel=1e-9), (name, x, y, v)
        ci = traces[f"{name} 95% CI"]
        n = len(ci["x"]) // 2
        for x, up, lo in zip(ci["x"][:n], ci["y"][:n], ci["y"][n:][::-1]):
            _, wlo, whi, _ = want[int(x)]
            assert (up, lo) == (pytest.approx(whi, rel=1e-9), pytest.approx(wlo, rel=1e-9)), (name, x)
    return traces


def test_blackpool_neighbours_england_and_nearest_mbu_shared_by_one_link(server, browser, warehouse):  # noqa: F811
    nbrs, names, region, vals, mbu, short_title = _warehouse_facts(warehouse)
    assert nbrs[0] == "E06000001" and len(nbrs) == 10  # DfE statistical neighbours (May 2025): Hartlepool first
    ctx = _ctx(browser)
    try:
        # 1. Trends, fresh session: choose Blackpool in the area picker
        pg = _open(ctx, server["base"] + "/trends")
        no_exception(pg)
        box = pg.locator(".st-key-w_trends_areas input").first
        box.click()
        box.type("Blackpool")
        pg.get_by_role("option", name=re.compile(r"^Blackpool\b.*E06000009")).first.click()
        pg.keyboard.press("Escape")
        wait_idle(pg)
        pg.wait_for_function(f"() => location.search.includes('areas={BLACKPOOL}')", timeout=TIMEOUT_MS)
        # 2. the quick selection now offers Blackpool with its statistical neighbours
        pg.locator(".st-key-preset_trends_areas").click()
        pg.get_by_role("option", name="Blackpool and its statistical neighbours").click()
        wait_idle(pg)
        want = ",".join([BLACKPOOL, *nbrs])
        pg.wait_for_function(f"() => decodeURIComponent(location.search).includes('areas={want}')",
                             timeout=TIMEOUT_MS)
        no_exception(pg)
        chips = pg.locator(".st-key-w_trends_areas").inner_text()
        assert all(names[c] in chips for c in [BLACKPOOL, *nbrs]), chips
        assert pg.get_by_role("checkbox", name="Show 95% confidence intervals").is_checked()
        traces = _assert_view(pg, [BLACKPOOL, *nbrs], names, vals, region=region)
        # the summary sentence under the chart quotes the latest warehouse figure for Blackpool and England
        summary = pg.locator('[data-testid="stMarkdown"]').filter(has_text="Blackpool:").first.inner_text()
        for code in (BLACKPOOL, "E92000001"):
            last = max((y, v) for c, y, v, *_ in vals if c == code and v is not None)
            assert f"{names[code]}:" in summary and f"{last[1]:,.1f}" in summary, (code, last, summary)
        assert pg.get_by_text("Table: values in this chart").count() == 1  # the table alternative
        link = pg.url
        assert _url_param(pg, "measure") == RATE and _url_param(pg, "view") == "areas"

        # 3. Blackpool's Area profile (the sidebar link; the area is remembered) names its nearest MBU
        pg.locator('[data-testid="stSidebarNav"]').get_by_role("link", name="Area profile").click()
        wait_idle(pg)
        pg.get_by_role("heading", name="Area profile: Blackpool").wait_for(timeout=TIMEOUT_MS)
        wait_idle(pg)
        no_exception(pg)
        assert _url_param(pg, "area") == BLACKPOOL
        assert mbu["unit_name"].startswith("Ribblemere") and mbu["distance_km"] < 40
        sentence = pg.locator('[data-testid="stMarkdown"]').filter(
            has_text="Nearest open mother and baby unit").first.inner_text()
        assert mbu["unit_name"] in sentence and "Ribblemere" in sentence
        km = float(re.search(r"([\d.,]+) km as the crow flies", sentence).group(1).replace(",", ""))
        assert km == pytest.approx(mbu["distance_km"], abs=0.051) and km < 40
        level = {"site": "site-level", "postcode": "postcode-level", "district": "district-level"}[
            mbu["location_level"]]
        assert f"Its location is {level}" in sentence, sentence
        profile_link = pg.url
    finally:
        ctx.close()

    # 4. the link, opened by a colleague (a new browser context: no session, no remembered area), restores the view
    ctx = _ctx(browser)
    try:
        pg = _open(ctx, link)
        no_exception(pg)
        assert pg.locator("h1").first.inner_text().startswith("Trends")
        assert _url_param(pg, "areas") == ",".join([BLACKPOOL, *nbrs])
        assert _url_param(pg, "measure") == RATE and _url_param(pg, "view") == "areas"
        # the measure from the link drives the picker and the definition box
        picker = pg.locator(".st-key-w_trends_measure")
        shown = (picker.text_content() or "") + " " + " ".join(
            i.input_value() for i in picker.locator("input").all())
        assert short_title in shown, shown
        assert pg.get_by_text(f"Definition and caveats: {short_title}").count() == 1
        chips = pg.locator(".st-key-w_trends_areas").inner_text()
        assert all(names[c] in chips for c in [BLACKPOOL, *nbrs]), chips
        again = _assert_view(pg, [BLACKPOOL, *nbrs], names, vals, region=region)
        assert sorted(again) == sorted(traces)
        assert pg.locator('[data-testid="stAlert"]').filter(has_text="not recognised").count() == 0
        pg.close()
        pg = _open(ctx, profile_link)
        no_exception(pg)
        pg.get_by_role("heading", name="Area profile: Blackpool").wait_for(timeout=TIMEOUT_MS)
        assert pg.get_by_text("Nearest open mother and baby unit").count() == 1
        assert "Ribblemere" in pg.locator('[data-testid="stMarkdown"]').filter(
            has_text="Nearest open mother and baby unit").first.inner_text()
    finally:
        ctx.close()

