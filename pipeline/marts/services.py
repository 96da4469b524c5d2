"""Perinatal service availability measures per English upper-tier LA (registry: data/measures/services.toml).

Every MBU measure is computed per DfE year Y (2011-2025), using the units open at 31 March Y (opening dates and their
basis: `services_points.opened`, data/mbu_interpretation.csv; a unit without a date in the sources is assumed open
throughout). Units: every open England unit with a location (`services_points.used_in_measures`), whether the
location is site-, postcode- or district-level; each row's note names the unit(s) it depends on and their location
level, confidence and error radius (also in the `mbu_nearest` table).

- `mbu_distance_km`: great-circle km from the LA's representative point (`la_geo`) to the nearest open unit.
- `mbu_beds_60km_per_10k_births`, `mbu_beds_100km_per_10k_births`: two-step floating catchment area (2SFCA) with a
  hard radius d0: R_j = beds_j / sum of live births (the rate's denominator for year Y) of LAs whose point lies
  within d0 of unit j; A_i = 10,000 * sum of R_j over units within d0 of LA i.
- `mmhs_exposure_years` (2011-2025): at 31 March of year Y, share-weighted years since each ICB covering the LA had
  an early/known Maternal Mental Health Service (0 before the first services of 2021); LA->ICB shares from the
  derived postcode lookup, shares < 0.08 dropped as generalisation artefacts and the rest renormalised.
- `family_hubs_funded` (2011-2025): 1 from 2023 (funding from 2022-23) if among the 75 LAs pre-selected for Family
  Hubs and Start for Life, else 0 (0 for every LA before the programme).
- `pause_evidenced`, `fdac_evidenced` (2025): 1 = evidenced in the partial programme list, 0 = no evidence found.

Tables: `mbu_nearest` (LA x year: nearest unit, its location level, confidence and radius, and the distance without
district-level units) and `mbu_sensitivity` (how many LAs change by more than 20 km under alternative choices).
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from geo.boundaries import haversine_km

from ..context import BuildContext
from ..domain import carried_forward, las_in_force, multiplier, open_at, successor_map
from ..reference.denominators import Denominators
from .common import iv_frame

REQUIRES = ("areas", "area_successors", "la_geo", "services_points", "stg_births", "stg_age0", "stg_ltla22_utla22",
            "stg_mmhs_icb", "stg_utla_icb", "stg_family_hubs", "stg_separation_programmes")
PRODUCES = ("indicators", "mbu_nearest", "mbu_sensitivity")

SNAPSHOT_YEAR = 2025
YEARS = range(2011, 2026)
RADII_KM = (60, 100)
SHARE_ARTEFACT = 0.08
MMHS_YEARS = YEARS
FAMILY_HUBS_FROM = 2023  # DfE year 2022-23: the first year of funding for the 75 LAs (list of 1 April 2022)
SENSITIVITY_KM = 20
MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"], start=1)}


def england_las(ctx: BuildContext, year: int) -> pd.DataFrame:
    return las_in_force(ctx.con, year, "England", "a.area_code, a.area_name, g.rep_lon, g.rep_lat",
                        "LEFT JOIN la_geo g USING (area_code)")


def _units(ctx: BuildContext) -> pd.DataFrame:
    return ctx.df("SELECT * FROM services_points WHERE used_in_measures ORDER BY unit_id")


def _unit_label(x) -> str:
    lvl = {"site": "site-level location (unit address postcode)",
           "postcode": "postcode-level location (hospital-site or contact postcode)",
           "district": "DISTRICT-LEVEL location (approximate)"}[x["location_level"]]
    return (f"{x['unit_id']} {x['name']} ({lvl}, confidence {x['location_confidence']}, "
            f"within about {x['error_radius_km']:g} km)")


def distances(las: pd.DataFrame, u: pd.DataFrame) -> np.ndarray:
    return haversine_km(las["rep_lon"].to_numpy()[:, None], las["rep_lat"].to_numpy()[:, None],
                        u["lon"].to_numpy(dtype=float)[None, :], u["lat"].to_numpy(dtype=float)[None, :])


def two_step(d: np.ndarray, beds: np.ndarray, births: np.ndarray, r_km: float,
             per: float = 10_000) -> tuple[np.ndarray, np.ndarray]:
    """2SFCA with a hard radius: (access per `per` births for each LA, catchment births of each unit)."""
    within = d <= r_km                                   # LA i x unit j
    pop_j = np.nansum(np.where(within, births[:, None], 0.0), axis=0)
    ratio_j = np.divide(beds, pop_j, out=np.zeros_like(beds), where=pop_j > 0)
    return (within * ratio_j[None, :]).sum(axis=1) * per, pop_j


def mbu_measures(ctx: BuildContext) -> list[pd.DataFrame]:
    units = _units(ctx)
    den = Denominators(ctx)
    frames, nearest_rows = [], []
    for year in YEARS:
        las = england_las(ctx, year)
        u = open_at(units, year)
        period = f"{year - 1}-{str(year)[2:]} (units open at 31 March {year})"
        d = distances(las, u)
        near = d.argmin(axis=1)
        sp = u["location_level"] != "district"
        d_sp = d[:, sp.to_numpy()]
        u_sp = u[sp].reset_index(drop=True)
        notes = []
        for i, j in enumerate(near):
            x = u.iloc[j]
            notes.append(f"nearest open unit: {_unit_label(x)}; {len(u)} open England units at 31 March {year}")
            js = int(d_sp[i].argmin())
            nearest_rows.append(dict(area_code=las.at[i, "area_code"], year=year, unit_id=x["unit_id"],
                                     unit_name=x["name"], town=x["town"], distance_km=round(float(d[i, j]), 1),
                                     location_level=x["location_level"], location_confidence=x["location_confidence"],
                                     error_radius_km=float(x["error_radius_km"]), n_units_open=len(u),
                                     site_postcode_unit_id=u_sp.at[js, "unit_id"],
                                     site_postcode_distance_km=round(float(d_sp[i, js]), 1)))
        frames.append(iv_frame(measure_id="mbu_distance_km", area_code=las["area_code"], year=year,
                               period_label=period, value=np.round(d.min(axis=1), 1), status="ok", note=notes,
                               source_id="mbu_geocodes"))
        births = np.array([den.resolve(c, year)[0] or np.nan for c in las["area_code"]], dtype=float)
        beds_stated = u["beds"].to_numpy(dtype=float)
        beds = np.nan_to_num(beds_stated)  # a unit without a stated bed count adds no beds (see its note)
        for r_km in RADII_KM:
            acc, pop_j = two_step(d, beds, births, r_km, multiplier(f"mbu_beds_{r_km}km_per_10k_births"))
            nts = []
            for i in range(len(las)):
                js = np.flatnonzero(d[i] <= r_km)
                if len(js):
                    nts.append("2SFCA; units within {} km: {}".format(r_km, "; ".join(
                        f"{_unit_label(u.iloc[j])}: "
                        + (f"{beds[j]:.0f} beds" if beds_stated[j] == beds_stated[j]
                           else "beds not stated, not counted")
                        + f", catchment {pop_j[j]:,.0f} births"
                        for j in js)))
                else:
                    nts.append(f"2SFCA; no open unit within {r_km} km")
            status = np.where(np.isnan(births), "not_available", "ok")
            val = np.where(np.isnan(births), np.nan, np.round(acc, 3))
            frames.append(iv_frame(measure_id=f"mbu_beds_{r_km}km_per_10k_births", area_code=las["area_code"],
                                   year=year, period_label=period, value=val, status=status, note=nts,
                                   source_id="mbu_units"))
    ctx.put("mbu_nearest", pd.DataFrame(nearest_rows))
    ctx.put("mbu_sensitivity", sensitivity(ctx, units))
    return frames


def sensitivity(ctx: BuildContext, units: pd.DataFrame, year: int = SNAPSHOT_YEAR) -> pd.DataFrame:
    """How many LAs' distance to the nearest open unit changes by more than 20 km under alternative choices."""
    las = england_las(ctx, year)
    u = open_at(units, year)
    base = distances(las, u).min(axis=1)
    alt = {"district-level units dropped": u[u["location_level"] != "district"],
           "Dorset unit at the planned St Ann's site (BH13 7LN)": u.assign(
               lon=np.where(u["unit_id"] == "MBU16", -1.92812, u["lon"]),
               lat=np.where(u["unit_id"] == "MBU16", 50.69916, u["lat"]))}
    rows = []
    for name, uu in alt.items():
        if uu.empty:
            continue
        dd = distances(las, uu).min(axis=1) - base
        big = np.abs(dd) > SENSITIVITY_KM
        rows.append(dict(scenario=name, year=year, n_las=len(las), n_changed_over_20km=int(big.sum()),
                         max_change_km=round(float(np.abs(dd).max()), 1),
                         las_changed=", ".join(f"{las.at[i, 'area_name']} (+{dd[i]:.0f} km)"
                                               for i in np.flatnonzero(big))))
    return pd.DataFrame(rows)


