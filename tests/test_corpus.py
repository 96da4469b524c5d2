"""Malformed-input corpus: every source parser, every kind of breakage -> one clear error, exit 2, warehouse untouched.

The cases are generated at run time from the mirror files into a temporary raw directory whose files are symlinks to
the mirror except the one mutated file (nothing is written under tests/). Each case runs the real `atlas build --force`
entry point in-process (`pipeline.cli.main`): the real fetch (which keeps the changed cached file with a checksum
warning, as there is no mirror to restore it from), the real build into a temporary file and the real error
reporting. To keep the corpus fast, the parser that reads the mutated file is moved to run straight after
`geography` (parsers are independent apart from `areas`), so a case costs ~0.3 s instead of a full build.

Each case checks: exit code 2; stderr is exactly one line `error: source '<id>', file <path>, column ..., row ...:
<message>` naming the source, the file and (where the problem has one) the column and row; the previous warehouse is
byte-identical and no temporary build file is left behind.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from pipeline.registry import load_sources

pytestmark = pytest.mark.integration

SOURCES = load_sources()

# build step (module name in pipeline/parsers or pipeline/reference) that reads each source
PARSER = {
    **{s: "dfe_cla_starts" for s in SOURCES if s.startswith("dfe_cla_sfr_adm_") or s.startswith("dfe_cla_starts_la_")},
    **{s: "dfe_cin" for s in ("dfe_cin_c1", "dfe_cin_c3", "dfe_cin_c4", "dfe_cin_d3", "dfe_population_0_17")},
    "dfe_cla_rate_10k": "dfe_cla_context",
    **{s: "births" for s in ("nomis_births_utla", "ons_births_summary_2022", "nomis_mye_single_year",
                             "ons_births_2023", "ons_mye_2021", "ons_mye_2022", "ons_mye_2023", "ons_mye_2024")},
    "iod2019_file11": "imd",
    "iod2025_file10_v2": "imd", "iod2025_file10_v1": "imd",
    **{s: "statswales_cla" for s in SOURCES if s.startswith("statswales_cla_31mar_")},
    "wimd2019_scores": "wimd", "wimd2019_lookup": "wimd",
    "nfjo_reference_figures": "nfjo",
    "reference_figures_additions_2026": "reference_figures",
    **{s: "areas" for s in ("lad_ctyua_2023", "ward_lad_rgn_2023", "ltla14_lookup")},
    "ons_ltla22_utla22": "geography",
    **{s: "geometry" for s in ("ctyua_2018", "ctyua_2019", "ctyua_2020", "ctyua_2021", "ctyua_2023", "rgn_2024",
                                 "utla_multiyear")},
    **{s: "services" for s in ("mbu_units", "mbu_geocodes", "mmhs_icb", "utla_icb", "family_hubs",
                               "separation_programmes", "mbu_geocodes_2026")},
    **{s: "comparators" for s in ("dfe_sn_2025", "dfe_sn_2021", "ons_similar_areas_2026")},
    **{s: "context" for s in ("dfe_lait_bds", "dfe_lait_dictionary", "ons_els_child_poverty")},
}


# ---------------------------------------------------------------------------------------------------------------------
# mutations: bytes of the good file -> bytes of the broken one
# ---------------------------------------------------------------------------------------------------------------------
def _dec(b: bytes) -> str:
    try:
        return b.decode("utf-8-sig")
    except UnicodeDecodeError:
        return b.decode("latin-1")


def text(fn):
    def mutate(b: bytes) -> bytes:
        return fn(_dec(b)).encode("utf-8")
    return mutate


def lines(fn):
    return text(lambda t: "".join(fn(t.splitlines(keepends=True))))


def rename_header(old, new):
    def fn(ls):
        assert old in ls[0], old
        return [ls[0].replace(old, new, 1)] + ls[1:]
    return lines(fn)


def set_cell(column: str, value: str, where: dict | None = None, start: int = 0, header_row: int = 0):
    """Set CSV column `column` on the first data row (from 0-based `start`) whose cells match `where`; the mutation
    records the file line it changed as `.line` (for the expected message)."""
    import csv

    def fn(t):
        rows = list(csv.reader(io.StringIO(t)))
        hdr = [h.strip() for h in rows[header_row]]
        col = hdr.index(column)
        for i in range(header_row + 1 + start, len(rows)):
            if all(rows[i][hdr.index(k)].strip() == v for k, v in (where or {}).items()):
                break
        else:
            raise AssertionError(f"no row matches {where}")
        rows[i][col] = value
        mutate.line = i + 1
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue()
    mutate = text(fn)
    return mutate


def regex_sub(pattern, repl):
    def fn(t):
        out, n = re.subn(pattern, repl, t, count=1)
        assert n == 1, pattern
        return out
    return text(fn)


def replace_first(old, new):
    def fn(t):
        assert old in t, old
        return t.replace(old, new, 1)
    return text(fn)


def truncate(b: bytes) -> bytes:
    return b[: len(b) // 2]


def empty(b: bytes) -> bytes:
    return b""


def header_only(b: bytes) -> bytes:
    return _dec(b).splitlines(keepends=True)[0].encode("utf-8")


def utf16(b: bytes) -> bytes:
    return _dec(b).encode("utf-16")


def extra_title_row(b: bytes) -> bytes:
    return b"Children in need: table published by DfE\n" + b


def duplicate_row(n: int = 5):
    return lines(lambda ls: ls + [ls[n] if ls[n].endswith("\n") else "\n" + ls[n]])


def extra_field(n: int = 3):
    return lines(lambda ls: ls[:n] + [ls[n].rstrip("\r\n") + ",surplus\n"] + ls[n + 1:])


def _rezip(b: bytes, member: str, fn) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(b))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == member:
                data = fn(data.decode("utf-8")).encode("utf-8")
            z.writestr(info, data)
    return out.getvalue()


def xlsx_rename_sheet(old, new):
    def fn(x):
        assert f'name="{old}"' in x, old
        return x.replace(f'name="{old}"', f'name="{new}"', 1)
    return lambda b: _rezip(b, "xl/workbook.xml", fn)


def ods_rename_sheet(old, new):
    def fn(x):
        assert f'table:name="{old}"' in x, old
        return x.replace(f'table:name="{old}"', f'table:name="{new}"', 1)
    return lambda b: _rezip(b, "content.xml", fn)


def xlsx_set(sheet: str, column: str, row: int, value, header: int = 1):
    """Set column `column` (header text on worksheet row `header`, 1-based) of data row `row` (0-based)."""
    def mutate(b: bytes) -> bytes:
        import openpyxl
        wb = openpyxl.load_workbook(io.BytesIO(b))
        ws = wb[sheet]
        hdr = [str(c.value).strip() if c.value is not None else "" for c in ws[header]]
        ws.cell(row=header + 1 + row, column=hdr.index(column) + 1, value=value)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    return mutate


def geojson(fn):
    def mutate(b: bytes) -> bytes:
        doc = json.loads(b)
        fn(doc)
        return json.dumps(doc).encode("utf-8")
    return mutate


def _first_ring(geom):
    c = geom["coordinates"]
    return c[0] if geom["type"] == "Polygon" else c[0][0]


def unclosed_ring(doc):
    _first_ring(doc["features"][3]["geometry"]).pop()


def degenerate(doc):
    """A 'polygon' whose positions are all the same point: invalid, and make_valid cannot make an area of it."""
    g = doc["features"][2]["geometry"]
    x, y = _first_ring(g)[0]
    g["type"], g["coordinates"] = "Polygon", [[[x, y], [x, y], [x, y], [x, y]]]


def point_geometry(doc):
    g = doc["features"][1]["geometry"]
    g["type"], g["coordinates"] = "Point", _first_ring(g)[0]


def no_code(doc):
    props = doc["features"][4]["properties"]
    for k in list(props):
        if k.upper().endswith("CD"):
            props[k] = None


def bng_in_wgs84(doc):
    ring = _first_ring(doc["features"][0]["geometry"])
    for p in ring:
        p[0], p[1] = p[0] * 100000, p[1] * 10000


# ---------------------------------------------------------------------------------------------------------------------
# the corpus: (case id, source id, mutation, [expected substrings besides source and file])
# ---------------------------------------------------------------------------------------------------------------------
CASES = [
    # DfE SFR (2011-2017) and EES CLA starts
    ("sfr_renamed_column", "dfe_cla_sfr_adm_2017", rename_header("SCLA_U1", "SCLA_UNDER1"),
     ["column 'SCLA_U1'", "missing column"]),
    ("sfr_unknown_code", "dfe_cla_sfr_adm_2017", replace_first("E06000009", "E06999999"),
     ["column 'New_geog_code'", "row ", "unknown LA code 'E06999999'"]),
    ("sfr_non_numeric_count", "dfe_cla_sfr_adm_2016", set_cell("SCLA_U1", "twelve", {"geog_l": "LA"}, 20),
     ["column 'SCLA_U1'", "row {line}", "'twelve'"]),
    ("sfr_unknown_symbol", "dfe_cla_sfr_adm_2013", set_cell("SCLA_U1", "~", {"geog_l": "LA"}, 30),
     ["column 'SCLA_U1'", "row {line}", "suppression symbol"]),
    ("ees_duplicate_row", "dfe_cla_starts_la_2022", duplicate_row(5), ["duplicate row", "row "]),
    ("ees_truncated", "dfe_cla_starts_la_2025", truncate, ["truncated", "row "]),
    ("ees_negative_count", "dfe_cla_starts_la_2022",
     set_cell("number", "-3", {"geographic_level": "Local authority", "cla_group": "Age group"}, 40),
     ["column 'number'", "row {line}", "negative"]),
    ("ees_non_integer_count", "dfe_cla_starts_la_2025",
     set_cell("number", "12.5", {"geographic_level": "Local authority", "cla_group": "Age on starting"}, 40),
     ["column 'number'", "row {line}", "whole number"]),
    ("ees_old_code", "dfe_cla_starts_la_2025", replace_first(",E06000061,940,", ",E10000021,940,"),
     ["column 'new_la_code'", "row ", "E10000021"]),
    # DfE CIN files and the 0-17 population file
    ("cin_extra_header_row", "dfe_cin_c4", extra_title_row, ["row 2", "more fields than the header",
                                                              "extra line above the header"]),
    ("cin_utf16", "dfe_cin_c1", utf16, ["UTF-16"]),
    ("cin_unknown_symbol", "dfe_cin_d3", set_cell("CPP_start", "[q]", {"geographic_level": "Local authority"}, 10),
     ["column 'CPP_start'", "row {line}", "suppression symbol"]),
    ("cin_missing_column", "dfe_cin_c3", rename_header("Domestic_Abuse_child", "DomesticAbuseChild"),
     ["column 'Domestic_Abuse_child'", "missing column"]),
    ("pop_duplicate_row", "dfe_population_0_17", duplicate_row(7), ["duplicate row", "row "]),
    # DfE CLA rate file
    ("cla_rate_empty", "dfe_cla_rate_10k", empty, ["empty"]),
    ("cla_rate_header_only", "dfe_cla_rate_10k", header_only, ["no data rows"]),
    ("cla_rate_extra_field", "dfe_cla_rate_10k", extra_field(3), ["row 4", "more fields"]),
    # births (xlsx) and the mid-year estimates CSV
    ("births_wrong_sheet", "nomis_births_utla", xlsx_rename_sheet("Sheet1", "Data"), ["sheet 'Sheet1' not found"]),
    ("births_bad_count", "nomis_births_utla", xlsx_set("Sheet1", "OBS_VALUE", 5, "n/a"),
     ["column 'OBS_VALUE'", "row 7", "'n/a'"]),
    ("births_summary_truncated", "ons_births_summary_2022", truncate, ["cannot open workbook"]),
    ("mye_non_numeric", "nomis_mye_single_year", set_cell("Age 0", "abc", start=100), ["column 'Age 0'", "row {line}",
                                                                                   "'abc'"]),
    ("mye_missing_column", "nomis_mye_single_year", rename_header("Age 0", "Age zero"), ["column 'Age 0'", "missing"]),
    ("births_reg_bad_count", "ons_births_2023", xlsx_set("Table_1", "Number of live births", 2, "n/a", header=6),
     ["column 'Number of live births'", "row 9", "not a number"]),
    ("mye24_bad_age0", "ons_mye_2024", set_cell("0", "abc", start=10), ["column '0'", "row {line}", "not a number"]),
    ("mye23_wrong_sheet", "ons_mye_2023", xlsx_rename_sheet("MYE2 - Persons", "Persons"),
     ["sheet 'MYE2 - Persons' not found"]),
    ("mye22_truncated", "ons_mye_2022", truncate, ["cannot open workbook"]),
    # IoD 2019 File 11 (xlsx) and IoD 2025 CSVs
    ("iod2019_wrong_sheet", "iod2019_file11", xlsx_rename_sheet("IDACI", "IDACI 2019"), ["sheet 'IDACI' not found"]),
    ("iod2019_bad_score", "iod2019_file11", xlsx_set("IMD", "IMD - Average score", 3, "high"),
     ["column 'IMD - Average score'", "row 5", "'high'"]),
    ("iod2025_duplicate_lad", "iod2025_file10_v2", duplicate_row(9), ["duplicate LAD", "column 'ltla24_code'", "row "]),
    ("iod2025_bad_score", "iod2025_file10_v1",
     set_cell("average_score", "1.2.3", {"index_domain": "Income Deprivation Affecting Children"}, 2),
     ["column 'average_score'", "row {line}", "'1.2.3'"]),
    # WIMD 2019 (.ods)
    ("wimd_wrong_sheet", "wimd2019_scores", ods_rename_sheet("Data", "Scores"), ["sheet 'Data' not found"]),
    ("wimd_lookup_truncated", "wimd2019_lookup", truncate, ["cannot read the spreadsheet"]),
    # StatsWales CSVs
    ("statswales_unknown_symbol", "statswales_cla_31mar_2010", regex_sub(r'("Cardiff ",)[^,]+,', r'\1"~",'),
     ["row ", "StatsWales symbol"]),
    ("statswales_unknown_la", "statswales_cla_31mar_2012", replace_first('"Cardiff "', '"Caerdydd "'),
     ["row ", "Caerdydd"]),
    ("statswales_empty", "statswales_cla_31mar_2005", empty, ["empty"]),
    # NFJO reference figures
    ("nfjo_missing_column", "nfjo_reference_figures", rename_header("value_qualifier", "qualifier"),
     ["column 'value_qualifier'", "missing column"]),
    ("nfjo_bad_value", "nfjo_reference_figures", set_cell("value", "about 1000", start=1),
     ["column 'value'", "row {line}", "not a number"]),
    # reference figures: additions seed (data/seeds/care/)
    ("reference_bad_value", "reference_figures_additions_2026", set_cell("value", "about 40", start=3),
     ["column 'value'", "row {line}", "not a number"]),
    ("reference_unknown_qualifier", "reference_figures_additions_2026", set_cell("value_qualifier", ">=", start=5),
     ["column 'value_qualifier'", "row {line}", "unknown value_qualifier"]),
    ("reference_no_link", "reference_figures_additions_2026", set_cell("page_url", "", start=7),
     ["column 'page_url'", "row {line}", "without the page"]),
    ("reference_unclassified", "reference_figures_additions_2026",
     set_cell("measure", "babies seen by health visitors", start=2),
     ["column 'measure'", "row {line}", "matches no definition class"]),
    # ONS lookups
    ("lookup_truncated_row", "lad_ctyua_2023", lines(lambda ls: ls[:4] + [ls[4].split(",")[0] + "\n"] + ls[5:]),
     ["row 5", "truncated"]),
    ("lookup_missing_column", "ward_lad_rgn_2023", rename_header("RGN23CD", "RGN_CODE"), ["column 'RGN23CD'"]),
    ("ltla22_lookup_utf16", "ons_ltla22_utla22", utf16, ["UTF-16"]),
    # GeoJSON boundaries
    ("geojson_unclosed_ring", "ctyua_2021", geojson(unclosed_ring), ["column 'geometry'", "row 4", "not closed"]),
    ("geojson_degenerate_polygon", "ctyua_2019", geojson(degenerate), ["column 'geometry'", "make_valid"]),
    ("geojson_point", "rgn_2024", geojson(point_geometry), ["column 'geometry'", "row 2", "Polygon"]),
    ("geojson_no_code", "ctyua_2020", geojson(no_code), ["column 'CTYUA20CD'", "row 5"]),
    ("geojson_truncated", "ctyua_2023", truncate, ["not valid JSON"]),
    ("geojson_wrong_crs", "ctyua_2018", geojson(bng_in_wgs84), ["column 'geometry'", "row 1", "EPSG:4326"]),
    # services CSVs
    ("mbu_bad_beds", "mbu_units", set_cell("beds", "eight", start=2), ["column 'beds'", "row {line}", "not a number"]),
    ("mbu_duplicate_unit", "mbu_units", duplicate_row(2), ["unit_id appears twice", "column 'unit_id'", "row "]),
    ("icb_bad_code", "mmhs_icb", set_cell("icb_code", "E54XYZ"), ["column 'icb_code'", "row {line}",
                                                                  "not a valid code"]),
    # two alternative sites for one unit, neither flagged as planned: the build cannot choose
    ("mbu_alternative_sites_unresolved", "mbu_geocodes_2026",
     set_cell("location_confidence", "low: 2026 site", where={"postcode": "BH13 7LN"}),
     ["unit_id appears twice", "column 'unit_id'", "row {line}", "MBU16"]),
    ("family_hubs_missing_column", "family_hubs", rename_header("utla21cd_matched", "utla_code"),
     ["column 'utla21cd_matched'"]),
    # comparator sets: DfE statistical neighbours (xlsx), ONS similar areas (CSV)
    ("dfe_sn_bad_neighbour", "dfe_sn_2025", xlsx_set("LA SN Groups", "SN3", 8, 89, header=3),
     ["column 'SN3'", "row 12", "'89'", "not a DfE 3-digit LA number"]),
    ("dfe_sn_wrong_sheet", "dfe_sn_2021", xlsx_rename_sheet("LA SN Groups", "Groups"),
     ["sheet 'LA SN Groups' not found"]),
    ("ons_similar_bad_code", "ons_similar_areas_2026", set_cell("5", "Blackpool", start=3),
     ["column '5'", "row {line}", "not a GSS area code"]),
    # context: DfE LAIT (Parquet + dictionary), ONS Explore Local Statistics CSV
    ("lait_truncated", "dfe_lait_bds", truncate, ["cannot read the Parquet file"]),
    ("lait_dictionary_missing_column", "dfe_lait_dictionary", rename_header("Year_Type", "YearType"),
     ["column 'Year_Type'", "missing column"]),
    ("els_bad_period", "ons_els_child_poverty",
     set_cell("period", "2021", {"indicator": "Children in relative poverty before housing costs"}, 5),
     ["column 'period'", "row {line}", "financial year"]),
]


# ---------------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_env(mirror, warehouse, tmp_path_factory):
    """A raw directory of symlinks to the mirror and a copy of the session's good warehouse."""
    d = tmp_path_factory.mktemp("corpus")
    raw = d / "raw"
    for s in SOURCES.values():
        src = mirror / s.path
        if src.is_file():
            (raw / s.path).parent.mkdir(parents=True, exist_ok=True)
            (raw / s.path).symlink_to(src)
    wh = d / "atlas.duckdb"
    shutil.copyfile(warehouse, wh)
    return d, raw, wh, mirror


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_corpus_is_broad():
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)
    parsers = {PARSER[c[1]] for c in CASES}
    assert parsers == set(PARSER.values()), set(PARSER.values()) - parsers  # every source parser is exercised


