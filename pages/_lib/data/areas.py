"""Areas: the area table, names, LA and region codes, reorganisations (successors) and LA geography (la_geo)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from .connection import query, token


def areas() -> pd.DataFrame:
    return query("SELECT * FROM areas ORDER BY area_type, area_name")


@st.cache_resource(show_spinner=False, max_entries=2)
def _area_names(tok: str) -> dict[str, str]:
    a = areas()
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


def successors() -> pd.DataFrame:
    return query("""
        SELECT s.*, o.area_name AS old_name, n.area_name AS new_name
        FROM area_successors s LEFT JOIN areas o ON o.area_code = s.old_code """
        """LEFT JOIN areas n ON n.area_code = s.new_code
        ORDER BY from_year""")


def breaks_for(codes: list[str]) -> pd.DataFrame:
    """Reorganisations touching these areas (as old or new code), one row per change."""
    s = successors()
    return s[s["old_code"].isin(codes) | s["new_code"].isin(codes)]


def predecessors(code: str) -> list[str]:
    s = successors()
    return list(s[s["new_code"] == code]["old_code"])


def la_geo() -> pd.DataFrame:
    return query("SELECT * FROM la_geo")
