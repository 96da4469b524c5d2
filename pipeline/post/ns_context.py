"""North–south model with child and maternal context covariates -> `ns_context_models` (docs/methods.md §13).

For each context measure with enough coverage, the primary north–south model (negative binomial, infant care starts
with log births as offset, northing and IMD 2019 score, year fixed effects;
pipeline/post/stats/north_south.py) is fitted
twice on the SAME LA-years — without and with the context measure — so that the change in the northing rate ratio
is due to the covariate, not to a different sample. Alignment: a DfE year ending 31 March Y takes a calendar-year
measure for Y-1 (the births rule) and a financial-year measure for Y itself. Breastfeeding at 6–8 weeks is not used:
its missing values (suppressed for about half of LAs, whole regions at a time) are not missing at random.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import stats as S
from ..context import BuildContext
from ..domain import HAS_VALUE
from .services_models import ns_frame
from .stats import NS_MEASURE, PRIMARY_FAMILY

REQUIRES = ("indicator_values", "areas", "area_successors", "la_geo")
PRODUCES = ("ns_context_models",)

# measure -> (period type, unit of the rate ratio, scale)
COVARIATES = {
    "context_child_low_income": ("fy_march", "per 5 percentage points of children in relative low income", 5.0),
    "context_infant_mortality": ("calendar", "per 1 infant death per 1,000 live births", 1.0),
    "context_low_birth_weight": ("calendar", "per 1 percentage point of term births under 2,500 g", 1.0),
    "context_u18_conceptions": ("calendar", "per 10 conceptions per 1,000 females aged 15-17", 10.0),
}
NOT_USED = {"context_breastfeeding_6_8wk": "not fitted: heavily suppressed, not at random (about half of LAs and "
                                             "whole regions have no figure)"}
COLS = ["covariate", "years", "n", "n_areas", "n_years", "northing_rr", "northing_lower", "northing_upper",
        "northing_rr_with_covariate", "northing_with_lower", "northing_with_upper", "covariate_rr",
        "covariate_lower", "covariate_upper", "covariate_p_value", "covariate_unit", "share_further_explained",
        "family", "note", "text"]
TITLES = {"context_child_low_income": "children in relative low income",
          "context_infant_mortality": "infant mortality", "context_low_birth_weight": "low birth weight (term babies)",
          "context_u18_conceptions": "under-18 conceptions",
          "context_breastfeeding_6_8wk": "breastfeeding at 6-8 weeks"}


def _text(r: dict) -> str:
    """The result in plain language (rate ratios, CIs, share of the deprivation-adjusted gradient)."""
    name = TITLES.get(r["covariate"], r["covariate"])
    if r.get("northing_rr") is None or r.get("northing_rr") != r.get("northing_rr"):
        return f"{name.capitalize()}: {r.get('note', 'not fitted')}."
    share = r["share_further_explained"]
    sh = (f"about {share * 100:.0f}% of the deprivation-adjusted north–south gradient is further accounted for"
          if 0 <= share <= 1 else "the gradient is not reduced")
    return (f"{name.capitalize()} (DfE years {r['years']}, {r['n_areas']} LAs, {r['n']} LA-years): "
            "adding it changes the rate "
            f"ratio per 100 km north from {r['northing_rr']:.3f} (95% CI {r['northing_lower']:.3f}–"
            f"{r['northing_upper']:.3f}) to {r['northing_rr_with_covariate']:.3f} ({r['northing_with_lower']:.3f}–"
            f"{r['northing_with_upper']:.3f}); {sh}. "
            f"The infant care-entry rate is multiplied by {r['covariate_rr']:.2f} "
            f"(95% CI {r['covariate_lower']:.2f}–{r['covariate_upper']:.2f}) {r['covariate_unit']}, with northing "
            "and deprivation held fixed.")


def _fit(g: pd.DataFrame, terms: list[str]):
    X = g[terms].astype(float)
    X = X - X.mean()
    if g["year"].nunique() > 1:
        X = pd.concat([X, pd.get_dummies(g["year"], prefix="year", drop_first=True, dtype=float)], axis=1)
    X.insert(0, "const", 1.0)
    return S.fit_count_model(g["numerator"], X, np.log(g["denominator"].astype(float)), PRIMARY_FAMILY)


def run(ctx: BuildContext) -> None:
    iv = ctx.df("""SELECT measure_id, area_code, year, value, numerator, denominator, status FROM indicator_values
                   WHERE measure_id = ? OR measure_id = 'imd2019_score' OR measure_id LIKE 'context_%'""", [NS_MEASURE])
    if not iv["measure_id"].str.startswith("context_").any():
        return
    areas = ctx.df("SELECT area_code, area_type, country FROM areas")
    succ = ctx.df("SELECT old_code, new_code, change_type FROM area_successors")
    d, _ = ns_frame(ctx, iv, areas, succ)
    d = d.dropna(subset=["northing", "imd"])
    rows = []
    for mid, (ptype, unit, scale) in COVARIATES.items():
        c = iv[(iv["measure_id"] == mid) & iv["status"].isin(HAS_VALUE)]
        shift = 1 if ptype == "calendar" else 0  # DfE year Y <- calendar year Y-1
        cov = {(a, int(y) + shift): float(v) / scale for a, y, v in zip(c["area_code"], c["year"], c["value"])}
        g = d.assign(cov=[cov.get((a, int(y))) for a, y in zip(d["area_code"], d["year"])]).dropna(subset=["cov"])
        g = g.reset_index(drop=True)
        base = dict(covariate=mid, covariate_unit=unit, family=PRIMARY_FAMILY)
        if g["area_code"].nunique() < 30:
            rows.append(dict(base, n=len(g), note="not fitted: fewer than 30 LAs with both values"))
            continue
        try:
            f0, f1 = _fit(g, ["northing", "imd"]), _fit(g, ["northing", "imd", "cov"])
        except Exception as e:  # noqa: BLE001 - a non-converging model must not break the build
            ctx.warn(f"ns_context: model with {mid} failed: {e}")
            rows.append(dict(base, n=len(g), note=f"not fitted: {e}"))
            continue
        b0, b1 = float(f0.params["northing"]), float(f1.params["northing"])
        ci0, ci1, cic = f0.conf_int.loc["northing"], f1.conf_int.loc["northing"], f1.conf_int.loc["cov"]
        yrs = sorted(g["year"].unique())
        rows.append(dict(
            base, years=f"{yrs[0] - 1}/{str(yrs[0])[-2:]}-{yrs[-1] - 1}/{str(yrs[-1])[-2:]}", n=len(g),
            n_areas=int(g["area_code"].nunique()), n_years=len(yrs),
            northing_rr=math.exp(b0), northing_lower=math.exp(ci0[0]), northing_upper=math.exp(ci0[1]),
            northing_rr_with_covariate=math.exp(b1), northing_with_lower=math.exp(ci1[0]),
            northing_with_upper=math.exp(ci1[1]), covariate_rr=math.exp(float(f1.params["cov"])),
            covariate_lower=math.exp(cic[0]), covariate_upper=math.exp(cic[1]),
            covariate_p_value=float(f1.pvalues["cov"]), share_further_explained=S.share_explained(b0, b1),
            note=("DfE years " + ("matched to the previous calendar year" if shift else "matched to the same "
                                  "financial year") + "; includes years with fallback denominators")))
    for mid, why in NOT_USED.items():
        rows.append(dict(covariate=mid, note=why, family=PRIMARY_FAMILY))
    for r in rows:
        r["text"] = _text(r)
    ctx.put("ns_context_models", pd.DataFrame(rows, columns=COLS))
