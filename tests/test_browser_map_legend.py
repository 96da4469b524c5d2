"""The map's key (legend and colour bar) never covers the map, on a phone (390x844) or a laptop (1366x768).

A key drawn inside the map hid the north of England on a phone; the test measures, in real Chromium, the boxes
Plotly draws for the legend (`g.legend`) and the colour bar (`g.colorbar`) against the map's drawing area (the
MapLibre canvas), for the default colouring, the comparison with England, the observed/expected map and the
services map.
"""
from __future__ import annotations

import pytest

from tests.test_browser import ARTIFACTS, TIMEOUT_MS, browser, goto, no_exception, server, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser

BOXES_JS = """() => Array.from(document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot'))
  .filter(gd => gd.querySelector('.maplibregl-canvas')).map(gd => {
    const box = e => { const r = e.getBoundingClientRect();
                       return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
    return {map: box(gd.querySelector('.maplibregl-canvas')),
            legend: Array.from(gd.querySelectorAll('g.legend')).map(box),
            colorbar: Array.from(gd.querySelectorAll('g.colorbar')).map(box)};
  })"""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def _overlap(a: dict, b: dict) -> bool:
    return min(a["right"], b["right"]) - max(a["left"], b["left"]) > 0.5 and \
        min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > 0.5


def _keys_outside_map(pg, url: str, need: tuple[str, ...]) -> None:
    goto(pg, url)
    pg.wait_for_selector('[data-testid="stPlotlyChart"] .maplibregl-canvas', timeout=TIMEOUT_MS)
    for sel in need:
        pg.wait_for_selector(f'[data-testid="stPlotlyChart"] g.{sel}', state="attached", timeout=TIMEOUT_MS)
    pg.wait_for_timeout(800)  # the chart settles to the column's width after the script has finished
    wait_idle(pg)
    no_exception(pg)
    maps = pg.evaluate(BOXES_JS)
    assert maps, f"no map drawn on {url}"
    for m in maps:
        assert m["map"]["bottom"] - m["map"]["top"] > 250, (url, m)  # the map keeps most of the height
        for sel in need:
            assert m[sel], (url, sel, m)
        for kind in ("legend", "colorbar"):
            for box in m[kind]:
                assert not _overlap(box, m["map"]), f"{kind} covers the map on {url}: {box} vs {m['map']}"


def _check(browser, viewport: dict, views: list[tuple[str, tuple[str, ...]]], name: str):  # noqa: F811
    phone = viewport["width"] < 600
    ctx = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, device_scale_factor=1)
    pg = ctx.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    try:
        for url, need in views:
            _keys_outside_map(pg, url, need)
    except AssertionError:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        raise
    finally:
        ctx.close()


def test_map_key_outside_the_map_on_a_phone(server, browser):  # noqa: F811
    base = server["base"]
    _check(browser, PHONE, [
        (base + "/?measure=cla_starts_u1_rate&year=2024", ("colorbar",)),
        (base + "/?measure=cla_starts_u1_rate&year=2024&colour=significance", ("legend",)),
        (base + "/north_south?view=oe", ("colorbar",)),
        (base + "/services", ("colorbar", "legend")),
    ], "map_key_phone")


def test_map_key_outside_the_map_on_a_laptop(server, browser):  # noqa: F811
    base = server["base"]
    _check(browser, DESKTOP, [
        (base + "/?measure=cla_starts_u1_rate&year=2024", ("colorbar",)),
        (base + "/?measure=cla_starts_u1_rate&year=2024&colour=significance", ("legend",)),
    ], "map_key_laptop")
