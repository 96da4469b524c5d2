"""Post step: infant care entry against perinatal service access ("Services and rates"; methods in docs/methods.md).

Question: is the infant care-entry rate (children starting to be looked after aged under 1 per 10,000 live births)
lower where perinatal services are nearer, after deprivation and northing? Negative-binomial GLMs of the LA's count
of starts with log(live births) as offset, fitted per DfE year and pooled over NS_POOLED (year fixed effects), with
the SERVICE TERMS matched to the same year (units open at 31 March of that year):

- `c_both`:         northing (per 100 km) + IMD 2019 score (per point)  -- the north-south model's adjusted fit
- `e_services`:     c_both + distance to the nearest open mother and baby unit (per 10 km) + years of exposure to an
                    early Maternal Mental Health Service (per year)
- `f_services_beds`: c_both + MBU beds within 100 km per 10,000 births (2SFCA) + MMHS exposure

Writes `services_models` (rate ratios with 95% CIs per term) and `services_summary` (per period: the northing rate
ratio unadjusted, after deprivation and after deprivation + services; the share of the gradient explained by each,
the service rate ratios and a plain-language sentence). Each summary row also says how many of the LAs' nearest
units are located only at district level. An ecological description, not a causal estimate.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import stats as S
from ..context import BuildContext
from .stats import HAS_VALUE, NS_MEASURE, NS_POOLED, PRIMARY_FAMILY
from .stats.covariates import extend_by_successors, measure_by_code, measure_by_code_year, northing_km, table_exists

REQUIRES = ("indicator_values", "areas", "area_successors", "la_geo", "mbu_nearest")
PRODUCES = ("services_models", "services_summary")

TERMS = {"northing": "northing_per_100km", "imd": "imd2019_score_per_point", "mbu": "mbu_distance_per_10km",
         "beds": "mbu_beds_100km_per_10k_births", "mmhs": "mmhs_exposure_per_year"}
SPECS = {"a_northing": ["northing"], "c_both": ["northing", "imd"], "e_services": ["northing", "imd", "mbu", "mmhs"],
         "f_services_beds": ["northing", "imd", "beds", "mmhs"]}
SCALE = {"mbu": 10.0, "beds": 1.0, "mmhs": 1.0}
MIN_EXPOSED = 10


def ns_frame(ctx: BuildContext, iv: pd.DataFrame, areas: pd.DataFrame, succ: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The north–south models' rows: English LAs' infant care starts with a count and births, with northing (100 km)
    and IMD 2019 score (carried to successor codes); also used by the context-covariate models (ns_context.py)."""
    north, north_src = northing_km(ctx, succ)
    imd = extend_by_successors(measure_by_code(iv, "imd2019_score"), succ)
    eng_la = set(areas.loc[(areas["area_type"] == "la") & (areas["country"] == "England"), "area_code"])
    d = iv[(iv["measure_id"] == NS_MEASURE) & iv["status"].isin(HAS_VALUE) & iv["area_code"].isin(eng_la)
           & iv["numerator"].notna() & iv["denominator"].gt(0)].copy()
    d["northing"] = d["area_code"].map(north) / 100
    d["imd"] = d["area_code"].map(imd)
    return d, north_src


