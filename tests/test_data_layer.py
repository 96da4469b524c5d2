"""The app's data-access package (pages/_lib/data/): the schema check at connection time, the explicit allow-list of
statistics tables, and user-supplied data answered by the same queries as the warehouse (session views), never
through a cache shared between sessions."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import streamlit as st

from tests.helpers import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
VALID = (FIXTURES / "user/valid_extract.csv").read_bytes()
MID = "user.valid_extract.newborn_s31"


@pytest.fixture()
def wh(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    return app_warehouse


def _partial_copy(src: Path, dest: Path, drop: str) -> Path:
    """A copy of the warehouse without one table (an old or incomplete build)."""
    con = duckdb.connect(str(dest))
    con.execute(f"ATTACH '{src}' AS src (READ_ONLY)")
    con.execute(f"COPY FROM DATABASE src TO \"{dest.stem}\"")
    con.execute(f"DROP TABLE {drop}")
    con.close()
    return dest


def test_missing_schema_lists_tables_and_columns():
    from pages._lib import data
    full = {t: list(data.REQUIRED_COLUMNS.get(t, ("x",))) for t in data.REQUIRED_TABLES}
    assert data.missing_schema(full) == []
    part = {t: c for t, c in full.items() if t != "continuity_series"}
    part["indicator_values"] = ["measure_id", "value"]
    missing = data.missing_schema(part)
    assert "continuity_series" in missing and "indicator_values.lower_95" in missing
    assert "areas" not in missing


def test_incomplete_warehouse_stops_every_page_with_the_missing_tables(app_warehouse, tmp_path, monkeypatch):
    """One check at connection time: a warehouse without a table every build writes stops with a clear message
    naming it (instead of a page quietly leaving a part out)."""
    part = _partial_copy(app_warehouse, tmp_path / "partial.duckdb", "continuity_series")
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(part))
    from pages._lib import data
    with pytest.raises(data.WarehouseIncomplete, match="continuity_series"):
        data.token()
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page("pages/trends.py")
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    errors = " ".join(str(e.value) for e in at.error)
    assert "old or incomplete" in errors and "continuity_series" in errors, errors


def test_complete_warehouse_passes_the_schema_check(wh):
    from pages._lib import data
    assert data.token() and data.missing_schema({}) == list(data.REQUIRED_TABLES)


def test_stat_table_allow_list_holds_under_python_O(wh):
    """The statistics-table allow-list is an explicit check: it still refuses a table under `python -O` (an
    `assert` would vanish)."""
    code = ("from pages._lib import data\n"
            "try:\n"
            "    data._stat_table(data.token(), 'indicator_values; DROP TABLE areas', '', ())\n"
            "except data.QueryNotAllowed as e:\n"
            "    print('refused:', e)\n"
            "try:\n"
            "    data.stat_table('trends', 'WHERE 1=1 OR measure_id = ?', ('x',))\n"
            "except data.QueryNotAllowed as e:\n"
            "    print('refused:', e)\n")
    r = subprocess.run([sys.executable, "-O", "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                       env={**os.environ, "ATLAS_WAREHOUSE": str(wh)})
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.count("refused:") == 2 and "indicator_values; DROP TABLE areas" in r.stdout, r.stdout


# ---------------------------------------------------------------------------------------------------------------
# user data through the same queries
@pytest.fixture()
def session_with_upload(wh, monkeypatch):
    """A (bare) session holding the valid extract, as the Your data page stores it; shared-cache calls recorded."""
    from pages._lib import data, userdata
    from pages._lib.data import connection, usersession
    from pipeline.user_import import DisclosureRule
    for k in (userdata.KEY, usersession.KEY):
        st.session_state.pop(k, None)
    res = data.validate_upload(VALID, 10_000_000)
    assert res.ok
    values, meas = data.compute_upload(res.values, DisclosureRule())
    userdata.add("valid_extract", values, meas, "upload", "valid_extract.csv", "counts 1-4 suppressed")
    shared: list = []
    orig = connection._cached_query

    def spy(tok, sql, params, *rest):
        shared.append(params)
        return orig(tok, sql, params, *rest)
    monkeypatch.setattr(connection, "_cached_query", spy)
    yield values, shared
    for k in (userdata.KEY, usersession.KEY):
        st.session_state.pop(k, None)


def test_user_measure_answered_by_the_warehouse_queries(session_with_upload, wh):
    from pages._lib import data, userdata
    values, shared = session_with_upload
    mine = values[values["area_type"].eq("la") if "area_type" in values else values["area_code"].str[:3] != "E92"]
    v = data.values(MID, 2020, "la")
    assert set(v["area_code"]) == set(values.loc[values["area_code"].str.match("E0[6-9]"), "area_code"])
    assert len(mine)
    hart = v[v["area_code"] == "E06000009"].iloc[0]
    assert hart["value"] == pytest.approx(14 / 1500 * 10000) and hart["area_name"]
    sup = v[v["area_code"] == "E06000001"].iloc[0]  # 3 infants: suppressed by the atlas's disclosure control
    assert sup["status"] == "suppressed" and pd.isna(sup["value"]) and pd.isna(sup["numerator"])
    assert sup["note"] == userdata.SUPPRESSED_NOTE
    assert "atlas's disclosure control" in data.status_label(sup["status"], sup["note"])
    assert data.measure_years(MID) == sorted(int(y) for y in values.loc[values["value"].notna(), "year"].unique())
    assert data.period_label(MID, 2020) == "2019/20"
    assert list(data.series(MID, ["E06000009"])["value"].round(6)) == [round(14 / 1500 * 10000, 6)]
    latest = data.area_latest("E06000009", with_user=True)
    assert latest["measure_id"].iloc[-1] == MID and latest["short_title"].iloc[-1].endswith("(user-supplied)")
    assert MID not in set(data.area_latest("E06000009")["measure_id"])  # official only unless asked
    assert data.spine(latest[latest["measure_id"] == MID])["n"].iloc[0] >= 2
    # official answers are unchanged by the session's views, and no user measure enters the shared cache
    assert data.values("cla_starts_u1_rate", 2020, "la")["area_code"].str.startswith("user").sum() == 0
    flat = repr(shared)
    assert MID not in flat and "user." not in flat


def test_user_views_are_session_only(session_with_upload, wh):
    """The views live on the session's own cursor: another session (the shared cursor) never sees user rows, and
    the warehouse file is untouched."""
    from pages._lib import data
    before = wh.stat().st_mtime_ns
    assert len(data.values(MID, 2020, "la"))
    tok = data.token()
    n = data._cursor(tok).execute("SELECT count(*) FROM indicator_values WHERE measure_id = ?", [MID]).fetchone()[0]
    assert n == 0
    assert wh.stat().st_mtime_ns == before


def test_user_measure_id_never_enters_the_shared_cache(wh, monkeypatch):
    """A user measure id this session does not hold (e.g. from a shared link) gets an empty answer that is not
    cached between sessions."""
    from pages._lib import data, userdata
    from pages._lib.data import connection
    st.session_state.pop(userdata.KEY, None)
    shared: list = []
    monkeypatch.setattr(connection, "_shared_result", lambda *a: shared.append(a))
    assert data.values("user.someone_else.x", 2020, "la").empty
    assert data.measure_years("user.someone_else.x") == []
    assert shared == []
