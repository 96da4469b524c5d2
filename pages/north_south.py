"""North–south & deprivation: is there a gradient, and how much of it does deprivation account for?"""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, findings, ns_view, pickers, services_view, state, ui

ui.guard()
st.title("North–south & deprivation")
ps = state.PageState("ns", ('measure', 'year', 'view', 'imd', 'period', 'access'))
key_box = st.container()  # key findings first on the page (filled once the measure and year are known)
ids = ns_view.measure_ids()
c1, c2, c3 = st.columns([3, 2, 3])
mid, meta, year = pickers.measure_and_year(ps, ids, c1, c2)
unit = meta.get("unit", "")
sections = ns_view.sections(mid)
sec = ps.choice("view", "Show", list(sections), "scatter", format_func=sections.get, container=c3, what="view")
ps.show_notices()
# parameters of the other views are not validated in this view: drop them so the URL holds only valid values
if sec != "deciles":
    ps.drop_param("imd")
if sec != "oe":
    ps.drop_param("period")
if sec != "services":
    ps.drop_param("access")
findings.show(key_box, mid, year)
user = ui.user_badge(mid)
ui.caveat(mid)
period = data.period_label(mid, year)
sd = data.scatter_data(mid, year)

if sec == "scatter":
    st.markdown(f"Each circle is a local authority (size = live births; colour **and** symbol = region), "
                f"{period}. The black line is a straight-line fit, for description only.")
    a, b = st.columns(2)
    with a:
        st.markdown("**Rate vs distance north**")
        if sd["north_south_km"].notna().any():
            st.plotly_chart(charts.scatter(sd, "north_south_km", "value", "km north (British National Grid)", unit),
                            width="stretch", key="ns_scatter")
        else:
            ui.not_shown("Distance north", "no local authority in this view has a location")
    with b:
        st.markdown("**Rate vs deprivation (IMD 2019 average score)**")
        if sd["imd_score"].notna().any():
            st.plotly_chart(charts.scatter(sd, "imd_score", "value", "IMD 2019 average score (higher = more deprived)",
                                           unit), width="stretch", key="imd_scatter")
        else:
            ui.not_shown("Deprivation scores", "no local authority in this view has an IMD 2019 score")
    if user:
        st.caption("For user data only the LA-level views (scatter and funnel) are offered: decile rates and models "
                   "would need totals derived from your counts, which disclosure control does not allow.")
    st.markdown(ns_view.scatter_count_text(sd, period))
    ui.table_alternative(findings.scatter_table(sd, meta), "Table: the data in these charts", key="ns_table")

elif sec == "deciles":
    dg = data.deprivation_gradient(mid, year)
    if dg.empty:
        ui.not_shown("The deprivation-decile gradient", "it is not computed for this measure and year")
    else:
        ed = ns_view.editions(dg)
        e = ps.choice("imd", "IMD edition", ed, ed[-1], what="IMD edition")
        ps.show_notices()
        d = dg[dg["imd_edition"] == e]
        st.plotly_chart(charts.decile_bars(d, unit), width="stretch", key="decile_bars")
        ui.dispersion_notice(d)
        if sii := ns_view.sii_text(mid, year, e, unit):
            st.markdown(sii)
        st.markdown(ns_view.decile_text(d, unit))
        ui.table_alternative(findings.decile_table(d, meta), "Table: rates by decile", key="decile_table")

elif sec == "models":
    sm, mm = data.ns_summary(), data.ns_models()
    if sm.empty:
        ui.not_shown("The north–south models", "no year had enough local authorities with a rate to fit them")
    else:
        if mid != findings.NS_MEASURE:
            st.info(f"The models are fitted to *{ui.measure_name(findings.NS_MEASURE)}*; they are shown here for "
                    "that measure, whichever measure is selected.", icon="ℹ️")
        this, pooled, others = ns_view.model_periods(sm, year)
        if this.empty:
            st.markdown(f"No model for {period} (too few areas with a value).")
        for r in list(this.itertuples()) + list(pooled.itertuples()):
            st.markdown(findings.summary_paragraph(r))
        st.markdown(f"**Model coefficients, {period} and pooled** (rate ratios: 1 = no association)")
        st.dataframe(findings.model_table(mm, list(this["period"]) + list(pooled["period"])), hide_index=True,
                     width="stretch", key="ns_model_table")
        with st.expander(f"Other years ({len(others)})"):
            for r in others.itertuples():
                st.markdown(findings.summary_paragraph(r))
            st.dataframe(findings.model_table(mm, list(others["period"]), main_only=False), hide_index=True,
                         width="stretch", key="ns_model_table_all")
        ui.ns_context_section()

elif sec == "oe":
    sm = data.ns_summary()
    periods = list(sm["period"])
    if not periods:
        ui.not_shown("The observed/expected map", "no year had enough local authorities with a rate to fit the model")
    else:
        p = ps.choice("period", "Period", periods, periods[-1], what="period")
        ps.show_notices()
        oe = data.ns_expected(p)
        # the boundaries of the period's last year: the codes the model's areas had then (e.g. Cumberland from 2024)
        layer = data.layer_for(findings.last_year(p), "la")
        if layer is None:
            ui.not_shown("The map", "no boundary layer covers this period")
        else:
            st.plotly_chart(charts.oe_map(findings.oe_frame(oe), layer), width="stretch", key="oe_map")
        st.markdown("Observed / expected = infant care starts compared with what the model (distance north and "
                    "deprivation) predicts: 1 = as expected (white), above 1 = more than expected (red), below 1 = "
                    "fewer (blue); the scale is logarithmic, so 2 and 0.5 are equally far from 1. For a pooled "
                    "period, areas are shown on the boundaries of its last year.")
        ui.table_alternative(findings.oe_table(oe), "Table: observed and expected", key="oe_table")

elif sec == "services":
    services_view.render_rates_section(ps, mid, year, unit)

else:
    f = data.funnel(mid, year)
    if f is None and user:
        st.info("No funnel plot for this year: your file needs an England row or at least two LAs with an "
                "unsuppressed value to give a comparator.", icon="ℹ️")
    else:
        pts, lim, par = f
        target = findings.funnel_target(par)
        od = False if user else st.checkbox("Allow for overdispersion (wider limits)", value=False, key="ns_od")
        if user:
            st.caption(f"Centre line and limits: {par['method'].iloc[0]} ({charts.fmt(target)} {unit}); flags as "
                       "computed at import. Suppressed LAs are not plotted.")
        st.plotly_chart(charts.funnel(pts, lim, target, unit, od=od), width="stretch", key="funnel")
        st.markdown(f"Areas outside the funnel's limits differ from England by more than chance would suggest "
                    f"(▲ above, ▼ below). {len(pts)} areas plotted.")
        ui.table_alternative(findings.funnel_table(pts, meta), "Table: funnel points", key="funnel_table")
ui.definition(mid)
