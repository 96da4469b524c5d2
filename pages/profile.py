"""Area profile: one local authority on one printable page."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, pickers, profile_lib, services_view, state, ui

ui.guard()
ui.print_css()
ps = state.PageState("profile", ('area',))
names = data.area_names()
la_opts = data.la_codes()
default = state.remembered_area() if state.remembered_area() in la_opts else ""  # else a prompt to choose
area = ps.choice("area", "Local authority", ["", *la_opts], default, what="area",
                 format_func=lambda c: pickers.area_label(c) if c else "— choose a local authority —")
ps.show_notices()
if not area:
    st.title("Area profile")
    st.info("Choose a local authority above to see its profile (or click an area on the Map).", icon="👆")
    ui.stop()
state.remember_area(area)
info = data.area_info(area)
st.title(f"Area profile: {info.get('area_name', area)}")
valid = ""
if info.get("valid_to") is not None and info.get("valid_to") == info.get("valid_to"):
    valid = f" This code was in force until {info['valid_to']:%d %B %Y}."
st.markdown(f"{info.get('area_name')} ({area}) is in {info.get('region_name') or info.get('country')}.{valid} "
            "Use your browser's *Print* to save this page as PDF.")
ui.caveat("cla_starts_u1_rate")

HEAD = "cla_starts_u1_rate"
latest = data.area_latest(area)
st.markdown("### Headline measures")
if latest.empty:
    st.info("No values for this area.")
else:
    head = profile_lib.by_topic(latest[latest["measure_id"].isin([HEAD, "cla_starts_u1", "live_births"])])
    cols = st.columns(max(1, len(head)))
    for c, chip in zip(cols, profile_lib.headline_chips(head)):
        c.metric(chip["label"], chip["value"], chip["delta"], delta_color=chip["delta_color"],
                 delta_arrow=chip["delta_arrow"], help=chip["help"])
    st.dataframe(profile_lib.latest_table(latest), hide_index=True, width="stretch", key="profile_latest")

st.markdown("### Statistical neighbours")
nb_set = data.DEFAULT_COMPARATOR_SET if data.comparators(area) else "atlas_model"
nbrs = data.comparators(area, nb_set)
if not nbrs:
    st.info("No statistical neighbours for this area in this build.")
else:
    st.markdown(f"{data.comparator_set_label(nb_set)}: " + ", ".join(names.get(c, c) for c in nbrs) + ".")
    nb_tbl = ui.neighbour_group_table(latest, data.neighbour_group(area, latest, nb_set))
    if len(nb_tbl):
        st.dataframe(nb_tbl, hide_index=True, width="stretch", key="profile_neighbours")
        st.caption("Neighbour group: the unweighted mean and median of the neighbours' values at the same period, "
                   "and how many of them have a value (suppressed or missing values are left out, never filled). "
                   "Other comparator sets are on the Compare page.")
    st.page_link("pages/compare.py", label=f"Compare {info.get('area_name', area)} with its neighbours",
                 query_params={"area": area, "set": nb_set}, icon="➡️")

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
    st.dataframe(profile_lib.latest_table(dep).drop(columns=["Topic"]).rename(columns={"Period": "Edition"}),
                 hide_index=True, width="stretch", key="profile_dep")
else:
    st.info("No deprivation measures for this area.")

st.markdown("### Services nearby")
services_view.show_nearest(area, key="profile_mbu")

st.markdown("### Caveats")
for m in (HEAD, "cla_starts_u1"):
    ui.definition(m, expanded=True)
