"""The Services page by year (AppTest on the real warehouse): the year control (URL parameter `year`, shared with
the other pages) sets the map, its summary, the table alternative, the mother and baby unit points, the nearest-unit
section and the unit table to that year; units count from 31 March of the year they are open at (the rule of the
yearly services measures), undated units are assumed open throughout, and a bad year falls back with a notice."""
from __future__ import annotations

import json

import duckdb
import pytest

from tests.app_support import table_with
from tests.test_newborns_page import _plain

NORFOLK = "E10000020"
MID = "mbu_distance_km"


@pytest.fixture(scope="module")
def wh(app_warehouse):
    c = duckdb.connect(str(app_warehouse), read_only=True)
    yield c
    c.close()


def _value(wh, year: int, code: str = NORFOLK) -> tuple[float, str]:
    return wh.execute("SELECT value, period_label FROM indicator_values WHERE measure_id = ? AND area_code = ? "
                      "AND year = ?", [MID, code, year]).fetchone()


def _opened(wh, name_start: str):
    return wh.execute("SELECT name, opened FROM services_points WHERE name LIKE ?", [name_start + "%"]).fetchone()


def _map(at) -> tuple[dict, list[str]]:
    """The choropleth's area -> value, and the names of the unit points on the services map."""
    spec = _plain(json.loads(at.get("plotly_chart")[0].proto.spec))
    ch = next(t for t in spec["data"] if t["type"] == "choroplethmap" and t.get("z") is not None)
    pts = next(t for t in spec["data"] if t["type"] == "scattermap")
    return dict(zip(ch["locations"], ch["z"])), [c[0] for c in pts["customdata"]]


def _text(at) -> str:
    return "\n".join(str(m.value) for m in [*at.markdown, *at.caption])


def _year_param(at) -> str:
    v = at.query_params["year"]
    return str(v[0] if isinstance(v, list) else v)


def test_year_in_the_link_sets_map_summary_table_and_points(app, wh):
    value, period = _value(wh, 2016)
    kingfisher = _opened(wh, "Kingfisher")
    assert str(kingfisher[1]) > "2016-03-31"  # opened 28 January 2019
    assert _opened(wh, "Brockington")[1].year < 2016
    at = app("services", year="2016", area=NORFOLK)
    assert at.select_slider(key="w_services_year").value == 2016 and not at.warning
    z, names = _map(at)
    assert z[NORFOLK] == pytest.approx(value) and value != pytest.approx(_value(wh, 2025)[0])
    text = _text(at)
    assert f"{period}: " in text  # the map summary names the period
    tbl = table_with(at, "Code").set_index("Code")
    assert float(tbl.loc[NORFOLK].filter(like="Value").iloc[0]) == pytest.approx(value)
    # the unit points, the unit table and the summary are those of 31 March 2016
    n_open = wh.execute("SELECT n_units_open FROM mbu_nearest WHERE year = 2016 LIMIT 1").fetchone()[0]
    assert kingfisher[0] not in names and any(n.startswith("Brockington") for n in names)
    assert len(names) == n_open == 13  # no Welsh unit was open yet: all 13 are England's
    units = table_with(at, "opened_basis")
    assert len(units) == 13 and kingfisher[0] not in set(units["name"])
    assert "13 of the 19 units were open at 31 March 2016" in text and "assumed open throughout" in text
    assert f"{kingfisher[0]} (opened 28 January 2019)" in text
    # the nearest unit section follows the year
    assert "Nearest open mother and baby unit at 31 March 2016" in text
    assert not table_with(at, "Distance (km)")["Unit"].str.startswith("Kingfisher").any()
    # the permalink and the citation carry the year
    assert _year_param(at) == "2016"
    cite = at.code[-1].value
    assert "year=2016" in cite and period in cite


def test_default_is_the_latest_year(app, wh):
    latest = wh.execute("SELECT max(year) FROM indicator_values WHERE measure_id = ?", [MID]).fetchone()[0]
    seren = _opened(wh, "Seren Lodge")
    assert str(seren[1]) > f"{latest}-03-31"
    at = app("services", area=NORFOLK)
    assert at.select_slider(key="w_services_year").value == latest and _year_param(at) == str(latest)
    z, names = _map(at)
    assert z[NORFOLK] == pytest.approx(_value(wh, latest)[0])
    assert any(n.startswith("Kingfisher") for n in names) and seren[0] not in names
    assert f"open at 31 March {latest}" in _text(at)


def test_year_widget_changes_the_view(app, wh):
    at = app("services", area=NORFOLK)
    at.select_slider(key="w_services_year").set_value(2016).run()
    assert not at.exception and _year_param(at) == "2016"
    z, names = _map(at)
    assert z[NORFOLK] == pytest.approx(_value(wh, 2016)[0])
    assert not any(n.startswith("Kingfisher") for n in names)
    assert "Nearest open mother and baby unit at 31 March 2016" in _text(at)


def test_bad_year_falls_back_to_the_latest_with_a_notice(app, wh):
    latest = wh.execute("SELECT max(year) FROM indicator_values WHERE measure_id = ?", [MID]).fetchone()[0]
    at = app("services", year="1900")
    w = " ".join(str(x.value) for x in at.warning)
    assert "1900" in w and "not recognised" in w
    assert at.select_slider(key="w_services_year").value == latest and _year_param(at) == str(latest)


def test_year_is_shared_with_the_map_page(app):
    at = app("map", year="2016")
    at = app("services", at=at)
    assert at.select_slider(key="w_services_year").value == 2016 and _year_param(at) == "2016"
    assert not any(n.startswith("Kingfisher") for n in _map(at)[1])
