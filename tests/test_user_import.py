"""Bring-your-own-extract import: validation (every problem at once, nothing written), hand-checked rates and CIs,
disclosure control."""
import math

import duckdb
import pandas as pd
import pytest

from pipeline import user_import as ui
from tests.conftest import run_atlas
from tests.helpers import FIXTURES

pytestmark = pytest.mark.integration
pytest.importorskip("pipeline.stats", reason="statistics layer not merged yet")
HDR = "area_code,year,measure,numerator,denominator\n"


@pytest.fixture()
def userdir(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_USER_DIR", str(tmp_path / "user"))
    return tmp_path / "user"


def _validate(con, data: bytes, **kw):
    return ui.validate_extract(data, con, **kw)


def byar_hand(o, z=1.959964):
    lo = o * (1 - 1 / (9 * o) - z / (3 * math.sqrt(o))) ** 3
    o1 = o + 1
    hi = o1 * (1 - 1 / (9 * o1) + z / (3 * math.sqrt(o1))) ** 3
    return lo, hi


def test_valid_extract_rates_and_cis_by_hand(con, userdir, warehouse):
    res, out = ui.import_file(FIXTURES / "user/valid_extract.csv", "test_newborn", warehouse=warehouse)
    assert res.ok, res.problems_frame()
    assert out == userdir / "test_newborn.duckdb" and out.exists()
    v = res.values.set_index("area_code")
    # Blackpool: 14 / 1,500 * 10,000 = 93.33; Byar 95%: (14 * (1 - 1/126 - 1.96/(3*sqrt 14))^3, ...) / 1500 * 10000
    assert v.at["E06000009", "value"] == pytest.approx(93.3333, abs=1e-3)
    lo, hi = byar_hand(14)
    assert v.at["E06000009", "lower_95"] == pytest.approx(lo / 1500 * 10000, rel=1e-4)
    assert v.at["E06000009", "upper_95"] == pytest.approx(hi / 1500 * 10000, rel=1e-4)
    # Knowsley: 10 / 2,000: Byar 10 events = (4.79, 18.39) -> per 10,000 of 2,000 births
    # (4.79 and 18.39 are rounded to 2 dp, +-0.005, so after x5 the tolerance is 0.025)
    assert v.at["E08000011", "lower_95"] == pytest.approx(4.79 / 2000 * 10000, abs=0.025)
    assert v.at["E08000011", "upper_95"] == pytest.approx(18.39 / 2000 * 10000, abs=0.025)
    # no denominator given: live births of 2019 (alignment rule) from the warehouse
    births = con.execute("SELECT denominator FROM births_denominators WHERE area_code='E06000002' AND year=2020"
                         ).fetchone()[0]
    assert v.at["E06000002", "denominator"] == births
    assert v.at["E06000002", "value"] == pytest.approx(25 / births * 10000)
    # Hartlepool 3 is suppressed (1-4); the region total is given, so one more NE LA is suppressed too
    assert v.at["E06000001", "status"] == "suppressed" and pd.isna(v.at["E06000001", "numerator"])
    ne = v[v.index.isin(["E06000001", "E06000002", "E06000003"])]
    assert (ne["status"] == "suppressed").sum() >= 2
    # a zero is not disclosive under the default rule, unless it was needed for complementary suppression
    for c in ("sig_comparator_95", "funnel_flag_95"):
        assert set(v[c]) <= {"higher", "similar", "lower", "not_compared"}
    con2 = duckdb.connect(str(out), read_only=True)
    assert con2.execute("SELECT badge FROM import_info").fetchone()[0] == "user-supplied, not official statistics"
    con2.close()


def test_disclosure_no_small_or_back_calculable_cells(con, userdir, warehouse):
    res, out = ui.import_file(FIXTURES / "user/valid_extract.csv", "disc", warehouse=warehouse)
    v = res.values
    shown = v["numerator"].dropna()
    assert not ((shown >= 1) & (shown <= 4)).any()
    # region total minus the shown LAs of that region must not equal any suppressed original count
    areas = con.execute("SELECT area_code, region_code, area_type FROM areas").df().set_index("area_code")
    original = pd.read_csv(FIXTURES / "user/valid_extract.csv").set_index("area_code")["numerator"]
    checked = 0
    for r in v[v["area_code"].map(areas["area_type"]) == "region"].itertuples():
        members = v[(v["area_code"].map(areas["region_code"]) == r.area_code)
                    & (v["area_code"].map(areas["area_type"]) == "la")]
        hidden = members[members["numerator"].isna()]
        assert len(hidden) != 1
        residual = r.numerator - members["numerator"].sum()
        for code in hidden["area_code"]:
            assert residual != original[code], (r.area_code, code)
            checked += 1
    assert checked, "the fixture must have a region total with suppressed LAs"
    # rates, CIs of suppressed cells are hidden too
    sup = v[v["status"] == "suppressed"]
    assert sup[["value", "lower_95", "upper_95", "lower_998", "upper_998"]].isna().all().all()


def test_old_la_codes_and_period_labels(con, userdir, warehouse):
    res, out = ui.import_file(FIXTURES / "user/old_la_code_extract.csv", "old_codes", warehouse=warehouse)
    assert res.ok, res.problems_frame()
    got = dict(zip(res.values["year"], res.values["area_code"]))
    assert got == {2016: "E08000037", 2020: "E10000021", 2023: "E06000061"}


INVALID = {
    "unknown code": ((HDR + "E06999999,2020,newborn_s31,5,100\n").encode(), ("area_code", "unknown area code")),
    "wrong vintage": ((HDR + "E06000058,2015,newborn_s31,5,100\n").encode(), ("area_code", "not in force")),
    "negative count": ((HDR + "E06000009,2020,newborn_s31,-5,100\n").encode(), ("numerator", "negative")),
    "text in counts": ((HDR + "E06000009,2020,newborn_s31,five,100\n").encode(), ("numerator", "not a whole number")),
    "duplicates": ((HDR + "E06000009,2020,newborn_s31,5,100\nE06000009,2020,newborn_s31,6,100\n").encode(),
                   ("area_code", "duplicate of row 2")),
    "missing column": (b"area_code,year,measure\nE06000009,2020,newborn_s31\n",
                       ("numerator", "missing required column")),
    "wrong encoding": ((HDR + "E06000009,2020,newborn_s31,5,100\n").encode("utf-16"), (None, "UTF-16")),
    "numerator > denominator": ((HDR + "E06000009,2020,newborn_s31,500,100\n").encode(),
                                ("numerator", "greater than the denominator")),
    "empty file": (b"", (None, "empty")),
    "header only": (HDR.encode(), (None, "no data rows")),
    "bad year": ((HDR + "E06000009,1890,newborn_s31,5,100\n").encode(), ("year", "outside")),
    "official id clash": ((HDR + "E06000009,2020,cla_starts_u1,5,100\n").encode(), ("measure", "official measure")),
    "bad measure id": ((HDR + "E06000009,2020,Robert'); DROP TABLE areas;--,5,100\n").encode(),
                       ("measure", "lower-case")),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_invalid_extracts(con, case, tmp_path, warehouse, userdir):
    data, (col, msg) = INVALID[case]
    res = _validate(con, data)
    assert not res.ok
    assert any((col is None or p.column == col) and msg in p.problem for p in res.problems), res.problems_frame()
    # CLI: non-zero exit, the problems listed, nothing written
    f = tmp_path / "x.csv"
    f.write_bytes(data)
    r = run_atlas(["import", str(f), "--as", "bad_case"], {"ATLAS_WAREHOUSE": str(warehouse),
                                                          "ATLAS_USER_DIR": str(userdir)})
    assert r.returncode == 2 and "nothing was written" in r.stderr
    assert not (userdir / "bad_case.duckdb").exists()


def test_every_problem_reported_at_once(con):
    data = (HDR + "E06999999,2020,newborn_s31,5,100\nE06000009,2020,newborn_s31,-1,100\n"
            "E06000009,1800,newborn_s31,x,100\n").encode()
    res = _validate(con, data)
    rows = sorted({p.row for p in res.problems})
    assert rows == [2, 3, 4] and len(res.problems) >= 4


def test_oversized_file(con, tmp_path, warehouse, userdir):
    big = HDR + "E06000009,2020,newborn_s31,5,100\n" * 2000
    res = _validate(con, big.encode(), max_bytes=10_000)
    assert not res.ok and "larger than the limit" in res.problems[0].problem
    f = tmp_path / "big.csv"
    f.write_text(big)
    r = run_atlas(["import", str(f), "--as", "big", "--max-mb", "0.01"], {"ATLAS_WAREHOUSE": str(warehouse),
                                                                        "ATLAS_USER_DIR": str(userdir)})
    assert r.returncode == 2 and "larger than the limit" in r.stderr


def test_latin1_and_bom_accepted(con):
    for enc in ("utf-8-sig", "latin-1"):
        data = (HDR.replace("denominator", "denominator,source") .replace("\n", "\n") +
                "E06000009,2020,newborn_s31,5,100,Caf\xe9 data\n").encode(enc)
        res = _validate(con, data)
        assert res.ok, (enc, res.problems_frame())
        assert res.values["source"].tolist() == ["Caf\xe9 data"], enc  # decoded, not mojibake


def test_official_warehouse_untouched(warehouse, userdir):
    import hashlib
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    r = run_atlas(["import", str(FIXTURES / "user/valid_extract.csv"), "--as", "cli_ok"],
                  {"ATLAS_WAREHOUSE": str(warehouse), "ATLAS_USER_DIR": str(userdir)})
    assert r.returncode == 0, r.stderr
    assert "not official statistics" in r.stdout
    assert (userdir / "cli_ok.duckdb").exists()
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before


def test_newborn_definition_fields_kept_and_never_mixed(con):
    """A newborn extract carries its definition (age at issue, proceedings type) per measure; one measure id with two
    definitions is refused, naming the row, so a series never mixes definitions."""
    hdr = "area_code,period_label,measure,age_at_issue,proceedings_type,numerator,denominator\n"
    good = (hdr + "E06000009,2019/20,nb_u7d,under 7 days,s.31 care proceedings,14,1500\n"
                  "E08000011,2019/20,nb_u7d,under 7 days,s.31 care proceedings,10,2000\n"
                  "E08000011,2019/20,nb_u2w,under 2 weeks,s.31 care proceedings,12,2000\n").encode()
    res = _validate(con, good)
    assert res.ok and not res.notices, (res.problems_frame(), res.notices)
    _, m = ui.compute(res.values, con)
    m = m.set_index("measure_id")
    assert m.at["nb_u7d", "age_at_issue"] == "under 7 days" and m.at["nb_u2w", "age_at_issue"] == "under 2 weeks"
    assert m.at["nb_u7d", "proceedings_type"] == "s.31 care proceedings"
    mixed = (hdr + "E06000009,2019/20,nb,under 7 days,s.31 care proceedings,14,1500\n"
                   "E08000011,2019/20,nb,under 2 weeks,s.31 care proceedings,10,2000\n").encode()
    res = _validate(con, mixed)
    assert not res.ok
    p = res.problems_frame()
    assert list(p["row"]) == [3] and list(p["column"]) == ["age_at_issue"]
    assert "mixes definitions" in p["problem"].iloc[0]


def test_cli_import_keeps_newborn_definition_fields(userdir, warehouse, tmp_path):
    """`atlas import` of a newborn extract stores its definition fields with the measure (the Newborns page finds
    CLI-imported newborn extracts by them)."""
    f = tmp_path / "nb.csv"
    f.write_text("area_code,period_label,measure,age_at_issue,proceedings_type,numerator,denominator\n"
                 "E06000009,2019/20,nb_u7d,under 7 days,s.31 care proceedings,14,1500\n"
                 "E08000011,2019/20,nb_u7d,under 7 days,s.31 care proceedings,10,2000\n", encoding="utf-8")
    res, out = ui.import_file(f, "nb_demo", warehouse=warehouse)
    assert res.ok and out.exists(), res.problems_frame()
    c = duckdb.connect(str(out), read_only=True)
    try:
        row = c.execute("SELECT age_at_issue, proceedings_type FROM user_measures").fetchall()
    finally:
        c.close()
    assert row == [("under 7 days", "s.31 care proceedings")]
