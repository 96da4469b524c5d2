"""Statistics step, 5: deprivation gradient (rate by IMD decile, dispersion-widened) and the slope and relative
indices of inequality, for each IMD edition."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext
from ...domain import ci
from .covariates import decile_weights, imd_deciles


def write_deprivation(ctx: BuildContext, rates: pd.DataFrame, iv: pd.DataFrame, areas: pd.DataFrame,
                 succ: pd.DataFrame) -> None:
    dec_rows, ineq_rows = [], []
    la = rates[(rates["area_type"] == "la") & (rates["country"] == "England")]
    for edition, deciles in imd_deciles(iv, succ, decile_weights(ctx)).items():
        d = la.assign(decile=la["area_code"].map(deciles)).dropna(subset=["decile"])
        if d.empty:
            continue
        d["decile"] = d["decile"].astype(int)
        # over-dispersion: Pearson phi of the one-rate-per-decile fit to the LAs (quasi-Poisson / quasi-binomial)
        phis = {k: S.decile_dispersion(g["numerator"], g["denominator"], g["decile"],
                                       "poisson" if g["value_type"].iloc[0] == "rate" else "binomial")
                for k, g in d.groupby(["measure_id", "year", "period_label"], sort=False)}
        agg = d.groupby(["measure_id", "year", "period_label", "decile"]).agg(
            numerator=("numerator", "sum"), denominator=("denominator", "sum"), n_areas=("area_code", "nunique"),
            multiplier=("multiplier", "first"), value_type=("value_type", "first")).reset_index()
        agg["rate"] = agg["numerator"] / agg["denominator"] * agg["multiplier"]
        agg["lower_95"], agg["upper_95"] = np.nan, np.nan
        for vt, m in (("rate", agg["value_type"] == "rate"), ("proportion", agg["value_type"] == "proportion")):
            if m.any():
                sub = agg[m]
                lo, hi = ci(vt, sub["numerator"], sub["denominator"], sub["multiplier"].to_numpy(), 0.95)
                agg.loc[m, "lower_95"], agg.loc[m, "upper_95"] = lo, hi
        agg["imd_edition"] = edition
        agg["phi"] = [phis[k] for k in zip(agg["measure_id"], agg["year"], agg["period_label"])]
        agg["lower_95_poisson"], agg["upper_95_poisson"] = agg["lower_95"], agg["upper_95"]
        agg["lower_95"], agg["upper_95"] = S.scale_interval(agg["rate"], agg["lower_95"], agg["upper_95"], agg["phi"])
        prop = agg["value_type"] == "proportion"  # a widened proportion never exceeds 100%
        agg.loc[prop, "upper_95"] = np.minimum(agg.loc[prop, "upper_95"], agg.loc[prop, "multiplier"])
        for (mid, year, pl), g in agg.groupby(["measure_id", "year", "period_label"], sort=True):
            if len(g) < 5:
                continue
            dec_rows.append(g)
            o = g.sort_values("decile", ascending=False)  # least deprived (10) first
            phi = float(g["phi"].iloc[0])
            r = S.sii_rii(o["numerator"], o["denominator"], float(g["multiplier"].iloc[0]), phi=phi)
            r0 = S.sii_rii(o["numerator"], o["denominator"], float(g["multiplier"].iloc[0]))
            ineq_rows.append(dict(measure_id=mid, year=int(year), imd_edition=edition, **r, period_label=pl,
                                  n_deciles=len(g), phi=phi, sii_lower_poisson=r0["sii_lower"],
                                  sii_upper_poisson=r0["sii_upper"]))
    cols = ["measure_id", "year", "imd_edition", "decile", "numerator", "denominator", "rate", "lower_95", "upper_95",
            "n_areas", "period_label", "phi", "lower_95_poisson", "upper_95_poisson"]
    ctx.put("deprivation_gradient", pd.concat(dec_rows, ignore_index=True)[cols] if dec_rows
            else pd.DataFrame(columns=cols))
    icols = ["measure_id", "year", "imd_edition", "sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper",
             "period_label", "n_deciles", "phi", "sii_lower_poisson", "sii_upper_poisson"]
    ctx.put("inequality_indices", pd.DataFrame(ineq_rows, columns=icols))
