"""Navigation and pickers (AppTest on the real warehouse): area labels that tell old and new codes apart, exact
substring matching without "select all", presets (an area with its statistical neighbours; all LAs in a region),
the Data & downloads region filter and year range, and the URL winning over the session when it changed from
outside (Back/Forward, a link)."""
from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")



def _qp(at, key):
    v = at.query_params.get(key)
    return v[0] if isinstance(v, list) else v


@pytest.fixture()
def con(app_warehouse):
    import duckdb
    c = duckdb.connect(str(app_warehouse), read_only=True)
    yield c
    c.close()


def test_area_labels_tell_old_and_new_codes_apart(app):
    at = app("trends", areas="E08000016,E08000038,E08000020,E08000037")
    ms = at.multiselect(key="w_trends_areas")
    assert ms.value == ["E08000016", "E08000038", "E08000020", "E08000037"]
    labels = dict(zip(ms.value, (ms.format_func(c) for c in ms.value)))
    # Barnsley (recoded 2025) and Gateshead (recoded 2013): name, code and years in force, all different
    assert labels["E08000016"] == "Barnsley · E08000016 · to Mar 2025"
    assert labels["E08000038"] == "Barnsley · E08000038 · from Apr 2025"
    assert "E08000020" in labels["E08000020"] and "to Mar 2013" in labels["E08000020"]
    assert len(set(labels.values())) == 4
    for key, page in (("w_compare_area", "compare"), ("w_profile_area", "profile")):
        sb = app(page).selectbox(key=key)
        assert "Sheffield · E08000019 · to Mar 2025" in sb.options
        assert "Sheffield · E08000039 · from Apr 2025" in sb.options
        assert "Northumberland · E06000057 · from Apr 2013" in sb.options


def test_area_pickers_match_substrings_without_select_all(app):
    at = app("trends")
    ms = at.multiselect(key="w_trends_areas")
    assert ms.proto.select_all == 0  # no "select all": Enter adds one option, never every match
    fm = ms.proto.filter_mode
    at2 = app("compare", area="E06000009")  # the comparators picker appears once an area is chosen
    assert at2.selectbox(key="w_compare_area").proto.filter_mode == fm
    assert at2.multiselect(key="w_compare_with").proto.select_all == 0
    at3 = app("downloads")
    assert at3.multiselect(key="w_downloads_areas").proto.select_all == 0
    # the enum value is "contains" (exact substring), not the default fuzzy matching
    from streamlit.elements.lib.options_selector_utils import _SELECT_WIDGET_FILTER_MODE_PROTO_MAP as M
    assert fm == M["contains"] != M["fuzzy"]


def test_preset_area_and_statistical_neighbours(app, con):
    at = app("compare", area="E06000009")
    neigh = [c for (c,) in con.execute("SELECT neighbour_code FROM comparator_sets WHERE set_id = 'dfe_sn_2025' "
                                       "AND area_code = 'E06000009' ORDER BY rank").fetchall()]
    if not neigh:
        pytest.skip("no statistical neighbours in this build")
    at.multiselect(key="w_compare_with").set_value([]).run()
    assert _qp(at, "with") in ("", None)
    sb = at.selectbox(key="preset_compare_with")
    assert "Blackpool and its statistical neighbours" in sb.options
    sb.set_value("nb:E06000009").run()
    assert not at.exception
    assert at.multiselect(key="w_compare_with").value == neigh[:12]
    assert _qp(at, "with") == ",".join(neigh[:12])


def test_preset_all_las_in_a_region(app, con):
    at = app("trends")
    at.selectbox(key="preset_trends_areas").set_value("rg:E12000001").run()
    assert not at.exception
    ne = [c for (c,) in con.execute("SELECT area_code FROM areas WHERE area_type = 'la' AND region_code = "
                                    "'E12000001' AND valid_to IS NULL ORDER BY area_name, area_code").fetchall()]
    assert sorted(at.multiselect(key="w_trends_areas").value) == sorted(ne[:12])
    assert len(ne) <= 12


