"""Reference step: the `areas` and `area_successors` tables, from the ONS lookups and the code history.

Current codes come from the ONS LTLA -> UTLA (April 2023) lookup; regions from the ONS ward -> LAD -> region (May 2023)
lookup and, for codes that no longer exist, the ONSvisual LTLA 2014 lookup; validity dates and DfE LA numbers from
`data/la_code_history.csv`; old -> new relations from `data/area_successors.csv` (harmonisation is by code, never by
name).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..domain import ENGLAND, WALES
from ..errors import SourceError
from ..parsers.common import read_csv
from ..parsers.geography import load_history, load_successors

REQUIRES = ()
PRODUCES = ("areas", "area_successors")


def build(ctx: BuildContext) -> None:
    lk = read_csv(ctx, "lad_ctyua_2023", required=["LTLA23CD", "UTLA23CD", "UTLA23NM"])
    wd = read_csv(ctx, "ward_lad_rgn_2023", required=["LAD23CD", "RGN23CD", "RGN23NM", "CTRY23CD"])
    old = read_csv(ctx, "ltla14_lookup", required=["ltlacd", "ctycd", "rgncd", "rgnnm", "ctrycd"])
    lad_rgn = wd[["LAD23CD", "RGN23CD", "RGN23NM", "CTRY23CD"]].drop_duplicates()
    if lad_rgn["LAD23CD"].duplicated().any():
        bad = lad_rgn[lad_rgn["LAD23CD"].duplicated()].iloc[0]
        raise SourceError("ward_lad_rgn_2023", ctx.rel("ward_lad_rgn_2023"), "LAD falls in two regions",
                          column="LAD23CD", value=bad["LAD23CD"])
    cur = lk.merge(lad_rgn, left_on="LTLA23CD", right_on="LAD23CD", how="left")
    if cur["RGN23CD"].isna().any():
        bad = cur[cur["RGN23CD"].isna()].iloc[0]
        raise SourceError("lad_ctyua_2023", ctx.rel("lad_ctyua_2023"), "LAD not in the ward/region lookup",
                          column="LTLA23CD", row=int(bad["_line"]), value=bad["LTLA23CD"])
    ut = cur.groupby("UTLA23CD").agg(area_name=("UTLA23NM", "first"), region_code=("RGN23CD", "first"),
                                     region_name=("RGN23NM", "first"), n_rgn=("RGN23CD", "nunique"),
                                     country_code=("CTRY23CD", "first")).reset_index()
    if (ut["n_rgn"] > 1).any():
        raise SourceError("lad_ctyua_2023", ctx.rel("lad_ctyua_2023"), "upper-tier LA spans two regions",
                          column="UTLA23CD", value=ut.loc[ut["n_rgn"] > 1, "UTLA23CD"].iloc[0])
    ut = ut.rename(columns={"UTLA23CD": "area_code"})
    ut["country"] = ut["country_code"].map({ENGLAND: "England", WALES: "Wales"})
    ut["area_type"] = "la"
    ut["valid_from"] = None
    ut["valid_to"] = None

    # regions of codes that no longer exist, from the 2014 lookup (county or district column)
    old_rgn = pd.concat([old[["ctycd", "rgncd", "rgnnm"]].rename(columns={"ctycd": "code"}),
                         old[["ltlacd", "rgncd", "rgnnm"]].rename(columns={"ltlacd": "code"})])
    old_rgn = old_rgn[old_rgn["code"] != ""].drop_duplicates("code").set_index("code")

    hist = load_history()
    ut = ut.set_index("area_code")
    rows = []
    for _, h in hist.iterrows():
        code = h["area_code"]
        if code in ut.index:
            ut.at[code, "valid_from"] = h["valid_from"]
            ut.at[code, "valid_to"] = h["valid_to"]
            continue
        if code in old_rgn.index:
            rc, rn = old_rgn.at[code, "rgncd"], old_rgn.at[code, "rgnnm"]
        else:  # a recode: same LA (same DfE number) as a current code
            same = hist[(hist["dfe_la_code"] == h["dfe_la_code"]) & hist["area_code"].isin(ut.index)]
            if same.empty:
                raise SourceError("la_code_history", "data/la_code_history.csv", "no region found for code",
                                  column="area_code", value=code)
            rc, rn = ut.at[same.iloc[0]["area_code"], "region_code"], ut.at[same.iloc[0]["area_code"], "region_name"]
        rows.append(dict(area_code=code, area_name=h["area_name"], region_code=rc, region_name=rn,
                         country="England", area_type="la", valid_from=h["valid_from"], valid_to=h["valid_to"]))
    la = pd.concat([ut.reset_index(), pd.DataFrame(rows)], ignore_index=True)
    dfe = hist.drop_duplicates("area_code").set_index("area_code")["dfe_la_code"]
    la["dfe_la_code"] = la["area_code"].map(dfe)

    regions = (lad_rgn[lad_rgn["RGN23CD"].str.startswith("E12")][["RGN23CD", "RGN23NM"]].drop_duplicates()
               .rename(columns={"RGN23CD": "area_code", "RGN23NM": "area_name"}))
    regions["area_type"] = "region"
    regions["region_code"] = regions["area_code"]
    regions["region_name"] = regions["area_name"]
    regions["country"] = "England"
    eng = pd.DataFrame([dict(area_code=ENGLAND, area_name="England", area_type="england", region_code=None,
                             region_name=None, country="England")])
    wal = pd.DataFrame([dict(area_code=WALES, area_name="Wales", area_type="country", region_code=WALES,
                             region_name="Wales", country="Wales")])
    la.loc[la["country"] == "Wales", ["region_code", "region_name"]] = [WALES, "Wales"]
    areas = pd.concat([eng, regions.sort_values("area_code"), wal, la.sort_values("area_code")], ignore_index=True)
    areas = areas[["area_code", "area_name", "area_type", "region_code", "region_name", "country",
                   "valid_from", "valid_to", "dfe_la_code"]]
    areas["valid_from"] = pd.to_datetime(areas["valid_from"]).dt.date
    areas["valid_to"] = pd.to_datetime(areas["valid_to"]).dt.date
    ctx.put("areas", areas)
    ctx.put("area_successors", load_successors())
