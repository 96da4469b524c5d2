"""Post step: statistics computed at build time (methods in pipeline/stats.py, documented in docs/methods.md).

Adds to `indicator_values`: lower_95, upper_95, lower_998, upper_998, sig_england_95, sig_england_998, sig_region_95,
sig_region_998. Writes funnel_points, funnel_limits, funnel_params, trends, deprivation_gradient, inequality_indices,
ns_models, ns_summary, ns_expected, stat_neighbours, stat_neighbour_variables.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .. import stats as S
from ..context import BuildContext
from ..domain import ENGLAND, HAS_VALUE, WALES, carried_forward, ci

REQUIRES = ("indicator_values", "measures", "areas", "area_successors", "la_geo", "la_area_km2",
            "stg_lad_population", "stg_ltla22_utla22", "stg_births")
PRODUCES = ("indicator_values:ci", "funnel_points", "funnel_limits", "funnel_params", "trends", "deprivation_gradient",
            "inequality_indices", "ns_models", "ns_summary", "ns_expected", "stat_neighbours",
            "stat_neighbour_variables")

NS_MEASURE = "cla_starts_u1_rate"
NS_POOLED = (2014, 2024)  # years with live-births denominators for every LA (no fallback)
FAMILIES = ("poisson", "negative_binomial")
PRIMARY_FAMILY = "negative_binomial"


# --------------------------------------------------------------------------------------------------------------------
def run(ctx: BuildContext) -> None:
    iv = ctx.df("""SELECT v.measure_id, v.area_code, v.year, v.period_label, v.value, v.numerator, v.denominator,
                          v.status, m.value_type, m.multiplier, m.period_type
                   FROM indicator_values v JOIN measures m USING (measure_id)""")
    areas = ctx.df("SELECT area_code, area_name, area_type, region_code, country, valid_to FROM areas")
    succ = ctx.df("SELECT old_code, new_code, change_type, additive FROM area_successors")
    ci = _confidence_intervals(iv, areas)
    _write_iv_columns(ctx, ci)
    rates = ci[ci["lower_95"].notna()].copy()
    _funnels(ctx, rates, areas)
    _trends(ctx, rates, iv)
    _deprivation(ctx, rates, iv, areas, succ)
    _north_south(ctx, iv, areas, succ)
    _neighbours(ctx, iv, areas, succ)


# --------------------------------------------------------------------------------------------------------------------
# 1-2. CIs and significance
# --------------------------------------------------------------------------------------------------------------------
def _confidence_intervals(iv: pd.DataFrame, areas: pd.DataFrame) -> pd.DataFrame:
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


def _write_iv_columns(ctx: BuildContext, df: pd.DataFrame) -> None:
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


# --------------------------------------------------------------------------------------------------------------------
# 3. Funnels
# --------------------------------------------------------------------------------------------------------------------
def _funnels(ctx: BuildContext, rates: pd.DataFrame, areas: pd.DataFrame) -> None:
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
    # exact limits: one vectorised call per family and level for all groups (elementwise, so identical to per-group
    # calls; scipy's distribution machinery costs ~1 ms a call)
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


# --------------------------------------------------------------------------------------------------------------------
# 4. Trends
# --------------------------------------------------------------------------------------------------------------------
def _trends(ctx: BuildContext, rates: pd.DataFrame, iv: pd.DataFrame) -> None:
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


# --------------------------------------------------------------------------------------------------------------------
# helpers: area covariates
# --------------------------------------------------------------------------------------------------------------------
def _extend_by_successors(values: dict, succ: pd.DataFrame) -> dict:
    """Give a code without a value the value of its successor(s) (mean if several) or, failing that, of its
    predecessor for a recode. Used only for continuous covariates (northing, IMD score) of historic/new LA codes -
    never for deciles (an average of deciles is not a decile: see `_extend_deciles`)."""
    out = dict(values)
    for _ in range(3):
        for old, g in succ.groupby("old_code"):
            if old not in out:
                v = [out[c] for c in g["new_code"] if c in out]
                if v:
                    out[old] = float(np.mean(v))
        for r in carried_forward(out, succ[succ["change_type"] == "recode"]):
            out[r.new_code] = out[r.old_code]
    return out


def decile_of_score(score: float, scores: dict, deciles: dict) -> int:
    """The decile a score falls in against an edition's own cut points: decile d holds the scores from the lowest
    score of an LA in decile d upwards (1 = most deprived = highest scores)."""
    lower = {}
    for c, d in deciles.items():
        if c in scores:
            lower[int(d)] = min(lower.get(int(d), math.inf), scores[c])
    for d in sorted(lower):
        if score >= lower[d]:
            return d
    return max(lower)


def _extend_deciles(deciles: dict, scores: dict, succ: pd.DataFrame, weights: dict) -> tuple[dict, set]:
    """Deciles for codes the edition has no figure for, always whole deciles (never an average of deciles):
    - one successor (a recode, or a merger into one LA): that LA's decile; a recode's new code takes the old one's;
    - a county split into successors that make it up exactly (every row `additive`): its population-weighted score
      (weights: ONS mid-2020 population, all ages) placed against the edition's cut points (`decile_of_score`);
    - otherwise (e.g. Dorset county, split between Dorset and BCP with Bournemouth and Poole): excluded from the
      decile analyses. Returns (deciles, excluded codes)."""
    out = {c: int(d) for c, d in deciles.items()}
    sc = dict(scores)
    excluded: set = set()
    for _ in range(3):
        for old, g in succ.groupby("old_code"):
            if old in out:
                continue
            new = list(g["new_code"])
            if len(new) == 1:
                if new[0] in out:
                    out[old] = out[new[0]]
                    if new[0] in sc:
                        sc[old] = sc[new[0]]
                continue
            if not g["additive"].astype(bool).all():
                excluded.add(old)
                continue
            if all(c in sc and c in out and weights.get(c, 0) > 0 for c in new):
                sc[old] = float(np.average([sc[c] for c in new], weights=[weights[c] for c in new]))
                out[old] = decile_of_score(sc[old], scores, deciles)
        for r in succ[succ["change_type"] == "recode"].itertuples():
            if r.new_code not in out and r.old_code in out:
                out[r.new_code] = out[r.old_code]
                if r.old_code in sc:
                    sc[r.new_code] = sc[r.old_code]
    return out, excluded - set(out)


def _measure_by_code(iv: pd.DataFrame, measure_id: str) -> dict:
    m = iv[(iv["measure_id"] == measure_id) & iv["status"].isin(HAS_VALUE)]
    if m.empty:
        return {}
    m = m.sort_values("year").drop_duplicates("area_code", keep="last")
    return dict(zip(m["area_code"], m["value"].astype(float)))


def _table_exists(ctx: BuildContext, name: str) -> bool:
    return bool(ctx.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [name])["n"].iloc[0])


def _northing_km(ctx: BuildContext, succ: pd.DataFrame) -> tuple[dict, str]:
    """North-south position in km: `la_geo.north_south_km` (geometry reference step)."""
    g = ctx.df("SELECT area_code, north_south_km FROM la_geo WHERE north_south_km IS NOT NULL")
    vals = dict(zip(g["area_code"], g["north_south_km"].astype(float)))
    return _extend_by_successors(vals, succ), "la_geo.north_south_km"


def _imd_deciles(iv: pd.DataFrame, succ: pd.DataFrame, weights: dict | None = None) -> dict[str, dict]:
    """{edition: {area_code: decile}} with 1 = most deprived, whole deciles only. Uses the imd2019_decile /
    imd2025_decile measures when the build has them, else deciles of the IMD 2019 rank of average score among the
    2019 upper-tier LAs. Codes without a figure in the edition: see `_extend_deciles`."""
    out = {}
    weights = weights or {}
    for edition, mid, score in (("IoD2019", "imd2019_decile", "imd2019_score"),
                                ("IoD2025", "imd2025_decile", "imd2025_score")):
        v = _measure_by_code(iv, mid)
        if v:
            out[edition] = _extend_deciles(v, _measure_by_code(iv, score), succ, weights)[0]
    if "IoD2019" not in out:
        rank = _measure_by_code(iv, "imd2019_rank")
        if rank:
            n = max(rank.values())
            dec = {c: int(d) for c, d in zip(rank, S.deciles_from_rank(list(rank.values()), n))}
            out["IoD2019"] = _extend_deciles(dec, _measure_by_code(iv, "imd2019_score"), succ, weights)[0]
    return out


def _decile_weights(ctx: BuildContext) -> dict:
    """ONS mid-2020 population (all ages) of every district and upper-tier LA, 2023 unitaries composed from their
    districts: the weights of a split county's score (the IoD2025 upper-tier scores use the same year)."""
    from .. import config
    try:
        pop = _population_2020(ctx)
    except (KeyError, OSError):
        return {}
    comp = pd.read_csv(config.DATA / "denominator_components.csv", dtype=str)
    for tgt, g in comp.groupby("target_code"):
        if tgt not in pop and all(c in pop for c in g["component_code"]):
            pop[tgt] = float(sum(pop[c] for c in g["component_code"]))
    return pop


