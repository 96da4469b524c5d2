"""Fast page tests (streamlit.testing.v1.AppTest) on the real warehouse with its boundary layers: every page renders
without an exception, widgets update content, permalinks restore
the view and bad query parameters fall back to defaults with a visible notice."""
from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from pages._lib import registry

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
# every menu page but those with their own test modules (test_newborns_page.py, test_app_upload.py)
PAGES = [p.name for p in registry.menu(exclude=("newborns", "your_data"))]
INJECTION = "'; DROP TABLE x;--"



def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    parts += [t.value for t in at.title] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize("page", PAGES)
def test_page_renders(app, page):
    at = app(page)
    assert at.title, f"{page} has no title"
    assert not at.warning, [w.value for w in at.warning]


@pytest.mark.parametrize("page", PAGES)
def test_page_bad_params_fall_back_with_notice(app, page):
    bad = {"measure": INJECTION, "year": "abc", "area": "E99999999", "areas": f"E06000001,{INJECTION}",
           "colour": "<script>", "view": "nope", "tab": "x", "measures": INJECTION, "from": "1800"}
    at = app(page, **bad)
    if page in ("map", "trends", "north_south", "compare", "profile", "services", "downloads", "methods"):
        assert at.warning, f"{page}: no visible notice for bad parameters"
    # values written back to the URL are valid ones, never the injection string
    for k, v in at.query_params.items():
        vals = v if isinstance(v, list) else [v]
        assert all("DROP" not in str(x) for x in vals), (k, v)


def test_map_year_and_measure_change_update_content(app):
    at = app("map")
    summary0 = texts(at)
    year0 = int(at.query_params["year"][0] if isinstance(at.query_params["year"], list) else at.query_params["year"])
    at.select_slider(key="w_map_year").set_value(year0 - 3).run()
    assert not at.exception
    assert str(year0 - 3) in str(at.query_params["year"])
    assert texts(at) != summary0
    at.selectbox(key="w_map_measure").set_value("cla_starts_u1").run()
    assert not at.exception
    assert "cla_starts_u1" in str(at.query_params["measure"])
    at.radio(key="w_map_colour").set_value("quantile").run()
    assert not at.exception and "quantile" in str(at.query_params["colour"])


def test_map_permalink_restores_view(app):
    at = app("map", measure="cla_starts_u1", year="2019", colour="quantile", area="E06000001")
    assert at.selectbox(key="w_map_measure").value == "cla_starts_u1"
    assert at.select_slider(key="w_map_year").value == 2019
    assert at.radio(key="w_map_colour").value == "quantile"
    assert "Hartlepool" in texts(at)
    assert not at.warning


def test_map_selected_area_offers_profile(app):
    at = app("map")
    at.selectbox(key="w_map_area").set_value("E08000025").run()
    assert "Birmingham" in texts(at)
    assert "E08000025" in str(at.query_params["area"])


def test_region_only_measure_maps_by_region(app):
    at = app("map", measure="nfjo_newborns_s31_u7d_rate_overall")
    if at.selectbox(key="w_map_measure").value != "nfjo_newborns_s31_u7d_rate_overall":
        pytest.skip("the NFJO regional series is not in this build")
    assert "by region" in texts(at)


def test_trends_permalink_and_area_change(app):
    at = app("trends", measure="cla_starts_u1_rate", areas="E06000001,E08000025")
    assert at.multiselect(key="w_trends_areas").value == ["E06000001", "E08000025"]
    assert "Hartlepool" in texts(at) and "Birmingham" in texts(at)
    at.multiselect(key="w_trends_areas").set_value(["E09000001"]).run()
    assert not at.exception and "City of London" in texts(at)
    at.radio(key="w_trends_view").set_value("regions").run()
    assert not at.exception


def test_trends_marks_reorganisations(app):
    at = app("trends", areas="E06000061")  # North Northamptonshire (from 2021)
    assert "Reorganisations affecting these areas" in texts(at)


def _trend_table(at) -> pd.DataFrame:
    tables = [pd.DataFrame(d.value) for d in at.dataframe]
    return next(t for t in tables if {"Area", "Year"} <= set(t.columns))


