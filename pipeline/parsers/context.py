"""Child and maternal context indicators (raw `context/` folder) -> staging tables.

- `stg_lait_context`: DfE Local Authority Interactive Tool (LAIT) long dataset, the four health items the atlas
  uses (infant mortality, low birth weight, under-18 conceptions, breastfeeding at 6-8 weeks), one row per item x
  DfE LA / region number x year, value kept as published text ("-" = no figure). The LAIT data dictionary is read
  to check that each item still has the year type the mart assumes.
- `stg_child_low_income`: ONS Explore Local Statistics copy of DWP "Children in low income families" (children
  under 16 in relative low income, before housing costs), FYE 2022-2025, by GSS code.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import read_csv

REQUIRES = ()
PRODUCES = ("stg_lait_context", "stg_child_low_income")

LAIT = "dfe_lait_bds"
DICT = "dfe_lait_dictionary"
ELS = "ons_els_child_poverty"
# LAIT short code -> the year type the mart assumes (checked against the dictionary's Year_Type)
LAIT_ITEMS = {"InfMort": "Calendar Year", "Low_Birth_Weight_Babies": "Calendar Year",
              "Under18concep": "Calendar Year", "6wksBreast": "Financial Year",
              "ChildPov": "Financial Year"}  # ChildPov: only its England row is used (the ONS file has none)
LAIT_COLS = ["Short Desc", "Years", "LA and Regions", "Values", "LA Number"]
ELS_INDICATOR = "Children in relative poverty before housing costs"
PERIOD_RE = re.compile(r"^(\d{4})-04-01/P1Y$")
YEAR_RE = re.compile(r"^\d{4}$")
NUM_RE = re.compile(r"^-?\d+(\.\d+)?([eE]-?\d+)?$")


def parse_lait(ctx: BuildContext) -> pd.DataFrame:
    rel = ctx.rel(LAIT)
    try:
        df = pd.read_parquet(ctx.path(LAIT))
    except Exception as exc:  # noqa: BLE001 (pyarrow raises several types for a damaged file)
        raise SourceError(LAIT, rel, f"cannot read the Parquet file ({exc.__class__.__name__}: {exc}); "
                                     "is it truncated or not Parquet?") from exc
    missing = [c for c in LAIT_COLS if c not in df.columns]
    if missing:
        raise SourceError(LAIT, rel, f"missing column(s) {missing}; found {list(df.columns)}", column=missing[0])
    df = df.reset_index(drop=True)
    df["_row"] = np.arange(len(df)) + 1  # 1-based row number in the Parquet table
    d = df[df["Short Desc"].isin(LAIT_ITEMS)].copy()
    for item in LAIT_ITEMS:
        if not (d["Short Desc"] == item).any():
            raise SourceError(LAIT, rel, f"item {item!r} not found", column="Short Desc")
    num = pd.to_numeric(d["LA Number"], errors="coerce")
    bad = d[num.isna() | (num != num.round())]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(LAIT, rel, "LA Number is not a whole number", column="LA Number", row=int(r["_row"]),
                          value=r["LA Number"])
    d["la_number"] = num.astype(int).astype(str).str.zfill(3)
    yr = d["Years"].astype(str).str.strip()
    bad = d[~yr.str.match(YEAR_RE)]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(LAIT, rel, "year is not a 4-digit year", column="Years", row=int(r["_row"]), value=r["Years"])
    vals = d["Values"].astype(str).str.strip()
    bad = d[~(vals.str.match(NUM_RE) | vals.eq("-"))]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(LAIT, rel, "not a number and not '-' (no figure)", column="Values", row=int(r["_row"]),
                          value=r["Values"])
    out = pd.DataFrame({"item": d["Short Desc"].values, "year": yr.astype(int).values,
                        "la_number": d["la_number"].values,
                        "name": d["LA and Regions"].values, "value_text": vals.values, "row": d["_row"].values})
    dup = out.duplicated(["item", "la_number", "year"], keep=False)
    if dup.any():
        r = out[dup].iloc[0]
        raise SourceError(LAIT, rel, f"two rows for {r['item']} {r['la_number']} {r['year']}", row=int(r["row"]))
    _check_dictionary(ctx)
    return out


def _check_dictionary(ctx: BuildContext) -> None:
    dd = read_csv(ctx, DICT, required=["Measure_short", "Year_Type"])
    rel = ctx.rel(DICT)
    for item, year_type in LAIT_ITEMS.items():
        row = dd[dd["Measure_short"] == item]
        if row.empty:
            raise SourceError(DICT, rel, f"item {item!r} not in the dictionary", column="Measure_short")
        if row["Year_Type"].iloc[0] != year_type:
            raise SourceError(DICT, rel, f"{item}: year type changed to {row['Year_Type'].iloc[0]!r} (the atlas "
                                         f"assumes {year_type!r}); check the period alignment",
                              column="Year_Type", row=int(row["_line"].iloc[0]))


def parse_els(ctx: BuildContext) -> pd.DataFrame:
    df = read_csv(ctx, ELS, required=["areacd", "areanm", "geography", "indicator", "period", "observation"])
    rel = ctx.rel(ELS)
    d = df[df["indicator"] == ELS_INDICATOR]
    if d.empty:
        raise SourceError(ELS, rel, f"no rows for indicator {ELS_INDICATOR!r}", column="indicator")
    per = d["period"].str.extract(PERIOD_RE)[0]
    bad = d[per.isna()]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(ELS, rel, "period is not a financial year (YYYY-04-01/P1Y)", column="period",
                          row=int(r["_line"]), value=r["period"])
    obs = d["observation"]
    bad = d[~(obs.str.match(NUM_RE) | obs.eq(""))]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(ELS, rel, "not a number", column="observation", row=int(r["_line"]), value=r["observation"])
    value = pd.to_numeric(obs.replace("", np.nan))
    bad = d[(value < 0) | (value > 100)]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(ELS, rel, "a percentage outside 0-100", column="observation", row=int(r["_line"]),
                          value=r["observation"])
    out = pd.DataFrame({"area_code": d["areacd"].values, "area_name": d["areanm"].values,
                        "geography": d["geography"].values, "year": per.astype(int).values + 1,
                        "value": value.values, "line": d["_line"].values})
    dup = out.duplicated(["area_code", "year"], keep=False)
    if dup.any():
        r = out[dup].iloc[0]
        raise SourceError(ELS, rel, f"two rows for {r['area_code']} FYE {r['year']}", column="areacd",
                          row=int(r["line"]), value=r["area_code"])
    return out


def load(ctx: BuildContext) -> None:
    ctx.put("stg_lait_context", parse_lait(ctx))
    ctx.put("stg_child_low_income", parse_els(ctx))
