"""Support for the app tests: each app test module gets its own copy of the session's warehouse, so a test that
(wrongly) wrote to it could not affect another module. The copy must hold real geometry: an app test never runs on
a warehouse without boundary layers."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb


def with_geometry(src: Path, dest: Path) -> tuple[Path, bool]:
    """Copy the warehouse `src` to `dest` and check it has boundary layers. Returns (dest, False)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    con = duckdb.connect(str(dest), read_only=True)
    try:
        n = con.execute("SELECT count(*) FROM boundary_layers").fetchone()[0]
    finally:
        con.close()
    assert n > 0, "the test warehouse has no boundary layers"
    return dest, False
