"""Shared page furniture: definitions near charts, 'not in this build' notices, table alternatives."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from pipeline.denominator_notes import denominator_basis

from . import data, denominators, userdata

HEADLINE_NOTE = ("**Infant care starts** counts children who *started to be looked after aged under 1*: all under-1s "
                 "(not only newborns) and every legal route into care. It is not the number of newborns in care "
                 "proceedings. Behind each figure are mothers, babies and families; high figures point to where "
                 "support is most needed, not to blame.")


def leave_legacy_pages_mode() -> bool:
    """Switch off Streamlit's legacy multipage mode if it is on; True if it was (the page must then rerun).

    With a `pages/` folder next to the entry script, Streamlit (1.67) starts a server process in its legacy
    multipage mode and can run a page file directly on the first request, before streamlit_app.py has called
    st.navigation (which switches the mode off for the rest of the process). Streamlit offers no public setting for
    this: the public way is to not name the folder `pages/`, which would change every page path the app and its
    tests use. So this is the app's one use of a private attribute (`PagesManager.uses_pages_directory`, which
    st.navigation itself sets to False); tests/test_app_registry.py fails if Streamlit renames it or changes how
    it is used."""
    from streamlit.runtime.pages_manager import PagesManager
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        return True
    return False


def guard() -> None:
    """Run the page inside the app's st.navigation, and stop with a clear message if there is no warehouse.

    A page run directly in Streamlit's legacy multipage mode reruns so it is served through streamlit_app.py (its
    navigation, titles, URLs): see leave_legacy_pages_mode."""
    if leave_legacy_pages_mode():
        st.rerun()
    try:
        data.token()
    except data.WarehouseMissing as exc:
        st.error(str(exc))
        st.stop()


def stop() -> None:
    """st.stop() for a page that has nothing more to show, keeping the "Cite this view" line at its foot and
    writing the page's URL first (state.stop_page)."""
    from . import state
    state.stop_page()


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


def not_shown(what: str, why: str) -> None:
    """Say that a view has nothing to show for the current choices, and why (the warehouse's tables themselves are
    checked once, when the app connects)."""
    st.info(f"**{what}** is not shown: {why}.", icon="ℹ️")


def measure_name(mid: str) -> str:
    """The measure's short title (no topic)."""
    if data.is_user(mid):  # from the id alone (format_func may run outside the session)
        return userdata.label(mid)
    m = data.measure(mid)
    return m.get("short_title") or mid


def measure_label(mid: str) -> str:
    """A picker's option: 'Topic › short title' (pickers list measures in topic order, see topics.py)."""
    return f"{data.topic(mid)} › {measure_name(mid)}"


NEWBORN_NOTE = ("**Newborns in care proceedings** (Nuffield Family Justice Observatory, from Cafcass data) counts "
                "babies subject to section 31 care proceedings soon after birth, for England and its regions (and "
                "Wales). It is not the same as *infant care starts* (all under-1s starting to be looked after, every "
                "legal route), so the two are never shown on one scale.")
CAVEATS = {"Infants entering care": HEADLINE_NOTE, "Newborns in care proceedings": NEWBORN_NOTE}


def caveat(mid: str) -> None:
    """The caveat for the measure's topic as a readable callout (infant care starts ≠ newborns in care proceedings),
    only where it applies; other measures (children in need, user uploads, ...) get their own definition line."""
    m = data.measure(mid)
    if not m:
        return
    if data.is_user(mid):
        st.caption(f"**Definition (as supplied by the user):** {m.get('definition', 'not stated')}")
        return
    note = CAVEATS.get(data.topic(mid))
    if note:
        st.info(note, icon="ℹ️")
        st.page_link("pages/newborns.py", label="Newborns in care proceedings: the published figures, by definition",
                     icon="➡️")
    else:
        st.caption(f"**{m.get('short_title', mid)}:** {m.get('definition', '')}")


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


