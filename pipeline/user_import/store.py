"""Store a computed user extract in its own database `data/user/NAME.duckdb` (never the official warehouse), and the
whole import (`atlas import`): validate, compute, store."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import pandas as pd

from .. import config
from .compute import compute
from .schema import DEFAULT_MAX_BYTES, NAME_RE, DisclosureRule, ImportResult, Problem
from .validate import validate_extract


def user_db_path(name: str) -> Path:
    return Path(os.environ.get("ATLAS_USER_DIR", config.DATA / "user")) / f"{name}.duckdb"


def store(name: str, values: pd.DataFrame, measures: pd.DataFrame, file_name: str) -> Path:
    """Write the user database atomically (temporary file, then os.replace)."""
    if not NAME_RE.match(name):
        raise ValueError("name must be lower-case letters, digits and _ (max 40), starting with a letter")
    out = user_db_path(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for t, df in (("user_values", values), ("user_measures", measures)):
            con.register("_df", df)
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM _df")
            con.unregister("_df")
        con.execute("CREATE TABLE import_info AS SELECT ? AS name, ? AS file_name, ? AS imported_at, "
                    "'user-supplied, not official statistics' AS badge",
                    [name, file_name, dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()])
        con.close()
        os.replace(tmp, out)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    return out


def import_file(path: Path, name: str, warehouse: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                rule: DisclosureRule | None = None) -> tuple[ImportResult, Path | None]:
    path = Path(path)
    if not NAME_RE.match(name):
        return ImportResult(False, [Problem(None, "--as", name, "name must be lower-case letters, digits and _ "
                                                                "(max 40), starting with a letter")]), None
    size = path.stat().st_size
    if size > max_bytes:
        return ImportResult(False, [Problem(None, None, f"{size:,} bytes",
                                            f"file is larger than the limit of {max_bytes:,} bytes")]), None
    con = duckdb.connect(str(warehouse or config.warehouse_path()), read_only=True)
    try:
        res = validate_extract(path.read_bytes(), con, max_bytes=max_bytes)
        if not res.ok:
            return res, None
        values, measures = compute(res.values, con, rule)
    finally:
        con.close()
    res.values, res.measures = values, measures
    return res, store(name, values, measures, path.name)
