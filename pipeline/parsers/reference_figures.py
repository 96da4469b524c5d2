"""Hand-compiled reference figures (seeds `data/seeds/care/reference_figures.csv` and
`reference_figures_additions_2026.csv`): staging `stg_reference_figures`, every row of both files as published.

Each row keeps its text exactly as typed in (the published value text too), plus the seed it came from, its line
number, `value` parsed, and `year_start` / `year_end` read from the published period (its parenthetical
remarks left out). Nothing is dropped: a row that
cannot be read stops the build with one error naming the file, column and row. Which definition each figure uses
is decided in pipeline/marts/reference_figures.py.
"""
from __future__ import annotations

import re

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import read_csv
from .nfjo import COLS, parse_value, period_end_year, period_year

REQUIRES = ()
PRODUCES = ("stg_reference_figures",)

SEEDS = ("nfjo_reference_figures", "reference_figures_additions_2026")
QUALIFIERS = {"": "", ">": "above", "<": "below", "~": "about"}


def period_start_year(period: str) -> int | None:
    """End year of the FIRST year named in a period label: '2008-09 to 2012-13' -> 2009, '2008 to 2018' -> 2008,
    '2007/08-2016/17' -> 2008, '2013-14' -> 2014; None if there is no year."""
    return period_year(period, 0)


def period_core(period: str) -> str:
    """The period without its parenthetical remarks ('2019/20 (year per Community Care 7 Jun 2021)' -> '2019/20';
    '2008-2016 (overall average)' -> '2008-2016'), with '/' written as '-': the key two reports of one figure share."""
    core = re.sub(r"\s*\([^)]*\)", "", period).strip()
    return (core or period).replace("/", "-")


def read_seed(ctx: BuildContext, sid: str) -> pd.DataFrame:
    rel = ctx.rel(sid)
    df = read_csv(ctx, sid, required=COLS)
    out = df[COLS].copy()
    vals, starts, ends = [], [], []
    for r in df.to_dict("records"):
        line = int(r["_line"])
        vals.append(parse_value(sid, rel, r, line))
        if r["value_qualifier"] not in QUALIFIERS:
            raise SourceError(sid, rel, f"unknown value_qualifier (expected one of {sorted(QUALIFIERS)})",
                              column="value_qualifier", row=line, value=r["value_qualifier"])
        if not r["source"]:
            raise SourceError(sid, rel, "figure without a citation", column="source", row=line)
        if not r["page_url"]:
            raise SourceError(sid, rel, "figure without the page it was read from", column="page_url", row=line)
        core = period_core(r["period"])
        y0, y1 = period_start_year(core), period_end_year(core)
        if y1 is None:
            raise SourceError(sid, rel, "period has no year", column="period", row=line, value=r["period"])
        starts.append(y0)
        ends.append(y1)
    out = out.rename(columns={"value": "value_as_published"})
    out.insert(0, "line", df["_line"].astype(int).values)
    out.insert(0, "seed_file", rel)
    out.insert(0, "source_id", sid)
    out["value"] = vals
    out["year_start"] = starts
    out["year_end"] = ends
    out["period_key"] = [period_core(p) for p in out["period"]]
    return out


def load(ctx: BuildContext) -> None:
    ctx.put("stg_reference_figures", pd.concat([read_seed(ctx, sid) for sid in SEEDS], ignore_index=True))
