"""Your data: upload an LA-level extract (e.g. newborns in s.31 proceedings), validated with the same code as
`atlas import`, disclosure-controlled, and shown beside the official measures for THIS browser session only."""
from __future__ import annotations

import re

import streamlit as st

from pages._lib import data, newborns, ui, userdata
from pipeline.user_import import DEFAULT_MAX_BYTES, TEMPLATE, DisclosureRule

MAX_BYTES = DEFAULT_MAX_BYTES  # same default as `atlas import --max-mb 5`
MAX_RULE = 20



def _remove(name: str) -> None:
    """Button callback (runs before the script): drop the dataset and untick its 'use' box if it came from the CLI."""
    userdata.remove(name)
    for k in [k for k in st.session_state if str(k).startswith("user_cli_")]:
        if userdata.safe_name(str(k)[len("user_cli_"):]) == name:
            st.session_state[k] = False


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
rule = DisclosureRule(min_count=1, max_count=max(4, int(stricter)))
rule_text = f"counts {rule.min_count}-{rule.max_count} suppressed, with complementary suppression"

if up is not None:
    name = userdata.safe_name(name_in or up.name.rsplit(".", 1)[0])
    sig = (up.file_id, up.size, name, rule.max_count)
    if st.session_state.get("_user_last") != sig:
        st.session_state["_user_last"] = sig
        st.session_state.pop("_user_problems", None)
        st.session_state.pop("_user_notices", None)
        if up.size > MAX_BYTES:  # enforced here too, not only by the server setting
            st.session_state["_user_problems"] = [{"row": None, "column": None, "value": f"{up.size:,} bytes",
                                                   "problem": f"file is larger than the limit of {MAX_BYTES:,} bytes"}]
        else:
            raw = up.getvalue()
            res = data.validate_upload(raw, MAX_BYTES)
            st.session_state["_user_notices"] = list(res.notices)
            if not res.ok:
                st.session_state["_user_problems"] = res.problems_frame().to_dict("records")
            else:
                values, meas = data.compute_upload(res.values, rule)
                userdata.add(name, values, meas, "upload", up.name, rule_text)
                st.session_state["_user_added"] = name
            del raw
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
        have = userdata.datasets().get(key, {}).get("origin") == "cli"
        if on and not have:
            try:
                v, m, info = data.load_imported(pick)
                rule_str = str(m["disclosure_rule"].iloc[0]) if "disclosure_rule" in m and len(m) else ""
                mm = re.match(r"counts (\d+)-(\d+)", rule_str)
                if mm is None or int(mm.group(1)) > 1 or int(mm.group(2)) < 4:
                    raise ValueError(f"it was imported with a looser disclosure rule ({rule_str or 'unknown'}) than "
                                     "the atlas allows (1-4); import it again with the default rule")
                userdata.add(key, v, m, "cli", str(info.get("file_name", pick)), rule_str)
            except (ValueError, FileNotFoundError) as exc:
                st.error(f"Could not load {pick}: {exc}", icon="🚫")
        elif not on and have:
            userdata.remove(key)

# ---------------------------------------------------------------------------------------------------------------
ds = userdata.datasets()
if not ds:
    st.info("No user data in this session yet.", icon="ℹ️")
    ui.stop()

st.markdown("### Your data in this session")
st.markdown(userdata.BADGE_MD)
for name, d in list(ds.items()):
    v = d["values"]
    mids = list(d["measures"]["measure_id"])
    with st.container(border=True):
        st.markdown(f"**{name}** — from `{d['file_name']}` ({'uploaded' if d['origin'] == 'upload' else 'atlas import'}"
                    f"); {len(v):,} rows, {v['area_code'].nunique()} areas, years {int(v['year'].min())}–"
                    f"{int(v['year'].max())}; {int((v['status'] == 'suppressed').sum())} cells suppressed "
                    f"({d['rule']}).")
        st.markdown(userdata.BADGE_MD)
        show = v.merge(data.areas()[["area_code", "area_name", "area_type"]], on="area_code", how="left")
        cols = ["user_measure_id", "area_code", "area_name", "area_type", "period_label", "value", "lower_95",
                "upper_95", "numerator", "denominator", "status", "note", "comparator", "sig_comparator_95",
                "funnel_flag_95"]
        st.dataframe(show[cols].rename(columns={"user_measure_id": "measure", "value": "rate per 10,000"}),
                     hide_index=True, width="stretch", key=f"user_values_{name}")
        st.caption("Suppressed cells (blank) are never shown, estimated or used for new totals. The comparator is "
                   "your file's England row if it has one, otherwise the pooled rate of your unsuppressed LAs.")
        links = st.columns(4)
        for i, (page, label) in enumerate((("map", "Map"), ("trends", "Trends"), ("compare", "Compare areas"),
                                           ("downloads", "Data & downloads"))):
            params = {"measures": mids[0]} if page == "downloads" else ({} if page == "compare" else
                                                                       {"measure": mids[0]})
            links[i].page_link(f"pages/{page}.py", label=f"See it on {label}", query_params=params, icon="➡️")
        nb_mids = newborns.newborn_measures_of(d)
        if nb_mids:
            st.page_link("pages/newborns.py", label="See it on the Newborns in care proceedings page",
                         query_params={"extract": nb_mids[0]}, icon="➡️")
        st.button(f"Remove {name} from this session", key=f"user_remove_{name}", on_click=_remove, args=(name,))
