"""Data & downloads: filter, preview, download a tidy CSV with definitions, status, CIs, source and licence."""
from __future__ import annotations

import streamlit as st

from pages._lib import data, export, pickers, state, ui

ui.guard()
st.title("Data & downloads")
ps = state.PageState("downloads", ('measures', 'levels', 'region', 'areas', 'from', 'to'))
names = data.area_names()
m_all = data.measure_ids() + data.user_measure_ids()
mids = ps.multi("measures", "Measures", m_all, [data.default_measure()], format_func=ui.measure_label, max_n=50,
                what="measures")
levels = {"la": "Local authorities", "region": "Regions", "england": "England", "country": "Wales (country)"}
lv = ps.multi("levels", "Area types", list(levels), ["la", "region", "england"], format_func=levels.get, max_n=4,
              what="area types")
c1, c2 = st.columns(2)
region = ps.choice("region", "Region", [""] + pickers.region_options(), "", container=c1, what="region",
                   format_func=lambda c: "All regions" if c == "" else names.get(c, c))
pool = pickers.download_pool(lv, region)
y0, y1 = pickers.year_bounds(mids)
ya, yb = ps.int_range("from", "to", "Years", y0, y1, container=c2, what="year")
chosen = ps.multi("areas", "Only these areas (leave empty for all areas of the chosen types and region)", pool, [],
                  format_func=pickers.area_label, max_n=200, what="areas")
ps.show_notices()
user_mids = [m for m in mids if data.is_user(m)]
for m in user_mids:
    ui.user_badge(m)
if user_mids:
    st.caption("User-supplied rows carry `official` = false and a `badge` column in the CSV; the README says so too. "
               "They contain only the disclosure-controlled values.")
if ya > yb:
    st.warning("The start year is after the end year; they have been swapped.")
    ya, yb = yb, ya
codes = chosen or pool
df = data.download(mids, codes, ya, yb)
st.markdown(f"**{len(df):,} rows** ({len(mids)} measure{'s' if len(mids) != 1 else ''}, {len(set(codes))} areas, "
            f"{ya}–{yb}). Suppressed values are blank and never estimated.")
if df.empty:
    st.info("Nothing matches these filters.")
else:
    st.dataframe(df.head(500), hide_index=True, width="stretch", key="dl_preview")
    if len(df) > 500:
        st.caption("Preview shows the first 500 rows; the download has them all.")
    st.download_button("Download CSV", export.csv_bytes(df), file_name="infant_care_atlas_extract.csv",
                       mime="text/csv", on_click="ignore", key="dl_csv", icon="⬇️")
    st.download_button("Download README / metadata (text)",
                       export.readme_text(df, data.measures_for(mids), data.build_info(),
                                          {"measures": mids, "area_types": lv, "areas": len(set(codes)),
                                           "years": f"{ya}-{yb}"}),
                       file_name="README_infant_care_atlas_extract.txt", mime="text/plain", on_click="ignore",
                       key="dl_readme", icon="📄")
st.download_button("Download the whole release (zip: every table as Parquet and CSV, datapackage.json, README)",
                   export.release_zip_bytes, file_name=export.release_file_name(), mime="application/zip",
                   on_click="ignore", key="dl_release", icon="📦")
st.caption(export.LICENCE)
