"""ETL-side security: no SQL text is built from input data, `atlas export` copes with hostile paths, and `atlas import`
rejects injection-like measure ids / dataset names and never writes to the official warehouse."""
from __future__ import annotations

import hashlib

import duckdb
import pytest

from pipeline import user_import as ui
from tests.conftest import run_atlas

HDR = "area_code,year,measure,numerator,denominator\n"

HOSTILE = "x'); DROP TABLE areas; --"


def test_values_reach_the_warehouse_as_data_never_as_sql(tmp_path):
    """A hostile string in any cell of a parsed file is stored verbatim and runs nothing."""
    import pandas as pd

    from pipeline.context import BuildContext
    ctx = BuildContext(con=duckdb.connect(), raw=tmp_path, sources={})
    ctx.put("areas", pd.DataFrame({"area_code": ["E06000001"], "area_name": ["Hartlepool"]}))
    ctx.put("stg_hostile", pd.DataFrame({"code": [HOSTILE], "note": ['"; DELETE FROM areas; --']}))
    ctx.put("stg_tmp", pd.DataFrame({"code": [HOSTILE]}), temp=True)
    assert ctx.df("SELECT code, note FROM stg_hostile").values.tolist() == [[HOSTILE, '"; DELETE FROM areas; --']]
    assert ctx.df("SELECT code FROM stg_tmp")["code"].tolist() == [HOSTILE]
    assert ctx.df("SELECT area_name FROM areas")["area_name"].tolist() == ["Hartlepool"]


def test_area_queries_take_values_as_parameters():
    """The in-force query binds year and country as parameters: an injection-like country matches nothing."""
    import datetime as dt

    from pipeline.domain import las_in_force
    con = duckdb.connect()
    con.execute("CREATE TABLE areas (area_code VARCHAR, area_type VARCHAR, country VARCHAR, valid_from DATE, "
                "valid_to DATE)")
    con.execute("INSERT INTO areas VALUES ('E06000001', 'la', 'England', NULL, NULL), "
                "('E10000002', 'la', 'England', NULL, ?)", [dt.date(2019, 3, 31)])
    assert las_in_force(con, 2020)["area_code"].tolist() == ["E06000001"]
    assert las_in_force(con, 2019)["area_code"].tolist() == ["E06000001", "E10000002"]
    assert las_in_force(con, 2020, "England' OR '1'='1").empty
    assert con.execute("SELECT count(*) FROM areas").fetchone()[0] == 2


@pytest.mark.integration
def test_user_import_rejects_hostile_cells_without_running_them(warehouse):
    """A hostile value in any cell of an uploaded extract is reported as a problem, never executed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = con.execute("SELECT count(*) FROM areas").fetchone()[0]
        res = ui.validate_extract((HDR + f"{HOSTILE},2020,x,3,100\nE06000001,{HOSTILE},x,3,100\n").encode(), con)
        assert {p.column for p in res.problems} >= {"area_code", "year"}
        assert con.execute("SELECT count(*) FROM areas").fetchone()[0] == before


@pytest.mark.integration
def test_export_path_with_quotes(warehouse, tmp_path):
    out = tmp_path / "exp'ort; DROP TABLE areas;--"
    r = run_atlas(["export", str(out)], {"ATLAS_WAREHOUSE": str(warehouse)})
    assert r.returncode == 0, r.stderr
    (rel,) = out.glob("atlas-release-*")
    out = rel / "data"
    assert (out / "areas.parquet").is_file() and (out / "indicator_values.parquet").is_file()
    n = duckdb.sql("SELECT count(*) FROM read_parquet(?)", params=[str(out / "areas.parquet")]).fetchall()[0][0]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert n == con.execute("SELECT count(*) FROM areas").fetchone()[0]
    assert not list(out.glob("stg_*"))


INJECTION_IDS = [
    "x'); DROP TABLE indicator_values;--",
    "measure; DELETE FROM areas",
    'quote"identifier',
    "UPPER_case",
    "1starts_with_digit",
    "../../etc/passwd",
    "new\nline",
    "tab\tbed",
    "nul\x00byte",
    "unicode_\u0430",  # Cyrillic 'a' look-alike
    "a" * 41,
    "=cmd|' /C calc'!A0",
    "",
]


@pytest.mark.integration
@pytest.mark.parametrize("mid", INJECTION_IDS, ids=range(len(INJECTION_IDS)))
def test_import_rejects_injection_like_measure_ids(warehouse, mid):
    line = f'E06000009,2020,"{mid}",5,100\n' if mid else "E06000009,2020,,5,100\n"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        res = ui.validate_extract((HDR + line).encode("utf-8"), con)
    assert not res.ok
    assert any(p.column in ("measure", None) for p in res.problems), res.problems_frame()


@pytest.mark.integration
@pytest.mark.parametrize("name", ["../escape", "Robert'); DROP TABLE x;--", "UPPER", "a b", "/abs/path", "x" * 41, ""])
def test_import_rejects_bad_dataset_names(warehouse, tmp_path, name):
    f = tmp_path / "ok.csv"
    f.write_text(HDR + "E06000009,2020,my_measure,5,100\n")
    user = tmp_path / "user"
    r = run_atlas(["import", str(f), "--as", name], {"ATLAS_WAREHOUSE": str(warehouse), "ATLAS_USER_DIR": str(user)})
    assert r.returncode == 2
    assert not user.exists() or not any(user.iterdir())


@pytest.mark.integration
def test_import_never_writes_to_the_official_warehouse(warehouse, tmp_path):
    before = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    user = tmp_path / "user"
    env = {"ATLAS_WAREHOUSE": str(warehouse), "ATLAS_USER_DIR": str(user)}
    bad = tmp_path / "bad.csv"
    bad.write_text(HDR + "E06000009,2020,\"x'); DROP TABLE areas;--\",5,100\n")
    good = tmp_path / "good.csv"
    good.write_text(HDR + "E06000009,2020,my_measure,5,100\nE08000021,2020,my_measure,12,3000\n")
    assert run_atlas(["import", str(bad), "--as", "bad"], env).returncode == 2
    r = run_atlas(["import", str(good), "--as", "good"], env)
    assert r.returncode == 0, r.stderr
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == before
    # the user database holds only the user tables; the official one still has its tables
    with duckdb.connect(str(user / "good.duckdb"), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == {"user_values", "user_measures", "import_info"}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM areas").fetchone()[0] > 0
        assert not con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'user_%'"
                               ).fetchone()[0]



@pytest.mark.integration
def test_import_opens_the_official_warehouse_read_only(warehouse, tmp_path, monkeypatch):
    """Every connection `atlas import` opens to the official warehouse is read-only (recorded while it runs)."""
    from pipeline.cli import main
    good = tmp_path / "good.csv"
    good.write_text(HDR + "E06000009,2020,my_measure,5,100\n")
    opened = []
    real = duckdb.connect

    def spy(database=":memory:", *args, **kwargs):
        opened.append((str(database), bool(kwargs.get("read_only", False))))
        return real(database, *args, **kwargs)
    monkeypatch.setattr(duckdb, "connect", spy)
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ATLAS_USER_DIR", str(tmp_path / "user"))
    assert main(["import", str(good), "--as", "good"]) == 0
    official = [ro for path, ro in opened if path == str(warehouse)]
    assert official and all(official), opened
