"""Your data: upload an LA-level extract (e.g. newborns in s.31 proceedings), validated with the same code as
`atlas import`, disclosure-controlled, and shown beside the official measures for THIS browser session only."""
from __future__ import annotations

import streamlit as st

from pages._lib import data, newborn_extracts, ui, upload_view, userdata
from pipeline.user_import import TEMPLATE

MAX_BYTES = upload_view.MAX_BYTES
MAX_RULE = upload_view.MAX_RULE

ui.guard()
st.title("Your data")
st.markdown(
    "Bring your own local-authority extract — for example **newborns (under 7 days) in section 31 care proceedings**, "
    "which is not published by LA — and see it on the Map, Trends, North–south & deprivation, Compare and Data & "
    "downloads pages beside the official measures.\n\n"
    "- The file is checked with exactly the same validation as `atlas import` (every problem listed at once).\n"
    "- Rates, 95%/99.8% confidence intervals and funnel flags are computed with the atlas's statistics code.\n"
    "- **Disclosure control** is applied before anything is shown or downloaded: counts from 1 to 4 are "
    "suppressed, and so is any other cell that would let one be worked out from a total in your file.\n"
    f"- Your data stay **in this browser session only**: nothing is written to the server's disk or to the "
    f"warehouse, and closing the tab discards them. Size limit: {MAX_BYTES / 1024 / 1024:.0f} MB.")
st.download_button("Download the CSV template (3 example rows)", TEMPLATE.encode("utf-8"),
                   file_name="atlas_user_extract_template.csv", mime="text/csv", on_click="ignore",
                   key="user_template", icon="📄")
with st.expander("CSV columns"):
    st.markdown(
        "`area_code` (ONS code in force that year; `E92000001` England or an `E12` region for totals) **or** "
        "`old_la_code` (DfE number); `year` (year ending 31 March) **or** `period_label` (e.g. `2019/20`); "
        "`measure` (your id: lower-case letters, digits, `_`); `numerator` (whole number ≥ 0); optional "
        "`denominator` (else live births of the year before, the atlas's alignment rule); optional `definition`, "
        "`source`. Full description: docs/import.md.")

# ---------------------------------------------------------------------------------------------------------------
st.markdown("### Upload a file")
c1, c2 = st.columns([3, 2])
up = c1.file_uploader("CSV file (UTF-8, UTF-8 with BOM, or latin-1)", type=["csv", "txt"], key="user_upload",
                      max_upload_size=max(1, MAX_BYTES // (1024 * 1024)))
name_in = c2.text_input("Name for this dataset", value=userdata.safe_name(up.name.rsplit(".", 1)[0]) if up else "",
                        key="user_name", max_chars=40, help="lower-case letters, digits and _")
stricter = c2.number_input("Suppress counts from 1 to …", min_value=4, max_value=MAX_RULE, value=4, step=1,
                           key="user_rule_max", help="The default suppresses 1 to 4. You can make the rule "
                                                     "stricter (a higher maximum), never looser.")
rule, rule_text = upload_view.disclosure_rule(stricter)

if up is not None:
    upload_view.take_upload(up, name_in, rule, rule_text)
    for n in st.session_state.get("_user_notices", []):
        st.caption(f"Notice: {n}")
    probs = st.session_state.get("_user_problems")
    if probs:
        st.error(f"**{up.name}: {len(probs)} problem(s); nothing was added.** Correct the file and upload it again.",
                 icon="🚫")
        st.dataframe(probs, hide_index=True, width="stretch", key="user_problems",
                     column_config={"row": "Row", "column": "Column", "value": "Value", "problem": "Problem"})
else:
    st.session_state.pop("_user_last", None)

# ---------------------------------------------------------------------------------------------------------------
imported = data.imported_datasets()
if imported:
    st.markdown("### Datasets imported with `atlas import`")
    st.caption(f"Read-only from {data.user_dir()}. They hold only disclosure-controlled values.")
    for pick in imported:
        key = userdata.safe_name(pick)
        on = st.checkbox(f"Use **{pick}** in this session", key=f"user_cli_{pick}",
                         value=userdata.datasets().get(key, {}).get("origin") == "cli")
        if err := upload_view.use_imported(pick, on):
            st.error(err, icon="🚫")

# ---------------------------------------------------------------------------------------------------------------
ds = userdata.datasets()
if not ds:
    st.info("No user data in this session yet.", icon="ℹ️")
    ui.stop()

st.markdown("### Your data in this session")
st.markdown(userdata.BADGE_MD)
for name, d in list(ds.items()):
    mids = list(d["measures"]["measure_id"])
    with st.container(border=True):
        st.markdown(upload_view.dataset_summary(name, d))
        st.markdown(userdata.BADGE_MD)
        st.dataframe(upload_view.values_table(d["values"]), hide_index=True, width="stretch",
                     key=f"user_values_{name}")
        st.caption("Suppressed cells (blank) are never shown, estimated or used for new totals. The comparator is "
                   "your file's England row if it has one, otherwise the pooled rate of your unsuppressed LAs.")
        links = st.columns(4)
        for i, (page, label, params) in enumerate(upload_view.page_links(mids)):
            links[i].page_link(page, label=label, query_params=params, icon="➡️")
        nb_mids = newborn_extracts.newborn_measures_of(d)
        if nb_mids:
            st.page_link("pages/newborns.py", label="See it on the Newborns in care proceedings page",
                         query_params={"extract": nb_mids[0]}, icon="➡️")
        st.button(f"Remove {name} from this session", key=f"user_remove_{name}", on_click=upload_view.remove,
                  args=(name,))
