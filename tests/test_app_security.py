"""Security tests for the app: read-only warehouse connections, validation of every query-string and
widget input on every page, CSV-injection-safe downloads that keep numbers numeric, and no way to recover a
suppressed value from a page, a download or a derived figure."""
from __future__ import annotations

import io
import re

import duckdb
import pandas as pd
import pytest

from pages._lib import registry
from tests.app_support import with_geometry
from tests.test_app_pages import APP

PAYLOADS = ["'; DROP TABLE indicator_values;--", "<script>alert(1)</script>**x**", "E06000001' OR '1'='1",
            "=HYPERLINK(\"http://x\")", "../../etc/passwd", "x" * 5000, "2019\x00", "-1", "99999999999999999999"]
# every URL parameter each page understands (north_south's imd / period only exist in their views)
PARAMS = {
    "map": {"measure": {}, "year": {}, "colour": {}, "area": {}},
    "trends": {"measure": {}, "areas": {}, "view": {}},
    "north_south": {"measure": {}, "year": {}, "view": {}, "imd": {"view": "deciles"}, "period": {"view": "oe"},
                    "access": {"view": "services"}},
    "compare": {"area": {}, "with": {"area": "E08000025"}},
    "profile": {"area": {}},
    "services": {"measure": {}, "year": {}, "area": {}},
    "downloads": {"measures": {}, "levels": {}, "areas": {}, "from": {}, "to": {}},
    "methods": {"tab": {}},
    "newborns": {"definition": {}},
}
CASES = [(p, k, extra) for p, ks in PARAMS.items() for k, extra in ks.items()]


@pytest.fixture(scope="module")
def sec_warehouse(warehouse, tmp_path_factory):
    path, _ = with_geometry(warehouse, tmp_path_factory.mktemp("secwh") / "atlas.duckdb")
    return path


@pytest.fixture()
def env(sec_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(sec_warehouse))
    return sec_warehouse


def run_page(page: str, params: dict | None = None, state: dict | None = None):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page(f"pages/{page}.py")
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    if state:
        for k, v in state.items():
            at.session_state[k] = v
        at.run()
        assert not at.exception, [e.message for e in at.exception]
    return at


def _qp_values(at) -> list[str]:
    out = []
    for k, v in at.query_params.items():
        out += [str(x) for x in (v if isinstance(v, list) else [v])]
    return out


# ---------------------------------------------------------------------------------------------------------------
# read-only connections
@pytest.mark.parametrize("sql", [
    "CREATE TABLE pwned(a INT)",
    "INSERT INTO indicator_values (measure_id) VALUES ('x')",
    "DELETE FROM indicator_values",
    "UPDATE measures SET title = 'x'",
    "DROP TABLE areas",
    "ALTER TABLE areas ADD COLUMN x INT",
])
def test_data_access_connection_is_read_only(env, sql):
    from pages._lib import data
    tok = data.token()
    before = data._cursor(tok).execute("SELECT count(*) FROM indicator_values").fetchone()[0]
    with pytest.raises(duckdb.Error, match="(?i)read.only"):
        data._cursor(tok).execute(sql)
    with pytest.raises(duckdb.Error, match="(?i)read.only"):
        data._connection(tok).execute(sql)
    assert data._cursor(tok).execute("SELECT count(*) FROM indicator_values").fetchone()[0] == before


def test_every_data_function_is_parameterised(env):
    """Injection strings passed straight to the data-access layer are data, not SQL."""
    from pages._lib import data
    inj = PAYLOADS[0]
    assert data.values(inj, 2020, "la").empty
    assert data.values("cla_starts_u1_rate", 2020, inj).empty
    assert data.series(inj, [inj]).empty
    assert data.download([inj], [inj, "E06000001"], 2011, 2025).empty
    assert data.measure_years(inj) == []
    assert data.area_latest(inj).empty
    assert data.stat_neighbours(inj) == []
    assert data.scatter_data(inj, 2020).empty
    nm = data.nearest_mbus(inj)
    assert nm is not None and nm.empty  # the warehouse has the tables: an empty answer, not a missing table
    d = data.trend_summary(inj)
    assert d is not None and d.empty
    with pytest.raises(AssertionError):  # table names are allow-listed
        data._stat_table(data.token(), "indicator_values; DROP TABLE areas", "", ())
    assert data.has_table("indicator_values") and data.has_table("areas")


