"""Unit tests for the shared reading/suppression helpers."""
import numpy as np
import pandas as pd
import pytest

from pipeline.errors import SourceError
from pipeline.parsers.common import SYMBOLS_EES, SYMBOLS_SFR, join_notes, parse_counts, read_csv
from tests.helpers import make_ctx


def _frame(values):
    return pd.DataFrame({"n": values, "_line": range(2, 2 + len(values))})


def test_symbols_stay_missing_with_reason():
    p = parse_counts(_frame(["12", "c", "z", "x", "k", "u", "0"]), "n", "s", "f.csv", SYMBOLS_EES)
    assert p["value"].tolist()[0] == 12 and p["value"].tolist()[-1] == 0
    assert np.isnan(p["value"].iloc[1:6]).all()
    assert p["status"].tolist() == ["ok", "suppressed", "not_applicable", "not_available", "suppressed",
                                    "not_available", "ok"]
    assert p["note"].iloc[1].startswith("c:")


def test_sfr_x_means_suppressed_small_number():
    p = parse_counts(_frame(["x"]), "n", "s", "f.csv", SYMBOLS_SFR)
    assert p["status"].iloc[0] == "suppressed" and "1 to 5" in p["note"].iloc[0]


@pytest.mark.parametrize("bad, msg", [("abc", "not a number"), ("-3", "negative"), ("2.5", "whole number"),
                                      ("", "empty cell"), ("[c]", "not a number")])
def test_bad_cells_name_column_and_row(bad, msg):
    with pytest.raises(SourceError) as e:
        parse_counts(_frame(["1", bad]), "n", "src", "dir/f.csv", SYMBOLS_SFR)
    s = str(e.value)
    assert msg in s and "column 'n'" in s and "row 3" in s and "dir/f.csv" in s


def test_join_notes_skips_nan():
    assert join_notes(float("nan"), None, "", "a", "b") == "a; b"
    assert join_notes(None) is None


def test_read_csv_strips_headers_and_cells_latin1(tmp_path):
    f = tmp_path / "care/context/imd2019_utla_summaries.csv"
    f.parent.mkdir(parents=True)
    f.write_bytes("code ,name \nE06000009 , Blackpool \xe9 \n".encode("latin-1"))
    ctx = make_ctx(tmp_path, with_areas=False)
    df = read_csv(ctx, "imd2019_utla_csv", required=["code", "name"])
    assert df.columns.tolist()[:2] == ["code", "name"]
    assert df.iloc[0]["code"] == "E06000009" and df.iloc[0]["name"] == "Blackpool é"
    assert df.iloc[0]["_line"] == 2


@pytest.mark.parametrize("content, msg", [
    (b"", "empty"),
    (b"a,b,c\n1,2,3\n4,5\n", "truncated"),
    (b"a,b\n1,2,3\n", "more fields"),
    (b"a,b\n", "no data rows"),
    (b"a,a\n1,2\n", "duplicate column"),
])
def test_read_csv_malformed(tmp_path, content, msg):
    f = tmp_path / "care/context/imd2019_utla_summaries.csv"
    f.parent.mkdir(parents=True)
    f.write_bytes(content)
    with pytest.raises(SourceError) as e:
        read_csv(make_ctx(tmp_path, with_areas=False), "imd2019_utla_csv")
    assert msg in str(e.value) and "care/context/imd2019_utla_summaries.csv" in str(e.value)


def test_missing_column_named(tmp_path):
    f = tmp_path / "care/context/imd2019_utla_summaries.csv"
    f.parent.mkdir(parents=True)
    f.write_text("code,nme\nE1,x\n")
    with pytest.raises(SourceError) as e:
        read_csv(make_ctx(tmp_path, with_areas=False), "imd2019_utla_csv", required=["code", "name"])
    assert "column 'name'" in str(e.value)
