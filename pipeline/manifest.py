"""Per-build manifests: what a build contained (measures, source editions and checksums), so that a later build can
say what changed since a permalink made on an earlier build.

The warehouse table `build_manifests` holds this build's manifest plus those of the builds before it at the same
warehouse path (carried over from the file being replaced, newest first, at most KEEP). A build id is the first
BUILD_ID_LEN characters of `build_info.fingerprint`.
"""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd

from .release_paths import BUILD_ID_LEN, build_id  # noqa: F401 (the build id rule, importable from here)

TABLE = "build_manifests"
KEEP = 100


def current(con: duckdb.DuckDBPyConnection) -> dict:
    """The manifest of the warehouse open on `con` (needs tables measures, sources and build_info)."""
    info = con.execute("SELECT fingerprint, built_at, code_version FROM build_info").fetchone()
    measures = dict(con.execute("SELECT measure_id, title FROM measures ORDER BY 1").fetchall())
    sources = {r[0]: {"title": r[1], "edition": r[2], "sha256": (r[3] or "")[:16]}
               for r in con.execute("SELECT id, title, edition, sha256 FROM sources ORDER BY 1").fetchall()}
    return {"build_id": build_id(info[0]), "fingerprint": info[0], "built_at": str(info[1]),
            "code_version": str(info[2]), "measures": measures, "sources": sources}


def _rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if TABLE in tables:
        return [json.loads(r[0]) for r in con.execute("SELECT manifest FROM build_manifests ORDER BY built_at DESC")
                .fetchall()]
    if {"build_info", "measures", "sources"} <= tables:  # a warehouse written before manifests were recorded
        return [current(con)]
    return []


def previous(path: Path) -> list[dict]:
    """Manifests known to the warehouse at `path` (empty if there is none or it cannot be read)."""
    if not Path(path).exists():
        return []
    try:
        con = duckdb.connect(str(path), read_only=True)
    except Exception:  # noqa: BLE001 - an unreadable previous warehouse simply has no history
        return []
    try:
        return _rows(con)
    except Exception:  # noqa: BLE001
        return []
    finally:
        con.close()


def record(con: duckdb.DuckDBPyConnection, replaced: Path | None) -> None:
    """Write `build_manifests` into the warehouse being built: this build first, then the replaced file's history."""
    now = current(con)
    rows, seen = [now], {now["build_id"]}
    for m in previous(replaced) if replaced else []:
        if m.get("build_id") and m["build_id"] not in seen:
            rows.append(m)
            seen.add(m["build_id"])
    df = pd.DataFrame([{"build_id": m["build_id"], "built_at": m.get("built_at"),
                        "code_version": m.get("code_version"), "manifest": json.dumps(m, sort_keys=True)}
                       for m in rows[:KEEP]])
    con.register("_manifests_df", df)
    try:
        con.execute("CREATE OR REPLACE TABLE build_manifests AS SELECT * FROM _manifests_df")
    finally:
        con.unregister("_manifests_df")


def known(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    """build id -> manifest, for every build this warehouse knows (itself included)."""
    return {m["build_id"]: m for m in _rows(con)}


def diff(old: dict, new: dict) -> list[str]:
    """Plain-language differences between two manifests that are cheap to know: measures added or removed, sources
    added or removed, a source's edition (or, same edition, its file) changed."""
    out: list[str] = []
    om, nm = old.get("measures", {}), new.get("measures", {})
    added, removed = sorted(set(nm) - set(om)), sorted(set(om) - set(nm))
    if added:
        out.append("measures added: " + ", ".join(f"{nm[m]} ({m})" for m in added))
    if removed:
        out.append("measures removed: " + ", ".join(f"{om[m]} ({m})" for m in removed))
    os_, ns = old.get("sources", {}), new.get("sources", {})
    for s in sorted(set(os_) & set(ns)):
        a, b = os_[s], ns[s]
        if a.get("edition") != b.get("edition"):
            out.append(f"source edition changed: {b.get('title') or s}: {a.get('edition')} → {b.get('edition')}")
        elif a.get("sha256") and b.get("sha256") and a["sha256"] != b["sha256"]:
            out.append(f"source file changed (same edition {b.get('edition')}): {b.get('title') or s}")
    for s in sorted(set(ns) - set(os_)):
        out.append(f"source added: {ns[s].get('title') or s} ({ns[s].get('edition')})")
    for s in sorted(set(os_) - set(ns)):
        out.append(f"source removed: {os_[s].get('title') or s} ({os_[s].get('edition')})")
    if old.get("code_version") != new.get("code_version") and not out:
        out.append(f"code changed ({old.get('code_version')} → {new.get('code_version')}); sources and measures "
                   "are the same")
    return out