# --------------------------------------------------------------------------------------------------------------------
# 5. Deprivation gradient
# --------------------------------------------------------------------------------------------------------------------
def _deprivation(ctx: BuildContext, rates: pd.DataFrame, iv: pd.DataFrame, areas: pd.DataFrame,
                 succ: pd.DataFrame) -> None:
    dec_rows, ineq_rows = [], []
    la = rates[(rates["area_type"] == "la") & (rates["country"] == "England")]
    for edition, deciles in _imd_deciles(iv, succ, _decile_weights(ctx)).items():
        d = la.assign(decile=la["area_code"].map(deciles)).dropna(subset=["decile"])
        if d.empty:
            continue
        d["decile"] = d["decile"].astype(int)
        # over-dispersion: Pearson phi of the one-rate-per-decile fit to the LAs (quasi-Poisson / quasi-binomial)
        phis = {k: S.decile_dispersion(g["numerator"], g["denominator"], g["decile"],
                                       "poisson" if g["value_type"].iloc[0] == "rate" else "binomial")
                for k, g in d.groupby(["measure_id", "year", "period_label"], sort=False)}
        agg = d.groupby(["measure_id", "year", "period_label", "decile"]).agg(
            numerator=("numerator", "sum"), denominator=("denominator", "sum"), n_areas=("area_code", "nunique"),
            multiplier=("multiplier", "first"), value_type=("value_type", "first")).reset_index()
        agg["rate"] = agg["numerator"] / agg["denominator"] * agg["multiplier"]
        agg["lower_95"], agg["upper_95"] = np.nan, np.nan
        for vt, m in (("rate", agg["value_type"] == "rate"), ("proportion", agg["value_type"] == "proportion")):
            if m.any():
                sub = agg[m]
                lo, hi = ci(vt, sub["numerator"], sub["denominator"], sub["multiplier"].to_numpy(), 0.95)
                agg.loc[m, "lower_95"], agg.loc[m, "upper_95"] = lo, hi
        agg["imd_edition"] = edition
        agg["phi"] = [phis[k] for k in zip(agg["measure_id"], agg["year"], agg["period_label"])]
        agg["lower_95_poisson"], agg["upper_95_poisson"] = agg["lower_95"], agg["upper_95"]
        agg["lower_95"], agg["upper_95"] = S.scale_interval(agg["rate"], agg["lower_95"], agg["upper_95"], agg["phi"])
        prop = agg["value_type"] == "proportion"  # a widened proportion never exceeds 100%
        agg.loc[prop, "upper_95"] = np.minimum(agg.loc[prop, "upper_95"], agg.loc[prop, "multiplier"])
        for (mid, year, pl), g in agg.groupby(["measure_id", "year", "period_label"], sort=True):
            if len(g) < 5:
                continue
            dec_rows.append(g)
            o = g.sort_values("decile", ascending=False)  # least deprived (10) first
            phi = float(g["phi"].iloc[0])
            r = S.sii_rii(o["numerator"], o["denominator"], float(g["multiplier"].iloc[0]), phi=phi)
            r0 = S.sii_rii(o["numerator"], o["denominator"], float(g["multiplier"].iloc[0]))
            ineq_rows.append(dict(measure_id=mid, year=int(year), imd_edition=edition, **r, period_label=pl,
                                  n_deciles=len(g), phi=phi, sii_lower_poisson=r0["sii_lower"],
                                  sii_upper_poisson=r0["sii_upper"]))
    cols = ["measure_id", "year", "imd_edition", "decile", "numerator", "denominator", "rate", "lower_95", "upper_95",
            "n_areas", "period_label", "phi", "lower_95_poisson", "upper_95_poisson"]
    ctx.put("deprivation_gradient", pd.concat(dec_rows, ignore_index=True)[cols] if dec_rows
            else pd.DataFrame(columns=cols))
    icols = ["measure_id", "year", "imd_edition", "sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper",
             "period_label", "n_deciles", "phi", "sii_lower_poisson", "sii_upper_poisson"]
    ctx.put("inequality_indices", pd.DataFrame(ineq_rows, columns=icols))


