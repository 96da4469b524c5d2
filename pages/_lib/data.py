"""The app's ONE data-access module: every warehouse query lives here.

- DuckDB read-only connection (st.cache_resource, keyed by the warehouse file's path and modification time, so a
  rebuild is picked up), one cursor per thread.
- Queries are parameterised (`?` placeholders); table and column names are constants of this module.
- Results are cached (st.cache_data; geometry with st.cache_resource because it is large and never mutated).
- Tables added by other workstreams (geometry, services, statistics) may be absent: `has_table` / `has_columns`
  let pages say "not available in this build" instead of failing.
Pages import this module and never write SQL; statistics come from the warehouse (pipeline/post/stats.py).

User-supplied measures (ids `user.<dataset>.<measure>`, see userdata.py) live in st.session_state only. The
functions below dispatch on the id: user measures are answered from the session's disclosure-controlled frames,
joined with the official area tables in pandas, and NEVER pass through st.cache_data / st.cache_resource (those are
shared between sessions).
"""
from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from pipeline import config

from . import topics, userdata

ENGLAND = "E92000001"
WALES = "W92000004"
OK_STATUSES = ("ok", "denominator_fallback")
STATUS_LABELS = {
    "ok": "Published value",
    "denominator_fallback": "Value (fallback denominator, see note)",
    "suppressed": "Suppressed by the publisher (small numbers)",
    "not_applicable": "Not applicable (area did not exist / not relevant)",
    "not_available": "Not available in the sources used",
}
USER_SUPPRESSED_LABEL = "Suppressed by the atlas's disclosure control (your data: small counts)"
CI_COLS = ["lower_95", "upper_95", "lower_998", "upper_998"]
SIG_COLS = ["sig_england_95", "sig_england_998", "sig_region_95", "sig_region_998"]

_local = threading.local()


class WarehouseMissing(RuntimeError):
    pass


# ---------------------------------------------------------------------------------------------------------------
# connection
def warehouse_path() -> Path:
    return config.warehouse_path()


def token() -> str:
    """Identifies the warehouse file version; part of every cache key."""
    p = warehouse_path()
    try:
        st_ = os.stat(p)
    except FileNotFoundError:
        raise WarehouseMissing(f"No warehouse at {p}. Run `atlas build` (or `atlas up`) first.") from None
    return f"{p}:{st_.st_mtime_ns}:{st_.st_size}"


@st.cache_resource(show_spinner=False, max_entries=2)
def _connection(tok: str):
    import duckdb
    path = tok.rsplit(":", 2)[0]
    return duckdb.connect(path, read_only=True)


def _cursor(tok: str):
    """One cursor per thread on the shared read-only connection."""
    con = _connection(tok)
    cur = getattr(_local, "cur", None)
    if cur is None or getattr(_local, "tok", None) != tok:
        cur = con.cursor()
        _local.cur, _local.tok = cur, tok
    return cur


