"""Unit tests for the DfE children-starting-to-be-looked-after parser on hand-written fixtures."""
import shutil

import pandas as pd
import pytest

from pipeline.errors import SourceError
from pipeline.parsers import dfe_cla_starts as p
from tests.helpers import FIXTURE_RAW, make_ctx


def test_sfr_2015_header_quirk_latin1_trailing_spaces():
    ctx = make_ctx()
    df = p._sfr(ctx, 2015)
    # year comes from the registry (2015), not the header (CLA_started2014)
    assert set(df["year"]) == {2015}
    u1 = df[df["characteristic"] == "Under 1 year"].set_index("published_code")
    assert u1.at["E92000001", "value"] == 5810
    assert u1.at["E92000001", "area_name"] == "ENGLAND"
    assert u1.at["E06000039", "area_name"] == "Slough é"
    # x stays missing with its reason
    assert pd.isna(u1.at["E06000048", "value"]) and u1.at["E06000048", "status"] == "suppressed"
    # Inner London (geog_c H) is not a region
    assert "H" not in set(df["dfe_la_code"])
    assert (df["characteristic"] == "Total").sum() == 6


def test_harmonise_recodes_by_dfe_number():
    ctx = make_ctx()
    st = p.harmonise(ctx, pd.concat([p._sfr(ctx, 2015), p._ees(ctx, "dfe_cla_starts_la_2022")]))
    u1 = st[st["characteristic"] == "Under 1 year"]
    gat = u1[u1["dfe_la_code"] == "390"].set_index("year")
    # SFR 2015 publishes the pre-2013 code; it is put on the code in force (E08000037)
    assert gat.at[2015, "area_code"] == "E08000037" and "published under code E08000020" in gat.at[2015, "note"]
    assert gat.at[2022, "area_code"] == "E08000037" and gat.at[2022, "value"] == 38
    # Northamptonshire did not exist in 2022: its z row is dropped, not stored
    assert "E10000021" not in set(u1.loc[u1["year"] == 2022, "area_code"])
    # regions: only E12 (Inner London E13 dropped)
    assert set(st.loc[st["level"] == "regional", "area_code"]) == {"E12000001"}


def _ees_variant(tmp_path, old, new):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    f = raw / "care/dfe_cla_starts/ees/la_cla_who_started_to_be_looked_after_2018_2022.csv"
    f.write_text(f.read_text().replace(old, new, 1))
    return make_ctx(raw)


def test_unknown_code_is_one_clear_error(tmp_path):
    ctx = _ees_variant(tmp_path, "390,Gateshead,E08000037", "390,Gateshead,E08999999")
    with pytest.raises(SourceError) as e:
        p.harmonise(ctx, p._ees(ctx, "dfe_cla_starts_la_2022"))
    s = str(e.value)
    assert "unknown LA code 'E08999999'" in s and "column 'new_la_code'" in s and "row 5" in s


def test_value_for_la_that_did_not_exist(tmp_path):
    ctx = _ees_variant(tmp_path, "Northamptonshire,E10000021,Age group,Under 1 year,z",
                       "Northamptonshire,E10000021,Age group,Under 1 year,7")
    with pytest.raises(SourceError, match="did not exist"):
        p.harmonise(ctx, p._ees(ctx, "dfe_cla_starts_la_2022"))


def test_duplicate_row(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(FIXTURE_RAW, raw)
    f = raw / "care/dfe_cla_starts/ees/la_cla_who_started_to_be_looked_after_2018_2022.csv"
    lines = f.read_text().splitlines()
    f.write_text("\n".join(lines + [lines[4]]) + "\n")
    ctx = make_ctx(raw)
    with pytest.raises(SourceError, match="duplicate row") as e:
        p.harmonise(ctx, p._ees(ctx, "dfe_cla_starts_la_2022"))
    assert "row 10" in str(e.value)


def test_unknown_symbol(tmp_path):
    ctx = _ees_variant(tmp_path, "Gateshead,E08000037,Age group,Under 1 year,38",
                       "Gateshead,E08000037,Age group,Under 1 year,n/a")
    with pytest.raises(SourceError, match="not a known suppression symbol") as e:
        p._ees(ctx, "dfe_cla_starts_la_2022")
    assert "column 'number'" in str(e.value) and "row 5" in str(e.value)


def test_missing_column(tmp_path):
    ctx = _ees_variant(tmp_path, "characteristic,number", "characteristic,count")
    with pytest.raises(SourceError, match="missing column") as e:
        p._ees(ctx, "dfe_cla_starts_la_2022")
    assert "'number'" in str(e.value)
