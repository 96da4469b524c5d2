"""Downloads and provenance: tidy CSV rows (official and this session's user-supplied measures), sources, build
information and manifests, table counts, and the hand-compiled reference figures."""
from __future__ import annotations

import json

import pandas as pd

from .. import userdata
from .connection import CI_COLS, SIG_COLS, _schema, query, token
from .user import user_download

_SAFE = "CASE WHEN i.status IN ('ok', 'denominator_fallback') THEN i.{c} END AS {c}"


def download(measure_ids: list[str], codes: list[str], y0: int, y1: int) -> pd.DataFrame:
    """Tidy rows for the CSV download, with an `official` column (false for user-supplied measures, whose rows
    come from the session's disclosure-controlled rows only, with their own provenance columns)."""
    off = sorted(set(m for m in measure_ids if not userdata.is_user(m)))
    codes = sorted(set(codes))
    parts = []
    if off and codes:
        out = query(f"""
        SELECT i.measure_id, m.title AS measure_title, i.area_code, a.area_name, a.area_type, a.region_name,
               i.year, i.period_label,
               CASE WHEN i.status IN ('ok', 'denominator_fallback') THEN i.value END AS value,
               m.unit,
               CASE WHEN i.status = 'suppressed' THEN NULL ELSE i.numerator END AS numerator,
               CASE WHEN i.status = 'suppressed' THEN NULL ELSE i.denominator END AS denominator,
               {", ".join(_SAFE.format(c=c) for c in CI_COLS)}, {", ".join(f"i.{c}" for c in SIG_COLS)},
               i.status, i.note, m.definition, m.caveats, i.source_id,
               s.title AS source_title, s.publisher AS source_publisher, s.edition AS source_edition,
               s.licence AS source_licence, s.landing_page AS source_url
        FROM indicator_values i
        JOIN measures m USING (measure_id)
        JOIN areas a USING (area_code)
        LEFT JOIN sources s ON s.id = i.source_id
        WHERE i.measure_id IN ({",".join("?" * len(off))}) AND i.area_code IN ({",".join("?" * len(codes))})
          AND i.year BETWEEN ? AND ?
        ORDER BY i.measure_id, a.area_type, a.area_name, i.year""", [*off, *codes, int(y0), int(y1)], large=True)
        if len(out):
            parts.append(out.assign(official=True))
    for mid in sorted(set(m for m in measure_ids if userdata.is_user(m))):
        parts.append(user_download(mid, codes, y0, y1))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def sources() -> pd.DataFrame:
    return query("""SELECT id, family, title, publisher, edition, licence, landing_page, path, sha256, checksum_ok,
                           used FROM sources ORDER BY family, id""")


def build_info() -> dict:
    df = query("SELECT * FROM build_info")
    return df.iloc[0].to_dict() if len(df) else {}


def build_manifests() -> dict[str, dict]:
    """build id -> manifest (measures, source editions) for every build this warehouse knows, itself included."""
    out = {}
    for raw in query("SELECT manifest FROM build_manifests ORDER BY built_at DESC")["manifest"]:
        m = json.loads(raw)
        out.setdefault(m["build_id"], m)
    return out


def table_counts() -> pd.DataFrame:
    names = sorted(t for t in _schema(token()) if not t.startswith("stg_"))
    rows = [(t, int(query(f'SELECT count(*) AS n FROM "{t}"')["n"].iloc[0])) for t in names]
    return pd.DataFrame(rows, columns=["table", "rows"])


def reference_figures() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(every reference figure, the definition classes, regional breakdowns): hand-compiled seeds
    (pipeline/marts/reference_figures.py) for the Newborns page."""
    figs = query("SELECT * FROM reference_figures ORDER BY source_id, line")
    classes = query("SELECT * FROM reference_definition_classes ORDER BY sort_order")
    parts = query("""SELECT b.*, a.area_name AS region_name FROM reference_figure_breakdowns b
                     JOIN areas a ON a.area_code = b.region_code ORDER BY b.region_code""")
    return figs, classes, parts
