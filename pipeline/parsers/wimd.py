"""Wales: WIMD 2019 small areas.

Staging `stg_wimd2019_lsoa`: WIMD 2019 overall score per 2011 LSOA, with the W06 code from the official LSOA lookup
(joined by LSOA code; the scores file's LA *name* is only cross-checked).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from ._ods import read_ods_sheet

REQUIRES = ()
PRODUCES = ("stg_wimd2019_lsoa",)


def _ods(ctx: BuildContext, sid: str, sheet: str) -> list[list]:
    rel = ctx.rel(sid)
    try:
        rows = read_ods_sheet(ctx.path(sid), sheet)
    except (zipfile.BadZipFile, ET.ParseError, KeyError, ValueError) as exc:
        raise SourceError(sid, rel, f"cannot read the spreadsheet ({exc.__class__.__name__}: {exc}); truncated or "
                                    f"not an .ods file?") from None
    if rows is None:
        raise SourceError(sid, rel, f"sheet {sheet!r} not found")
    return rows


def _frame(rows: list[list], header_row: int, sid: str, rel: str, required: list[str]) -> pd.DataFrame:
    if len(rows) <= header_row:
        raise SourceError(sid, rel, f"no header on row {header_row + 1}")
    header = [str(h).strip() if h is not None else "" for h in rows[header_row]]
    missing = [c for c in required if c not in header]
    if missing:
        raise SourceError(sid, rel, f"missing column(s) {missing}; found {header[:12]}", column=missing[0],
                          row=header_row + 1)
    body = [r + [None] * (len(header) - len(r)) for r in rows[header_row + 1:]]
    df = pd.DataFrame([r[:len(header)] for r in body], columns=header)
    df["_line"] = np.arange(len(df)) + header_row + 2
    return df


def wimd(ctx: BuildContext) -> pd.DataFrame:
    sid, lsid = "wimd2019_scores", "wimd2019_lookup"
    rel, lrel = ctx.rel(sid), ctx.rel(lsid)
    sc = _frame(_ods(ctx, sid, "Data"), 2, sid, rel, ["LSOA Code", "Local Authority Name", "WIMD 2019"])
    sc = sc[sc["LSOA Code"].notna()]
    bad = sc[~sc["WIMD 2019"].map(lambda v: isinstance(v, float) and np.isfinite(v))]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(sid, rel, "WIMD 2019 score is not a number", column="WIMD 2019", row=int(r["_line"]),
                          value=r["WIMD 2019"])
    if sc["LSOA Code"].duplicated().any():
        r = sc[sc["LSOA Code"].duplicated()].iloc[0]
        raise SourceError(sid, rel, "duplicate LSOA", column="LSOA Code", row=int(r["_line"]), value=r["LSOA Code"])
    lk = _frame(_ods(ctx, lsid, "Geography_Lookup"), 0, lsid, lrel,
                ["Lower Layer Super Output Area (LSOA) Code", "Local Authority (LA) Code", "Local Authority (LA) Name"])
    lk = lk.rename(columns={"Lower Layer Super Output Area (LSOA) Code": "lsoa", "Local Authority (LA) Code": "la_code",
                            "Local Authority (LA) Name": "la_name"})[["lsoa", "la_code", "la_name"]]
    m = sc.merge(lk, left_on="LSOA Code", right_on="lsoa", how="left")
    if m["la_code"].isna().any():
        r = m[m["la_code"].isna()].iloc[0]
        raise SourceError(sid, rel, "LSOA not in the WIMD 2019 geography lookup", column="LSOA Code",
                          row=int(r["_line"]), value=r["LSOA Code"])
    clash = m[m["Local Authority Name"].astype(str).str.strip() != m["la_name"].astype(str).str.strip()]
    if len(clash):
        r = clash.iloc[0]
        raise SourceError(sid, rel, f"LA name differs from the lookup's ({r['la_name']!r}) for this LSOA",
                          column="Local Authority Name", row=int(r["_line"]), value=r["Local Authority Name"])
    return pd.DataFrame({"lsoa_code": m["LSOA Code"], "la_code": m["la_code"], "score": m["WIMD 2019"].astype(float),
                         "line": m["_line"], "source_id": sid})


def load(ctx: BuildContext) -> None:
    ctx.put("stg_wimd2019_lsoa", wimd(ctx))