# --------------------------------------------------------------------------------------------------------------------
# 6. North-south models
# --------------------------------------------------------------------------------------------------------------------
TERMS = {"northing": "northing_per_100km", "imd": "imd2019_score_per_point", "mbu": "mbu_distance_per_10km"}


def _north_south(ctx: BuildContext, iv: pd.DataFrame, areas: pd.DataFrame, succ: pd.DataFrame) -> None:
    north, north_src = _northing_km(ctx, succ)
    imd = _extend_by_successors(_measure_by_code(iv, "imd2019_score"), succ)
    mbu = _measure_by_code(iv, "mbu_distance_km")
    eng_la = set(areas.loc[(areas["area_type"] == "la") & (areas["country"] == "England"), "area_code"])
    d = iv[(iv["measure_id"] == NS_MEASURE) & iv["status"].isin(HAS_VALUE) & iv["area_code"].isin(eng_la)
           & iv["numerator"].notna() & iv["denominator"].gt(0)].copy()
    d["northing"] = d["area_code"].map(north) / 100  # in units of 100 km
    d["imd"] = d["area_code"].map(imd)
    d["mbu"] = d["area_code"].map(mbu) / 10 if mbu else np.nan  # in units of 10 km
    d = d.dropna(subset=["northing", "imd"])
    specs = {"a_northing": ["northing"], "b_imd": ["imd"], "c_both": ["northing", "imd"],
             "d_services": ["northing", "imd", "mbu"]}
    periods = [(str(y), [y]) for y in sorted(d["year"].unique())]
    periods.append((f"{NS_POOLED[0]}-{NS_POOLED[1]}", list(range(NS_POOLED[0], NS_POOLED[1] + 1))))
    mrows, srows, erows = [], [], []
    for period, years in periods:
        g = d[d["year"].isin(years)].reset_index(drop=True)
        if g["area_code"].nunique() < 30:
            continue
        fits = {}
        for model, vars_ in specs.items():
            if "mbu" in vars_:
                if not mbu:
                    continue
                gg = g.dropna(subset=["mbu"]).reset_index(drop=True)
            else:
                gg = g
            X = gg[vars_].astype(float)
            X = X - X.mean()  # centred: slopes unchanged, better-conditioned NB fits
            if len(years) > 1:  # pooled: year fixed effects
                X = pd.concat([X, pd.get_dummies(gg["year"], prefix="year", drop_first=True, dtype=float)], axis=1)
            X.insert(0, "const", 1.0)
            for fam in FAMILIES:
                try:
                    f = S.fit_count_model(gg["numerator"], X, np.log(gg["denominator"].astype(float)), fam)
                except Exception as e:  # noqa: BLE001 - a non-converging year must not break the build
                    ctx.warn(f"stats: {fam} model {model} for {period} failed: {e}")
                    continue
                fits[(model, fam)] = (f, gg)
                for v in vars_:
                    ci = f.conf_int.loc[v]
                    mrows.append(dict(period=period, model=model, term=TERMS[v], coef=math.exp(f.params[v]),
                                      ci_lower=math.exp(ci[0]), ci_upper=math.exp(ci[1]),
                                      p_value=float(f.pvalues[v]), n=f.n, aic=f.aic, deviance=f.deviance,
                                      pearson_chi2=f.pearson_chi2, family=fam, alpha=f.alpha,
                                      n_areas=int(gg["area_code"].nunique()), northing_source=north_src))
        a, c = fits.get(("a_northing", PRIMARY_FAMILY)), fits.get(("c_both", PRIMARY_FAMILY))
        if not (a and c):
            continue
        fa, fc = a[0], c[0]
        b_un, b_adj = float(fa.params["northing"]), float(fc.params["northing"])
        share = S.share_explained(b_un, b_adj)
        ci_a, ci_c = fa.conf_int.loc["northing"], fc.conf_int.loc["northing"]
        srows.append(dict(period=period, northing_rr_unadjusted=math.exp(b_un), northing_rr_adjusted=math.exp(b_adj),
                          share_explained=share, text=_ns_text(period, b_un, b_adj, share, ci_a, ci_c),
                          family=PRIMARY_FAMILY, unadjusted_lower=math.exp(ci_a[0]),
                          unadjusted_upper=math.exp(ci_a[1]), adjusted_lower=math.exp(ci_c[0]),
                          adjusted_upper=math.exp(ci_c[1]), imd_rr_per_point=math.exp(fc.params["imd"])))
        gc = c[1].assign(expected=fc.fitted)
        e = gc.groupby("area_code").agg(observed=("numerator", "sum"), expected=("expected", "sum")).reset_index()
        e["oe_ratio"] = e["observed"] / e["expected"]
        e["oe_lower_95"], e["oe_upper_95"] = S.oe_ci(e["observed"], e["expected"], 0.95)
        e.insert(0, "period", period)
        e["family"] = PRIMARY_FAMILY
        erows.append(e)
    mcols = ["period", "model", "term", "coef", "ci_lower", "ci_upper", "p_value", "n", "aic", "deviance",
             "pearson_chi2", "family", "alpha", "n_areas", "northing_source"]
    ctx.put("ns_models", pd.DataFrame(mrows, columns=mcols))
    scols = ["period", "northing_rr_unadjusted", "northing_rr_adjusted", "share_explained", "text", "family",
             "unadjusted_lower", "unadjusted_upper", "adjusted_lower", "adjusted_upper", "imd_rr_per_point"]
    ctx.put("ns_summary", pd.DataFrame(srows, columns=scols))
    ecols = ["period", "area_code", "observed", "expected", "oe_ratio", "oe_lower_95", "oe_upper_95", "family"]
    ctx.put("ns_expected", pd.concat(erows, ignore_index=True)[ecols] if erows else pd.DataFrame(columns=ecols))


