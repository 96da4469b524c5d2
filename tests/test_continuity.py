"""continuity_series (pipeline/post/continuity.py): unit tests on small hand-written frames and integration tests
on the real warehouse."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline import stats as S
from pipeline.post import continuity as C

SUCC = pd.DataFrame([
    ("A_OLD", "A_NEW", 2023, "recode", True, "same boundary"),
    ("CNTY", "U1", 2021, "split", True, "county split"),
    ("CNTY", "U2", 2021, "split", True, "county split"),
    ("B1", "BCP", 2019, "merger", False, "not additive"),
    ("DOR", "BCP", 2019, "split", False, "Christchurch to BCP"),
    ("DOR", "DOR2", 2019, "split", False, "Dorset less Christchurch"),
], columns=["old_code", "new_code", "from_year", "change_type", "additive", "note"])


def iv_rows(rows, measure="m_rate", value_type="rate", multiplier=10000.0):
    df = pd.DataFrame(rows, columns=["area_code", "year", "value", "numerator", "denominator", "status"])
    return df.assign(measure_id=measure, period_label=df["year"].astype(str), note=None, value_type=value_type,
                     multiplier=multiplier, lower_95=float("nan"), upper_95=float("nan"))


def rate(n, d):
    return n / d * 10000


def test_split_aggregate_sums_numerators_and_denominators_with_byar_ci():
    iv = iv_rows([("CNTY", 2021, rate(30, 5000), 30, 5000, "ok"),
                  ("U1", 2022, rate(12, 2000), 12, 2000, "ok"), ("U2", 2022, rate(20, 3100), 20, 3100, "ok")])
    out = C.continuity(iv, SUCC, {"CNTY": "County", "U1": "North", "U2": "West"})
    assert list(out["area_code"]) == ["CNTY"] and list(out["year"]) == [2022]  # not 2021: the county has its own
    r = out.iloc[0]
    assert (r.numerator, r.denominator, r.status) == (32, 5100, "ok")
    assert r.value == pytest.approx(32 / 5100 * 10000)
    lo, hi = S.byar_ci(32, 5100, 10000)
    assert (r.lower_95, r.upper_95) == (pytest.approx(lo), pytest.approx(hi))
    assert r.components == "U1,U2" and r.label == "County (former area: North + West)"


def test_split_aggregate_counts_and_proportions():
    cnt = C.continuity(iv_rows([("U1", 2022, 12, None, None, "ok"), ("U2", 2022, 20, None, None, "ok")],
                               measure="m_count", value_type="count", multiplier=1.0), SUCC)
    assert cnt["value"].tolist() == [32] and cnt["lower_95"].isna().all()
    prop = C.continuity(iv_rows([("U1", 2022, 60.0, 12, 20, "ok"), ("U2", 2022, 50.0, 20, 40, "ok")],
                                measure="m_share", value_type="proportion", multiplier=100.0), SUCC)
    r = prop.iloc[0]
    assert r.value == pytest.approx(32 / 60 * 100)
    lo, hi = S.wilson_ci(32, 60, 0.95, 100)
    assert (r.lower_95, r.upper_95) == (pytest.approx(lo), pytest.approx(hi))


@pytest.mark.parametrize("other_status", ["ok", "suppressed"])
def test_aggregate_not_published_when_a_component_is_suppressed(other_status):
    """Publishing U1 + U2 when U2 is suppressed would reveal U2 as total - U1."""
    iv = iv_rows([("U1", 2022, rate(12, 2000) if other_status == "ok" else None, 12 if other_status == "ok" else None,
                   2000, other_status),
                  ("U2", 2022, None, None, 3100, "suppressed"),
                  ("Z", 2022, rate(5, 1000), 5, 1000, "ok")])  # the measure has numerators elsewhere
    out = C.continuity(iv, SUCC)
    assert len(out) == 1
    r = out.iloc[0]
    assert r.status == "suppressed" and "suppressed" in r.note
    assert all(math.isnan(r[c]) for c in ("value", "numerator", "denominator", "lower_95", "upper_95"))


def test_aggregate_not_available_when_a_component_has_no_value_or_no_row():
    out = C.continuity(iv_rows([("U1", 2022, rate(12, 2000), 12, 2000, "ok"),
                                ("U1", 2023, rate(9, 2000), 9, 2000, "ok"),
                                ("U2", 2022, None, 20, None, "not_available")]), SUCC)
    assert out["status"].tolist() == ["not_available", "not_available"]
    assert out["value"].isna().all() and out["numerator"].isna().all()


def test_fallback_component_makes_the_aggregate_a_fallback():
    iv = iv_rows([("U1", 2024, rate(12, 2000), 12, 2000, "denominator_fallback"),
                  ("U2", 2024, rate(20, 3100), 20, 3100, "ok")])
    iv.loc[0, "note"] = "denominator: live births 2022"
    r = C.continuity(iv, SUCC).iloc[0]
    assert r.status == "denominator_fallback" and "live births 2022" in r.note


def test_recode_carries_the_former_codes_rows_unchanged():
    iv = iv_rows([("A_OLD", y, rate(10 + y % 5, 3000), 10 + y % 5, 3000, "ok") for y in range(2011, 2024)]
                 + [("A_OLD", 2010, None, None, None, "suppressed")]
                 + [("A_NEW", y, rate(15, 3000), 15, 3000, "ok") for y in (2024, 2025)])
    iv["lower_95"] = 1.0
    out = C.continuity(iv, SUCC)
    assert set(out["area_code"]) == {"A_NEW"} and list(out["year"]) == list(range(2010, 2024))
    old = iv[iv["area_code"] == "A_OLD"].set_index("year")
    assert (out.set_index("year")["value"].dropna() == old["value"].dropna()).all()
    assert out.loc[out["year"] == 2010, "status"].item() == "suppressed"
    assert (out["lower_95"].iloc[1:] == 1.0).all() and (out["method"] == C.METHOD_RECODE).all()


def test_no_rows_for_non_additive_changes():
    iv = iv_rows([("B1", 2018, rate(5, 1000), 5, 1000, "ok"), ("DOR", 2018, rate(5, 1000), 5, 1000, "ok"),
                  ("BCP", 2020, rate(5, 1000), 5, 1000, "ok"), ("DOR2", 2020, rate(5, 1000), 5, 1000, "ok")])
    assert C.continuity(iv, SUCC).empty


def test_measures_without_numerators_are_skipped():
    iv = iv_rows([("U1", 2022, 30.0, None, None, "ok"), ("U2", 2022, 20.0, None, None, "ok")],
                 measure="m_score_like_rate")
    assert C.continuity(iv, SUCC).empty


# ---------------------------------------------------------------------------------------------------------------
# integration: the real warehouse
NYORKS_OLD, NYORKS = "E10000023", "E06000065"
CUMBRIA, CUMBERLAND, WESTMORLAND = "E10000006", "E06000063", "E06000064"


def test_north_yorkshire_continues_from_its_county_code(con):
    for mid in ("cla_starts_u1", "cla_starts_u1_rate"):
        cs = con.execute("""SELECT year, value, numerator, denominator, status, components, lower_95
                            FROM continuity_series WHERE measure_id = ? AND area_code = ? ORDER BY year""",
                         [mid, NYORKS]).df()
        old = con.execute("""SELECT year, value, numerator, denominator, status, lower_95 FROM indicator_values
                             WHERE measure_id = ? AND area_code = ? ORDER BY year""", [mid, NYORKS_OLD]).df()
        assert list(cs["year"]) == list(range(2011, 2024)) == list(old["year"])
        assert (cs["components"] == NYORKS_OLD).all()
        pd.testing.assert_frame_equal(cs.drop(columns="components"), old, check_dtype=False)


def test_cumbria_2024_is_the_sum_of_its_successors(con):
    for mid in ("cla_starts_u1", "cla_starts_u1_rate"):
        agg = con.execute("""SELECT * FROM continuity_series WHERE measure_id = ? AND area_code = ? AND year = 2024""",
                          [mid, CUMBRIA]).df()
        parts = con.execute("""SELECT value, numerator, denominator, status FROM indicator_values
                               WHERE measure_id = ? AND area_code IN (?, ?) AND year = 2024""",
                            [mid, CUMBERLAND, WESTMORLAND]).df()
        assert len(agg) == 1 and len(parts) == 2
        r = agg.iloc[0]
        assert r.components == f"{CUMBERLAND},{WESTMORLAND}" and "Cumberland" in r.label
        assert r.status in ("ok", "denominator_fallback")
        if mid == "cla_starts_u1":
            assert r.value == parts["value"].sum()
        else:
            assert r.numerator == parts["numerator"].sum() and r.denominator == parts["denominator"].sum()
            assert r.value == pytest.approx(r.numerator / r.denominator * 10000)
            lo, hi = S.byar_ci(r.numerator, r.denominator, 10000)
            assert r.lower_95 == pytest.approx(lo) and r.upper_95 == pytest.approx(hi)
            assert r.lower_95 < r.value < r.upper_95


def test_published_aggregates_only_combine_published_values(con):
    """Every aggregate with a value has all its components with values; a suppressed component => suppressed."""
    bad = con.execute("""
        WITH c AS (SELECT measure_id, area_code, year, period_label, value, status,
                          unnest(string_split(components, ',')) AS comp
                   FROM continuity_series WHERE method = 'sum_of_components')
        SELECT c.*, i.status AS comp_status FROM c
        LEFT JOIN indicator_values i ON i.measure_id = c.measure_id AND i.area_code = c.comp AND i.year = c.year
             AND i.period_label = c.period_label
        WHERE (c.value IS NOT NULL AND coalesce(i.status, 'none') NOT IN ('ok', 'denominator_fallback'))
           OR (i.status = 'suppressed' AND (c.status <> 'suppressed' OR c.value IS NOT NULL))""").df()
    assert bad.empty, bad
    n_sup = con.execute("""SELECT count(*) FROM continuity_series
                           WHERE method = 'sum_of_components' AND status = 'suppressed'""").fetchone()[0]
    assert n_sup > 0  # the real data have such cases (e.g. emergency protection orders, Cumbria 2024)


def test_no_rows_for_the_dorset_bcp_reorganisation(con):
    dorset = ["E06000028", "E06000029", "E10000009", "E06000058", "E06000059"]
    n = con.execute(f"""SELECT count(*) FROM continuity_series WHERE area_code IN ({','.join('?' * 5)})
                        OR list_has_any(string_split(components, ','), ?::VARCHAR[])""",
                    [*dorset, dorset]).fetchone()[0]
    assert n == 0