# ---------------------------------------------------------------------------------------------------------------
# query-string inputs: every page, every parameter
@pytest.mark.parametrize("page,key,extra", CASES, ids=[f"{p}-{k}" for p, k, _ in CASES])
def test_query_param_injection_falls_back_with_notice(env, page, key, extra):
    for payload in (PAYLOADS[0], PAYLOADS[1], PAYLOADS[5], PAYLOADS[6], PAYLOADS[8]):
        at = run_page(page, {**extra, key: payload})
        warnings = " ".join(str(w.value) for w in at.warning)
        assert "not recognised" in warnings, (page, key, payload[:30], warnings)
        # the notice echoes a sanitised, shortened rendering: no markup, quotes or statement separators
        assert not any(x in warnings for x in ("<script", "';", ";--", "**x**", "\x00", "x" * 50)), warnings
        # what is written back to the URL is a valid value, never the payload
        vals = _qp_values(at)
        assert not any(payload[:20] in v for v in vals if payload not in ("-1",)), (page, key, vals)
        assert not any(e for e in at.error), [e.value for e in at.error]


@pytest.mark.parametrize("page", list(PARAMS))
def test_all_params_bad_at_once(env, page):
    bad = {k: PAYLOADS[0] for k in PARAMS[page]}
    at = run_page(page, bad)
    assert at.warning
    assert all("DROP" not in v for v in _qp_values(at))


# ---------------------------------------------------------------------------------------------------------------
# widget inputs: a tampered client can send any widget value; the page must coerce it to a valid option
WIDGETS = {
    "map": ["w_map_measure", "w_map_year", "w_map_colour", "w_map_area"],
    "trends": ["w_trends_measure", "w_trends_areas", "w_trends_view"],
    "north_south": ["w_ns_measure", "w_ns_year", "w_ns_view"],
    "compare": ["w_compare_area", "w_compare_with"],
    "profile": ["w_profile_area"],
    "services": ["w_services_measure", "w_services_year", "w_services_area"],
    "downloads": ["w_downloads_measures", "w_downloads_levels", "w_downloads_areas", "w_downloads_from",
                  "w_downloads_to"],
    "methods": ["w_methods_tab"],
}
MULTI = {"w_trends_areas", "w_compare_with", "w_downloads_measures", "w_downloads_levels", "w_downloads_areas"}
WCASES = [(p, w) for p, ws in WIDGETS.items() for w in ws]


PAGE_PATH = {p.name: p.path.strip("/") for p in registry.menu(exclude=("newborns", "your_data"))}


@pytest.fixture(scope="module")
def live_server(sec_warehouse, tmp_path_factory):
    pytest.importorskip("websockets")
    import os

    from benchmarks.st_client import free_port, start_streamlit, stop
    port = free_port()
    env = dict(os.environ, ATLAS_WAREHOUSE=str(sec_warehouse))
    proc = start_streamlit(port, env, tmp_path_factory.mktemp("seclog") / "streamlit.log")
    yield f"ws://127.0.0.1:{port}"
    stop(proc)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("page", list(WIDGETS))
def test_widget_injection_is_coerced(live_server, page):
    """A tampered client (not the browser UI) sends arbitrary widget values over the websocket, exactly as the
    frontend encodes them. Every widget of every page must coerce them to a valid option: no exception, no error
    element, and the URL written back never carries the payload."""
    import asyncio

    from benchmarks.st_client import Session

    async def go():
        s = Session(live_server, page=PAGE_PATH[page], timeout=90)
        await s.connect()
        try:
            r = await s.run("")
            assert r.status == "FINISHED_SUCCESSFULLY" and not r.errors, (r.status, r.errors)
            keys = [k for k in WIDGETS[page] if k in s.widgets]
            assert keys, (page, list(s.widgets))
            for k in keys:
                for payload in (PAYLOADS[0], PAYLOADS[1], "x" * 3000, ""):
                    s.set(k, [payload, "E06000001"] if k in MULTI else payload)
                    r = await s.run()
                    assert r.status == "FINISHED_SUCCESSFULLY", (page, k, r.status)
                    assert not r.errors, (page, k, payload[:20], r.errors)
                    assert "DROP" not in s.query_string and "script" not in s.query_string, s.query_string
                    assert "xxxxxxxxxx" not in s.query_string
                s.states.clear()  # back to the page's own values before the next widget
                r = await s.run()
                assert r.status == "FINISHED_SUCCESSFULLY" and not r.errors
        finally:
            await s.close()
    asyncio.run(go())


