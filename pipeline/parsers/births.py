"""ONS live births (Nomis UTLA 2013-2022; births summary 2022, all tiers incl. Wales; ONS birth registrations 2023 on,
all tiers, England and Wales) and the mid-year age-0 population used as a fallback denominator (Nomis, LAD 2021
geography, 1997-2020; ONS mid-year estimates workbooks mid-2021 to mid-2024, every LA tier, each on its own
geography).

Staging: `stg_births` (code, year, births, source_id, line, note) and `stg_age0` (code, year, age0, source_id, line).

Registry-driven: every source of family `births` with an id `ons_births_<year>` (ONS "Births in England and
Wales: birth registrations", sheet `Table_1`) adds one calendar year of births (the year printed in the sheet's title),
so a new edition (e.g. 2024) needs only a new registry entry. Every source of family `births` with an id
`ons_mye_<year>` (ONS mid-year estimates, `MYE2 - Persons` or its CSV export) adds one mid-year of age-0 population
(the year in its `edition`, "Mid-YYYY ...").

Cornwall and the Isles of Scilly: ONS birth registrations publish one combined row "E06000052, E06000053" (note 6).
It is stored explicitly as Cornwall's (E06000052) births with a note saying it includes the Isles of Scilly; the
Isles of Scilly get no births row for that year (never a guessed split). See docs/warehouse.md.
"""
from __future__ import annotations

import re

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
        raise SourceError(sid, rel, "DATE is not a year", column="DATE", row=int(df.at[i, "_line"]),
                          value=df.at[i, "DATE"])
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


FAMILY = "births"
REG_ID = re.compile(r"ons_births_\d{4}")  # one edition of ONS birth registrations
MYE_ID = re.compile(r"ons_mye_\d{4}")  # one edition of ONS mid-year estimates (single year of age)
REG_CODE = "Area of usual residence Code"
# combined rows of the registrations tables, handled explicitly: code as printed -> (code stored, note) or None (drop)
COMBINED = {
    "E06000052, E06000053": ("E06000052", "Cornwall and Isles of Scilly combined: ONS publishes one row for the two "
                                          "LAs, so this figure includes the Isles of Scilly's births"),
    "K04000001, J99000001": None,  # England, Wales and elsewhere (births to mothers resident outside E&W)
}
CORNWALL_IOS_NOTE = COMBINED["E06000052, E06000053"][1]


def _registrations(ctx: BuildContext, sid: str) -> pd.DataFrame:
    """One edition of ONS 'Births in England and Wales: birth registrations', Table_1, all births / all registration
    types: one row per area (every tier, England and Wales)."""
    rel = ctx.rel(sid)
    df = read_excel(ctx, sid, "Table_1", header=5,
                    required=[REG_CODE, "Sex", "Registration type", "Number of live births"], engine="calamine")
    title = pd.read_excel(ctx.path(sid), sheet_name="Table_1", header=None, nrows=1, engine="calamine").iloc[0, 0]
    m = re.search(r"England and Wales, ((?:19|20)\d\d)\s*$", str(title))
    if not m:
        raise SourceError(sid, rel, "cannot find the year in the title of sheet Table_1 (expected '... England and "
                                    "Wales, YYYY')", row=1, value=str(title)[:120])
    year = int(m.group(1))
    df = df[(df["Sex"].astype(str).str.strip() == "All births")
            & (df["Registration type"].astype(str).str.strip() == "All registration types")]
    codes = df[REG_CODE].astype(str).str.strip()
    notes = pd.Series(None, index=df.index, dtype=object)
    for raw, target in COMBINED.items():
        hit = codes == raw
        if target is None:
            codes, df, notes = codes[~hit], df[~hit], notes[~hit]
        else:
            codes[hit], notes[hit] = target[0], target[1]
    bad = codes[codes.str.contains(",") | (codes.str.len() != 9)]
    if len(bad):
        i = bad.index[0]
        raise SourceError(sid, rel, "combined or malformed area code with no rule for it", column=REG_CODE,
                          row=int(df.at[i, "_line"]), value=bad.iloc[0])
    if codes.duplicated().any():
        i = codes[codes.duplicated()].index[0]
        raise SourceError(sid, rel, "duplicate area row for all births / all registration types", column=REG_CODE,
                          row=int(df.at[i, "_line"]), value=codes[i])
    p = parse_counts(df, "Number of live births", sid, rel, {})
    return pd.DataFrame({"code": codes.values, "year": year, "births": p["value"].values, "source_id": sid,
                         "line": df["_line"].values, "note": notes.values})


