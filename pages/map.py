"""Map: one measure, one year, by local authority (or by region for region-only measures)."""
from __future__ import annotations

import streamlit as st

from pages._lib import areas, charts, data, findings, fmt, pickers, state, ui

ui.guard()
st.title("Map")
ps = state.PageState("map", ('measure', 'year', 'colour', 'area'))
key_box = st.container()  # key findings first on the page (filled once the measure and year are known)

ids = data.map_measure_ids()
c1, c2, c3 = st.columns([3, 3, 2])
mid = ps.choice("measure", "Measure", ids, data.default_measure(), format_func=ui.measure_label, shared="measure",
                container=c1, what="measure")
meta = data.measure(mid)
years = data.measure_years(mid)
year = ps.choice("year", "Year", years, years[-1] if years else None, format_func=lambda y: data.period_label(mid, y),
                 shared="year", widget="select_slider", container=c2, what="year")
modes = {"continuous": "Continuous scale", "quantile": "Quintile bands"}
if meta.get("value_type") == "rate":
    modes["significance"] = "Compared with England (95%)"
mode = ps.choice("colour", "Colour by", list(modes), "continuous", format_func=modes.get, widget="radio",
                 container=c3, what="colouring")
ps.show_notices()
findings.show(key_box, mid, year)
user = ui.user_badge(mid)
ui.caveat(mid)

level = "region" if meta.get("level") == "region" else "la"
unit = meta.get("unit", "")
period = data.period_label(mid, year)
df = data.values(mid, year, level)
eng = data.values(mid, year, "england")
eng_value = eng["value"].iloc[0] if len(eng) else None
names = data.area_names()

if level == "region":
    st.info("This measure is published for England and its regions only, so it is mapped by region.", icon="ℹ️")

st.markdown(f"**{meta.get('title', mid)}**, {period}")
countries = tuple(sorted(set(df.loc[df["value"].notna(), "country"].dropna()))) or ("England",) if level == "la" else ()
layer = data.layer_for(year, level, countries)
if layer is None:
    ui.not_in_build("The map", "the boundary tables from the geometry step (`boundary_layers`)")
else:
    labels = None
    if mode == "significance":
        g = data.la_geo()
        if len(g):
            labels = df.merge(g[["area_code", "rep_lon", "rep_lat"]], on="area_code")
            labels = labels[labels["sig_england_95"].isin(["higher", "lower"])]
            labels = labels.assign(symbol=labels["sig_england_95"].map(charts.SIG_SYMBOL))
    build = lambda: charts.choropleth(df, layer, mode=mode, unit=unit, label_points=labels)  # noqa: E731
    # user data never go into the cross-session figure cache
    fig = build() if user else charts.memo(("map", data.token(), mid, int(year), mode, level, layer["layer_id"]),
                                           build)
    event = st.plotly_chart(fig, key="map_chart", on_select="rerun", selection_mode="points",
                            width="stretch", config={"scrollZoom": False, "displaylogo": False})
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        code = points[0].get("location")
        if code in names and st.session_state.get("_map_last_click") != code:
            st.session_state["_map_last_click"] = code
            st.session_state[ps._wkey("area")] = code
    st.caption("Click an area to select it (or use the list below). Grey areas have no published value. "
               "Scroll the page normally; use the chart's toolbar to zoom.")

st.markdown(charts.map_summary(df, eng_value, unit, period,
                               "regions" if level == "region" else "local authorities"))
ui.denominator_notice(df)
if user:
    comp, comp_value = data.user_comparator(mid, year)
    st.caption(f"Comparator for this user measure: {comp or 'none'}"
               f"{f' ({charts.fmt(comp_value)} {unit})' if comp_value is not None else ''}. "
               "“Compared with England” colours are offered only when your file has an England row.")

area_opts = [""] + list(df.sort_values("area_name")["area_code"])
if level == "la":  # an area not in force this year: say so, name its predecessor/successor (never drop it silently)
    areas.keep_area(ps, "area", year, period, area_opts)
sel = ps.choice("area", "Selected area (keyboard alternative to clicking the map)", area_opts, "",
                format_func=lambda c: "— none —" if c == "" else pickers.area_label(c), what="area")
ps.show_notices()
if sel:
    state.remember_area(sel)
    row = df[df["area_code"] == sel].iloc[0]
    status = data.status_label(row["status"], row.get("note"))
    dec = fmt.decimals(meta)
    ci = fmt.ci(row["lower_95"], row["upper_95"], dec)
    ci = f" (95% CI {ci})" if ci else ""
    shown = fmt.num(row["value"], dec) or "no value"
    st.success(f"Selected: **{row['area_name']}** ({sel}) — {shown} {unit}{ci}; {status}.", icon="📍")
    if level == "la":
        st.page_link("pages/profile.py", label=f"Open the area profile of {row['area_name']}",
                     query_params={"area": sel}, icon="➡️")

ui.table_alternative(ui.status_table(df, unit, meta), "Table: all areas on this map", key="map_table")
ui.definition(mid)
