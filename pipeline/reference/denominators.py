"""Reference step: `area_dfe_codes` (DfE LA number <-> ONS code by year, as harmonised) and `births_denominators`
(the live-births denominator of every English area for each DfE year), and the denominator rule itself
(`Denominators`, used by the marts).
"""
from __future__ import annotations

import pandas as pd

from .. import config
from ..context import BuildContext
from ..denominator_notes import age0_note, nearest_births_note
from ..domain import ENGLAND, FY_YEARS, in_force_sql

REQUIRES = ("areas", "stg_cla_starts", "stg_births", "stg_age0", "stg_ltla22_utla22")
PRODUCES = ("area_dfe_codes", "births_denominators")


class Denominators:
    """Resolve the live-births denominator for an area code in force in DfE year Y (see measure caveats)."""

    def __init__(self, ctx: BuildContext):
        b = ctx.df("SELECT code, year, births, source_id, note FROM stg_births")
        self.births = {(r.code, int(r.year)): float(r.births) for r in b.itertuples()}
        self.births_src = {(r.code, int(r.year)): r.source_id for r in b.itertuples()}
        self.births_note = {(r.code, int(r.year)): r.note for r in b.itertuples() if isinstance(r.note, str)}
        self.births_years = sorted({y for _, y in self.births})
        self.age0 = self._age0(ctx)
        a = ctx.df("SELECT DISTINCT year, source_id FROM stg_age0")
        self.age0_src = dict(zip(a["year"].astype(int), a["source_id"]))
        comp = pd.read_csv(config.DATA / "denominator_components.csv", dtype=str)
        self.components = comp.groupby("target_code")["component_code"].apply(list).to_dict()

    @staticmethod
    def _age0(ctx: BuildContext) -> dict:
        a = ctx.df("SELECT code, year, age0, source_id FROM stg_age0")
        lk = ctx.df("SELECT LTLA22CD, UTLA22CD FROM stg_ltla22_utla22")
        # the Nomis series is by district only: aggregate it to upper tier (the ONS workbooks carry every tier)
        ut = a[a["source_id"] == "nomis_mye_single_year"].merge(lk, left_on="code", right_on="LTLA22CD")
        ut = ut[ut["UTLA22CD"] != ut["LTLA22CD"]].groupby(["UTLA22CD", "year"], as_index=False)["age0"].sum()
        ut = ut.rename(columns={"UTLA22CD": "code"})
        utla = pd.concat([a[a["code"].isin(set(lk["UTLA22CD"]))], ut], ignore_index=True)
        areas = ctx.df("SELECT area_code, region_code FROM areas WHERE area_type='la' AND country='England'")
        e = utla.merge(areas, left_on="code", right_on="area_code")
        n_utla = lk.loc[lk["UTLA22CD"].str.startswith("E"), "UTLA22CD"].nunique()
        reg = e.groupby(["region_code", "year"], as_index=False)["age0"].sum().rename(columns={"region_code": "code"})
        cnt = e.groupby("year")["code"].nunique()
        eng = e.groupby("year", as_index=False)["age0"].sum()
        eng = eng[eng["year"].map(cnt) == n_utla]  # England only from a complete set
        eng["code"] = ENGLAND
        allrows = pd.concat([a, ut, reg, eng], ignore_index=True).drop_duplicates(["code", "year"])
        return {(r.code, int(r.year)): float(r.age0) for r in allrows.itertuples()}

    def _compose(self, table: dict, code: str, year: int) -> float | None:
        if (code, year) in table:
            return table[(code, year)]
        comps = self.components.get(code)
        if comps and all((c, year) in table for c in comps):
            return sum(table[(c, year)] for c in comps)
        return None

    def _births_source(self, code: str, year: int) -> str | None:
        if (code, year) in self.births_src:
            return self.births_src[(code, year)]
        comps = self.components.get(code) or []
        return next((self.births_src[(c, year)] for c in comps if (c, year) in self.births_src), None)

    def _births_note(self, code: str, year: int) -> str | None:
        """A note the births row carries (e.g. Cornwall and Isles of Scilly combined), for the rate's note."""
        n = self.births_note.get((code, year))
        return f"denominator: {n}" if n else None

    def resolve(self, code: str, fy: int) -> tuple[float | None, str, str | None, str | None]:
        """Return (denominator, status, note, source_id)."""
        c = fy - 1
        v = self._compose(self.births, code, c)
        if v is not None:
            return v, "ok", self._births_note(code, c), self._births_source(code, c)
        v = self._compose(self.age0, code, c)
        if v is not None:
            return v, "denominator_fallback", age0_note(c), self.age0_src.get(c, "nomis_mye_single_year")
        for near in sorted(self.births_years, key=lambda y: (abs(y - c), -y)):
            v = self._compose(self.births, code, near)
            if v is not None:
                return v, "denominator_fallback", nearest_births_note(near, c), self._births_source(code, near)
        return None, "not_available", "no live-births or age-0 denominator on this LA's boundaries", None


def build(ctx: BuildContext) -> None:
    """`area_dfe_codes` (DfE LA number <-> ONS code by year, as harmonised) and `births_denominators`
    (the live-births denominator of every English area for each DfE year under the alignment rule)."""
    codes = ctx.df("SELECT DISTINCT dfe_la_code, area_code, year FROM stg_cla_starts WHERE level = 'la'")
    codes = (codes.groupby(["dfe_la_code", "area_code"], as_index=False)["year"].agg(["min", "max"])
             .rename(columns={"min": "first_year", "max": "last_year"}))
    ctx.put("area_dfe_codes", codes)
    den = Denominators(ctx)
    rows = []
    for y in FY_YEARS:
        cond, params = in_force_sql(y)
        areas = ctx.df(f"SELECT area_code FROM areas WHERE country = 'England' AND {cond}", params)["area_code"]
        for code in areas:
            v, status, note, src = den.resolve(code, y)
            rows.append(dict(area_code=code, year=y, denominator=v, status=status, note=note, source_id=src))
    ctx.put("births_denominators", pd.DataFrame(rows))
