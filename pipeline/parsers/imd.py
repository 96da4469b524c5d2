"""English Indices of Deprivation 2019, File 11 (upper-tier LA summaries).

Staging `stg_imd2019_utla` (one row per 2019 UTLA). The marts map the 2019 codes forward to codes created
later (see `forward_map`): same-boundary recodes take the value unchanged; LAs created by splitting a
county inherit the county's value, flagged in the note.
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import parse_counts, read_excel

REQUIRES = ()
PRODUCES = ("stg_imd2019_utla",)

CODE = "Upper Tier Local Authority District code (2019)"
NAME = "Upper Tier Local Authority District name (2019)"
SHEETS = {
    "IMD": {"IMD - Average score": "imd2019_score", "IMD - Rank of average score": "imd2019_rank",
            "IMD 2019 - Extent": "imd2019_extent"},
    "IDACI": {"IDACI - Average score": "idaci2019_score"},
}


def load(ctx: BuildContext) -> None:
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
        part = pd.DataFrame({"area_code": df[CODE].astype(str).str.strip(), "area_name": df[NAME].astype(str).str.strip(),
                             "line": df["_line"]})
        for c, m in cols.items():
            p = parse_counts(df, c, sid, rel, {}, integer=m.endswith("_rank"))
            part[m] = p["value"].values
        out = part if out is None else out.merge(part.drop(columns=["area_name", "line"]), on="area_code", how="outer")
    ctx.put("stg_imd2019_utla", out)
