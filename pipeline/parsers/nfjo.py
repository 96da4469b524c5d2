"""Nuffield FJO / Cafcass newborn care-proceedings figures typed in from public pages: the seed
`data/seeds/care/reference_figures.csv` (source `nfjo_reference_figures`, `seed = true`; kept in the project, not
fetched). Every row of both seeds is also in the `reference_figures` table (pipeline/marts/reference_figures.py).

Staging `stg_nfjo_reference`: every row of the file as published (text kept), with `value` parsed and checked,
`year` = the end year of the published period (2007/08 -> 2008, 2007/08-2016/17 -> 2017, 2008 -> 2008,
2008-2016 (overall) -> 2016), and `secondary` = the `table` column says the figure came from a secondary summary.
Which rows become which measure is decided in pipeline/marts/newborn_s31.py.
"""
from __future__ import annotations

import re

from ..context import BuildContext
from ..errors import SourceError
from .common import read_csv

REQUIRES = ()
PRODUCES = ("stg_nfjo_reference",)

SID = "nfjo_reference_figures"
COLS = ["source", "table", "geography", "period", "measure", "value_qualifier", "value", "unit", "page_url", "notes"]
_PERIOD = re.compile(r"(\d{4})(?:[/-](\d{2}))?(?!\d)")


def period_year(period: str, which: int) -> int | None:
    """End year of the year named at position `which` (0 = first, -1 = last) in a published period label
    ('2007/08' -> 2008, '2015' -> 2015); None if there is no year."""
    hits = _PERIOD.findall(period)
    if not hits:
        return None
    y, yy = hits[which]
    return int(y[:2] + yy) if yy else int(y)


def period_end_year(period: str) -> int | None:
    """End year of a published period label: '2007/08' -> 2008, '2013-14' -> 2014, '2007/08-2016/17' -> 2017,
    '2008-2016 (overall)' -> 2016, '2015' -> 2015; None if there is no year."""
    return period_year(period, -1)


def parse_value(sid: str, rel: str, r: dict, line: int) -> float:
    """The row's published value as a number ('1,234' -> 1234.0); a value that is not a number stops the build."""
    try:
        return float(r["value"].replace(",", ""))
    except ValueError:
        raise SourceError(sid, rel, "value is not a number", column="value", row=line, value=r["value"]) from None


def load(ctx: BuildContext) -> None:
    rel = ctx.rel(SID)
    df = read_csv(ctx, SID, required=COLS)
    vals, years = [], []
    for r in df.to_dict("records"):
        line = int(r["_line"])
        v = parse_value(SID, rel, r, line)
        if r["value_qualifier"] not in ("", ">", "<"):
            raise SourceError(SID, rel, "unknown value_qualifier (expected '', '>' or '<')", column="value_qualifier",
                              row=line, value=r["value_qualifier"])
        y = period_end_year(r["period"])
        if y is None:
            raise SourceError(SID, rel, "period has no year", column="period", row=line, value=r["period"])
        if not r["source"]:
            raise SourceError(SID, rel, "figure without a citation", column="source", row=line)
        vals.append(v)
        years.append(y)
    out = df[COLS].copy()
    out["value"] = vals
    out["year"] = years
    out["secondary"] = df["table"].str.contains("secondary summary", case=False)
    out["line"] = df["_line"].values
    ctx.put("stg_nfjo_reference", out)
