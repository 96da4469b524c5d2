"""Statistics used by the atlas: pure functions, no warehouse access (see pipeline/post/stats/ for the build step).

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

from .funnels import Overdispersion, funnel_flag, funnel_limits, od_funnel_limits, overdispersion
from .inequality import decile_dispersion, deciles_from_rank, deciles_from_score, ridits, sii_rii
from .intervals import BYAR_MIN_COUNT, LEVELS, byar_ci, oe_ci, scale_interval, significance, wilson_ci
from .models import CountFit, fit_count_model, nearest_neighbours, rate_ratio_per, share_explained
from .trends import poisson_trend, poisson_trends_batch

__all__ = ["BYAR_MIN_COUNT", "LEVELS", "CountFit", "Overdispersion", "byar_ci", "decile_dispersion",
           "deciles_from_rank", "deciles_from_score", "fit_count_model", "funnel_flag", "funnel_limits",
           "nearest_neighbours", "od_funnel_limits", "oe_ci", "overdispersion", "poisson_trend", "poisson_trends_batch",
           "rate_ratio_per", "ridits", "scale_interval", "share_explained", "significance", "sii_rii", "wilson_ci"]
