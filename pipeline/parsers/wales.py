"""Wales: StatsWales looked-after children at 31 March by LA, sex and age (2003-2018) and WIMD 2019 small areas.

Staging:
- `stg_statswales_cla`: boys and girls aged under 1 at 31 March per Welsh LA and Wales, each year (value / status /
  note per cell: counts rounded to the nearest 5 by StatsWales; `*` = suppressed small number; `.` = not
  applicable). The files have names only: an LA is joined to its W06 code through the committed table
  `data/wales_la_names.csv` (exact StatsWales name after trimming -> code); an unknown name stops the build.
  Layout quirk: the first LA row (Isle of Anglesey) repeats the group label 'All Welsh local authorities' in
  column 1, so the LA name is always column 2 and the Wales row is the one with column 2 empty.
- `stg_wimd2019_lsoa`: WIMD 2019 overall score per 2011 LSOA, with the W06 code from the official LSOA lookup
  (joined by LSOA code; the scores file's LA *name* is only cross-checked).
"""
from __future__ import annotations

import csv
import io
import zipfile
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from .. import config
from ..context import BuildContext
from ..errors import SourceError
from ._ods import read_ods_sheet
from .common import read_text

REQUIRES = ()
PRODUCES = ("stg_statswales_cla", "stg_wimd2019_lsoa")

YEARS = range(2003, 2019)
SYMBOLS = {"*": ("suppressed", "*: suppressed by StatsWales (small number)"),
           ".": ("not_applicable", ".: not applicable")}
BOYS_U1, GIRLS_U1 = 2, 9  # 0-based column positions (checked against the header rows)


def name_table() -> dict[str, str]:
    """StatsWales LA name (trimmed) -> ONS code, from data/wales_la_names.csv."""
    with open(config.DATA / "wales_la_names.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for r in rows:
        name = r["statswales_name"].strip()
        if name in out:
            raise ValueError(f"data/wales_la_names.csv: duplicate name {name!r}")
        out[name] = r["area_code"].strip()
    return out


def _cell(raw: str, sid: str, rel: str, col: int, line: int):
    s = raw.strip()
    if s in SYMBOLS:
        return (np.nan, *SYMBOLS[s])
    if s.isdigit():
        return (float(s), "ok", None)
    raise SourceError(sid, rel, "not a count and not a StatsWales symbol (* or .)", column=f"column {col + 1}",
                      row=line, value=raw)


def statswales_year(ctx: BuildContext, year: int, names: dict[str, str]) -> pd.DataFrame:
    sid = f"statswales_cla_31mar_{year}"
    rel = ctx.rel(sid)
    text, _ = read_text(ctx, sid)
    rows = list(csv.reader(io.StringIO(text)))
    if len(rows) < 5:
        raise SourceError(sid, rel, "expected 4 header rows and data rows")
    hdr_ok = (len(rows[1]) > GIRLS_U1 and rows[1][BOYS_U1].startswith("Boys") and rows[1][GIRLS_U1].startswith("Girls")
              and rows[3][BOYS_U1].startswith("Under 1 year") and rows[3][GIRLS_U1].startswith("Under 1 year"))
    if not hdr_ok:
        raise SourceError(sid, rel, f"header rows 2 and 4 do not have 'Boys'/'Girls' 'Under 1 year' in columns "
                                    f"{BOYS_U1 + 1} and {GIRLS_U1 + 1} (layout changed?)", row=4)
    out = []
    for i, r in enumerate(rows[4:], start=5):
        if not any(c.strip() for c in r):
            continue
        if len(r) != len(rows[3]):
            raise SourceError(sid, rel, f"row has {len(r)} fields, the header has {len(rows[3])}", row=i)
        name = r[1].strip() or r[0].strip()
        code = names.get(name)
        if code is None:
            raise SourceError(sid, rel, f"local authority name not in data/wales_la_names.csv", column="column 2",
                              row=i, value=name)
        b = _cell(r[BOYS_U1], sid, rel, BOYS_U1, i)
        g = _cell(r[GIRLS_U1], sid, rel, GIRLS_U1, i)
        out.append(dict(source_id=sid, line=i, year=year, published_name=name, area_code=code,
                        boys_u1=b[0], boys_status=b[1], boys_note=b[2], girls_u1=g[0], girls_status=g[1],
                        girls_note=g[2]))
    df = pd.DataFrame(out)
    dup = df["area_code"].duplicated()
    if dup.any():
        r = df[dup].iloc[0]
        raise SourceError(sid, rel, "local authority appears twice", column="column 2", row=int(r["line"]),
                          value=r["published_name"])
    missing = sorted(set(names.values()) - set(df["area_code"]))
    if missing:
        raise SourceError(sid, rel, f"no row for {missing}", column="column 2")
    return df


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
    names = name_table()
    ctx.put("stg_statswales_cla", pd.concat([statswales_year(ctx, y, names) for y in YEARS], ignore_index=True))
    ctx.put("stg_wimd2019_lsoa", wimd(ctx))