@pytest.mark.parametrize("case, sid, mutate, expect", CASES, ids=[c[0] for c in CASES])
def test_malformed_input(corpus_env, monkeypatch, capsys, case, sid, mutate, expect):
    from pipeline.cli import main

    d, raw, wh, mirror = corpus_env
    rel = SOURCES[sid].path
    target = raw / rel
    good = (mirror / rel).read_bytes()
    before = _digest(wh)
    monkeypatch.setenv("ATLAS_RAW", str(raw))
    monkeypatch.setenv("ATLAS_SEEDS", str(raw))  # seeds (data/seeds/) are read from the same symlinked copies
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(wh))
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    try:
        target.unlink()
        target.write_bytes(mutate(good))
        capsys.readouterr()
        rc = main(["build", "--force", "--only", PARSER[sid]])  # the step reading the file and what it needs
        err = capsys.readouterr().err
    finally:
        target.unlink(missing_ok=True)
        target.symlink_to(mirror / rel)
    assert rc == 2, (case, err)
    msg = err.strip().splitlines()
    assert len(msg) == 1, (case, err)
    m = msg[0]
    shown = f"data/seeds/{rel}" if SOURCES[sid].seed else rel
    assert m.startswith(f"error: source {sid!r}, file {shown}"), (case, m)
    for e in expect:
        e = e.format(line=getattr(mutate, "line", None))
        assert e in m, (case, e, m)
    assert "Traceback" not in err
    assert _digest(wh) == before, case
    assert not list(d.glob(".atlas.duckdb.tmp-*")), case


def test_corpus_cases_written_nowhere_in_the_repo():
    root = Path(__file__).resolve().parent
    assert not (root / "corpus").exists() or not any((root / "corpus").iterdir())
