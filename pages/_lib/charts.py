"""All chart building (Plotly) and the short text summaries that accompany each chart.

Maps use MapLibre traces (`choropleth_map`, `scatter_map`) on the `white-bg` style: no tiles, no internet.
Palettes are colour-blind-safe (viridis / cividis; Okabe-Ito for categories); meaning is never carried by colour
alone (legend text, hover text, symbols and the table alternative carry it too).
"""
from __future__ import annotations

import json
import math
import urllib.parse

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from pipeline.denominator_notes import denominator_basis

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


def _hover_frame(df: pd.DataFrame) -> pd.DataFrame:
    from .data import STATUS_LABELS
    d = df.copy()
    d["value_txt"] = [fmt(v) for v in d["value"]]
    d["ci_txt"] = [_ci_text(a, b) for a, b in zip(d.get("lower_95", [None] * len(d)), d.get("upper_95", [None] * len(d)))]
    d["count_txt"] = [fmt(v) for v in d["numerator"]] if "numerator" in d else "–"
    d["status_txt"] = d["status"].map(STATUS_LABELS).fillna(d["status"])
    if "note" in d:  # user data: withheld by the atlas's disclosure control, not by a publisher
        from .data import status_label
        d["status_txt"] = [status_label(s, n) for s, n in zip(d["status"], d["note"])]
        # say which denominator a fallback row used (not live births of the year before)
        basis = [denominator_basis(n, s) for n, s in zip(d["note"], d["status"])]
        d["status_txt"] = [f"{t} — denominator: {b}" if b else t for t, b in zip(d["status_txt"], basis)]
    sig = d["sig_england_95"] if "sig_england_95" in d else pd.Series([None] * len(d), index=d.index)
    d["sig_txt"] = sig.map(lambda s: SIG_LABELS.get(s, "not computed") if isinstance(s, str) else "not computed")
    return d


_HOVER = ("<b>%{customdata[0]}</b> (%{location})<br>Value: %{customdata[1]}<br>95% CI: %{customdata[2]}"
          "<br>Count: %{customdata[3]}<br>Status: %{customdata[4]}<br>vs England: %{customdata[5]}<extra></extra>")
_HOVER_COLS = ["area_name", "value_txt", "ci_txt", "count_txt", "status_txt", "sig_txt"]


def quantile_bands(values: pd.Series, k: int = 5) -> pd.Series:
    """Quintile (or fewer) bands as ordered labels 'a – b'."""
    v = values.astype(float)
    n = min(k, max(1, v.nunique()))
    try:
        cats = pd.qcut(v, n, duplicates="drop")
    except ValueError:
        cats = pd.cut(v, 1)
    labels = {c: f"{c.left:,.1f} – {c.right:,.1f}" for c in cats.cat.categories}
    return cats.map(labels).astype(str)


def _subset(layer: dict, codes) -> str:
    """GeoJSON with only these features, as a `data:` URL (each trace carries only its own polygons, so the
    payload stays 1x the geometry; a string is serialised by Plotly in microseconds, whereas a nested GeoJSON
    dict is walked coordinate by coordinate on every rerun). Plotly.js fetches the URL in the browser."""
    by_id = layer.get("_by_id")
    if by_id is None:
        by_id = {str(f.get("id")): json.dumps(f, separators=(",", ":")) for f in layer["geojson"]["features"]}
        layer["_by_id"] = by_id
    body = '{"type":"FeatureCollection","features":[' + ",".join(by_id[c] for c in codes if c in by_id) + "]}"
    return "data:application/json;charset=utf-8," + urllib.parse.quote(body, safe=",:{}[]\"")


def _customdata(d: pd.DataFrame):
    return d[_HOVER_COLS].to_numpy(dtype=object)


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