def _df(tok: str, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    return _cursor(tok).execute(sql, list(params)).df()


# ---------------------------------------------------------------------------------------------------------------
# schema discovery
@st.cache_data(show_spinner=False)
def _schema(tok: str) -> dict[str, list[str]]:
    df = _df(tok, "SELECT table_name, column_name FROM information_schema.columns ORDER BY table_name, ordinal_position")
    return {t: list(g["column_name"]) for t, g in df.groupby("table_name")}


def has_table(name: str) -> bool:
    return name in _schema(token())


def has_columns(table: str, cols: list[str]) -> bool:
    have = set(_schema(token()).get(table, []))
    return all(c in have for c in cols)


def has_ci() -> bool:
    return has_columns("indicator_values", CI_COLS)


def has_sig() -> bool:
    return has_columns("indicator_values", SIG_COLS)


def _iv_extra_cols(alias: str = "i") -> str:
    """SQL select-list fragment for the optional statistics columns (NULL when the stats step has not run)."""
    parts = []
    for c in CI_COLS:
        parts.append(f"{alias}.{c}" if has_columns("indicator_values", [c]) else f"CAST(NULL AS DOUBLE) AS {c}")
    for c in SIG_COLS:
        parts.append(f"{alias}.{c}" if has_columns("indicator_values", [c]) else f"CAST(NULL AS VARCHAR) AS {c}")
    return ", ".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# registries
@st.cache_data(show_spinner=False)
def _measures(tok: str) -> pd.DataFrame:
    m = _df(tok, "SELECT * FROM measures ORDER BY measure_id")
    lev = _df(tok, """
        SELECT i.measure_id,
               count(*) FILTER (WHERE a.area_type = 'la' AND i.value IS NOT NULL) AS n_la_values,
               count(*) FILTER (WHERE a.area_type = 'region' AND i.value IS NOT NULL) AS n_region_values,
               min(i.year) FILTER (WHERE i.value IS NOT NULL) AS min_year,
               max(i.year) FILTER (WHERE i.value IS NOT NULL) AS max_year
        FROM indicator_values i JOIN areas a USING (area_code) GROUP BY 1""")
    m = m.merge(lev, on="measure_id", how="left")
    m["n_la_values"] = m["n_la_values"].fillna(0).astype(int)
    m["n_region_values"] = m["n_region_values"].fillna(0).astype(int)
    m["level"] = m.apply(lambda r: "la" if r.n_la_values > 0 else ("region" if r.n_region_values > 0 else "none"),
                         axis=1)
    return m


def measures() -> pd.DataFrame:
    return _measures(token())


def measure_ids() -> list[str]:
    """Official measure ids grouped by topic, headline measures first (topics.ordered)."""
    return order_measures(list(measures()["measure_id"]))


def order_measures(ids: list[str]) -> list[str]:
    """Measure ids (official or user) in the app's topic order."""
    return topics.ordered(ids, measure_row, userdata.is_user)


def group_measures(ids: list[str]) -> list[tuple[str, list[str]]]:
    """[(topic, ids)] in the app's topic order."""
    return topics.grouped(ids, measure_row, userdata.is_user)


def measure_row(measure_id: str) -> dict:
    """Registry row of an official measure ({} if unknown); never looks at user data."""
    return _measure_dicts(token()).get(measure_id, {})


def topic(measure_id: str) -> str:
    return topics.topic_of(measure_row(measure_id), userdata.is_user(measure_id))


@st.cache_resource(show_spinner=False, max_entries=2)
def _measure_dicts(tok: str) -> dict[str, dict]:
    return {r["measure_id"]: r for r in _measures(tok).to_dict("records")}


def measure(measure_id: str) -> dict:
    """Registry row of one measure (a shared read-only dict: do not modify)."""
    if userdata.is_user(measure_id):
        return user_meta(measure_id)
    return _measure_dicts(token()).get(measure_id, {})


def is_user(measure_id) -> bool:
    return userdata.is_user(measure_id)


def measures_for(measure_ids: list[str]) -> pd.DataFrame:
    """Registry rows (official and user-supplied) of these measures, with an `official` flag."""
    m = measures()
    m = m[m["measure_id"].isin(measure_ids)].copy()
    m["official"] = True
    u = [user_meta(x) for x in measure_ids if userdata.is_user(x)]
    if u:
        m = pd.concat([m, pd.DataFrame([x for x in u if x])], ignore_index=True)
    return m


def map_measure_ids() -> list[str]:
    """Measures with area values (LA or region), the headline measure first."""
    m = measures()
    m = m[m["level"] != "none"]
    return order_measures(list(m["measure_id"])) + user_measure_ids()


def default_measure() -> str:
    ids = map_measure_ids()
    return ids[0] if ids else ""


@st.cache_data(show_spinner=False)
def _measure_years(tok: str, measure_id: str) -> list[int]:
    df = _df(tok, "SELECT DISTINCT year FROM indicator_values WHERE measure_id = ? AND value IS NOT NULL ORDER BY year",
             [measure_id])
    return [int(y) for y in df["year"]]


def measure_years(measure_id: str) -> list[int]:
    if userdata.is_user(measure_id):
        v = userdata.frame(measure_id)
        return sorted(int(y) for y in v.loc[v["value"].notna(), "year"].unique()) if len(v) else []
    return _measure_years(token(), measure_id)


@st.cache_data(show_spinner=False)
def _period_labels(tok: str, measure_id: str) -> dict[int, str]:
    df = _df(tok, "SELECT year, min(period_label) AS p FROM indicator_values WHERE measure_id = ? GROUP BY 1",
             [measure_id])
    return {int(r.year): str(r.p) for r in df.itertuples()}


def period_label(measure_id: str, year: int) -> str:
    if userdata.is_user(measure_id):
        return f"{int(year) - 1}/{str(int(year))[-2:]}"
    return _period_labels(token(), measure_id).get(int(year), str(year))


@st.cache_data(show_spinner=False)
def _areas(tok: str) -> pd.DataFrame:
    return _df(tok, "SELECT * FROM areas ORDER BY area_type, area_name")


def areas() -> pd.DataFrame:
    return _areas(token())


@st.cache_resource(show_spinner=False, max_entries=2)
def _area_names(tok: str) -> dict[str, str]:
    a = _areas(tok)
    return dict(zip(a["area_code"], a["area_name"]))


def area_names() -> dict[str, str]:
    """code -> name for every area (a shared read-only dict: do not modify)."""
    return _area_names(token())


def la_codes(current_only: bool = False) -> list[str]:
    a = areas()
    a = a[a["area_type"] == "la"]
    if current_only:
        a = a[a["valid_to"].isna()]
    return list(a.sort_values("area_name")["area_code"])


def region_codes() -> list[str]:
    a = areas()
    return list(a[a["area_type"] == "region"].sort_values("area_name")["area_code"])


def area_info(code: str) -> dict:
    a = areas()
    row = a[a["area_code"] == code]
    return row.iloc[0].to_dict() if len(row) else {}


# ---------------------------------------------------------------------------------------------------------------
# values
@st.cache_data(show_spinner=False, max_entries=256)
def _values(tok: str, measure_id: str, year: int, area_type: str) -> pd.DataFrame:
    return _df(tok, f"""
        SELECT i.area_code, a.area_name, a.area_type, a.region_code, a.region_name, a.country, i.year,
               i.period_label, i.value, i.numerator, i.denominator, i.status, i.note, i.source_id,
               {_iv_extra_cols()}
        FROM indicator_values i JOIN areas a USING (area_code)
        WHERE i.measure_id = ? AND i.year = ? AND a.area_type = ?
        ORDER BY a.area_name""", [measure_id, int(year), area_type])


def values(measure_id: str, year: int, level: str = "la") -> pd.DataFrame:
    """Values of one measure and year for LAs (`la`), regions (`region`) or England (`england`)."""
    if userdata.is_user(measure_id):
        d = user_frame(measure_id)
        d = d[(d["year"] == int(year)) & (d["area_type"] == level)].sort_values("area_name")
        return d[_VALUE_COLS].reset_index(drop=True)
    return _values(token(), measure_id, int(year), level)


@st.cache_data(show_spinner=False, max_entries=256)
def _series(tok: str, measure_id: str, codes: tuple[str, ...]) -> pd.DataFrame:
    if not codes:
        return pd.DataFrame()
    ph = ",".join("?" * len(codes))
    return _df(tok, f"""
        SELECT i.area_code, a.area_name, a.area_type, i.year, i.period_label, i.value, i.numerator, i.denominator,
               i.status, i.note, {_iv_extra_cols()}
        FROM indicator_values i JOIN areas a USING (area_code)
        WHERE i.measure_id = ? AND i.area_code IN ({ph})
        ORDER BY a.area_name, i.year""", [measure_id, *codes])


def series(measure_id: str, codes: list[str]) -> pd.DataFrame:
    if userdata.is_user(measure_id):
        d = user_frame(measure_id)
        d = d[d["area_code"].isin(codes)].sort_values(["area_name", "year"])
        return d[_SERIES_COLS].reset_index(drop=True)
    return _series(token(), measure_id, tuple(sorted(set(codes))))


@st.cache_data(show_spinner=False)
def _successors(tok: str) -> pd.DataFrame:
    return _df(tok, """
        SELECT s.*, o.area_name AS old_name, n.area_name AS new_name
        FROM area_successors s LEFT JOIN areas o ON o.area_code = s.old_code LEFT JOIN areas n ON n.area_code = s.new_code
        ORDER BY from_year""")


def successors() -> pd.DataFrame:
    return _successors(token())


def breaks_for(codes: list[str]) -> pd.DataFrame:
    """Reorganisations touching these areas (as old or new code), one row per change."""
    s = successors()
    return s[s["old_code"].isin(codes) | s["new_code"].isin(codes)]


def predecessors(code: str) -> list[str]:
    s = successors()
    return list(s[s["new_code"] == code]["old_code"])


CONTINUITY_COLS = ["measure_id", "area_code", "area_name", "area_type", "year", "period_label", "value", "numerator",
                   "denominator", "lower_95", "upper_95", "status", "note", "components", "change_type", "method",
                   "label"]


@st.cache_data(show_spinner=False, max_entries=256)
def _continuity(tok: str, measure_id: str, codes: tuple[str, ...]) -> pd.DataFrame:
    ph = ",".join("?" * len(codes))
    return _df(tok, f"""
        SELECT c.measure_id, c.area_code, a.area_name, a.area_type, c.year, c.period_label, c.value, c.numerator,
               c.denominator, c.lower_95, c.upper_95, c.status, c.note, c.components, c.change_type, c.method,
               c.label
        FROM continuity_series c JOIN areas a USING (area_code)
        WHERE c.measure_id = ?
          AND (c.area_code IN ({ph})
               OR (c.change_type = 'split' AND list_has_any(string_split(c.components, ','), ?::VARCHAR[])))
        ORDER BY c.area_code, c.year""", [measure_id, *codes, list(codes)])


def continuity(measure_id: str, codes: list[str]) -> pd.DataFrame:
    """Continuity rows (pipeline/post/continuity.py) for these LAs: rows under a selected code (its former code's
    figures, for a same-boundary recode) and, for a selected successor of a split, the former area rebuilt as the
    sum of its successors (under the former area's code). Empty for user measures / builds without the table."""
    if not codes or userdata.is_user(measure_id) or not has_table("continuity_series"):
        return pd.DataFrame(columns=CONTINUITY_COLS)
    return _continuity(token(), measure_id, tuple(sorted(set(codes))))


@st.cache_data(show_spinner=False, max_entries=64)
def _area_latest(tok: str, code: str) -> pd.DataFrame:
    """Latest value of every measure for one area, with England and the area's region for the same year."""
    return _df(tok, f"""
        WITH latest AS (
            SELECT measure_id, max(year) AS year FROM indicator_values
            WHERE area_code = ? AND value IS NOT NULL GROUP BY 1),
        la AS (
            SELECT i.*, {_iv_extra_cols()} FROM indicator_values i JOIN latest USING (measure_id, year)
            WHERE i.area_code = ?)
        SELECT la.measure_id, m.short_title, m.unit, m.value_type, m.polarity, la.year, la.period_label,
               la.value, la.numerator, la.denominator, la.status, la.note, la.lower_95, la.upper_95,
               la.sig_england_95, la.sig_region_95,
               r.value AS region_value, e.value AS england_value
        FROM la JOIN measures m USING (measure_id)
        LEFT JOIN areas a ON a.area_code = la.area_code
        LEFT JOIN indicator_values r ON r.measure_id = la.measure_id AND r.year = la.year
             AND r.area_code = a.region_code AND r.period_label = la.period_label
        LEFT JOIN indicator_values e ON e.measure_id = la.measure_id AND e.year = la.year
             AND e.area_code = '{ENGLAND}' AND e.period_label = la.period_label
        ORDER BY la.measure_id""", [code, code])


def area_latest(code: str, with_user: bool = False) -> pd.DataFrame:
    """Latest value of every measure for one area; with_user adds this session's user measures (the latest year
    in which the area has a row, with the extract's own region/England rows where it has them)."""
    out = _area_latest(token(), code)
    if not with_user or not user_measure_ids():
        return out
    rows = []
    info = area_info(code)
    for mid in user_measure_ids():
        d = user_frame(mid)
        mine = d[d["area_code"] == code]
        if mine.empty:
            continue
        r = mine.sort_values("year").iloc[-1]
        same = d[d["year"] == r["year"]].set_index("area_code")["value"]
        m = user_meta(mid)
        rows.append({"measure_id": mid, "short_title": m["short_title"], "unit": m["unit"], "value_type": "rate",
                     "polarity": "neutral", "year": int(r["year"]), "period_label": r["period_label"],
                     "value": r["value"], "numerator": r["numerator"], "denominator": r["denominator"],
                     "status": r["status"], "note": r["note"], "lower_95": r["lower_95"], "upper_95": r["upper_95"],
                     "sig_england_95": r["sig_england_95"], "sig_region_95": None,
                     "region_value": same.get(info.get("region_code")), "england_value": same.get(ENGLAND)})
    return pd.concat([out, pd.DataFrame(rows)], ignore_index=True) if rows else out


@st.cache_data(show_spinner=False, max_entries=64)
def _spine(tok: str, measure_ids: tuple[str, ...], year_of: tuple[tuple[str, int], ...]) -> pd.DataFrame:
    """Distribution of LA values (min, quartiles, max) per measure for the given year of each measure."""
    rows = []
    for mid, yr in year_of:
        d = _df(tok, """
            SELECT ? AS measure_id, ? AS year, min(value) AS lo, quantile_cont(value, 0.25) AS q1,
                   median(value) AS med, quantile_cont(value, 0.75) AS q3, max(value) AS hi, count(value) AS n
            FROM indicator_values i JOIN areas a USING (area_code)
            WHERE i.measure_id = ? AND i.year = ? AND a.area_type = 'la' AND a.country = 'England'
              AND i.value IS NOT NULL""", [mid, int(yr), mid, int(yr)])
        rows.append(d)
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def spine(latest: pd.DataFrame) -> pd.DataFrame:
    pairs = tuple((r.measure_id, int(r.year)) for r in latest.itertuples() if not userdata.is_user(r.measure_id))
    out = _spine(token(), tuple(p[0] for p in pairs), pairs) if pairs else pd.DataFrame()
    rows = []
    for r in latest.itertuples():
        if userdata.is_user(r.measure_id):
            d = user_frame(r.measure_id)
            v = d[(d["year"] == r.year) & (d["area_type"] == "la") & (d["country"] == "England")]["value"].dropna()
            rows.append({"measure_id": r.measure_id, "year": int(r.year), "lo": v.min(), "q1": v.quantile(0.25),
                         "med": v.median(), "q3": v.quantile(0.75), "hi": v.max(), "n": len(v)})
    return pd.concat([out, pd.DataFrame(rows)], ignore_index=True) if rows else out


@st.cache_data(show_spinner=False, max_entries=64)
def _compare(tok: str, codes: tuple[str, ...], measure_ids: tuple[str, ...], year_of: tuple[tuple[str, int], ...]):
    rows = []
    ph = ",".join("?" * len(codes))
    for mid, yr in year_of:
        rows.append(_df(tok, f"""
            SELECT i.measure_id, i.area_code, a.area_name, a.area_type, i.year, i.period_label, i.value, i.numerator,
                   i.denominator, i.status, i.note, {_iv_extra_cols()}
            FROM indicator_values i JOIN areas a USING (area_code)
            WHERE i.measure_id = ? AND i.year = ? AND i.area_code IN ({ph})""", [mid, int(yr), *codes]))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def compare(codes: list[str], latest: pd.DataFrame) -> pd.DataFrame:
    """Values of `codes` for each measure in `latest` at that measure's year (the focus LA's latest)."""
    pairs = tuple((r.measure_id, int(r.year)) for r in latest.itertuples() if not userdata.is_user(r.measure_id))
    if not codes or latest.empty:
        return pd.DataFrame()
    out = _compare(token(), tuple(dict.fromkeys(codes)), tuple(p[0] for p in pairs), pairs) if pairs else None
    parts = [] if out is None else [out]
    for r in latest.itertuples():
        if userdata.is_user(r.measure_id):
            d = user_frame(r.measure_id)
            parts.append(d[(d["year"] == r.year) & d["area_code"].isin(codes)][
                ["measure_id", "area_code", "area_name", "area_type", "year", "period_label", "value", "numerator",
                 "denominator", "status", "note", *CI_COLS, *SIG_COLS]])
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# ---------------------------------------------------------------------------------------------------------------
# geometry (from the geo workstream: boundary_layers, boundary_layer_years, la_geo)
def has_geometry() -> bool:
    return has_table("boundary_layers") and has_table("boundary_layer_years")


@st.cache_resource(show_spinner=False, max_entries=16)
def _layer(tok: str, layer_id: str) -> dict | None:
    df = _df(tok, "SELECT layer_id, level, geojson FROM boundary_layers WHERE layer_id = ?", [layer_id])
    if df.empty:
        return None
    gj = json.loads(df["geojson"].iloc[0])
    lons, lats = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            lons.append(c[0])
            lats.append(c[1])
        else:
            for x in c:
                walk(x)
    for f in gj.get("features", []):
        walk(f["geometry"]["coordinates"])
    codes = {str(f.get("id") or f.get("properties", {}).get("area_code")) for f in gj.get("features", [])}
    lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
    span = max(lon1 - lon0, (lat1 - lat0) * 1.6, 1e-6)
    zoom = max(0.0, min(12.0, math.log2(360 / span) + 0.15))
    return {"layer_id": layer_id, "geojson": gj, "codes": codes,
            "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2}, "zoom": zoom,
            "bounds": [[lon0, lat0], [lon1, lat1]]}


@st.cache_data(show_spinner=False)
def _layer_ids(tok: str) -> pd.DataFrame:
    return _df(tok, "SELECT layer_id, vintage, country, level FROM boundary_layers ORDER BY vintage")


@st.cache_data(show_spinner=False)
def _layer_years(tok: str) -> pd.DataFrame:
    return _df(tok, "SELECT year, country, layer_id FROM boundary_layer_years")


@st.cache_resource(show_spinner=False, max_entries=16)
def _merged(tok: str, layer_ids: tuple[str, ...]) -> dict | None:
    parts = [p for p in (_layer(tok, lid) for lid in layer_ids) if p]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    feats = [f for p in parts for f in p["geojson"]["features"]]
    gj = {"type": "FeatureCollection", "features": feats}
    lons = [p["center"]["lon"] for p in parts]
    lats = [p["center"]["lat"] for p in parts]
    return {"layer_id": "+".join(layer_ids), "geojson": gj, "codes": set().union(*(p["codes"] for p in parts)),
            "center": {"lon": sum(lons) / len(lons), "lat": sum(lats) / len(lats)},
            "zoom": min(p["zoom"] for p in parts),
            "bounds": [[min(p["bounds"][0][0] for p in parts), min(p["bounds"][0][1] for p in parts)],
                       [max(p["bounds"][1][0] for p in parts), max(p["bounds"][1][1] for p in parts)]]}


def layer_for(year: int, level: str = "la", countries: tuple[str, ...] = ("England",)) -> dict | None:
    """The boundary layer (parsed GeoJSON, codes, centre, zoom) for a data year; None if geometry is missing.
    Several countries give one merged layer."""
    if not has_geometry():
        return None
    tok = token()
    if level == "la":
        ly = _layer_years(tok)
        ids = []
        for country in countries:
            cand = ly[ly["country"] == country]
            if cand.empty:
                continue
            row = cand[cand["year"] == int(year)]
            if row.empty:  # nearest year with a layer
                row = cand.iloc[[(cand["year"] - int(year)).abs().argmin()]]
            ids.append(str(row["layer_id"].iloc[0]))
        return _merged(tok, tuple(ids))
    ids = _layer_ids(tok)
    ids = ids[(ids["level"] == "region")]
    if ids.empty:
        return None
    return _layer(tok, str(ids["layer_id"].iloc[-1]))


def trend_measure_ids() -> list[str]:
    """Measures with values in at least two years (any level), the headline first; then this session's user
    measures (even with one year, so an upload always shows up)."""
    m = measures()
    m = m[(m["level"] != "none") | (m["min_year"].notna())]
    ids = [r.measure_id for r in m.itertuples() if r.min_year == r.min_year and r.max_year != r.min_year]
    return order_measures(ids) + user_measure_ids()


@st.cache_data(show_spinner=False)
def _la_geo(tok: str) -> pd.DataFrame:
    return _df(tok, "SELECT * FROM la_geo")


def la_geo() -> pd.DataFrame:
    return _la_geo(token()) if has_table("la_geo") else pd.DataFrame()


# ---------------------------------------------------------------------------------------------------------------
# statistics tables (from the stats workstream)
@st.cache_data(show_spinner=False, max_entries=64)
def _funnel(tok: str, measure_id: str, year: int):
    pts = _df(tok, """
        SELECT f.*, a.area_name, a.region_name FROM funnel_points f JOIN areas a USING (area_code)
        WHERE f.measure_id = ? AND f.year = ? ORDER BY f.denominator""", [measure_id, int(year)])
    lim = _df(tok, "SELECT * FROM funnel_limits WHERE measure_id = ? AND year = ? ORDER BY denominator",
              [measure_id, int(year)])
    par = (_df(tok, "SELECT * FROM funnel_params WHERE measure_id = ? AND year = ?", [measure_id, int(year)])
           if "funnel_params" in _schema(tok) else pd.DataFrame())
    return pts, lim, par


def funnel(measure_id: str, year: int):
    """(points, limits, params) or None if the statistics tables are missing."""
    if userdata.is_user(measure_id):
        return user_funnel(measure_id, year)
    if not (has_table("funnel_points") and has_table("funnel_limits")):
        return None
    return _funnel(token(), measure_id, int(year))


@st.cache_data(show_spinner=False, max_entries=64)
def _stat_table(tok: str, table: str, where: str, params: tuple) -> pd.DataFrame:
    assert table in _ALLOWED_STAT_TABLES and where in _ALLOWED_WHERE
    return _df(tok, f"SELECT * FROM {table} {where}", list(params))


_ALLOWED_STAT_TABLES = {"deprivation_gradient", "inequality_indices", "ns_models", "ns_summary", "ns_expected",
                        "trends", "stat_neighbours", "stat_neighbour_variables", "services_points",
                        "ns_context_models"}
_ALLOWED_WHERE = {"", "WHERE measure_id = ? AND year = ?", "WHERE measure_id = ?", "WHERE area_code = ?",
                  "WHERE period = ?"}


def stat_table(table: str, where: str = "", params: tuple = ()) -> pd.DataFrame | None:
    if not has_table(table):
        return None
    return _stat_table(token(), table, where, tuple(params))


def deprivation_gradient(measure_id: str, year: int) -> pd.DataFrame | None:
    return stat_table("deprivation_gradient", "WHERE measure_id = ? AND year = ?", (measure_id, int(year)))


def inequality(measure_id: str, year: int) -> pd.DataFrame | None:
    return stat_table("inequality_indices", "WHERE measure_id = ? AND year = ?", (measure_id, int(year)))


def ns_models() -> pd.DataFrame | None:
    return stat_table("ns_models")


def ns_summary() -> pd.DataFrame | None:
    return stat_table("ns_summary")


def ns_expected(period: str) -> pd.DataFrame | None:
    d = stat_table("ns_expected", "WHERE period = ?", (period,))
    if d is None:
        return None
    names = area_names()
    d = d.copy()
    d["area_name"] = d["area_code"].map(names)
    return d


def trend_summary(measure_id: str) -> pd.DataFrame | None:
    return stat_table("trends", "WHERE measure_id = ?", (measure_id,))


def stat_neighbours(code: str) -> list[str]:
    d = stat_table("stat_neighbours", "WHERE area_code = ?", (code,))
    if d is None or d.empty:
        return []
    return list(d.sort_values("rank")["neighbour_code"])


# ---------------------------------------------------------------------------------------------------------------
# north-south / deprivation scatter data
@st.cache_data(show_spinner=False, max_entries=32)
def _scatter(tok: str, measure_id: str, year: int, imd_measure: str, births_measure: str, with_geo: bool):
    geo_cols = "g.north_south_km, g.bng_n" if with_geo else "CAST(NULL AS DOUBLE) AS north_south_km, CAST(NULL AS DOUBLE) AS bng_n"
    geo_join = "LEFT JOIN la_geo g ON g.area_code = i.area_code" if with_geo else ""
    return _df(tok, f"""
        SELECT i.area_code, a.area_name, a.region_name, i.value, i.numerator, i.denominator, i.status,
               {geo_cols}, d.value AS imd_score,
               coalesce(i.denominator, b.value) AS births
        FROM indicator_values i JOIN areas a USING (area_code)
        {geo_join}
        LEFT JOIN (SELECT area_code, value FROM indicator_values WHERE measure_id = ?
                   QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY year DESC) = 1) d
               ON d.area_code = i.area_code
        LEFT JOIN (SELECT area_code, value FROM indicator_values WHERE measure_id = ?
                   QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY year DESC) = 1) b
               ON b.area_code = i.area_code
        WHERE i.measure_id = ? AND i.year = ? AND a.area_type = 'la' AND a.country = 'England'
        ORDER BY a.area_name""", [imd_measure, births_measure, measure_id, int(year)])


def scatter_data(measure_id: str, year: int) -> pd.DataFrame:
    if userdata.is_user(measure_id):
        return user_scatter(measure_id, year)
    return _scatter(token(), measure_id, int(year), "imd2019_score", "live_births", has_table("la_geo"))


# ---------------------------------------------------------------------------------------------------------------
# services
def services_points() -> pd.DataFrame | None:
    return stat_table("services_points")


@st.cache_data(show_spinner=False, max_entries=64)
def _nearest_mbus(tok: str, code: str, n: int) -> pd.DataFrame:
    # great-circle distance (haversine, km) from the LA's representative point to each unit
    return _df(tok, """
        SELECT s.name, s.trust, s.town, s.beds, s.status, s.location_confidence,
               round(2 * 6371.0088 * asin(sqrt(
                   pow(sin(radians(s.lat - g.rep_lat) / 2), 2) +
                   cos(radians(g.rep_lat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - g.rep_lon) / 2), 2))), 1)
                   AS distance_km
        FROM services_points s, la_geo g
        WHERE g.area_code = ? AND s.lat IS NOT NULL AND s.lon IS NOT NULL
        ORDER BY distance_km LIMIT ?""", [code, int(n)])


def nearest_mbus(code: str, n: int = 5) -> pd.DataFrame | None:
    if not (has_table("services_points") and has_table("la_geo")):
        return None
    return _nearest_mbus(token(), code, int(n))


# ---------------------------------------------------------------------------------------------------------------
# downloads
@st.cache_data(show_spinner=False, max_entries=32)
def _download(tok: str, measure_ids: tuple[str, ...], codes: tuple[str, ...], y0: int, y1: int) -> pd.DataFrame:
    if not measure_ids or not codes:
        return pd.DataFrame()
    pm = ",".join("?" * len(measure_ids))
    pc = ",".join("?" * len(codes))
    suppressed_safe = "CASE WHEN i.status IN ('ok', 'denominator_fallback') THEN {c} END AS {n}"
    cis = ", ".join(suppressed_safe.format(c=f"x.{c}", n=c) for c in CI_COLS)
    sigs = ", ".join(f"x.{c}" for c in SIG_COLS)
    return _df(tok, f"""
        WITH x AS (SELECT i.measure_id, i.area_code, i.year, i.period_label, {_iv_extra_cols()}
                   FROM indicator_values i)
        SELECT i.measure_id, m.title AS measure_title, i.area_code, a.area_name, a.area_type, a.region_name,
               i.year, i.period_label,
               CASE WHEN i.status IN ('ok', 'denominator_fallback') THEN i.value END AS value,
               m.unit,
               CASE WHEN i.status = 'suppressed' THEN NULL ELSE i.numerator END AS numerator,
               CASE WHEN i.status = 'suppressed' THEN NULL ELSE i.denominator END AS denominator,
               {cis}, {sigs},
               i.status, i.note, m.definition, m.caveats, i.source_id,
               s.title AS source_title, s.publisher AS source_publisher, s.edition AS source_edition,
               s.licence AS source_licence, s.landing_page AS source_url
        FROM indicator_values i
        JOIN measures m USING (measure_id)
        JOIN areas a USING (area_code)
        JOIN x USING (measure_id, area_code, year, period_label)
        LEFT JOIN sources s ON s.id = i.source_id
        WHERE i.measure_id IN ({pm}) AND i.area_code IN ({pc}) AND i.year BETWEEN ? AND ?
        ORDER BY i.measure_id, a.area_type, a.area_name, i.year""", [*measure_ids, *codes, int(y0), int(y1)])


def download(measure_ids: list[str], codes: list[str], y0: int, y1: int) -> pd.DataFrame:
    """Tidy rows for the CSV download, with an `official` column (false for user-supplied measures, whose rows
    come from the session's disclosure-controlled frames only)."""
    off = tuple(sorted(set(m for m in measure_ids if not userdata.is_user(m))))
    out = _download(token(), off, tuple(sorted(set(codes))), int(y0), int(y1)) if off else pd.DataFrame()
    if len(out):
        out = out.assign(official=True)
    parts = [out] if len(out) else []
    for mid in sorted(set(m for m in measure_ids if userdata.is_user(m))):
        parts.append(user_download(mid, codes, y0, y1))
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


@st.cache_data(show_spinner=False)
def _year_range(tok: str) -> tuple[int, int]:
    r = _cursor(tok).execute("SELECT min(year), max(year) FROM indicator_values").fetchone()
    return int(r[0]), int(r[1])


def year_range() -> tuple[int, int]:
    y0, y1 = _year_range(token())
    for mid in user_measure_ids():
        v = userdata.frame(mid)
        if len(v):
            y0, y1 = min(y0, int(v["year"].min())), max(y1, int(v["year"].max()))
    return y0, y1


# ---------------------------------------------------------------------------------------------------------------
# provenance
@st.cache_data(show_spinner=False)
def _sources(tok: str) -> pd.DataFrame:
    return _df(tok, """SELECT id, family, title, publisher, edition, licence, landing_page, path, sha256, checksum_ok,
                              used FROM sources ORDER BY family, id""")


def sources() -> pd.DataFrame:
    return _sources(token())


@st.cache_data(show_spinner=False)
def _build_info(tok: str) -> dict:
    df = _df(tok, "SELECT * FROM build_info")
    return df.iloc[0].to_dict() if len(df) else {}


def build_info() -> dict:
    return _build_info(token())


@st.cache_data(show_spinner=False)
def _table_counts(tok: str) -> pd.DataFrame:
    names = [t for t in _schema(tok) if not t.startswith("stg_")]
    rows = [(t, _cursor(tok).execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in sorted(names)]
    return pd.DataFrame(rows, columns=["table", "rows"])


def table_counts() -> pd.DataFrame:
    return _table_counts(token())


# ---------------------------------------------------------------------------------------------------------------
# user-supplied data (session only; pandas joins with the official area tables; never cached across sessions)
_VALUE_COLS = ["area_code", "area_name", "area_type", "region_code", "region_name", "country", "year", "period_label",
               "value", "numerator", "denominator", "status", "note", "source_id", *CI_COLS, *SIG_COLS]
_SERIES_COLS = ["area_code", "area_name", "area_type", "year", "period_label", "value", "numerator", "denominator",
                "status", "note", *CI_COLS, *SIG_COLS]
USER_ENGLAND_COMPARATOR = "England (from the extract)"
USER_SUPPRESSED_NOTE = userdata.SUPPRESSED_NOTE


def user_measure_ids() -> list[str]:
    return userdata.measure_ids()


def status_label(status, note=None) -> str:
    """Who withheld a value: the publisher for official data, the atlas's disclosure control for user data."""
    if status == "suppressed" and note == userdata.SUPPRESSED_NOTE:
        return USER_SUPPRESSED_LABEL
    return STATUS_LABELS.get(status, status)


def user_meta(measure_id: str) -> dict:
    m = userdata.meta(measure_id)
    if m:
        types = set(user_frame(measure_id)["area_type"].dropna())
        m["level"] = "la" if "la" in types else ("region" if "region" in types else "none")
    return m


def user_frame(measure_id: str) -> pd.DataFrame:
    """One user measure's disclosure-controlled rows joined with `areas`. Significance 'vs England' is given only
    where the extract has its own England row (otherwise the comparator is the extract's pooled LAs and is
    reported as such, never labelled England)."""
    v = userdata.frame(measure_id)
    a = areas()[["area_code", "area_name", "area_type", "region_code", "region_name", "country"]]
    if v.empty:
        return pd.DataFrame(columns=list(dict.fromkeys(_VALUE_COLS + _SERIES_COLS + ["measure_id", "comparator"])))
    d = v.merge(a, on="area_code", how="left")
    eng = d["comparator"].eq(USER_ENGLAND_COMPARATOR) & d["area_type"].eq("la")
    for s in ("95", "998"):
        d[f"sig_england_{s}"] = d[f"sig_comparator_{s}"].where(eng, None)
        d[f"sig_region_{s}"] = None
    sup = d["status"].eq("suppressed")  # belt and braces: the frame is already disclosure-controlled
    d.loc[sup, ["value", "numerator", *CI_COLS]] = float("nan")
    d.loc[sup, "note"] = USER_SUPPRESSED_NOTE  # never say which cells were primary and which complementary
    return d


def user_comparator(measure_id: str, year: int) -> tuple[str | None, float | None]:
    d = user_frame(measure_id)
    d = d[(d["year"] == int(year)) & d["comparator"].notna()]
    if d.empty:
        return None, None
    return str(d["comparator"].iloc[0]), float(d["comparator_value"].iloc[0])


def user_scatter(measure_id: str, year: int) -> pd.DataFrame:
    """LA rates of a user measure with distance north and IMD 2019 score (official), size = denominator."""
    d = user_frame(measure_id)
    d = d[(d["year"] == int(year)) & (d["area_type"] == "la") & (d["country"] == "England")]
    d = d[["area_code", "area_name", "region_name", "value", "numerator", "denominator", "status"]]
    g = la_geo()
    if len(g):
        d = d.merge(g[["area_code", "north_south_km", "bng_n"]], on="area_code", how="left")
    else:
        d = d.assign(north_south_km=float("nan"), bng_n=float("nan"))
    imd = _latest_official("imd2019_score")
    d = d.merge(imd.rename(columns={"value": "imd_score"}), on="area_code", how="left")
    return d.assign(births=d["denominator"]).sort_values("area_name").reset_index(drop=True)


@st.cache_data(show_spinner=False)
def _latest_official_cached(tok: str, measure_id: str) -> pd.DataFrame:
    return _df(tok, """SELECT area_code, value FROM indicator_values WHERE measure_id = ?
                      QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY year DESC) = 1""", [measure_id])


def _latest_official(measure_id: str) -> pd.DataFrame:
    return _latest_official_cached(token(), measure_id)


def user_funnel(measure_id: str, year: int):
    """(points, limits, params) for a user measure: the flags computed at import (pipeline.user_import.compute,
    around the extract's comparator); limits from pipeline.stats. Suppressed LAs are not plotted."""
    from pipeline import stats
    comp, target = user_comparator(measure_id, year)
    d = user_frame(measure_id)
    d = d[(d["year"] == int(year)) & (d["area_type"] == "la") & d["value"].notna()]
    if target is None or d.empty:
        return None
    mult = float(user_meta(measure_id).get("multiplier") or 10000)
    pts = d[["area_code", "area_name", "region_name", "numerator", "denominator", "value"]].assign(
        flag_95=d["funnel_flag_95"].values, flag_998=d["funnel_flag_998"].values).sort_values("denominator")
    lo_d, hi_d = max(1.0, float(d["denominator"].min()) * 0.8), float(d["denominator"].max()) * 1.2
    grid = pd.Series(sorted(set(float(x) for x in pd.Series(range(0, 201)) / 200 * (hi_d - lo_d) + lo_d)))
    lim = pd.DataFrame({"denominator": grid})
    for lvl, sfx in ((0.95, "95"), (0.998, "998")):
        lo, hi = stats.funnel_limits(target / mult, grid.to_numpy(), lvl)
        lim[f"lower_{sfx}"], lim[f"upper_{sfx}"] = lo * mult, hi * mult
    par = pd.DataFrame([{"measure_id": measure_id, "year": int(year), "target": target, "method": comp,
                         "n_areas": len(pts)}])
    return pts.reset_index(drop=True), lim, par


def user_download(measure_id: str, codes: list[str], y0: int, y1: int) -> pd.DataFrame:
    d = user_frame(measure_id)
    d = d[d["area_code"].isin(codes) & d["year"].between(int(y0), int(y1))]
    if d.empty:
        return pd.DataFrame()
    m = user_meta(measure_id)
    d = d.sort_values(["area_type", "area_name", "year"])
    out = pd.DataFrame({
        "measure_id": d["measure_id"], "measure_title": m["title"], "area_code": d["area_code"],
        "area_name": d["area_name"], "area_type": d["area_type"], "region_name": d["region_name"],
        "year": d["year"], "period_label": d["period_label"], "value": d["value"], "unit": m["unit"],
        "numerator": d["numerator"], "denominator": d["denominator"],
        **{c: d[c] for c in CI_COLS}, **{c: d[c] for c in SIG_COLS},
        "status": d["status"], "note": d["note"], "definition": m["definition"], "caveats": m["caveats"],
        "source_id": "user-supplied", "source_title": f"user file {m['file_name']}",
        "source_publisher": "user-supplied (not official statistics)", "source_edition": None,
        "source_licence": "as agreed with the data owner", "source_url": None,
        "comparator": d["comparator"], "comparator_value": d["comparator_value"],
        "sig_comparator_95": d["sig_comparator_95"], "sig_comparator_998": d["sig_comparator_998"],
        "funnel_flag_95": d["funnel_flag_95"], "funnel_flag_998": d["funnel_flag_998"],
        "official": False, "badge": userdata.BADGE})
    return out.reset_index(drop=True)


# validation and computation of an upload: the same code as `atlas import`, on this app's read-only connection
def validate_upload(data: bytes, max_bytes: int):
    from pipeline import user_import
    return user_import.validate_extract(data, _cursor(token()), max_bytes=max_bytes)


def compute_upload(values: pd.DataFrame, rule):
    from pipeline import user_import
    return user_import.compute(values, _cursor(token()), rule)


def user_dir() -> Path:
    from pipeline import user_import
    return user_import.user_db_path("x").parent


def imported_datasets() -> list[str]:
    """Names of datasets imported with `atlas import` (data/user/*.duckdb or $ATLAS_USER_DIR)."""
    d = user_dir()
    return sorted(p.stem for p in d.glob("*.duckdb")) if d.is_dir() else []


def load_imported(name: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Read a CLI-imported dataset read-only (it already holds only disclosure-controlled values)."""
    import duckdb

    from pipeline import user_import
    if name not in imported_datasets():
        raise FileNotFoundError(name)
    con = duckdb.connect(str(user_import.user_db_path(name)), read_only=True)
    try:
        v = con.execute("SELECT * FROM user_values").df()
        m = con.execute("SELECT * FROM user_measures").df()
        info = con.execute("SELECT * FROM import_info").df().iloc[0].to_dict()
    finally:
        con.close()
    return v, m, info


# ---------------------------------------------------------------------------------------------------------------
# build manifests (permalinks made on another build: cite.py)
@st.cache_data(show_spinner=False)
def _build_manifests(tok: str) -> dict[str, dict]:
    if "build_manifests" not in _schema(tok):
        return {}
    df = _df(tok, "SELECT manifest FROM build_manifests ORDER BY built_at DESC")
    out = {}
    for raw in df["manifest"]:
        m = json.loads(raw)
        out.setdefault(m["build_id"], m)
    return out


def build_manifests() -> dict[str, dict]:
    """build id -> manifest (measures, source editions) for every build this warehouse knows, itself included."""
    return _build_manifests(token())


# hand-compiled reference figures (seeds; pipeline/marts/reference_figures.py) for the Newborns page
@st.cache_data(show_spinner=False)
def _reference(tok: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    figs = _df(tok, "SELECT * FROM reference_figures ORDER BY source_id, line")
    classes = _df(tok, "SELECT * FROM reference_definition_classes ORDER BY sort_order")
    parts = _df(tok, """SELECT b.*, a.area_name AS region_name FROM reference_figure_breakdowns b
                        JOIN areas a ON a.area_code = b.region_code ORDER BY b.region_code""")
    return figs, classes, parts


def reference_figures() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """(every reference figure, the definition classes, regional breakdowns) or None if this build lacks them."""
    if not has_table("reference_figures"):
        return None
    return _reference(token())


@st.cache_data(show_spinner=False, max_entries=16)
def _level_series(tok: str, measure_id: str, area_type: str) -> pd.DataFrame:
    return _df(tok, f"""
        SELECT i.area_code, a.area_name, a.area_type, a.region_code, a.region_name, i.year, i.period_label, i.value,
               i.numerator, i.denominator, i.status, i.note, {_iv_extra_cols()}
        FROM indicator_values i JOIN areas a USING (area_code)
        WHERE i.measure_id = ? AND a.area_type = ? ORDER BY a.area_name, i.year""", [measure_id, area_type])


def level_series(measure_id: str, area_type: str) -> pd.DataFrame:
    """Every year of one official measure for all areas of one type ('la', 'region', 'england')."""
    return _level_series(token(), measure_id, area_type)


# ---------------------------------------------------------------------------------------------------------------
# comparator sets (pipeline/marts/comparators.py, pipeline/post/comparators.py): DfE statistical neighbours
# (default), the April 2021 DfE edition, ONS similar areas (English upper-tier LAs only), the atlas's own model
DEFAULT_COMPARATOR_SET = "dfe_sn_2025"


@st.cache_data(show_spinner=False)
def _comparator_set_info(tok: str) -> pd.DataFrame:
    return _df(tok, "SELECT * FROM comparator_set_info")


def comparator_set_info() -> pd.DataFrame:
    """One row per comparator set (set_id, title, short_title, publisher, edition, first_year, last_year,
    is_default, official, description). Empty when the build has no comparator sets."""
    if not has_table("comparator_set_info"):
        return pd.DataFrame(columns=["set_id", "title", "short_title", "description", "is_default", "official"])
    return _comparator_set_info(token())


def comparator_set_ids() -> list[str]:
    """Set ids in display order: the default (DfE May 2025) first; falls back to the atlas model alone when the
    build has no comparator tables but has the statistics step's neighbours."""
    info = comparator_set_info()
    if info.empty:
        return ["atlas_model"] if has_table("stat_neighbours") else []
    order = {"dfe_sn_2025": 0, "dfe_sn_2021": 1, "ons_similar_2026": 2, "atlas_model": 3}
    return sorted(info["set_id"], key=lambda s: (order.get(s, 9), s))


def comparator_set_label(set_id: str) -> str:
    info = comparator_set_info()
    row = info[info["set_id"] == set_id]
    if row.empty:
        return "Atlas statistical-neighbour model (not an official set)" if set_id == "atlas_model" else str(set_id)
    return str(row["title"].iloc[0])


def comparator_set_description(set_id: str) -> str:
    info = comparator_set_info()
    row = info[info["set_id"] == set_id]
    return "" if row.empty else str(row["description"].iloc[0])


@st.cache_data(show_spinner=False, max_entries=256)
def _comparators(tok: str, code: str, set_id: str) -> pd.DataFrame:
    return _df(tok, "SELECT neighbour_code, rank, source_rank, closeness, alias_of FROM comparator_sets "
                    "WHERE area_code = ? AND set_id = ? ORDER BY rank", [code, set_id])


def comparator_rows(code: str, set_id: str = DEFAULT_COMPARATOR_SET) -> pd.DataFrame:
    """The set's ranked neighbours of `code` (neighbour_code, rank, source_rank, closeness, alias_of)."""
    if not code:
        return pd.DataFrame(columns=["neighbour_code", "rank", "source_rank", "closeness", "alias_of"])
    if not has_table("comparator_sets"):
        d = stat_table("stat_neighbours", "WHERE area_code = ?", (code,)) if set_id == "atlas_model" else None
        if d is None or d.empty:
            return pd.DataFrame(columns=["neighbour_code", "rank", "source_rank", "closeness", "alias_of"])
        d = d.sort_values("rank")
        return d.assign(source_rank=d["rank"], closeness=None, alias_of=None)[
            ["neighbour_code", "rank", "source_rank", "closeness", "alias_of"]]
    return _comparators(token(), code, set_id)


def comparators(code: str, set_id: str = DEFAULT_COMPARATOR_SET) -> list[str]:
    """The set's neighbours of `code`, closest first (DfE statistical neighbours by default)."""
    return list(comparator_rows(code, set_id)["neighbour_code"])


def area_with_neighbours(code: str, set_id: str = DEFAULT_COMPARATOR_SET) -> list[str]:
    """Preset for area pickers: this area followed by its statistical neighbours (DfE May 2025 by default)."""
    return [code, *comparators(code, set_id)] if code else []


@st.cache_data(show_spinner=False, max_entries=64)
def _neighbour_group(tok: str, nbrs: tuple[str, ...], mids: tuple[str, ...], years: tuple[int, ...],
                     periods: tuple[str, ...]) -> pd.DataFrame:
    return _df(tok, f"""
        WITH l AS (SELECT unnest(?::VARCHAR[]) AS measure_id, unnest(?::INTEGER[]) AS year,
                          unnest(?::VARCHAR[]) AS period_label)
        SELECT l.measure_id, avg(i.value) AS nb_mean, median(i.value) AS nb_median, count(i.value) AS nb_n
        FROM l JOIN indicator_values i ON i.measure_id = l.measure_id AND i.year = l.year
             AND i.period_label = l.period_label
        WHERE i.area_code IN ({",".join("?" * len(nbrs))}) AND i.status IN ('ok', 'denominator_fallback')
          AND i.value IS NOT NULL
        GROUP BY 1""", [list(mids), list(years), list(periods), *nbrs])


def neighbour_group(code: str, latest: pd.DataFrame, set_id: str = DEFAULT_COMPARATOR_SET) -> pd.DataFrame:
    """The neighbour-group row for each measure in `latest` (the focus area's latest values): mean and median of
    the set's neighbours' values at the same year and period, and how many of them have a value. Suppressed or
    missing values are left out of the mean and median (never filled) and counted in nb_total only."""
    cols = ["measure_id", "year", "nb_mean", "nb_median", "nb_n", "nb_total"]
    nbrs = comparators(code, set_id)
    official = latest[~latest["measure_id"].map(userdata.is_user)] if len(latest) else latest
    if not nbrs or official.empty:
        return pd.DataFrame(columns=cols)
    g = _neighbour_group(token(), tuple(nbrs), tuple(official["measure_id"]), tuple(int(y) for y in official["year"]),
                         tuple(str(p) for p in official["period_label"]))
    out = official[["measure_id", "year"]].merge(g, on="measure_id", how="left")
    out["nb_n"] = out["nb_n"].fillna(0).astype(int)
    out["nb_total"] = len(nbrs)
    return out[cols]


def ns_context_models() -> pd.DataFrame | None:
    """The north–south model with each child and maternal context measure added (pipeline/post/ns_context.py)."""
    return stat_table("ns_context_models")
