"""Services: perinatal mental health and family support services alongside infant care entry."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, pickers, services_view, state, ui

ui.guard()
st.title("Services")
st.markdown("Where support for mothers and babies is: specialist inpatient **mother and baby units** (MBUs) as "
            "points, and service measures by local authority. Service locations and coverage come from published "
            "lists of varying completeness: see the confidence notes.")
ps = state.PageState("services", ('measure', 'year', 'area'))
have = services_view.service_measures()
opts = services_view.colour_options(have)
c1, c2 = st.columns(2)
mid = ps.choice("measure", "Colour areas by", opts, opts[0] if opts else None, format_func=ui.measure_label,
                container=c1, what="measure")
years = data.measure_years(mid) if mid else []
year = ps.choice("year", "Year", years, years[-1] if years else None, format_func=lambda y: data.period_label(mid, y),
                 shared="year", widget="select_slider", container=c2, what="year")
ps.show_notices()
pts = data.services_points()
shown = data.services_points_open(year)  # the units open at 31 March of the chosen year
if mid:
    meta = data.measure(mid)
    df = data.values(mid, year, "la")
    layer = data.layer_for(year, "la")
    if layer is None:
        ui.not_shown("The services map", "no boundary layer covers this year")
    else:
        fig = charts.choropleth(df, layer, unit=meta.get("unit", ""), scale="Cividis")
        if len(shown):
            charts.add_points(fig, shown[shown["lat"].notna()])
        ev = st.plotly_chart(fig, key="services_map", on_select="rerun", selection_mode="points",
                             width="stretch")
        if clicked := services_view.clicked_area(ev):
            state.remember_area(clicked)
            st.page_link("pages/profile.py", label=f"Open the area profile of {data.area_names()[clicked]}",
                         query_params={"area": clicked}, icon="➡️")
        st.caption(services_view.points_caption(shown, year))
    st.markdown(charts.map_summary(df, None, meta.get("unit", ""), data.period_label(mid, year)))
    ui.table_alternative(ui.status_table(df, meta.get("unit", "")), "Table: areas", key="services_table")
    ui.definition(mid)

st.markdown("### Nearest unit to a local authority")
la_opts = data.la_codes(current_only=True)
if la_opts:
    names = data.area_names()
    area = ps.choice("area", "Local authority", la_opts, pickers.remembered_default(la_opts, la_opts[0]),
                     format_func=lambda c: f"{names.get(c, c)} ({c})", what="area")
    ps.show_notices()
    services_view.show_nearest(area, key="services_nearest", year=year)

st.markdown("### Mother and baby units")
st.markdown(services_view.points_summary(pts, shown, year))
st.dataframe(shown, hide_index=True, width="stretch", key="mbu_table")
