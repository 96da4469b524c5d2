"""Methods & sources: definitions, which measure is what, sources with publishers/editions/licences, build info."""
from __future__ import annotations

import streamlit as st

from pages._lib import data, fmt, methods_view, state, ui

ui.guard()
st.title("Methods & sources")
ps = state.PageState("methods", ('tab',))
tabs = {"measures": "Measures", "sources": "Sources", "build": "Build information", "approach": "Approach",
        "accessibility": "Accessibility"}
tab = ps.choice("tab", "Section", list(tabs), "measures", format_func=tabs.get, widget="radio", horizontal=True,
                what="section")
ps.show_notices()

if tab == "measures":
    st.markdown("""
**Which measure is what.**
- **Infant care starts** (`cla_starts_u1`, `cla_starts_u1_rate`): children who *started to be looked after aged under
  1* (DfE SSDA903), as a count and per 10,000 live births. All under-1s, all legal routes (including section 20
  voluntary arrangements). This is a proxy for infant entry to care and **not** the number or rate of newborns in care
  proceedings.
- **Newborns in care proceedings** (Nuffield Family Justice Observatory, from Cafcass data): babies subject to
  section 31 care proceedings in their first weeks of life. Published for England and its regions only, and shown
  as its own measure where present in this build.
""")
    st.page_link("pages/newborns.py", label="Every published newborn figure, by definition, with its source",
                 icon="➡️")
    m = methods_view.measures_by_id()
    for topic, ids in data.group_measures(list(m.index)):  # grouped by topic, headline measures first
        st.markdown(f"#### {topic}")
        for r in m.loc[ids].itertuples():
            with st.expander(f"{r.short_title} — `{r.measure_id}`"):
                st.markdown(f"**{r.title}**\n\n**Definition.** {r.definition}")
                if r.numerator:
                    st.markdown(f"**Numerator.** {r.numerator}")
                if r.denominator:
                    st.markdown(f"**Denominator.** {r.denominator}")
                st.markdown(f"**Unit.** {r.unit} · **years** {fmt.year(r.first_year)}–{fmt.year(r.last_year)} · "
                            f"**period type** {r.period_type} · **sources** {r.source_ids}")
                if r.caveats:
                    st.markdown(f"**Caveats.** {r.caveats}")
    st.dataframe(methods_view.measures_table(m), hide_index=True, width="stretch", key="methods_measures")
elif tab == "sources":
    s = data.sources()
    st.markdown(f"{len(s)} source files registered; {int(s['used'].fillna(False).sum())} used in this build. "
                "Crown copyright material is used under the Open Government Licence v3.0.")
    st.dataframe(s, hide_index=True, width="stretch", key="methods_sources",
                 column_config={"landing_page": st.column_config.LinkColumn("landing page")})
elif tab == "build":
    b = data.build_info()
    st.markdown(f"Built **{b.get('built_at')}** from code **{b.get('code_version')}** in "
                f"{b.get('build_seconds')} s. Fingerprint `{b.get('fingerprint')}`. "
                f"Warehouse: `{data.warehouse_path().name}`.")
    if b.get("warnings"):
        st.markdown("**Build warnings**")
        st.code(b["warnings"], language=None)
    st.markdown("**Tables in this build**")
    st.dataframe(data.table_counts(), hide_index=True, key="methods_tables")
    st.markdown("Source checksums (SHA-256) are in the *Sources* section.")
elif tab == "accessibility":
    st.markdown(ui.accessibility_statement())
else:
    st.markdown("""
- **Years.** DfE figures are for years ending 31 March (2020 = April 2019 to March 2020); a DfE year uses the local
  authority codes in force on 1 April at its start. Births are calendar years; the rate for year ending 31 March Y
  uses births in calendar year Y-1.
- **Suppression.** Small numbers withheld by the publisher are shown as *suppressed* and never estimated.
- **Confidence intervals** (where this build has them): Byar's method for rates, 95% and 99.8%. *Higher / similar /
  lower than England* uses the 95% interval; it is a statistical statement, not a judgement.
- **Reorganisations.** Local authority boundaries changed in 2013, 2019, 2020, 2021, 2023 and 2025; trend charts mark
  them. Figures are shown on the geography in force each year.
- **Language.** Behind every figure are mothers, babies and families. Higher rates indicate where support is most
  needed; they do not by themselves say whether decisions were right.
""")
