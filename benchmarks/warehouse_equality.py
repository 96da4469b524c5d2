"""Compare two warehouses table by table and value by value (a refactor must leave the warehouse unchanged).

Ignored: `build_info` columns that differ on every build (built_at, code_version, build_seconds, raw_dir, mirror,
fingerprint); in `build_manifests` the build id, build time and code version (the build id is the fingerprint's prefix,
which hashes the code), also inside each `manifest` JSON, whose measures and sources are compared.
Floats are compared exactly unless --rtol is given. Prints every difference (first few rows per table)
and exits 1 when the warehouses differ.

Usage: python benchmarks/warehouse_equality.py BEFORE.duckdb AFTER.duckdb [--rtol 0] [--expect FILE]

--expect names a TOML file of intended changes (`[[change]]` with `table`, `column` and `reason`): a difference in
one of those columns is printed as expected, with its reason, and does not fail the comparison; every other
difference still does (benchmarks/expected_changes.toml lists the deliberate changes since the refactor's baseline).
"""
from __future__ import annotations

import argparse
import json
import sys
import tomllib

import duckdb
import numpy as np
import pandas as pd

VOLATILE = {"build_info": {"built_at", "code_version", "build_seconds", "raw_dir", "mirror", "fingerprint"},
            "build_manifests": {"build_id", "built_at", "code_version"}}
MANIFEST_VOLATILE = ("build_id", "fingerprint", "built_at", "code_version")


def _manifest(text):
    """A build manifest (JSON) without the keys that differ on every build."""
    if not isinstance(text, str):
        return text
    m = json.loads(text)
    return json.dumps({k: v for k, v in m.items() if k not in MANIFEST_VOLATILE}, sort_keys=True)


NORMALISE = {("build_manifests", "manifest"): _manifest}


def tables(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute("SELECT table_name, column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for t, c, ty in rows:
        out.setdefault(t, []).append((c, ty))
    return out


def _frame(con, table: str, cols: list[str]) -> pd.DataFrame:
    sel = ", ".join(f'"{c}"' for c in cols)
    return con.execute(f'SELECT {sel} FROM "{table}"').df()  # stored row order: it is part of what is compared


def _same(x, y) -> bool:
    r = x == y
    try:
        return bool(np.all(r)) if isinstance(r, np.ndarray) else bool(r)
    except TypeError:  # pd.NA: missing values are matched by the caller
        return False


def _equal(a: pd.Series, b: pd.Series, rtol: float) -> np.ndarray:
    na_a, na_b = a.isna().to_numpy(), b.isna().to_numpy()
    if pd.api.types.is_float_dtype(a) and pd.api.types.is_float_dtype(b):
        av, bv = a.to_numpy(float), b.to_numpy(float)
        close = np.isclose(av, bv, rtol=rtol, atol=0) if rtol else (av == bv)
        return (na_a & na_b) | (~na_a & ~na_b & close)
    same = np.array([_same(x, y) for x, y in zip(a.astype(object), b.astype(object))], dtype=bool)
    return (na_a & na_b) | (~na_a & ~na_b & same)


def compare(before: str, after: str, rtol: float = 0.0, max_rows: int = 5) -> list[str]:
    diffs: list[str] = []
    a, b = duckdb.connect(before, read_only=True), duckdb.connect(after, read_only=True)
    try:
        ta, tb = tables(a), tables(b)
        for t in sorted(set(ta) - set(tb)):
            diffs.append(f"table {t}: only in {before}")
        for t in sorted(set(tb) - set(ta)):
            diffs.append(f"table {t}: only in {after}")
        for t in sorted(set(ta) & set(tb)):
            if ta[t] != tb[t]:
                diffs.append(f"table {t}: columns differ\n  before {ta[t]}\n  after  {tb[t]}")
                continue
            cols = [c for c, _ in ta[t] if c not in VOLATILE.get(t, set())]
            fa, fb = _frame(a, t, cols), _frame(b, t, cols)
            if len(fa) != len(fb):
                diffs.append(f"table {t}: {len(fa)} rows before, {len(fb)} after")
                continue
            for c in cols:
                f = NORMALISE.get((t, c))
                if f:
                    fa[c], fb[c] = fa[c].map(f), fb[c].map(f)
                eq = _equal(fa[c], fb[c], rtol)
                if not eq.all():
                    bad = np.flatnonzero(~eq)
                    ex = "; ".join(f"row {i}: {fa[c].iloc[i]!r} -> {fb[c].iloc[i]!r}" for i in bad[:max_rows])
                    diffs.append(f"table {t} column {c}: {len(bad)} values differ ({ex})")
    finally:
        a.close()
        b.close()
    return diffs


def expected_changes(path: str | None) -> dict[tuple[str, str], str]:
    """{(table, column): reason} from an --expect file."""
    if not path:
        return {}
    with open(path, "rb") as f:
        return {(c["table"], c["column"]): c["reason"] for c in tomllib.load(f).get("change", [])}


def split_expected(diffs: list[str], expected: dict[tuple[str, str], str]) -> tuple[list[str], list[str]]:
    """(unexpected, expected-with-reason) differences: only a value difference in a listed column is expected."""
    unexpected, known = [], []
    for d in diffs:
        parts = d.split(" ", 4)  # "table T column C: ..."
        key = (parts[1], parts[3].rstrip(":")) if len(parts) > 3 and parts[2] == "column" else None
        if key in expected:
            known.append(f"{d}\n  expected: {expected[key]}")
        else:
            unexpected.append(d)
    return unexpected, known


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--rtol", type=float, default=0.0, help="relative tolerance for floats (default exact)")
    ap.add_argument("--expect", help="TOML file of intended changes ([[change]] table, column, reason)")
    a = ap.parse_args()
    diffs, known = split_expected(compare(a.before, a.after, a.rtol), expected_changes(a.expect))
    con = duckdb.connect(a.before, read_only=True)
    n = len(tables(con))
    con.close()
    for d in known + diffs:
        print(d)
    tail = f" ({len(known)} expected differences, each with its reason above)" if known else ""
    print(f"{n} tables compared: " + ("EQUAL" if not diffs else f"{len(diffs)} differences") + tail)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
