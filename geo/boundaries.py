"""Web-ready boundary layers from ONS boundary GeoJSON files (pure functions; no warehouse access except
`layer_for_year`).

Method (see docs/geography.md):
1. read a GeoJSON FeatureCollection (`read_features`): code/name properties, declared CRS (EPSG:4326/CRS84 or
   EPSG:27700); anything malformed raises `GeoInputError` naming the feature;
2. work in British National Grid metres (EPSG:27700); repair invalid polygons with `make_valid` (keeping the
   polygonal parts, e.g. Hampshire in the Dec 2021 BUC file);
3. simplify all areas of a file *together* as one coverage (`shapely.coverage_simplify`, Visvalingam-Whyatt on
   shared edges): every shared border is simplified once, so neighbours keep identical edges - no slivers, no gaps;
4. drop islands smaller than `min_island_km2` (never the largest part of an area);
5. reproject to EPSG:4326 and snap to a 1e-5 degree grid (~1 m), which keeps shared vertices identical;
6. serialise a compact FeatureCollection: feature `id` = area code, properties {area_code, area_name} only.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import mapping, shape

BNG = "EPSG:27700"
WGS84 = "EPSG:4326"
DECIMALS = 5
DEFAULT_TOLERANCE_M = 700.0
DEFAULT_MIN_ISLAND_KM2 = 3.0

_TO_BNG = Transformer.from_crs(WGS84, BNG, always_xy=True)
_TO_WGS = Transformer.from_crs(BNG, WGS84, always_xy=True)


class GeoInputError(ValueError):
    """A boundary file that cannot be used as published. `feature` is the 1-based feature number."""

    def __init__(self, message: str, feature: int | None = None, code: str | None = None, field: str | None = None):
        self.message, self.feature, self.code, self.field = message, feature, code, field
        where = []
        if feature is not None:
            where.append(f"feature {feature}")
        if code:
            where.append(f"area {code}")
        super().__init__((", ".join(where) + ": " if where else "") + message)


@dataclass
class Area:
    code: str
    name: str
    geom: shapely.Geometry  # in BNG metres
    props: dict


def _crs_of(doc: dict) -> str:
    name = (((doc.get("crs") or {}).get("properties") or {}).get("name") or "").upper()
    if not name or "CRS84" in name or name.endswith("4326"):
        return WGS84
    if name.endswith("27700"):
        return BNG
    raise GeoInputError(f"unsupported CRS {name!r} (expected EPSG:4326/CRS84 or EPSG:27700)", field="crs")


def read_features(path: Path | str, code_field: str, name_field: str) -> tuple[list[Area], str]:
    """Read a GeoJSON FeatureCollection into Areas (geometry in BNG). Returns (areas, declared CRS)."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise GeoInputError(f"not valid JSON ({e.msg} at line {e.lineno} column {e.colno})") from None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        raise GeoInputError("not a GeoJSON FeatureCollection (no 'features' list)")
    crs = _crs_of(doc)
    out: list[Area] = []
    for i, f in enumerate(doc["features"], start=1):
        props = (f or {}).get("properties") or {}
        code = str(props.get(code_field) or "").strip()
        if not code:
            raise GeoInputError(f"no area code in property {code_field!r}", feature=i, field=code_field)
        name = str(props.get(name_field) or "").strip()
        try:
            g = shape(f["geometry"])
        except Exception as e:  # noqa: BLE001 - shapely raises several types for malformed coordinates
            raise GeoInputError(f"malformed geometry ({type(e).__name__}: {e})", feature=i, code=code,
                                field="geometry") from None
        bad = _bad_ring(f["geometry"].get("coordinates"))
        if bad:
            raise GeoInputError(f"malformed geometry ({bad})", feature=i, code=code, field="geometry")
        if g.is_empty or g.geom_type not in ("Polygon", "MultiPolygon"):
            raise GeoInputError(f"expected a Polygon or MultiPolygon, got {'empty' if g.is_empty else g.geom_type}",
                                feature=i, code=code, field="geometry")
        xmin, ymin, xmax, ymax = g.bounds
        if crs == WGS84:
            if not (-9.0 <= xmin and xmax <= 3.0 and 49.0 <= ymin and ymax <= 61.5):
                raise GeoInputError(f"coordinates {g.bounds} are not lon/lat in the UK although the file declares "
                                    "EPSG:4326", feature=i, code=code, field="geometry")
            g = shapely.transform(g, lambda xy: np.column_stack(_TO_BNG.transform(xy[:, 0], xy[:, 1])))
        elif not (-10_000 <= xmin and xmax <= 700_000 and -10_000 <= ymin and ymax <= 1_300_000):
            raise GeoInputError(f"coordinates {g.bounds} are not British National Grid metres", feature=i, code=code,
                                field="geometry")
        out.append(Area(code, name, g, props))
    if not out:
        raise GeoInputError("the FeatureCollection has no features")
    return out, crs


