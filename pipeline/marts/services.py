"""Perinatal service availability measures per English upper-tier LA (registry: data/measures/services.toml).

- `mbu_distance_km` (2025): great-circle km from the LA's representative point (`la_geo`) to the nearest OPEN mother
  and baby unit WITH A SOURCED LOCATION (`services_points.used_in_measures`), i.e. an upper bound on the distance to
  the nearest open unit, because most units have no sourced postcode.
- `mbu_beds_60km_per_10k_births`, `mbu_beds_100km_per_10k_births` (2025): two-step floating catchment area (2SFCA)
  with a hard radius d0: R_j = beds_j / sum of live births (2022) of LAs whose point lies within d0 of unit j;
  A_i = 10,000 * sum of R_j over units within d0 of LA i.
- `mmhs_exposure_years` (2021-2025): at 31 March of year Y, share-weighted years since each ICB covering the LA had
  an early/known Maternal Mental Health Service; LA->ICB shares from the derived postcode lookup, shares < 0.08
  dropped as generalisation artefacts and the rest renormalised.
- `family_hubs_funded` (2022): 1 if among the 75 LAs pre-selected for Family Hubs and Start for Life, else 0.
- `pause_evidenced`, `fdac_evidenced` (2025): 1 = evidenced in the partial programme list, 0 = no evidence found.
"""
from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from geo.boundaries import haversine_km

from ..context import BuildContext
from ..parsers.geography import fy_start
from .common import iv_frame
from .foundation import Denominators

SNAPSHOT_YEAR = 2025
BIRTHS_YEAR = 2022
RADII_KM = (60, 100)
SHARE_ARTEFACT = 0.08
MMHS_YEARS = range(2021, 2026)
MONTHS = {m: i for i, m in enumerate(["january", "february", "march", "april", "may", "june", "july", "august",
                                      "september", "october", "november", "december"], start=1)}


def england_las(ctx: BuildContext, year: int) -> pd.DataFrame:
    d = fy_start(year)
    return ctx.df("SELECT a.area_code, a.area_name, g.rep_lon, g.rep_lat FROM areas a LEFT JOIN la_geo g USING (area_code) "
                  "WHERE a.area_type='la' AND a.country='England' AND (a.valid_from IS NULL OR a.valid_from <= ?) "
                  "AND (a.valid_to IS NULL OR a.valid_to >= ?) ORDER BY 1", [d, d])


def _units(ctx: BuildContext) -> pd.DataFrame:
    return ctx.df("SELECT * FROM services_points WHERE used_in_measures ORDER BY unit_id")


def mbu_measures(ctx: BuildContext) -> list[pd.DataFrame]:
    las = england_las(ctx, SNAPSHOT_YEAR)
    u = _units(ctx)
    period = f"{SNAPSHOT_YEAR} (units as of Nov 2025)"
    n_out = ctx.df("SELECT count(*) AS n FROM services_points WHERE status='open' AND country='England' "
                   "AND lat IS NULL")["n"].iloc[0]
    used = ", ".join(f"{r.unit_id} {r.town} ({r.postcode}, {r.location_confidence})" for r in u.itertuples())
    d = haversine_km(las["rep_lon"].to_numpy()[:, None], las["rep_lat"].to_numpy()[:, None],
                     u["lon"].to_numpy()[None, :], u["lat"].to_numpy()[None, :])
    nearest = d.argmin(axis=1)
    notes = []
    for i, j in enumerate(nearest):
        x = u.iloc[j]
        low = " LOW-CONFIDENCE location (proxy site)" if x["location_confidence"] == "low" else ""
        notes.append(f"nearest located unit: {x['unit_id']} {x['name']} ({x['postcode']}{low}); only the "
                     f"{len(u)} open units with a sourced postcode are used ({used}); {n_out} open England units with "
                     "town-only locations are excluded, so this is an upper bound")
    frames = [iv_frame(measure_id="mbu_distance_km", area_code=las["area_code"], year=SNAPSHOT_YEAR,
                       period_label=period, value=np.round(d.min(axis=1), 1), status="ok", note=notes,
                       source_id="mbu_geocodes")]

    den = Denominators(ctx)
    births = np.array([den._compose(den.births, c, BIRTHS_YEAR) or np.nan for c in las["area_code"]], dtype=float)
    if np.isnan(births).any():
        ctx.warn(f"MBU catchments: no {BIRTHS_YEAR} live births for "
                 f"{', '.join(las.loc[np.isnan(births), 'area_code'])}; left out of catchment populations")
    beds = u["beds"].to_numpy(dtype=float)
    for r_km in RADII_KM:
        within = d <= r_km                                   # LA i x unit j
        pop_j = np.nansum(np.where(within, births[:, None], 0.0), axis=0)
        ratio_j = np.divide(beds, pop_j, out=np.zeros_like(beds), where=pop_j > 0)
        acc = (within * ratio_j[None, :]).sum(axis=1) * 10_000
        nts = []
        for i in range(len(las)):
            js = np.flatnonzero(within[i])
            if len(js):
                nts.append("2SFCA; units within {} km: {}".format(r_km, "; ".join(
                    f"{u.iloc[j]['unit_id']} ({beds[j]:.0f} beds, catchment {pop_j[j]:,.0f} births {BIRTHS_YEAR})"
                    for j in js)))
            else:
                nts.append(f"2SFCA; no open unit with a sourced location within {r_km} km (units with town-only "
                           "locations are not counted)")
        status = np.where(np.isnan(births), "not_available", "ok")
        val = np.where(np.isnan(births), np.nan, np.round(acc, 3))
        frames.append(iv_frame(measure_id=f"mbu_beds_{r_km}km_per_10k_births", area_code=las["area_code"],
                               year=SNAPSHOT_YEAR, period_label=period, value=val, status=status, note=nts,
                               source_id="mbu_units"))
    return frames


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
            base = dict(area_code=code, year=y, period_label=f"at 31 March {y}")
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
    las = england_las(ctx, 2022)
    unknown = set(fh["utla21cd_matched"]) - set(las["area_code"])
    if unknown:
        ctx.warn(f"family hubs list: codes not in force in 2021/22 ignored: {sorted(unknown)}")
    listed = fh.set_index("utla21cd_matched")["la_name_as_listed"].to_dict()
    val = las["area_code"].isin(listed).astype(float)
    note = [f"pre-selected 1 Apr 2022 (listed as {listed[c]!r})" if c in listed else
            "not among the 75 pre-selected LAs (2022 list)" for c in las["area_code"]]
    return iv_frame(measure_id="family_hubs_funded", area_code=las["area_code"], year=2022,
                    period_label="2022 list (1 Apr 2022)", value=val, status="ok", note=note, source_id="family_hubs")


def programme_flags(ctx: BuildContext) -> list[pd.DataFrame]:
    sp = ctx.df("SELECT * FROM stg_separation_programmes WHERE utla21cd_matched <> ''")
    las = england_las(ctx, SNAPSHOT_YEAR)
    succ = ctx.df("SELECT old_code, new_code FROM area_successors WHERE additive")
    fwd = succ.groupby("old_code")["new_code"].apply(list).to_dict()
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
