"""Trends: local authorities against their region and England over all years."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, pickers, state, trend_view, ui

ui.guard()
st.title("Trends")
ps = state.PageState("trends", ('measure', 'areas', 'view'))
names = data.area_names()
ids = data.trend_measure_ids()

c1, c2 = st.columns([2, 3])
mid = ps.choice("measure", "Measure", ids, data.default_measure(), format_func=ui.measure_label, shared="measure",
                container=c1, what="measure")
meta = data.measure(mid)
unit = meta.get("unit", "")
la_opts = data.la_codes()
default_la = [d] if (d := pickers.remembered_default(la_opts, None)) else []  # else a prompt to choose
pickers.preset_picker(ps, "areas", la_opts, None, max_n=state.MAX_AREAS, container=c2)
sel = ps.multi("areas", "Local authorities (up to 12)", la_opts, default_la, shared="areas",
               format_func=pickers.area_label, container=c2, what="areas")
c3, c4 = st.columns([2, 3])
view = ps.choice("view", "View", ["areas", "regions"], "areas", widget="radio", horizontal=True, container=c3,
                 format_func={"areas": "Selected areas vs region and England",
                              "regions": "Small multiples: all regions"}.get, what="view")
show_ci = c4.checkbox("Show 95% confidence intervals", value=True, key="trends_ci")
show_cont = c4.checkbox("Continue lines across reorganisations (where additive)", value=True, key="trends_continuity",
                        help="Same-boundary code changes: the former code's figures under the new code. County "
                             "splits: the former county rebuilt as the sum of its successors (not published when "
                             "any part is suppressed). Never for non-additive changes (Dorset/BCP 2019).")
ps.show_notices()
user = ui.user_badge(mid)
ui.caveat(mid)
if sel:
    state.remember_area(sel[0])

if view == "areas":
    if not sel:
        st.info("Choose one or more local authorities to see their trends.")
    else:
        ser, cont, brk = trend_view.area_series(mid, sel, show_cont)
        st.plotly_chart(charts.trend(ser, brk, unit, show_ci=show_ci, continuity=cont),
                        width="stretch", key="trend_chart")
        st.markdown(charts.trend_summary(ser, unit))
        if len(cont):
            st.markdown("**Continued across reorganisations** (dash-dot lines, open markers): "
                        + charts.trend_summary(cont.assign(area_name=cont["label"]), ""))
            st.caption("A same-boundary code change shows the former code's published figures under the new code; a "
                       "county split shows the former county rebuilt as the sum of its successors' counts and "
                       "denominators, with its own confidence interval. A sum is not published when any part is "
                       "suppressed (it would reveal the suppressed figure). See Methods.")
        if len(brk):
            st.markdown("**Reorganisations affecting these areas** (dashed vertical lines). Figures before and "
                        "after a change are for different areas; where the change is additive (e.g. a county split "
                        "into two unitaries) the predecessor's figures cover the same ground as its successors "
                        "together.")
            st.dataframe(brk[["from_year", "old_name", "old_code", "new_name", "new_code", "change_type",
                              "additive", "note"]], hide_index=True, width="stretch")
        ui.table_alternative(trend_view.table(ser, unit, cont), "Table: values in this chart", key="trend_table")
else:
    ser = trend_view.region_series(mid)
    st.plotly_chart(charts.small_multiples(ser, unit), width="stretch", key="trend_multiples")
    st.markdown(charts.trend_summary(ser, unit))
    ui.table_alternative(trend_view.table(ser, unit), "Table: values in this chart", key="trend_table_r")

lines = trend_view.change_lines(mid, sel, names, user)
if lines:
    st.markdown("**Change over the period** (a fitted trend: the average change a year, with its 95% confidence "
                "interval)")
    st.markdown("\n".join(f"- {x}" for x in lines))
ui.definition(mid)
