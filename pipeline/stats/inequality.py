"""Deprivation gradient: slope and relative index of inequality (weighted regression on ridits, Monte Carlo CIs), the
dispersion of a one-rate-per-decile fit, deciles from ranks and scores. Pure functions (docs/methods.md)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd


def _pinv_extended(x, rcond=1e-15):
    """statsmodels.tools.tools.pinv_extended (the pseudo-inverse behind WLS.fit(method='pinv')), copied so that the
    SII fit gives bit-identical results without statsmodels' per-model overhead."""
    x = np.asarray(x).conjugate()
    u, s, vt = np.linalg.svd(x, False)
    m, n = u.shape[0], vt.shape[1]
    cutoff = rcond * np.maximum.reduce(s)
    for i in range(min(n, m)):
        s[i] = 1.0 / s[i] if s[i] > cutoff else 0.0
    return np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u)))


def ridits(weights) -> np.ndarray:
    """Mid-point of each group's cumulative share of the weights (groups in the order given, least deprived first)."""
    w = np.asarray(weights, dtype=float)
    cum = np.cumsum(w) / w.sum()
    return cum - w / w.sum() / 2


def sii_rii(numerators, denominators, multiplier: float = 1, level: float = 0.95, n_sim: int = 2000,
            seed: int = 20240501, phi: float = 1.0) -> dict:
    """Slope and relative index of inequality over groups ordered least -> most deprived.

    Rate_g = numerator_g / denominator_g * multiplier; x_g = ridit of the cumulative denominator share;
    weighted least squares (weights = denominator share) of rate on x (statsmodels WLS).
    SII = slope = fitted(x=1) - fitted(x=0): positive = higher in more deprived groups.
    RII = SII / overall rate (PHE/OHID definition). CIs: Monte Carlo — each group's numerator is redrawn from
    Poisson(numerator), the regression refitted `n_sim` times, and the (1-level)/2 percentiles taken.
    Over-dispersion (quasi-Poisson): with `phi` > 1 each redrawn numerator's deviation from the observed one is
    multiplied by sqrt(phi) (variance phi x numerator), so the SII interval is exactly sqrt(phi) times as wide as the
    Poisson one (the slope is linear in the numerators) and the RII's nearly so."""
    o = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    keep = ~(np.isnan(o) | np.isnan(n) | (n <= 0))
    o, n = o[keep], n[keep]
    res = dict(sii=np.nan, sii_lower=np.nan, sii_upper=np.nan, rii=np.nan, rii_lower=np.nan, rii_upper=np.nan)
    if len(o) < 3:
        return res
    x = ridits(n)
    w = n / n.sum()
    X = np.column_stack([np.ones(len(x)), x])  # statsmodels add_constant
    rate = o / n * multiplier
    # WLS (statsmodels WLS(rate, X, weights=w).fit(), method 'pinv'): pinv of the whitened design times whitened y
    sw = np.sqrt(w)
    params = np.dot(_pinv_extended(sw[:, None] * X), rate * sw)
    mean = o.sum() / n.sum() * multiplier
    sii = float(params[1])
    rng = np.random.default_rng(seed)
    draws = rng.poisson(np.broadcast_to(o, (n_sim, len(o))))
    if phi is not None and np.isfinite(phi) and phi > 1:
        draws = o + math.sqrt(phi) * (draws - o)
    sims = draws / n * multiplier  # (n_sim, G)
    # WLS slope for every simulated row at once: same design and weights, so the hat matrix is shared
    pinv = np.linalg.pinv(X * sw[:, None])  # (2, G)
    slopes = (sims * sw) @ pinv[1]
    means = (sims * n).sum(axis=1) / n.sum()
    riis = np.where(means > 0, slopes / means, np.nan)
    q = [(1 - level) / 2 * 100, (1 - (1 - level) / 2) * 100]
    res.update(sii=sii, rii=sii / mean if mean > 0 else np.nan)
    res["sii_lower"], res["sii_upper"] = (float(v) for v in np.percentile(slopes, q))
    res["rii_lower"], res["rii_upper"] = (float(v) for v in np.nanpercentile(riis, q))
    return res


def decile_dispersion(numerators, denominators, groups, family: str = "poisson") -> float:
    """Pearson dispersion phi of the model with one rate per group (decile) fitted to the areas (LAs) in it.

    The maximum-likelihood fit of a Poisson (or binomial) GLM with a group factor and log(denominator) offset gives
    every area the expected count n_i * r_g, r_g = sum(O)/sum(n) of its group. phi = Pearson X^2 / (N - G), with
    X^2 = sum (O_i - E_i)^2 / V_i (V_i = E_i for poisson, n_i r_g (1 - r_g) for binomial). Floored at 1 (no
    under-dispersion credit); NaN-free inputs only; 1.0 when N - G < 1."""
    o = np.asarray(numerators, dtype=float)
    n = np.asarray(denominators, dtype=float)
    g = pd.Series(np.asarray(groups)).reset_index(drop=True)
    keep = ~(np.isnan(o) | np.isnan(n) | (n <= 0))
    o, n, g = o[keep], n[keep], g[keep].to_numpy()
    df = pd.DataFrame({"o": o, "n": n, "g": g})
    tot = df.groupby("g")[["o", "n"]].transform("sum")
    r = (tot["o"] / tot["n"]).to_numpy()
    e = n * r
    v = e if family == "poisson" else e * (1 - r)
    ok = v > 0
    dof = ok.sum() - df.loc[ok, "g"].nunique()
    if dof < 1:
        return 1.0
    x2 = float(((o[ok] - e[ok]) ** 2 / v[ok]).sum())
    return max(x2 / dof, 1.0)


def deciles_from_rank(rank, n_areas: int) -> np.ndarray:
    """Decile 1 (most deprived) .. 10 (least deprived) from a rank where 1 = most deprived: ceil(10*rank/N)."""
    r = np.asarray(rank, dtype=float)
    return np.clip(np.ceil(10 * r / n_areas), 1, 10)


def deciles_from_score(score) -> np.ndarray:
    """Decile 1 (most deprived = highest score) .. 10 from scores, by rank among the values given."""
    s = pd.Series(np.asarray(score, dtype=float))
    rank = s.rank(ascending=False, method="first")
    return deciles_from_rank(rank.to_numpy(), int(s.notna().sum()))