def model_frame(ctx: BuildContext, iv: pd.DataFrame, areas: pd.DataFrame,
                succ: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    d, north_src = ns_frame(ctx, iv, areas, succ)
    keys = list(zip(d["area_code"], d["year"].astype(int)))
    for var, mid in (("mbu", "mbu_distance_km"), ("beds", "mbu_beds_100km_per_10k_births"),
                     ("mmhs", "mmhs_exposure_years")):
        vals = measure_by_code_year(iv, mid)
        d[var] = [vals.get(k, np.nan) / SCALE[var] for k in keys]
    if table_exists(ctx, "mbu_nearest"):
        lv = ctx.df("SELECT area_code, year, location_level FROM mbu_nearest")
        lvl = {(c, int(y)): v for c, y, v in zip(lv["area_code"], lv["year"], lv["location_level"])}
        d["nearest_level"] = [lvl.get(k) for k in keys]
    else:
        d["nearest_level"] = None
    return d.dropna(subset=["northing", "imd", "mbu", "beds", "mmhs"]).reset_index(drop=True), north_src


def _fit(g: pd.DataFrame, vars_: list[str], pooled: bool):
    X = g[vars_].astype(float)
    X = X - X.mean()
    if pooled:
        X = pd.concat([X, pd.get_dummies(g["year"], prefix="year", drop_first=True, dtype=float)], axis=1)
    X.insert(0, "const", 1.0)
    return S.fit_count_model(g["numerator"], X, np.log(g["denominator"].astype(float)), PRIMARY_FAMILY)


def run(ctx: BuildContext) -> None:
    if not table_exists(ctx, "mbu_nearest"):
        return
    iv = ctx.df("SELECT measure_id, area_code, year, value, numerator, denominator, status FROM indicator_values")
    areas = ctx.df("SELECT area_code, area_type, country FROM areas")
    succ = ctx.df("SELECT old_code, new_code, change_type FROM area_successors")
    d, north_src = model_frame(ctx, iv, areas, succ)
    periods = [(str(y), [y], False) for y in sorted(d["year"].unique())]
    periods.append((f"{NS_POOLED[0]}-{NS_POOLED[1]}", list(range(NS_POOLED[0], NS_POOLED[1] + 1)), True))
    mrows, srows = [], []
    for period, years, pooled in periods:
        g = d[d["year"].isin(years)].reset_index(drop=True)
        if g["area_code"].nunique() < 30:
            continue
        fits = {}
        for model, vars_ in SPECS.items():
            # a service term needs variation: MMHS exposure is 0 everywhere before 2021 and non-zero in Devon only
            # at 31 March 2021, so it enters a model only when at least MIN_EXPOSED LAs have exposure
            use = [v for v in vars_ if v != "mmhs" or g.loc[g["mmhs"] > 0, "area_code"].nunique() >= MIN_EXPOSED]
            try:
                f = _fit(g, use, pooled)
            except Exception as e:  # noqa: BLE001 - a non-converging year must not break the build
                ctx.warn(f"services models: {model} for {period} failed: {e}")
                continue
            fits[model] = f
            for v in use:
                ci = f.conf_int.loc[v]
                mrows.append(dict(period=period, model=model, term=TERMS[v], rate_ratio=math.exp(f.params[v]),
                                  ci_lower=math.exp(ci[0]), ci_upper=math.exp(ci[1]), p_value=float(f.pvalues[v]),
                                  n=f.n, n_areas=int(g["area_code"].nunique()), aic=f.aic, family=f.family,
                                  alpha=f.alpha, northing_source=north_src))
        if not all(m in fits for m in ("a_northing", "c_both", "e_services")):
            continue
        b_un = float(fits["a_northing"].params["northing"])
        b_dep = float(fits["c_both"].params["northing"])
        fe = fits["e_services"]
        b_srv = float(fe.params["northing"])
        ci_e = fe.conf_int
        rr = {v: (math.exp(fe.params[v]), math.exp(ci_e.loc[v][0]), math.exp(ci_e.loc[v][1]))
              if v in fe.params.index else (np.nan, np.nan, np.nan) for v in ("mbu", "mmhs")}
        n_district = int((g["nearest_level"] == "district").sum())
        row = dict(period=period, n_areas=int(g["area_code"].nunique()), n=len(g),
                   northing_rr_unadjusted=math.exp(b_un), northing_rr_deprivation=math.exp(b_dep),
                   northing_rr_services=math.exp(b_srv),
                   share_explained_deprivation=S.share_explained(b_un, b_dep),
                   share_explained_services_beyond_deprivation=S.share_explained(b_dep, b_srv),
                   share_explained_total=S.share_explained(b_un, b_srv),
                   mbu_rr_per_10km=rr["mbu"][0], mbu_lower=rr["mbu"][1], mbu_upper=rr["mbu"][2],
                   mmhs_rr_per_year=rr["mmhs"][0], mmhs_lower=rr["mmhs"][1], mmhs_upper=rr["mmhs"][2],
                   rows_nearest_unit_district_level=n_district, family=PRIMARY_FAMILY)
        row["text"] = summary_text(row)
        srows.append(row)
    ctx.put("services_models", pd.DataFrame(mrows, columns=[
        "period", "model", "term", "rate_ratio", "ci_lower", "ci_upper", "p_value", "n", "n_areas", "aic", "family",
        "alpha", "northing_source"]))
    ctx.put("services_summary", pd.DataFrame(srows, columns=[
        "period", "n_areas", "n", "northing_rr_unadjusted", "northing_rr_deprivation", "northing_rr_services",
        "share_explained_deprivation", "share_explained_services_beyond_deprivation", "share_explained_total",
        "mbu_rr_per_10km", "mbu_lower", "mbu_upper", "mmhs_rr_per_year", "mmhs_lower", "mmhs_upper",
        "rows_nearest_unit_district_level", "family", "text"]))


def _ci(rr, lo, hi) -> str:
    return f"{rr:.3f} (95% CI {lo:.3f} to {hi:.3f})"


def summary_text(r: dict) -> str:
    """One plain-language paragraph for a summary row."""
    s = (f"{r['period']}: per 10 km further from the nearest open mother and baby unit, the infant care-entry rate is "
         f"multiplied by {_ci(r['mbu_rr_per_10km'], r['mbu_lower'], r['mbu_upper'])}, after deprivation and "
         f"northing")
    lo, hi = r["mbu_lower"], r["mbu_upper"]
    s += (" - the interval includes 1, so no association is shown." if lo <= 1 <= hi else
          " - lower rates further from a unit." if hi < 1 else " - higher rates further from a unit.")
    if np.isfinite(r["mmhs_rr_per_year"]):
        s += (f" Per year of early Maternal Mental Health Service exposure: "
              f"{_ci(r['mmhs_rr_per_year'], r['mmhs_lower'], r['mmhs_upper'])}.")
    sh = r["share_explained_services_beyond_deprivation"]
    if np.isfinite(sh):
        s += (f" Adding the service terms changes the north-south rate ratio per 100 km from "
              f"{r['northing_rr_deprivation']:.3f} (deprivation only) to {r['northing_rr_services']:.3f}: "
              f"{sh * 100:+.0f}% of the remaining gradient (log scale).")
    return s