# ---------------------------------------------------------------------------------------------------------------
# CSV downloads
def test_csv_neutralises_formulae_and_keeps_numbers():
    import csv

    from pages._lib import export
    names_in = ["=cmd|' /C calc'!A0", "+SUM(1)", "-2+3", "@A1", "\tTAB", "\rCR", "-", "-5\n",
                "Hartlepool", "-5", "+7", "-0.25", "1e-5", "x\r=HYPERLINK(1)", "y\n@SUM(1)"]
    n = len(names_in)
    df = pd.DataFrame({
        "area_name": names_in,
        "value": [-5.0, 1.5, -0.25] + [float(i) for i in range(n - 3)],
        "numerator": pd.array([-5] + list(range(1, n)), dtype="Int64"),
        "=header": ["x"] * n,
    })
    raw = export.csv_bytes(df)
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    assert len(rows) == n + 1, "a cell's line break split a row"
    header, body = rows[0], rows[1:]
    assert "'=header" in header and "=header" not in header
    names = [r[header.index("area_name")] for r in body]
    for bad in names[:8]:
        assert bad.startswith("'"), repr(bad)
    assert names[8:13] == ["Hartlepool", "-5", "+7", "-0.25", "1e-5"]  # numbers (as text) are unchanged
    assert names[13:] == ["x\r=HYPERLINK(1)", "y\n@SUM(1)"]           # kept inside one quoted cell
    assert b'"x\r=HYPERLINK(1)"' in raw  # the CR is inside a quoted cell, not a row break
    assert [r[header.index("value")] for r in body][:3] == ["-5.0", "1.5", "-0.25"]  # numeric columns untouched
    assert body[0][header.index("numerator")] == "-5"
    num = pd.read_csv(io.BytesIO(raw))
    assert pd.api.types.is_numeric_dtype(num["value"]) and num["value"].iloc[0] == -5.0
    assert pd.api.types.is_numeric_dtype(num["numerator"]) and num["numerator"].iloc[0] == -5


