"""Shared reader for DfE explore-education-statistics (EES) files with National / Regional / Local authority rows.

`read_ees_long` parses the chosen value columns of one EES file into a long frame and puts every LA row on the
ONS code in force in its DfE year, harmonised **by DfE LA number** (`old_la_code`) with the foundation's
CodeHarmoniser (never by name). Rows for LAs that did not exist that year are dropped when they carry no value
(`z`/`x`), and stop the build when they carry one. Regional rows other than the 9 E12 regions (Inner / Outer
London) are dropped. National rows are put on E92000001.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import SYMBOLS_EES, join_notes, parse_counts, read_csv
from .geography import ENGLAND, CodeHarmoniser

LEVELS = {"National": "national", "Regional": "regional", "Local authority": "la"}
BASE = ["time_period", "geographic_level", "region_code", "old_la_code", "new_la_code", "la_name"]
LONG_COLS = ["source_id", "line", "year", "level", "dfe_la_code", "published_code", "area_code", "variable", "value",
             "status", "note"]


def fast_counts(df: pd.DataFrame, col: str, sid: str, rel: str, symbols: dict = SYMBOLS_EES,
                integer: bool = True) -> pd.DataFrame:
    """Vectorised `parse_counts` for text columns: the same value/status/note result; on any bad cell it defers to
    parse_counts on the offending rows, which raises the one clear SourceError (file, column, row, value)."""
    s = df[col].astype(str).str.strip()
    num = pd.to_numeric(s.str.replace(",", "", regex=False), errors="coerce")
    sym = s.isin(list(symbols))
    bad = num.isna() & ~sym
    if integer:
        bad |= num.notna() & (num != np.floor(num))
    bad |= num < 0
    if bad.any():
        parse_counts(df[bad], col, sid, rel, symbols, integer=integer)  # raises with the row and value
    status = s.map(lambda x: symbols[x][0] if x in symbols else "ok")
    note = s.map(lambda x: symbols[x][1] if x in symbols else None)
    return pd.DataFrame({"value": num.where(~sym).astype(float), "status": status, "note": note}, index=df.index)


def check_levels_and_years(df: pd.DataFrame, sid: str, rel: str) -> pd.DataFrame:
    """Stop on an unknown geographic level or a time_period that is not a year; drop regional rows that are not
    one of the 9 E12 regions (Inner / Outer London)."""
    bad = df[~df["geographic_level"].isin(LEVELS)]
    if len(bad):
        raise SourceError(sid, rel, "unknown geographic level", column="geographic_level",
                          row=int(bad["_line"].iloc[0]), value=bad["geographic_level"].iloc[0])
    bad = df[~df["time_period"].str.fullmatch(r"\d{4}")]
    if len(bad):
        raise SourceError(sid, rel, "time_period is not a year", column="time_period",
                          row=int(bad["_line"].iloc[0]), value=bad["time_period"].iloc[0])
    return df[~((df["geographic_level"] == "Regional") & ~df["region_code"].str.startswith("E12"))]


def read_ees_long(ctx: BuildContext, sid: str, value_cols: list[str], year_offset: int = 0,
                  extra_keys: list[str] | None = None, integer: bool = True,
                  harm: CodeHarmoniser | None = None) -> pd.DataFrame:
    """Return LONG_COLS (+ extra_keys) for `value_cols` of EES file `sid`.

    `year_offset` is added to time_period to get the DfE year whose LA codes the row uses (the DfE population
    file labels mid-year T, used for DfE year T+1, with the codes of year T+1: offset 1).
    """
    rel = ctx.rel(sid)
    extra_keys = extra_keys or []
    df = check_levels_and_years(read_csv(ctx, sid, required=[*BASE, *extra_keys, *value_cols]), sid, rel).copy()
    lvl = df["geographic_level"].map(LEVELS)
    df["_level"] = lvl
    df["_code"] = df["new_la_code"].where(lvl == "la", df["region_code"].where(lvl == "regional", ENGLAND))
    df["_year"] = df["time_period"].astype(int) + year_offset
    key = ["_year", "_code", *extra_keys]
    dup = df.duplicated(key, keep=False)
    if dup.any():
        r = df[dup].iloc[1]
        raise SourceError(sid, rel, f"duplicate row for {r['_code']} {r['time_period']}", column="new_la_code",
                          row=int(r["_line"]), value=r["_code"])
    harm = harm or CodeHarmoniser(ctx)
    # harmonise the LA rows once per row (not per value column)
    codes, why, exists = [], [], []
    hist_codes = set(harm.hist["area_code"])
    for level, dfe, code0, year, line in zip(df["_level"], df["old_la_code"], df["_code"], df["_year"], df["_line"]):
        if level != "la":
            codes.append(code0)
            why.append(None)
            exists.append(True)
            continue
        if code0 in harm.known and dfe not in harm.by_dfe and code0 not in hist_codes:
            codes.append(code0)  # CodeHarmoniser.resolve's own answer for a code with no history, without its scans
            why.append(None)
            exists.append(True)
            continue
        try:
            code, reason = harm.resolve(dfe, code0, int(year))  # memoised inside the harmoniser
        except KeyError as exc:
            raise SourceError(sid, rel, exc.args[0], column="new_la_code", row=int(line), value=code0) from None
        codes.append(code)
        why.append(reason)
        exists.append(code is not None)
    df["_area"] = codes
    df["_why"] = why
    df["_exists"] = exists
    out = []
    for col in value_cols:
        p = fast_counts(df, col, sid, rel, SYMBOLS_EES, integer=integer)
        gone = ~df["_exists"]
        bad = gone & (p["status"] == "ok")
        if bad.any():
            r = df[bad].iloc[0]
            raise SourceError(sid, rel, f"a value for an LA that did not exist that year ({r['_why']})", column=col,
                              row=int(r["_line"]), value=r["_code"])
        keep = ~gone
        d = df[keep]
        pk = p[keep]
        frame = pd.DataFrame({
            "source_id": sid, "line": d["_line"].values, "year": d["_year"].values, "level": d["_level"].values,
            "dfe_la_code": d["old_la_code"].values, "published_code": d["_code"].values, "area_code": d["_area"].values,
            "variable": col, "value": pk["value"].values, "status": pk["status"].values,
            "note": [join_notes(a, b) for a, b in zip(pk["note"].values, d["_why"].values)]})
        for k in extra_keys:
            frame[k] = d[k].values
        out.append(frame)
    res = pd.concat(out, ignore_index=True)
    dup = res.duplicated(["year", "area_code", "variable", *extra_keys], keep=False)
    if dup.any():
        r = res[dup].iloc[1]
        raise SourceError(sid, rel, f"two rows land on {r['area_code']} {r['year']} after code harmonisation",
                          column="new_la_code", row=int(r["line"]), value=r["published_code"])
    return res