def _mye(ctx: BuildContext, sid: str) -> pd.DataFrame:
    """Age-0 population of one ONS mid-year estimates edition (MYE2 - Persons, every E&W area of its geography)."""
    src = ctx.sources[sid]
    rel = ctx.rel(sid)
    m = re.search(r"[Mm]id-((?:19|20)\d\d)", src.edition)
    if not m:
        raise SourceError(sid, rel, f"registry edition {src.edition!r} does not name the mid-year ('Mid-YYYY')")
    req = ["Code", "Geography", "0"]
    if src.path.lower().endswith(".csv"):
        df = read_csv(ctx, sid, required=req)
    else:
        df = read_excel(ctx, sid, "MYE2 - Persons", header=7, required=req, engine="calamine")
    df = df[df["Code"].astype(str).str[0].isin(["E", "W"])]
    p = parse_counts(df, "0", sid, rel, {})
    return pd.DataFrame({"code": df["Code"].astype(str).str.strip().values, "year": int(m.group(1)),
                         "age0": p["value"].values, "source_id": sid, "line": df["_line"].values})


def is_edition(source, id_re: re.Pattern) -> bool:
    """A `births` source that is one edition of a registry-driven series (`REG_ID` or `MYE_ID`)."""
    return source.family == FAMILY and bool(id_re.fullmatch(source.id))


def _editions(ctx: BuildContext, id_re: re.Pattern) -> list[str]:
    """The editions of a registry-driven series, in registry order."""
    return [sid for sid, s in ctx.sources.items() if is_edition(s, id_re)]


def load(ctx: BuildContext) -> None:
    nomis = _nomis(ctx)
    s22 = _summary2022(ctx)
    dup = nomis.duplicated(["code", "year"], keep=False)
    if dup.any():
        r = nomis[dup].iloc[1]
        raise SourceError("nomis_births_utla", ctx.rel("nomis_births_utla"),
                          f"duplicate row for {r['code']} {r['year']}",
                          column="GEOGRAPHY_CODE", row=int(r["line"]))
    # cross-check: where both publish 2022, the figures must agree
    both = nomis[nomis["year"] == 2022].merge(s22, on="code", suffixes=("", "_s"))
    diff = both[both["births"] != both["births_s"]]
    for r in diff.itertuples():
        ctx.warn(f"live births 2022 for {r.code}: Nomis {r.births:.0f} vs ONS summary {r.births_s:.0f}; Nomis used")
    births = pd.concat([nomis, s22[~s22["code"].isin(set(nomis.loc[nomis["year"] == 2022, "code"]))]],
                       ignore_index=True)
    births["note"] = None
    have = set(births["year"])
    for sid in _editions(ctx, REG_ID):
        reg = _registrations(ctx, sid)
        y = int(reg["year"].iloc[0])
        if y in have:
            raise SourceError(sid, ctx.rel(sid), f"live births for {y} are already given by another source")
        have.add(y)
        births = pd.concat([births, reg], ignore_index=True)
    ctx.put("stg_births", births)
    age0 = [_age0(ctx)]
    for sid in _editions(ctx, MYE_ID):
        age0.append(_mye(ctx, sid))
    age0 = pd.concat(age0, ignore_index=True)
    dup = age0.duplicated(["code", "year"], keep=False)
    if dup.any():
        r = age0[dup].iloc[-1]
        raise SourceError(r["source_id"], ctx.rel(r["source_id"]), f"age-0 population for {r['code']} mid-{r['year']} "
                          f"is already given by another source", row=int(r["line"]))
    ctx.put("stg_age0", age0)
