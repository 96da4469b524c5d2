"""IMD 2025 at upper-tier LA (derived here: MHCLG has no File 11 in the mirror) and IMD deciles of upper-tier LAs.

Weighting (stated and tested): an upper-tier LA's value is the **population-weighted mean of its districts' average
scores** (File 10 v2; IDACI from v1). Weights: ONS mid-2020 population estimates of the districts (Nomis, the latest
year in the mirror) - all ages for the IMD and the 7 domains (MHCLG's 'average score' is a population-weighted mean of
LSOA scores over the whole population), ages 0-15 for IDACI (the population IDACI is a share of). A district average
is itself a population-weighted LSOA mean, so this reproduces MHCLG's upper-tier figure exactly when the weights are
MHCLG's own populations. Check on IoD2019 (tests): the same method with mid-2015 populations (the IoD2019
denominators' year) reproduces File 11's upper-tier IMD scores to within 0.013 points for the 24 counties whose
districts are unchanged; with mid-2020 weights, within 0.13 points. Unitary authorities (one district) take their
district's figures unchanged. `imd2025_rank` ranks the 153 upper-tier LAs by that score (1 = most deprived; ties share
the lowest rank). Extent, local concentration and the share of LSOAs in the most deprived 10% cannot be rebuilt from
district summaries and are not produced.

Deciles (`imd2019_decile`, `imd2025_decile`): decile = ceil(10 x rank / n), where rank = the edition's upper-tier rank
of average score (IoD2019: MHCLG's File 11 rank among its n = 151 upper-tier LAs; IoD2025: `imd2025_rank` among
n = 153) - 1 = most deprived tenth. Tied LAs share a rank and therefore a decile; with n not a multiple of 10 the
deciles hold 15 or 16 LAs. Ranks and deciles compare LAs within one edition only; scores are never compared across
editions.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..domain import carried_forward
from ..errors import SourceError
from .common import iv_frame

REQUIRES = ("areas", "area_successors", "stg_iod2025_lad", "stg_lad23_utla23", "stg_lad_population",
            "stg_imd2019_utla")
PRODUCES = ("indicators",)

WEIGHT_YEAR = 2020
SCORES = {  # staging column -> (measure id, weight column)
    "imd_score": ("imd2025_score", "population"),
    "income_score": ("imd2025_income_score", "population"),
    "employment_score": ("imd2025_employment_score", "population"),
    "education_score": ("imd2025_education_score", "population"),
    "health_score": ("imd2025_health_score", "population"),
    "crime_score": ("imd2025_crime_score", "population"),
    "barriers_score": ("imd2025_barriers_score", "population"),
    "living_environment_score": ("imd2025_living_environment_score", "population"),
    "idaci_score": ("idaci2025_score", "pop_0_15"),
}


def weighted_upper_tier(lad: pd.DataFrame, lookup: pd.DataFrame, weights: pd.DataFrame,
                        columns: dict[str, str]) -> pd.DataFrame:
    """Aggregate district values to upper tier.

    lad: lad_code + value columns; lookup: lad_code -> utla_code; weights: lad_code + weight columns;
    columns: value column -> weight column. A single-district upper-tier LA takes the district value (no weight
    needed); a multi-district one needs a weight for every district (KeyError naming the district otherwise).
    Returns utla_code, n_districts and one column per value column.
    """
    missing = sorted(set(lad["lad_code"]) - set(lookup["lad_code"]))
    if missing:
        raise KeyError(f"district(s) not in the LAD -> upper-tier lookup: {missing[:5]}")
    d = lad.merge(lookup, on="lad_code").merge(weights, on="lad_code", how="left")
    rows = []
    for ut, g in d.groupby("utla_code", sort=True):
        row = {"utla_code": ut, "n_districts": len(g)}
        for vcol, wcol in columns.items():
            if len(g) == 1:
                row[vcol] = float(g[vcol].iloc[0])
                continue
            w = g[wcol]
            if w.isna().any() or (w <= 0).any():
                raise KeyError(f"no {wcol} weight for district(s) {sorted(g.loc[w.isna() | (w <= 0), 'lad_code'])} "
                               f"of {ut}")
            row[vcol] = float(np.average(g[vcol], weights=w))
        rows.append(row)
    return pd.DataFrame(rows)


def rank_desc(values: pd.Series) -> pd.Series:
    """1 = highest value (most deprived); ties share the lowest rank."""
    return values.rank(ascending=False, method="min").astype(int)


def decile_of_rank(rank: pd.Series, n: int) -> pd.Series:
    """1 = most deprived tenth: ceil(10 x rank / n)."""
    return rank.map(lambda r: int(math.ceil(10 * r / n)))


def _forward(df: pd.DataFrame, succ: pd.DataFrame, label: str) -> pd.DataFrame:
    """Copy values to codes created after the edition's geography (same rules as the foundation's IoD2019)."""
    fwd = []
    for s in carried_forward(df["area_code"], succ):
        src = df[df["area_code"] == s.old_code].copy()
        src["area_code"] = s.new_code
        if s.change_type == "recode":
            src["note"] = f"value of {s.old_code} (recoded {s.from_year}; {s.note})"
        else:
            src["note"] = f"inherited from {s.old_code} (split {s.from_year}); no {label} figure exists for the new LA"
        fwd.append(src)
    return pd.concat([df, *fwd], ignore_index=True) if fwd else df


def build(ctx: BuildContext) -> None:
    lad = ctx.df("SELECT * FROM stg_iod2025_lad")
    lookup = ctx.df("SELECT lad_code, utla_code FROM stg_lad23_utla23")
    w = ctx.df("SELECT code AS lad_code, population, pop_0_15 FROM stg_lad_population WHERE year = ?", [WEIGHT_YEAR])
    try:
        ut = weighted_upper_tier(lad, lookup, w, {c: wc for c, (_, wc) in SCORES.items()})
    except KeyError as exc:
        raise SourceError("iod2025_file10_v2", ctx.rel("iod2025_file10_v2"), exc.args[0],
                          column="ltla24_code") from None
    ut = ut[ut["utla_code"].str.startswith("E")].reset_index(drop=True)
    ut["imd_rank"] = rank_desc(ut["imd_score"])
    n = len(ut)
    ut["imd_decile"] = decile_of_rank(ut["imd_rank"], n)
    ut = ut.rename(columns={"utla_code": "area_code"})
    ut["note"] = np.where(ut["n_districts"] > 1,
                          ut["n_districts"].map(lambda k: f"population-weighted mean of {k} districts "
                                                          f"(mid-{WEIGHT_YEAR} weights)"), None)
    succ = ctx.df("SELECT * FROM area_successors")
    ut = _forward(ut, succ, "IoD2025")
    known = set(ctx.df("SELECT area_code FROM areas")["area_code"])
    unknown = sorted(set(ut["area_code"]) - known)
    if unknown:
        raise SourceError("lad_ctyua_2023", ctx.rel("lad_ctyua_2023"), f"upper-tier code(s) not in areas: {unknown}",
                          column="UTLA23CD")
    frames = []
    for col, (mid, _) in SCORES.items():
        sid = "iod2025_file10_v1" if col == "idaci_score" else "iod2025_file10_v2"
        frames.append(iv_frame(measure_id=mid, area_code=ut["area_code"], year=2025, period_label="IoD2025",
                               value=ut[col], status="ok", note=ut["note"], source_id=sid))
    rank_note = ut["note"].map(lambda x: f"rank among {n} upper-tier LAs" + (f"; {x}" if isinstance(x, str) else ""))
    frames.append(iv_frame(measure_id="imd2025_rank", area_code=ut["area_code"], year=2025, period_label="IoD2025",
                           value=ut["imd_rank"], status="ok", note=rank_note, source_id="iod2025_file10_v2"))
    frames.append(iv_frame(measure_id="imd2025_decile", area_code=ut["area_code"], year=2025, period_label="IoD2025",
                           value=ut["imd_decile"], status="ok",
                           note=ut["note"].map(lambda x: f"decile of {n} upper-tier LAs"
                                               + (f"; {x}" if isinstance(x, str) else "")),
                           source_id="iod2025_file10_v2"))
    # IoD2019 deciles from MHCLG's own File 11 ranks (151 upper-tier LAs, 2019 geography), carried forward
    i19 = ctx.df("SELECT area_code, imd2019_rank FROM stg_imd2019_utla")
    n19 = len(i19)
    i19["decile"] = decile_of_rank(i19["imd2019_rank"].astype(int), n19)
    i19["note"] = f"decile of {n19} upper-tier LAs (IoD2019 geography)"
    i19 = _forward(i19, succ, "IoD2019")
    frames.append(iv_frame(measure_id="imd2019_decile", area_code=i19["area_code"], year=2019, period_label="IoD2019",
                           value=i19["decile"], status="ok", note=i19["note"], source_id="iod2019_file11"))
    for f in frames:
        ctx.add_indicators(f)
