"""All chart building (Plotly) and the short text summaries that accompany each chart: the one name pages use.

By concern: chart_style.py (palettes, significance labels, ink, number format), maps.py (choropleths, service
points, observed/expected map, map summary), trend_charts.py (trend lines, small multiples, trend summary),
stat_charts.py (scatter, decile bars, funnel plot, spine chart).

Maps use MapLibre traces (`choropleth_map`, `scatter_map`) on the `white-bg` style: no tiles, no internet.
Palettes are colour-blind-safe (viridis / cividis; Okabe-Ito for categories); meaning is never carried by colour
alone (legend text, hover text, symbols and the table alternative carry it too).
"""
from __future__ import annotations

from .chart_style import (
    AREA_DASH,
    MAP_INK,
    MISSING_COLOUR,
    MISSING_LABEL,
    OKABE_ITO,
    SEQ,
    SIG_COLOURS,
    SIG_LABELS,
    SIG_SYMBOL,
    SYMBOLS,
    _ci_text,
    fmt,
    ink,
    palette,
)
from .maps import (
    OE_SCALE,
    _customdata,
    _hover_frame,
    _subset,
    add_points,
    choropleth,
    map_summary,
    memo,
    oe_map,
    quantile_bands,
)
from .stat_charts import decile_bars, funnel, scatter, spine
from .trend_charts import CONTINUITY_DASH, small_multiples, trend, trend_summary

__all__ = ["AREA_DASH", "CONTINUITY_DASH", "MAP_INK", "MISSING_COLOUR", "MISSING_LABEL", "OE_SCALE", "OKABE_ITO",
           "SEQ", "SIG_COLOURS", "SIG_LABELS", "SIG_SYMBOL", "SYMBOLS", "_ci_text", "_customdata", "_hover_frame",
           "_subset", "add_points", "choropleth", "decile_bars", "fmt", "funnel", "ink", "map_summary", "memo",
           "oe_map", "palette", "quantile_bands", "scatter", "small_multiples", "spine", "trend", "trend_summary"]
