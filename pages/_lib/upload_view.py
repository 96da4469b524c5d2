"""The Your data page's logic: the disclosure rule chosen, an uploaded file validated and computed into this
session's data (once per file), datasets imported with `atlas import` switched on and off, and what is shown of a
loaded dataset. The page only lays these out."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from pipeline.user_import import DEFAULT_MAX_BYTES, DisclosureRule

from . import data, userdata

MAX_BYTES = DEFAULT_MAX_BYTES  # same default as `atlas import --max-mb 5`
MAX_RULE = 20
VALUE_COLS = ["user_measure_id", "area_code", "area_name", "area_type", "period_label", "value", "lower_95",
              "upper_95", "numerator", "denominator", "status", "note", "comparator", "sig_comparator_95",
              "funnel_flag_95"]
LINK_PAGES = (("map", "Map"), ("trends", "Trends"), ("compare", "Compare areas"), ("downloads", "Data & downloads"))


def remove(name: str) -> None:
    """Button callback (runs before the script): drop the dataset and untick its 'use' box if it came from the CLI."""
    userdata.remove(name)
    for k in [k for k in st.session_state if str(k).startswith("user_cli_")]:
        if userdata.safe_name(str(k)[len("user_cli_"):]) == name:
            st.session_state[k] = False


def disclosure_rule(stricter) -> tuple[DisclosureRule, str]:
    """The rule (1 to 4 at least, stricter if asked) and its description."""
    rule = DisclosureRule(min_count=1, max_count=max(4, int(stricter)))
    return rule, f"counts {rule.min_count}-{rule.max_count} suppressed, with complementary suppression"


def take_upload(up, name_in: str, rule: DisclosureRule, rule_text: str) -> None:
    """Validate and add an uploaded file once (per file, name and rule); problems and notices are kept in the
    session state (`_user_problems`, `_user_notices`) for the page to show."""
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


def use_imported(pick: str, on: bool) -> str | None:
    """Load (or drop) a dataset imported with `atlas import` as its box is ticked (or not); an error text or None."""
    key = userdata.safe_name(pick)
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
            return f"Could not load {pick}: {exc}"
    elif not on and have:
        userdata.remove(key)
    return None


def dataset_summary(name: str, d: dict) -> str:
    v = d["values"]
    return (f"**{name}** — from `{d['file_name']}` ({'uploaded' if d['origin'] == 'upload' else 'atlas import'}"
            f"); {len(v):,} rows, {v['area_code'].nunique()} areas, years {int(v['year'].min())}–"
            f"{int(v['year'].max())}; {int((v['status'] == 'suppressed').sum())} cells suppressed "
            f"({d['rule']}).")


def values_table(v: pd.DataFrame) -> pd.DataFrame:
    show = v.merge(data.areas()[["area_code", "area_name", "area_type"]], on="area_code", how="left")
    return show[VALUE_COLS].rename(columns={"user_measure_id": "measure", "value": "rate per 10,000"})


def page_links(mids: list[str]) -> list[tuple[str, str, dict]]:
    """(page file, label, query parameters) of the pages that show a dataset's first measure."""
    out = []
    for page, label in LINK_PAGES:
        params = {"measures": mids[0]} if page == "downloads" else ({} if page == "compare" else
                                                                   {"measure": mids[0]})
        out.append((f"pages/{page}.py", f"See it on {label}", params))
    return out
