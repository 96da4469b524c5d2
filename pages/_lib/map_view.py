"""The Map page's logic: colour modes, the level a measure is mapped at, the layer and figure for a year, the area a
click selected, and the sentence for the selected area. The page only lays these out."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import charts, data, fmt

MODES = {"continuous": "Continuous scale", "quantile": "Quintile bands"}


def level_of(meta: dict) -> str:
    """'region' for a measure published for England and its regions only, else 'la'."""
    return "region" if meta.get("level") == "region" else "la"


def level_words(level: str) -> str:
    """What the areas of a level are called in the text: 'regions' or 'local authorities'."""
    return "regions" if level == "region" else "local authorities"


def colour_modes(meta: dict) -> dict[str, str]:
    """The colourings offered: significance only for a rate."""
    modes = dict(MODES)
    if meta.get("value_type") == "rate":
        modes["significance"] = "Compared with England (95%)"
    return modes


def england_value(mid: str, year: int):
    eng = data.values(mid, year, "england")
    return eng["value"].iloc[0] if len(eng) else None


def layer(df: pd.DataFrame, year: int, level: str):
    """The boundary layer for the year: England and Wales where Welsh areas have a value, else England."""
    countries = (tuple(sorted(set(df.loc[df["value"].notna(), "country"].dropna()))) or ("England",)
                 if level == "la" else ())
    return data.layer_for(year, level, countries)


def significance_labels(df: pd.DataFrame) -> pd.DataFrame | None:
    """▲ / ▼ symbols at the representative points of areas higher / lower than England."""
    labels = None
    g = data.la_geo()
    if len(g):
        labels = df.merge(g[["area_code", "rep_lon", "rep_lat"]], on="area_code")
        labels = labels[labels["sig_england_95"].isin(["higher", "lower"])]
        labels = labels.assign(symbol=labels["sig_england_95"].map(charts.SIG_SYMBOL))
    return labels


def figure(df: pd.DataFrame, lay: dict, mid: str, year: int, mode: str, level: str, unit: str, user: bool):
    """The map figure, cached across sessions for official data (user data never go into that cache)."""
    labels = significance_labels(df) if mode == "significance" else None
    build = lambda: charts.choropleth(df, lay, mode=mode, unit=unit, label_points=labels)  # noqa: E731
    # user data never go into the cross-session figure cache
    return build() if user else charts.memo(("map", data.token(), mid, int(year), mode, level, lay["layer_id"]),
                                            build)


def take_click(event, names: dict, widget_key: str) -> None:
    """A click on an area selects it in the area list (once per click: a rerun keeps the same selection)."""
    points = (event or {}).get("selection", {}).get("points", []) if event else []
    if points:
        code = points[0].get("location")
        if code in names and st.session_state.get("_map_last_click") != code:
            st.session_state["_map_last_click"] = code
            st.session_state[widget_key] = code


def selected_text(row, sel: str, meta: dict, unit: str) -> str:
    """'Selected: **Hartlepool** (E06000001) — 123.4 per 10,000 live births (95% CI ...); status.'"""
    status = data.status_label(row["status"], row.get("note"))
    dec = fmt.decimals(meta)
    ci = fmt.ci(row["lower_95"], row["upper_95"], dec)
    ci = f" (95% CI {ci})" if ci else ""
    shown = fmt.num(row["value"], dec) or "no value"
    return f"Selected: **{row['area_name']}** ({sel}) — {shown} {unit}{ci}; {status}."


def user_comparator_caption(mid: str, year: int, unit: str) -> str:
    comp, comp_value = data.user_comparator(mid, year)
    return (f"Comparator for this user measure: {comp or 'none'}"
            f"{f' ({charts.fmt(comp_value)} {unit})' if comp_value is not None else ''}. "
            "“Compared with England” colours are offered only when your file has an England row.")
