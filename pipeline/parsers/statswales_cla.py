"""Wales: StatsWales looked-after children at 31 March by LA, sex and age (2003-2018).

Staging:
- `stg_statswales_cla`: boys and girls aged under 1 at 31 March per Welsh LA and Wales, each year (value / status /
  note per cell: counts rounded to the nearest 5 by StatsWales; `*` = suppressed small number; `.` = not
  applicable). The files have names only: an LA is joined to its W06 code through the committed table
  `data/wales_la_names.csv` (exact StatsWales name after trimming -> code); an unknown name stops the build.
  Layout quirk: the first LA row (Isle of Anglesey) repeats the group label 'All Welsh local authorities' in
  column 1, so the LA name is always column 2 and the Wales row is the one with column 2 empty.
(WIMD 2019 small areas: pipeline/parsers/wimd.py.)
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

from .. import config
from ..context import BuildContext
from ..errors import SourceError
from .common import read_text

REQUIRES = ()
PRODUCES = ("stg_statswales_cla",)

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
            raise SourceError(sid, rel, "local authority name not in data/wales_la_names.csv", column="column 2",
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


def load(ctx: BuildContext) -> None:
    names = name_table()
    ctx.put("stg_statswales_cla", pd.concat([statswales_year(ctx, y, names) for y in YEARS], ignore_index=True))
