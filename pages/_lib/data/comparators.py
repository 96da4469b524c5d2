"""Comparator sets (pipeline/marts/comparators.py, pipeline/post/comparators.py): DfE statistical neighbours
(default), the April 2021 DfE edition, ONS similar areas (English upper-tier LAs only), the atlas's own model; and
the neighbour-group summary of a focus area's latest values."""
from __future__ import annotations

import pandas as pd

from .. import userdata
from .connection import query

DEFAULT_COMPARATOR_SET = "dfe_sn_2025"
_ROW_COLS = ["neighbour_code", "rank", "source_rank", "closeness", "alias_of"]
_SET_ORDER = {"dfe_sn_2025": 0, "dfe_sn_2021": 1, "ons_similar_2026": 2, "atlas_model": 3}


def comparator_set_info() -> pd.DataFrame:
    """One row per comparator set (set_id, title, short_title, publisher, edition, first_year, last_year,
    is_default, official, description)."""
    return query("SELECT * FROM comparator_set_info")


def comparator_set_ids() -> list[str]:
    """Set ids in display order: the default (DfE May 2025) first; the atlas model alone when the build has no
    comparator sets (its statistics step's neighbours)."""
    info = comparator_set_info()
    if info.empty:
        return ["atlas_model"]
    return sorted(info["set_id"], key=lambda s: (_SET_ORDER.get(s, 9), s))


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


def comparator_rows(code: str, set_id: str = DEFAULT_COMPARATOR_SET) -> pd.DataFrame:
    """The set's ranked neighbours of `code` (neighbour_code, rank, source_rank, closeness, alias_of)."""
    if not code:
        return pd.DataFrame(columns=_ROW_COLS)
    return query("SELECT neighbour_code, rank, source_rank, closeness, alias_of FROM comparator_sets "
                 "WHERE area_code = ? AND set_id = ? ORDER BY rank", [code, set_id])


def comparators(code: str, set_id: str = DEFAULT_COMPARATOR_SET) -> list[str]:
    """The set's neighbours of `code`, closest first (DfE statistical neighbours by default)."""
    return list(comparator_rows(code, set_id)["neighbour_code"])


def area_with_neighbours(code: str, set_id: str = DEFAULT_COMPARATOR_SET) -> list[str]:
    """Preset for area pickers: this area followed by its statistical neighbours (DfE May 2025 by default)."""
    return [code, *comparators(code, set_id)] if code else []


def neighbour_group(code: str, latest: pd.DataFrame, set_id: str = DEFAULT_COMPARATOR_SET) -> pd.DataFrame:
    """The neighbour-group row for each official measure in `latest` (the focus area's latest values): mean and
    median of the set's neighbours' values at the same year and period, and how many of them have a value.
    Suppressed or missing values are left out of the mean and median (never filled) and counted in nb_total only.
    User-supplied measures get no neighbour group (no new totals are derived from user data)."""
    cols = ["measure_id", "year", "nb_mean", "nb_median", "nb_n", "nb_total"]
    nbrs = comparators(code, set_id)
    official = latest[~latest["measure_id"].map(userdata.is_user)] if len(latest) else latest
    if not nbrs or official.empty:
        return pd.DataFrame(columns=cols)
    g = query(f"""
        WITH l AS (SELECT unnest(?::VARCHAR[]) AS measure_id, unnest(?::INTEGER[]) AS year,
                          unnest(?::VARCHAR[]) AS period_label)
        SELECT l.measure_id, avg(i.value) AS nb_mean, median(i.value) AS nb_median, count(i.value) AS nb_n
        FROM l JOIN indicator_values i ON i.measure_id = l.measure_id AND i.year = l.year
             AND i.period_label = l.period_label
        WHERE i.area_code IN ({",".join("?" * len(nbrs))}) AND i.status IN ('ok', 'denominator_fallback')
          AND i.value IS NOT NULL
        GROUP BY 1""", [list(official["measure_id"]), [int(y) for y in official["year"]],
                        [str(p) for p in official["period_label"]], *nbrs])
    out = official[["measure_id", "year"]].merge(g, on="measure_id", how="left")
    out["nb_n"] = out["nb_n"].fillna(0).astype(int)
    out["nb_total"] = len(nbrs)
    return out[cols]
