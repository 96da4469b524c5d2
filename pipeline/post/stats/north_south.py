"""Statistics step, 6: north-south models of the infant care-entry rate (northing, IMD 2019 score, distance to the
nearest mother and baby unit open in the same year; Poisson and negative binomial; each year and pooled), their summary
text and observed/expected."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext
from ...domain import HAS_VALUE
from .covariates import (
    extend_by_successors,
    extend_by_successors_per_year,
    measure_by_code,
    measure_by_code_year,
    northing_km,
)

NS_MEASURE = "cla_starts_u1_rate"
NS_POOLED = (2014, 2024)  # years with live-births denominators for every LA (no fallback)
FAMILIES = ("poisson", "negative_binomial")
PRIMARY_FAMILY = "negative_binomial"


TERMS = {"northing": "northing_per_100km", "imd": "imd2019_score_per_point", "mbu": "mbu_distance_per_10km"}
SPECS = {"a_northing": ["northing"], "b_imd": ["imd"], "c_both": ["northing", "imd"],
         "d_services": ["northing", "imd", "mbu"]}


def write_north_south(ctx: BuildContext, iv: pd.DataFrame, areas: pd.DataFrame, succ: pd.DataFrame) -> None:
    north, north_src = northing_km(ctx, succ)
    imd = extend_by_successors(measure_by_code(iv, "imd2019_score"), succ)
    # the distance of the same DfE year (units open at 31 March of it), as the services models match service terms
    mbu = extend_by_successors_per_year(measure_by_code_year(iv, "mbu_distance_km"), succ)
    eng_la = set(areas.loc[(areas["area_type"] == "la") & (areas["country"] == "England"), "area_code"])
    d = iv[(iv["measure_id"] == NS_MEASURE) & iv["status"].isin(HAS_VALUE) & iv["area_code"].isin(eng_la)
           & iv["numerator"].notna() & iv["denominator"].gt(0)].copy()
    d["northing"] = d["area_code"].map(north) / 100  # in units of 100 km
    d["imd"] = d["area_code"].map(imd)
    d["mbu"] = [mbu.get((c, int(y)), np.nan) / 10 for c, y in zip(d["area_code"], d["year"])]  # units of 10 km
    d = d.dropna(subset=["northing", "imd"])
    periods = [(str(y), [y]) for y in sorted(d["year"].unique())]
    periods.append((f"{NS_POOLED[0]}-{NS_POOLED[1]}", list(range(NS_POOLED[0], NS_POOLED[1] + 1))))
    mrows, srows, erows = [], [], []
    for period, years in periods:
        g = d[d["year"].isin(years)].reset_index(drop=True)
        if g["area_code"].nunique() < 30:
            continue
        fits = _fit_models(ctx, g, years, period, bool(mbu), north_src, mrows)
        a, c = fits.get(("a_northing", PRIMARY_FAMILY)), fits.get(("c_both", PRIMARY_FAMILY))
        if not (a and c):
            continue
        srows.append(_summary_row(period, a[0], c[0]))
        erows.append(_observed_expected(period, c[0], c[1]))
    mcols = ["period", "model", "term", "coef", "ci_lower", "ci_upper", "p_value", "n", "aic", "deviance",
             "pearson_chi2", "family", "alpha", "n_areas", "northing_source"]
    ctx.put("ns_models", pd.DataFrame(mrows, columns=mcols))
    scols = ["period", "northing_rr_unadjusted", "northing_rr_adjusted", "share_explained", "text", "family",
             "unadjusted_lower", "unadjusted_upper", "adjusted_lower", "adjusted_upper", "imd_rr_per_point"]
    ctx.put("ns_summary", pd.DataFrame(srows, columns=scols))
    ecols = ["period", "area_code", "observed", "expected", "oe_ratio", "oe_lower_95", "oe_upper_95", "family"]
    ctx.put("ns_expected", pd.concat(erows, ignore_index=True)[ecols] if erows else pd.DataFrame(columns=ecols))


def _fit_models(ctx: BuildContext, g: pd.DataFrame, years: list, period: str, have_mbu: bool, north_src: str,
                mrows: list[dict]) -> dict:
    """Fit every model of `SPECS` in both families to one period's LA-years; one row per term is added to `mrows`.
    Returns {(model, family): (fit, frame fitted)}."""
    fits = {}
    for model, vars_ in SPECS.items():
        if "mbu" in vars_:
            if not have_mbu:
                continue
            # LA-years without a distance of their own year are left out; a period with too few gets no model (d)
            gg = g.dropna(subset=["mbu"]).reset_index(drop=True)
            if gg["area_code"].nunique() < 30:
                continue
        else:
            gg = g
        X = gg[vars_].astype(float)
        X = X - X.mean()  # centred: slopes unchanged, better-conditioned NB fits
        if len(years) > 1:  # pooled: year fixed effects
            X = pd.concat([X, pd.get_dummies(gg["year"], prefix="year", drop_first=True, dtype=float)], axis=1)
        X.insert(0, "const", 1.0)
        for fam in FAMILIES:
            try:
                f = S.fit_count_model(gg["numerator"], X, np.log(gg["denominator"].astype(float)), fam)
            except Exception as e:  # noqa: BLE001 - a non-converging year must not break the build
                ctx.warn(f"stats: {fam} model {model} for {period} failed: {e}")
                continue
            fits[(model, fam)] = (f, gg)
            for v in vars_:
                ci = f.conf_int.loc[v]
                mrows.append(dict(period=period, model=model, term=TERMS[v], coef=math.exp(f.params[v]),
                                  ci_lower=math.exp(ci[0]), ci_upper=math.exp(ci[1]),
                                  p_value=float(f.pvalues[v]), n=f.n, aic=f.aic, deviance=f.deviance,
                                  pearson_chi2=f.pearson_chi2, family=fam, alpha=f.alpha,
                                  n_areas=int(gg["area_code"].nunique()), northing_source=north_src))
    return fits


def _summary_row(period: str, fa, fc) -> dict:
    """The north-south gradient without (`fa`, model a) and with (`fc`, model c) deprivation, and its text."""
    b_un, b_adj = float(fa.params["northing"]), float(fc.params["northing"])
    share = S.share_explained(b_un, b_adj)
    ci_a, ci_c = fa.conf_int.loc["northing"], fc.conf_int.loc["northing"]
    return dict(period=period, northing_rr_unadjusted=math.exp(b_un), northing_rr_adjusted=math.exp(b_adj),
                share_explained=share, text=_ns_text(period, b_un, b_adj, share, ci_a, ci_c),
                family=PRIMARY_FAMILY, unadjusted_lower=math.exp(ci_a[0]),
                unadjusted_upper=math.exp(ci_a[1]), adjusted_lower=math.exp(ci_c[0]),
                adjusted_upper=math.exp(ci_c[1]), imd_rr_per_point=math.exp(fc.params["imd"]))


def _observed_expected(period: str, fc, frame: pd.DataFrame) -> pd.DataFrame:
    """Observed and expected (model c) infant care starts of each LA in the period, with the ratio's 95% CI."""
    gc = frame.assign(expected=fc.fitted)
    e = gc.groupby("area_code").agg(observed=("numerator", "sum"), expected=("expected", "sum")).reset_index()
    e["oe_ratio"] = e["observed"] / e["expected"]
    e["oe_lower_95"], e["oe_upper_95"] = S.oe_ci(e["observed"], e["expected"], 0.95)
    e.insert(0, "period", period)
    e["family"] = PRIMARY_FAMILY
    return e


def _pct(rr: float) -> str:
    return f"{(rr - 1) * 100:+.0f}%"


def _ns_text(period, b_un, b_adj, share, ci_a, ci_c) -> str:
    ru, ra = math.exp(b_un), math.exp(b_adj)
    s = (f"{period}: without adjustment, the infant care-entry rate changes by {_pct(ru)} per 100 km further north "
         f"(rate ratio {ru:.2f}, 95% CI {math.exp(ci_a[0]):.2f}-{math.exp(ci_a[1]):.2f}); after accounting for "
         f"deprivation (IMD 2019 score), the north–south gradient falls from {ru:.2f} to {ra:.2f} per 100 km "
         f"(95% CI {math.exp(ci_c[0]):.2f}-{math.exp(ci_c[1]):.2f}).")
    if np.isfinite(share):
        if 0 <= share <= 1:
            s += f" Deprivation accounts for about {share * 100:.0f}% of the gradient (log scale)."
        elif share > 1:
            s += " Once deprivation is accounted for, the gradient reverses direction."
        else:
            s += " Accounting for deprivation steepens rather than explains the gradient."
    return s.replace("falls from", "falls from" if abs(b_adj) <= abs(b_un) else "changes from")
