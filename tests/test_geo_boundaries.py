"""Unit tests of geo/boundaries.py and the boundaries parser on small hand-written GeoJSON fixtures."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import shapely
from shapely.geometry import shape

from geo import boundaries as gb
from pipeline.errors import SourceError
from pipeline.reference import geometry as pb
from tests.helpers import FIXTURES, make_ctx

GEO = FIXTURES / "geo"


def _layer(text):
    fc = json.loads(text)
    return fc, np.array([shape(f["geometry"]) for f in fc["features"]], dtype=object)


def test_two_squares_share_one_simplified_edge():
    areas, crs = gb.read_features(GEO / "two_squares.geojson", "CODE", "NAME")
    assert crs == gb.WGS84
    areas = [a for a in areas if a.code.startswith("E")]
    assert gb.repair(areas) == ["E06000002"]  # the bow-tie island is repaired, not rejected
    layers = gb.build_layers(areas, {"t": ["E06000001", "E06000002"]}, tolerance_m=2000, min_island_km2=0.5)
    fc, gs = _layer(layers["t"]["geojson"])
    assert [f["id"] for f in fc["features"]] == ["E06000001", "E06000002"]
    assert fc["features"][0]["properties"] == {"area_code": "E06000001", "area_name": "West square"}
    assert all(shapely.is_valid(gs))
    assert shapely.coverage_is_valid(gs)  # no overlaps, shared edge identical
    assert shapely.intersection(gs[0], gs[1]).area == 0
    # no gap: the union is one polygon without holes
    u = shapely.union_all(gs)
    assert u.geom_type in ("Polygon", "MultiPolygon")
    assert all(len(p.interiors) == 0 for p in shapely.get_parts(u))
    # the collinear vertices on the shared border were simplified away, once, for both sides
    assert len(shapely.get_coordinates(gs[0])) == 5
    # coordinates quantised to 5 decimals
    coords = shapely.get_coordinates(gs[1])
    assert np.allclose(coords, np.round(coords, 5), atol=1e-12)


def test_small_islands_dropped_but_never_the_main_part():
    areas, _ = gb.read_features(GEO / "two_squares.geojson", "CODE", "NAME")
    areas = [a for a in areas if a.code.startswith("E")]
    gb.repair(areas)
    big = gb.build_layers(areas, {"t": ["E06000002"]}, tolerance_m=100, min_island_km2=1e4)
    _, gs = _layer(big["t"]["geojson"])
    assert gs[0].geom_type == "Polygon"  # islands (< 10,000 km2) gone, main square kept


def test_representative_point_prefers_ons_properties():
    areas, _ = gb.read_features(GEO / "two_squares.geojson", "CODE", "NAME")
    lon, lat, e, n, how = gb.representative_point(areas[0])
    assert (lon, lat, e, n, how) == (-1.75, 52.25, 417000.0, 266000.0, "ons_lat_long")
    lon, lat, e, n, how = gb.representative_point(areas[1])
    assert how == "point_on_surface" and -1.5 < lon < -0.8 and 52.0 < lat < 52.5
    assert 150_000 < n < 400_000  # British National Grid metres


def test_haversine_known_distance():
    # London (51.5074, -0.1278) to Manchester (53.4808, -2.2426) is about 262 km
    assert gb.haversine_km(-0.1278, 51.5074, -2.2426, 53.4808) == pytest.approx(262, abs=2)


def _ctx_with(tmp_path, fixture_name):
    dest = tmp_path / "geography" / "ctyua_dec2018_uk_buc.geojson"
    dest.parent.mkdir(parents=True)
    shutil.copy(GEO / fixture_name, dest)
    return make_ctx(raw=tmp_path)


@pytest.mark.parametrize("fixture,needle,row", [
    ("truncated.geojson", "not valid JSON", None),
    ("short_ring.geojson", "malformed geometry", 2),
    ("bng_declared_wgs84.geojson", "not lon/lat", 1),
])
def test_bad_files_give_one_clear_source_error(tmp_path, fixture, needle, row):
    ctx = _ctx_with(tmp_path, fixture)
    with pytest.raises(SourceError) as ei:
        pb.read_source(ctx, "ctyua_2018", "CODE", "NAME")
    e = ei.value
    assert e.source_id == "ctyua_2018" and e.file == "geography/ctyua_dec2018_uk_buc.geojson"
    assert needle in str(e)
    assert e.row == row
    if row is not None:
        assert e.column == "geometry"


def test_missing_code_property_names_the_field(tmp_path):
    ctx = _ctx_with(tmp_path, "two_squares.geojson")
    with pytest.raises(SourceError, match="no area code in property 'CTYUA18CD'") as ei:
        pb.read_source(ctx, "ctyua_2018", "CTYUA18CD", "CTYUA18NM")
    assert ei.value.row == 1
