"""Reference step: boundary layers (web-ready GeoJSON per vintage), the year -> layer mapping, per-LA positions.

Tables: `boundary_layers`, `boundary_layer_years`, `la_geo` (contract in docs/warehouse.md; methods in
docs/geography.md), and for this build only `la_area_km2` (geodesic area of each LA in the ONS CTYUA December 2023
boundary file, used by the statistical neighbours).

Vintages: a DfE year Y uses the LA codes in force on 1 April Y-1 (`areas.valid_from/valid_to`); for each year the
England LA layer whose code set equals that set exactly is chosen. The Dec 2018 BUC carries Gateshead E08000037 and
Northumberland E06000057 (codes from April 2013); for DfE years 2011-2013 the layer `la_england_2018_pre2013codes`
has the same geometry with those two features relabelled E08000020 / E06000048 (the April 2013 boundary change
between them moved a handful of properties and is invisible at any map zoom).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo import boundaries as gb

from .. import domain
from ..context import BuildContext
from ..domain import fy_start
from ..errors import SourceError, ValidationError

REQUIRES = ("areas",)
PRODUCES = ("boundary_layers", "boundary_layer_years", "la_geo", "la_area_km2")

YEARS = range(2011, 2026)
# source_id -> (vintage, code field, name field)
LA_FILES = {
    "ctyua_2018": (2018, "CTYUA18CD", "CTYUA18NM"),
    "ctyua_2019": (2019, "CTYUA19CD", "CTYUA19NM"),
    "ctyua_2020": (2020, "CTYUA20CD", "CTYUA20NM"),
    "ctyua_2021": (2021, "CTYUA21CD", "CTYUA21NM"),
    "ctyua_2023": (2023, "CTYUA23CD", "CTYUA23NM"),
}
PRE2013 = {"E08000037": ("E08000020", "Gateshead"), "E06000057": ("E06000048", "Northumberland")}
BUDGET_BYTES = 240_000       # aim below the 250 KB target with a margin
TOLERANCES_M = (400, 500, 600, 700, 850, 1000, 1250)


def read_source(ctx: BuildContext, source_id: str, code_field: str, name_field: str) -> list[gb.Area]:
    """Read one boundary file; any malformed content becomes one SourceError naming file, feature and field."""
    try:
        areas, _ = gb.read_features(ctx.path(source_id), code_field, name_field)
    except gb.GeoInputError as e:
        raise SourceError(source_id, ctx.rel(source_id), e.message, column=e.field, row=e.feature,
                          value=e.code) from None
    except OSError as e:
        raise SourceError(source_id, ctx.rel(source_id), f"cannot read file ({e.strerror})") from None
    return areas


def _prepare(ctx: BuildContext, source_id: str, areas: list[gb.Area], prefixes: str = "EW") -> list[gb.Area]:
    areas = [a for a in areas if a.code[:1] in prefixes]
    dup = pd.Series([a.code for a in areas]).duplicated()
    if dup.any():
        raise SourceError(source_id, ctx.rel(source_id), "area code appears twice", value=areas[int(dup.idxmax())].code)
    try:
        fixed = gb.repair(areas)
    except gb.GeoInputError as e:
        raise SourceError(source_id, ctx.rel(source_id), e.message, column=e.field, value=e.code) from None
    if fixed:
        ctx.warn(f"{ctx.rel(source_id)}: invalid geometry repaired with make_valid for {', '.join(fixed)}")
    arr = np.array([a.geom for a in areas], dtype=object)
    if not shapely.coverage_is_valid(arr):
        # shared edges that differ by floating-point noise (the Dec 2021 BUC): snap to a 0.1 m grid
        snapped = shapely.set_precision(arr, 0.1)
        if shapely.coverage_is_valid(snapped) and all(shapely.is_valid(snapped)):
            for a, g in zip(areas, snapped):
                a.geom = g
        else:
            ctx.warn(f"{ctx.rel(source_id)}: neighbouring areas' shared edges do not match exactly; "
                     "simplified borders may show small slivers")
    return areas


def _fit(areas: list[gb.Area], groups: dict, budget_layer: str, rename=None) -> tuple[dict, float]:
    """Smallest tolerance (from TOLERANCES_M) that brings `budget_layer` under BUDGET_BYTES."""
    for tol in TOLERANCES_M:
        # try the budget layer alone; serialise the other layers only at the tolerance chosen
        simp = gb.simplify_coverage([a.geom for a in areas], tol, gb.DEFAULT_MIN_ISLAND_KM2)
        layers = gb.build_layers(areas, {budget_layer: groups[budget_layer]}, tolerance_m=tol, rename=rename,
                                 simplified=simp)
        if layers[budget_layer]["bytes"] <= BUDGET_BYTES or tol == TOLERANCES_M[-1]:
            break
    if len(groups) > 1:
        layers.update(gb.build_layers(areas, {k: v for k, v in groups.items() if k != budget_layer},
                                      tolerance_m=tol, rename=rename, simplified=simp))
        layers = {k: layers[k] for k in groups}
    return layers, tol


def in_force(areas: pd.DataFrame, year: int, country: str) -> set[str]:
    a = areas[(areas["area_type"] == "la") & (areas["country"] == country)]
    return {r.area_code for r in a.itertuples() if domain.in_force(r.valid_from, r.valid_to, year)}


def build(ctx: BuildContext) -> None:
    areas_tbl = ctx.df("SELECT area_code, area_name, area_type, region_code, country, valid_from, valid_to FROM areas")
    for c in ("valid_from", "valid_to"):
        areas_tbl[c] = pd.to_datetime(areas_tbl[c]).dt.date
    layer_rows, geoms, raw_areas = [], {}, {}

    def add(layer_id, vintage, country, level, source_id, tol, layer, note=""):
        layer_rows.append(dict(layer_id=layer_id, vintage=vintage, country=country, level=level,
                               n_features=layer["n_features"], bytes=layer["bytes"], geojson=layer["geojson"],
                               source_id=source_id, tolerance_m=float(tol), note=note))
        geoms[layer_id] = layer["geoms"]

    for sid, (vintage, cf, nf) in LA_FILES.items():
        areas = _prepare(ctx, sid, read_source(ctx, sid, cf, nf))
        raw_areas[sid] = areas
        eng = [a.code for a in areas if a.code.startswith("E")]
        groups = {f"la_england_{vintage}": eng}
        rename = None
        if vintage == 2023:
            groups["la_wales_2023"] = [a.code for a in areas if a.code.startswith("W")]
        if vintage == 2018:
            groups["la_england_2018_pre2013codes"] = eng
            rename = {"la_england_2018_pre2013codes": PRE2013}
        layers, tol = _fit(areas, groups, f"la_england_{vintage}", rename)
        for lid, layer in layers.items():
            country = "Wales" if "wales" in lid else "England"
            note = ("Dec 2018 BUC geometry; Gateshead and Northumberland relabelled with their pre-April-2013 codes "
                    "E08000020 / E06000048" if lid.endswith("pre2013codes") else "")
            add(lid, vintage, country, "la", sid, tol, layer, note)

    rg = _prepare(ctx, "rgn_2024", read_source(ctx, "rgn_2024", "RGN24CD", "RGN24NM"), prefixes="E")
    layers, tol = _fit(rg, {"region_england_2024": [a.code for a in rg]}, "region_england_2024")
    add("region_england_2024", 2024, "England", "region", "rgn_2024", tol, layers["region_england_2024"])
    bl = pd.DataFrame(layer_rows)
    bl[["vintage", "n_features", "bytes"]] = bl[["vintage", "n_features", "bytes"]].astype("int32")

    # cross-check each England vintage against the ONSvisual multi-year file (start/end inclusive, April years)
    multi = read_source(ctx, "utla_multiyear", "areacd", "areanm")
    mdf = pd.DataFrame([dict(code=a.code, start=a.props.get("start"), end=a.props.get("end")) for a in multi])
    mdf[["start", "end"]] = mdf[["start", "end"]].apply(pd.to_numeric, errors="coerce")
    for sid, (vintage, _, _) in LA_FILES.items():
        m = mdf[mdf["code"].str.startswith("E") & (mdf["start"].isna() | (mdf["start"] <= vintage))
                & (mdf["end"].isna() | (mdf["end"] >= vintage))]
        layer_codes = set(geoms[f"la_england_{vintage}"])
        if set(m["code"]) != layer_codes:
            ctx.warn(f"{ctx.rel(sid)}: England codes differ from the multi-year UTLA file for {vintage}: "
                     f"only in the layer {sorted(layer_codes - set(m['code']))}, "
                     f"only in the multi-year file {sorted(set(m['code']) - layer_codes)}")

    # year -> layer: the layer whose code set equals the LAs in force on 1 April Y-1
    years = []
    la_layers = bl[bl["level"] == "la"]
    for y in YEARS:
        for country in ("England", "Wales"):
            want = in_force(areas_tbl, y, country)
            hits = [r.layer_id for r in la_layers[la_layers["country"] == country].itertuples()
                    if set(geoms[r.layer_id]) == want]
            if len(hits) != 1:
                raise ValidationError(f"boundary layers: {len(hits)} {country} LA layers match the {len(want)} LAs "
                                      f"in force on {fy_start(y)} (DfE year {y}); expected exactly one")
            years.append(dict(year=y, country=country, layer_id=hits[0]))

    ctx.put("boundary_layers", bl)
    ctx.put("boundary_layer_years", pd.DataFrame(years).astype({"year": "int32"}))
    ctx.put("la_geo", la_geo(ctx, areas_tbl, raw_areas, multi))
    km2 = area_km2(ctx)
    ctx.put("la_area_km2", pd.DataFrame({"area_code": list(km2), "area_km2": list(km2.values())}), temp=True)


def area_km2(ctx: BuildContext) -> dict:
    """Geodesic area (km², WGS84 ellipsoid) of each England/Wales LA in the ONS CTYUA December 2023 file."""
    import json

    from pyproj import Geod
    from shapely.geometry import shape
    with open(ctx.path("ctyua_2023"), encoding="utf-8") as f:
        features = json.load(f)["features"]
    geod = Geod(ellps="WGS84")
    out = {}
    for f in features:
        code = f["properties"]["CTYUA23CD"]
        if code[0] in "EW":
            out[code] = abs(geod.geometry_area_perimeter(shape(f["geometry"]))[0]) / 1e6
    return out


def la_geo(ctx: BuildContext, areas_tbl: pd.DataFrame, raw_areas: dict, multi: list[gb.Area]) -> pd.DataFrame:
    """One row per LA code in `areas`: representative point from the newest file that has the code."""
    order = ["ctyua_2023", "ctyua_2021", "ctyua_2020", "ctyua_2019", "ctyua_2018"]
    index = {sid: {a.code: a for a in raw_areas[sid]} for sid in order}
    mindex = {a.code: a for a in multi}
    rows = []
    for r in areas_tbl[areas_tbl["area_type"] == "la"].itertuples():
        code, src, area = r.area_code, None, None
        for sid in order:
            if code in index[sid]:
                src, area = sid, index[sid][code]
                break
        note = ""
        if area is None:
            succ = {old: new for new, (old, _) in PRE2013.items()}.get(code)
            if succ and succ in index["ctyua_2018"]:
                src, area = "ctyua_2018", index["ctyua_2018"][succ]
                note = f" (polygon of {succ}, same area before the minor April 2013 change)"
            elif code in mindex:
                src, area = "utla_multiyear", _bng_only(mindex[code])
        if area is None:
            raise ValidationError(f"la_geo: no boundary polygon for LA {code} ({r.area_name}) in any boundary file")
        lon, lat, e, n, how = gb.representative_point(area)
        rows.append(dict(area_code=code, area_name=r.area_name, region_code=r.region_code, rep_lon=round(lon, 5),
                         rep_lat=round(lat, 5), bng_e=round(e, 1), bng_n=round(n, 1), north_south_km=round(n / 1000, 3),
                         point_source=f"{how}: {src}{note}"))
    return pd.DataFrame(rows)


def _bng_only(a: gb.Area) -> gb.Area:
    if not a.geom.is_valid:
        a = gb.Area(a.code, a.name, gb._polygonal(shapely.make_valid(a.geom)), a.props)
    return a
