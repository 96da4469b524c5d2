"""Infant care-entry atlas: Streamlit entry point (minimal until the dashboard lands)."""
from __future__ import annotations

import duckdb
import streamlit as st

from pipeline import config

st.set_page_config(page_title="Infant care-entry atlas", layout="wide")
st.title("Infants entering care in England: a local-authority atlas")
path = config.warehouse_path()
if not path.exists():
    st.error(f"No warehouse at {path}. Run `atlas build` first.")
    st.stop()
con = duckdb.connect(str(path), read_only=True)
info = con.execute("SELECT built_at, code_version FROM build_info").fetchone()
st.caption(f"Warehouse built {info[0]} (code {info[1]}).")
st.dataframe(con.execute("SELECT measure_id, title, unit, first_year, last_year FROM measures").df(), hide_index=True)
