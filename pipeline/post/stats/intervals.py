"""Statistics step, 1-2: confidence intervals of every rate and proportion in `indicator_values` (95% and 99.8%) and
their comparison with England and the region (columns added to `indicator_values`)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext
from ...domain import ENGLAND, HAS_VALUE, ci


def confidence_intervals(iv: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
    df = iv.copy()
    usable = (df["value_type"].isin(["rate", "proportion"]) & df["status"].isin(HAS_VALUE)
              & df["numerator"].notna() & df["denominator"].gt(0))
    for key, level in S.LEVELS.items():
        df[f"lower_{key}"] = np.nan
        df[f"upper_{key}"] = np.nan
        for vt in ("rate", "proportion"):
            m = usable & (df["value_type"] == vt)
            if not m.any():
                continue
            sub = df[m]
            lo, hi = ci(vt, sub["numerator"], sub["denominator"], sub["multiplier"].to_numpy(), level)
            df.loc[m, f"lower_{key}"] = lo
            df.loc[m, f"upper_{key}"] = hi
    # comparators: the England / region value of the same measure and period
    df = df.merge(areas[["area_code", "area_type", "region_code", "country"]], on="area_code", how="left")
    key = ["measure_id", "year", "period_label"]
    val = df[df["status"].isin(HAS_VALUE)][key + ["area_code", "value"]]
    eng = val[val["area_code"] == ENGLAND].drop(columns="area_code").rename(columns={"value": "eng_value"})
    reg = val.rename(columns={"area_code": "region_code", "value": "reg_value"})
    df = df.merge(eng, on=key, how="left").merge(reg, on=key + ["region_code"], how="left")
    # rate-like measures: rates / proportions published with numerators and denominators (others get NULL flags)
    with_nd = set(df.loc[df["numerator"].notna() & df["denominator"].notna(), "measure_id"])
    is_rate = df["value_type"].isin(["rate", "proportion"]) & df["measure_id"].isin(with_nd)
    for k in S.LEVELS:
        e = S.significance(df[f"lower_{k}"], df[f"upper_{k}"], df["eng_value"])
        r = S.significance(df[f"lower_{k}"], df[f"upper_{k}"], df["reg_value"])
        e = np.where(df["area_code"] == ENGLAND, "not_compared", e)
        r = np.where(df["area_type"] == "la", r, "not_compared")
        df[f"sig_england_{k}"] = np.where(is_rate, e, None)
        df[f"sig_region_{k}"] = np.where(is_rate, r, None)
    return df


CI_COLS = ["lower_95", "upper_95", "lower_998", "upper_998", "sig_england_95", "sig_england_998", "sig_region_95",
           "sig_region_998"]


def write_iv_columns(ctx: BuildContext, df: pd.DataFrame) -> None:
    key = ["measure_id", "area_code", "year", "period_label"]
    add = df[key + CI_COLS].copy()
    for c in CI_COLS[:4]:
        add[c] = add[c].astype(float)
    for c in CI_COLS[4:]:
        add[c] = add[c].astype(object)
    ctx.con.register("_stats_ci", add)
    try:
        ctx.con.execute(f"""CREATE OR REPLACE TABLE indicator_values AS
            SELECT v.*, {', '.join(f'CAST(c.{x} AS {"DOUBLE" if i < 4 else "VARCHAR"}) AS {x}'
                                   for i, x in enumerate(CI_COLS))}
            FROM indicator_values v LEFT JOIN _stats_ci c
              ON v.measure_id = c.measure_id AND v.area_code = c.area_code AND v.year = c.year
             AND v.period_label IS NOT DISTINCT FROM c.period_label
            ORDER BY v.measure_id, v.area_code, v.year, v.period_label""")
    finally:
        ctx.con.unregister("_stats_ci")
