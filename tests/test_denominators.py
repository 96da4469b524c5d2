"""Denominators that keep up: ONS birth registrations 2023 (year 2023/24 -> status ok), ONS mid-2021..mid-2024 age-0
population (year 2024/25 fallback), Cornwall + Isles of Scilly, Wales 2023, checked against the publishers' files."""
from __future__ import annotations

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

CODE = "Area of usual residence Code"


@pytest.fixture(scope="module")
def births2023(mirror) -> pd.DataFrame:
    """The publisher's file read independently of the pipeline: all births, all registration types."""
    df = pd.read_excel(mirror / "births" / "2023birthregistrations.xlsx", sheet_name="Table_1", header=5)
    df = df[(df["Sex"] == "All births") & (df["Registration type"] == "All registration types")]
    return df.set_index(CODE)["Number of live births"]


def _iv(con, measure, code, year):
    return con.execute("SELECT value, numerator, denominator, status, note, source_id FROM indicator_values "
                       "WHERE measure_id=? AND area_code=? AND year=?", [measure, code, year]).fetchone()


@pytest.mark.real_data("published ONS live births 2023")
def test_births_2023_match_the_file(con, births2023):
    assert births2023["E92000001"] == 563561 and births2023["W92000004"] == 27374
    got = dict(con.execute("SELECT area_code, value FROM indicator_values WHERE measure_id='live_births' "
                           "AND year=2023").fetchall())
    for code, v in [("E92000001", 563561), ("E06000009", 1402), ("E08000011", 1875), ("E06000001", 931),
                    ("W06000024", 566), ("E09000001", 57), ("E06000065", births2023["E06000065"])]:
        assert got[code] == v == births2023[code], code
    # every single-code area of the file that the warehouse knows carries the file's figure
    single = births2023[~births2023.index.str.contains(",")]
    shared = [c for c in single.index if c in got]
    assert len(shared) > 170
    assert all(got[c] == single[c] for c in shared)
    # Wales: all 22 LAs
    wales = [c for c in got if c.startswith("W06")]
    assert len(wales) == 22 and sum(got[c] for c in wales) == 27374


@pytest.mark.real_data("the published combined Cornwall and Isles of Scilly births")
def test_cornwall_and_isles_of_scilly_combined_row_is_explicit(con, births2023):
    combined = births2023["E06000052, E06000053"]
    v = _iv(con, "live_births", "E06000052", 2023)
    assert v[0] == combined == 4346 and "Isles of Scilly" in v[4]
    assert _iv(con, "live_births", "E06000053", 2023) is None  # never a guessed split
    r = _iv(con, "cla_starts_u1_rate", "E06000052", 2024)
    assert r[2] == combined and r[3] == "ok" and "Isles of Scilly" in r[4]


@pytest.mark.real_data("the number of LAs with a published count")
def test_year_2024_uses_births_2023_for_every_la_with_a_count(con):
    bad = con.execute("""SELECT v.area_code, v.status, v.note FROM indicator_values v JOIN areas a USING (area_code)
                         WHERE v.measure_id='cla_starts_u1_rate' AND v.year=2024 AND v.numerator IS NOT NULL
                           AND v.status <> 'ok'""").fetchall()
    assert bad == []
    n = con.execute("SELECT count(*) FROM indicator_values v JOIN areas a USING (area_code) WHERE a.area_type='la' "
                    "AND v.measure_id='cla_starts_u1_rate' AND v.year=2024 AND v.status='ok'").fetchone()[0]
    assert n >= 145
    # England rate 2024 = DfE England count / ONS England births 2023 x 10,000
    eng = _iv(con, "cla_starts_u1_rate", "E92000001", 2024)
    count = _iv(con, "cla_starts_u1", "E92000001", 2024)[0]
    assert eng[0] == pytest.approx(count / 563561 * 10000) and eng[3] == "ok"
    assert eng[5] == "dfe_cla_starts_la_2025"
    den = con.execute("SELECT denominator, status, source_id FROM births_denominators WHERE area_code='E92000001' "
                      "AND year=2024").fetchone()
    assert den == (563561, "ok", "ons_births_2023")


@pytest.mark.real_data("the number of LAs with a published count")
def test_year_2025_uses_mid_2024_age_0_as_a_named_fallback(con, mirror):
    mye = pd.read_csv(mirror / "births" / "mye24tablesew.csv", dtype=str).set_index("Code")["0"].astype(int)
    rows = con.execute("""SELECT v.area_code, v.denominator, v.status, v.note FROM indicator_values v
                          JOIN areas a USING (area_code) WHERE v.measure_id='cla_starts_u1_rate' AND v.year=2025
                          AND v.numerator IS NOT NULL""").fetchall()
    assert len(rows) > 140
    for code, den, status, note in rows:
        assert status == "denominator_fallback" and "ONS mid-2024 population aged 0" in note, code
        if code in mye.index:
            assert den == mye[code], code
    assert mye["E92000001"] == 573812 and mye["E06000009"] == 1373
    src = con.execute("SELECT source_id FROM births_denominators WHERE area_code='E06000009' AND year=2025").fetchone()
    assert src[0] == "ons_mye_2024"


