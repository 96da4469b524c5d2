"""Known-answer and synthetic-data tests for pipeline/stats/ (no warehouse needed)."""
import math

import numpy as np
import pandas as pd
import pytest

from pipeline import stats as S


# ---- confidence intervals ------------------------------------------------------------------------------------------
def test_byar_10_events_known_answer():
    lo, hi = S.byar_ci(10, 1)
    assert round(lo, 2) == 4.79 and round(hi, 2) == 18.39


def test_byar_close_to_exact_for_100_events_and_scaled_by_multiplier():
    # exact Poisson 95% limits for 100 events: 81.37, 121.63 (Byar is within 0.05 of them)
    lo, hi = S.byar_ci(100, 10000, multiplier=10000)
    assert lo == pytest.approx(81.37, abs=0.05) and hi == pytest.approx(121.63, abs=0.05)


def test_small_counts_use_exact_poisson():
    lo, hi = S.byar_ci(5, 1)            # exact Poisson 95%: 1.62, 11.67
    assert round(lo, 2) == 1.62 and round(hi, 2) == 11.67
    lo, hi = S.byar_ci(0, 1)            # 0 events: (0, 3.69)
    assert lo == 0 and round(hi, 2) == 3.69
    # 99.8% is wider than 95%
    lo9, hi9 = S.byar_ci(5, 1, level=0.998)
    assert lo9 < 1.62 and hi9 > 11.67


def test_byar_vectorised_and_nan():
    lo, hi = S.byar_ci(np.array([10, np.nan, 3]), np.array([1, 1, 0]))
    assert round(lo[0], 2) == 4.79 and np.isnan(lo[1]) and np.isnan(hi[2])


def test_wilson_5_of_20():
    lo, hi = S.wilson_ci(5, 20)
    assert round(lo, 4) == 0.1119 and round(hi, 4) == 0.4687
    lo, hi = S.wilson_ci(5, 20, multiplier=100)
    assert round(lo, 2) == 11.19


def test_significance():
    out = S.significance([1, 5, 1, np.nan], [3, 9, 9, 2], [4, 4, 4, 4])
    assert list(out) == ["lower", "higher", "similar", "not_compared"]
    assert S.significance(1, 3, np.nan) == "not_compared"


# ---- funnels -------------------------------------------------------------------------------------------------------
def test_funnel_limits_small_denominator_known_answer():
    # target 0.01, n = 100 -> expected 1 event. 97.5% quantile of Poisson(1) is 3, F(3)=0.98101, F(2)=0.91970,
    # alpha = (0.98101-0.975)/(0.98101-0.91970) = 0.0980 -> upper = (3-0.098)/100; lower floored at 0
    lo, hi = S.funnel_limits(0.01, np.array([100.0]), 0.95)
    assert lo[0] == 0 and hi[0] == pytest.approx((3 - 0.09804) / 100, abs=2e-5)


def test_funnel_limits_large_denominator_approach_normal():
    n = np.array([1e7])
    for level, z in ((0.95, 1.959964), (0.998, 3.090232)):
        lo, hi = S.funnel_limits(0.001, n, level)
        se = math.sqrt(0.001 / 1e7)
        assert lo[0] == pytest.approx(0.001 - z * se, rel=2e-4)
        assert hi[0] == pytest.approx(0.001 + z * se, rel=2e-4)


def test_funnel_narrows_with_denominator_and_binomial():
    n = np.geomspace(100, 1e6, 30)
    lo, hi = S.funnel_limits(0.01, n, 0.998)
    assert np.all(np.diff(hi) <= 1e-12) and np.all(hi > 0.01) and np.all(lo < 0.01)
    lo, hi = S.funnel_limits(0.3, np.array([20.0, 2000.0]), 0.95, family="binomial")
    assert hi[0] > hi[1] > 0.3 > lo[1] > lo[0] >= 0


