"""DfE children who started to be looked after (LA level): SFR ADM files 2011-2017 and EES files 2018-2025.

Staging table `stg_cla_starts` (long): one row per file row x characteristic, with the code as published,
the code in force that year (harmonised by DfE LA number), and value/status/note from the cell.
Edition preference where files overlap: the 2025 EES extract > the 2022 EES file > SFR.
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from ._ees import LEVELS, check_levels_and_years, fast_counts
from .common import SYMBOLS_EES, SYMBOLS_SFR, join_notes, read_csv
from .geography import ENGLAND, CodeHarmoniser

REQUIRES = ("areas",)
PRODUCES = ("stg_cla_starts",)

SFR_YEARS = range(2011, 2018)
# SFR column -> (group, characteristic as named in the EES files)
SFR_VARS = {
    "SCLA_U1": ("Age group", "Under 1 year"),
    "SCLA_1to4": ("Age group", "1 to 4 years"),
    "SCLA_5to9": ("Age group", "5 to 9 years"),
    "SCLA_10to15": ("Age group", "10 to 15 years"),
    "SCLA_16over": ("Age group", "16 years and over"),
    "SCLA_ICO": ("Legal status", "Interim care order"),
    "SCLA_FCO": ("Legal status", "Full care order"),
    "SCLA_POG": ("Legal status", "Placement order granted"),
    "SCLA_PlaceO": ("Legal status", "Placement order granted"),
    "SCLA_S20": ("Legal status", "Voluntary agreement under S20"),
    "SCLA_UPP": ("Legal status", "Police protection in LA accommodation"),
    "SCLA_SEPO": ("Legal status", "Emergency protection order"),
    "SCLA_UCAO": ("Legal status", "Child assessment order and in LA accommodation"),
    "SCLA_ONCT": ("Legal status", "Remand"),
    "SCLA_PACE": ("Legal status", "LA accommodation under PACE 1989"),
}
KEEP_GROUPS = {"Age group": "Age group", "Age on starting": "Age group", "Legal status": "Legal status"}
EDITION_RANK = {"dfe_cla_starts_la_2025": 3, "dfe_cla_starts_la_2022": 2}  # SFR files rank 1
SFR_REGION_LETTERS = set("ABCDEFGJK")  # H, I = Inner/Outer London (not regions); C = Yorkshire and The Humber
COLS = ["source_id", "line", "year", "level", "dfe_la_code", "published_code", "area_code", "area_name",
        "cla_group", "characteristic", "value", "status", "note", "edition_rank"]


def _sfr(ctx: BuildContext, year: int) -> pd.DataFrame:
    sid = f"dfe_cla_sfr_adm_{year}"
    rel = ctx.rel(sid)
    df = read_csv(ctx, sid, required=["New_geog_code", "geog_l", "geog_c", "geog_n", "SCLA_U1"])
    total = [c for c in df.columns if c.startswith("CLA_started")]
    if len(total) != 1:
        raise SourceError(sid, rel, "expected one CLA_startedYYYY column", column="CLA_started")
    # the 2015 file's header says 2014; the year comes from the registry entry, not the header
    vars_ = {total[0]: ("Total", "Total"), **{k: v for k, v in SFR_VARS.items() if k in df.columns}}
    levels = {"NATIONAL": "national", "REGION": "regional", "LA": "la"}
    bad = df[~df["geog_l"].isin(levels)]
    if len(bad):
        raise SourceError(sid, rel, "unknown geographic level", column="geog_l", row=int(bad["_line"].iloc[0]),
                          value=bad["geog_l"].iloc[0])
    df = df[~((df["geog_l"] == "REGION") & ~df["geog_c"].isin(SFR_REGION_LETTERS))]
    out = []
    for col, (grp, ch) in vars_.items():
        p = fast_counts(df, col, sid, rel, SYMBOLS_SFR)
        out.append(pd.DataFrame({
            "source_id": sid, "line": df["_line"].values, "year": year, "level": df["geog_l"].map(levels).values,
            "dfe_la_code": df["geog_c"].values, "published_code": df["New_geog_code"].values,
            "area_name": df["geog_n"].values, "cla_group": grp, "characteristic": ch,
            "value": p["value"].values, "status": p["status"].values, "note": p["note"].values, "edition_rank": 1}))
    return pd.concat(out, ignore_index=True)


def _ees(ctx: BuildContext, sid: str) -> pd.DataFrame:
    rel = ctx.rel(sid)
    df = read_csv(ctx, sid, required=["time_period", "geographic_level", "region_code", "old_la_code", "new_la_code",
                                      "la_name", "cla_group", "characteristic", "number"])
    df = check_levels_and_years(df, sid, rel)
    df = df[df["cla_group"].isin(KEEP_GROUPS)]
    p = fast_counts(df, "number", sid, rel, SYMBOLS_EES)
    lvl = df["geographic_level"].map(LEVELS)
    code = df["new_la_code"].where(lvl == "la", df["region_code"].where(lvl == "regional", ENGLAND))
    name = df["la_name"].where(lvl == "la", df.get("region_name", df["la_name"]).where(lvl == "regional", "England"))
    return pd.DataFrame({
        "source_id": sid, "line": df["_line"].values, "year": df["time_period"].astype(int).values,
        "level": lvl.values, "dfe_la_code": df["old_la_code"].values, "published_code": code.values,
        "area_name": name.values, "cla_group": df["cla_group"].map(KEEP_GROUPS).values,
        "characteristic": df["characteristic"].values, "value": p["value"].values, "status": p["status"].values,
        "note": p["note"].values, "edition_rank": EDITION_RANK[sid]})


ISLES_OF_SCILLY = "E06000053"
ISLES_OF_SCILLY_NOTE = ("Isles of Scilly: not applicable in every year (one rule). DfE's 2021-2025 file marks the "
                        "Isles of Scilly 'z' (not applicable) for 2021 to 2025, its 2022 edition printed 0 for 2018 "
                        "to 2020 and the 2011-2017 files have no row; the published 0s (about 20 births a year) are "
                        "not shown as values or rates")


def isles_of_scilly_rule(st: pd.DataFrame) -> pd.DataFrame:
    """The Isles of Scilly's children-looked-after starts are `not_applicable` in every year, whatever the edition
    printed (0 in the 2022 edition's 2018-2020 rows, z in the 2025 edition's 2021-2025 rows)."""
    m = st["area_code"] == ISLES_OF_SCILLY
    st = st.copy()
    st.loc[m, "value"] = float("nan")
    st.loc[m, "status"] = "not_applicable"
    st.loc[m, "note"] = ISLES_OF_SCILLY_NOTE
    return st


def load(ctx: BuildContext) -> None:
    frames = [_sfr(ctx, y) for y in SFR_YEARS]
    frames += [_ees(ctx, "dfe_cla_starts_la_2022"), _ees(ctx, "dfe_cla_starts_la_2025")]
    st = isles_of_scilly_rule(harmonise(ctx, pd.concat(frames, ignore_index=True)))
    ctx.put("stg_cla_starts", st[COLS])


def harmonise(ctx: BuildContext, st: pd.DataFrame) -> pd.DataFrame:
    """Put every LA row on the code in force that year (by DfE LA number); drop `z` rows of LAs that did not
    exist; stop on unknown codes, values for non-existent LAs and duplicate rows."""
    harm = CodeHarmoniser(ctx)
    la = st["level"] == "la"
    keys = st.loc[la, ["dfe_la_code", "published_code", "year"]].drop_duplicates()
    resolved = []
    for k in keys.itertuples(index=False):
        try:
            code, why = harm.resolve(k.dfe_la_code, k.published_code, int(k.year))
        except KeyError as exc:
            r = st[la & (st["dfe_la_code"] == k.dfe_la_code) & (st["published_code"] == k.published_code)
                   & (st["year"] == k.year)].iloc[0]
            col = "New_geog_code" if r["source_id"].startswith("dfe_cla_sfr") else "new_la_code"
            raise SourceError(r["source_id"], ctx.rel(r["source_id"]), exc.args[0], column=col, row=int(r["line"]),
                              value=k.published_code) from None
        resolved.append((k.dfe_la_code, k.published_code, k.year, code, why))
    res = pd.DataFrame(resolved, columns=["dfe_la_code", "published_code", "year", "_code", "_why"])
    st = st.merge(res, on=["dfe_la_code", "published_code", "year"], how="left")
    st["area_code"] = st["_code"].where(st["level"] == "la", st["published_code"])
    gone = (st["level"] == "la") & st["_code"].isna()
    bad = gone & (st["status"] != "not_applicable")
    if bad.any():
        r = st[bad].iloc[0]
        raise SourceError(r["source_id"], ctx.rel(r["source_id"]),
                          f"a value for an LA that did not exist that year ({r['_why']})",
                          column="new_la_code", row=int(r["line"]), value=r["published_code"])
    st = st[~gone].copy()
    st["note"] = [join_notes(a, b) for a, b in zip(st["note"], st["_why"])]
    st = st.drop(columns=["_code", "_why"]).reset_index(drop=True)
    dup = st.duplicated(["source_id", "year", "area_code", "cla_group", "characteristic"], keep=False)
    if dup.any():
        d = st[dup].sort_values("line").iloc[1]
        raise SourceError(d["source_id"], ctx.rel(d["source_id"]),
                          f"duplicate row for {d['area_code']} {d['year']} {d['characteristic']!r}",
                          column="characteristic", row=int(d["line"]))
    return st
