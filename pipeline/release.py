"""The open-data release of a build: every public table as Parquet and CSV, a Frictionless Data Package descriptor
(datapackage.json) and a README, in a folder named by the build id (`atlas-release-<build id>`).

- Public tables: every warehouse table except the internal `stg_*` staging tables; local paths of the machine that
  built it (`build_info.mirror`, `build_info.raw_dir`) are left out.
- Suppressed cells stay blank: in any table with a `status` column, rows with status `suppressed` have their value
  columns (value, numerator, confidence limits) empty, whatever the table holds.
- CSVs are RFC 4180, UTF-8, CRLF, neutralised against spreadsheet formula injection exactly as the app's downloads
  (pipeline.opendata); Parquet files hold the same rows with exact text.
- Table Schema: types from the warehouse, descriptions from docs/warehouse.md (the warehouse contract) and the measure
  registry, primary and foreign keys below. Sources carry publisher, edition, licence and the sha256 of the file used.

Written to a temporary folder and moved into place, so a failed export never leaves a partial release.
`release_zip` makes one zip per build id in a cache folder and reuses it (the app's "whole release" download).
"""
from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import threading
import zipfile
from pathlib import Path

import duckdb
import pandas as pd

from . import config, manifest
from .errors import AtlasError
from .fingerprint import sha256_file
from .opendata import safe_csv_bytes
from .release_describe import NAME_RE, TYPES, doc_descriptions, package, readme, table_schema
from .release_paths import default_cache_dir, release_name, zip_path, zip_ready  # noqa: F401 (importable from here)

EXCLUDED_COLUMNS = {"build_info": {"mirror", "raw_dir"}}
SUPPRESSED_BLANK = re.compile(r"(value|numerator|lower_\w+|upper_\w+|rate)")


# ---------------------------------------------------------------------------------------------------------------
# tables
def public_tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema='main' "
                                       "AND table_name NOT LIKE 'stg_%' ORDER BY 1").fetchall()]
    for t in names:
        if not NAME_RE.fullmatch(t):
            raise AtlasError(f"unexpected table name {t!r} in the warehouse; not exported")
    return names


def _columns(con, table: str) -> list[tuple[str, str]]:
    rows = con.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema='main' AND "
                       "table_name = ? ORDER BY ordinal_position", [table]).fetchall()
    out = [(c, t) for c, t in rows if c not in EXCLUDED_COLUMNS.get(table, set())]
    for c, _ in out:
        if not NAME_RE.fullmatch(c):
            raise AtlasError(f"unexpected column name {c!r} in table {table}; not exported")
    return out


def _relation(con, table: str, columns: list[tuple[str, str]]):
    """The table's public rows (identifiers checked by NAME_RE; no value ever enters the SQL text)."""
    names = [c for c, _ in columns]
    has_status = "status" in names
    select = []
    for c in names:
        if has_status and SUPPRESSED_BLANK.fullmatch(c):
            select.append(f'CASE WHEN status = \'suppressed\' THEN NULL ELSE "{c}" END AS "{c}"')
        else:
            select.append(f'"{c}"')  # quoted: a column may be named like a keyword (e.g. "table")
    return con.table(table).project(", ".join(select))


def _csv_frame(rel, columns: list[tuple[str, str]]) -> pd.DataFrame:
    df = rel.df()
    for c, t in columns:
        ft = TYPES.get(t, "string")
        if ft == "integer":
            df[c] = df[c].astype("Int64")
        elif ft == "date":
            df[c] = pd.to_datetime(df[c]).dt.strftime("%Y-%m-%d")
        elif ft == "datetime":
            df[c] = pd.to_datetime(df[c]).dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif ft == "string":
            df[c] = df[c].astype(object).where(df[c].notna(), None)
            if t not in TYPES:  # lists, structs...: their text form
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return df


