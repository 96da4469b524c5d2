"""Compare areas: one LA against its region, England and its statistical neighbours, for every measure."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, compare_view, data, pickers, profile_lib, state, ui

ui.guard()
st.title("Compare areas")
ps = state.PageState("compare", ('area', 'set', 'with'))
names = data.area_names()
la_opts = data.la_codes()
default = pickers.remembered_default(la_opts, "")  # else a prompt to choose
c1, c2 = st.columns([2, 3])
area = ps.choice("area", "Local authority", ["", *la_opts], default, container=c1, what="area",
                 format_func=lambda c: pickers.area_label(c) if c else "— choose a local authority —")
if not area:
    ps.drop_param("with")  # comparators belong to a chosen area
    ps.show_notices()
    st.info("Choose a local authority to compare it with its region, England and its statistical neighbours "
            "(or click an area on the Map).", icon="👆")
    ui.stop()
state.remember_area(area)
set_ids = data.comparator_set_ids()
set_id = ps.choice("set", "Comparator set", set_ids, data.DEFAULT_COMPARATOR_SET, container=c1,
                   format_func=data.comparator_set_label, what="comparator set") if set_ids else None
neigh = data.comparators(area, set_id)[:state.MAX_AREAS] if set_id else []
state.follow_defaults(ps, "with", (area, set_id), neigh)  # a new area (or set) brings its own comparators
pickers.preset_picker(ps, "with", la_opts, area, max_n=state.MAX_AREAS, container=c2, exclude=area)
comp = ps.multi("with", "Comparators (add or remove)", [c for c in la_opts if c != area], neigh,
                format_func=pickers.area_label, container=c2, what="comparators")
state.remember_edit(ps, "with", (area, set_id), neigh, comp)
ps.show_notices()
if not neigh:
    st.caption(f"{data.comparator_set_label(set_id) if set_id else 'Statistical neighbours'}: none for "
               f"{names.get(area, area)} in this build (the sets cover English upper-tier LAs; the April 2021 "
               "edition predates the LAs created in 2023). Choose another set or add comparators by hand.")
else:
    st.caption(f"Default comparators for {names.get(area, area)}: {data.comparator_set_label(set_id)} — "
               f"{', '.join(names.get(c, c) for c in neigh)}. {data.comparator_set_description(set_id)}")

info = data.area_info(area)
latest = data.area_latest(area, with_user=True)
if latest.empty:
    st.info("No values for this area.")
    ui.stop()
if set_id and (note := ui.comparator_set_year_note(set_id, latest)):
    st.caption(note)
codes = compare_view.codes(area, info, comp)
vals = data.compare(codes, latest)

st.markdown(f"### {info.get('area_name')} compared with {info.get('region_name')}, England and "
            f"{len(comp)} comparator{'s' if len(comp) != 1 else ''}")
st.markdown("Each measure at its latest year for this area. ▲ higher / ● similar / ▼ lower than England where "
            "95% confidence intervals allow a comparison; this says nothing about whether higher is better.")

if len(vals):
    tab = compare_view.tartan(vals, codes, area, latest, set_id, names)
    if any(data.is_user(m) for m in latest["measure_id"]):
        st.markdown(ui.userdata.BADGE_MD + " Rows marked ⚠️ are your data (this session only), shown with "
                    "disclosure control; their comparator is your file's own England row where given.")
    with st.container(key="wide_only"):
        st.dataframe(tab, width="stretch")
    with st.container(key="phone_only"):  # on a phone: one short list per measure instead of the wide table
        st.html(ui.per_measure_list(tab))
    st.caption("Cells: value (95% confidence interval where computed). Suppressed values are never shown."
               + (f" Neighbour group: the unweighted mean and median of the {len(neigh)} neighbours in "
                  f"{data.comparator_set_label(set_id)} at the same period, and how many have a value; "
                  "suppressed or missing values are left out, never filled." if set_id and neigh else ""))

rows = compare_view.spine_rows(latest)
if len(rows):
    st.markdown("#### Spine chart: where this area sits among English local authorities")
    st.plotly_chart(charts.spine(rows), width="stretch", key="spine")
    st.caption("Grey bar: the range of English LAs (lowest to highest); blue: the middle half; black tick: England; "
               "orange diamond: this area (with ▲ ● ▼ vs England where computed).")
    ui.table_alternative(profile_lib.spine_table(rows), "Table: spine chart data", key="spine_table")
st.page_link("pages/profile.py", label=f"Open the area profile of {info.get('area_name')}",
             query_params={"area": area}, icon="➡️")