def _bad_ring(coords) -> str | None:
    """GeoJSON rule: every linear ring has >= 4 positions and is closed."""
    def rings(c):
        if isinstance(c, list) and c and isinstance(c[0], list) and c[0] and isinstance(c[0][0], (int, float)):
            yield c
        elif isinstance(c, list):
            for x in c:
                yield from rings(x)
    for r in rings(coords):
        if len(r) < 4:
            return f"a ring has {len(r)} positions; GeoJSON rings need at least 4"
        if list(r[0]) != list(r[-1]):
            return "a ring is not closed (first position differs from the last)"
    return None


def repair(areas: list[Area]) -> list[str]:
    """Make every geometry valid (polygonal parts only). Returns the codes that needed repair."""
    fixed = []
    for a in areas:
        if not a.geom.is_valid:
            g = _polygonal(shapely.make_valid(a.geom))
            if g.is_empty or not g.is_valid:
                raise GeoInputError("invalid geometry that make_valid cannot repair", code=a.code, field="geometry")
            a.geom = g
            fixed.append(a.code)
    return fixed


def _polygonal(g):
    if g.geom_type in ("Polygon", "MultiPolygon"):
        return g
    parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
    polys = []
    for p in parts:
        polys.extend(shapely.get_parts(p))
    return shapely.MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else shapely.Polygon())


def _drop_islands(g, min_area_m2: float, touches_other) -> object:
    """Drop parts smaller than min_area_m2 that touch no other area (true islands); keep the largest part."""
    parts = list(shapely.get_parts(g))
    if len(parts) <= 1:
        return g
    biggest = max(parts, key=lambda p: p.area)
    keep = [p for p in parts if p is biggest or p.area >= min_area_m2 or touches_other(p)]
    return keep[0] if len(keep) == 1 else shapely.MultiPolygon(keep)


def simplify_coverage(geoms: list, tolerance_m: float = DEFAULT_TOLERANCE_M,
                      min_island_km2: float = DEFAULT_MIN_ISLAND_KM2) -> list:
    """Topology-preserving simplification of a set of non-overlapping polygons (BNG metres)."""
    arr = np.array(geoms, dtype=object)
    simp = np.array([_polygonal(g) for g in shapely.coverage_simplify(arr, tolerance_m, simplify_boundary=True)],
                    dtype=object)
    tree = shapely.STRtree(simp)
    out = []
    for i, g in enumerate(simp):
        def touches_other(part, i=i):
            return any(j != i for j in tree.query(part, predicate="intersects"))
        out.append(_drop_islands(g, min_island_km2 * 1e6, touches_other))
    return out


def to_wgs84(g, decimals: int = DECIMALS):
    """Reproject BNG -> lon/lat and snap to a 10^-decimals degree grid (keeps shared vertices identical)."""
    w = shapely.transform(g, lambda xy: np.column_stack(_TO_WGS.transform(xy[:, 0], xy[:, 1])))
    w = shapely.set_precision(w, 10 ** -decimals)
    w = _polygonal(w)
    if not w.is_valid:
        w = _polygonal(shapely.make_valid(w))
    return shapely.orient_polygons(w) if hasattr(shapely, "orient_polygons") else w


