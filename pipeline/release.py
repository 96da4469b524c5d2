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
import hashlib
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import duckdb
import pandas as pd

from . import config, manifest
from .errors import AtlasError
from .opendata import LICENCE, safe_csv_bytes

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
EXCLUDED_COLUMNS = {"build_info": {"mirror", "raw_dir"}}
SUPPRESSED_BLANK = re.compile(r"(value|numerator|lower_\w+|upper_\w+|rate)")

PRIMARY_KEYS = {
    "areas": ["area_code"], "measures": ["measure_id"], "sources": ["id"],
    "indicator_values": ["measure_id", "area_code", "year"], "continuity_series": ["measure_id", "area_code", "year"],
    "area_successors": ["old_code", "new_code"], "area_dfe_codes": ["dfe_la_code", "area_code"],
    "births_denominators": ["area_code", "year"], "la_geo": ["area_code"], "trends": ["measure_id", "area_code"],
    "boundary_layers": ["layer_id"], "boundary_layer_years": ["year", "country"],
    "stat_neighbours": ["area_code", "rank"], "stat_neighbour_variables": ["variable"],
    "funnel_points": ["measure_id", "year", "area_code"], "funnel_params": ["measure_id", "year"],
    "deprivation_gradient": ["measure_id", "year", "imd_edition", "decile"],
    "inequality_indices": ["measure_id", "year", "imd_edition"], "services_points": ["unit_id"],
    manifest.TABLE: ["build_id"],
}
# (table, fields) -> (referenced table, fields)
FOREIGN_KEYS = [
    ("indicator_values", "measure_id", "measures", "measure_id"),
    ("indicator_values", "area_code", "areas", "area_code"),
    ("indicator_values", "source_id", "sources", "id"),
    ("continuity_series", "measure_id", "measures", "measure_id"),
    ("continuity_series", "area_code", "areas", "area_code"),
    ("trends", "measure_id", "measures", "measure_id"),
    ("trends", "area_code", "areas", "area_code"),
    ("funnel_points", "measure_id", "measures", "measure_id"),
    ("funnel_points", "area_code", "areas", "area_code"),
    ("funnel_params", "measure_id", "measures", "measure_id"),
    ("funnel_limits", "measure_id", "measures", "measure_id"),
    ("deprivation_gradient", "measure_id", "measures", "measure_id"),
    ("inequality_indices", "measure_id", "measures", "measure_id"),
    ("births_denominators", "area_code", "areas", "area_code"),
    ("births_denominators", "source_id", "sources", "id"),
    ("area_successors", "old_code", "areas", "area_code"),
    ("area_successors", "new_code", "areas", "area_code"),
    ("area_dfe_codes", "area_code", "areas", "area_code"),
    ("la_geo", "area_code", "areas", "area_code"),
    ("stat_neighbours", "area_code", "areas", "area_code"),
    ("stat_neighbours", "neighbour_code", "areas", "area_code"),
    ("ns_expected", "area_code", "areas", "area_code"),
    ("boundary_layers", "source_id", "sources", "id"),
    ("boundary_layer_years", "layer_id", "boundary_layers", "layer_id"),
]
_TYPES = {"VARCHAR": "string", "BIGINT": "integer", "INTEGER": "integer", "SMALLINT": "integer", "TINYINT": "integer",
          "HUGEINT": "integer", "UBIGINT": "integer", "UINTEGER": "integer", "DOUBLE": "number", "FLOAT": "number",
          "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "datetime", "TIMESTAMP WITH TIME ZONE": "datetime"}
# columns documented in prose rather than in a table of docs/warehouse.md
_COLUMN_NOTES = {
    "lower_95": "lower 95% confidence limit (blank unless the row has a value with numerator and denominator)",
    "upper_95": "upper 95% confidence limit (blank unless the row has a value with numerator and denominator)",
    "lower_998": "lower 99.8% confidence limit", "upper_998": "upper 99.8% confidence limit",
    "sig_england_95": "compared with England at 95%: higher / similar / lower / not_compared",
    "sig_england_998": "compared with England at 99.8%: higher / similar / lower / not_compared",
    "sig_region_95": "compared with the LA's region at 95%: higher / similar / lower / not_compared",
    "sig_region_998": "compared with the LA's region at 99.8%: higher / similar / lower / not_compared",
}


def release_name(build_id: str) -> str:
    return f"atlas-release-{build_id}"


# ---------------------------------------------------------------------------------------------------------------
# descriptions from the warehouse contract
def doc_descriptions(text: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(table -> description, table -> {column -> description}) from docs/warehouse.md: a `## \\`table\\`` section's
    first paragraph and its column table; bullets that start with backticked table names; "`col` is ..." sentences."""
    tables: dict[str, str] = {}
    cols: dict[str, dict[str, str]] = {}
    current: list[str] = []
    para_done = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("## "):
            current = re.findall(r"`([a-z_0-9]+)`", s)
            para_done = False
            continue
        if s.startswith("|") and current:
            cells = [c.strip() for c in s.strip("|").split("|")]
            if len(cells) < 2 or set(cells[0]) <= set("-: ") or cells[0] == "column":
                continue
            for name in re.split(r"\s*,\s*", cells[0].replace("`", "")):
                if NAME_RE.fullmatch(name):
                    for t in current:
                        cols.setdefault(t, {})[name] = _plain(cells[-1])
            continue
        m = re.match(r"- ((?:`[a-z_0-9]+`(?:, | and )?)+)\s*(?:—|-|:)?\s*(.*)", s)
        if m:
            for t in re.findall(r"`([a-z_0-9]+)`", m.group(1)):
                tables.setdefault(t, _plain(m.group(2)))
            continue
        if s and current and not para_done and not s.startswith(("|", "#", "-")):
            for t in current:
                tables.setdefault(t, _plain(s))
            para_done = True
        for c, verb, rest in re.findall(r"`([a-z_0-9]+)` (is|∈) ([^.]+)", s):
            for t in current:
                cols.setdefault(t, {}).setdefault(c, _plain(f"{verb} {rest}" if verb == "∈" else rest))
    return tables, cols


def _plain(s: str) -> str:
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    return s.replace("`", "").replace("**", "").strip()


def _field_description(table: str, col: str, cols: dict[str, dict[str, str]]) -> str:
    if col in cols.get(table, {}):
        return cols[table][col]
    if col in _COLUMN_NOTES:
        return _COLUMN_NOTES[col]
    for t in ("indicator_values", "areas"):  # the same column name means the same thing across tables
        if col in cols.get(t, {}):
            return cols[t][col]
    return ""


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
        ft = _TYPES.get(t, "string")
        if ft == "integer":
            df[c] = df[c].astype("Int64")
        elif ft == "date":
            df[c] = pd.to_datetime(df[c]).dt.strftime("%Y-%m-%d")
        elif ft == "datetime":
            df[c] = pd.to_datetime(df[c]).dt.strftime("%Y-%m-%dT%H:%M:%S")
        elif ft == "string":
            df[c] = df[c].astype(object).where(df[c].notna(), None)
            if t not in _TYPES:  # lists, structs...: their text form
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return df


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
        fields = []
        for c, ty in columns:
            f = {"name": c, "type": _TYPES.get(ty, "string")}
            d = _field_description(t, c, cdesc)
            if d:
                f["description"] = d
            if t == "indicator_values" and c == "measure_id":
                f["constraints"] = {"enum": list(measures["measure_id"])}
            fields.append(f)
        schema: dict = {"fields": fields, "missingValues": [""]}
        if t in PRIMARY_KEYS and all(k in dict(columns) for k in PRIMARY_KEYS[t]):
            schema["primaryKey"] = PRIMARY_KEYS[t]
        fks = [{"fields": f, "reference": {"resource": rt, "fields": rf}}
               for (tt, f, rt, rf) in FOREIGN_KEYS if tt == t and rt in tables and f in dict(columns)]
        if fks:
            schema["foreignKeys"] = fks
        desc = tdesc.get(t) or "A table of the warehouse; see docs/warehouse.md."
        if t == "indicator_values":
            desc += (" Each measure's title, definition, unit, multiplier and caveats are in the measures resource "
                     "(the measure registry). Suppressed cells are blank with status 'suppressed'.")
        resources.append({
            "name": t, "path": f"data/{t}.csv", "type": "table", "scheme": "file", "format": "csv",
            "mediatype": "text/csv", "encoding": "utf-8", "title": t.replace("_", " "), "description": desc,
            "dialect": {"csv": {"delimiter": ",", "lineTerminator": "\r\n", "quoteChar": '"', "header": True}},
            "hash": "sha256:" + _sha256(csv), "bytes": csv.stat().st_size, "schema": schema,
            "parquet": {"path": f"data/{t}.parquet", "hash": "sha256:" + _sha256(pq), "bytes": pq.stat().st_size},
        })
    pkg = {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "infant-care-atlas",
        "id": release_name(bid),
        "title": "Infants entering care in England (and Wales): local-authority atlas - open-data release",
        "description": ("Official statistics on children starting to be looked after aged under 1, with births, "
                        "deprivation, comparator and service context, harmonised to local authorities, as built by "
                        "the atlas pipeline. The LA measure is children starting to be looked after aged under 1 "
                        "per 10,000 live births; it is not the rate of newborns in care proceedings."),
        "version": bid,
        "created": str(info.get("built_at")),
        "build_id": bid,
        "fingerprint": str(info.get("fingerprint")),
        "code_version": str(info.get("code_version")),
        "licenses": [{"name": "OGL-UK-3.0", "title": "Open Government Licence v3.0",
                      "path": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"}],
        "sources": [{"title": r.title, "path": r.landing_page or r.url or "", "publisher": r.publisher,
                     "edition": r.edition, "licence": r.licence, "checksum": f"sha256:{r.sha256}" if r.sha256 else "",
                     "used": bool(r.used), "id": r.id}
                    for r in sources.itertuples()],
        "measures": [{k: (None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)) for k, v in row.items()}
                     for row in measures[["measure_id", "title", "definition", "numerator", "denominator", "unit",
                                          "multiplier", "polarity", "value_type", "period_type", "caveats",
                                          "official"]].to_dict("records")],
        "resources": resources,
    }
    (root / "datapackage.json").write_text(json.dumps(pkg, indent=2, ensure_ascii=False), encoding="utf-8")
    (root / "README.md").write_text(readme(info, bid, measures, sources, counts, tdesc), encoding="utf-8")


def readme(info: dict, bid: str, measures: pd.DataFrame, sources: pd.DataFrame, counts: dict[str, int],
           tdesc: dict[str, str]) -> str:
    lines = [
        "# Infants entering care in England (and Wales): local-authority atlas - open-data release", "",
        f"Release `{release_name(bid)}`: build id `{bid}` (full fingerprint `{info.get('fingerprint')}`), built "
        f"{info.get('built_at')}, code version `{info.get('code_version')}`.", "",
        "The headline LA measure, cla_starts_u1_rate, is children starting to be looked after aged under 1 (DfE) per "
        "10,000 live births. It includes all under-1s and every legal route into care; it is NOT the rate of "
        "newborns in care proceedings.", "",
        "## Files", "",
        "- `datapackage.json`: Frictionless Data Package descriptor (Table Schema with types, descriptions, primary "
        "and foreign keys; sources with publisher, edition, licence and checksum). Check it with "
        "`frictionless validate datapackage.json`.",
        "- `data/<table>.csv` and `data/<table>.parquet`: each public table in both formats (same rows).", "",
        "| table | rows | description |", "|---|---:|---|",
    ]
    for t, n in counts.items():
        d = tdesc.get(t, "").replace("|", "/")
        lines.append(f"| {t} | {n:,} | {d[:160] + ('…' if len(d) > 160 else '')} |")
    lines += [
        "", "## Reading the data", "",
        "- `indicator_values` is the long fact table: one row per measure x area x period. `status`: ok; "
        "denominator_fallback (value computed with the fallback denominator named in `note`); suppressed (withheld "
        "by the publisher to protect small numbers: value, numerator and confidence limits are blank and must not be "
        "estimated); not_applicable; not_available.",
        "- Year: year ending 31 March for DfE measures (2020 = April 2019 - March 2020); calendar year for births; "
        "edition year for snapshots.",
        "- CSV: UTF-8, comma-separated, CRLF line ends, empty cell = missing. Text cells beginning with = + - @ TAB "
        "or CR are prefixed with a single quote to keep spreadsheets safe; the Parquet files hold the exact text.",
        "- Parquet with DuckDB: `SELECT * FROM 'data/indicator_values.parquet' JOIN 'data/measures.parquet' "
        "USING (measure_id)`.",
        "", "## Measures (from the measure registry)", "",
    ]
    for r in measures.itertuples():
        lines += [f"- **{r.measure_id}**: {r.title}. {r.definition} Unit: {r.unit}."
                  + (f" Caveats: {r.caveats}" if isinstance(r.caveats, str) and r.caveats else "")]
    lines += ["", "## Sources", "", "| id | publisher | title | edition | licence | sha256 |",
              "|---|---|---|---|---|---|"]
    for r in sources.itertuples():
        lines.append(f"| {r.id} | {r.publisher} | {r.title} | {r.edition} | {r.licence} | {r.sha256 or ''} |")
    lines += ["", "## Licence", "", LICENCE, ""]
    return "\n".join(lines)


def release_zip(cache_dir: Path, warehouse: Path | None = None) -> Path:
    """The release of `warehouse` as one zip, made once per build id in `cache_dir` and reused afterwards (a file
    lock makes concurrent callers in several processes wait for the one that builds it)."""
    warehouse = Path(warehouse or config.warehouse_path())
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        bid = manifest.build_id(con.execute("SELECT fingerprint FROM build_info").fetchone()[0])
    finally:
        con.close()
    target = cache_dir / f"{release_name(bid)}.zip"
    if target.exists():
        return target
    with open(cache_dir / f".{target.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists():
            return target
        work = cache_dir / f".work-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        try:
            folder = write_release(work, warehouse)
            tmp = cache_dir / f".{target.name}.tmp-{os.getpid()}"
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as z:
                for p in sorted(folder.rglob("*")):
                    if p.is_file():
                        z.write(p, arcname=str(Path(folder.name) / p.relative_to(folder)))
            os.replace(tmp, target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def default_cache_dir() -> Path:
    """Where the app keeps release zips: $ATLAS_RELEASE_CACHE, else data/releases/ next to the warehouse."""
    env = os.environ.get("ATLAS_RELEASE_CACHE")
    return Path(env) if env else config.warehouse_path().parent / "releases"
