"""ONS live births (Nomis UTLA 2013-2022; births summary 2022, all tiers incl. Wales) and the Nomis
mid-year age-0 population (LAD 2021 geography, 1997-2020) used as a fallback denominator.

Staging: `stg_births` (code, year, births, source_id, line) and `stg_age0` (code, year, age0, source_id, line).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import parse_counts, read_csv, read_excel

REQUIRES = ()
PRODUCES = ("stg_births", "stg_age0")

T3_CODE = "Area of usual residence\nCode\n[note 10]"


def _nomis(ctx: BuildContext) -> pd.DataFrame:
    sid = "nomis_births_utla"
    rel = ctx.rel(sid)
    df = read_excel(ctx, sid, "Sheet1", required=["DATE", "GEOGRAPHY_CODE", "MEASURE_NAME", "OBS_VALUE"])
    bad = df[df["MEASURE_NAME"].astype(str).str.strip() != "Live births"]
    if len(bad):
        raise SourceError(sid, rel, "expected MEASURE_NAME 'Live births'", column="MEASURE_NAME",
                          row=int(bad["_line"].iloc[0]), value=bad["MEASURE_NAME"].iloc[0])
    p = parse_counts(df, "OBS_VALUE", sid, rel, {})
    years = pd.to_numeric(df["DATE"], errors="coerce")
    if years.isna().any():
        i = years.isna().idxmax()
        raise SourceError(sid, rel, "DATE is not a year", column="DATE", row=int(df.at[i, "_line"]), value=df.at[i, "DATE"])
    out = pd.DataFrame({"code": df["GEOGRAPHY_CODE"].astype(str).str.strip(), "year": years.astype(int),
                        "births": p["value"], "source_id": sid, "line": df["_line"]})
    return out


def _summary2022(ctx: BuildContext) -> pd.DataFrame:
    sid = "ons_births_summary_2022"
    rel = ctx.rel(sid)
    df = read_excel(ctx, sid, "Table_3", header=9)
    code_col = next((c for c in df.columns if c.startswith("Area of usual residence") and "Code" in c), None)
    if code_col is None or "Number of live births" not in df.columns:
        raise SourceError(sid, rel, "expected columns 'Area of usual residence Code' and 'Number of live births' "
                                    "in sheet Table_3 (header on row 10)", column=code_col or "Number of live births")
    df = df[df[code_col].notna()]
    df = df[~df[code_col].astype(str).str.contains(",")]  # combined rows (e.g. Cornwall + Isles of Scilly)
    p = parse_counts(df, "Number of live births", sid, rel, {})
    return pd.DataFrame({"code": df[code_col].astype(str).str.strip(), "year": 2022, "births": p["value"],
                         "source_id": sid, "line": df["_line"]})


def _age0(ctx: BuildContext) -> pd.DataFrame:
    sid = "nomis_mye_single_year"
    rel = ctx.rel(sid)
    df = read_csv(ctx, sid, required=["name", "code", "year", "Age 0"])
    df = df[df["code"].str[0].isin(["E", "W"])]
    p = parse_counts(df, "Age 0", sid, rel, {"-": ("not_available", "-: not available")})
    return pd.DataFrame({"code": df["code"].values, "year": df["year"].astype(int).values, "age0": p["value"].values,
                         "source_id": sid, "line": df["_line"].values}).dropna(subset=["age0"])


def load(ctx: BuildContext) -> None:
    nomis = _nomis(ctx)
    s22 = _summary2022(ctx)
    dup = nomis.duplicated(["code", "year"], keep=False)
    if dup.any():
        r = nomis[dup].iloc[1]
        raise SourceError("nomis_births_utla", ctx.rel("nomis_births_utla"), f"duplicate row for {r['code']} {r['year']}",
                          column="GEOGRAPHY_CODE", row=int(r["line"]))
    # cross-check: where both publish 2022, the figures must agree
    both = nomis[nomis["year"] == 2022].merge(s22, on="code", suffixes=("", "_s"))
    diff = both[both["births"] != both["births_s"]]
    for r in diff.itertuples():
        ctx.warn(f"live births 2022 for {r.code}: Nomis {r.births:.0f} vs ONS summary {r.births_s:.0f}; Nomis used")
    births = pd.concat([nomis, s22[~s22["code"].isin(set(nomis.loc[nomis["year"] == 2022, "code"]))]],
                       ignore_index=True)
    ctx.put("stg_births", births)
    ctx.put("stg_age0", _age0(ctx))