def test_real_download_is_safe_and_numeric(env):
    from pages._lib import data, export
    mids = list(data.measures()["measure_id"])
    df = data.download(mids, list(data.areas()["area_code"]), 2000, 2030)
    raw = export.csv_bytes(df)
    out = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    for c in out.columns:
        bad = out[c][out[c].str.match(r"^[=+\-@\t\r]")
                     & ~out[c].str.match(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")]
        assert bad.empty, (c, bad.head().tolist())
    num = pd.read_csv(io.BytesIO(raw), low_memory=False)
    for c in ("value", "numerator", "denominator", "lower_95", "upper_95", "year"):
        assert pd.api.types.is_numeric_dtype(num[c]), c
    # round trip: every published value in the CSV equals the warehouse value
    ok = df["value"].notna()
    assert (num.loc[ok.values, "value"].to_numpy() == df.loc[ok, "value"].to_numpy()).all()


# ---------------------------------------------------------------------------------------------------------------
# suppression
def test_suppressed_rows_hold_nothing_to_recover(env):
    """The warehouse never stores a suppressed number (value, numerator, CIs are NULL) and no derived
    statistic (funnel, trend, O/E, significance) is computed for a suppressed area-year."""
    c = duckdb.connect(str(env), read_only=True)
    try:
        n = c.execute("""SELECT count(*) FROM indicator_values WHERE status = 'suppressed'
                         AND (value IS NOT NULL OR numerator IS NOT NULL OR lower_95 IS NOT NULL
                              OR upper_95 IS NOT NULL OR lower_998 IS NOT NULL OR upper_998 IS NOT NULL
                              OR sig_england_95 NOT IN ('not_compared') AND sig_england_95 IS NOT NULL)"""
                      ).fetchone()[0]
        assert n == 0
        assert c.execute("""SELECT count(*) FROM funnel_points f JOIN indicator_values i
                            USING (measure_id, area_code, year) WHERE i.status = 'suppressed'""").fetchone()[0] == 0
        assert c.execute("""SELECT count(*) FROM trends t JOIN indicator_values i ON i.measure_id = t.measure_id
                            AND i.area_code = t.area_code AND i.year IN (t.first_year, t.last_year)
                            WHERE i.status = 'suppressed'""").fetchone()[0] == 0
    finally:
        c.close()


def test_derived_measures_of_a_suppressed_count_are_suppressed(env):
    """A rate / share built on a suppressed count must not be published (rate x denominator = the count)."""
    c = duckdb.connect(str(env), read_only=True)
    try:
        leaks = c.execute("""
            SELECT s.measure_id, d.measure_id AS derived, s.area_code, s.year
            FROM indicator_values s JOIN indicator_values d USING (area_code, year, period_label)
            WHERE s.status = 'suppressed' AND d.status IN ('ok', 'denominator_fallback')
              AND (d.measure_id LIKE s.measure_id || '\\_%' ESCAPE '\\')
              AND d.measure_id NOT IN (SELECT measure_id FROM measures WHERE value_type = 'count')""").df()
        assert leaks.empty, leaks.head(20).to_string()
        # a share whose denominator (all starts) is suppressed would reveal it (count / share)
        leaks = c.execute("""
            SELECT d.measure_id, s.area_code, s.year FROM indicator_values s
            JOIN indicator_values d USING (area_code, year, period_label)
            WHERE s.measure_id = 'cla_starts_all' AND s.status = 'suppressed'
              AND d.measure_id LIKE 'cla\\_starts\\_%\\_share' ESCAPE '\\' AND d.value IS NOT NULL""").df()
        assert leaks.empty, leaks.to_string()
    finally:
        c.close()


def test_region_total_minus_shown_las_does_not_reveal_a_suppressed_count(env):
    """Where exactly one LA in a region is suppressed, region total − the shown LAs would reveal it unless the
    total is the publisher's own rounded figure (DfE rounds regional/national counts to the nearest 10; StatsWales
    to 5). We never compute a region/England total ourselves: such totals must come from the publisher, be
    rounded, and leave more than one candidate value for the suppressed cell."""
    c = duckdb.connect(str(env), read_only=True)
    try:
        df = c.execute("""
            WITH la AS (
                SELECT i.measure_id, i.year, i.period_label, a.region_code AS parent,
                       count(*) FILTER (WHERE i.status = 'suppressed') AS n_sup,
                       sum(i.value) FILTER (WHERE i.status IN ('ok', 'denominator_fallback')) AS shown
                FROM indicator_values i JOIN areas a USING (area_code) JOIN measures m USING (measure_id)
                WHERE a.area_type = 'la' AND m.value_type = 'count' GROUP BY ALL)
            SELECT la.*, t.value AS total, t.source_id, s.publisher
            FROM la JOIN indicator_values t ON t.measure_id = la.measure_id AND t.year = la.year
                 AND t.period_label = la.period_label AND t.area_code = la.parent
            LEFT JOIN sources s ON s.id = t.source_id
            WHERE la.n_sup = 1 AND t.value IS NOT NULL""").df()
        sources = set(c.execute("SELECT id FROM sources").df()["id"])
    finally:
        c.close()
    if df.empty:
        return
    assert df["source_id"].isin(sources).all(), df[~df["source_id"].isin(sources)].head().to_string()
    # published totals are rounded, so the residual is not the suppressed count
    rounded = (df["total"] % 5 == 0)
    assert rounded.all(), df[~rounded].head(10).to_string()
    # published totals are rounded and the LA figures are not, so total - shown is only known to within about
    # +/-5: it is never an exact figure for the suppressed LA (DfE's own disclosure control, which we keep)


def _frames(at) -> list[pd.DataFrame]:
    out = []
    for d in at.dataframe:
        v = d.value
        out.append(v if isinstance(v, pd.DataFrame) else pd.DataFrame(v))
    return out


def test_pages_never_show_a_number_for_a_suppressed_value(env):
    """Open the pages on area-years that are suppressed; every table row labelled suppressed has no number."""
    c = duckdb.connect(str(env), read_only=True)
    try:
        row = c.execute("""SELECT i.area_code, i.year FROM indicator_values i JOIN areas a USING (area_code)
                           WHERE i.measure_id = 'cla_starts_u1_rate' AND i.status = 'suppressed'
                           ORDER BY i.year DESC LIMIT 1""").fetchone()
    finally:
        c.close()
    assert row, "no suppressed headline value in this build"
    code, year = row
    pages = [("map", {"measure": "cla_starts_u1_rate", "year": str(year), "area": code}),
             ("map", {"measure": "cla_starts_u1", "year": str(year), "area": code}),
             ("trends", {"measure": "cla_starts_u1", "areas": code}),
             ("compare", {"area": code}), ("profile", {"area": code}),
             ("downloads", {"measures": "cla_starts_u1,cla_starts_u1_rate", "areas": code, "levels": "la"}),
             ("north_south", {"measure": "cla_starts_u1_rate", "year": str(year), "view": "scatter"}),
             ("north_south", {"measure": "cla_starts_u1_rate", "year": str(year), "view": "funnel"})]
    for page, params in pages:
        at = run_page(page, params)
        for f in _frames(at):
            stcol = next((c for c in f.columns if str(c).lower() in ("status",)), None)
            if stcol is None:
                continue
            sup = f[f[stcol].astype(str).str.lower().str.contains("suppressed")]
            numcols = [c for c in f.columns
                       if re.match(r"^(value|count|numerator|lower_|upper_|95% ci|this area)", str(c).lower())]
            for col in numcols:
                assert (sup[col].isna() | sup[col].astype(str).eq("")).all(), (page, col, sup[col].tolist()[:5])
        # the compare tartan shows the word, never a number
        if page == "compare":
            cells = [str(x) for f in _frames(at) for x in f.to_numpy().ravel()]
            assert any(x == "suppressed" for x in cells)
