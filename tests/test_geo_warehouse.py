"""Boundary layers, year mapping and la_geo in the real warehouse (built from the mirror)."""
from __future__ import annotations

import json

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo.boundaries import layer_for_year
from tests.conftest import FULL

pytestmark = pytest.mark.integration

EXPECTED_ENGLAND = {"la_england_2018": 152, "la_england_2018_pre2013codes": 152, "la_england_2019": 151,
                    "la_england_2020": 151, "la_england_2021": 152, "la_england_2023": 153}


def _layers(con):
    out = {}
    for lid, n, nbytes, text in con.execute(
            "SELECT layer_id, n_features, bytes, geojson FROM boundary_layers").fetchall():
        fc = json.loads(text)
        out[lid] = (n, nbytes, fc, np.array([shape(f["geometry"]) for f in fc["features"]], dtype=object))
    return out


def test_layer_counts_and_validity(con):
    layers = _layers(con)
    assert set(EXPECTED_ENGLAND) | {"la_wales_2023", "region_england_2024"} <= set(layers)
    for lid, want in EXPECTED_ENGLAND.items():
        n, _, fc, _ = layers[lid]
        codes = [f["id"] for f in fc["features"]]
        assert n == len(codes) == len(set(codes)) == want, lid
        assert all(c.startswith("E") for c in codes)
    assert layers["la_wales_2023"][0] == 22 and layers["region_england_2024"][0] == 9
    for lid, (n, nbytes, fc, gs) in layers.items():
        assert all(shapely.is_valid(gs)), lid
        assert all(g.geom_type in ("Polygon", "MultiPolygon") for g in gs)
        assert shapely.coverage_is_valid(gs), f"{lid}: overlapping or mismatched borders"
        # no slivers/gaps: the union of the LAs has no interior holes
        holes = [h for p in shapely.get_parts(shapely.union_all(gs)) for h in p.interiors]
        assert holes == [], lid
        xmin, ymin, xmax, ymax = shapely.total_bounds(gs)
        assert -6.5 < xmin and xmax < 2.0 and 49.8 < ymin and ymax < 56.0  # lon/lat, England and Wales
        for f in fc["features"]:
            assert f["id"] == f["properties"]["area_code"] and set(f["properties"]) == {"area_code", "area_name"}


def test_specific_vintages(con):
    layers = _layers(con)
    ids = {lid: {f["id"] for f in v[2]["features"]} for lid, v in layers.items()}
    assert {"E06000028", "E06000029", "E10000009"} <= ids["la_england_2018"]
    assert "E06000058" in ids["la_england_2019"] and "E10000002" in ids["la_england_2019"]
    assert "E06000060" in ids["la_england_2020"] and "E10000021" in ids["la_england_2020"]
    assert {"E06000061", "E06000062", "E10000006"} <= ids["la_england_2021"]
    assert {"E06000063", "E06000064", "E06000065", "E06000066"} <= ids["la_england_2023"]
    assert {"E08000020", "E06000048"} <= ids["la_england_2018_pre2013codes"]
    assert not {"E08000037", "E06000057"} & ids["la_england_2018_pre2013codes"]


def test_every_la_with_a_rate_has_exactly_one_polygon_that_year(con):
    layers = _layers(con)
    rows = con.execute("SELECT v.year, v.area_code, a.country FROM indicator_values v JOIN areas a USING (area_code) "
                       "WHERE v.measure_id = 'cla_starts_u1_rate' AND v.value IS NOT NULL AND a.area_type = 'la'"
                       ).fetchall()
    assert len(rows) > (2000 if FULL else 400)
    for year, code, country in rows:
        lid = layer_for_year(con, year, country)
        assert lid is not None, (year, country)
        codes = [f["id"] for f in layers[lid][2]["features"]]
        assert codes.count(code) == 1, (year, code, lid)
    assert layer_for_year(con, 2012) == "la_england_2018_pre2013codes"
    assert layer_for_year(con, 2020) == "la_england_2019"
    assert layer_for_year(con, 2023) == "la_england_2021"
    assert layer_for_year(con, 2025) == "la_england_2023"
    assert layer_for_year(con, 2019, "Wales") == "la_wales_2023"


def test_la_geo_one_row_per_la_with_plausible_positions(con):
    la = con.execute("SELECT area_code FROM areas WHERE area_type='la'").fetchall()
    g = con.execute("SELECT * FROM la_geo").df()
    assert sorted(g["area_code"]) == sorted(r[0] for r in la)
    assert g["area_code"].is_unique and g[["rep_lon", "rep_lat", "bng_n", "region_code"]].notna().all().all()
    assert ((g["north_south_km"] - g["bng_n"] / 1000).abs() < 0.001).all()
    by = g.set_index("area_code")
    # Northumberland > Cornwall
    assert by.at["E06000057", "north_south_km"] > 550 > by.at["E06000052", "north_south_km"]
    assert by.at["E09000001", "point_source"].startswith("ons_lat_long")
    # each representative point lies inside (or within 1 km of) its own polygon in the newest layer that has it
    layers = _layers(con)
    for lid in ("la_england_2023", "la_wales_2023"):
        for f in layers[lid][2]["features"]:
            pt = shapely.Point(by.at[f["id"], "rep_lon"], by.at[f["id"], "rep_lat"])
            assert shape(f["geometry"]).distance(pt) < 0.015, f["id"]
