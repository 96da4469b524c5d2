"""Values and series of one or more measures (official or this session's user-supplied ones, by the same SQL)."""
from __future__ import annotations

import pandas as pd

from pipeline.domain import ENGLAND

from .. import userdata
from .connection import CI_COLS, SIG_COLS, query

_IV_STATS = ", ".join(f"i.{c}" for c in (*CI_COLS, *SIG_COLS))
CONTINUITY_COLS = ["measure_id", "area_code", "area_name", "area_type", "year", "period_label", "value", "numerator",
                   "denominator", "lower_95", "upper_95", "status", "note", "components", "change_type", "method",
                   "label"]


def values(measure_id: str, year: int, level: str = "la") -> pd.DataFrame:
    """Values of one measure and year for LAs (`la`), regions (`region`) or England (`england`)."""
    return query(f"""
        SELECT i.area_code, a.area_name, a.area_type, a.region_code, a.region_name, a.country, i.year,
               i.period_label, i.value, i.numerator, i.denominator, i.status, i.note, i.source_id, {_IV_STATS}
        FROM indicator_values i JOIN areas a USING (area_code)
        WHERE i.measure_id = ? AND i.year = ? AND a.area_type = ?
        ORDER BY a.area_name""", [measure_id, int(year), level])


def series(measure_id: str, codes: list[str]) -> pd.DataFrame:
    codes = sorted(set(codes))
    if not codes:
        return pd.DataFrame()
    return query(f"""
        SELECT i.area_code, a.area_name, a.area_type, i.year, i.period_label, i.value, i.numerator, i.denominator,
               i.status, i.note, {_IV_STATS}
        FROM indicator_values i JOIN areas a USING (area_code)
        WHERE i.measure_id = ? AND i.area_code IN ({",".join("?" * len(codes))})
        ORDER BY a.area_name, i.year""", [measure_id, *codes])


def level_series(measure_id: str, area_type: str) -> pd.DataFrame:
    """Every year of one measure for all areas of one type ('la', 'region', 'england')."""
    return query(f"""
        SELECT i.area_code, a.area_name, a.area_type, a.region_code, a.region_name, i.year, i.period_label, i.value,
               i.numerator, i.denominator, i.status, i.note, {_IV_STATS}
        FROM indicator_values i JOIN areas a USING (area_code)
        WHERE i.measure_id = ? AND a.area_type = ? ORDER BY a.area_name, i.year""", [measure_id, area_type])


def continuity(measure_id: str, codes: list[str]) -> pd.DataFrame:
    """Continuity rows (pipeline/post/continuity.py) for these LAs: rows under a selected code (its former code's
    figures, for a same-boundary recode) and, for a selected successor of a split, the former area rebuilt as the
    sum of its successors (under the former area's code). Empty for user measures (the table has none)."""
    codes = sorted(set(codes))
    if not codes:
        return pd.DataFrame(columns=CONTINUITY_COLS)
    return query(f"""
        SELECT c.measure_id, c.area_code, a.area_name, a.area_type, c.year, c.period_label, c.value, c.numerator,
               c.denominator, c.lower_95, c.upper_95, c.status, c.note, c.components, c.change_type, c.method,
               c.label
        FROM continuity_series c JOIN areas a USING (area_code)
        WHERE c.measure_id = ?
          AND (c.area_code IN ({",".join("?" * len(codes))})
               OR (c.change_type = 'split' AND list_has_any(string_split(c.components, ','), ?::VARCHAR[])))
        ORDER BY c.area_code, c.year""", [measure_id, *codes, list(codes)])


def area_latest(code: str, with_user: bool = False) -> pd.DataFrame:
    """Latest value of every measure for one area, with England and the area's region for the same year. With
    `with_user`, this session's user measures too (after the official ones; for them the latest year in which the
    area has a row, so a suppressed cell shows as suppressed rather than an older value)."""
    return query(f"""
        WITH latest AS (
            SELECT measure_id, max(year) AS year FROM indicator_values
            WHERE area_code = ? AND (value IS NOT NULL OR starts_with(measure_id, '{userdata.PREFIX}')) GROUP BY 1),
        la AS (
            SELECT i.* FROM indicator_values i JOIN latest USING (measure_id, year)
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
        ORDER BY starts_with(la.measure_id, '{userdata.PREFIX}'), la.measure_id""", [code, code],
                 with_user=with_user)


_PAIRS = """WITH l AS (SELECT unnest(?::VARCHAR[]) AS measure_id, unnest(?::BIGINT[]) AS year,
                          unnest(range(?)) AS k)"""


def _pairs(latest: pd.DataFrame) -> list:
    """Query parameters for the `l` CTE: each measure of `latest` with its year (k keeps their order)."""
    return [list(latest["measure_id"]), [int(y) for y in latest["year"]], len(latest)]


def spine(latest: pd.DataFrame) -> pd.DataFrame:
    """Distribution of English LA values (min, quartiles, max) of each measure in `latest` at its year."""
    if latest.empty:
        return pd.DataFrame()
    return query(f"""{_PAIRS}
        SELECT l.measure_id, CAST(l.year AS INTEGER) AS year, min(i.value) AS lo, quantile_cont(i.value, 0.25) AS q1,
               median(i.value) AS med, quantile_cont(i.value, 0.75) AS q3, max(i.value) AS hi, count(i.value) AS n
        FROM l LEFT JOIN (SELECT i.* FROM indicator_values i JOIN areas a USING (area_code)
                          WHERE a.area_type = 'la' AND a.country = 'England' AND i.value IS NOT NULL) i
             ON i.measure_id = l.measure_id AND i.year = l.year
        GROUP BY l.k, l.measure_id, l.year ORDER BY l.k""", _pairs(latest))


def compare(codes: list[str], latest: pd.DataFrame) -> pd.DataFrame:
    """Values of `codes` for each measure in `latest` at that measure's year (the focus LA's latest)."""
    codes = list(dict.fromkeys(codes))
    if not codes or latest.empty:
        return pd.DataFrame()
    return query(f"""{_PAIRS}
        SELECT i.measure_id, i.area_code, a.area_name, a.area_type, i.year, i.period_label, i.value, i.numerator,
               i.denominator, i.status, i.note, {_IV_STATS}
        FROM l JOIN indicator_values i ON i.measure_id = l.measure_id AND i.year = l.year
        JOIN areas a ON a.area_code = i.area_code
        WHERE i.area_code IN ({",".join("?" * len(codes))})
        ORDER BY l.k, i.area_code""", [*_pairs(latest), *codes])


def year_range() -> tuple[int, int]:
    """First and last year with any row (official, or in this session's user data)."""
    r = query("SELECT min(year) AS y0, max(year) AS y1 FROM indicator_values", with_user=True)
    return int(r["y0"].iloc[0]), int(r["y1"].iloc[0])