def _pct(rr: float) -> str:
    return f"{(rr - 1) * 100:+.0f}%"


def _ns_text(period, b_un, b_adj, share, ci_a, ci_c) -> str:
    ru, ra = math.exp(b_un), math.exp(b_adj)
    s = (f"{period}: without adjustment, the infant care-entry rate changes by {_pct(ru)} per 100 km further north "
         f"(rate ratio {ru:.2f}, 95% CI {math.exp(ci_a[0]):.2f}-{math.exp(ci_a[1]):.2f}); after accounting for "
         f"deprivation (IMD 2019 score), the north–south gradient falls from {ru:.2f} to {ra:.2f} per 100 km "
         f"(95% CI {math.exp(ci_c[0]):.2f}-{math.exp(ci_c[1]):.2f}).")
    if np.isfinite(share):
        if 0 <= share <= 1:
            s += f" Deprivation accounts for about {share * 100:.0f}% of the gradient (log scale)."
        elif share > 1:
            s += " Once deprivation is accounted for, the gradient reverses direction."
        else:
            s += " Accounting for deprivation steepens rather than explains the gradient."
    return s.replace("falls from", "falls from" if abs(b_adj) <= abs(b_un) else "changes from")


# --------------------------------------------------------------------------------------------------------------------
# 7. Statistical neighbours
# --------------------------------------------------------------------------------------------------------------------
NEIGHBOUR_VARS = {
    "imd2019_score": "IMD 2019 average score of the upper-tier LA (MHCLG File 11; split LAs inherit the county's)",
    "idaci2019_score": "IDACI 2019 average score (share of children 0-15 in income-deprived families)",
    "log_births": "log of live births (calendar 2022, ONS; 2023 unitaries as the sum of their districts)",
    "log_density": "log of residents per km² (ONS mid-2020 population, all ages, aggregated to the LA; area of the "
                   "ONS CTYUA December 2023 BSC boundary, geodesic)",
}