def status_table(df: pd.DataFrame, unit: str, meta: dict | None = None) -> pd.DataFrame:
    """Readable table for a map / chart: value (the measure's precision), 95% CI as 'a–b', count, status (who
    withheld a value), blanks for missing cells; no suppressed value is ever shown."""
    from . import fmt
    dec = fmt.decimals(meta) if meta is not None else 1
    cols = {"area_name": "Area", "area_code": "Code", "value": f"Value ({unit})" if unit else "Value",
            "lower_95": "95% CI lower", "upper_95": "95% CI upper", "numerator": "Count",
            "denominator": "Denominator", "sig_england_95": "vs England (95%)", "status": "Status", "note": "Note"}
    d = df[[c for c in cols if c in df]].copy()
    if "note" in df and "status" in df:
        basis = [denominator_basis(n, s) for n, s in zip(df["note"], df["status"])]
        if any(basis):  # the denominator year, where it is not live births of the year before
            at = list(d.columns).index("denominator") + 1 if "denominator" in d else len(d.columns)
            d.insert(at, "denominator_basis", [b or "live births of the year before" for b in basis])
            cols = dict(cols, denominator_basis="Denominator used")
    if "status" in d:
        notes = df["note"] if "note" in df else pd.Series([None] * len(df), index=df.index)
        d["status"] = [data.status_label(s, n) for s, n in zip(df["status"], notes)]
        mask = df["status"].eq("suppressed")
        for c in ("value", "numerator", "lower_95", "upper_95"):
            if c in d:
                d[c] = d[c].astype(object)
                d.loc[mask, c] = None
    if "sig_england_95" in d:
        d["sig_england_95"] = d["sig_england_95"].map(lambda x: charts_sig(x))
        if d["sig_england_95"].eq("").all():
            d = d.drop(columns="sig_england_95")
    has_ci = all(c in d for c in ("lower_95", "upper_95")) and d["lower_95"].notna().any()
    out = fmt.frame(d, {"value": dec, "numerator": 0, "denominator": 0},
                    {"95% CI": ("lower_95", "upper_95", dec)} if has_ci else None)
    out = out.drop(columns=[c for c in ("lower_95", "upper_95") if c in out])
    return out.rename(columns=cols)


def charts_sig(x) -> str:
    from .charts import SIG_LABELS
    return SIG_LABELS.get(x, "") if isinstance(x, str) else ""


def denominator_notice(df: pd.DataFrame) -> None:
    """A caption under a map or chart when some rates use a denominator other than live births of year Y-1."""
    if text := denominators.note(df):
        st.caption(text)


def dispersion_notice(d: pd.DataFrame) -> None:
    """Caption for the decile gradient / SII: its intervals are widened for over-dispersion between LAs."""
    if "phi" not in d or d["phi"].isna().all():
        return
    phi = float(d["phi"].iloc[0])
    if phi > 1:
        st.caption(f"The 95% intervals of the decile rates and of the SII/RII allow for variation between local "
                   f"authorities beyond chance (over-dispersion φ = {phi:.1f}, quasi-Poisson): they are "
                   f"√φ = {phi ** 0.5:.1f} times as wide as intervals that assume Poisson variation only.")
    else:
        st.caption("The 95% intervals assume Poisson variation (no over-dispersion between local authorities "
                   "was found for this measure and year).")


def print_css() -> None:
    st.markdown("""<style>
    @media print {
      [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"], """
    """.stDeployButton { display: none !important; }
      .block-container { padding-top: 0 !important; max-width: 100% !important; }
      details { display: block; }
    }
    </style>""", unsafe_allow_html=True)


def neighbour_group_cell(r, dec: int = 1) -> str:
    """'mean / median (n of N)' for a neighbour-group row (data.neighbour_group); 'no value (0 of N)' if none."""
    from . import fmt
    if not r["nb_n"]:
        return f"no value (0 of {int(r['nb_total'])})"
    return f"{fmt.num(r['nb_mean'], dec)} / {fmt.num(r['nb_median'], dec)} ({int(r['nb_n'])} of {int(r['nb_total'])})"


def neighbour_group_table(latest: pd.DataFrame, grp: pd.DataFrame) -> pd.DataFrame:
    """Profile table: this area, its neighbour group (mean, median, count with a value) and England, grouped by
    topic with the headline measures first, each number at its measure's precision."""
    from . import fmt
    t = latest.merge(grp, on=["measure_id", "year"], how="inner")
    if t.empty:
        return pd.DataFrame()
    t = t.set_index("measure_id").loc[data.order_measures(list(t["measure_id"]))].reset_index()
    dec = [fmt.decimals(data.measure(m)) for m in t["measure_id"]]
    return pd.DataFrame({
        "Topic": [data.topic(m) for m in t["measure_id"]],
        "Measure": t["measure_id"].map(measure_name), "Period": t["period_label"],
        "This area": [fmt.num(v, d) if s in data.OK_STATUSES else data.STATUS_LABELS.get(s, s)
                      for v, s, d in zip(t["value"], t["status"], dec)],
        "Neighbours' mean": [fmt.num(v, d) for v, d in zip(t["nb_mean"], dec)],
        "Neighbours' median": [fmt.num(v, d) for v, d in zip(t["nb_median"], dec)],
        "Neighbours with a value": [f"{int(n)} of {int(k)}" for n, k in zip(t["nb_n"], t["nb_total"])],
        "England": [fmt.num(v, d) for v, d in zip(t["england_value"], dec)]})


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
