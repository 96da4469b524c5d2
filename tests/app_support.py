"""Support for the app tests: each app test module gets its own copy of the session's warehouse, so a test that
(wrongly) wrote to it could not affect another module. The copy must hold real geometry: an app test never runs on
a warehouse without boundary layers."""
from __future__ import annotations

import contextlib
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


APP = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")


def app_factory(warehouse: Path, monkeypatch, timeout: int = 180):
    """make(page, at=None, **params): run the app's `page` on `warehouse` with these URL parameters (in a new
    AppTest, or in `at` to continue a session) and fail on any exception shown on the page."""
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(warehouse))
    from streamlit.testing.v1 import AppTest

    def make(page: str, at=None, **params) -> AppTest:
        at = at or AppTest.from_file(APP, default_timeout=timeout)
        at.query_params.clear()
        at.switch_page(f"pages/{page}.py")
        for k, v in params.items():
            at.query_params[k] = v
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at
    return make


CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@contextlib.contextmanager
def chromium():
    """Debian Chromium, headless, driven by Playwright; closed on leaving the block."""
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield b
        b.close()


def table_with(at, column: str):
    """The first dataframe on an AppTest page with this column (AppTest does not expose dataframe keys)."""
    for d in at.dataframe:
        if column in d.value.columns:
            return d.value
    raise AssertionError(f"no table with column {column!r}")
