"""English Indices of Deprivation: 2019 File 11 (upper-tier LA summaries) and 2025 File 10 (district summaries).

Staging `stg_imd2019_utla` (one row per 2019 UTLA). The marts map the 2019 codes forward to codes created
later (see `forward_map`): same-boundary recodes take the value unchanged; LAs created by splitting a
county inherit the county's value, flagged in the note.

IoD2025 (with the inputs for aggregating it to upper tier):
Staging:
- `stg_iod2025_lad`: one row per 2024 LAD (296): IMD and the 7 domain average scores, IMD average rank and rank of
  average score from the corrected **v2** File 10; IDACI average score from the **v1** File 10 (v2 has no IDACI; v1
  differs from v2 for West Northamptonshire and Cherwell in the IMD, so its IDACI may carry the same small error).
- `stg_lad_population`: ONS mid-year population estimates by 2021 LAD (Nomis, pre-Census-2021 series, 1997-2020):
  all ages and ages 0-15 (the IDACI population), per year.
- `stg_lad23_utla23`: ONS LAD -> upper-tier LA lookup (April 2023), used to aggregate the 2024 LADs (the 2024 LAD
  set equals the 2023 one).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import parse_counts, read_csv, read_excel, require_columns

REQUIRES = ()
PRODUCES = ("stg_imd2019_utla", "stg_iod2025_lad", "stg_lad_population", "stg_lad23_utla23")

CODE = "Upper Tier Local Authority District code (2019)"
NAME = "Upper Tier Local Authority District name (2019)"
SHEETS = {
    "IMD": {"IMD - Average score": "imd2019_score", "IMD - Rank of average score": "imd2019_rank",
            "IMD 2019 - Extent": "imd2019_extent"},
    "IDACI": {"IDACI - Average score": "idaci2019_score"},
}


def load(ctx: BuildContext) -> None:
    iod2019(ctx)
    iod2025(ctx)


def iod2019(ctx: BuildContext) -> None:
    sid = "iod2019_file11"
    rel = ctx.rel(sid)
    out = None
    for sheet, cols in SHEETS.items():
        df = read_excel(ctx, sid, sheet, required=[CODE, NAME, *cols])
        df = df[df[CODE].notna()]
        if df[CODE].duplicated().any():
            r = df[df[CODE].duplicated()].iloc[0]
            raise SourceError(sid, rel, f"duplicate area code in sheet {sheet}", column=CODE, row=int(r["_line"]),
                              value=r[CODE])
        part = pd.DataFrame({"area_code": df[CODE].astype(str).str.strip(),
                             "area_name": df[NAME].astype(str).str.strip(), "line": df["_line"]})
        for c, m in cols.items():
            p = parse_counts(df, c, sid, rel, {}, integer=m.endswith("_rank"))
            part[m] = p["value"].values
        out = part if out is None else out.merge(part.drop(columns=["area_name", "line"]), on="area_code", how="outer")
    ctx.put("stg_imd2019_utla", out)


V2 = "iod2025_file10_v2"
V1 = "iod2025_file10_v1"
V2_COLS = {
    "imd_average_score": "imd_score", "imd_average_rank": "imd_average_rank",
    "imd_rank_of_average_score": "imd_lad_rank",
    "income_average_score": "income_score", "employment_average_score": "employment_score",
    "education_skills_and_training_average_score": "education_score",
    "health_deprivation_and_disability_average_score": "health_score", "crime_average_score": "crime_score",
    "barriers_to_housing_and_services_average_score": "barriers_score",
    "living_environment_average_score": "living_environment_score",
}
IDACI = "Income Deprivation Affecting Children"


def _numeric(df: pd.DataFrame, col: str, sid: str, rel: str) -> np.ndarray:
    return parse_counts(df, col, sid, rel, {}, integer=False, allow_negative=True)["value"].to_numpy()


def iod2025(ctx: BuildContext) -> None:
    v2 = read_csv(ctx, V2, required=["ltla24_code", "ltla24_name", *V2_COLS])
    rel2 = ctx.rel(V2)
    if v2["ltla24_code"].duplicated().any():
        r = v2[v2["ltla24_code"].duplicated()].iloc[0]
        raise SourceError(V2, rel2, "duplicate LAD code", column="ltla24_code", row=int(r["_line"]),
                          value=r["ltla24_code"])
    out = pd.DataFrame({"lad_code": v2["ltla24_code"], "lad_name": v2["ltla24_name"], "line": v2["_line"]})
    for c, m in V2_COLS.items():
        out[m] = _numeric(v2, c, V2, rel2)
    v1 = read_csv(ctx, V1, required=["area_code", "index_domain", "average_score"])
    v1 = v1[v1["index_domain"] == IDACI]
    if v1["area_code"].duplicated().any():
        r = v1[v1["area_code"].duplicated()].iloc[0]
        raise SourceError(V1, ctx.rel(V1), "duplicate LAD code for IDACI", column="area_code", row=int(r["_line"]),
                          value=r["area_code"])
    idaci = pd.Series(_numeric(v1, "average_score", V1, ctx.rel(V1)), index=v1["area_code"].values)
    missing = sorted(set(out["lad_code"]) - set(idaci.index))
    if missing:
        raise SourceError(V1, ctx.rel(V1), f"no IDACI row for LAD(s) {missing[:5]} of the v2 file", column="area_code")
    out["idaci_score"] = out["lad_code"].map(idaci)
    ctx.put("stg_iod2025_lad", out)

    sid = "nomis_mye_single_year"
    ages = [f"Age {i}" for i in range(90)] + ["Aged 90+"]
    # the C reader (the file has 8,976 rows x 93 columns; the generic reader takes ~1 s): same checks, by name
    try:
        mye = pd.read_csv(ctx.path(sid), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise SourceError(sid, ctx.rel(sid), f"cannot parse the CSV ({exc})") from None
    mye.columns = [c.strip() for c in mye.columns]
    require_columns(mye, ["code", "year", *ages], sid, ctx.rel(sid))
    mye["_line"] = mye.index + 2
    mye = mye[mye["code"].str[:1].isin(["E", "W"])]
    bad = mye[~mye["year"].str.fullmatch(r"\d{4}")]
    if len(bad):
        raise SourceError(sid, ctx.rel(sid), "year is not a year", column="year", row=int(bad["_line"].iloc[0]),
                          value=bad["year"].iloc[0])
    vals = mye[ages].apply(lambda c: c.str.strip()).replace({"-": np.nan, "": np.nan})
    num = vals.apply(pd.to_numeric, errors="coerce")
    bad = num.isna() & vals.notna()
    if bad.any().any():
        col = bad.any()[bad.any()].index[0]
        i = bad[col].idxmax()
        raise SourceError(sid, ctx.rel(sid), "not a number", column=col, row=int(mye.at[i, "_line"]),
                          value=vals.at[i, col])
    pop = pd.DataFrame({"code": mye["code"].values, "year": mye["year"].astype(int).values,
                        "population": num.sum(axis=1, min_count=len(ages)).values,
                        "pop_0_15": num[[f"Age {i}" for i in range(16)]].sum(axis=1, min_count=16).values})
    ctx.put("stg_lad_population", pop)
    lk = read_csv(ctx, "lad_ctyua_2023", required=["LTLA23CD", "UTLA23CD"])
    ctx.put("stg_lad23_utla23", lk[["LTLA23CD", "UTLA23CD"]].rename(columns={"LTLA23CD": "lad_code",
                                                                            "UTLA23CD": "utla_code"}))
