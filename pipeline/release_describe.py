"""What a release says about itself: the Frictionless Data Package descriptor (Table Schema types, descriptions from
docs/warehouse.md and the measure registry, primary and foreign keys, sources) and the README (pipeline/release.py)."""
from __future__ import annotations

import re

import pandas as pd

from . import manifest
from .opendata import LICENCE
from .release_paths import release_name

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")

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
TYPES = {"VARCHAR": "string", "BIGINT": "integer", "INTEGER": "integer", "SMALLINT": "integer", "TINYINT": "integer",
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
# descriptor and README
def table_schema(t: str, columns: list[tuple[str, str]], cdesc: dict[str, dict[str, str]], measures: pd.DataFrame,
                 tables: list[str]) -> dict:
    """The Table Schema of public table `t`: field types and descriptions, primary and foreign keys."""
    fields = []
    for c, ty in columns:
        f = {"name": c, "type": TYPES.get(ty, "string")}
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
    return schema


def package(info: dict, bid: str, measures: pd.DataFrame, sources: pd.DataFrame, resources: list[dict]) -> dict:
    """The Data Package descriptor (datapackage.json) of a release."""
    return {
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
