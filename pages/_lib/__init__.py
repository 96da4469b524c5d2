"""Shared app code (not a page: with st.navigation only the pages listed in streamlit_app.py are run).

data/      the data-access package (all SQL; one cached query helper, read-only DuckDB, user data via session views)
charts.py  all chart building (Plotly figures) and the short text summaries of charts
state.py   permalinks: validated query parameters <-> widgets <-> session state
export.py  CSV/README downloads (CSV-injection-safe)
ui.py      small shared page furniture (measure definition boxes, notices, table alternatives)
"""
