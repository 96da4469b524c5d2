"""Geography reference parsers (ONS lookups) and the `areas` / `area_successors` tables.

Harmonisation is by code, never by name: `data/la_code_history.csv` (maintained here) gives, for each
DfE 3-digit LA number whose ONS code changed 2011-2025, the code in force and its validity dates;
`data/area_successors.csv` gives old -> new code relations. Current codes come from the ONS
LTLA -> UTLA (April 2023) lookup; regions from the ONS ward -> LAD -> region (May 2023) lookup and,
for codes that no longer exist, the ONSvisual LTLA 2014 lookup.
"""
from __future__ import annotations

import pandas as pd

from .. import config
from ..context import BuildContext
from ..domain import ENGLAND, WALES, fy_start, in_force
from ..errors import SourceError
from .common import read_csv

__all__ = ["ENGLAND", "WALES", "fy_start", "CodeHarmoniser", "load", "load_history", "load_successors"]


def load_history() -> pd.DataFrame:
    h = pd.read_csv(config.DATA / "la_code_history.csv", dtype=str, keep_default_na=False)
    h["valid_from"] = pd.to_datetime(h["valid_from"].replace("", None)).dt.date
    h["valid_to"] = pd.to_datetime(h["valid_to"].replace("", None)).dt.date
    return h


def load_successors() -> pd.DataFrame:
    s = pd.read_csv(config.DATA / "area_successors.csv", dtype=str, keep_default_na=False)
    s["from_year"] = s["from_year"].astype(int)
    s["additive"] = s["additive"].str.lower().eq("true")
    return s


def load(ctx: BuildContext) -> None:
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
    ctx.put("stg_ltla22_utla22", read_csv(ctx, "ons_ltla22_utla22", required=["LTLA22CD", "UTLA22CD"]))


class CodeHarmoniser:
    """Map (DfE LA number, published ONS code, DfE year) to the ONS code in force that year."""

    def __init__(self, ctx: BuildContext):
        self.areas = ctx.df("SELECT * FROM areas WHERE area_type = 'la'")
        self.known = set(self.areas["area_code"])
        self.hist = load_history()
        self.by_dfe: dict[str, pd.DataFrame] = {k: g for k, g in self.hist.groupby("dfe_la_code")}
        self.valid = {r.area_code: (r.valid_from, r.valid_to) for r in self.areas.itertuples()}
        # plain-Python views of the history for `resolve` (called thousands of times a build)
        self._hist_codes = set(self.hist["area_code"])
        self._rows = {k: [(r.area_code, None if pd.isna(r.valid_from) else r.valid_from,
                           None if pd.isna(r.valid_to) else r.valid_to) for r in g.itertuples()]
                      for k, g in self.by_dfe.items()}
        self._memo: dict[tuple, tuple] = {}

    def in_force(self, code: str, year: int) -> bool:
        return in_force(*self.valid.get(code, (None, None)), year)

    def resolve(self, dfe_code: str, published: str, year: int) -> tuple[str | None, str | None]:
        """Return (code in force, note) or (None, reason) when the LA did not exist that year.

        Raises KeyError with a reason for an unknown code.
        """
        key = (dfe_code, published, year)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._resolve(dfe_code, published, year)
        return hit

    def _resolve(self, dfe_code: str, published: str, year: int) -> tuple[str | None, str | None]:
        if published not in self.known:
            raise KeyError(f"unknown LA code {published!r} (not in the ONS lookup or the code history)")
        rows = self._rows.get(dfe_code)
        if rows is None:
            if published in self._hist_codes:
                raise KeyError(f"LA number {dfe_code!r} does not match code {published!r} in the code history")
            return published, None
        if published not in {r[0] for r in rows}:
            raise KeyError(f"LA number {dfe_code!r} does not match code {published!r} in the code history")
        for code, vf, vt in rows:
            if in_force(vf, vt, year):
                note = None if code == published else \
                    f"published under code {published}; harmonised to {code} in force that year"
                return code, note
        return None, f"LA {dfe_code} did not exist in {year}"
