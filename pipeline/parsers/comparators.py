"""Official comparator sets (raw `comparators/` folder) -> staging tables.

- `stg_dfe_statistical_neighbours`: DfE children's services statistical neighbour groupings ("LA SN Groups"
  sheet), May 2025 and April 2021 editions: one row per LA x rank, by DfE 3-digit LA number as published (the
  ONS codes are attached in pipeline/marts/comparators.py by code mapping, never by name). Rows below the
  "Old SNs:" label (predecessor LAs on an older model) are kept with `old_block = true`. A row whose ten
  neighbours are all "-" (placeholders for LAs the edition does not cover) has no neighbour rows.
- `stg_ons_similar_areas`: ONS "similar areas" 2026 (global nearest neighbours), 20 ranked GSS codes per area,
  UK-wide; filtered to English upper-tier LAs in the mart.
"""
from __future__ import annotations

import re

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import read_csv, read_excel

REQUIRES = ()
PRODUCES = ("stg_dfe_statistical_neighbours", "stg_ons_similar_areas")

DFE_SN_SOURCES = {"dfe_sn_2025": "May 2025", "dfe_sn_2021": "April 2021"}
SN_SHEET = "LA SN Groups"
SN_HEADER_ROW = 2  # 0-based: two helper rows (column letters, numbers) above the header
N_SN = 10
DFE_RE = re.compile(r"^\d{3}$")
GSS_RE = re.compile(r"^[EWSNK]\d{8}$")
ONS_SOURCE = "ons_similar_areas_2026"
N_ONS = 20


def _dfe_code(v) -> str | None:
    """A DfE LA number as a 3-digit string (Excel may hand back 890 or 890.0), None for a blank cell."""
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def parse_dfe_sn(ctx: BuildContext, sid: str) -> pd.DataFrame:
    rel = ctx.rel(sid)
    df = read_excel(ctx, sid, SN_SHEET, header=SN_HEADER_ROW, required=["LA number", "LA Name"])
    cols = list(df.columns)
    sn_pos = {}
    for k in range(1, N_SN + 1):
        if f"SN{k}" not in cols:
            raise SourceError(sid, rel, f"column SN{k} not found in the header (row {SN_HEADER_ROW + 1}); "
                                        f"found {cols[:12]}", column=f"SN{k}")
        sn_pos[k] = cols.index(f"SN{k}")
    rows = []
    old_block = False
    seen: dict[tuple[bool, str], int] = {}
    for rec in df.itertuples(index=False, name=None):
        r = dict(zip(cols, rec))
        line = int(r["_line"])
        name = "" if pd.isna(r["LA Name"]) else str(r["LA Name"]).strip()
        code = _dfe_code(r["LA number"])
        if name.lower().startswith("old sns"):
            old_block = True
            continue
        if code is None and not name:
            continue  # blank separator row
        if code is None or not DFE_RE.match(code):
            raise SourceError(sid, rel, "not a DfE 3-digit LA number", column="LA number", row=line, value=code)
        if (old_block, code) in seen:
            raise SourceError(sid, rel, f"LA {code} appears twice (also row {seen[(old_block, code)]})",
                              column="LA number", row=line, value=code)
        seen[(old_block, code)] = line
        neigh = []
        for k, pos in sn_pos.items():
            n = _dfe_code(rec[pos])
            band = rec[pos + 1] if pos + 1 < len(rec) else None
            neigh.append((k, n, None if band is None or pd.isna(band) else str(band).strip()))
        if all(n in (None, "-", "") for _, n, _ in neigh):
            rows.append(dict(source_id=sid, edition=DFE_SN_SOURCES[sid], line=line, dfe_la_code=code, la_name=name,
                             old_block=old_block, rank=None, neighbour_dfe_code=None, closeness=None))
            continue
        got = [n for _, n, _ in neigh]
        for k, n, _ in neigh:
            if n is None or not DFE_RE.match(n):
                raise SourceError(sid, rel, f"neighbour {k} is not a DfE 3-digit LA number (each LA has "
                                            f"{N_SN} ranked neighbours)", column=f"SN{k}", row=line, value=n)
        if len(set(got)) != len(got):
            raise SourceError(sid, rel, "the same neighbour is listed twice", column="SN1", row=line,
                              value=",".join(got))
        if code in got:
            raise SourceError(sid, rel, "an LA is listed as its own neighbour", column=f"SN{got.index(code) + 1}",
                              row=line, value=code)
        for k, n, band in neigh:
            rows.append(dict(source_id=sid, edition=DFE_SN_SOURCES[sid], line=line, dfe_la_code=code, la_name=name,
                             old_block=old_block, rank=k, neighbour_dfe_code=n, closeness=band))
    out = pd.DataFrame(rows)
    if out.empty:
        raise SourceError(sid, rel, f"no LA rows found in sheet {SN_SHEET!r}")
    listed = set(out["dfe_la_code"])
    unknown = out[out["neighbour_dfe_code"].notna() & ~out["neighbour_dfe_code"].isin(listed)]
    if len(unknown):
        r = unknown.iloc[0]
        raise SourceError(sid, rel, "neighbour is not one of the LAs listed in the sheet", column=f"SN{int(r['rank'])}",
                          row=int(r["line"]), value=r["neighbour_dfe_code"])
    out["rank"] = out["rank"].astype("Int64")
    return out


def parse_ons(ctx: BuildContext) -> pd.DataFrame:
    rank_cols = [str(i) for i in range(1, N_ONS + 1)]
    df = read_csv(ctx, ONS_SOURCE, required=["AREACD", *rank_cols])
    rel = ctx.rel(ONS_SOURCE)
    rows = []
    for r in df.itertuples(index=False, name=None):
        d = dict(zip(df.columns, r))
        line = int(d["_line"])
        code = d["AREACD"]
        if not GSS_RE.match(code):
            raise SourceError(ONS_SOURCE, rel, "not a GSS area code", column="AREACD", row=line, value=code)
        for c in rank_cols:
            n = d[c]
            if n == "":
                continue
            if not GSS_RE.match(n):
                raise SourceError(ONS_SOURCE, rel, "not a GSS area code", column=c, row=line, value=n)
            rows.append(dict(area_code=code, rank=int(c), neighbour_code=n, line=line))
    out = pd.DataFrame(rows)
    dup = out.duplicated(["area_code", "rank"])
    if dup.any():
        r = out[dup].iloc[0]
        raise SourceError(ONS_SOURCE, rel, "area listed twice", column="AREACD", row=int(r["line"]),
                          value=r["area_code"])
    return out


def load(ctx: BuildContext) -> None:
    ctx.put("stg_dfe_statistical_neighbours", pd.concat([parse_dfe_sn(ctx, s) for s in DFE_SN_SOURCES],
                                                        ignore_index=True))
    ctx.put("stg_ons_similar_areas", parse_ons(ctx))
