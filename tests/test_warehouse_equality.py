"""The warehouse comparison used to prove a refactor leaves the warehouse unchanged must itself see differences."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb

SPEC = importlib.util.spec_from_file_location(
    "warehouse_equality", Path(__file__).resolve().parent.parent / "benchmarks/warehouse_equality.py")
eq = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(eq)


def _wh(path, value=1.5, note="a", built="2026-01-01", extra=False):
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (k INTEGER, v DOUBLE, note VARCHAR)")
    con.execute("INSERT INTO t VALUES (1, ?, ?), (2, NULL, NULL)", [value, note])
    con.execute("CREATE TABLE build_info (built_at VARCHAR, warnings VARCHAR)")
    con.execute("INSERT INTO build_info VALUES (?, 'w')", [built])
    if extra:
        con.execute("CREATE TABLE extra (x INTEGER)")
    con.close()
    return str(path)


def test_equal_ignoring_build_time(tmp_path):
    assert eq.compare(_wh(tmp_path / "a.duckdb"), _wh(tmp_path / "b.duckdb", built="2026-02-02")) == []


def test_value_text_and_table_differences_are_reported(tmp_path):
    a = _wh(tmp_path / "a.duckdb")
    d = eq.compare(a, _wh(tmp_path / "b.duckdb", value=1.5000001))
    assert len(d) == 1 and "table t column v" in d[0]
    assert eq.compare(a, _wh(tmp_path / "c.duckdb", value=1.5000001), rtol=1e-6) == []
    assert "column note" in eq.compare(a, _wh(tmp_path / "d.duckdb", note="b"))[0]
    assert eq.compare(a, _wh(tmp_path / "e.duckdb", extra=True)) == [f"table extra: only in {tmp_path / 'e.duckdb'}"]


def test_build_manifests_compared_without_build_time_and_code_version(tmp_path):
    def wh(name, built, version, manifest):
        con = duckdb.connect(str(tmp_path / name))
        con.execute("CREATE TABLE build_manifests (build_id VARCHAR, built_at VARCHAR, code_version VARCHAR, "
                    "manifest VARCHAR)")
        con.execute("INSERT INTO build_manifests VALUES (?, ?, ?, ?)", [version, built, version, manifest])
        con.close()
        return str(tmp_path / name)
    a = wh("a.duckdb", "2026-01-01", "v1", '{"build_id": "abc", "code_version": "v1", "measures": {"m": "M"}}')
    assert eq.compare(a, wh("b.duckdb", "2026-02-02", "v2-dirty",
                            '{"build_id": "def", "code_version": "v2", "measures": {"m": "M"}}')) == []
    d = eq.compare(a, wh("c.duckdb", "2026-01-01", "v1", '{"build_id": "abc", "code_version": "v1", '
                                                        '"measures": {"m": "N"}}'))
    assert len(d) == 1 and "build_manifests column manifest" in d[0]


def test_expected_changes_pass_with_their_reason_and_nothing_else(tmp_path):
    a = _wh(tmp_path / "a.duckdb")
    diffs = eq.compare(a, _wh(tmp_path / "b.duckdb", value=2.5, note="b"))
    exp = tmp_path / "expect.toml"
    exp.write_text('[[change]]\ntable = "t"\ncolumn = "note"\nreason = "renamed on purpose"\n')
    unexpected, known = eq.split_expected(diffs, eq.expected_changes(str(exp)))
    assert len(known) == 1 and "column note" in known[0] and "renamed on purpose" in known[0]
    assert len(unexpected) == 1 and "column v" in unexpected[0]  # a change not listed still fails


def test_expected_changes_file_names_real_columns():
    """Every intended change listed for the refactor's baseline names a table and column of the warehouse contract."""
    root = Path(__file__).resolve().parent.parent
    listed = eq.expected_changes(str(root / "benchmarks" / "expected_changes.toml"))
    doc = (root / "docs" / "warehouse.md").read_text(encoding="utf-8")
    assert listed and all(f"`{t}`" in doc and f"`{c}`" in doc for t, c in listed)
