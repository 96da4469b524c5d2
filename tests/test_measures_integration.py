"""Integration: the care, children-in-need, deprivation and Wales measures on the real mirror, checked against the
publishers' figures."""
from __future__ import annotations

import pandas as pd
import pytest

from pipeline.registry import load_measures, measure_files
from tests.conftest import FULL

pytestmark = pytest.mark.integration

FAMILY_FILES = {"newborn_s31", "legal_status", "cin", "cla_rate", "deprivation2025", "wales"}


def _registry_measures() -> list[dict]:
    files = [f for f in measure_files() if f.stem in FAMILY_FILES]
    assert {f.stem for f in files} == FAMILY_FILES
    return load_measures([*files])


def test_registry_rows_complete(con):
    reg = con.execute("SELECT * FROM measures").df().set_index("measure_id")
    for m in _registry_measures():
        r = reg.loc[m["measure_id"]]
        assert r["definition"] and r["caveats"] and r["source_ids"], m["measure_id"]
        assert r["first_year"] is not None and not pd.isna(r["first_year"]), f"{m['measure_id']} has no values"


def test_la_coverage_latest_year(con):
    """Every LA-level measure of these families has rows for >= 140 English LAs (Wales: all 22) in its latest year."""
    for m in _registry_measures():
        mid = m["measure_id"]
        if mid.startswith("nfjo_"):
            continue  # national / regional figures only (no public LA newborn series)
        n = con.execute(
            "SELECT a.country, count(DISTINCT v.area_code) FROM indicator_values v JOIN areas a USING (area_code) "
            "WHERE v.measure_id = ? AND a.area_type = 'la' AND v.year = (SELECT max(year) FROM indicator_values "
            "WHERE measure_id = ?) GROUP BY 1", [mid, mid]).fetchall()
        n = dict(n)
        if mid.startswith(("wimd", "wales_")):
            assert n == {"Wales": 22}, (mid, n)
        else:
            assert n.get("England", 0) >= (140 if FULL else 30) and "Wales" not in n, (mid, n)


@pytest.mark.real_data("England CIN factor totals equal DfE's national rows")
def test_england_cin_factor_totals_equal_national_rows(con, mirror):
    raw = pd.read_csv(mirror / "care/dfe_cin/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv", dtype=str)
    nat = raw[raw["geographic_level"] == "National"].set_index("time_period")
    cols = {"cin_factor_domestic_abuse_parent": "Domestic_Abuse_parent",
            "cin_factor_domestic_abuse_child": "Domestic_Abuse_child",
            "cin_factor_domestic_abuse_other": "Domestic_Abuse_person",
            "cin_factor_mental_health_parent": "Mental_Health_parent",
            "cin_factor_drug_misuse_parent": "Drug_Misuse_parent",
            "cin_factor_alcohol_misuse_parent": "Alcohol_Misuse_parent"}
    for mid, col in cols.items():
        got = dict(con.execute("SELECT year, value FROM indicator_values WHERE measure_id=? AND area_code='E92000001'",
                               [mid]).fetchall())
        want = {int(y): float(v) for y, v in nat[col].items()}
        assert got == want and set(got) == set(range(2018, 2026)), mid
    # publisher's check figure (PROVENANCE B): domestic abuse (parent) 2025 = 162,890
    assert con.execute("SELECT value FROM indicator_values WHERE measure_id='cin_factor_domestic_abuse_parent' "
                       "AND area_code='E92000001' AND year=2025").fetchone()[0] == 162890


@pytest.mark.real_data("England ICPC count as published by DfE")
def test_cin_rates_use_mid_year_before(con):
    # England 2025: ICPC 72,100 per 10,000 of the mid-2024 0-17 population 12,183,016
    r = con.execute("SELECT value, numerator, denominator FROM indicator_values WHERE measure_id='cin_icpcs_rate' "
                    "AND area_code='E92000001' AND year=2025").fetchone()
    assert r[1] == 72100 and r[2] == 12183016 and r[0] == pytest.approx(72100 / 12183016 * 1e4)
    cpp = dict(con.execute("SELECT year, value FROM indicator_values WHERE measure_id='cin_cpp_starts' "
                           "AND area_code='E92000001'").fetchall())
    assert cpp[2013] == 52680 and cpp[2018] == 68770 and cpp[2025] == 61840


