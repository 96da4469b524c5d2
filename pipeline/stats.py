"""Statistics used by the atlas: pure functions, no warehouse access (see pipeline/post/stats.py for the build step).

Methods and references are in docs/methods.md. In short:
- `byar_ci`        Byar's approximation to the exact Poisson interval (exact chi-squared limits below 10 events),
                   as in the PHE/OHID Fingertips technical guidance;
- `wilson_ci`      Wilson score interval for proportions (the formula of statsmodels' `proportion_confint`,
                   computed here without importing statsmodels);
- `significance`   Fingertips comparison: the area's interval against the comparator's value;
- `funnel_limits`  exact (interpolated) Poisson / binomial control limits around a target (Spiegelhalter 2005a);
- `overdispersion` winsorised z-scores, phi and the additive random-effects tau^2 (Spiegelhalter 2005b);
- `poisson_trend`  Poisson GLM of counts on year with log(denominator) offset (dispersion-adjusted);
- `sii_rii`        slope and relative index of inequality (weighted regression on ridits, Monte Carlo CIs);
- `fit_count_model` Poisson / negative-binomial GLM with an offset;
- `nearest_neighbours` Euclidean distance on standardised variables.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps
from scipy.spatial.distance import cdist
from scipy.stats.mstats import winsorize

# statsmodels is imported where it is used (only the count models need it; `statsmodels.api` alone costs ~0.5 s)

LEVELS = {"95": 0.95, "998": 0.998}
BYAR_MIN_COUNT = 10  # below this, exact Poisson (chi-squared) limits


def _z(level: float) -> float:
    return float(sps.norm.ppf(1 - (1 - level) / 2))


# --------------------------------------------------------------------------------------------------------------------
# 1. Confidence intervals
# --------------------------------------------------------------------------------------------------------------------
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


def _sm():
    """The few statsmodels classes the count models use, imported on first use (cheaper than `statsmodels.api`)."""
    from types import SimpleNamespace

    from statsmodels.discrete.discrete_model import NegativeBinomial
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    return SimpleNamespace(GLM=GLM, families=families, NegativeBinomial=NegativeBinomial)


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


# --------------------------------------------------------------------------------------------------------------------
# 3. Funnel plots
# --------------------------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------------------------
# 4. Trend
# --------------------------------------------------------------------------------------------------------------------
def poisson_trend(years, counts, denoms, level: float = 0.95) -> dict:
    """Poisson GLM log(E[count]) = a + b*year + log(denom) (statsmodels). The dispersion is estimated by
    Pearson chi2 / df and used when > 1 (quasi-Poisson), so over-dispersed series are not over-called.
    Returns rate_ratio_per_year (= exp(b)), its CI, p_value and the dispersion used."""
    yrs = np.asarray(years, dtype=float)
    y = np.asarray(counts, dtype=float)
    n = np.asarray(denoms, dtype=float)
    out = dict(rate_ratio_per_year=np.nan, rr_lower=np.nan, rr_upper=np.nan, p_value=np.nan, dispersion=np.nan)
    if len(y) < 3 or np.all(y == 0):
        return out
    sm = _sm()
    x = np.column_stack([np.ones(len(yrs)), yrs - yrs.mean()])  # add_constant
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # perfect fit / separation warnings on flat or all-but-zero series
        res = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(n)).fit()
        disp = res.pearson_chi2 / res.df_resid if res.df_resid > 0 else 1.0
        if disp > 1:
            res = sm.GLM(y, x, family=sm.families.Poisson(), offset=np.log(n)).fit(scale=disp)
    ci = res.conf_int(alpha=1 - level)[1]
    out.update(rate_ratio_per_year=float(np.exp(res.params[1])), rr_lower=float(np.exp(ci[0])),
               rr_upper=float(np.exp(ci[1])), p_value=float(res.pvalues[1]), dispersion=float(max(disp, 1.0)))
    return out


def poisson_trends_batch(groups, years, counts, denoms, level: float = 0.95, max_iter: int = 50) -> pd.DataFrame:
    """`poisson_trend` for many series at once (one row per group): the same model and dispersion rule, fitted by
    Newton-Raphson on the 2x2 score equations of every group simultaneously (statsmodels' per-series GLM costs ~3 ms a
    fit, too slow for thousands of series at build time). Tests check it against `poisson_trend` (statsmodels)."""
    g_codes, g = np.unique(np.asarray(groups), return_inverse=True)
    k = len(g_codes)
    yr = np.asarray(years, dtype=float)
    y = np.asarray(counts, dtype=float)
    off = np.log(np.asarray(denoms, dtype=float))
    cnt = np.bincount(g, minlength=k).astype(float)
    x = yr - (np.bincount(g, yr, k) / cnt)[g]
    a = np.log(np.maximum(np.bincount(g, y, k), 0.5) / np.bincount(g, np.exp(off), k))
    b = np.zeros(k)
    conv = np.zeros(k, bool)
    with np.errstate(all="ignore"):
        for _ in range(max_iter):
            mu = np.exp(a[g] + b[g] * x + off)
            r = y - mu
            g0, g1 = np.bincount(g, r, k), np.bincount(g, r * x, k)
            h00, h01, h11 = np.bincount(g, mu, k), np.bincount(g, mu * x, k), np.bincount(g, mu * x * x, k)
            det = h00 * h11 - h01 ** 2
            da = (h11 * g0 - h01 * g1) / det
            db = (h00 * g1 - h01 * g0) / det
            step = np.where(np.isfinite(da) & np.isfinite(db), 1.0, 0.0)
            a, b = a + step * np.nan_to_num(da), b + step * np.nan_to_num(db)
            conv = (np.abs(db) < 1e-10) & (np.abs(da) < 1e-10)
            if conv.all():
                break
        mu = np.exp(a[g] + b[g] * x + off)
        h00, h01, h11 = np.bincount(g, mu, k), np.bincount(g, mu * x, k), np.bincount(g, mu * x * x, k)
        var_b = h00 / (h00 * h11 - h01 ** 2)
        pearson = np.bincount(g, (y - mu) ** 2 / mu, k)
        df = cnt - 2
        disp = np.where(df > 0, pearson / df, 1.0)
        se = np.sqrt(var_b * np.maximum(disp, 1.0))
        z = _z(level)
        p = 2 * sps.norm.sf(np.abs(b / se))
    ok = (cnt >= 3) & (np.bincount(g, y, k) > 0) & conv & np.isfinite(se)
    nan = np.full(k, np.nan)
    return pd.DataFrame({"group": g_codes,
                         "rate_ratio_per_year": np.where(ok, np.exp(b), nan),
                         "rr_lower": np.where(ok, np.exp(np.clip(b - z * se, -700, 700)), nan),
                         "rr_upper": np.where(ok, np.exp(np.clip(b + z * se, -700, 700)), nan),
                         "p_value": np.where(ok, p, nan),
                         "dispersion": np.where(ok, np.maximum(disp, 1.0), nan)})


# --------------------------------------------------------------------------------------------------------------------
# 5. Deprivation gradient: SII / RII
# --------------------------------------------------------------------------------------------------------------------
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


def scale_interval(estimate, lower, upper, phi):
    """Quasi-likelihood widening of an interval: each side's distance from the estimate times sqrt(phi) (variance
    times phi), the lower limit floored at 0."""
    est = np.asarray(estimate, dtype=float)
    k = np.sqrt(np.maximum(np.asarray(phi, dtype=float), 1.0))
    lo = np.maximum(est - k * (est - np.asarray(lower, dtype=float)), 0.0)
    hi = est + k * (np.asarray(upper, dtype=float) - est)
    return lo, hi


def deciles_from_rank(rank, n_areas: int) -> np.ndarray:
    """Decile 1 (most deprived) .. 10 (least deprived) from a rank where 1 = most deprived: ceil(10*rank/N)."""
    r = np.asarray(rank, dtype=float)
    return np.clip(np.ceil(10 * r / n_areas), 1, 10)


def deciles_from_score(score) -> np.ndarray:
    """Decile 1 (most deprived = highest score) .. 10 from scores, by rank among the values given."""
    s = pd.Series(np.asarray(score, dtype=float))
    rank = s.rank(ascending=False, method="first")
    return deciles_from_rank(rank.to_numpy(), int(s.notna().sum()))


# --------------------------------------------------------------------------------------------------------------------
# 6. Count models
# --------------------------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------------------------
# 7. Statistical neighbours
# --------------------------------------------------------------------------------------------------------------------
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


def oe_ci(observed, expected, level: float = 0.95):
    """CI for observed/expected with expected treated as fixed (Byar / exact Poisson on the observed count)."""
    return byar_ci(observed, expected, 1, level)


def rate_ratio_per(beta: float, per: float = 1.0) -> float:
    return math.exp(beta * per)