def _population_2020(ctx: BuildContext) -> dict:
    """Residents (all ages) mid-2020 by district and by upper-tier LA (2022 lookup)."""
    p = ctx.df("SELECT code, population FROM stg_lad_population WHERE year = 2020")
    by_lad = dict(zip(p["code"], p["population"]))
    lk = ctx.df("SELECT LTLA22CD, UTLA22CD FROM stg_ltla22_utla22")
    lk = lk.assign(pop=lk["LTLA22CD"].map(by_lad)).dropna(subset=["pop"])
    out = dict(by_lad)  # districts too, so that 2023 unitaries can be composed from them
    out.update(lk.groupby("UTLA22CD")["pop"].sum().to_dict())
    return out


def _area_km2(ctx: BuildContext) -> dict:
    a = ctx.df("SELECT area_code, area_km2 FROM la_area_km2")
    return dict(zip(a["area_code"], a["area_km2"]))


def _neighbours(ctx: BuildContext, iv: pd.DataFrame, areas: pd.DataFrame, succ: pd.DataFrame) -> None:
    from .. import config
    cur = areas[(areas["area_type"] == "la") & (areas["country"] == "England") & areas["valid_to"].isna()]
    codes = list(cur["area_code"])
    comp = pd.read_csv(config.DATA / "denominator_components.csv", dtype=str)

    def compose(values: dict) -> dict:
        out = dict(values)
        for tgt, g in comp.groupby("target_code"):
            if tgt not in out and all(c in values for c in g["component_code"]):
                out[tgt] = float(sum(values[c] for c in g["component_code"]))
        return out

    # live births of calendar 2022 (every LA incl. the Isles of Scilly on its own; 2023 unitaries composed)
    births = ctx.df("SELECT code AS area_code, births AS denominator FROM stg_births WHERE year = 2022")
    pop = compose(_population_2020(ctx))
    area = compose(_area_km2(ctx))
    frame = pd.DataFrame(index=pd.Index(codes, name="area_code"))
    frame["imd2019_score"] = frame.index.map(_extend_by_successors(_measure_by_code(iv, "imd2019_score"), succ))
    frame["idaci2019_score"] = frame.index.map(_extend_by_successors(_measure_by_code(iv, "idaci2019_score"), succ))
    births = compose(dict(zip(births["area_code"], births["denominator"].astype(float))))
    frame["log_births"] = np.log(frame.index.map(births).astype(float))
    dens = {c: pop[c] / area[c] for c in codes if c in pop and c in area and area[c] > 0}
    frame["log_density"] = np.log(frame.index.map(dens).astype(float))
    missing = frame[frame.isna().any(axis=1)]
    for code, r in missing.iterrows():
        ctx.warn(f"stats: no statistical neighbours for {code} (missing {', '.join(r[r.isna()].index)})")
    nb = S.nearest_neighbours(frame.dropna(), k=10)
    ctx.put("stat_neighbours", nb)
    ctx.put("stat_neighbour_variables", pd.DataFrame(
        [dict(variable=k, description=v, weight=1.0, mean=float(frame[k].mean()), sd=float(frame[k].std(ddof=0)))
         for k, v in NEIGHBOUR_VARS.items()]))
