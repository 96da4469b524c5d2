"""Area profile: one local authority on one printable page."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, pickers, state, ui

ui.guard()
ui.print_css()
ps = state.PageState("profile", ('area',))
names = data.area_names()
la_opts = data.la_codes()
default = state.remembered_area() if state.remembered_area() in la_opts else (la_opts[0] if la_opts else "")
area = ps.choice("area", "Local authority", la_opts, default, format_func=pickers.area_label,
                 what="area")
ps.show_notices()
state.remember_area(area)
info = data.area_info(area)
st.title(f"Area profile: {info.get('area_name', area)}")
valid = ""
if info.get("valid_to") is not None and info.get("valid_to") == info.get("valid_to"):
    valid = f" This code was in force until {info['valid_to']:%d %B %Y}."
st.markdown(f"{info.get('area_name')} ({area}) is in {info.get('region_name') or info.get('country')}.{valid} "
            "Use your browser's *Print* to save this page as PDF.")
st.caption(ui.HEADLINE_NOTE)

HEAD = "cla_starts_u1_rate"
latest = data.area_latest(area)
st.markdown("### Headline measures")
if latest.empty:
    st.info("No values for this area.")
else:
    head = latest[latest["measure_id"].isin([HEAD, "cla_starts_u1", "live_births"])]
    cols = st.columns(max(1, len(head)))
    for c, r in zip(cols, head.itertuples()):
        delta = None
        if r.england_value == r.england_value and r.england_value is not None and r.value == r.value:
            delta = f"England {charts.fmt(r.england_value)}"
        c.metric(f"{r.short_title}, {r.period_label}",
                 charts.fmt(r.value) if r.status in data.OK_STATUSES else data.STATUS_LABELS.get(r.status, r.status),
                 delta, delta_color="off")
    tbl = latest[["short_title", "period_label", "value", "lower_95", "upper_95", "region_value", "england_value",
                  "sig_england_95", "status", "note"]].rename(columns={
        "short_title": "Measure", "period_label": "Period", "value": "This area", "lower_95": "95% CI lower",
        "upper_95": "95% CI upper", "region_value": "Region", "england_value": "England",
        "sig_england_95": "vs England", "status": "Status", "note": "Note"})
    tbl = tbl.dropna(axis=1, how="all")
    st.dataframe(tbl, hide_index=True, width="stretch", key="profile_latest")

st.markdown("### Trend")
codes = [area, info.get("region_code"), data.ENGLAND]
ser = data.series(HEAD, [c for c in codes if c])
if ser.empty:
    st.info("No trend for this area.")
else:
    st.plotly_chart(charts.trend(ser, data.breaks_for([area]), data.measure(HEAD).get("unit", "")),
                    width="stretch", key="profile_trend")
    st.markdown(charts.trend_summary(ser, data.measure(HEAD).get("unit", "")))
    preds = data.predecessors(area)
    if preds:
        st.markdown("Before this area existed, its ground was covered by: "
                    + ", ".join(f"{names.get(p, p)} ({p})" for p in preds) + ".")

st.markdown("### Position in the funnel plot")
yrs = data.measure_years(HEAD)
f = data.funnel(HEAD, yrs[-1]) if yrs else None
if f is None:
    ui.not_in_build("The funnel plot", "the statistics step")
else:
    pts, lim, par = f
    target = par["target"].iloc[0] if len(par) else None
    st.plotly_chart(charts.funnel(pts, lim, target, data.measure(HEAD).get("unit", ""), highlight=area),
                    width="stretch", key="profile_funnel")
    me = pts[pts["area_code"] == area]
    if len(me):
        st.markdown(f"Outside the 95% limits: {me['flag_95'].iloc[0]}; outside the 99.8% limits: "
                    f"{me['flag_998'].iloc[0]}.")

st.markdown("### Deprivation")
dep = latest[latest["measure_id"].str.contains("imd|idaci", regex=True)] if len(latest) else latest
if len(dep):
    st.dataframe(dep[["short_title", "period_label", "value", "england_value", "note"]].rename(columns={
        "short_title": "Measure", "period_label": "Edition", "value": "This area", "england_value": "England"}
    ).dropna(axis=1, how="all"), hide_index=True, width="stretch", key="profile_dep")
else:
    st.info("No deprivation measures for this area.")

st.markdown("### Services nearby")
mb = data.nearest_mbus(area)
if mb is None:
    ui.not_in_build("Nearest mother and baby units", "`services_points` and `la_geo` from the geometry step")
elif mb.empty:
    st.info("No units with a location.")
else:
    st.markdown(f"Nearest specialist inpatient mother and baby units (straight-line distance from the area's "
                f"representative point): **{mb['name'].iloc[0]}**, {charts.fmt(mb['distance_km'].iloc[0])} km.")
    st.dataframe(mb, hide_index=True, width="stretch", key="profile_mbu")

st.markdown("### Caveats")
for m in (HEAD, "cla_starts_u1"):
    ui.definition(m, expanded=True)
