"""Confidence intervals and comparisons: Byar / exact Poisson for rates, Wilson for proportions, the Fingertips
significance comparison, quasi-likelihood widening, observed/expected. Pure functions (docs/methods.md)."""
from __future__ import annotations

import numpy as np
from scipy import stats as sps

LEVELS = {"95": 0.95, "998": 0.998}
BYAR_MIN_COUNT = 10  # below this, exact Poisson (chi-squared) limits


def _z(level: float) -> float:
    return float(sps.norm.ppf(1 - (1 - level) / 2))


def byar_ci(count, denom, multiplier: float = 1, level: float = 0.95):
    """Confidence interval for a rate count/denom*multiplier.

    Byar's approximation (Breslow & Day 1987) for count >= 10; exact Poisson limits via the chi-squared
    distribution for smaller counts (Fingertips technical guidance). Scalars or arrays; returns (lower, upper).
    NaN in, NaN out.
    """
    o = np.asarray(count, dtype=float)
    n = np.asarray(denom, dtype=float)
    a = 1 - level
    z = _z(level)
    with np.errstate(invalid="ignore", divide="ignore"):
        small = o < BYAR_MIN_COUNT
        # exact (chi-squared) limits
        ex_lo = np.where(o > 0, sps.chi2.ppf(a / 2, 2 * np.maximum(o, 1e-12)) / 2, 0.0)
        ex_hi = sps.chi2.ppf(1 - a / 2, 2 * o + 2) / 2
        # Byar
        by_lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
        o1 = o + 1
        by_hi = o1 * (1 - 1 / (9 * o1) + z / (3 * np.sqrt(o1))) ** 3
        lo = np.where(small, ex_lo, by_lo) / n * multiplier
        hi = np.where(small, ex_hi, by_hi) / n * multiplier
    bad = np.isnan(o) | np.isnan(n) | (n <= 0) | (o < 0)
    lo = np.where(bad, np.nan, lo)
    hi = np.where(bad, np.nan, hi)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def wilson_ci(k, n, level: float = 0.95, multiplier: float = 1):
    """Wilson score interval for a proportion k/n (same result as statsmodels `proportion_confint(method='wilson')`,
    computed by `_wilson` without importing statsmodels)."""
    k_ = np.asarray(k, dtype=float)
    n_ = np.asarray(n, dtype=float)
    bad = np.isnan(k_) | np.isnan(n_) | (n_ <= 0) | (k_ < 0) | (k_ > n_)
    ks = np.where(bad, 0, k_)
    ns = np.where(bad, 1, n_)
    lo, hi = _wilson(ks, ns, 1 - level)
    lo = np.where(bad, np.nan, np.asarray(lo) * multiplier)
    hi = np.where(bad, np.nan, np.asarray(hi) * multiplier)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def _wilson(count, nobs, alpha):
    """statsmodels `proportion_confint(count, nobs, alpha, method="wilson")`, the same operations in the same order
    (so bit-identical), without importing statsmodels."""
    count_a, nobs_a = np.asarray(count), np.asarray(nobs)
    q_ = count_a / nobs_a
    crit = sps.norm.isf(alpha / 2.0)
    crit2 = crit**2
    denom = 1 + crit2 / nobs_a
    center = (q_ + crit2 / (2 * nobs_a)) / denom
    dist = crit * np.sqrt(q_ * (1.0 - q_) / nobs_a + crit2 / (4.0 * nobs_a**2))
    dist /= denom
    return np.clip(center - dist, 0, 1), np.clip(center + dist, 0, 1)


def significance(lower, upper, reference):
    """Fingertips comparison of an area's CI with a comparator's value.

    'higher' when the lower limit is above the reference, 'lower' when the upper limit is below it, 'similar' when
    the interval contains it, 'not_compared' when anything is missing. Scalars or arrays.
    """
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    ref = np.asarray(reference, dtype=float)
    out = np.where(lo > ref, "higher", np.where(hi < ref, "lower", "similar")).astype(object)
    out = np.where(np.isnan(lo) | np.isnan(hi) | np.isnan(ref), "not_compared", out)
    if out.ndim == 0:
        return str(out)
    return out


def scale_interval(estimate, lower, upper, phi):
    """Quasi-likelihood widening of an interval: each side's distance from the estimate times sqrt(phi) (variance
    times phi), the lower limit floored at 0."""
    est = np.asarray(estimate, dtype=float)
    k = np.sqrt(np.maximum(np.asarray(phi, dtype=float), 1.0))
    lo = np.maximum(est - k * (est - np.asarray(lower, dtype=float)), 0.0)
    hi = est + k * (np.asarray(upper, dtype=float) - est)
    return lo, hi


def oe_ci(observed, expected, level: float = 0.95):
    """CI for observed/expected with expected treated as fixed (Byar / exact Poisson on the observed count)."""
    return byar_ci(observed, expected, 1, level)