def test_overdispersion_none_for_poisson_data_and_recovers_tau():
    rng = np.random.default_rng(1)
    n = rng.uniform(5000, 50000, 400)
    target = 0.01
    o = rng.poisson(target * n)
    od = S.overdispersion(o / n, n, target)
    assert od.phi < 1.2 and od.tau2 < 2e-7
    # planted between-area SD of 0.002 in the true rate (tau^2 = 4e-6)
    true = target + rng.normal(0, 0.002, len(n))
    o = rng.poisson(true * n)
    od = S.overdispersion(o / n, n, target)
    assert od.method == "additive_random_effects" and od.phi > 2
    assert 0.5 * 4e-6 < od.tau2 < 1.5 * 4e-6
    assert np.all(np.abs(od.z_winsorised) <= np.abs(od.z).max())
    lo, hi = S.od_funnel_limits(target, np.array([1e9]), od.tau2, 0.95)
    assert hi[0] - target == pytest.approx(1.959964 * math.sqrt(od.tau2), rel=1e-3)


def test_funnel_flag():
    assert list(S.funnel_flag([1, 5, 3, np.nan], [2, 2, 2, 2], [4, 4, 4, 4])) == ["lower", "higher", "similar",
                                                                                  "not_compared"]


# ---- trend ---------------------------------------------------------------------------------------------------------
def test_poisson_trend_recovers_rate_ratio():
    years = np.arange(2011, 2026)
    n = np.full(len(years), 1e6)
    counts = np.round(1000 * 1.05 ** (years - 2011))
    t = S.poisson_trend(years, counts, n)
    assert t["rate_ratio_per_year"] == pytest.approx(1.05, abs=0.002) and t["p_value"] < 1e-6
    flat = S.poisson_trend(years, np.full(len(years), 200.0), n)
    assert flat["rate_ratio_per_year"] == pytest.approx(1.0, abs=1e-9) and flat["p_value"] > 0.5
    assert np.isnan(S.poisson_trend([2020, 2021], [1, 2], [10, 10])["p_value"])


# ---- SII / RII -----------------------------------------------------------------------------------------------------
def test_sii_on_synthetic_linear_gradient():
    denom = np.full(10, 1e6)
    x = S.ridits(denom)
    assert x[0] == pytest.approx(0.05) and x[-1] == pytest.approx(0.95)
    rate = 50 + 100 * x                     # per 10,000; least deprived first
    num = rate * denom / 10000
    r = S.sii_rii(num, denom, multiplier=10000)
    assert r["sii"] == pytest.approx(100, rel=1e-9)
    assert r["rii"] == pytest.approx(100 / 100, rel=1e-9)   # SII / mean rate (mean = 100)
    assert r["sii_lower"] < 100 < r["sii_upper"] and r["sii_upper"] - r["sii_lower"] < 10
    rev = S.sii_rii(num[::-1], denom, multiplier=10000)
    assert rev["sii"] == pytest.approx(-100, rel=1e-9)


def test_sii_unequal_group_sizes_uses_ridits():
    denom = np.array([1e6, 3e6, 1e6, 5e6, 2e6])
    x = S.ridits(denom)
    num = (20 + 40 * x) * denom / 1000
    r = S.sii_rii(num, denom, multiplier=1000)
    assert r["sii"] == pytest.approx(40, rel=1e-9)


def test_deciles_from_rank():
    d = S.deciles_from_rank(np.arange(1, 152), 151)
    assert d[0] == 1 and d[-1] == 10 and set(np.bincount(d.astype(int))[1:]) <= {15, 16}
    s = S.deciles_from_score([40, 10, 30, 20, 35, 15, 25, 5, 45, 50])
    assert list(s) == [3, 9, 5, 7, 4, 8, 6, 10, 2, 1]


