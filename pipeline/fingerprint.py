"""Fingerprint of a build's inputs (code + registered files' checksums), kept apart from pipeline.build so that the
no-op check of `atlas build` / `atlas up` does not import pandas and the parsers (~0.6 s)."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

from . import config


def sha256_file(path: Path) -> str:
    """The sha256 of a file, read in 1 MiB chunks (registered sources, release files)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def code_fingerprint() -> str:
    h = hashlib.sha256()
    files = sorted([*config.ROOT.joinpath("pipeline").rglob("*.py"), *config.ROOT.joinpath("geo").rglob("*.py"),
                    *config.DATA.glob("*.toml"), *config.DATA.glob("measures/*.toml"),
                    *config.DATA.glob("*.csv")])
    for f in files:
        h.update(str(f.relative_to(config.ROOT)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def fingerprint(checksums: dict[str, str]) -> str:
    h = hashlib.sha256(code_fingerprint().encode())
    h.update(json.dumps(sorted(checksums.items())).encode())
    return h.hexdigest()


def stored_fingerprint(path: Path | None = None) -> str | None:
    path = Path(path or config.warehouse_path())
    if not path.exists():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            return con.execute("SELECT fingerprint FROM build_info").fetchone()[0]
        finally:
            con.close()
    except Exception:  # noqa: BLE001 - an unreadable warehouse just needs a rebuild
        return None
