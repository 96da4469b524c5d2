"""NAIVE BASELINE (for benchmarks only; not part of the atlas): the same map drawn the obvious way.

On every rerun it re-reads the raw files from the mirror (ATLAS_MIRROR, default ../shared/data/raw): the DfE CSVs
of children who started to be looked after (2018-2022 and 2021-2025 editions) and the ONS upper-tier boundary
GeoJSON (December 2023, as the atlas uses for recent years), filters them with pandas, and draws a Plotly
MapLibre choropleth of infant (under-1) care starts by local authority for the chosen measure and year, with an
"area" select box under it. No warehouse, no caching. Same widget keys as the atlas map (w_map_measure,
w_map_year, w_map_area) so benchmarks/app_interactions.py drives both identically.

Run it:  ATLAS_MIRROR=../shared/data/raw streamlit run benchmarks/naive_app.py
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
RAW = Path(os.environ.get("ATLAS_MIRROR") or ROOT.parent / "shared" / "data" / "raw")
CSVS = ["care/dfe_cla_starts/ees/la_cla_who_started_to_be_looked_after_2018_2022.csv",
        "care/dfe_cla_starts/ees/la_children_who_started_to_be_looked_after_2021_2025_via_csc_dashboard.csv"]
GEOJSON = "geography/ctyua_dec2023_uk_bsc.geojson"
MEASURES = {"number": "Infant care starts (count)", "percentage": "Share of all starts aged under 1 (%)"}

st.title("Map (naive baseline)")
frames = [pd.read_csv(RAW / p, dtype=str) for p in CSVS]       # re-read every rerun
df = pd.concat(frames, ignore_index=True)
df = df[(df["geographic_level"] == "Local authority") & (df["cla_group"] == "Age on starting")
        & (df["characteristic"] == "Under 1 year")]
df = df.drop_duplicates(["new_la_code", "time_period"], keep="last")
gj = json.loads((RAW / GEOJSON).read_text())                  # re-read every rerun
gj["features"] = [f for f in gj["features"] if f["properties"]["CTYUA23CD"].startswith("E")]
for f in gj["features"]:
    f["id"] = f["properties"]["CTYUA23CD"]

c1, c2 = st.columns(2)
measure = c1.selectbox("Measure", list(MEASURES), format_func=MEASURES.get, key="w_map_measure")
years = sorted(int(y) for y in df["time_period"].unique())
year = c2.select_slider("Year", years, value=years[-1], key="w_map_year")
d = df[df["time_period"] == str(year)].copy()
d["value"] = pd.to_numeric(d[measure], errors="coerce")      # "c", "z", "x" -> NaN (suppressed / n/a)
fig = go.Figure(go.Choroplethmap(geojson=gj, locations=d["new_la_code"], featureidkey="id", z=d["value"],
                                 colorscale="Viridis", marker_line=dict(width=0.4, color="#ffffff"),
                                 text=d["la_name"], hovertemplate="%{text}: %{z}<extra></extra>"))
fig.update_layout(map=dict(style="white-bg", center={"lon": -1.5, "lat": 52.8}, zoom=5.3), height=620,
                  margin=dict(l=0, r=0, t=0, b=0))
st.plotly_chart(fig, key="map_chart")
st.markdown(f"**{MEASURES[measure]}**, {year}: {d['value'].notna().sum()} local authorities with a value; "
            f"median {d['value'].median():.1f}.")
codes = [""] + sorted(d["new_la_code"].dropna())
names = dict(zip(d["new_la_code"], d["la_name"]))
sel = st.selectbox("Selected area", codes, format_func=lambda c: names.get(c, "— none —"), key="w_map_area")
if sel:
    r = d[d["new_la_code"] == sel].iloc[0]
    st.success(f"Selected: {r['la_name']} ({sel}): {r[measure]}")
st.dataframe(d[["la_name", "new_la_code", "number", "percentage"]], hide_index=True)
