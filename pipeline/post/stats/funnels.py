"""Statistics step, 3: funnel points, exact and over-dispersion-adjusted limits, and parameters for every (measure,
year, period) with a comparator (England and the English LAs; a Wales-only measure uses Wales and the Welsh LAs)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext
from ...domain import ENGLAND, WALES


def write_funnels(ctx: BuildContext, rates: pd.DataFrame, areas: pd.DataFrame) -> None:
    """Funnel points, limits and over-dispersion parameters for every (measure, year, period). Plain NumPy over the
    rows of each group (pandas' per-group filtering of Arrow strings cost more than the statistics)."""
    keys = ["measure_id", "year", "period_label"]
    r = rates.reset_index(drop=True)
    gid = r.groupby(keys, sort=True).ngroup().to_numpy()  # sorted group number, -1 for a missing key (dropped)
    order = np.argsort(gid, kind="stable")
    order = order[gid[order] >= 0]
    bounds = np.flatnonzero(np.diff(gid[order])) + 1
    mids, years, pls = (r[k].to_numpy(object) for k in keys)
    code = r["area_code"].to_numpy(object)
    is_la = (r["area_type"] == "la").to_numpy(bool)
    country_a = r["country"].to_numpy(object)
    value = r["value"].to_numpy(float)
    num = r["numerator"].to_numpy(float)
    den = r["denominator"].to_numpy(float)
    mult_a = r["multiplier"].to_numpy(float)
    vtype = r["value_type"].to_numpy(object)
    pts, lims, params, exact = [], [], [], []
    for idx in np.split(order, bounds) if len(order) else []:
        i0 = idx[0]
        mid, year, pl = mids[i0], years[i0], pls[i0]
        mult = float(mult_a[i0])
        family = "poisson" if vtype[i0] == "rate" else "binomial"
        # comparator: England and the English LAs; a Wales-only measure uses Wales and the Welsh LAs
        for nation, country in ((ENGLAND, "England"), (WALES, "Wales")):
            tgt = idx[code[idx] == nation]
            sub = idx[is_la[idx] & (country_a[idx] == country)]
            if len(tgt) and len(sub) >= 5:
                break
        else:
            continue
        target = float(value[tgt[0]]) / mult
        if not target > 0 or (family == "binomial" and target >= 1):
            continue
        n = den[sub]
        y = num[sub] / n
        od = S.overdispersion(y, n, target, family)
        grid = np.geomspace(max(n.min() * 0.5, 1), n.max() * 1.5, 120)
        both = np.concatenate([n, grid])
        p = {"measure_id": mid, "year": int(year), "period_label": pl, "area_code": code[sub],
             "numerator": num[sub], "denominator": n, "value": y * mult, "z": od.z, "z_winsorised": od.z_winsorised}
        lim = {"measure_id": mid, "year": int(year), "period_label": pl, "denominator": grid, "target": target * mult}
        for k, level in S.LEVELS.items():
            lo, hi = S.od_funnel_limits(target, both, od.tau2, level, family)
            p[f"flag_od_{k}"] = S.funnel_flag(y, lo[:len(n)], hi[:len(n)])
            lim[f"lower_{k}_od"], lim[f"upper_{k}_od"] = lo[len(n):] * mult, hi[len(n):] * mult
        pts.append(p)
        lims.append(lim)
        exact.append((family, target, both, len(n), mult, y))
        params.append(dict(measure_id=mid, year=int(year), period_label=pl, target=target * mult, phi=od.phi,
                           tau2=od.tau2 * mult ** 2, method=od.method, n_areas=od.n, comparator=nation,
                           family=family))
    _exact_limits(exact, pts, lims)
    pts = [_stack(pts, ["measure_id", "year", "period_label"])] if pts else []
    lims = [_stack(lims, ["measure_id", "year", "period_label", "target"])] if lims else []
    cols_p = ["measure_id", "year", "area_code", "numerator", "denominator", "value", "z", "z_winsorised", "flag_95",
              "flag_998", "flag_od_95", "flag_od_998", "period_label"]
    cols_l = ["measure_id", "year", "denominator", "target", "lower_95", "upper_95", "lower_998", "upper_998",
              "lower_95_od", "upper_95_od", "lower_998_od", "upper_998_od", "period_label"]
    ctx.put("funnel_points", pd.concat(pts, ignore_index=True)[cols_p] if pts else pd.DataFrame(columns=cols_p))
    ctx.put("funnel_limits", pd.concat(lims, ignore_index=True)[cols_l] if lims else pd.DataFrame(columns=cols_l))
    ctx.put("funnel_params", pd.DataFrame(params, columns=["measure_id", "year", "target", "phi", "tau2", "method",
                                                           "n_areas", "period_label", "comparator", "family"]))


def _exact_limits(exact: list[tuple], pts: list[dict], lims: list[dict]) -> None:
    """Exact limits and flags of every group, added to its points and limits: one vectorised call per family and level
    for all groups (elementwise, so identical to per-group calls; scipy's distribution machinery costs ~1 ms a call).
    `exact` holds (family, target, denominators of the points then the grid, number of points, multiplier, values)."""
    for family in ("poisson", "binomial"):
        idx = [i for i, e in enumerate(exact) if e[0] == family]
        if not idx:
            continue
        tg = np.concatenate([np.full(len(exact[i][2]), exact[i][1]) for i in idx])
        dn = np.concatenate([exact[i][2] for i in idx])
        ends = np.cumsum([len(exact[i][2]) for i in idx])[:-1]
        for k, level in S.LEVELS.items():
            lo_all, hi_all = S.funnel_limits(tg, dn, level, family)
            for i, lo, hi in zip(idx, np.split(lo_all, ends), np.split(hi_all, ends)):
                _, _, _, m, mult, y = exact[i]
                pts[i][f"flag_{k}"] = S.funnel_flag(y, lo[:m], hi[:m])
                lims[i][f"lower_{k}"], lims[i][f"upper_{k}"] = lo[m:] * mult, hi[m:] * mult


def _stack(parts: list[dict], scalars: list[str]) -> pd.DataFrame:
    """One frame from per-group dicts of equal-length arrays plus per-group scalars (repeated)."""
    lens = [len(next(v for k, v in p.items() if k not in scalars)) for p in parts]
    out = {}
    for k in parts[0]:
        if k in scalars:
            out[k] = np.repeat(np.array([p[k] for p in parts], dtype=object if isinstance(parts[0][k], str) else None),
                               lens)
        else:
            out[k] = np.concatenate([p[k] for p in parts])
    return pd.DataFrame(out)
