"""Perinatal service sources (raw `services/` folder) -> `services_points` and staging tables.

- `services_points`: one row per mother and baby unit (MBU) in `mother_baby_units.csv`. Coordinates come ONLY from
  `mbu_site_postcode_geocodes.csv` (ONS NSPD postcode centroids); a unit without a geocoded postcode has NULL lat/lon
  and is left out of distances, with the reason in `notes`. No town-level placement: the mirror holds no ONS
  place-centroid source. Each geocode's lon/lat is re-derived from its OSGB36 grid reference and must agree
  within 25 m (a check that every point traces to its source row).
- `stg_mmhs_icb`, `stg_utla_icb`, `stg_family_hubs`, `stg_separation_programmes`: the other service files, checked.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pyproj import Transformer

from ..context import BuildContext
from ..errors import SourceError
from .common import read_csv

_TO_WGS = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
ICB_RE = re.compile(r"^E54\d{6}$")
LA_RE = re.compile(r"^[EW]\d{8}$")


def unit_status(stated: str) -> str:
    s = stated.strip().lower()
    if s.startswith("planned"):
        return "planned"
    if s.startswith("uncertain"):
        return "uncertain"
    if s.startswith("open"):
        return "open"
    return "unknown"


def _num(ctx, sid, df, col, allow_blank=True) -> pd.Series:
    out = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    bad = df[(df[col] != "") & out.isna()] if allow_blank else df[out.isna()]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(sid, ctx.rel(sid), "not a number", column=col, row=int(r["_line"]), value=r[col])
    return out


def services_points(ctx: BuildContext) -> pd.DataFrame:
    u = read_csv(ctx, "mbu_units", required=["unit_id", "unit_name", "country", "town", "postcode", "provider_as_stated",
                                             "beds", "beds_note", "status", "notes", "source_url", "as_of"])
    g = read_csv(ctx, "mbu_geocodes", required=["unit_id", "postcode", "location_confidence", "easting_osgb36",
                                                "northing_osgb36", "lon_wgs84_derived", "lat_wgs84_derived",
                                                "source_url", "as_of", "postcode_basis", "lad25cd"])
    for sid, df in (("mbu_units", u), ("mbu_geocodes", g)):
        dup = df[df["unit_id"].duplicated()]
        if len(dup):
            raise SourceError(sid, ctx.rel(sid), "unit_id appears twice", column="unit_id",
                              row=int(dup.iloc[0]["_line"]), value=dup.iloc[0]["unit_id"])
    unknown = g[~g["unit_id"].isin(set(u["unit_id"]))]
    if len(unknown):
        r = unknown.iloc[0]
        raise SourceError("mbu_geocodes", ctx.rel("mbu_geocodes"), "geocode for a unit not in mother_baby_units.csv",
                          column="unit_id", row=int(r["_line"]), value=r["unit_id"])
    e = _num(ctx, "mbu_geocodes", g, "easting_osgb36", False)
    n = _num(ctx, "mbu_geocodes", g, "northing_osgb36", False)
    lon = _num(ctx, "mbu_geocodes", g, "lon_wgs84_derived", False)
    lat = _num(ctx, "mbu_geocodes", g, "lat_wgs84_derived", False)
    lon2, lat2 = _TO_WGS.transform(e.to_numpy(), n.to_numpy())
    off_m = np.hypot((np.asarray(lon2) - lon.to_numpy()) * 111_320 * np.cos(np.radians(lat.to_numpy())),
                     (np.asarray(lat2) - lat.to_numpy()) * 110_574)
    if (off_m > 25).any():
        i = int(np.argmax(off_m))
        raise SourceError("mbu_geocodes", ctx.rel("mbu_geocodes"),
                          f"lon/lat disagree with the OSGB36 grid reference by {off_m[i]:.0f} m",
                          column="lon_wgs84_derived", row=int(g.iloc[i]["_line"]), value=g.iloc[i]["unit_id"])
    g = g.assign(lon=lon.to_numpy(), lat=lat.to_numpy(), bng_e=e.to_numpy(), bng_n=n.to_numpy())
    stated_pc = u.set_index("unit_id")["postcode"]
    gc = g.set_index("unit_id")
    rows = []
    beds = _num(ctx, "mbu_units", u, "beds")
    for (i, r), b in zip(u.iterrows(), beds):
        status = unit_status(r["status"])
        notes = []
        lat_v = lon_v = e_v = n_v = None
        conf, loc_src, pc, basis = "none", None, r["postcode"] or None, None
        if r["unit_id"] in gc.index:
            x = gc.loc[r["unit_id"]]
            lat_v, lon_v, e_v, n_v = float(x["lat"]), float(x["lon"]), float(x["bng_e"]), float(x["bng_n"])
            conf, loc_src, pc, basis = x["location_confidence"].split(":")[0].strip(), x["source_url"], x["postcode"], \
                x["postcode_basis"]
            if stated_pc.get(r["unit_id"]) and stated_pc[r["unit_id"]] != x["postcode"]:
                notes.append(f"geocoded postcode {x['postcode']} differs from the unit's stated postcode")
            notes.append(f"location: ONS NSPD Nov 2025 postcode centroid of {x['postcode']} ({basis}; "
                         f"confidence {x['location_confidence']})")
        else:
            notes.append(f"no sourced postcode: only the town ({r['town'] or 'not stated'}) is known; no ONS "
                         "place-centroid source is in the mirror, so the unit has no coordinates and is excluded "
                         "from distances and catchments")
        if pd.isna(b):
            notes.append("beds not stated in the sources")
        elif r["beds_note"]:
            notes.append(f"beds: {r['beds_note']}")
        if status != "open":
            notes.append(f"status as stated: {r['status']}")
        if r["notes"]:
            notes.append(r["notes"])
        used = status == "open" and lat_v is not None and r["country"] == "England"
        rows.append(dict(unit_id=r["unit_id"], name=r["unit_name"], trust=r["provider_as_stated"] or None,
                         town=r["town"] or None, postcode=pc, beds=None if pd.isna(b) else float(b), status=status,
                         lat=lat_v, lon=lon_v, location_confidence=conf, source_url=r["source_url"],
                         notes="; ".join(notes), country=r["country"], status_as_stated=r["status"],
                         bng_e=e_v, bng_n=n_v, location_source_url=loc_src, source_as_of=r["as_of"],
                         used_in_measures=used, source_row=int(r["_line"])))
    return pd.DataFrame(rows)


def _check_codes(ctx, sid, df, col, pattern, allow_blank=False):
    bad = df[~df[col].str.match(pattern) & ~((df[col] == "") & allow_blank)]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(sid, ctx.rel(sid), "not a valid code", column=col, row=int(r["_line"]), value=r[col])


def load(ctx: BuildContext) -> None:
    ctx.put("services_points", services_points(ctx))

    m = read_csv(ctx, "mmhs_icb", required=["area_as_stated", "icb_code", "icb_name", "programme_status",
                                            "go_live_as_stated", "source_url", "as_of"])
    _check_codes(ctx, "mmhs_icb", m, "icb_code", ICB_RE)
    ctx.put("stg_mmhs_icb", m)

    ui = read_csv(ctx, "utla_icb", required=["utla_code", "icb_code", "icb_name", "n_postcodes",
                                             "share_of_utla_postcodes", "is_primary"])
    _check_codes(ctx, "utla_icb", ui, "utla_code", LA_RE)
    _check_codes(ctx, "utla_icb", ui, "icb_code", ICB_RE)
    ui["n_postcodes"] = _num(ctx, "utla_icb", ui, "n_postcodes", False)
    ui["share_of_utla_postcodes"] = _num(ctx, "utla_icb", ui, "share_of_utla_postcodes", False)
    ctx.put("stg_utla_icb", ui)

    fh = read_csv(ctx, "family_hubs", required=["la_name_as_listed", "utla21cd_matched", "utla21nm_matched",
                                                "status_as_stated", "as_of", "source_url"])
    _check_codes(ctx, "family_hubs", fh, "utla21cd_matched", LA_RE)
    ctx.put("stg_family_hubs", fh)

    sp = read_csv(ctx, "separation_programmes", required=["programme", "area_as_stated", "utla21cd_matched",
                                                          "fact_as_stated", "date_as_stated", "source_url",
                                                          "source_title", "as_of"])
    _check_codes(ctx, "separation_programmes", sp, "utla21cd_matched", LA_RE, allow_blank=True)
    ctx.put("stg_separation_programmes", sp)
