"""Newborns in care proceedings: every compiled public figure with its definition, the LA proxy beside it, and the
route to LA-level newborn figures (a researcher's own extract). Layout only: logic in pages/_lib/newborns.py and
newborn_extracts.py."""
from __future__ import annotations

import streamlit as st

from pages._lib import charts, data, state, ui, userdata
from pages._lib import newborn_extracts as nbx
from pages._lib import newborns as nb

ui.guard()
st.title("Newborns in care proceedings")
ps = state.PageState("newborns", ("definition", "extract", "year"))
figs, classes, parts = nb.load()

st.markdown(
    "**Local-authority figures for newborns in care proceedings are not published.** What is public is a set of "
    "national and regional figures from different studies, using **different definitions** — babies under 7 days "
    "at the issue of s.31 proceedings, under 2 weeks, babies entering care in their first week by any route, "
    "infants under 1, and care applications for children of all ages. This page shows every one of them "
    f"({len(figs)} figures, each with its source and link), keeps each definition on its own chart, sets the "
    "atlas's local-authority proxy (infant care starts) beside them, and shows how to bring an LA-level extract.")
ratios = nb.proxy_ratios(figs)
sentence = nb.proxy_sentence(ratios)
if sentence:
    st.info(sentence, icon="ℹ️")

# ---------------------------------------------------------------------------------------------------------------
st.header("England: newborns in care proceedings over time")
st.caption("Each definition and each quantity has its own panel; the panels do not share a scale. Symbols show "
           "where each figure was read: ● report, ■ news release of the report, ◆ secondary summary.")
eng = nb.england_newborn_series(figs)
for i in range(0, len(eng), 2):
    cols = st.columns(2)
    for c, s in zip(cols, eng[i:i + 2]):
        with c:
            st.markdown(f"**{s['definition_label']}**")
            st.plotly_chart(nb.series_figure(s), key=f"nb_eng_{i}_{s['quantity']}_{s['definition_class']}",
                            width="stretch", config={"displaylogo": False})
            st.caption(nb.series_sources(s))
            ui.table_alternative(nb.series_table(s), f"Table: {nb.series_title(s)}",
                                 key=f"nb_eng_tab_{s['definition_class']}_{s['quantity']}")

# ---------------------------------------------------------------------------------------------------------------
st.header("What is known, by definition")
opts = ["all"] + list(classes["definition_class"])
labels = dict(zip(classes["definition_class"], classes["label"]))
pick = ps.choice("definition", "Show the figures of", opts, "all",
                 format_func=lambda k: "every definition" if k == "all" else labels.get(k, k), what="definition")
ps.show_notices()
st.dataframe(nb.source_type_counts(figs), hide_index=True, key="nb_source_types")
st.download_button(f"Download all {len(figs)} figures (CSV, with definitions, source types and links)",
                   nb.csv_all(figs), file_name="newborns_reference_figures.csv", mime="text/csv", on_click="ignore",
                   key="nb_download_all", icon="📄")
for cls, rows in nb.by_class(figs, classes):
    if pick != "all" and cls["definition_class"] != pick:
        continue
    with st.container(border=True):
        st.subheader(cls["label"])
        st.markdown(cls["definition"])
        if rows.empty:
            st.caption("No figure of this kind is in the compiled pages.")
            continue
        st.caption(f"{len(rows)} figures: " + ", ".join(f"{n} from a {t}" for t, n in
                                                       rows["source_type"].value_counts().items()))
        for k, (heading, part) in enumerate(nb.by_source_type(rows)):
            st.markdown(f"**{heading}** ({len(part)})")
            st.dataframe(nb.display_table(part), hide_index=True, width="stretch",
                         key=f"nb_table_{cls['definition_class']}_{k}",
                         column_config={"Link": st.column_config.LinkColumn("Link")})
        groups = nb.other_series(rows)
        for j, s in enumerate(groups):
            if j % 2 == 0:
                cols = st.columns(2)
            with cols[j % 2]:
                st.plotly_chart(nb.series_figure(s), key=f"nb_series_{cls['definition_class']}_{j}",
                                width="stretch", config={"displaylogo": False})
                st.caption(nb.series_sources(s))
                ui.table_alternative(nb.series_table(s), f"Table: {nb.series_title(s)}",
                                     key=f"nb_series_tab_{cls['definition_class']}_{j}")

