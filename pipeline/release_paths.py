"""Names and places of release zips, without pandas: `atlas build` checks here whether this build's whole-release
zip is already in the cache, so a no-op rebuild stays fast (pipeline/release.py makes the zip)."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from . import config

BUILD_ID_LEN = 12  # a build id is the first BUILD_ID_LEN characters of build_info.fingerprint


def build_id(fingerprint: str | None) -> str:
    return str(fingerprint or "")[:BUILD_ID_LEN]


def release_name(build_id: str) -> str:
    return f"atlas-release-{build_id}"


def default_cache_dir(warehouse: Path | None = None) -> Path:
    """Where the app keeps release zips: $ATLAS_RELEASE_CACHE, else releases/ next to the warehouse."""
    env = os.environ.get("ATLAS_RELEASE_CACHE")
    return Path(env) if env else Path(warehouse or config.warehouse_path()).parent / "releases"


def zip_path(cache_dir: Path, warehouse: Path | None = None) -> Path:
    """Where the release zip of `warehouse` lives in `cache_dir` (named by its build id); nothing is made here."""
    con = duckdb.connect(str(Path(warehouse or config.warehouse_path())), read_only=True)
    try:
        bid = build_id(con.execute("SELECT fingerprint FROM build_info").fetchone()[0])
    finally:
        con.close()
    return Path(cache_dir) / f"{release_name(bid)}.zip"


def zip_ready(path: Path, warehouse: Path | None = None) -> bool:
    """True when the zip at `path` exists and was made after `warehouse` was written (a forced rebuild keeps the
    build id, so an older zip of the same id would carry the earlier build's build_info)."""
    try:
        return path.stat().st_mtime_ns >= Path(warehouse or config.warehouse_path()).stat().st_mtime_ns
    except FileNotFoundError:
        return False


def current_zip(warehouse: Path) -> Path | None:
    """This build's zip in the default release cache when it is there and up to date, else None."""
    try:
        p = zip_path(default_cache_dir(warehouse), warehouse)
    except (duckdb.Error, TypeError):
        return None
    return p if zip_ready(p, warehouse) else None
