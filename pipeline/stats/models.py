"""Count models (Poisson / negative-binomial GLM with an offset), the share of a gradient explained, and statistical
neighbours (Euclidean distance on standardised variables). Pure functions (docs/methods.md)."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

# statsmodels is imported where it is used (only the count models need it; `statsmodels.api` alone costs ~0.5 s)


def _sm():
    """The few statsmodels classes the count models use, imported on first use (cheaper than `statsmodels.api`)."""
    from types import SimpleNamespace

    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    return SimpleNamespace(GLM=GLM, families=families, NegativeBinomial=NegativeBinomial)


@dataclass
class CountFit:
    family: str
    params: pd.Series
    conf_int: pd.DataFrame
    pvalues: pd.Series
    fitted: np.ndarray
    n: int
    aic: float
    deviance: float
    pearson_chi2: float
    alpha: float


def fit_count_model(y, X: pd.DataFrame, offset, family: str = "poisson", level: float = 0.95) -> CountFit:
    """Poisson or negative-binomial (NB2) GLM of counts y on X (with a 'const' column) and an offset.

    negative_binomial: the dispersion alpha is estimated by maximum likelihood (statsmodels discrete
    NegativeBinomial), then the GLM with that alpha gives coefficients, deviance and Pearson chi2."""
    sm = _sm()
    y = np.asarray(y, dtype=float)
    off = np.asarray(offset, dtype=float)
    alpha = np.nan
    if family == "poisson":
        fam = sm.families.Poisson()
    elif family == "negative_binomial":
        model = sm.NegativeBinomial(y, X, offset=off, loglike_method="nb2")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                nb = model.fit(disp=0, maxiter=100, method="newton")
                alpha = float(np.asarray(nb.params)[-1])
                ok = nb.mle_retvals.get("converged", False) and np.isfinite(alpha) and alpha > 0
            except Exception:  # noqa: BLE001 - singular Hessian etc.: use the slower quasi-Newton fit
                ok = False
            if not ok:
                nb = model.fit(disp=0, maxiter=1000, method="bfgs")
                alpha = float(np.asarray(nb.params)[-1])
        if not (np.isfinite(alpha) and alpha > 0):
            raise RuntimeError(f"negative-binomial dispersion not estimable (alpha = {alpha})")
        fam = sm.families.NegativeBinomial(alpha=alpha)
    else:
        raise ValueError(family)
    res = sm.GLM(y, X, family=fam, offset=off).fit()
    ci = res.conf_int(alpha=1 - level)
    # AIC: the NB GLM's llf treats alpha as known; count it as a parameter
    aic = float(res.aic + (2 if family == "negative_binomial" else 0))
    return CountFit(family, res.params, ci, res.pvalues, np.asarray(res.fittedvalues), len(y), aic,
                    float(res.deviance), float(res.pearson_chi2), alpha)


def share_explained(beta_unadjusted: float, beta_adjusted: float) -> float:
    """1 - beta_adj / beta_unadj on the log-rate scale (NaN if the unadjusted coefficient is 0 or missing)."""
    if beta_unadjusted is None or not np.isfinite(beta_unadjusted) or beta_unadjusted == 0:
        return float("nan")
    return float(1 - beta_adjusted / beta_unadjusted)


def nearest_neighbours(frame: pd.DataFrame, k: int = 10, weights: dict | None = None) -> pd.DataFrame:
    """For each row (index = area code) of a frame of numeric variables (no NaN), the k nearest other rows by
    Euclidean distance on z-standardised variables (population SD), optionally weighted.
    Returns area_code, rank (1 = nearest), neighbour_code, distance."""
    z = (frame - frame.mean()) / frame.std(ddof=0)
    if weights:
        z = z * pd.Series({c: weights.get(c, 1.0) for c in z.columns})
    d = cdist(z.to_numpy(), z.to_numpy())
    np.fill_diagonal(d, np.inf)
    codes = frame.index.to_numpy()
    rows = []
    k = min(k, len(codes) - 1)
    for i, code in enumerate(codes):
        order = np.argsort(d[i], kind="stable")[:k]
        for r, j in enumerate(order, start=1):
            rows.append((code, r, codes[j], float(d[i, j])))
    return pd.DataFrame(rows, columns=["area_code", "rank", "neighbour_code", "distance"])


def rate_ratio_per(beta: float, per: float = 1.0) -> float:
    return math.exp(beta * per)