conf = nb.conflicts(figs)
if conf:
    st.subheader("Where reports differ")
    st.caption("The same figure reported with different values (or once as a bound) by different pages. Both are "
               "kept and shown with their sources.")
    for g in conf:
        st.markdown("- " + nb.conflict_text(g))

# ---------------------------------------------------------------------------------------------------------------
st.header("Regions")
rates = nb.regional_newborn_rates(figs)
pooled = nb.regional_starts_pooled()
layer = nb.region_layer()
c1, c2 = st.columns(2)
with c1:
    st.markdown("**Newborns (under 7 days) in s.31 proceedings per 10,000 live births, overall 2008–2016** "
                "(Born into care, England 2018: only the regions the news release quotes)")
    if layer is None:
        ui.not_shown("The region map", "no region boundary layer")
    else:
        st.plotly_chart(nb.region_category_map(rates, layer, data.area_names()), key="nb_region_newborn_map",
                        width="stretch", config={"scrollZoom": False, "displaylogo": False})
    ui.table_alternative(rates.drop(columns=["low"]), "Table: regional newborn rates as published",
                         key="nb_region_newborn_table")
with c2:
    period = pooled["period"].iloc[0] if len(pooled) else ""
    st.markdown(f"**A different measure: infant (under 1) care starts per 10,000 live births, {period}** (DfE; "
                "the nearest years available — the LA starts files begin in 2010/11)")
    if layer is not None and len(pooled):
        st.plotly_chart(charts.choropleth(pooled, layer, unit="per 10,000 live births", height=520),
                        key="nb_region_starts_map", width="stretch", config={"scrollZoom": False,
                                                                             "displaylogo": False})
    ui.table_alternative(ui.status_table(pooled, "per 10,000 live births"),
                         "Table: regional infant care-start rates (pooled)", key="nb_region_starts_table")
st.caption("Two different measures, two maps, two scales: do not read one as the other.")

st.subheader("Local authorities above England, 2016")
out = nb.outliers_by_region(parts)
st.markdown(nb.OUTLIER_CAVEAT)
b1, b2 = st.columns(2)
with b1:
    col = out.columns[1]
    st.markdown(f"**{col}**")
    st.plotly_chart(nb.bar_figure(out, col, "#0072B2"), key="nb_outliers_report", width="stretch",
                    config={"displaylogo": False})
with b2:
    col = out.columns[2]
    st.markdown(f"**{col}**")
    st.plotly_chart(nb.bar_figure(out, col, "#D55E00"), key="nb_outliers_atlas", width="stretch",
                    config={"displaylogo": False})
ui.table_alternative(out, "Table: local authorities above England by region (two measures)", key="nb_outliers_table")
st.caption("The report's 16 local authorities are not named in any page compiled here; their newborn rates ranged "
           "from 55 to 159 per 10,000 live births.")

# ---------------------------------------------------------------------------------------------------------------
st.header("How the local-authority proxy relates")
st.markdown("Where England has both a newborn count and infant care starts for the **same financial year**, the "
            "ratio below says how large one is relative to the other. It is a national comparison of two different "
            "measures; it is **never** applied to local authorities to estimate their newborn figures.")
st.dataframe(ratios, hide_index=True, width="stretch", key="nb_proxy_table")

# ---------------------------------------------------------------------------------------------------------------
st.header("The route to local-authority newborn figures")
st.markdown("LA-level newborn figures exist only in record-level data held by:")
for who, what in nbx.DATA_HOLDERS:
    st.markdown(f"- **{who}** — {what}")
