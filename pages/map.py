"""Map: one measure, one year, by local authority (or by region for region-only measures)."""
from __future__ import annotations

import streamlit as st

from pages._lib import areas, charts, data, findings, map_view, pickers, state, ui

ui.guard()
st.title("Map")
ps = state.PageState("map", ('measure', 'year', 'colour', 'area'))
key_box = st.container()  # key findings first on the page (filled once the measure and year are known)

ids = data.map_measure_ids()
c1, c2, c3 = st.columns([3, 3, 2])
mid, meta, year = pickers.measure_and_year(ps, ids, c1, c2, widget="select_slider")
modes = map_view.colour_modes(meta)
mode = ps.choice("colour", "Colour by", list(modes), "continuous", format_func=modes.get, widget="radio",
                 container=c3, what="colouring")
ps.show_notices()
findings.show(key_box, mid, year)
user = ui.user_badge(mid)
ui.caveat(mid)

level = map_view.level_of(meta)
unit = meta.get("unit", "")
period = data.period_label(mid, year)
df = data.values(mid, year, level)
eng_value = map_view.england_value(mid, year)
names = data.area_names()

if level == "region":
    st.info("This measure is published for England and its regions only, so it is mapped by region.", icon="ℹ️")

st.markdown(f"**{meta.get('title', mid)}**, {period}")
layer = map_view.layer(df, year, level)
if layer is None:
    ui.not_shown("The map", "no boundary layer covers this year")
else:
    fig = map_view.figure(df, layer, mid, year, mode, level, unit, user)
    event = st.plotly_chart(fig, key="map_chart", on_select="rerun", selection_mode="points",
                            width="stretch", config={"scrollZoom": False, "displaylogo": False})
    map_view.take_click(event, names, ps._wkey("area"))
    st.caption("Click an area to select it (or use the list below). Grey areas have no published value. "
               "Scroll the page normally; use the chart's toolbar to zoom.")

st.markdown(charts.map_summary(df, eng_value, unit, period, map_view.level_words(level)))
ui.denominator_notice(df)
if user:
    st.caption(map_view.user_comparator_caption(mid, year, unit))

area_opts = [""] + list(df.sort_values("area_name")["area_code"])
if level == "la":  # an area not in force this year: say so, name its predecessor/successor (never drop it silently)
    areas.keep_area(ps, "area", year, period, area_opts)
sel = ps.choice("area", "Selected area (keyboard alternative to clicking the map)", area_opts, "",
                format_func=lambda c: "— none —" if c == "" else pickers.area_label(c), what="area")
ps.show_notices()
if sel:
    state.remember_area(sel)
    row = df[df["area_code"] == sel].iloc[0]
    st.success(map_view.selected_text(row, sel, meta, unit), icon="📍")
    if level == "la":
        st.page_link("pages/profile.py", label=f"Open the area profile of {row['area_name']}",
                     query_params={"area": sel}, icon="➡️")

ui.table_alternative(ui.status_table(df, unit, meta), "Table: all areas on this map", key="map_table")
ui.definition(mid)
