"""Child and maternal context measures (data/measures/context.toml) against the source files: values as published,
suppression kept (never filled), DfE LA numbers mapped by code."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

BLACKPOOL, MIDDLESBROUGH = "E06000009", "E06000002"
CONTEXT = ["context_infant_mortality", "context_low_birth_weight", "context_u18_conceptions",
           "context_breastfeeding_6_8wk", "context_child_low_income"]


@pytest.fixture(scope="module")
def lait(mirror) -> pd.DataFrame:
    return pd.read_parquet(mirror / "context" / "bds_long_0.parquet")


def _iv(con, measure, code):
    return {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT year, value, status FROM indicator_values WHERE measure_id = ? AND area_code = ?",
        [measure, code]).fetchall()}


def test_registered_with_topic_context(con):
    import tomllib

    from pipeline import config
    doc = tomllib.loads((config.DATA / "measures" / "context.toml").read_text())
    assert [m["measure_id"] for m in doc["measure"]] == CONTEXT
    assert all(m["topic"] == "Context" for m in doc["measure"])
    got = {r[0] for r in con.execute("SELECT measure_id FROM measures WHERE measure_id LIKE 'context_%'").fetchall()}
    assert got == set(CONTEXT)


@pytest.mark.real_data("published LAIT infant mortality rates")
def test_infant_mortality_as_published(con, lait):
    # PROVENANCE check values (single-year rates 2019-2023)
    bp = _iv(con, "context_infant_mortality", BLACKPOOL)
    assert [bp[y][0] for y in range(2019, 2024)] == pytest.approx([5.1, 4.1, 4.2, 6.7, 5.7])
    mb = _iv(con, "context_infant_mortality", MIDDLESBROUGH)
    assert [mb[y][0] for y in range(2019, 2024)] == pytest.approx([2.3, 5.7, 2.9, 3.9, 4.9])
    # every Blackpool row equals the raw file's (LA number 890), for all four LAIT items
    for item, mid in (("InfMort", "context_infant_mortality"), ("Low_Birth_Weight_Babies", "context_low_birth_weight"),
                      ("Under18concep", "context_u18_conceptions"), ("6wksBreast", "context_breastfeeding_6_8wk")):
        raw = lait[(lait["Short Desc"] == item) & (lait["LA Number"] == 890)]
        got = _iv(con, mid, BLACKPOOL)
        assert len(raw) == len(got), item
        for r in raw.itertuples():
            v, status = got[int(r.Years)]
            if r.Values == "-":
                assert status == "suppressed" and v is None, (item, r.Years)
            else:
                assert status == "ok" and v == pytest.approx(float(r.Values)), (item, r.Years)


@pytest.mark.real_data("the published count of suppressed breastfeeding figures")
def test_breastfeeding_suppression_is_kept_not_filled(con, lait):
    raw = lait[(lait["Short Desc"] == "6wksBreast") & (lait["Years"] == "2024") & (lait["LA Number"] < 970)]
    have = raw[raw["Values"] != "-"]
    ok = con.execute("""SELECT count(*) FROM indicator_values i JOIN areas a USING (area_code)
                        WHERE measure_id = 'context_breastfeeding_6_8wk' AND year = 2024 AND a.area_type = 'la'
                          AND status = 'ok'""").fetchone()[0]
    assert ok == len(have) == 88
    sup = con.execute("""SELECT count(*), count(value), min(note) FROM indicator_values i JOIN areas a USING (area_code)
                         WHERE measure_id = 'context_breastfeeding_6_8wk' AND year = 2024 AND a.area_type = 'la'
                           AND status = 'suppressed'""").fetchone()
    assert sup[0] == 153 - 88 and sup[1] == 0 and "no figure published" in sup[2]
    # South West: every LAIT value is "-" (and stays missing at region level too)
    assert _iv(con, "context_breastfeeding_6_8wk", "E12000009")[2024] == (None, "suppressed")
    assert _iv(con, "context_breastfeeding_6_8wk", "E92000001")[2024][0] == pytest.approx(52.71)
    assert con.execute("SELECT period_label FROM indicator_values WHERE measure_id = 'context_breastfeeding_6_8wk' "
                       "AND year = 2024 LIMIT 1").fetchone()[0] == "2023/24"


@pytest.mark.real_data("published LAIT values for reorganised LAs")
def test_dfe_numbers_mapped_by_code_across_reorganisations(con):
    # North Yorkshire (815): county council code to 2022, the unitary code from 2023 (calendar years, mid-year rule)
    assert 2022 in _iv(con, "context_infant_mortality", "E10000023")
    assert 2023 in _iv(con, "context_infant_mortality", "E06000065")
    assert 2023 not in _iv(con, "context_infant_mortality", "E10000023")
    # Cumbria (909) to 2022; Cumberland (942) from 2023
    assert _iv(con, "context_infant_mortality", "E10000006")[2022][0] == pytest.approx(2.8)
    assert _iv(con, "context_infant_mortality", "E06000063") == {2023: (pytest.approx(2.2), "ok")}


@pytest.mark.real_data("a published ONS child poverty figure")
def test_child_low_income_as_published(con, mirror):
    raw = pd.read_csv(mirror / "context" / "children-in-relative-poverty.csv", encoding="utf-8-sig")
    raw = raw[raw["indicator"] == "Children in relative poverty before housing costs"]
    for code in (BLACKPOOL, MIDDLESBROUGH, "E10000017", "W06000015", "E12000002"):
        got = _iv(con, "context_child_low_income", code)
        r = raw[raw["areacd"] == code]
        assert len(r) == 4 and len(got) == 4, code
        for p, v in zip(r["period"], r["observation"]):
            assert got[int(p[:4]) + 1][0] == pytest.approx(v), (code, p)
    assert _iv(con, "context_child_low_income", BLACKPOOL)[2022][0] == pytest.approx(27.67, abs=0.01)
    # Barnsley appears under both codes in the file: kept once, on the code in force (E08000016 to March 2025)
    assert len(_iv(con, "context_child_low_income", "E08000016")) == 4
    assert _iv(con, "context_child_low_income", "E08000038") == {}
    n = con.execute("""SELECT year, count(*) FROM indicator_values i JOIN areas a USING (area_code)
                       WHERE measure_id = 'context_child_low_income' AND a.area_type = 'la' AND a.country = 'England'
                       AND status = 'ok' GROUP BY 1 ORDER BY 1""").fetchall()
    assert n == [(2022, 153), (2023, 153), (2024, 153), (2025, 153)]
    assert _iv(con, "context_child_low_income", "E92000001")[2022][0] == pytest.approx(18.6)


@pytest.mark.real_data("context measures' published years and coverage on every page")
def test_context_measures_on_every_page(app_warehouse, monkeypatch):
    """Registered measures reach Map, Trends, Compare, Profile and Downloads with no page change."""
    from tests.app_support import app_factory
    from tests.test_app_pages import texts
    run = app_factory(app_warehouse, monkeypatch)

    at = run("map", measure="context_breastfeeding_6_8wk", year="2024")
    assert at.selectbox(key="w_map_measure").value == "context_breastfeeding_6_8wk"
    assert "Breastfeeding prevalence at 6 to 8 weeks" in texts(at) and "88 local authorities have a value" in texts(at)
    at = run("trends", measure="context_infant_mortality", areas=BLACKPOOL)
    tbl = next(pd.DataFrame(d.value) for d in at.dataframe if "Year" in pd.DataFrame(d.value).columns)
    assert {"2019", "2023"} <= set(tbl["Year"])
    for page in ("compare", "profile"):
        at = run(page, area=BLACKPOOL)
        cells = " ".join(" ".join(map(str, pd.DataFrame(d.value).to_numpy().ravel())) for d in at.dataframe)
        cells += " ".join(" ".join(map(str, pd.DataFrame(d.value).index)) for d in at.dataframe)
        assert "Infant mortality (per 1,000 births)" in cells and "Children in relative low income (%)" in cells, page
    at = run("downloads", measures="context_child_low_income", levels="la", **{"from": "2022", "to": "2025"})
    prev = pd.DataFrame(at.dataframe[0].value)
    assert prev["measure_id"].eq("context_child_low_income").all()
    assert f"**{4 * 175:,} rows**" in texts(at)  # 153 English + 22 Welsh LAs x FYE 2022-2025


@pytest.mark.real_data("the north-south model with context covariates needs the full set of LAs")
def test_north_south_model_with_context_covariates(con):
    d = con.execute("SELECT * FROM ns_context_models").df().set_index("covariate")
    assert set(d.index) == set(CONTEXT)
    assert pd.isna(d.at["context_breastfeeding_6_8wk", "northing_rr"])  # not fitted: suppressed, not at random
    assert "not at random" in d.at["context_breastfeeding_6_8wk", "note"]
    for mid in ("context_child_low_income", "context_infant_mortality", "context_low_birth_weight",
                "context_u18_conceptions"):
        r = d.loc[mid]
        assert r["n_areas"] >= 140 and r["northing_lower"] < r["northing_rr"] < r["northing_upper"], mid
        assert r["covariate_lower"] < r["covariate_rr"] < r["covariate_upper"], mid
        assert r["share_further_explained"] == pytest.approx(
            1 - np.log(r["northing_rr_with_covariate"]) / np.log(r["northing_rr"])), mid
    # child low income: FYE 2022-2025 only, matched to the same DfE years
    assert d.at["context_child_low_income", "years"] == "2021/22-2024/25"
    assert d.at["context_child_low_income", "n_years"] == 4
    # calendar measures are matched to the next DfE year (births rule): infant mortality 2016-2023 -> 2016/17-2023/24
    assert d.at["context_infant_mortality", "years"] == "2016/17-2023/24"
    assert "per 100 km north" in d.at["context_u18_conceptions", "text"]


def test_north_south_page_shows_context_models(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import APP, texts
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/north_south.py")
    at.query_params["view"] = "models"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    t = texts(at)
    assert "Does child and maternal context explain the north–south gradient?" in t
    assert "Under-18 conceptions (DfE years 2016/17-2022/23" in t
