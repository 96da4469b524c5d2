"""Shared app code (not a page: with st.navigation only the pages listed in registry.py are run).

Pages only lay out; the logic they show lives here.

registry.py  the app's pages (file, title, URL path) for st.navigation and the tests
data/      the data-access package (all SQL; one cached query helper, read-only DuckDB, user data via session views)
charts.py  all chart building (Plotly figures) and the short text summaries of charts, by concern in
           chart_style.py, maps.py, trend_charts.py and stat_charts.py
state.py   permalinks: validated query parameters <-> widgets <-> session state
export.py  CSV/README downloads (CSV-injection-safe)
ui.py      small shared page furniture (measure definition boxes, notices, table alternatives)
denominators.py  the one wording of "which denominator these rates used" (map caption, key findings)
map_view.py, compare_view.py, trend_view.py, ns_view.py, profile_lib.py, services_view.py, upload_view.py,
methods_view.py, newborns.py, newborn_extracts.py, findings.py   each page's logic
"""