def _round_coords(obj, decimals: int):
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], (int, float)):
            return [round(float(v), decimals) for v in obj]
        if obj and isinstance(obj[0], (list, tuple)) and obj[0] and isinstance(obj[0][0], (int, float)):
            # a ring of positions: the same rounding, one comprehension per ring instead of a call per position
            return [[round(float(v), decimals) for v in pos] for pos in obj]
        return [_round_coords(o, decimals) for o in obj]
    return obj


def feature_collection(features: list[tuple[str, str, object]], decimals: int = DECIMALS) -> str:
    """Compact GeoJSON text for [(code, name, lon/lat geometry)], feature id = code."""
    feats = []
    for code, name, g in features:
        m = mapping(g)
        feats.append({"type": "Feature", "id": code, "properties": {"area_code": code, "area_name": name},
                      "geometry": {"type": m["type"], "coordinates": _round_coords(m["coordinates"], decimals)}})
    return json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":"), ensure_ascii=False)


def build_layers(areas: list[Area], groups: dict[str, list[str]], tolerance_m: float = DEFAULT_TOLERANCE_M,
                 min_island_km2: float = DEFAULT_MIN_ISLAND_KM2, decimals: int = DECIMALS,
                 rename: dict[str, dict[str, tuple[str, str]]] | None = None, simplified: list | None = None
                 ) -> dict[str, dict]:
    """Simplify all `areas` as one coverage, then emit one FeatureCollection per group.

    groups: layer_id -> list of area codes (in output order). rename: layer_id -> {code: (new_code, new_name)}.
    simplified: the result of `simplify_coverage` for these areas and parameters, if already computed.
    Returns layer_id -> {"geojson": str, "n_features": int, "bytes": int, "geoms": {code: lon/lat geometry}}.
    """
    simp = simplified if simplified is not None else simplify_coverage([a.geom for a in areas], tolerance_m,
                                                                        min_island_km2)
    wanted = {c for codes in groups.values() for c in codes}  # reproject only the areas some layer uses
    by_code = {a.code: (a.name, to_wgs84(g, decimals)) for a, g in zip(areas, simp) if a.code in wanted}
    out = {}
    for layer_id, codes in groups.items():
        ren = (rename or {}).get(layer_id, {})
        feats = []
        for c in codes:
            name, g = by_code[c]
            new_code, new_name = ren.get(c, (c, name))
            feats.append((new_code, new_name, g))
        text = feature_collection(feats, decimals)
        out[layer_id] = {"geojson": text, "n_features": len(feats), "bytes": len(text.encode("utf-8")),
                         "geoms": {c: g for c, _, g in feats}}
    return out


def representative_point(a: Area) -> tuple[float, float, float, float, str]:
    """(lon, lat, easting, northing, point_source): the ONS LONG/LAT + BNG_E/BNG_N properties where the file has
    them, else the point-on-surface of the (unsimplified) polygon."""
    p = a.props
    try:
        lon, lat = float(p["LONG"]), float(p["LAT"])
        e, n = float(p["BNG_E"]), float(p["BNG_N"])
        if all(math.isfinite(v) for v in (lon, lat, e, n)):
            return lon, lat, e, n, "ons_lat_long"
    except (KeyError, TypeError, ValueError):
        pass
    pt = a.geom.point_on_surface()
    lon, lat = _TO_WGS.transform(pt.x, pt.y)
    return float(lon), float(lat), float(pt.x), float(pt.y), "point_on_surface"


def haversine_km(lon1, lat1, lon2, lat2):
    """Great-circle distance in km (mean Earth radius 6371.0088 km); numpy-broadcastable."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * np.arcsin(np.sqrt(a))


def layer_for_year(con, year: int, country: str = "England") -> str | None:
    """The LA boundary layer whose codes match the LAs in force in DfE year `year` (None if there is none)."""
    row = con.execute("SELECT layer_id FROM boundary_layer_years WHERE year = ? AND country = ?",
                      [int(year), country]).fetchone()
    return row[0] if row else None