st.markdown("Researchers with approved access (or an LA using its own case records) can bring an aggregate extract "
            "into the atlas with `atlas import FILE --as NAME` or on the **Your data** page. It is validated, "
            "disclosure-controlled (counts 1–4 suppressed, plus any cell that would reveal one) and always badged "
            "as not official statistics. A newborn extract carries its definition in two fields, one value per "
            "measure: `age_at_issue` and `proceedings_type`.")
st.dataframe(nbx.IMPORT_SPEC, hide_index=True, width="stretch", key="nb_import_spec")
st.download_button("Download a synthetic example extract (random numbers, not real figures)",
                   nbx.synthetic_extract(nbx.synthetic_births()), file_name="newborn_extract_synthetic.csv",
                   mime="text/csv", on_click="ignore", key="nb_synthetic", icon="📄")
st.page_link("pages/your_data.py", label="Load an extract on the Your data page", icon="➡️")

mids = nbx.newborn_extracts()
if not mids:
    if st.query_params.get("extract"):
        st.warning("This link names a user extract. User data live only in the browser session that loaded them: "
                   "load the extract on the Your data page to see it here.", icon="⚠️")
    st.caption("No newborn extract is loaded in this session: the LA newborn map, funnel plot and comparison with "
               "infant care starts appear here once one is (upload it on the Your data page, or tick a dataset "
               "imported with `atlas import` there).")
    ui.stop()

st.subheader("Your newborn extract by local authority")
st.markdown(userdata.BADGE_MD)
mid = ps.choice("extract", "Extract", mids, mids[0], format_func=ui.measure_label, what="extract")
years = data.measure_years(mid)
year = ps.choice("year", "Year", years, years[-1] if years else None,
                 format_func=lambda y: data.period_label(mid, y), what="year")
ps.show_notices()
ui.user_badge(mid)
st.caption(f"Definition as supplied: {nbx.extract_definition(mid)}")
vals = nbx.la_newborn_values(mid, year)
unit = data.measure(mid).get("unit", "per 10,000 live births")
la_layer = data.layer_for(year, "la")
if la_layer is not None:
    st.plotly_chart(charts.choropleth(vals, la_layer, unit=unit), key="nb_user_map", width="stretch",
                    config={"scrollZoom": False, "displaylogo": False})
ui.table_alternative(ui.status_table(vals, unit), "Table: LA newborn rates (user extract)", key="nb_user_map_table")
f1, f2 = st.columns(2)
with f1:
    st.markdown(f"**Funnel plot, {data.period_label(mid, year)}** {userdata.BADGE_MD}")
    fun = data.funnel(mid, year)
    if fun is None:
        st.caption("No comparator in the extract for this year (an England row, or at least two shown LAs).")
    else:
        pts, lim, par = fun
        st.plotly_chart(nbx.funnel_figure(pts, lim, float(par["target"].iloc[0]), unit), key="nb_user_funnel",
                        width="stretch", config={"displaylogo": False})
        ui.table_alternative(pts, "Table: funnel plot points", key="nb_user_funnel_table")
with f2:
    same = ", ".join(data.period_label(mid, y) for y in years)
    st.markdown(f"**Against the LA infant care-start rate, same years ({same}, pooled)** {userdata.BADGE_MD}")
    sc = nbx.scatter_frame(mid, years)
    if len(sc) >= 2:
        st.plotly_chart(charts.scatter(sc, "starts_rate", "newborn_rate",
                                       "Infant care starts per 10,000 live births (DfE, official)",
                                       "Newborns per 10,000 births (user extract, not official)"),
                        key="nb_user_scatter", width="stretch", config={"displaylogo": False})
    ui.table_alternative(nbx.scatter_table(sc), "Table: newborn rate vs infant care-start rate",
                         key="nb_user_scatter_table")
st.caption("Suppressed cells (disclosure control) are blank and left out of the funnel plot and the scatter; they are "
           "never estimated.")
