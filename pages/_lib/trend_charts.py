"""Trend charts: lines per area with confidence ribbons and reorganisation markers, series continued across
reorganisations, regional small multiples, and the one-line summary of a trend."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from pipeline.denominator_notes import denominator_basis

from .chart_style import AREA_DASH, OKABE_ITO, SYMBOLS, _ci_text, fmt, ink, palette

CONTINUITY_DASH = "longdashdot"  # distinct from LAs (solid), regions (dash), England (dot) and breaks (longdash)


def trend(df: pd.DataFrame, breaks: pd.DataFrame | None = None, unit: str = "", show_ci: bool = True,
          height: int = 480, continuity: pd.DataFrame | None = None) -> go.Figure:
    """Lines per area with 95% CI ribbons; England dotted, regions dashed; reorganisations as vertical lines.

    continuity: rows of `continuity_series` (data.continuity) drawn per area as a separate dash-dot segment with
    open markers, in the area's colour, joined to the area's own adjacent point, legend = the row's `label`."""
    fig = go.Figure()
    areas = list(dict.fromkeys(df["area_name"]))
    colour_of: dict[str, tuple[int, str]] = {}
    for i, name in enumerate(areas):
        d = df[df["area_name"] == name].sort_values("year")
        atype = d["area_type"].iloc[0]
        colour = ink() if atype == "england" else palette()[i % len(OKABE_ITO)]
        colour_of[str(d["area_code"].iloc[0])] = (i, colour)
        if show_ci and "lower_95" in d and d["lower_95"].notna().any():
            c = d[d["lower_95"].notna()]
            rgb = px.colors.hex_to_rgb(colour)
            fig.add_trace(go.Scatter(
                x=list(c["year"]) + list(c["year"])[::-1], y=list(c["upper_95"]) + list(c["lower_95"])[::-1],
                mode="lines", fill="toself", fillcolor=f"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.15)",
                line=dict(width=0),
                hoverinfo="skip", showlegend=False, name=f"{name} 95% CI", legendgroup=name))
        fig.add_trace(go.Scatter(
            x=d["year"], y=d["value"], mode="lines+markers", name=name, legendgroup=name,
            line=dict(color=colour, dash=AREA_DASH.get(atype, "solid"), width=2.5 if atype == "la" else 2),
            marker=dict(symbol=SYMBOLS[i % len(SYMBOLS)], size=7),
            customdata=np.array([d["period_label"], [_ci_text(a, b) for a, b in
                                                     zip(d.get("lower_95", [None] * len(d)),
                                                         d.get("upper_95", [None] * len(d)))],
                                 _status_with_basis(d)], dtype=object).T,
            hovertemplate=f"<b>{name}</b> %{{customdata[0]}}<br>%{{y:,.1f}} {unit}<br>95% CI: %{{customdata[1]}}"
                          "<br>Status: %{customdata[2]}<extra></extra>"))
    if continuity is not None and len(continuity):
        _continuity_traces(fig, df, continuity, colour_of, len(areas), unit, show_ci)
    if breaks is not None:
        for yr, g in breaks.groupby("from_year"):
            x = int(yr) + 0.5  # change on 1 April of from_year: first DfE year on new codes is from_year + 1
            label = "; ".join(sorted(set(f"{r.old_name} → {r.new_name}" for r in g.itertuples())))[:80]
            fig.add_vline(x=x, line_dash="longdash", line_color=ink(muted=True))
            fig.add_annotation(x=x, y=1.0, yref="paper", text=f"Reorganisation {int(yr)}", hovertext=label,
                               showarrow=False, textangle=-90, xanchor="right", yanchor="top", font=dict(size=10))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=10, b=10), yaxis_title=unit,
                      xaxis=dict(title="year (ending 31 March for DfE measures)", dtick=1),
                      legend=dict(orientation="h", y=-0.2), hovermode="closest")
    return fig


def _status_with_basis(d: pd.DataFrame) -> list:
    """Status per row, naming the denominator where a rate did not use live births of the year before."""
    if "note" not in d:
        return list(d["status"])
    return [f"{s} (denominator: {b})" if (b := denominator_basis(n, s)) else s for s, n in zip(d["status"], d["note"])]


def _continuity_traces(fig: go.Figure, df: pd.DataFrame, cont: pd.DataFrame, colour_of: dict, n_areas: int,
                       unit: str, show_ci: bool) -> None:
    for j, (code, c) in enumerate(cont.groupby("area_code", sort=False)):
        c = c.sort_values("year")
        i, colour = colour_of.get(code, (n_areas + j, palette()[(n_areas + j) % len(OKABE_ITO)]))
        label = str(c["label"].iloc[0])
        if show_ci and c["lower_95"].notna().any():
            ci = c[c["lower_95"].notna()]
            rgb = px.colors.hex_to_rgb(colour)
            fig.add_trace(go.Scatter(
                x=list(ci["year"]) + list(ci["year"])[::-1], y=list(ci["upper_95"]) + list(ci["lower_95"])[::-1],
                mode="lines", fill="toself", fillcolor=f"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.08)", line=dict(width=0),
                hoverinfo="skip", showlegend=False, name=f"{label} 95% CI", legendgroup=f"cont-{code}"))
        # join the segment to the area's own value in the adjacent year (if it has one), so the line continues
        own = df[(df["area_code"] == code) & df["value"].notna()]
        pts = c[["year", "period_label", "value", "lower_95", "upper_95", "status"]]
        lo_y, hi_y = int(c["year"].min()), int(c["year"].max())
        bridge = own[own["year"].isin([lo_y - 1, hi_y + 1])]
        if len(bridge):
            pts = pd.concat([pts, bridge[[x for x in pts.columns if x in bridge]]], ignore_index=True)
        pts = pts.sort_values("year")
        fig.add_trace(go.Scatter(
            x=pts["year"], y=pts["value"], mode="lines+markers", name=label, legendgroup=f"cont-{code}",
            line=dict(color=colour, dash=CONTINUITY_DASH, width=2),
            marker=dict(symbol=f"{SYMBOLS[i % len(SYMBOLS)]}-open", size=8),
            customdata=np.array([pts["period_label"],
                                 [_ci_text(a, b) for a, b in zip(pts.get("lower_95"), pts.get("upper_95"))],
                                 pts["status"]], dtype=object).T,
            hovertemplate=f"<b>{label}</b> %{{customdata[0]}}<br>%{{y:,.1f}} {unit}<br>95% CI: %{{customdata[1]}}"
                          "<br>Status: %{customdata[2]}<extra></extra>"))


def trend_summary(df: pd.DataFrame, unit: str) -> str:
    parts = []
    for name, d in df.groupby("area_name", sort=False):
        d = d[d["value"].notna()].sort_values("year")
        if d.empty:
            parts.append(f"{name}: no values.")
            continue
        a, b = d.iloc[0], d.iloc[-1]
        parts.append(f"{name}: {fmt(a.value)} in {a.period_label} and {fmt(b.value)} in {b.period_label}.")
    return " ".join(parts) + (f" Values are {unit}." if unit else "")


def small_multiples(df: pd.DataFrame, unit: str) -> go.Figure:
    """Regions' trends, one panel each (England dotted in every panel)."""
    fig = px.line(df, x="year", y="value", facet_col="area_name", facet_col_wrap=3, markers=True,
                  labels={"value": unit, "year": ""}, height=620)
    fig.update_traces(line_color="#0072B2")
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    fig.update_layout(margin=dict(l=10, r=10, t=30, b=10))
    return fig

