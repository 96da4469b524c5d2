"""Statistical charts: scatter plots with a fitted line, deprivation-decile bars, funnel plots, the spine chart."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from .chart_style import SIG_SYMBOL, SYMBOLS, fmt, ink, palette


def scatter(df: pd.DataFrame, x: str, y: str, xlabel: str, ylabel: str, size: str | None = "births",
            trendline: bool = True) -> go.Figure:
    d = df[df[x].notna() & df[y].notna()].copy()
    if size and size in d:
        d[size] = d[size].fillna(d[size].median() if d[size].notna().any() else 1).clip(lower=1)
    regions = sorted(d["region_name"].dropna().unique())
    fig = px.scatter(d, x=x, y=y, size=size if size in d else None, color="region_name", symbol="region_name",
                     color_discrete_sequence=palette(), symbol_sequence=SYMBOLS,
                     category_orders={"region_name": regions}, hover_name="area_name",
                     labels={x: xlabel, y: ylabel, "region_name": "Region", "births": "Live births"},
                     trendline="ols" if trendline and len(d) > 3 else None, trendline_scope="overall",
                     trendline_color_override=ink(), size_max=22, height=520)
    # legend below the plot: on a phone a side legend would squeeze the plot to nothing
    fig.update_layout(margin=dict(l=10, r=10, t=10, b=10),
                      legend=dict(orientation="h", yanchor="top", y=-0.18, xanchor="left", x=0))
    return fig


def decile_bars(df: pd.DataFrame, unit: str) -> go.Figure:
    d = df.sort_values("decile")
    fig = go.Figure(go.Bar(
        x=d["decile"].astype(str), y=d["rate"], marker_color=px.colors.sample_colorscale("Cividis", [
            i / 9 for i in range(len(d))]),
        error_y=dict(type="data", symmetric=False, array=d["upper_95"] - d["rate"],
                     arrayminus=d["rate"] - d["lower_95"]) if "upper_95" in d else None,
        text=[fmt(v) for v in d["rate"]], textposition="outside",
        hovertemplate="Decile %{x}<br>%{y:,.1f}<extra></extra>"))
    fig.update_layout(height=420, margin=dict(l=10, r=10, t=10, b=10), yaxis_title=unit,
                      xaxis_title="IMD decile of local authorities (1 = most deprived)")
    return fig


def funnel(points: pd.DataFrame, limits: pd.DataFrame, target: float | None, unit: str,
           highlight: str | None = None, multiplier: float = 10000, od: bool = False) -> go.Figure:
    fig = go.Figure()
    sfx = "_od" if od else ""
    for lev, dash, name in (("95", "dash", "95% limits"), ("998", "solid", "99.8% limits")):
        lo, hi = f"lower_{lev}{sfx}", f"upper_{lev}{sfx}"
        if lo not in limits:
            lo, hi = f"lower_{lev}", f"upper_{lev}"
        for col, show in ((lo, True), (hi, False)):
            fig.add_trace(go.Scatter(x=limits["denominator"], y=limits[col], mode="lines", name=name,
                                     line=dict(color=ink(muted=True), dash=dash, width=1), showlegend=show,
                                     legendgroup=name, hoverinfo="skip"))
    if target is not None:
        fig.add_hline(y=target, line_color=ink(), annotation_text=f"England {fmt(target)}")
    flag = points.get("flag_od_95" if od else "flag_95", pd.Series([None] * len(points)))
    sym = flag.map(lambda f: {"high": "triangle-up", "higher": "triangle-up", "low": "triangle-down",
                          "lower": "triangle-down"}.get(str(f).lower(), "circle"))
    fig.add_trace(go.Scatter(
        x=points["denominator"], y=points["value"], mode="markers", name="Local authorities",
        marker=dict(size=8, color="#0072B2", symbol=list(sym), line=dict(width=0.5, color="#ffffff")),
        text=points["area_name"], customdata=np.array([points["area_code"], flag.astype(str)], dtype=object).T,
        hovertemplate="<b>%{text}</b><br>%{y:,.1f} " + unit + "<br>denominator %{x:,.0f}"
                      "<br>outside 95% limits: %{customdata[1]}<extra></extra>"))
    if highlight is not None:
        h = points[points["area_code"] == highlight]
        if len(h):
            fig.add_trace(go.Scatter(x=h["denominator"], y=h["value"], mode="markers+text", name=h["area_name"].iloc[0],
                                     text=h["area_name"], textposition="top center",
                                     marker=dict(size=16, color="rgba(0,0,0,0)", line=dict(width=3, color="#D55E00"))))
    fig.update_layout(height=480, margin=dict(l=10, r=10, t=10, b=10), yaxis_title=unit,
                      xaxis_title="Denominator (live births)", legend=dict(orientation="h", y=-0.2))
    return fig


def spine(rows: pd.DataFrame) -> go.Figure:
    """Spine chart: each measure's LA range (min-max, quartiles) rescaled to 0-1 with England at the middle
    line; the selected LA as a marker whose symbol shows significance vs England."""
    fig = go.Figure()
    ys = list(rows["short_title"])
    for r in rows.itertuples():
        span = (r.hi - r.lo) or 1
        pos = lambda v: (v - r.lo) / span  # noqa: E731
        fig.add_trace(go.Bar(y=[r.short_title], x=[pos(r.q3) - pos(r.q1)], base=[pos(r.q1)], orientation="h",
                             marker_color="#9ecae1", showlegend=False, hoverinfo="skip", width=0.5))
        fig.add_trace(go.Bar(y=[r.short_title], x=[1], base=[0], orientation="h", marker_color="rgba(0,0,0,0.06)",
                             showlegend=False, hoverinfo="skip", width=0.5))
        if r.england_value is not None and not pd.isna(r.england_value):
            fig.add_trace(go.Scatter(x=[pos(r.england_value)], y=[r.short_title], mode="markers", showlegend=False,
                                     marker=dict(symbol="line-ns-open", size=18, color=ink()),
                                     hovertemplate=f"England {fmt(r.england_value)}<extra></extra>"))
        if r.value is not None and not pd.isna(r.value):
            s = SIG_SYMBOL.get(r.sig_england_95, "◆") if isinstance(r.sig_england_95, str) else "◆"
            fig.add_trace(go.Scatter(x=[pos(r.value)], y=[r.short_title], mode="markers+text", showlegend=False,
                                     text=[s], textposition="middle right",
                                     marker=dict(symbol="diamond", size=12, color="#D55E00"),
                                     hovertemplate=f"This area {fmt(r.value)} (LA range {fmt(r.lo)} to "
                                                   f"{fmt(r.hi)})<extra></extra>"))
    fig.update_layout(barmode="overlay", height=90 + 45 * len(ys), margin=dict(l=10, r=10, t=10, b=10),
                      xaxis=dict(range=[-0.02, 1.1], showticklabels=False,
                                 title="lowest LA ← range of English LAs → highest LA"),
                      yaxis=dict(autorange="reversed"))
    return fig