def mmhs_start(status: str, go_live: str, as_of: str) -> dt.date:
    """Start date of an MMHS from the go-live text: 'went live January 2021' -> 2021-01-01; 'launched November
    2022' -> 2022-11-01; a bare year -> 1 April of it; 'from April 2021'/'next few months' (as_of 2021) -> 1 April."""
    text = go_live.lower()
    m = re.search(r"(january|february|march|april|may|june|july|august|september|october|november|december)\s+(\d{4})",
                  text)
    if m:
        return dt.date(int(m.group(2)), MONTHS[m.group(1)], 1)
    m = re.search(r"(20\d\d)", text) or re.search(r"(20\d\d)", as_of)
    return dt.date(int(m.group(1)), 4, 1)


def icb_shares(ctx: BuildContext) -> dict[str, list[tuple[str, float]]]:
    """LA code -> [(icb, share)] with shares < 0.08 dropped and renormalised; codes absent from the lookup are
    composed from their successors' postcode counts (Cumbria = Cumberland + Westmorland and Furness; recodes)."""
    ui = ctx.df("SELECT utla_code, icb_code, n_postcodes FROM stg_utla_icb")
    succ = ctx.df("SELECT old_code, new_code FROM area_successors WHERE additive")
    out = {}
    codes = set(ui["utla_code"]) | set(succ["old_code"])
    for code in codes:
        rows = ui[ui["utla_code"] == code]
        if rows.empty:
            rows = ui[ui["utla_code"].isin(succ.loc[succ["old_code"] == code, "new_code"])]
        if rows.empty:
            continue
        s = rows.groupby("icb_code")["n_postcodes"].sum()
        s = s / s.sum()
        s = s[s >= SHARE_ARTEFACT]
        s = s / s.sum()
        out[code] = sorted(s.items(), key=lambda kv: -kv[1])
    return out


