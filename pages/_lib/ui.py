"""Shared page furniture: definitions near charts, 'not in this build' notices, table alternatives."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import data, userdata

HEADLINE_NOTE = ("**Infant care starts** counts children who *started to be looked after aged under 1*: all under-1s "
                 "(not only newborns) and every legal route into care. It is not the number of newborns in care "
                 "proceedings. Behind each figure are mothers, babies and families; high figures point to where "
                 "support is most needed, not to blame.")


def guard() -> None:
    """Run the page inside the app's st.navigation, and stop with a clear message if there is no warehouse.

    Streamlit's legacy multipage mode (a `pages/` folder next to the entry script) can run a page file directly
    on the first request to a server process (before streamlit_app.py has called st.navigation). Switch the
    legacy mode off and rerun so the page is served through streamlit_app.py (its navigation, titles, URLs)."""
    from streamlit.runtime.pages_manager import PagesManager
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
    try:
        data.token()
    except data.WarehouseMissing as exc:
        st.error(str(exc))
        st.stop()


def user_badge(mid: str, where: str = "") -> bool:
    """The always-visible badge for a user-supplied measure (call right under the measure selector). Returns
    True if the measure is user-supplied."""
    if not data.is_user(mid):
        return False
    m = data.measure(mid)
    st.markdown(f"{userdata.BADGE_MD} **{m.get('short_title', mid)}**{where}: uploaded in this browser session "
                f"from `{m.get('file_name', '?')}`; disclosure control: {m.get('disclosure_rule', '?')}. Suppressed "
                "cells are grey/blank and never estimated.")
    return True


def not_in_build(what: str, needs: str) -> None:
    st.info(f"**{what}** is not available in this build (it needs {needs}). Rebuild the warehouse once that "
            "part of the pipeline is present.", icon="ℹ️")


def measure_label(mid: str) -> str:
    if data.is_user(mid):  # from the id alone (format_func may run outside the session)
        return userdata.label(mid)
    m = data.measure(mid)
    return m.get("short_title") or mid


def definition(mid: str, expanded: bool = False) -> None:
    m = data.measure(mid)
    if not m:
        return
    with st.expander(f"Definition and caveats: {m['short_title']}", expanded=expanded):
        st.markdown(f"**{m['title']}** (`{mid}`)")
        st.markdown(f"**Definition.** {m['definition']}")
        if m.get("numerator"):
            st.markdown(f"**Numerator.** {m['numerator']}")
        if m.get("denominator"):
            st.markdown(f"**Denominator.** {m['denominator']}")
        st.markdown(f"**Unit.** {m['unit']}")
        if m.get("caveats"):
            st.markdown(f"**Caveats.** {m['caveats']}")
        if data.is_user(mid):
            st.markdown(f"{userdata.BADGE_MD} Supplied by the user in this session; not checked or endorsed by the "
                        "atlas.")
        elif m.get("official") is False:
            st.markdown("_Not an official statistic: derived for this atlas._")


def table_alternative(df: pd.DataFrame, label: str = "Table of the data in this chart", expanded: bool = False,
                      key: str | None = None) -> None:
    with st.expander(label, expanded=expanded):
        st.dataframe(df, hide_index=True, width="stretch", key=key)


def status_table(df: pd.DataFrame, unit: str) -> pd.DataFrame:
    """Readable table for a map / chart: value, CI, count, status (no suppressed value ever shown)."""
    cols = {"area_name": "Area", "area_code": "Code", "value": f"Value ({unit})" if unit else "Value",
            "lower_95": "95% CI lower", "upper_95": "95% CI upper", "numerator": "Count",
            "denominator": "Denominator", "sig_england_95": "vs England (95%)", "status": "Status", "note": "Note"}
    d = df[[c for c in cols if c in df]].copy()
    if "status" in d:
        user_sup = df["note"].eq(userdata.SUPPRESSED_NOTE) if "note" in df else False
        d["status"] = d["status"].map(data.STATUS_LABELS).fillna(d["status"])
        d.loc[user_sup, "status"] = "Suppressed by disclosure control (user data)"
        mask = df["status"].eq("suppressed")
        for c in ("value", "numerator", "lower_95", "upper_95"):
            if c in d:
                d.loc[mask, c] = None
    if "sig_england_95" in d and d["sig_england_95"].isna().all():
        d = d.drop(columns="sig_england_95")
    for c in ("lower_95", "upper_95"):
        if c in d and d[c].isna().all():
            d = d.drop(columns=c)
    return d.rename(columns=cols)


def print_css() -> None:
    st.markdown("""<style>
    @media print {
      [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], .stDeployButton { display: none !important; }
      .block-container { padding-top: 0 !important; max-width: 100% !important; }
      details { display: block; }
    }
    </style>""", unsafe_allow_html=True)


def neighbour_group_cell(r) -> str:
    """'mean / median (n of N)' for a neighbour-group row (data.neighbour_group); 'no value (0 of N)' if none."""
    from .charts import fmt
    if not r["nb_n"]:
        return f"no value (0 of {int(r['nb_total'])})"
    return f"{fmt(r['nb_mean'])} / {fmt(r['nb_median'])} ({int(r['nb_n'])} of {int(r['nb_total'])})"


def neighbour_group_table(latest: pd.DataFrame, grp: pd.DataFrame) -> pd.DataFrame:
    """Profile table: this area, its neighbour group (mean, median, count with a value) and England."""
    from .charts import fmt
    t = latest.merge(grp, on=["measure_id", "year"], how="inner")
    if t.empty:
        return pd.DataFrame()
    first = {"cla_starts_u1_rate": 0, "cla_starts_u1": 1, "live_births": 2}  # the headline measures first
    t = t.assign(_o=t["measure_id"].map(first).fillna(9)).sort_values(["_o", "measure_id"], kind="stable")
    return pd.DataFrame({
        "Measure": t["measure_id"].map(measure_label), "Period": t["period_label"],
        "This area": [fmt(v) if s in data.OK_STATUSES else data.STATUS_LABELS.get(s, s)
                      for v, s in zip(t["value"], t["status"])],
        "Neighbours' mean": [fmt(v) for v in t["nb_mean"]], "Neighbours' median": [fmt(v) for v in t["nb_median"]],
        "Neighbours with a value": [f"{int(n)} of {int(k)}" for n, k in zip(t["nb_n"], t["nb_total"])],
        "England": [fmt(v) for v in t["england_value"]]})


def ns_context_section() -> None:
    """North–south page, models view: the model with each context measure added (text first, table alternative)."""
    d = data.ns_context_models()
    if d is None or d.empty:
        return
    st.markdown("#### Does child and maternal context explain the north–south gradient?")
    st.markdown("The deprivation-adjusted model (negative binomial, years pooled with year effects) refitted on the "
                "same local authority-years with and without each context measure. An ecological association "
                "between area averages, not a cause.")
    for t in d["text"]:
        st.markdown(f"- {t}")
    table_alternative(d.drop(columns=["text"]), "Table: models with context covariates", key="ns_context_table")


def comparator_set_year_note(set_id: str, latest: pd.DataFrame) -> str | None:
    """A note when a comparator set is meant for other years than most of the figures shown (e.g. the April 2021
    DfE edition, on the LAs of 2021-2023, next to 2024/25 figures)."""
    info = data.comparator_set_info()
    row = info[info["set_id"] == set_id]
    if row.empty or latest.empty:
        return None
    first, last = row["first_year"].iloc[0], row["last_year"].iloc[0]
    years = latest["year"].astype(int)
    if last == last and last is not None and (years > last).mean() > 0.5:
        return (f"{row['title'].iloc[0]} is meant for figures up to {int(last) - 1}/{str(int(last))[-2:]}, but most "
                "figures here are later; neighbours whose LA no longer existed have no value. Trends shows earlier "
                "years.")
    if first == first and first is not None and (years < first).mean() > 0.5:
        return (f"{row['title'].iloc[0]} is meant for figures from {int(first) - 1}/{str(int(first))[-2:]}; most "
                "figures here are earlier.")
    return None
