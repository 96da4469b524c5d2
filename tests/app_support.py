"""Helpers for the app tests: a warehouse copy that is guaranteed to have geometry.

If the build has no `boundary_layers` yet (the geometry step is missing), `with_geometry` adds SYNTHETIC square
boundaries (a grid over England's bounding box, one square per LA in force each year) so the map, its click
selection and the services overlay can be exercised. Real builds with geometry are used unchanged.
"""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd


def _square(lon, lat, w=0.3, h=0.45):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h],
                                                [lon, lat]]]}


def with_geometry(src: Path, dest: Path) -> tuple[Path, bool]:
    """Copy the warehouse to dest; add synthetic geometry if it has none. Returns (path, synthetic?)."""
    shutil.copyfile(src, dest)
    con = duckdb.connect(str(dest))
    try:
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        if "boundary_layers" in tables:
            return dest, False
        areas = con.execute("SELECT area_code, area_name, area_type, region_code, valid_from, valid_to FROM areas "
                            "WHERE country = 'England'").df()
        layers, years, geo = [], [], {}
        for year in range(2011, 2026):
            d = dt.date(year - 1, 4, 1)
            las = areas[(areas.area_type == "la")
                        & (areas.valid_from.isna() | (pd.to_datetime(areas.valid_from) <= pd.Timestamp(d)))
                        & (areas.valid_to.isna() | (pd.to_datetime(areas.valid_to) >= pd.Timestamp(d)))]
            las = las.sort_values("area_code")
            feats = []
            for i, r in enumerate(las.itertuples()):
                lon, lat = -5.0 + (i % 13) * 0.3, 50.2 + (i // 13) * 0.45
                feats.append({"type": "Feature", "id": r.area_code,
                              "properties": {"area_code": r.area_code, "area_name": r.area_name},
                              "geometry": _square(lon, lat)})
                geo.setdefault(r.area_code, (r.area_code, r.area_name, r.region_code, lon + 0.15, lat + 0.22))
            gj = json.dumps({"type": "FeatureCollection", "features": feats})
            lid = f"synthetic_la_{year}"
            layers.append((lid, year, "England", "la", len(feats), len(gj), gj))
            years.append((year, "England", lid))
        regs = areas[areas.area_type == "region"].sort_values("area_code")
        feats = [{"type": "Feature", "id": r.area_code, "properties": {"area_code": r.area_code,
                                                                       "area_name": r.area_name},
                  "geometry": _square(-4.5 + (i % 3) * 1.8, 50.5 + (i // 3) * 1.6, 1.7, 1.5)}
                 for i, r in enumerate(regs.itertuples())]
        gj = json.dumps({"type": "FeatureCollection", "features": feats})
        layers.append(("synthetic_region", 2024, "England", "region", len(feats), len(gj), gj))
        con.execute("CREATE TABLE boundary_layers(layer_id VARCHAR, vintage INT, country VARCHAR, level VARCHAR, "
                    "n_features INT, bytes INT, geojson VARCHAR)")
        con.executemany("INSERT INTO boundary_layers VALUES (?,?,?,?,?,?,?)", layers)
        con.execute("CREATE TABLE boundary_layer_years(year INT, country VARCHAR, layer_id VARCHAR)")
        con.executemany("INSERT INTO boundary_layer_years VALUES (?,?,?)", years)
        if "la_geo" not in tables:
            g = pd.DataFrame(list(geo.values()), columns=["area_code", "area_name", "region_code", "rep_lon",
                                                          "rep_lat"])
            g["bng_e"] = (g["rep_lon"] + 2) * 70000 + 400000
            g["bng_n"] = (g["rep_lat"] - 49.8) * 111000
            g["north_south_km"] = g["bng_n"] / 1000
            g["point_source"] = "synthetic"
            con.register("g", g)
            con.execute("CREATE TABLE la_geo AS SELECT * FROM g")
        return dest, True
    finally:
        con.close()
