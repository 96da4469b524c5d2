"""Shared app code (not a page: with st.navigation only the pages listed in streamlit_app.py are run).

data.py    the one data-access module (all SQL, cached, read-only DuckDB, cursor per thread)
charts.py  all chart building (Plotly figures) and the short text summaries of charts
state.py   permalinks: validated query parameters <-> widgets <-> session state
export.py  CSV/README downloads (CSV-injection-safe)
ui.py      small shared page furniture (measure definition boxes, notices, table alternatives)
"""
