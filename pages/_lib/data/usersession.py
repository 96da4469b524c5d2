"""This browser session's user-supplied data, answered by the warehouse's own queries.

A session holding user data (userdata.py) gets its own DuckDB cursor on the read-only warehouse connection with two
TEMP views named like the warehouse tables they extend (temporary objects live in memory, belong to that cursor
and vanish with it; nothing is written):
- `indicator_values`: the warehouse's rows plus the session's disclosure-controlled rows;
- `measures`: the registry plus the session's measure rows.
So the SQL that answers an official measure answers a user one. A further view `user_values` keeps the extract's
own comparator and funnel flags. Results are cached in st.session_state only (never in st.cache_data /
st.cache_resource, which are shared between sessions).
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from .. import userdata
from .connection import CI_COLS, _connection, _schema

KEY = "_user_connection"
CACHE_ENTRIES = 256
USER_ENGLAND_COMPARATOR = "England (from the extract)"


def user_rows(areas: pd.DataFrame) -> pd.DataFrame:
    """Every user measure's disclosure-controlled rows in this session joined with `areas`. Significance 'vs
    England' is given only where the extract has its own England row (otherwise the comparator is the extract's
    pooled LAs and is reported as such, never labelled England)."""
    parts = [d["values"] for d in userdata.datasets().values()]
    if not parts:
        return pd.DataFrame()
    v = pd.concat(parts, ignore_index=True)
    a = areas[["area_code", "area_name", "area_type", "region_code", "region_name", "country"]]
    d = v.merge(a, on="area_code", how="left")
    eng = d["comparator"].eq(USER_ENGLAND_COMPARATOR) & d["area_type"].eq("la")
    for s in ("95", "998"):
        d[f"sig_england_{s}"] = d[f"sig_comparator_{s}"].where(eng, None)
        d[f"sig_region_{s}"] = None
    sup = d["status"].eq("suppressed")  # belt and braces: the frame is already disclosure-controlled
    d.loc[sup, ["value", "numerator", *CI_COLS]] = float("nan")
    d.loc[sup, "note"] = userdata.SUPPRESSED_NOTE  # never say which cells were primary and which complementary
    return d


def _registry_rows(cols: list[str]) -> pd.DataFrame:
    rows = [userdata.meta(m) for m in userdata.measure_ids()]
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows if r], columns=cols)


def _types(cur, table: str) -> dict[str, str]:
    return dict(cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ? "
                            "AND table_schema = 'main' AND table_catalog = current_database()", [table]).fetchall())


def _union_view(cur, db: str, table: str, frame_name: str) -> None:
    """TEMP view `table` = the warehouse's table UNION ALL the registered frame cast to the same column types."""
    types = _types(cur, table)
    cols = ", ".join(f'"{c}"' for c in types)
    casts = ", ".join(f'CAST("{c}" AS {t}) AS "{c}"' for c, t in types.items())
    cur.execute(f'CREATE OR REPLACE TEMP VIEW {table} AS SELECT {cols} FROM "{db}".main.{table} '
                f"UNION ALL SELECT {casts} FROM {frame_name}")


def _open(tok: str, areas: pd.DataFrame) -> dict:
    cur = _connection(tok).cursor()
    db = cur.execute("SELECT current_database()").fetchall()[0][0]
    schema = _schema(tok)
    rows = user_rows(areas)
    iv = rows.reindex(columns=schema["indicator_values"])
    cur.register("_session_values", iv)
    cur.register("_session_measures", _registry_rows(schema["measures"]))
    cur.register("_session_user_values", rows)
    _union_view(cur, db, "indicator_values", "_session_values")
    _union_view(cur, db, "measures", "_session_measures")
    cur.execute("CREATE OR REPLACE TEMP VIEW user_values AS SELECT * FROM _session_user_values")
    return {"cur": cur, "rows": rows, "cache": {}}


def _fingerprint(tok: str) -> tuple:
    return (tok, tuple((name, id(d["values"]), id(d["measures"])) for name, d in userdata.datasets().items()))


def session(tok: str) -> dict:
    """This session's cursor, frames and query cache (rebuilt when the warehouse or the session's data change)."""
    from .areas import areas
    s = st.session_state.get(KEY)
    fp = _fingerprint(tok)
    if s is None or s.get("fp") != fp:
        if s is not None:
            s["cur"].close()
        s = {**_open(tok, areas()), "fp": fp}
        st.session_state[KEY] = s
    return s


def query(tok: str, sql: str, params: tuple) -> pd.DataFrame:
    s = session(tok)
    key = (sql, repr(params))
    if key not in s["cache"]:
        if len(s["cache"]) >= CACHE_ENTRIES:
            s["cache"].pop(next(iter(s["cache"])))
        s["cache"][key] = s["cur"].execute(sql, list(params)).df()
    return s["cache"][key].copy()