def test_downloads_region_filter_and_year_range(app, con):
    at = app("downloads", measures="cla_starts_u1_rate", levels="la", region="E12000002", **{"from": "2015",
                                                                                             "to": "2025"})
    assert at.slider(key="w_downloads_from_to").value == (2015, 2025)
    nw = con.execute("SELECT count(*) FROM areas WHERE area_type = 'la' AND region_code = 'E12000002'").fetchone()[0]
    body = "\n".join(m.value for m in at.markdown)
    assert f"{nw} areas, 2015–2025" in body, body
    assert at.multiselect(key="w_downloads_areas").options and all(
        "E12000002" not in o for o in at.multiselect(key="w_downloads_areas").options)
    at.slider(key="w_downloads_from_to").set_value((2018, 2020)).run()
    assert (_qp(at, "from"), _qp(at, "to"), _qp(at, "region")) == ("2018", "2020", "E12000002")
    # a link outside the years with data falls back with a notice
    at2 = app("downloads", measures="cla_starts_u1_rate", **{"from": "1800"})
    assert any("outside the years with data" in w.value for w in at2.warning)


def test_url_wins_when_it_changes_from_outside(app):
    """Back/Forward (or a link into an open page) changes the URL; the page shows the URL's view, not the
    widget values left in the session."""
    at = app("map", measure="cla_starts_u1_rate", year="2024")
    at.select_slider(key="w_map_year").set_value(2023).run()
    assert _qp(at, "year") == "2023"
    at.query_params["year"] = "2024"  # the browser went Back
    _history_run(at)
    assert at.select_slider(key="w_map_year").value == 2024
    assert _qp(at, "year") == "2024"
    # a widget change after that is still the user's
    at.select_slider(key="w_map_year").set_value(2022).run()
    assert _qp(at, "year") == "2022"


def _history_run(at):
    """at.run() as a rerun started by the browser's Back/Forward (Streamlit marks it is_history_navigation; the
    real browser's Back is tested in tests/test_browser_a11y.py)."""
    from unittest import mock

    from pages._lib import state
    with mock.patch.object(state, "_history_navigation", lambda: True):
        at.run()


def test_a_stale_address_does_not_move_an_unchanged_widget(app):
    """Rapid changes: a rerun request (the user's next click, or any rerun) can carry the address from before the
    previous run's update arrived. Without Back/Forward that address is not followed: the widgets keep the
    user's values and the URL is written again (it used to flip the slider back to the stale year, and skip the
    URL update because it equalled the stale address)."""
    at = app("map", measure="cla_starts_u1_rate", year="2024")
    at.select_slider(key="w_map_year").set_value(2023).run()
    assert _qp(at, "year") == "2023"
    at.query_params["year"] = "2024"  # the address is one step behind
    at.run()
    assert at.select_slider(key="w_map_year").value == 2023
    assert _qp(at, "year") == "2023"


def test_methods_page_has_an_accessibility_statement(app):
    at = app("methods", tab="accessibility")
    body = "\n".join(m.value for m in at.markdown)
    assert "Accessibility statement" in body and "WCAG) 2.2" in body and "axe-core" in body and "Known limits" in body
    assert _qp(at, "tab") == "accessibility"


def test_a_widget_just_changed_wins_over_a_stale_address(app):
    """Rapid changes: the browser may send the next rerun before it has applied the previous run's address. The
    widget the user has just moved wins; only an unchanged widget follows an address changed from outside."""
    at = app("map", measure="cla_starts_u1_rate", year="2024")
    at.select_slider(key="w_map_year").set_value(2023).run()
    at.query_params["year"] = "2024"  # the address is one step behind
    at.select_slider(key="w_map_year").set_value(2022).run()
    assert at.select_slider(key="w_map_year").value == 2022
    assert _qp(at, "year") == "2022"


def test_url_written_when_a_page_stops_early(app, monkeypatch):
    """A page that ends with st.stop() (e.g. Compare for an area without values) still writes its URL."""
    from pages._lib import data
    monkeypatch.setattr(data, "area_latest", lambda *a, **k: __import__("pandas").DataFrame())
    at = app("compare", area="E06000009")
    assert "No values for this area." in [i.value for i in at.info]
    assert _qp(at, "area") == "E06000009" and _qp(at, "with")