@pytest.mark.real_data("England starts under an interim care order as published by DfE")
def test_legal_status_shares(con):
    # PROVENANCE A2: England starts under an ICO 2018-2022 and total starts
    ico = dict(con.execute("SELECT year, value FROM indicator_values WHERE measure_id='cla_starts_ico' "
                           "AND area_code='E92000001' AND year BETWEEN 2018 AND 2020").fetchall())
    assert ico == {2018: 10730, 2019: 10770, 2020: 11020}
    r = con.execute("SELECT value, numerator, denominator FROM indicator_values "
                    "WHERE measure_id='cla_starts_ico_share' "
                    "AND area_code='E92000001' AND year=2018").fetchone()
    assert (r[1], r[2]) == (10730, 32190) and r[0] == pytest.approx(100 * 10730 / 32190)
    # every share with a value has numerator <= denominator, and suppressed numerators stay missing
    bad = con.execute("SELECT count(*) FROM indicator_values WHERE measure_id LIKE 'cla_starts_%_share' AND "
                      "(numerator > denominator OR (status='suppressed' AND value IS NOT NULL))").fetchone()[0]
    assert bad == 0
    # Yorkshire and The Humber is present in the SFR years too (region letter C)
    assert con.execute("SELECT count(*) FROM indicator_values WHERE measure_id='cla_starts_s20'"
                       " AND area_code='E12000003'"
                       " AND year BETWEEN 2011 AND 2017").fetchone()[0] == 7


@pytest.mark.real_data("England CLA rates per 10,000 children as published by DfE")
def test_cla_rate_per_10k(con):
    r = dict(con.execute("SELECT measure_id, round(value) FROM indicator_values "
                         "WHERE area_code='E92000001' AND year=2025 "
                         "AND measure_id IN ('cla_starts_rate_10k_children', 'cla_31mar_rate_10k_children')"
                         ).fetchall())
    assert r == {"cla_starts_rate_10k_children": 26, "cla_31mar_rate_10k_children": 67}


@pytest.mark.real_data("the most deprived upper-tier areas in IoD2025")
def test_imd2025_upper_tier_ranks(con):
    rank = dict(con.execute("SELECT area_code, value FROM indicator_values WHERE measure_id='imd2025_rank'").fetchall())
    assert rank["E06000009"] == 1 and rank["E06000002"] == 2  # Blackpool, Middlesbrough
    # 153 upper-tier LAs ranked 1..153 (plus the Barnsley/Sheffield 2025 recodes carrying their values)
    core = con.execute("SELECT count(*), max(value) FROM indicator_values v JOIN areas a USING (area_code) WHERE "
                       "measure_id='imd2025_rank' AND note NOT LIKE '%recoded%'").fetchone()
    assert core == (153, 153)
    dec = dict(con.execute("SELECT value, count(*) FROM indicator_values WHERE measure_id='imd2025_decile' "
                           "AND note NOT LIKE '%recoded%' GROUP BY 1").fetchall())
    assert sorted(dec) == list(range(1, 11)) and set(dec.values()) <= {15, 16}
    d19 = dict(con.execute("SELECT area_code, value FROM indicator_values "
                           "WHERE measure_id='imd2019_decile'").fetchall())
    assert d19["E06000009"] == 1 and d19["E08000011"] == 1  # Blackpool, Knowsley
    # never on one scale with Wales
    assert con.execute("SELECT count(*) FROM indicator_values WHERE measure_id LIKE 'imd20%' AND area_code LIKE 'W%'"
                       ).fetchone()[0] == 0


@pytest.mark.real_data("population weighting reproduces the published File 11 ranks")
def test_upper_tier_weighting_reproduces_file11_2019(mirror):
    """The stated method (population-weighted district scores) applied to IoD2019 reproduces MHCLG's own upper-tier
    File 11 scores: within 0.02 points with IoD2019's population year (mid-2015), for counties with unchanged districts.
    Total-population weights for IMD, 0-15 weights for IDACI (better than total for IDACI)."""
    from pipeline.marts.imd2025 import weighted_upper_tier
    mye = pd.read_csv(mirror / "births/nomis_mye_population_single_year_of_age_la_uk_1997_2020.csv", na_values=["-"])
    mye = mye[mye["year"] == 2015]
    ages = [c for c in mye.columns if c.startswith("Age")]
    w = pd.DataFrame({"lad_code": mye["code"], "population": mye[ages].sum(axis=1),
                      "pop_0_15": mye[[f"Age {i}" for i in range(16)]].sum(axis=1)})
    f10 = pd.read_csv(mirror / "deprivation/iod2019_lad_summaries_long.csv")
    lad = (f10[f10["index_domain"] == "Index of Multiple Deprivation"][["lad19cd", "average_score"]]
           .rename(columns={"lad19cd": "lad_code", "average_score": "imd"}))
    idaci = f10[f10["index_domain"] == "Income Deprivation Affecting Children"].set_index("lad19cd")["average_score"]
    lad["idaci"] = lad["lad_code"].map(idaci)
    lk = pd.read_csv(mirror / "births/ltla22_to_utla22_lookup_england_wales.csv", encoding="utf-8-sig")
    lk = lk.rename(columns={"LTLA22CD": "lad_code", "UTLA22CD": "utla_code"})[["lad_code", "utla_code"]]
    counties = lk[lk["utla_code"].str.startswith("E10")]
    counties = counties[counties.groupby("utla_code")["lad_code"]
                        .transform(lambda s: s.isin(set(lad["lad_code"])).all())]
    got = weighted_upper_tier(lad[lad["lad_code"].isin(counties["lad_code"])], counties, w,
                              {"imd": "population", "idaci": "pop_0_15"}).set_index("utla_code")
    f11 = {}
    for sheet, col in (("IMD", "IMD - Average score"), ("IDACI", "IDACI - Average score")):
        s = pd.read_excel(
            mirror / "deprivation/File_11_-_IoD2019_Local_Authority_District_Summaries__upper-tier__.xlsx",
            sheet_name=sheet)
        s.columns = [c.strip() for c in s.columns]
        f11[sheet] = s.set_index("Upper Tier Local Authority District code (2019)")[col]
    assert len(got) >= 20
    diff_imd = (got["imd"] - f11["IMD"].reindex(got.index)).abs()
    diff_idaci = (got["idaci"] - f11["IDACI"].reindex(got.index)).abs()
    assert diff_imd.max() < 0.02, diff_imd.sort_values().tail(3)
    assert diff_idaci.max() < 0.001, diff_idaci.sort_values().tail(3)
    # an unweighted mean of districts is clearly worse (so the test can tell the methods apart)
    unweighted = lad.merge(counties, on="lad_code").groupby("utla_code")["imd"].mean()
    assert (unweighted.reindex(got.index) - f11["IMD"].reindex(got.index)).abs().max() > 0.2