def choropleth(df: pd.DataFrame, layer: dict, *, mode: str = "continuous", title: str = "", unit: str = "",
               label_points: pd.DataFrame | None = None, height: int = 620, color_col: str = "value",
               scale=None, midpoint=None) -> go.Figure:
    """LA or region choropleth (MapLibre `choroplethmap` traces on the `white-bg` style: no tiles, no internet).

    df: one row per area (area_code, area_name, value, numerator, status, CIs, sig).
    mode: 'continuous' (viridis colour bar), 'quantile' (quintile bands, legend) or 'significance' (vs England).
    Areas without a value are one grey trace with its own legend entry."""
    codes = layer["codes"]
    d = _hover_frame(df[df["area_code"].isin(codes)])
    ok = d[d[color_col].notna()]
    miss = d[d[color_col].isna()]
    no_row = sorted(codes - set(d["area_code"]))
    line = dict(width=0.4, color="#ffffff")
    traces = []

    def cat_trace(part: pd.DataFrame, name: str, colour: str):
        locs = list(part["area_code"])
        return go.Choroplethmap(geojson=_subset(layer, locs), locations=locs, featureidkey="id",
                                z=[1] * len(locs), colorscale=[[0, colour], [1, colour]], showscale=False,
                                name=name, showlegend=True, marker_line=line, marker_opacity=0.9,
                                customdata=_customdata(part), hovertemplate=_HOVER, legendgroup=name)
    if mode == "quantile" and len(ok):
        ok = ok.assign(band=quantile_bands(ok[color_col]))
        order = sorted(ok["band"].unique(), key=lambda s: float(s.split(" – ")[0].replace(",", "")))
        cols = px.colors.sample_colorscale("Viridis", [i / max(1, len(order) - 1) for i in range(len(order))])
        for band, colour in zip(order, cols):
            traces.append(cat_trace(ok[ok["band"] == band], f"{band} {unit}".strip(), colour))
    elif mode == "significance" and len(ok):
        sig = ok["sig_txt"].where(ok["sig_txt"] != "not computed", SIG_LABELS["not_compared"])
        for label, colour in SIG_COLOURS.items():
            part = ok[sig == label]
            if len(part):
                traces.append(cat_trace(part, label, colour))
    elif len(ok):
        locs = list(ok["area_code"])
        traces.append(go.Choroplethmap(
            geojson=_subset(layer, locs), locations=locs, featureidkey="id", z=ok[color_col].astype(float),
            colorscale=scale or "Viridis", zmid=midpoint, marker_line=line, marker_opacity=0.9,
            colorbar=dict(title=dict(text=unit or "value", side="right"), thickness=14), name=unit or "value",
            customdata=_customdata(ok), hovertemplate=_HOVER, showlegend=False))
    if len(miss) or no_row:
        locs = list(miss["area_code"]) + no_row
        names = list(miss["area_name"]) + no_row
        status = list(miss["status_txt"]) + ["no row in the warehouse"] * len(no_row)
        traces.append(go.Choroplethmap(
            geojson=_subset(layer, locs), locations=locs, featureidkey="id", z=[0] * len(locs),
            colorscale=[[0, MISSING_COLOUR], [1, MISSING_COLOUR]], showscale=False, name=MISSING_LABEL,
            showlegend=True, marker_line=line,
            customdata=np.array([names, status], dtype=object).T,
            hovertemplate="<b>%{customdata[0]}</b> (%{location})<br>%{customdata[1]}<extra></extra>"))
    if label_points is not None and len(label_points):
        traces.append(go.Scattermap(lon=label_points["rep_lon"], lat=label_points["rep_lat"], mode="text",
                                    text=label_points["symbol"], textfont=dict(size=11, color="#000000"),
                                    name="Symbols: ▲ higher ▼ lower than England", hoverinfo="skip",
                                    showlegend=True))
    fig = go.Figure(traces)
    fig.update_layout(map=dict(style="white-bg", center=layer["center"], zoom=layer["zoom"]),
                      margin=dict(l=0, r=0, t=30 if title else 0, b=0), height=height, title=title or None,
                      legend=dict(orientation="v", yanchor="top", y=0.99, xanchor="left", x=0.01,
                                  bgcolor="rgba(255,255,255,0.85)", font=dict(color=MAP_INK)),
                      clickmode="event+select", uirevision="map", meta={"fit_bounds": layer.get("bounds")})
    return fig


@st.cache_resource(show_spinner=False, max_entries=128)
def _memo(key: tuple, _build):
    return _build()


def memo(key: tuple, build):
    """Build a figure once per key (include data.token() in the key) and reuse it: figures are never mutated
    after building, so a change back to a seen measure/year costs no figure construction."""
    return _memo(key, build)


