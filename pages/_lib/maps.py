"""Maps: LA / region choropleths (MapLibre traces on the `white-bg` style: no tiles, no internet), service points,
the observed/expected map, and the one-line summary under a map."""
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

from .chart_style import MAP_INK, MISSING_COLOUR, MISSING_LABEL, SIG_COLOURS, SIG_LABELS, _ci_text, fmt


def _hover_frame(df: pd.DataFrame) -> pd.DataFrame:
    from .data import STATUS_LABELS
    d = df.copy()
    d["value_txt"] = [fmt(v) for v in d["value"]]
    d["ci_txt"] = [_ci_text(a, b)
                   for a, b in zip(d.get("lower_95", [None] * len(d)), d.get("upper_95", [None] * len(d)))]
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



# The key sits outside the map (on a phone a key inside it hid the north of England): the colour bar lies horizontal
# just below the map, the legend (bands / comparison / "no value" / points) below that at the foot of the figure.
# Plotly widens the bottom margin to fit both; the figure is KEY_HEIGHT taller than the map's `height` so the map
# keeps about that height on a laptop (a phone fits the map to its layer's bounds, nav.MAP_FIT_JS). The key is a
# white box with dark ink in both themes, like the map it explains (the figure is cached across themes).
KEY_HEIGHT = 110
LEGEND = dict(orientation="h", yref="container", y=0, yanchor="bottom", xanchor="left", x=0,
              bgcolor="#ffffff", font=dict(color=MAP_INK))


def colorbar(title: str, **kw) -> dict:
    """A horizontal colour bar just below the map, dark ink on white."""
    return dict(orientation="h", x=0.5, xanchor="center", y=-0.02, yanchor="top", thickness=12, len=0.9,
                bgcolor="#ffffff", tickfont=dict(color=MAP_INK),
                title=dict(text=title, side="top", font=dict(color=MAP_INK)), **kw)


def choropleth(df: pd.DataFrame, layer: dict, *, mode: str = "continuous", title: str = "", unit: str = "",
               label_points: pd.DataFrame | None = None, height: int = 620, color_col: str = "value",
               scale=None, midpoint=None) -> go.Figure:
    """LA or region choropleth (MapLibre `choroplethmap` traces on the `white-bg` style: no tiles, no internet).

    df: one row per area (area_code, area_name, value, numerator, status, CIs, sig).
    mode: 'continuous' (viridis colour bar), 'quantile' (quintile bands, legend) or 'significance' (vs England).
    Areas without a value are one grey trace with its own legend entry. height: the map's; the key below it adds
    KEY_HEIGHT."""
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
            colorbar=colorbar(unit or "value"), name=unit or "value",
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
                      margin=dict(l=0, r=0, t=30 if title else 0, b=0), height=height + KEY_HEIGHT,
                      title=title or None,
                      legend=LEGEND,
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
                      colorbar=colorbar("observed / expected (log scale)", tickvals=[math.log2(t) for t in ticks],
                                        ticktext=[f"{t:g}" for t in ticks]))
            break
    return fig
