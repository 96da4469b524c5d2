"""Statistics step, 4: the trend of each rate series (first and last value, Poisson trend test)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext


def write_trends(ctx: BuildContext, rates: pd.DataFrame, iv: pd.DataFrame) -> None:
    d = rates.copy()
    dup = d.duplicated(["measure_id", "area_code", "year"], keep=False)  # several periods a year: no simple trend
    bad = set(map(tuple, d.loc[dup, ["measure_id", "area_code"]].drop_duplicates().to_numpy()))
    if bad:
        d = d[~pd.Series(list(zip(d["measure_id"], d["area_code"])), index=d.index).isin(bad)]
    d = d.sort_values(["measure_id", "area_code", "year"])
    d["grp"] = d["measure_id"] + "|" + d["area_code"]
    fit = S.poisson_trends_batch(d["grp"], d["year"], d["numerator"], d["denominator"]).set_index("group")
    gb = d.groupby("grp", sort=True)
    first, last = gb.first(), gb.last()
    out = pd.DataFrame({"measure_id": first["measure_id"], "area_code": first["area_code"],
                        "first_year": first["year"].astype(int), "last_year": last["year"].astype(int),
                        "first_value": first["value"].astype(float), "last_value": last["value"].astype(float)})
    out["change_abs"] = out["last_value"] - out["first_value"]
    out["change_pct"] = np.where(out["first_value"] > 0, (out["last_value"] / out["first_value"] - 1) * 100, np.nan)
    out = out.join(fit)
    rr = out["rate_ratio_per_year"]
    out["direction"] = np.where(rr.isna(), "not_tested",
                                np.where(rr > 1, "increasing", np.where(rr < 1, "decreasing", "no_change")))
    out["significant"] = np.where(out["p_value"].isna(), None, out["p_value"] < 0.05)
    out["n_years"] = gb.size()
    out["n_fallback_years"] = (d["status"] == "denominator_fallback").groupby(d["grp"], sort=True).sum().astype(int)
    cols = ["measure_id", "area_code", "first_year", "last_year", "first_value", "last_value", "change_abs",
            "change_pct", "rate_ratio_per_year", "p_value", "direction", "significant", "rr_lower", "rr_upper",
            "dispersion", "n_years", "n_fallback_years"]
    ctx.put("trends", out.reset_index(drop=True)[cols])
