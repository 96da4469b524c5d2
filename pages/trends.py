"""Trends: local authorities against their region and England over all years."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pages._lib import charts, data, findings, pickers, state, ui

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
default_la = [state.remembered_area()] if state.remembered_area() in la_opts else []  # else a prompt to choose
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
        info = data.areas().set_index("area_code")
        regions = sorted({info.loc[c, "region_code"] for c in sel if c in info.index and info.loc[c, "region_code"]})
        cont = data.continuity(mid, list(sel)) if show_cont else data.continuity(mid, [])
        former = [c for c in dict.fromkeys(cont["area_code"]) if c not in sel]  # split: the former area's own line
        codes = list(sel) + former + regions + [data.ENGLAND]
        ser = data.series(mid, codes)
        order = {c: i for i, c in enumerate(codes)}
        ser = ser.assign(_o=ser["area_code"].map(order)).sort_values(["_o", "year"]).drop(columns="_o")
        brk = data.breaks_for(list(sel))
        st.plotly_chart(charts.trend(ser, brk, unit, show_ci=show_ci, continuity=cont),
                        width="stretch", key="trend_chart")
        st.markdown(charts.trend_summary(ser, unit))
        cont_named = cont.assign(area_name=cont["label"])
        if len(cont):
            st.markdown("**Continued across reorganisations** (dash-dot lines, open markers): "
                        + charts.trend_summary(cont_named, ""))
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
        tbl = ui.status_table(ser, unit).assign(Year=ser["period_label"].values)
        if len(cont):
            tbl = pd.concat([tbl, ui.status_table(cont_named, unit).assign(Year=cont["period_label"].values)],
                            ignore_index=True)
        ui.table_alternative(tbl, "Table: values in this chart", key="trend_table")
else:
    ser = data.series(mid, data.region_codes() + [data.ENGLAND])
    st.plotly_chart(charts.small_multiples(ser, unit), width="stretch", key="trend_multiples")
    st.markdown(charts.trend_summary(ser, unit))
    ui.table_alternative(ui.status_table(ser, unit).assign(Year=ser["period_label"].values),
                         "Table: values in this chart", key="trend_table_r")

ts = None if user else data.trend_summary(mid)
if ts is not None and sel:
    t = ts[ts["area_code"].isin(sel)]
    if len(t):
        st.markdown("**Change over the period** (a fitted trend: the average change a year, with its 95% confidence "
                    "interval)")
        st.markdown("\n".join(f"- {x}" for x in findings.trend_lines(t, names)))
ui.definition(mid)
