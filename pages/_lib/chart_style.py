"""Chart style shared by every chart: colour-blind-safe palettes, significance labels and symbols, the theme's ink,
and number formatting for chart text.

Palettes are colour-blind-safe (viridis / cividis; Okabe-Ito for categories); meaning is never carried by colour
alone (legend text, hover text, symbols and the table alternative carry it too).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.express as px
import streamlit as st

MISSING_COLOUR = "#cfcfcf"
MISSING_LABEL = "No value (suppressed / not available)"
SEQ = px.colors.sequential.Viridis
SIG_LABELS = {
    "higher": "▲ Higher than England (95%)",
    "similar": "● Similar to England",
    "lower": "▼ Lower than England (95%)",
    "not_compared": "○ Not compared",
}
SIG_COLOURS = {  # Okabe-Ito
    SIG_LABELS["higher"]: "#D55E00",
    SIG_LABELS["similar"]: "#F0E442",
    SIG_LABELS["lower"]: "#0072B2",
    SIG_LABELS["not_compared"]: "#999999",
}
SIG_SYMBOL = {"higher": "▲", "similar": "●", "lower": "▼", "not_compared": "○"}
AREA_DASH = {"la": "solid", "region": "dash", "england": "dot", "country": "dashdot"}
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star", "hexagon",
           "pentagon", "star-square", "hourglass"]
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"]


def fmt(v, unit: str = "", digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if isinstance(v, (int, np.integer)) or (float(v).is_integer() and abs(v) >= 100):
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def _ci_text(lo, hi) -> str:
    if lo is None or hi is None or pd.isna(lo) or pd.isna(hi):
        return "not computed"
    return f"{lo:,.1f} to {hi:,.1f}"



MAP_INK = "#1b1e24"  # text on the map's white background (the "white-bg" style is white in both themes)


def ink(muted: bool = False) -> str:
    """The colour of black-on-white chart ink in the viewer's theme (light text in dark mode), so England lines,
    reference ticks and trend lines stay visible in both (contrast >= 4.5:1 for the ink, >= 3:1 muted)."""
    try:
        dark = getattr(st.context.theme, "type", None) == "dark"
    except Exception:
        dark = False
    if dark:
        return "#a9adb5" if muted else "#f0f2f6"
    return "#595959" if muted else "#000000"


def palette() -> list[str]:
    """Okabe-Ito colours for areas/regions, with its black swapped for the theme's ink (visible in dark mode)."""
    return [ink() if c == "#000000" else c for c in OKABE_ITO]