@pytest.mark.real_data("published ONS mid-year age-0 populations")
def test_age0_mid_2021_to_2024_staged(con):
    got = dict(con.execute("SELECT year, age0 FROM stg_age0 WHERE code='E92000001'").fetchall())
    assert {y: got[y] for y in (2021, 2022, 2023, 2024)} == {2021: 579315, 2022: 596306, 2023: 573100, 2024: 573812}
    bp = dict(con.execute("SELECT year, age0 FROM stg_age0 WHERE code='E06000009'").fetchall())
    assert (bp[2020], bp[2021], bp[2022], bp[2023], bp[2024]) == (1524, 1352, 1430, 1478, 1373)
    wales = dict(con.execute("SELECT year, age0 FROM stg_age0 WHERE code='W92000004'").fetchall())
    assert (wales[2021], wales[2022], wales[2023], wales[2024]) == (28116, 29229, 27701, 27517)


def test_new_sources_registered_with_urls():
    from pipeline.registry import load_sources
    s = load_sources()
    for sid in ("ons_births_2023", "ons_mye_2021", "ons_mye_2022", "ons_mye_2023", "ons_mye_2024"):
        assert s[sid].url.startswith("https://") and len(s[sid].sha256) == 64, sid
    assert s["ons_births_2023"].family == "births"


def _workbook(path, year, rows):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Table_1"
    ws.append([f"Live births and fertility rates by sex, registration, and area of usual residence, England and Wales, "
               f"{year}"])
    for _ in range(4):
        ws.append(["note"])
    ws.append([CODE, "Area of usual residence Name", "Area of usual residence Geography", "Sex", "Registration type",
               "Number of live births"])
    for code, n in rows:
        ws.append([code, "x", "Unitary Authority", "All births", "All registration types", n])
        ws.append([code, "x", "Unitary Authority", "Male", "All registration types", n // 2])
    wb.save(path)


def _ctx(tmp_path, sources: dict):
    import duckdb

    from pipeline.context import BuildContext
    from pipeline.registry import Source
    src = {sid: Source(id=sid, family=fam, title=sid, publisher="ONS", edition=ed, licence="OGL", landing_page="",
                       url="", path=path, sha256="") for sid, (fam, ed, path) in sources.items()}
    return BuildContext(con=duckdb.connect(), raw=tmp_path, sources=src)


def test_a_new_registrations_edition_needs_only_a_registry_entry(tmp_path):
    """A 2024 edition is read by the same code: the year comes from the sheet title, the combined Cornwall + Isles
    of Scilly row is stored explicitly on Cornwall, and an unknown combined row is one clear error."""
    from pipeline.errors import SourceError
    from pipeline.parsers import births
    _workbook(tmp_path / "b24.xlsx", 2024, [("E92000001", 555000), ("E06000052, E06000053", 4200),
                                             ("K04000001, J99000001", 590000), ("E06000009", 1300)])
    ctx = _ctx(tmp_path, {"ons_births_2024": ("births", "2024", "b24.xlsx")})
    df = births._registrations(ctx, "ons_births_2024").set_index("code")
    assert set(df["year"]) == {2024} and len(df) == 3
    assert df.at["E06000052", "births"] == 4200 and "Isles of Scilly" in df.at["E06000052", "note"]
    assert df.at["E92000001", "births"] == 555000 and "E06000053" not in df.index
    _workbook(tmp_path / "bad.xlsx", 2024, [("E06000001, E06000002", 10)])
    ctx = _ctx(tmp_path, {"bad": ("births", "2024", "bad.xlsx")})
    with pytest.raises(SourceError, match="combined or malformed area code"):
        births._registrations(ctx, "bad")


def test_isles_of_scilly_one_rule_for_every_year(con):
    """DfE's 2022 edition printed 0 for 2018-2020 and its 2025 edition z for 2021-2025: one rule, not applicable."""
    rows = con.execute("""SELECT measure_id, year, status, value, note FROM indicator_values WHERE area_code='E06000053'
                          AND measure_id IN ('cla_starts_u1', 'cla_starts_u1_rate', 'cla_starts_s20')""").fetchall()
    assert len(rows) >= 30
    for mid, year, status, value, note in rows:
        assert status == "not_applicable" and value is None and "Isles of Scilly" in note, (mid, year)


@pytest.mark.real_data("compares with the real DfE population file in the mirror")
def test_dfe_population_0_17_vintage_as_documented(mirror):
    """DfE's 0-17 series follows ONS's July 2025 revision: mid-2024 equals ONS mid-2024 for every UTLA; mid-2023 and
    mid-2022 differ from the first-published ONS workbooks (as the measure caveats say)."""
    dfe = pd.read_csv(mirror / "births" / "ons_mid-year_population_estimates_2012_to_2024.csv", dtype=str)
    la = dfe[dfe["geographic_level"] == "Local authority"]
    ages = [str(a) for a in range(18)]

    def dfe_year(y):
        d = la[la["time_period"] == str(y)].set_index("new_la_code")["population_estimate"]
        return pd.to_numeric(d, errors="coerce").dropna()

    m24 = pd.read_csv(mirror / "births" / "mye24tablesew.csv", dtype=str).set_index("Code")
    d24 = dfe_year(2024)
    assert len(d24) == 153 and (m24.loc[d24.index, ages].astype(int).sum(axis=1) == d24).all()
    m23 = pd.read_excel(mirror / "births" / "mye23tablesew.xlsx", sheet_name="MYE2 - Persons",
                        header=7).set_index("Code")
    d23 = dfe_year(2023)
    first = m23.loc[d23.index, ages].astype(int).sum(axis=1)
    assert (first != d23).sum() >= 150
    assert m23.loc["E92000001", ages].sum() == 11998646 and d23.sum() == 12059476
    from pipeline.registry import load_measures
    cav = {m["measure_id"]: m["caveats"] for m in load_measures()}
    assert "Population vintage" in cav["cin_cpp_starts_rate"] and "12,059,476" in cav["cla_starts_rate_10k_children"]