def test_trends_continues_north_yorkshire_across_its_2023_recode(app):
    at = app("trends", measure="cla_starts_u1_rate", areas="E06000065")  # North Yorkshire (unitary, from 2023)
    assert at.checkbox(key="trends_continuity").value is True
    tbl = _trend_table(at)
    cont = tbl[tbl["Area"].str.startswith("North Yorkshire (former code E10000023", na=False)]
    assert list(cont["Year"]) == [f"{y - 1}/{str(y)[-2:]}" for y in range(2011, 2024)]
    assert cont["Code"].eq("E06000065").all() and cont.filter(like="Value").notna().all().all()
    assert "Continued across reorganisations" in texts(at)
    fig = at.get("plotly_chart")[0].proto.spec
    assert "North Yorkshire (former code E10000023" in fig and "longdashdot" in fig
    at.checkbox(key="trends_continuity").uncheck().run()
    assert not at.exception
    assert not _trend_table(at)["Area"].str.contains("former code", na=False).any()
    assert set(at.query_params.keys()) <= {"measure", "areas", "view", "build"}  # no new view parameter


def test_trends_rebuilds_cumbria_from_its_successors(app):
    at = app("trends", measure="cla_starts_u1", areas="E06000063")  # Cumberland (from 2023)
    tbl = _trend_table(at)
    agg = tbl[tbl["Area"].eq("Cumbria (former area: Cumberland + Westmorland and Furness)")]
    assert list(agg["Year"]) == ["2023/24", "2024/25"] and agg.filter(like="Value").notna().all().all()
    assert tbl["Area"].eq("Cumbria").any()  # the former county's own published line, for context


def test_compare_and_profile(app):
    at = app("compare", area="E08000025")
    assert "Birmingham" in texts(at)
    assert at.dataframe
    at = app("profile", area="E08000025")
    assert "Area profile: Birmingham" in texts(at)


def test_north_south_sections(app):
    at = app("north_south")
    for sec in ("deciles", "models", "oe", "funnel", "scatter"):
        at.selectbox(key="w_ns_view").set_value(sec).run()
        assert not at.exception, (sec, [e.message for e in at.exception])


def test_methods_sections(app):
    at = app("methods")
    shown = {"sources": "source files registered", "build": "Tables in this build", "approach": "never estimated",
             "measures": "**not** the number or rate of newborns in care"}
    for tab, text in shown.items():
        at.radio(key="w_methods_tab").set_value(tab).run()
        assert not at.exception
        assert text in texts(at), tab


def test_download_csv_has_no_suppressed_values_and_is_injection_safe(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from pages._lib import data, export
    df = data.download(["cla_starts_u1", "cla_starts_u1_rate"], data.la_codes(), 2011, 2025)
    assert len(df) and (df["status"] == "suppressed").any()
    sup = df[df["status"] == "suppressed"]
    assert sup[["value", "numerator", "lower_95", "upper_95"]].isna().all().all()
    out = pd.read_csv(io.BytesIO(export.csv_bytes(df)))
    assert ({"definition", "status", "lower_95", "upper_95", "source_publisher", "source_licence", "licence"}
            <= set(out.columns))
    assert out.loc[out["status"] == "suppressed", "value"].isna().all()
    ok = out[out["status"] == "ok"]
    assert pd.api.types.is_numeric_dtype(ok["value"])


def test_csv_neutralisation():
    from pages._lib.export import neutralise, safe_frame
    for bad in ("=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", "=HYPERLINK(\"x\")"):
        assert neutralise(bad).startswith("'"), bad
    for good in ("-3.5", "+2", "12", "Hartlepool", "", "1e-5"):
        assert neutralise(good) == good
    f = safe_frame(pd.DataFrame({"a": ["=x", "ok"], "n": [-1.5, 2.0]}))
    assert list(f["a"]) == ["'=x", "ok"] and list(f["n"]) == [-1.5, 2.0]


def test_queries_are_parameterised(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from pages._lib import data
    assert data.values(INJECTION, 2020, "la").empty
    assert data.series("cla_starts_u1_rate", [INJECTION]).empty
    assert data.download([INJECTION], [INJECTION], 2011, 2025).empty
    assert data.has_table("indicator_values")  # still there