# ---- count models --------------------------------------------------------------------------------------------------
def _synthetic(n=400, alpha=0.0, seed=7):
    rng = np.random.default_rng(seed)
    north = rng.uniform(0, 6, n)           # 100 km units
    imd = rng.uniform(5, 45, n)
    births = rng.uniform(1000, 20000, n)
    mu = births * 0.004 * 1.15 ** north * 1.03 ** imd
    if alpha:
        mu = mu * rng.gamma(1 / alpha, alpha, n)
    y = rng.poisson(mu)
    X = pd.DataFrame({"const": 1.0, "northing": north, "imd": imd})
    return y, X, np.log(births)


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_glm_recovers_planted_coefficients(family):
    y, X, off = _synthetic(alpha=0.05 if family == "negative_binomial" else 0.0)
    f = S.fit_count_model(y, X, off, family)
    assert math.exp(f.params["northing"]) == pytest.approx(1.15, abs=0.02)
    assert math.exp(f.params["imd"]) == pytest.approx(1.03, abs=0.005)
    assert f.conf_int.loc["imd"][0] < math.log(1.03) < f.conf_int.loc["imd"][1]
    assert f.fitted.sum() == pytest.approx(y.sum(), rel=0.01)
    if family == "negative_binomial":
        assert 0.02 < f.alpha < 0.1


def test_share_explained():
    assert S.share_explained(math.log(1.2), math.log(1.1)) == pytest.approx(1 - math.log(1.1) / math.log(1.2))
    assert math.isnan(S.share_explained(0.0, 0.1))


# ---- neighbours ----------------------------------------------------------------------------------------------------
def test_nearest_neighbours():
    f = pd.DataFrame({"a": np.arange(20.0), "b": np.arange(20.0) * 10}, index=[f"X{i:02d}" for i in range(20)])
    nb = S.nearest_neighbours(f, k=10)
    assert len(nb) == 200
    for code, g in nb.groupby("area_code"):
        assert code not in set(g["neighbour_code"]) and g["neighbour_code"].nunique() == 10
        assert list(g["rank"]) == list(range(1, 11)) and g["distance"].is_monotonic_increasing
    first = nb[(nb["area_code"] == "X00")]
    assert list(first["neighbour_code"][:3]) == ["X01", "X02", "X03"]


def test_tau2_known_answer_small_example():
    # 5 areas (10% winsorising clips none): z = 2,-2,3,-3,0 -> phi = 26/5; w = n/target = 1e6,1e6,4e6,4e6,9e6
    # tau^2 = (N phi - (N-1)) / (sum w - sum w^2 / sum w) = 22 / (19e6 - 115e12/19e6) = 1.6992e-6
    target = 0.01
    n = np.array([1e4, 1e4, 4e4, 4e4, 9e4])
    z = np.array([2, -2, 3, -3, 0.0])
    od = S.overdispersion(target + z * np.sqrt(target / n), n, target)
    assert od.phi == pytest.approx(5.2) and od.tau2 == pytest.approx(22 / (19e6 - 115e12 / 19e6), rel=1e-9)


def test_batch_trends_match_statsmodels():
    rng = np.random.default_rng(3)
    rows = []
    for gi in range(25):
        yrs = np.arange(2011 + gi % 5, 2026)
        n = rng.uniform(2000, 20000, len(yrs))
        mu = n * 0.008 * (0.9 + 0.01 * gi) ** (yrs - 2011) * rng.gamma(5 if gi % 2 else 1000,
                                                                        1 / (5 if gi % 2 else 1000), len(yrs))
        for y_, n_, c in zip(yrs, n, rng.poisson(mu)):
            rows.append((f"G{gi}", y_, c, n_))
    df = pd.DataFrame(rows, columns=["g", "year", "count", "denom"])
    batch = S.poisson_trends_batch(df["g"], df["year"], df["count"], df["denom"]).set_index("group")
    for gid, sub in df.groupby("g"):
        ref = S.poisson_trend(sub["year"], sub["count"], sub["denom"])
        for k in ("rate_ratio_per_year", "rr_lower", "rr_upper", "p_value", "dispersion"):
            # statsmodels IRLS tolerance
            assert batch.at[gid, k] == pytest.approx(ref[k], rel=1e-4, abs=1e-12), (gid, k)
    # an all-zero series is not tested
    z = S.poisson_trends_batch(["a"] * 4, [1, 2, 3, 4], [0, 0, 0, 0], [10, 10, 10, 10])
    assert np.isnan(z["p_value"].iloc[0])
