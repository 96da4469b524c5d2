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


def accessibility_statement() -> str:
    """The accessibility statement (docs/accessibility.md, shown on the Methods page)."""
    from pathlib import Path
    p = Path(__file__).resolve().parents[2] / "docs" / "accessibility.md"
    return p.read_text(encoding="utf-8") if p.exists() else "The accessibility statement is in docs/accessibility.md."


def per_measure_list(tab: pd.DataFrame) -> str:
    """A wide measures × areas table as HTML, one block per measure (readable on a phone): the measure with its
    period as a heading line, then one list item per area. Same cells as the table it replaces."""
    import html
    lead = [c for c in tab.columns if str(c) in ("Period", "Official")]
    areas = [c for c in tab.columns if c not in lead]

    def esc(v) -> str:
        s = "" if v is None or (isinstance(v, float) and v != v) else str(v)
        return html.escape(s) or "–"
    out = []
    for measure, row in tab.iterrows():
        period = esc(row["Period"]) if "Period" in lead else "–"
        out.append(f"<p><strong>{esc(measure)}</strong>{f' ({period})' if period != '–' else ''}</p><ul>"
                   + "".join(f"<li>{esc(a)}: {esc(row[a])}</li>" for a in areas) + "</ul>")
    return "\n".join(out)