@pytest.mark.real_data("a published WIMD 2019 share of small areas in the most deprived 10%")
def test_wimd_extent(con):
    v = dict(con.execute("SELECT area_code, value FROM indicator_values WHERE measure_id="
                         "'wimd2019_share_most_deprived_10pct'").fetchall())
    assert len(v) == 22
    assert v["W06000022"] == pytest.approx(24.2, abs=0.05)  # Newport
    assert v["W06000024"] == pytest.approx(22.2, abs=0.05)  # Merthyr Tydfil
    assert v["W06000015"] == pytest.approx(18.2, abs=0.05)  # Cardiff
    n = con.execute("SELECT sum(numerator), sum(denominator) FROM indicator_values WHERE measure_id="
                    "'wimd2019_share_most_deprived_10pct'").fetchone()
    assert n == (190, 1909)


def test_wales_cla_under_1(con):
    w = dict(con.execute("SELECT year, value FROM indicator_values WHERE measure_id='wales_cla_u1_31mar' AND "
                         "area_code='W92000004'").fetchall())
    assert w[2018] == 185 + 175 and w[2003] == 80 + 75 and set(w) == set(range(2003, 2019))
    # '*' stays missing with its reason (never imputed)
    r = con.execute("SELECT status, value, note FROM indicator_values WHERE measure_id='wales_cla_u1_31mar' AND "
                    "area_code='W06000001' AND year=2018").fetchone()
    assert r[0] == "suppressed" and r[1] is None and "*" in r[2]


@pytest.mark.real_data("ONS live births 2022 for a Welsh LA")
def test_welsh_births_2022(con):
    n = con.execute("SELECT count(*) FROM indicator_values v JOIN areas a USING (area_code) WHERE "
                    "measure_id='live_births' AND year=2022 AND a.country='Wales' AND a.area_type='la'").fetchone()[0]
    assert n == 22
    assert con.execute("SELECT value FROM indicator_values WHERE measure_id='live_births' AND year=2022 AND "
                       "area_code='W06000024'").fetchone()[0] == 610  # Merthyr Tydfil (ONS)


def test_nfjo_newborn_figures_with_citations(con):
    rows = con.execute("SELECT period_label, value, note, source_id FROM indicator_values WHERE "
                       "measure_id='nfjo_newborns_s31_u7d' AND area_code='E92000001' ORDER BY year").fetchall()
    assert [(r[0], r[1]) for r in rows] == [("2007/08", 1039), ("2016/17", 2447)]
    for r in rows:
        assert "Broadhurst K" in r[2] and "Born into care" in r[2] and "nuffieldfoundation.org" in r[2]
        assert r[3] == "nfjo_reference_figures"
    cum = con.execute("SELECT period_label, value FROM indicator_values WHERE measure_id="
                      "'nfjo_newborns_s31_u7d_cumulative'").fetchall()
    assert cum == [("2007/08-2016/17", 16849)]
    # secondary-summary flag carried; the Wales (<2 weeks) figures never share a measure with England's <7 days
    sec = con.execute("SELECT count(*) FROM indicator_values WHERE measure_id LIKE 'nfjo_newborns_2021%' AND note NOT "
                      "LIKE 'SECONDARY SUMMARY%'").fetchone()[0]
    assert sec == 0
    mixed = con.execute("SELECT count(*) FROM indicator_values WHERE measure_id LIKE 'nfjo_%u7d%'"
                        " AND area_code LIKE 'W%'").fetchone()[0]
    assert mixed == 0
    lb = con.execute("SELECT note FROM indicator_values WHERE measure_id='nfjo_newborns_s31_u7d_rate_overall' AND "
                     "area_code='E12000002'").fetchone()[0]
    assert lb.startswith("LOWER BOUND")