def add_points(fig: go.Figure, pts: pd.DataFrame, name: str = "Mother and baby units") -> go.Figure:
    """Service points (e.g. MBUs) as a scatter_map layer over a map figure."""
    conf = pts.get("location_confidence", pd.Series([""] * len(pts))).fillna("")
    if "location_level" in pts:  # how each point was placed, in words (not by colour)
        conf = [f"{lv}-level, confidence {c}, within about {fmt(r)} km" for lv, c, r in
                zip(pts["location_level"], conf, pts["error_radius_km"])]
    beds = pts.get("beds", pd.Series([None] * len(pts)))
    fig.add_trace(go.Scattermap(
        lon=pts["lon"], lat=pts["lat"], mode="markers+text", name=name,
        marker=dict(size=11, color="#000000", symbol="circle"), textposition="top right",
        text=["MBU (approx.)" if lv == "district" else "MBU" for lv in pts.get("location_level", [""] * len(pts))],
        textfont=dict(size=9), showlegend=True,
        customdata=np.array([pts["name"].fillna(""), pts.get("town", pd.Series([""] * len(pts))).fillna(""),
                             [fmt(b) for b in beds], conf], dtype=object).T,
        hovertemplate="<b>%{customdata[0]}</b><br>%{customdata[1]}<br>Beds: %{customdata[2]}"
                      "<br>Location: %{customdata[3]}<extra></extra>"))
    return fig


def map_summary(df: pd.DataFrame, england: float | None, unit: str, period: str, level: str = "local authorities"):
    ok = df[df["value"].notna()]
    n_miss = int(df["value"].isna().sum())
    if ok.empty:
        return f"No {level} have a value for {period}."
    hi = ok.loc[ok["value"].idxmax()]
    lo = ok.loc[ok["value"].idxmin()]
    s = (f"{period}: {len(ok)} {level} have a value; highest {hi.area_name} ({fmt(hi.value)}), lowest "
         f"{lo.area_name} ({fmt(lo.value)}), median {fmt(ok['value'].median())} {unit}.")
    if england is not None and not pd.isna(england):
        s += f" England: {fmt(england)}."
    if "sig_england_95" in ok and ok["sig_england_95"].notna().any():
        c = ok["sig_england_95"].value_counts()
        s += (f" Compared with England (95% limits): {c.get('higher', 0)} higher, {c.get('similar', 0)} similar, "
              f"{c.get('lower', 0)} lower.")
    if n_miss:
        s += f" {n_miss} have no value (suppressed or not available), shown in grey."
    return s


# ---------------------------------------------------------------------------------------------------------------
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


# ---------------------------------------------------------------------------------------------------------------
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
                      xaxis=dict(range=[-0.02, 1.1], showticklabels=False, title="lowest LA ← range of English LAs → highest LA"),
                      yaxis=dict(autorange="reversed"))
    return fig


OE_SCALE = "RdBu_r"  # diverging (blue below 1, red above), colour-blind-safe pair; hover, legend and table carry it too


def oe_map(d: pd.DataFrame, layer: dict, height: int = 620) -> go.Figure:
    """Observed/expected ratios on a log scale centred on 1 (a ratio of 2 is as far from 1 as 0.5), never below 0.

    d: area_code, area_name, value (= O/E ratio), lower_95, upper_95, numerator (observed), status."""
    d = d.copy()
    pos = d["value"].where(d["value"] > 0)
    floor = float(pos.min()) / 2 if pos.notna().any() else 0.1  # an O/E of 0 (no starts) at the scale's low end
    d["log_oe"] = np.log2(d["value"].where(d["value"] > 0, floor).astype(float))
    d.loc[d["value"].isna(), "log_oe"] = np.nan
    span = float(np.nanmax(np.abs(d["log_oe"]))) if d["log_oe"].notna().any() else 1.0
    span = max(span, 0.5)
    fig = choropleth(d, layer, unit="observed / expected", color_col="log_oe", scale=OE_SCALE, midpoint=0.0,
                     height=height)
    ticks = [t for t in (0.125, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8) if abs(math.log2(t)) <= span + 1e-9]
    for tr in fig.data:
        if getattr(tr, "showscale", None) is not False and tr.type == "choroplethmap" and tr.colorbar is not None:
            tr.update(zmin=-span, zmax=span, zmid=0.0,
                      colorbar=dict(title=dict(text="observed / expected (log scale)", side="right"),
                                    tickvals=[math.log2(t) for t in ticks], ticktext=[f"{t:g}" for t in ticks],
                                    thickness=14))
            break
    return fig
