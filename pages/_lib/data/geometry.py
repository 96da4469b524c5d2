"""Boundary layers (boundary_layers, boundary_layer_years): parsed GeoJSON with codes, centre and zoom, cached as a
resource (large, never mutated)."""
from __future__ import annotations

import json
import math

import streamlit as st

from .connection import _df, query, token


def _extent(gj: dict) -> tuple[float, float, float, float]:
    lons, lats = [], []

    def walk(c):
        if isinstance(c[0], (int, float)):
            lons.append(c[0])
            lats.append(c[1])
        else:
            for x in c:
                walk(x)
    for f in gj.get("features", []):
        walk(f["geometry"]["coordinates"])
    return min(lons), max(lons), min(lats), max(lats)


@st.cache_resource(show_spinner=False, max_entries=16)
def _layer(tok: str, layer_id: str) -> dict | None:
    df = _df(tok, "SELECT layer_id, level, geojson FROM boundary_layers WHERE layer_id = ?", [layer_id])
    if df.empty:
        return None
    gj = json.loads(df["geojson"].iloc[0])
    codes = {str(f.get("id") or f.get("properties", {}).get("area_code")) for f in gj.get("features", [])}
    lon0, lon1, lat0, lat1 = _extent(gj)
    span = max(lon1 - lon0, (lat1 - lat0) * 1.6, 1e-6)
    zoom = max(0.0, min(12.0, math.log2(360 / span) + 0.15))
    return {"layer_id": layer_id, "geojson": gj, "codes": codes,
            "center": {"lon": (lon0 + lon1) / 2, "lat": (lat0 + lat1) / 2}, "zoom": zoom,
            "bounds": [[lon0, lat0], [lon1, lat1]]}


@st.cache_resource(show_spinner=False, max_entries=16)
def _merged(tok: str, layer_ids: tuple[str, ...]) -> dict | None:
    parts = [p for p in (_layer(tok, lid) for lid in layer_ids) if p]
    if not parts:
        return None
    if len(parts) == 1:
        return parts[0]
    feats = [f for p in parts for f in p["geojson"]["features"]]
    gj = {"type": "FeatureCollection", "features": feats}
    lons = [p["center"]["lon"] for p in parts]
    lats = [p["center"]["lat"] for p in parts]
    return {"layer_id": "+".join(layer_ids), "geojson": gj, "codes": set().union(*(p["codes"] for p in parts)),
            "center": {"lon": sum(lons) / len(lons), "lat": sum(lats) / len(lats)},
            "zoom": min(p["zoom"] for p in parts),
            "bounds": [[min(p["bounds"][0][0] for p in parts), min(p["bounds"][0][1] for p in parts)],
                       [max(p["bounds"][1][0] for p in parts), max(p["bounds"][1][1] for p in parts)]]}


def layer_for(year: int, level: str = "la", countries: tuple[str, ...] = ("England",)) -> dict | None:
    """The boundary layer (parsed GeoJSON, codes, centre, zoom) for a data year; None if the build has no layer
    for it. Several countries give one merged layer."""
    tok = token()
    if level == "la":
        ly = query("SELECT year, country, layer_id FROM boundary_layer_years")
        ids = []
        for country in countries:
            cand = ly[ly["country"] == country]
            if cand.empty:
                continue
            row = cand[cand["year"] == int(year)]
            if row.empty:  # nearest year with a layer
                row = cand.iloc[[(cand["year"] - int(year)).abs().argmin()]]
            ids.append(str(row["layer_id"].iloc[0]))
        return _merged(tok, tuple(ids))
    ids = query("SELECT layer_id, vintage, country, level FROM boundary_layers ORDER BY vintage")
    ids = ids[(ids["level"] == "region")]
    if ids.empty:
        return None
    return _layer(tok, str(ids["layer_id"].iloc[-1]))
