"""Marts: the tidy facts the app reads (indicator_values, measures), built from staging tables.

Foundation measures: cla_starts_u1, live_births, cla_starts_u1_rate, imd2019_*.
"""
from __future__ import annotations

import math

import pandas as pd

from .. import config
from ..context import BuildContext
from ..errors import SourceError
from ..domain import ENGLAND, carried_forward, in_force_sql, las_in_force, multiplier, rate_with_status
from ..parsers.common import fy_label
from .common import FY_YEARS, IV_COLS, iv_frame


def _in_force_las(ctx: BuildContext, year: int, country: str = "England") -> list[str]:
    return las_in_force(ctx.con, year, country)["area_code"].tolist()


def cla_starts_u1(ctx: BuildContext) -> pd.DataFrame:
    st = ctx.df("SELECT * FROM stg_cla_starts WHERE cla_group='Age group' AND characteristic='Under 1 year'")
    st = st.sort_values("edition_rank", ascending=False).drop_duplicates(["area_code", "year"])
    rows = iv_frame(measure_id="cla_starts_u1", area_code=st["area_code"], year=st["year"],
                    period_label=st["year"].map(fy_label), value=st["value"], status=st["status"], note=st["note"],
                    source_id=st["source_id"])
    # every LA in force that year gets a row: missing ones are not_available, with the reason
    have = set(zip(rows["area_code"], rows["year"]))
    fill = []
    for y in FY_YEARS:
        for code in _in_force_las(ctx, y):
            if (code, y) not in have:
                fill.append(dict(area_code=code, year=y, note=f"no row for this LA in the {fy_label(y)} files used"))
    if fill:
        f = pd.DataFrame(fill)
        rows = pd.concat([rows, iv_frame(measure_id="cla_starts_u1", area_code=f["area_code"], year=f["year"],
                                         period_label=f["year"].map(fy_label), status="not_available",
                                         note=f["note"])], ignore_index=True)
    return rows


def live_births(ctx: BuildContext) -> pd.DataFrame:
    b = ctx.df("SELECT b.* FROM stg_births b JOIN areas a ON a.area_code = b.code")
    note = b["source_id"].map({"nomis_births_utla": "Nomis series on 2021/22 LA boundaries for every year",
                               "ons_births_summary_2022": "ONS births summary tables 2022 (2022 boundaries)"})
    return iv_frame(measure_id="live_births", area_code=b["code"], year=b["year"], period_label=b["year"].astype(str),
                    value=b["births"], status="ok", note=note, source_id=b["source_id"])


class Denominators:
    """Resolve the live-births denominator for an area code in force in DfE year Y (see measure caveats)."""

    def __init__(self, ctx: BuildContext):
        b = ctx.df("SELECT code, year, births FROM stg_births")
        self.births = {(r.code, int(r.year)): float(r.births) for r in b.itertuples()}
        self.births_years = sorted({y for _, y in self.births})
        self.age0 = self._age0(ctx)
        comp = pd.read_csv(config.DATA / "denominator_components.csv", dtype=str)
        self.components = comp.groupby("target_code")["component_code"].apply(list).to_dict()

    @staticmethod
    def _age0(ctx: BuildContext) -> dict:
        a = ctx.df("SELECT code, year, age0 FROM stg_age0")
        lk = ctx.df("SELECT LTLA22CD, UTLA22CD FROM stg_ltla22_utla22")
        ut = a.merge(lk, left_on="code", right_on="LTLA22CD")
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

    def resolve(self, code: str, fy: int) -> tuple[float | None, str, str | None, str | None]:
        """Return (denominator, status, note, source_id)."""
        c = fy - 1
        v = self._compose(self.births, code, c)
        if v is not None:
            return v, "ok", None, "nomis_births_utla" if c != 2022 or (code, c) in self.births else "ons_births_summary_2022"
        v = self._compose(self.age0, code, c)
        if v is not None:
            return v, "denominator_fallback", (f"denominator: ONS mid-{c} population aged 0 (live births for {c} "
                                               f"not available)"), "nomis_mye_single_year"
        for near in sorted(self.births_years, key=lambda y: (abs(y - c), -y)):
            v = self._compose(self.births, code, near)
            if v is not None:
                return v, "denominator_fallback", (f"denominator: live births {near} (nearest available year; "
                                                   f"births for {c} not available)"), "nomis_births_utla"
        return None, "not_available", "no live-births or age-0 denominator on this LA's boundaries", None


def cla_starts_u1_rate(ctx: BuildContext, counts: pd.DataFrame) -> pd.DataFrame:
    den = Denominators(ctx)
    c = counts.reset_index(drop=True)
    res = [den.resolve(a, int(y)) if s == "ok" else (None, None, None, None)
           for a, y, s in zip(c["area_code"], c["year"], c["status"])]
    d, dstatus, dnote = ([r[i] for r in res] for i in range(3))
    rated = rate_with_status(c, d, multiplier("cla_starts_u1_rate"), den_status=dstatus, den_note=dnote,
                             missing_note=dnote, replace_note_when_missing=True)
    return iv_frame(measure_id="cla_starts_u1_rate", area_code=c["area_code"], year=c["year"],
                    period_label=c["period_label"], **rated, source_id=c["source_id"])[IV_COLS]


def imd2019(ctx: BuildContext) -> pd.DataFrame:
    imd = ctx.df("SELECT * FROM stg_imd2019_utla")
    known = set(ctx.df("SELECT area_code FROM areas")["area_code"])
    unknown = imd[~imd["area_code"].isin(known)]
    if len(unknown):
        r = unknown.iloc[0]
        raise SourceError("iod2019_file11", ctx.rel("iod2019_file11"), "unknown upper-tier LA code",
                          column="Upper Tier Local Authority District code (2019)", row=int(r["line"]), value=r["area_code"])
    imd["note"] = None
    succ = ctx.df("SELECT * FROM area_successors")
    fwd = []
    for s in carried_forward(imd["area_code"], succ):
        src = imd[imd["area_code"] == s.old_code].iloc[0].copy()
        src["area_code"] = s.new_code
        if s.change_type == "recode":
            src["note"] = f"value of {s.old_code} (same boundary; recoded {s.from_year})"
        else:
            src["note"] = (f"inherited from {s.old_code} {src['area_name']} (split {s.from_year}); "
                           f"no IoD2019 figure exists for the new LA")
        fwd.append(src)
    if fwd:
        imd = pd.concat([imd, pd.DataFrame(fwd)], ignore_index=True)
    frames = []
    for m in ["imd2019_score", "imd2019_rank", "imd2019_extent", "idaci2019_score"]:
        frames.append(iv_frame(measure_id=m, area_code=imd["area_code"], year=2019, period_label="IoD2019",
                               value=imd[m], status="ok", note=imd["note"], source_id="iod2019_file11"))
    return pd.concat(frames, ignore_index=True)


def reference_tables(ctx: BuildContext) -> None:
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


def build(ctx: BuildContext) -> None:
    reference_tables(ctx)
    counts = cla_starts_u1(ctx)
    ctx.add_indicators(counts)
    ctx.add_indicators(live_births(ctx))
    ctx.add_indicators(cla_starts_u1_rate(ctx, counts))
    ctx.add_indicators(imd2019(ctx))
