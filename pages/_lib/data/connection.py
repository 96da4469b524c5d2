"""The warehouse connection, its schema check and the one query helper.

- DuckDB read-only connection (st.cache_resource, keyed by the warehouse file's path, modification time and size,
  so a rebuild is picked up), one cursor per thread.
- The schema is checked once per warehouse version: an old or incomplete warehouse stops every page with one clear
  message listing the missing tables (or columns), so no page needs a "not in this build" branch.
- `query(sql, params)` runs parameterised SQL (`?` placeholders; table and column names are constants of this
  package) and returns a DataFrame cached with st.cache_data on the warehouse version. A query that involves this
  session's user-supplied measures runs instead on the session's own views (usersession.py), cached in the session.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import pandas as pd
import streamlit as st

from pipeline import config

from .. import userdata

CI_COLS = ["lower_95", "upper_95", "lower_998", "upper_998"]
SIG_COLS = ["sig_england_95", "sig_england_998", "sig_region_95", "sig_region_998"]

# every table the app reads; every build writes them (docs/warehouse.md)
REQUIRED_TABLES = (
    "areas", "area_successors", "indicator_values", "measures", "sources", "build_info", "build_manifests",
    "boundary_layers", "boundary_layer_years", "la_geo", "continuity_series", "comparator_set_info",
    "comparator_sets", "funnel_points", "funnel_limits", "funnel_params", "deprivation_gradient",
    "inequality_indices", "ns_models", "ns_summary", "ns_expected", "ns_context_models", "trends", "stat_neighbours",
    "stat_neighbour_variables", "services_points", "services_summary", "services_models", "mbu_nearest",
    "reference_figures", "reference_definition_classes", "reference_figure_breakdowns")
REQUIRED_COLUMNS = {"indicator_values": (*CI_COLS, *SIG_COLS), "services_points": ("location_level",)}

_local = threading.local()
_CHECKED: set[str] = set()  # warehouse versions whose schema passed the check


class WarehouseMissing(RuntimeError):
    pass


class WarehouseIncomplete(WarehouseMissing):
    """The warehouse lacks tables or columns every build writes (an old or partial build)."""


def warehouse_path() -> Path:
    return config.warehouse_path()


def token() -> str:
    """Identifies the warehouse file version; part of every cache key. Raises WarehouseMissing if there is no
    warehouse and WarehouseIncomplete if it lacks a table the app reads."""
    p = warehouse_path()
    try:
        st_ = os.stat(p)
    except FileNotFoundError:
        raise WarehouseMissing(f"No warehouse at {p}. Run `atlas build` (or `atlas up`) first.") from None
    tok = f"{p}:{st_.st_mtime_ns}:{st_.st_size}"
    if tok not in _CHECKED:
        _check(tok)
        _CHECKED.add(tok)
    return tok


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
# schema
@st.cache_data(show_spinner=False)
def _schema(tok: str) -> dict[str, list[str]]:
    df = _df(tok, "SELECT table_name, column_name FROM information_schema.columns "
                  "ORDER BY table_name, ordinal_position")
    return {t: list(g["column_name"]) for t, g in df.groupby("table_name")}


def missing_schema(schema: dict[str, list[str]]) -> list[str]:
    """Required tables (and `table.column`s) absent from a warehouse schema {table: [columns]}."""
    out = [t for t in REQUIRED_TABLES if t not in schema]
    out += [f"{t}.{c}" for t, cols in REQUIRED_COLUMNS.items() if t in schema for c in cols if c not in schema[t]]
    return out


def _check(tok: str) -> None:
    missing = missing_schema(_schema(tok))
    if missing:
        raise WarehouseIncomplete(
            f"The warehouse at {tok.rsplit(':', 2)[0]} is old or incomplete: it lacks {', '.join(missing)}. "
            "Rebuild it with `atlas build` (or `atlas up`).")


def has_table(name: str) -> bool:
    return name in _schema(token())


def has_columns(table: str, cols: list[str]) -> bool:
    have = set(_schema(token()).get(table, []))
    return all(c in have for c in cols)


# ---------------------------------------------------------------------------------------------------------------
# the query helper
@st.cache_resource(show_spinner=False, max_entries=2048)
def _shared_result(tok: str, sql: str, params: tuple) -> pd.DataFrame:
    return _df(tok, sql, params)


@st.cache_resource(show_spinner=False, max_entries=32)
def _shared_large_result(tok: str, sql: str, params: tuple) -> pd.DataFrame:
    return _df(tok, sql, params)


def _cached_query(tok: str, sql: str, params: tuple, large: bool = False) -> pd.DataFrame:
    """The query's result from the cache shared by all sessions (official data only), as the caller's own copy
    (a copy is far cheaper than st.cache_data's unpickling, and no caller can change the cached frame). Results
    that can be large (downloads) have their own, smaller cache."""
    return (_shared_large_result if large else _shared_result)(tok, sql, params).copy()


def _mentions_user(params) -> bool:
    for p in params:
        if isinstance(p, (list, tuple)):
            if _mentions_user(p):
                return True
        elif userdata.is_user(p):
            return True
    return False


def query(sql: str, params: list | tuple = (), *, with_user: bool = False, large: bool = False) -> pd.DataFrame:
    """Run one parameterised query. It reads this session's user-supplied measures too (through views named like
    the warehouse tables) when `with_user` is set or a parameter is a user measure id and the session has user
    data; those results are cached in the session only, never in a cache shared between sessions. `large`: a
    result that can be large (a download) is kept in a smaller cache."""
    tok = token()
    mentions = _mentions_user(params)
    if (with_user or mentions) and userdata.datasets():
        from . import usersession
        return usersession.query(tok, sql, tuple(params))
    if mentions:  # a user measure this session does not hold: an empty answer, kept out of the shared cache
        return _df(tok, sql, params)
    return _cached_query(tok, sql, tuple(params), large)
