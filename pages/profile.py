"""Area profile: one local authority on one printable page."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, findings, pickers, profile_lib, services_view, state, ui

ui.guard()
ui.print_css()
ps = state.PageState("profile", ('area',))
names = data.area_names()
la_opts = data.la_codes()
default = pickers.remembered_default(la_opts, "")  # else a prompt to choose
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
valid = profile_lib.valid_to_text(info)
st.markdown(f"{info.get('area_name')} ({area}) is in {info.get('region_name') or info.get('country')}.{valid} "
            "Use your browser's *Print* to save this page as PDF.")
ui.caveat("cla_starts_u1_rate")

HEAD = profile_lib.HEAD
latest = data.area_latest(area)
st.markdown("### Headline measures")
if latest.empty:
    st.info("No values for this area.")
else:
    head = profile_lib.headline_rows(latest)
    cols = st.columns(max(1, len(head)))
    for c, chip in zip(cols, profile_lib.headline_chips(head)):
        c.metric(chip["label"], chip["value"], chip["delta"], delta_color=chip["delta_color"],
                 delta_arrow=chip["delta_arrow"], help=chip["help"])
    st.dataframe(profile_lib.latest_table(latest), hide_index=True, width="stretch", key="profile_latest")

st.markdown("### Statistical neighbours")
nb_set = profile_lib.neighbour_set(area)
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
ser = data.series(HEAD, profile_lib.trend_codes(area, info))
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
f = profile_lib.latest_funnel(HEAD)
if f is None:
    ui.not_shown("The funnel plot", "this measure has no year with a funnel plot")
else:
    pts, lim, par = f
    target = findings.funnel_target(par)
    st.plotly_chart(charts.funnel(pts, lim, target, data.measure(HEAD).get("unit", ""), highlight=area),
                    width="stretch", key="profile_funnel")
    if pos := profile_lib.funnel_position(pts, area):
        st.markdown(pos)

st.markdown("### Deprivation")
dep = profile_lib.deprivation_table(latest)
if len(dep):
    st.dataframe(dep, hide_index=True, width="stretch", key="profile_dep")
else:
    st.info("No deprivation measures for this area.")

st.markdown("### Services nearby")
services_view.show_nearest(area, key="profile_mbu")

st.markdown("### Caveats")
for m in (HEAD, "cla_starts_u1"):
    ui.definition(m, expanded=True)