def mmhs_measure(ctx: BuildContext) -> pd.DataFrame:
    m = ctx.df("SELECT * FROM stg_mmhs_icb")
    starts = {}
    for r in m.itertuples():
        s = mmhs_start(r.programme_status, r.go_live_as_stated, r.as_of)
        starts[r.icb_code] = min(s, starts.get(r.icb_code, s))
    shares = icb_shares(ctx)
    rows = []
    for y in MMHS_YEARS:
        ref = dt.date(y, 3, 31)
        for code in england_las(ctx, y)["area_code"]:
            sh = shares.get(code)
            base = dict(area_code=code, year=y, period_label=f"{y - 1}-{str(y)[2:]} (at 31 March {y})")
            if not sh:
                rows.append(dict(base, status="not_available", note="LA not in the derived LA->ICB lookup"))
                continue
            val, parts = 0.0, []
            for icb, w in sh:
                st = starts.get(icb)
                yrs = max(0.0, (ref - st).days / 365.25) if st else 0.0
                val += w * yrs
                parts.append(f"{icb} {w:.2f}" + (f" (MMHS from {st:%b %Y})" if st else " (no early/known MMHS)"))
            rows.append(dict(base, value=round(val, 2), status="ok", note="ICB shares: " + "; ".join(parts)))
    df = pd.DataFrame(rows)
    return iv_frame(measure_id="mmhs_exposure_years", area_code=df["area_code"], year=df["year"],
                    period_label=df["period_label"], value=df["value"], status=df["status"], note=df["note"],
                    source_id="mmhs_icb")


