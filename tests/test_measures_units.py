"""Unit tests for the parsers and marts of the care, children-in-need, deprivation and Wales measures on small
hand-written fixtures (official layouts, made-up numbers)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pipeline.errors import SourceError
from pipeline.marts.imd2025 import decile_of_rank, rank_desc, weighted_upper_tier
from pipeline.marts.wales import wimd_share
from pipeline.parsers import dfe_cin, dfe_cla_context, imd, nfjo, statswales_cla, wimd
from pipeline.parsers.nfjo import period_end_year
from tests.helpers import FIXTURES, make_ctx

RAW = FIXTURES / "measures_raw"


def _copy(tmp_path: Path) -> Path:
    dest = tmp_path / "raw"
    shutil.copytree(RAW, dest)
    return dest


def _edit(path: Path, old: str, new: str) -> None:
    t = path.read_text(encoding="utf-8")
    assert old in t, old
    path.write_text(t.replace(old, new, 1), encoding="utf-8")


# ---------- IoD2025 upper-tier weighting
def _weighting_fixture():
    f = pd.read_csv(FIXTURES / "measures" / "iod_weighting.csv", dtype={"lad_code": str, "utla_code": str})
    return (f[["lad_code", "score", "idaci"]], f[["lad_code", "utla_code"]],
            f[["lad_code", "population", "pop_0_15"]])


def test_population_weighted_upper_tier():
    lad, lk, w = _weighting_fixture()
    ut = weighted_upper_tier(lad, lk, w, {"score": "population", "idaci": "pop_0_15"}).set_index("utla_code")
    # (30x100k + 10x300k + 20x100k) / 500k = 16.0 (unweighted mean would be 20.0)
    assert ut.at["E10000099", "score"] == pytest.approx(16.0)
    # IDACI weighted by children 0-15: (0.3x20k + 0.1x60k + 0.5x40k) / 120k = 0.2667 (total-population weights: 0.22)
    assert ut.at["E10000099", "idaci"] == pytest.approx(32 / 120)
    # a unitary (one district) keeps its district value and needs no weight
    assert ut.at["E06000999", "score"] == 42.0 and ut.at["E06000999", "n_districts"] == 1


def test_weighting_needs_every_district_weight():
    lad, lk, w = _weighting_fixture()
    w.loc[w["lad_code"] == "E07000002", "population"] = None
    with pytest.raises(KeyError, match="E07000002"):
        weighted_upper_tier(lad, lk, w, {"score": "population"})


def test_district_missing_from_lookup():
    lad, lk, w = _weighting_fixture()
    with pytest.raises(KeyError, match="E07000003"):
        weighted_upper_tier(lad, lk[lk["lad_code"] != "E07000003"], w, {"score": "population"})


def test_rank_and_decile_ties_and_uneven_n():
    scores = pd.Series([50.0, 40.0, 40.0, 30.0, 20.0, 10.0, 5.0, 4.0, 3.0, 2.0, 1.0])
    r = rank_desc(scores)
    assert list(r[:4]) == [1, 2, 2, 4]  # ties share the lowest rank
    d = decile_of_rank(r, len(scores))
    assert d.iloc[0] == 1 and d.iloc[-1] == 10 and d.iloc[1] == d.iloc[2]
    assert decile_of_rank(pd.Series([1, 15, 16, 153]), 153).tolist() == [1, 1, 2, 10]


# ---------- WIMD share
def test_wimd_share_from_ranks_not_averages():
    lsoa = pd.DataFrame({"la_code": ["A"] * 5 + ["B"] * 15, "score": [90, 80, 1, 1, 1] + [50] * 15})
    g = wimd_share(lsoa).set_index("la_code")  # 20 LSOAs -> most deprived 10% = ranks 1-2
    assert g.at["A", "numerator"] == 2 and g.at["A", "denominator"] == 5 and g.at["A", "value"] == 40.0
    assert g.at["B", "numerator"] == 0


# ---------- Welsh name -> code table
def test_wales_name_table_is_complete_and_one_to_one():
    t = statswales_cla.name_table()
    las = {n: c for n, c in t.items() if c.startswith("W06")}
    assert len(las) == 22 and len(set(las.values())) == 22
    assert t["All Welsh local authorities"] == "W92000004"
    assert t["Newport"] == "W06000022" and t["Merthyr Tydfil"] == "W06000024"
    assert t["Rhondda Cynon Taf"] == "W06000016" and t["Vale of Glamorgan"] == "W06000014"
    # codes are the ones in the ONS lookup (same set as the 22 Welsh LAs in `areas`)
    expected = {f"W0600000{i}" for i in range(1, 7)} | {f"W060000{i:02d}" for i in (8, 9, 10, 11, 12, 13, 14, 15, 16,
                                                                                    18, 19, 20, 21, 22, 23, 24)}
    assert set(las.values()) == expected


def test_statswales_parser_fixture():
    ctx = make_ctx(RAW)
    df = statswales_cla.statswales_year(ctx, 2003, statswales_cla.name_table()).set_index("area_code")
    assert len(df) == 23
    # the first LA row carries the group label in column 1; it is still Anglesey, not Wales
    assert df.at["W06000001", "boys_status"] == "suppressed" and df.at["W92000004", "boys_u1"] == 100
    assert df.at["W06000022", "boys_u1"] == 5 and df.at["W06000022", "girls_u1"] == 10


def test_statswales_unknown_name_stops(tmp_path):
    raw = _copy(tmp_path)
    f = raw / "care/statswales_cla_31mar_2003_2018/CLA_31MAR_2003.csv"
    _edit(f, ",Newport ,", ",Casnewydd ,")
    with pytest.raises(SourceError) as e:
        statswales_cla.statswales_year(make_ctx(raw), 2003, statswales_cla.name_table())
    assert "CLA_31MAR_2003.csv" in str(e.value) and "column 2" in str(e.value) and "row 25" in str(e.value)
    assert "Casnewydd" in str(e.value)


def test_statswales_bad_cell_stops(tmp_path):
    raw = _copy(tmp_path)
    f = raw / "care/statswales_cla_31mar_2003_2018/CLA_31MAR_2003.csv"
    _edit(f, ",Gwynedd ,5,", ",Gwynedd ,five,")
    with pytest.raises(SourceError, match=r"column 'column 3', row 7.*'five'"):
        statswales_cla.statswales_year(make_ctx(raw), 2003, statswales_cla.name_table())


def test_ods_reader_truncated_file(tmp_path):
    raw = tmp_path / "raw"
    (raw / "deprivation").mkdir(parents=True)
    (raw / "deprivation/wimd-2019-index-and-domain-scores-by-small-area_0.ods").write_bytes(b"PK\x03\x04truncated")
    with pytest.raises(SourceError, match="wimd-2019-index.*cannot read the spreadsheet"):
        wimd.wimd(make_ctx(raw))


# ---------- NFJO
def test_period_end_year():
    assert period_end_year("2007/08") == 2008
    assert period_end_year("2007/08-2016/17") == 2017
    assert period_end_year("2008-2016 (overall)") == 2016
    assert period_end_year("2013-14") == 2014
    assert period_end_year("2015") == 2015
    assert period_end_year("decade to 2018 (start)") == 2018
    assert period_end_year("no year") is None


def test_nfjo_parser_fixture():
    ctx = make_ctx(RAW)
    nfjo.load(ctx)
    st = ctx.df("SELECT * FROM stg_nfjo_reference ORDER BY line")
    assert st["value"].tolist() == [1039, 30, 145]
    assert st["secondary"].tolist() == [False, False, True]
    assert st["year"].tolist() == [2008, 2016, 2013]


def test_nfjo_bad_value_stops(tmp_path):
    raw = _copy(tmp_path)
    _edit(raw / "care/reference_figures.csv", ",,1039,", ",,about a thousand,")
    with pytest.raises(SourceError) as e:
        nfjo.load(make_ctx(raw))
    assert "reference_figures.csv" in str(e.value) and "column 'value'" in str(e.value) and "row 2" in str(e.value)


# ---------- DfE CIN (EES)
def test_cin_c3_fixture_and_symbols(tmp_path):
    ctx = make_ctx(RAW)
    from pipeline.parsers._ees import read_ees_long
    df = read_ees_long(ctx, "dfe_cin_c3", dfe_cin.CIN_FILES["dfe_cin_c3"])
    assert set(df["area_code"]) == {"E92000001", "E12000001", "E08000037", "E06000057"}  # Inner London dropped
    g = df[(df["area_code"] == "E08000037")].set_index("variable")
    assert g.at["Domestic_Abuse_person", "status"] == "suppressed" and pd.isna(g.at["Domestic_Abuse_person", "value"])
    assert (g.at["Alcohol_Misuse_parent", "status"] == "not_available"
            and "low reliability" in g.at["Alcohol_Misuse_parent", "note"])
    assert g.at["Domestic_Abuse_parent", "value"] == 12


def test_cin_bad_count_stops(tmp_path):
    raw = _copy(tmp_path)
    _edit(raw / "care/dfe_cin/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv", "Factors,60,6,18,",
          "Factors,60,6,eighteen,")
    with pytest.raises(SourceError) as e:
        dfe_cin.load(make_ctx(raw))
    msg = str(e.value)
    assert "c3_factors" in msg and "column 'Domestic_Abuse_parent'" in msg and "row 6" in msg and "eighteen" in msg


def test_cin_unknown_la_code_stops(tmp_path):
    raw = _copy(tmp_path)
    _edit(raw / "care/dfe_cin/c3_factors_identified_at_end_of_assessment_2018_to_2025.csv", "929,E06000057",
          "929,E06999999")
    with pytest.raises(SourceError, match=r"column 'new_la_code', row 6"):
        dfe_cin.load(make_ctx(raw))


# ---------- CLA rate file
def test_cla_rate_fixture_drops_nonexistent_la():
    ctx = make_ctx(RAW)
    dfe_cla_context.load(ctx)
    st = ctx.df("SELECT * FROM stg_cla_rate_10k")
    assert set(st["area_code"]) == {"E92000001", "E08000037"}  # Northamptonshire 2022 (abolished 2021) is z: dropped
    assert st.set_index("area_code").at["E08000037", "count"] == 120


def test_cla_rate_unknown_population_type_stops(tmp_path):
    raw = _copy(tmp_path)
    _edit(raw / "care/dfe_cla_context/cla_number_and_rate_per_10k_children_2025ed.csv",
          "Gateshead,E08000037,Children starting", "Gateshead,E08000037,Children arriving")
    with pytest.raises(SourceError, match=r"population_type.*row 3"):
        dfe_cla_context.load(make_ctx(raw))


# ---------- IoD2025 district file
def test_iod2025_bad_score_stops(tmp_path):
    raw = _copy(tmp_path)
    _edit(raw / "deprivation/iod2025_lad_summaries_wide_v2.csv", "District B,10.25,", "District B,n/a,")
    with pytest.raises(SourceError) as e:
        imd.iod2025(make_ctx(raw))
    assert "iod2025_lad_summaries_wide_v2.csv" in str(e.value) and "imd_average_score" in str(e.value)
    assert "row 3" in str(e.value)
