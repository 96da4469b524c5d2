"""Funnel plots: exact Poisson / binomial control limits (Spiegelhalter 2005a), over-dispersion (Spiegelhalter 2005b)
and the flag of each area against the limits. Pure functions (docs/methods.md)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as sps
from scipy.stats.mstats import winsorize

from .intervals import _z


def _interp_quantile(dist, p):
    """Spiegelhalter (2005a) interpolated quantile of a discrete distribution: r_p - alpha, with
    r_p the smallest r with F(r) >= p and alpha = (F(r_p) - p) / (F(r_p) - F(r_p - 1))."""
    r = dist.ppf(p)
    f_r = dist.cdf(r)
    f_r1 = dist.cdf(r - 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(f_r - f_r1 > 0, (f_r - p) / (f_r - f_r1), 0.0)
    return r - alpha


def funnel_limits(target: float, denom, level: float = 0.95, family: str = "poisson"):
    """Exact control limits (as a rate or proportion, unscaled) around `target` for denominators `denom`.

    poisson: O ~ Poisson(target * n); binomial: O ~ Binomial(n, target). Limits are the interpolated
    (1-level)/2 and 1-(1-level)/2 quantiles of O divided by n (Spiegelhalter 2005a, appendix), floored at 0.
    """
    n = np.asarray(denom, dtype=float)
    p_lo, p_hi = (1 - level) / 2, 1 - (1 - level) / 2
    if family == "poisson":
        dist = sps.poisson(target * n)
    elif family == "binomial":
        dist = sps.binom(np.round(n).astype(int), target)
    else:
        raise ValueError(family)
    lo = np.maximum(_interp_quantile(dist, p_lo), 0) / n
    hi = _interp_quantile(dist, p_hi) / n
    if family == "binomial":
        hi = np.minimum(hi, 1.0)
    return lo, hi


def _variance(target: float, denom, family: str):
    n = np.asarray(denom, dtype=float)
    return target / n if family == "poisson" else target * (1 - target) / n


@dataclass
class Overdispersion:
    z: np.ndarray
    z_winsorised: np.ndarray
    phi: float
    tau2: float
    method: str
    n: int


def overdispersion(y, denom, target: float, family: str = "poisson", winsor: float = 0.10) -> Overdispersion:
    """Spiegelhalter (2005b) over-dispersion: z-scores z_i = (y_i - target)/s_i (y = rate/proportion, unscaled),
    winsorised at the `winsor` and 1-`winsor` percentiles (scipy.stats.mstats.winsorize), phi = mean(z_w^2);
    if N*phi > N-1 the additive random-effects variance
    tau^2 = (N*phi - (N-1)) / (sum w_i - sum w_i^2 / sum w_i), w_i = 1/s_i^2, else tau^2 = 0."""
    y = np.asarray(y, dtype=float)
    s2 = _variance(target, denom, family)
    z = (y - target) / np.sqrt(s2)
    n = len(z)
    if n < 3:
        return Overdispersion(z, z.copy(), float("nan"), 0.0, "too_few_areas", n)
    zw = np.asarray(winsorize(z, limits=(winsor, winsor)), dtype=float)
    phi = float(np.mean(zw ** 2))
    if n * phi > n - 1:
        w = 1 / s2
        tau2 = float((n * phi - (n - 1)) / (w.sum() - (w ** 2).sum() / w.sum()))
        method = "additive_random_effects"
    else:
        tau2 = 0.0
        method = "none_not_overdispersed"
    return Overdispersion(z, zw, phi, tau2, method, n)


def od_funnel_limits(target: float, denom, tau2: float, level: float = 0.95, family: str = "poisson"):
    """Over-dispersion-adjusted limits target -/+ z * sqrt(s_i^2 + tau^2) (normal approximation), floored at 0."""
    z = _z(level)
    sd = np.sqrt(_variance(target, denom, family) + tau2)
    lo = np.maximum(target - z * sd, 0)
    hi = target + z * sd
    if family == "binomial":
        hi = np.minimum(hi, 1.0)
    return lo, hi


def funnel_flag(value, lower, upper):
    """'higher' above the upper limit, 'lower' below the lower limit, 'similar' within, 'not_compared' if NaN."""
    v = np.asarray(value, dtype=float)
    out = np.where(v > np.asarray(upper), "higher", np.where(v < np.asarray(lower), "lower", "similar")).astype(object)
    out = np.where(np.isnan(v), "not_compared", out)
    return out