# ---------------------------------------------------------------------------------------------------------------
# the release
def write_release(out_dir: Path, warehouse: Path | None = None) -> Path:
    """Write the release of `warehouse` into out_dir/atlas-release-<build id>/ and return that folder."""
    warehouse = Path(warehouse or config.warehouse_path())
    if not warehouse.exists():
        raise AtlasError(f"no warehouse at {warehouse}; run `atlas build` first")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        info = con.execute("SELECT * FROM build_info").df().iloc[0].to_dict()
        bid = manifest.build_id(info["fingerprint"])
        target = out_dir / release_name(bid)
        tmp = out_dir / f".{target.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        (tmp / "data").mkdir(parents=True)
        try:
            _write(con, tmp, info, bid)
            if target.exists():
                old = out_dir / f".{target.name}.old-{os.getpid()}"
                os.replace(target, old)
                os.replace(tmp, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return target
    finally:
        con.close()


def _write(con, root: Path, info: dict, bid: str) -> None:
    doc_text = (config.ROOT / "docs" / "warehouse.md").read_text(encoding="utf-8")
    tdesc, cdesc = doc_descriptions(doc_text)
    measures = con.execute("SELECT * FROM measures ORDER BY measure_id").df()
    sources = con.execute("SELECT * FROM sources ORDER BY family, id").df()
    tables = public_tables(con)
    resources, counts = [], {}
    for t in tables:
        columns = _columns(con, t)
        rel = _relation(con, t, columns)
        pq = root / "data" / f"{t}.parquet"
        rel.write_parquet(str(pq))
        df = _csv_frame(rel, columns)
        csv = root / "data" / f"{t}.csv"
        csv.write_bytes(safe_csv_bytes(df))
        counts[t] = len(df)
        schema = table_schema(t, columns, cdesc, measures, tables)
        desc = tdesc.get(t) or "A table of the warehouse; see docs/warehouse.md."
        if t == "indicator_values":
            desc += (" Each measure's title, definition, unit, multiplier and caveats are in the measures resource "
                     "(the measure registry). Suppressed cells are blank with status 'suppressed'.")
        resources.append({
            "name": t, "path": f"data/{t}.csv", "type": "table", "scheme": "file", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "title": t.replace("_", " "), "description": desc,
            "dialect": {"csv": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}},
            "hash": "sha256:" + sha256_file(csv), "bytes": csv.stat().st_size, "schema": schema,
            "parquet": {"path": f"data/{t}.parquet", "hash": "sha256:" + sha256_file(pq), "bytes": pq.stat().st_size},
        })
    pkg = package(info, bid, measures, sources, resources)
    (root / "datapackage.json").write_text(json.dumps(pkg, indent=2, ensure_ascii=False), encoding="utf-8")
    (root / "README.md").write_text(readme(info, bid, measures, sources, counts, tdesc), encoding="utf-8")




ZIP_LEVEL = 1  # deflate level: 1 zips the release in ~0.7 s vs ~2.3 s at 6, for a zip ~8% larger (benchmarks/)


def release_zip(cache_dir: Path, warehouse: Path | None = None) -> Path:
    """The release of `warehouse` as one zip, made once per build id in `cache_dir` and reused afterwards (a file
    lock makes concurrent callers in several processes or threads wait for the one that builds it; the zip is
    written to a temporary file and renamed, so no caller ever sees a partial zip)."""
    warehouse = Path(warehouse or config.warehouse_path())
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    target = zip_path(cache_dir, warehouse)
    if zip_ready(target, warehouse):
        return target
    with open(cache_dir / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if zip_ready(target, warehouse):
            return target
        _cleanup_stale(cache_dir)
        me = f"{os.getpid()}-{threading.get_ident()}"
        work = cache_dir / f".work-{me}"
        tmp = cache_dir / f".{target.name}.tmp-{me}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            folder = write_release(work, warehouse)
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=ZIP_LEVEL) as z:
                for p in sorted(folder.rglob("*")):
                    if p.is_file():
                        z.write(p, arcname=str(Path(folder.name) / p.relative_to(folder)))
            os.replace(tmp, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            tmp.unlink(missing_ok=True)
    return target


def _cleanup_stale(cache_dir: Path) -> None:
    """Remove work folders and partial zips left by a process that was killed while making a zip."""
    for p in [*cache_dir.glob(".work-*"), *cache_dir.glob(".*.zip.tmp-*")]:
        try:
            pid = int(p.name.rsplit("-", 2)[-2])
        except ValueError:  # not a name this code writes: leave it
            continue
        try:
            os.kill(pid, 0)  # its process still runs: leave it
        except ProcessLookupError:
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                p.unlink(missing_ok=True)
        except PermissionError:
            pass