def family_hubs(ctx: BuildContext) -> pd.DataFrame:
    fh = ctx.df("SELECT * FROM stg_family_hubs")
    listed = fh.set_index("utla21cd_matched")["la_name_as_listed"].to_dict()
    unknown = set(listed) - set(england_las(ctx, 2022)["area_code"])
    if unknown:
        ctx.warn(f"family hubs list: codes not in force in 2021/22 ignored: {sorted(unknown)}")
    succ = ctx.df("SELECT old_code, new_code FROM area_successors WHERE additive")
    for r in carried_forward(listed, succ):  # a listed LA reorganised after 2022 passes the listing to its successors
        listed[r.new_code] = f"{listed[r.old_code]} (as {r.old_code}, before reorganisation)"
    frames = []
    for y in YEARS:
        las = england_las(ctx, y)
        on = las["area_code"].isin(listed) & (y >= FAMILY_HUBS_FROM)
        note = [f"pre-selected 1 Apr 2022 (listed as {listed[c]!r}); funded from 2022-23" if o else
                "programme not yet running (funding from 2022-23)" if y < FAMILY_HUBS_FROM else
                "not among the 75 pre-selected LAs (2022 list)" for c, o in zip(las["area_code"], on)]
        frames.append(iv_frame(measure_id="family_hubs_funded", area_code=las["area_code"], year=y,
                               period_label=f"{y - 1}-{str(y)[2:]}", value=on.astype(float),
                               status="ok", note=note, source_id="family_hubs"))
    return pd.concat(frames, ignore_index=True)


def programme_flags(ctx: BuildContext) -> list[pd.DataFrame]:
    sp = ctx.df("SELECT * FROM stg_separation_programmes WHERE utla21cd_matched <> ''")
    las = england_las(ctx, SNAPSHOT_YEAR)
    succ = ctx.df("SELECT old_code, new_code FROM area_successors WHERE additive")
    fwd = successor_map(succ)
    frames = []
    for prog, mid in (("Pause", "pause_evidenced"), ("FDAC", "fdac_evidenced")):
        ev: dict[str, list[str]] = {}
        for r in sp[sp["programme"] == prog].itertuples():
            fact = (f"{r.fact_as_stated} [{r.date_as_stated}; source: {r.source_title}, {r.source_url}; "
                    f"as of {r.as_of}]")
            for code in fwd.get(r.utla21cd_matched, [r.utla21cd_matched]):
                ev.setdefault(code, []).append(fact)
        notes, vals = [], []
        for c in las["area_code"]:
            if c in ev:
                vals.append(1.0)
                announce = all("announce" in f.lower() for f in ev[c])
                notes.append(("evidenced (announcement only; operation not verified): " if announce else
                              "evidenced: ") + " | ".join(ev[c]))
            else:
                vals.append(0.0)
                notes.append(f"no evidence found in the partial {prog} list compiled Nov 2025 (not evidence of "
                             "absence)")
        frames.append(iv_frame(measure_id=mid, area_code=las["area_code"], year=SNAPSHOT_YEAR,
                               period_label="evidence compiled Nov 2025", value=vals, status="ok", note=notes,
                               source_id="separation_programmes"))
    return frames


def build(ctx: BuildContext) -> None:
    for f in mbu_measures(ctx):
        ctx.add_indicators(f)
    ctx.add_indicators(mmhs_measure(ctx))
    ctx.add_indicators(family_hubs(ctx))
    for f in programme_flags(ctx):
        ctx.add_indicators(f)
