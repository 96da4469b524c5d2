"""Statistics tables written by the build's statistics steps (pipeline/post/): funnel plots, deprivation gradient,
inequality indices, north-south models, trends, the atlas's statistical neighbours; and the north-south /
deprivation scatter data."""
from __future__ import annotations

import pandas as pd

from .areas import area_names
from .connection import _cached_query, query, token

STAT_TABLES = frozenset({"deprivation_gradient", "inequality_indices", "ns_models", "ns_summary", "ns_expected",
                         "trends", "stat_neighbours", "stat_neighbour_variables", "services_points",
                         "ns_context_models"})
STAT_WHERE = frozenset({"", "WHERE measure_id = ? AND year = ?", "WHERE measure_id = ?", "WHERE area_code = ?",
                        "WHERE period = ?"})


class QueryNotAllowed(ValueError, AssertionError):
    """A table or filter outside the allow-lists (an AssertionError too, for callers that expect one)."""


def _stat_table(tok: str, table: str, where: str, params: tuple) -> pd.DataFrame:
    """`SELECT * FROM table where`: table and filter come from the allow-lists, the values are parameters. The
    check is explicit (an `assert` would vanish under `python -O`)."""
    if table not in STAT_TABLES:
        raise QueryNotAllowed(f"table {table!r} is not one of the statistics tables {sorted(STAT_TABLES)}")
    if where not in STAT_WHERE:
        raise QueryNotAllowed(f"filter {where!r} is not an allowed filter")
    return _cached_query(tok, f"SELECT * FROM {table} {where}", tuple(params))


def stat_table(table: str, where: str = "", params: tuple = ()) -> pd.DataFrame:
    return _stat_table(token(), table, where, tuple(params))


def deprivation_gradient(measure_id: str, year: int) -> pd.DataFrame:
    return stat_table("deprivation_gradient", "WHERE measure_id = ? AND year = ?", (measure_id, int(year)))


def inequality(measure_id: str, year: int) -> pd.DataFrame:
    return stat_table("inequality_indices", "WHERE measure_id = ? AND year = ?", (measure_id, int(year)))


def ns_models() -> pd.DataFrame:
    return stat_table("ns_models")


def ns_summary() -> pd.DataFrame:
    return stat_table("ns_summary")


def ns_context_models() -> pd.DataFrame:
    """The north–south model with each child and maternal context measure added (pipeline/post/ns_context.py)."""
    return stat_table("ns_context_models")


def ns_expected(period: str) -> pd.DataFrame:
    d = stat_table("ns_expected", "WHERE period = ?", (period,)).copy()
    d["area_name"] = d["area_code"].map(area_names())
    return d


def trend_summary(measure_id: str) -> pd.DataFrame:
    return stat_table("trends", "WHERE measure_id = ?", (measure_id,))


def stat_neighbours(code: str) -> list[str]:
    d = stat_table("stat_neighbours", "WHERE area_code = ?", (code,))
    return [] if d.empty else list(d.sort_values("rank")["neighbour_code"])


def funnel(measure_id: str, year: int):
    """(points, limits, params) of the funnel plot of one measure and year; for a user measure, from the flags
    computed at import (user.user_funnel)."""
    from .. import userdata
    if userdata.is_user(measure_id):
        from .user import user_funnel
        return user_funnel(measure_id, year)
    p = [measure_id, int(year)]
    pts = query("""SELECT f.*, a.area_name, a.region_name FROM funnel_points f JOIN areas a USING (area_code)
                   WHERE f.measure_id = ? AND f.year = ? ORDER BY f.denominator""", p)
    lim = query("SELECT * FROM funnel_limits WHERE measure_id = ? AND year = ? ORDER BY denominator", p)
    par = query("SELECT * FROM funnel_params WHERE measure_id = ? AND year = ?", p)
    return pts, lim, par


def scatter_data(measure_id: str, year: int) -> pd.DataFrame:
    """English LA values of one measure and year with distance north, the IMD 2019 score and births (the
    measure's denominator, else live births)."""
    latest = """(SELECT area_code, value FROM indicator_values WHERE measure_id = ?
                QUALIFY row_number() OVER (PARTITION BY area_code ORDER BY year DESC) = 1)"""
    return query(f"""
        SELECT i.area_code, a.area_name, a.region_name, i.value, i.numerator, i.denominator, i.status,
               g.north_south_km, g.bng_n, d.value AS imd_score, coalesce(i.denominator, b.value) AS births
        FROM indicator_values i JOIN areas a USING (area_code)
        LEFT JOIN la_geo g ON g.area_code = i.area_code
        LEFT JOIN {latest} d ON d.area_code = i.area_code
        LEFT JOIN {latest} b ON b.area_code = i.area_code
        WHERE i.measure_id = ? AND i.year = ? AND a.area_type = 'la' AND a.country = 'England'
        ORDER BY a.area_name""", ["imd2019_score", "live_births", measure_id, int(year)])
