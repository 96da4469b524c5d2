"""The measure registry (official measures from the warehouse, user-supplied ones from this session), the app's
topic order, each measure's years and period labels, and status labels."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.parsers.common import fy_label

from .. import topics, userdata
from .connection import query, token

OK_STATUSES = ("ok", "denominator_fallback")
STATUS_LABELS = {
    "ok": "Published value",
    "denominator_fallback": "Value (fallback denominator, see note)",
    "suppressed": "Suppressed by the publisher (small numbers)",
    "not_applicable": "Not applicable (area did not exist / not relevant)",
    "not_available": "Not available in the sources used",
}
USER_SUPPRESSED_LABEL = "Suppressed by the atlas's disclosure control (your data: small counts)"


def measures() -> pd.DataFrame:
    """Official measures (registry rows) with the level they have values at and their first and last year."""
    return _measures(token())


@st.cache_data(show_spinner=False, max_entries=2)
def _measures(tok: str) -> pd.DataFrame:  # derived from two queries, so cached as a whole
    m = query("SELECT * FROM measures ORDER BY measure_id")
    lev = query("""
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


@st.cache_resource(show_spinner=False, max_entries=2)
def _measure_dicts(tok: str) -> dict[str, dict]:
    return {r["measure_id"]: r for r in _measures(tok).to_dict("records")}


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


def is_user(measure_id) -> bool:
    return userdata.is_user(measure_id)


def user_measure_ids() -> list[str]:
    return userdata.measure_ids()


def user_meta(measure_id: str) -> dict:
    """Registry-like row of a user measure (userdata.meta) with the level it has rows at."""
    m = userdata.meta(measure_id)
    if m:
        types = set(query("SELECT DISTINCT a.area_type FROM indicator_values i JOIN areas a USING (area_code) "
                          "WHERE i.measure_id = ?", [measure_id])["area_type"].dropna())
        m["level"] = "la" if "la" in types else ("region" if "region" in types else "none")
    return m


def measure(measure_id: str) -> dict:
    """Registry row of one measure (official: a shared read-only dict, do not modify; user: this session's)."""
    return user_meta(measure_id) if userdata.is_user(measure_id) else measure_row(measure_id)


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


def trend_measure_ids() -> list[str]:
    """Measures with values in at least two years (any level), the headline first; then this session's user
    measures (even with one year, so an upload always shows up)."""
    m = measures()
    m = m[(m["level"] != "none") | (m["min_year"].notna())]
    ids = [r.measure_id for r in m.itertuples() if r.min_year == r.min_year and r.max_year != r.min_year]
    return order_measures(ids) + user_measure_ids()


def measure_years(measure_id: str) -> list[int]:
    df = query("SELECT DISTINCT year FROM indicator_values WHERE measure_id = ? AND value IS NOT NULL ORDER BY year",
               [measure_id])
    return [int(y) for y in df["year"]]


def period_label(measure_id: str, year: int) -> str:
    if userdata.is_user(measure_id):  # user rows are by financial year (pipeline.user_import); from the id alone,
        return fy_label(int(year))  # as a picker's format_func may run outside the browser session
    p = query("SELECT min(period_label) AS p FROM indicator_values WHERE measure_id = ? AND year = ?",
              [measure_id, int(year)]).iat[0, 0]
    return str(year) if pd.isna(p) else str(p)


def status_label(status, note=None) -> str:
    """Who withheld a value: the publisher for official data, the atlas's disclosure control for user data."""
    if status == "suppressed" and note == userdata.SUPPRESSED_NOTE:
        return USER_SUPPRESSED_LABEL
    return STATUS_LABELS.get(status, status)
