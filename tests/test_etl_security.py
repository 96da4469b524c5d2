"""ETL-side security: no SQL text is built from input data, `atlas export` copes with hostile paths, and `atlas import`
rejects injection-like measure ids / dataset names and never writes to the official warehouse."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import duckdb
import pytest

from pipeline import user_import as ui
from tests.conftest import ROOT, run_atlas

HDR = "area_code,year,measure,numerator,denominator\n"

# Every f-string / format SQL statement in the ETL code, with why it is safe. A new one fails this test until it is
# reviewed and listed here (and input data must never reach one: use parameters or the relation API instead).
REVIEWED_SQL_FSTRINGS = {
    ("pipeline/context.py", 'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM _put_df'):
        "table names are literals in the parser/mart code, never read from a file",
    ("pipeline/build.py", "SELECT count(*) FROM \"{t}\""):
        "t comes from information_schema of the warehouse being built (our own table names)",
    ("pipeline/user_import.py", "CREATE TABLE {t} AS SELECT * FROM _df"):
        "t is one of the two literals user_values / user_measures",
    ("pipeline/post/stats.py", "CREATE OR REPLACE TABLE indicator_values AS"):
        "column list built from the constant CI_COLS",
}
_FSQL = re.compile(r"""(?:execute|sql|df)\(\s*f(["']{1,3})(.*?)\1""", re.S)


def test_no_sql_built_from_input_by_string_formatting():
    found = set()
    for path in sorted([*ROOT.joinpath("pipeline").rglob("*.py"), *ROOT.joinpath("geo").rglob("*.py")]):
        rel = path.relative_to(ROOT).as_posix()
        src = path.read_text(encoding="utf-8")
        for m in _FSQL.finditer(src):
            body = m.group(2)
            if "{" not in body:
                continue
            key = next(((f, s) for f, s in REVIEWED_SQL_FSTRINGS if f == rel and s.split("{")[0] in body), None)
            assert key is not None, f"{rel}: SQL built with an f-string needs review: {body[:80]!r}"
            found.add(key)
        assert ".format(" not in "".join(m.group(0) for m in _FSQL.finditer(src))
        assert not re.search(r"""execute\(\s*["'][^"']*["']\s*%""", src), f"{rel}: %-formatted SQL"
        assert not re.search(r"""execute\(\s*["'][^"']*["']\s*\+""", src), f"{rel}: SQL built by concatenation"


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
    # the import module opens the official warehouse read-only only
    src = Path(ui.__file__).read_text(encoding="utf-8")
    assert re.search(r"duckdb\.connect\(str\(warehouse or config\.warehouse_path\(\)\), read_only=True\)", src)
