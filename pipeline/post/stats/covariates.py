"""Area covariates for the statistics step: values of a measure by area code, continuous covariates and whole IMD
deciles carried to historic and new LA codes, northing, population and area."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext
from ...domain import HAS_VALUE, carried_forward


def extend_by_successors(values: dict, succ: pd.DataFrame) -> dict:
    """Give a code without a value the value of its successor(s) (mean if several) or, failing that, of its
    predecessor for a recode. Used only for continuous covariates (northing, IMD score) of historic/new LA codes -
    never for deciles (an average of deciles is not a decile: see `extend_deciles`)."""
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


def extend_deciles(deciles: dict, scores: dict, succ: pd.DataFrame, weights: dict) -> tuple[dict, set]:
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


def measure_by_code(iv: pd.DataFrame, measure_id: str) -> dict:
    m = iv[(iv["measure_id"] == measure_id) & iv["status"].isin(HAS_VALUE)]
    if m.empty:
        return {}
    m = m.sort_values("year").drop_duplicates("area_code", keep="last")
    return dict(zip(m["area_code"], m["value"].astype(float)))


def measure_by_code_year(iv: pd.DataFrame, measure_id: str) -> dict[tuple[str, int], float]:
    """Values of a yearly measure by (area code, year), for covariates matched to the year of the row they describe
    ("service terms matched to the year"). Both the care-start rates and the services measures use the DfE year's end:
    year Y = the year ending 31 March Y, and the services measures of Y count the units open at 31 March Y. A code with
    no value in a year has no key for it: nothing is carried from another year."""
    m = iv[(iv["measure_id"] == measure_id) & iv["status"].isin(HAS_VALUE)]
    return {(c, int(y)): float(v) for c, y, v in zip(m["area_code"], m["year"], m["value"])}


def extend_by_successors_per_year(values: dict[tuple[str, int], float], succ: pd.DataFrame
                                  ) -> dict[tuple[str, int], float]:
    """`extend_by_successors` within each year of a (code, year) -> value map: a code without a value in year Y takes
    its successors' (mean) or its recode predecessor's value of the same year Y, never another year's."""
    out: dict[tuple[str, int], float] = {}
    for y in sorted({y for _, y in values}):
        ext = extend_by_successors({c: v for (c, yy), v in values.items() if yy == y}, succ)
        out.update({(c, y): v for c, v in ext.items()})
    return out


def table_exists(ctx: BuildContext, name: str) -> bool:
    return bool(ctx.df("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = ?", [name])["n"].iloc[0])


def northing_km(ctx: BuildContext, succ: pd.DataFrame) -> tuple[dict, str]:
    """North-south position in km: `la_geo.north_south_km` (geometry reference step)."""
    g = ctx.df("SELECT area_code, north_south_km FROM la_geo WHERE north_south_km IS NOT NULL")
    vals = dict(zip(g["area_code"], g["north_south_km"].astype(float)))
    return extend_by_successors(vals, succ), "la_geo.north_south_km"


def imd_deciles(iv: pd.DataFrame, succ: pd.DataFrame, weights: dict | None = None) -> dict[str, dict]:
    """{edition: {area_code: decile}} with 1 = most deprived, whole deciles only. Uses the imd2019_decile /
    imd2025_decile measures when the build has them, else deciles of the IMD 2019 rank of average score among the
    2019 upper-tier LAs. Codes without a figure in the edition: see `extend_deciles`."""
    out = {}
    weights = weights or {}
    for edition, mid, score in (("IoD2019", "imd2019_decile", "imd2019_score"),
                                ("IoD2025", "imd2025_decile", "imd2025_score")):
        v = measure_by_code(iv, mid)
        if v:
            out[edition] = extend_deciles(v, measure_by_code(iv, score), succ, weights)[0]
    if "IoD2019" not in out:
        rank = measure_by_code(iv, "imd2019_rank")
        if rank:
            n = max(rank.values())
            dec = {c: int(d) for c, d in zip(rank, S.deciles_from_rank(list(rank.values()), n))}
            out["IoD2019"] = extend_deciles(dec, measure_by_code(iv, "imd2019_score"), succ, weights)[0]
    return out


def decile_weights(ctx: BuildContext) -> dict:
    """ONS mid-2020 population (all ages) of every district and upper-tier LA, 2023 unitaries composed from their
    districts: the weights of a split county's score (the IoD2025 upper-tier scores use the same year)."""
    from ... import config
    try:
        pop = population_2020(ctx)
    except (KeyError, OSError):
        return {}
    comp = pd.read_csv(config.DATA / "denominator_components.csv", dtype=str)
    for tgt, g in comp.groupby("target_code"):
        if tgt not in pop and all(c in pop for c in g["component_code"]):
            pop[tgt] = float(sum(pop[c] for c in g["component_code"]))
    return pop


def population_2020(ctx: BuildContext) -> dict:
    """Residents (all ages) mid-2020 by district and by upper-tier LA (2022 lookup)."""
    p = ctx.df("SELECT code, population FROM stg_lad_population WHERE year = 2020")
    by_lad = dict(zip(p["code"], p["population"]))
    lk = ctx.df("SELECT LTLA22CD, UTLA22CD FROM stg_ltla22_utla22")
    lk = lk.assign(pop=lk["LTLA22CD"].map(by_lad)).dropna(subset=["pop"])
    out = dict(by_lad)  # districts too, so that 2023 unitaries can be composed from them
    out.update(lk.groupby("UTLA22CD")["pop"].sum().to_dict())
    return out


def area_km2(ctx: BuildContext) -> dict:
    a = ctx.df("SELECT area_code, area_km2 FROM la_area_km2")
    return dict(zip(a["area_code"], a["area_km2"]))
