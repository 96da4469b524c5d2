"""Reference step: perinatal service sources (seeds under data/seeds/services/) -> `services_points`.

- `services_points`: one row per mother and baby unit (MBU) in `mother_baby_units.csv`, every unit located, each
  with how it was located (`location_level`) and how far off that may be (`error_radius_km`):
  * `site`: ONS NSPD postcode centroid of the unit's own stated address (confidence high);
  * `postcode`: ONS NSPD postcode centroid of the hospital site / service contact address a source gives
    (confidence medium or low, as the geocode row states);
  * `district`: no sourced postcode: the representative point of the local authority district containing the
    town the sources state (data/mbu_interpretation.csv names the district; the point and the radius come from the
    ONS district boundary, `ltla_multiyear_topojson`); `location_confidence = district`.
  Geocodes come from `mbu_site_postcode_geocodes.csv` plus its 2026 additions; a unit with alternative rows keeps
  the confirmed site (a row flagged as a planned site is never used while a confirmed one exists). Each geocode's
  lon/lat is re-derived from its OSGB36 grid reference and must agree within 25 m. Later facts (the 2026
  additions) update a unit's name and status ("OPEN: ..."). Opening dates and their basis are in
  data/mbu_interpretation.csv (`opened`; blank = no date in the sources, assumed open throughout 2011-2025).
The other service files are staged by pipeline/parsers/services.py.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from pyproj import Transformer

from ..context import BuildContext
from ..errors import SourceError
from ..parsers.common import read_csv
from ..parsers.services import _num

REQUIRES = ()
PRODUCES = ("services_points",)
_TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def unit_status(stated: str) -> str:
    s = stated.strip().lower()
    if s.startswith("planned"):
        return "planned"
    if s.startswith("uncertain"):
        return "uncertain"
    if s.startswith("open"):
        return "open"
    return "unknown"


GEOCODE_COLS = ["unit_id", "postcode", "location_confidence", "easting_osgb36", "northing_osgb36",
                "lon_wgs84_derived", "lat_wgs84_derived", "source_url", "as_of", "postcode_basis", "lad25cd"]
# approximate error radius (km) of a postcode-centroid location, by level and confidence (docs/methods.md)
RADIUS_SITE_KM = 0.5      # centroid of the unit's own address postcode
RADIUS_POSTCODE_KM = 1.0  # centroid of the hospital-site postcode the unit is on (medium confidence)
RADIUS_PROXY_KM = 5.0     # low confidence: a nearby site/contact postcode in the stated town


def _confidence(stated: str) -> str:
    """'high: unit address' -> high; 'medium-low: ...' / 'low-medium: ...' -> low (the lower of the two)."""
    head = stated.split(":")[0].strip().lower()
    return "low" if "low" in head else head


def _geocodes(ctx: BuildContext, units: set) -> pd.DataFrame:
    frames = []
    for sid in ("mbu_geocodes", "mbu_geocodes_2026"):
        g = read_csv(ctx, sid, required=GEOCODE_COLS)
        unknown = g[~g["unit_id"].isin(units)]
        if len(unknown):
            r = unknown.iloc[0]
            raise SourceError(sid, ctx.rel(sid), "geocode for a unit not in mother_baby_units.csv",
                              column="unit_id", row=int(r["_line"]), value=r["unit_id"])
        e = _num(ctx, sid, g, "easting_osgb36", False)
        n = _num(ctx, sid, g, "northing_osgb36", False)
        lon = _num(ctx, sid, g, "lon_wgs84_derived", False)
        lat = _num(ctx, sid, g, "lat_wgs84_derived", False)
        lon2, lat2 = _TO_WGS.transform(e.to_numpy(), n.to_numpy())
        off_m = np.hypot((np.asarray(lon2) - lon.to_numpy()) * 111_320 * np.cos(np.radians(lat.to_numpy())),
                         (np.asarray(lat2) - lat.to_numpy()) * 110_574)
        if (off_m > 25).any():
            i = int(np.argmax(off_m))
            raise SourceError(sid, ctx.rel(sid), f"lon/lat disagree with the OSGB36 grid reference by {off_m[i]:.0f} m",
                              column="lon_wgs84_derived", row=int(g.iloc[i]["_line"]), value=g.iloc[i]["unit_id"])
        frames.append(g.assign(lon=lon.to_numpy(), lat=lat.to_numpy(), bng_e=e.to_numpy(), bng_n=n.to_numpy(),
                               _sid=sid))
    g = pd.concat(frames, ignore_index=True)
    multi = g["unit_id"].duplicated(keep=False)
    planned = g["location_confidence"].str.lower().str.contains("planned site")
    g = g[~(multi & planned)]  # alternative rows: the confirmed site is kept, a planned one dropped
    dup = g[g["unit_id"].duplicated()]
    if len(dup):
        r = dup.iloc[0]
        raise SourceError(r["_sid"], ctx.rel(r["_sid"]), "unit_id appears twice", column="unit_id",
                          row=int(r["_line"]), value=r["unit_id"])
    return g


def _facts(ctx: BuildContext, units: set) -> pd.DataFrame:
    frames = []
    for sid in ("mbu_facts", "mbu_facts_2026"):
        f = read_csv(ctx, sid, required=["unit_id", "field", "value_as_stated", "source_url", "as_of"])
        unknown = f[~f["unit_id"].isin(units)]
        if len(unknown):
            r = unknown.iloc[0]
            raise SourceError(sid, ctx.rel(sid), "fact for a unit not in mother_baby_units.csv", column="unit_id",
                              row=int(r["_line"]), value=r["unit_id"])
        frames.append(f.assign(_sid=sid))
    return pd.concat(frames, ignore_index=True)


def interpretation() -> pd.DataFrame:
    """data/mbu_interpretation.csv: the project's reading of each unit's opening date and, for units without a
    sourced postcode, the district containing the stated town (each with its basis)."""
    from .. import config
    path = config.DATA / "mbu_interpretation.csv"
    d = pd.read_csv(path, dtype=str, keep_default_na=False)
    d["opened_date"] = pd.to_datetime(d["opened"].replace("", None), format="%Y-%m-%d", errors="raise").dt.date
    return d.set_index("unit_id")


def district_points(ctx: BuildContext, codes: list[str]) -> dict[str, dict]:
    """{district code: lon, lat, radius_km, name}: centroid of the ONS district polygon (point-on-surface if the
    centroid falls outside), and the farthest boundary point from it (the unit is within this distance)."""
    import geopandas as gpd
    from shapely.geometry import Point

    from geo.boundaries import haversine_km
    sid = "ltla_multiyear_topojson"
    try:
        g = gpd.read_file(ctx.path(sid), layer="ltla")
    except Exception as e:  # noqa: BLE001 - any reader error becomes one clear message
        raise SourceError(sid, ctx.rel(sid), f"cannot read the 'ltla' layer: {e}") from None
    for col in ("areacd", "areanm", "end", "geometry"):
        if col not in g.columns:
            raise SourceError(sid, ctx.rel(sid), "missing column in layer 'ltla'", column=col)
    g = g[g["end"].isna() | (pd.to_numeric(g["end"], errors="coerce") >= 2025)]
    out = {}
    for code in codes:
        hit = g[g["areacd"] == code]
        if hit.empty:
            raise SourceError(sid, ctx.rel(sid), "district named in data/mbu_interpretation.csv not in layer 'ltla'",
                              column="areacd", value=code)
        geom = hit.geometry.iloc[0]
        main = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)  # mainland part (islands left out)
        pt = main.centroid if main.contains(main.centroid) else main.point_on_surface()
        xs, ys = np.asarray(main.exterior.coords).T
        radius = float(np.max(haversine_km(pt.x, pt.y, xs, ys)))
        out[code] = dict(lon=float(pt.x), lat=float(pt.y), radius_km=round(radius, 1), name=hit["areanm"].iloc[0],
                         point_rule="centroid" if isinstance(pt, Point) and main.contains(main.centroid)
                         else "point on surface")
    return out


def _later_facts(facts: pd.DataFrame, uid: str, name: str, status_stated: str) -> tuple[str, str, str, list[str]]:
    """A unit's name and status after the later dated facts about it (a renamed unit, a unit reported open), with a
    note for each rename: (name, status, status as stated, notes)."""
    status, notes = unit_status(status_stated), []
    for fr in facts[facts["unit_id"] == uid].itertuples():
        if fr.field == "unit_name" and fr.value_as_stated != name:
            notes.append(f"named {fr.value_as_stated} ({fr.source_url}, {fr.as_of}); listed earlier as {name}")
            name = fr.value_as_stated
        if fr.field == "status" and fr.value_as_stated.lower().startswith("open"):
            status, status_stated = "open", f"{fr.value_as_stated} ({fr.source_url}, {fr.as_of})"
    return name, status, status_stated, notes


def services_points(ctx: BuildContext) -> pd.DataFrame:
    u = read_csv(ctx, "mbu_units", required=["unit_id", "unit_name", "country", "town", "postcode",
                                             "provider_as_stated", "beds", "beds_note", "status", "notes", "source_url",
                                             "as_of"])
    dup = u[u["unit_id"].duplicated()]
    if len(dup):
        raise SourceError("mbu_units", ctx.rel("mbu_units"), "unit_id appears twice", column="unit_id",
                          row=int(dup.iloc[0]["_line"]), value=dup.iloc[0]["unit_id"])
    ids = set(u["unit_id"])
    gc = _geocodes(ctx, ids).set_index("unit_id")
    facts = _facts(ctx, ids)
    interp = interpretation()
    missing = sorted(ids - set(interp.index))
    if missing:
        raise SourceError("mbu_units", ctx.rel("mbu_units"), "unit not in data/mbu_interpretation.csv "
                          "(add its opening date and, without a sourced postcode, its district)", column="unit_id",
                          value=missing[0])
    need_district = [c for uid, c in interp["district_code"].items() if c and uid not in gc.index]
    districts = district_points(ctx, need_district) if need_district else {}
    stated_pc = u.set_index("unit_id")["postcode"]
    rows = []
    beds = _num(ctx, "mbu_units", u, "beds")
    for (i, r), b in zip(u.iterrows(), beds):
        uid = r["unit_id"]
        name, status, status_stated, notes = _later_facts(facts, uid, r["unit_name"], r["status"])
        it = interp.loc[uid]
        lat_v = lon_v = e_v = n_v = radius = None
        conf, level, loc_src, pc, basis, district = "none", "none", None, r["postcode"] or None, None, None
        if uid in gc.index:
            x = gc.loc[uid]
            lat_v, lon_v, e_v, n_v = float(x["lat"]), float(x["lon"]), float(x["bng_e"]), float(x["bng_n"])
            conf, loc_src, pc, basis = _confidence(x["location_confidence"]), x["source_url"], x["postcode"], \
                x["postcode_basis"]
            level = "site" if conf == "high" else "postcode"
            radius = RADIUS_SITE_KM if conf == "high" else RADIUS_POSTCODE_KM if conf == "medium" else RADIUS_PROXY_KM
            if stated_pc.get(uid) and stated_pc[uid] != x["postcode"]:
                notes.append(f"geocoded postcode {x['postcode']} differs from the unit's stated postcode")
            notes.append(f"location: ONS NSPD Nov 2025 postcode centroid of {x['postcode']} ({basis}; "
                         f"confidence as stated: {x['location_confidence']})")
            if uid == "MBU16":
                notes.append("the 2019 Alumhurst Road site (BH4 8EP) is used, not the planned St Ann's site "
                             "(BH13 7LN): no source confirms the move; the two postcodes are 2.6 km apart")
        elif it["district_code"]:
            dp = districts[it["district_code"]]
            lat_v, lon_v, radius = dp["lat"], dp["lon"], dp["radius_km"]
            conf = level = "district"
            district, loc_src = it["district_code"], "ONS district boundary (ltla_multiyear_topojson)"
            notes.append(f"APPROXIMATE location (district level): no sourced postcode; {it['district_basis']}; "
                         f"placed at the {dp['point_rule']} of {dp['name']} ({district}) from the ONS district "
                         f"boundary, so the unit is within about {radius:.0f} km of this point")
        else:
            notes.append("no sourced postcode and no district: not located")
        if pd.isna(b):
            notes.append("beds not stated in the sources")
        elif r["beds_note"]:
            notes.append(f"beds: {r['beds_note']}")
        if status != "open":
            notes.append(f"status as stated: {status_stated}")
        if r["notes"]:
            notes.append(r["notes"])
        # the Dorset unit's stated uncertainty is its current site and beds, not whether it runs: counted as open
        in_service = status in ("open", "uncertain")
        used = in_service and lat_v is not None and r["country"] == "England"
        rows.append(dict(unit_id=uid, name=name, trust=r["provider_as_stated"] or None,
                         town=r["town"] or None, postcode=pc if level in ("site", "postcode") else None,
                         beds=None if pd.isna(b) else float(b), status=status,
                         lat=lat_v, lon=lon_v, location_confidence=conf, source_url=r["source_url"],
                         notes="; ".join(notes), country=r["country"], status_as_stated=status_stated,
                         bng_e=e_v, bng_n=n_v, location_source_url=loc_src, source_as_of=r["as_of"],
                         used_in_measures=used, source_row=int(r["_line"]), location_level=level,
                         error_radius_km=radius, district_code=district,
                         opened=None if pd.isna(it["opened_date"]) else it["opened_date"],
                         opened_basis=it["opened_basis"]))
    return pd.DataFrame(rows)


def build(ctx: BuildContext) -> None:
    ctx.put("services_points", services_points(ctx))
