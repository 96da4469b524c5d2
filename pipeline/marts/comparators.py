"""Official comparator sets -> `comparator_sets` and `comparator_set_info` (see docs/warehouse.md).

DfE LA numbers are mapped to ONS codes with the project's DfE-number mapping (`area_dfe_codes`, harmonised from
the DfE files year by year, plus `areas.dfe_la_code` from data/la_code_history.csv), never by name: each number
gets the code in force on the edition's reference date (below), or, for a predecessor LA listed in an edition's
"Old SNs" block, the last code it had. ONS "similar areas" lists are UK-wide (districts, Welsh, Scottish and
Northern Irish councils, counties); only English upper-tier LAs are kept, re-ranked in their published order
(`source_rank` keeps the published rank).

The atlas's own model (pipeline/post/stats/neighbours.py `stat_neighbours`) is added as set `atlas_model` by
pipeline/post/comparators.py, which also adds alias rows for other codes of the same LA (a recode).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..context import BuildContext
from ..domain import in_force_on
from ..errors import SourceError

REQUIRES = ("areas", "area_dfe_codes", "stg_dfe_statistical_neighbours", "stg_ons_similar_areas")
PRODUCES = ("comparator_sets", "comparator_set_info")

DEFAULT_SET = "dfe_sn_2025"
# set_id -> (source_id, reference date for codes, first year, last year it is meant for, title, short title)
SETS = {
    "dfe_sn_2025": dict(
        source_id="dfe_sn_2025", ref=dt.date(2024, 4, 1), first_year=2024, last_year=None,
        title="DfE children's services statistical neighbours (May 2025)",
        short="DfE statistical neighbours, May 2025",
        publisher="Department for Education", edition="May 2025",
        description="The 10 closest LAs on DfE's children's services statistical neighbour model, revised in May "
                    "2025 after the 2021 Census; ranked 1 (closest) to 10, with DfE's closeness band. The set DfE "
                    "uses in its own benchmarking tools; the atlas's default comparators. Codes are those in force "
                    "in 2024/25 (the latest DfE year)."),
    "dfe_sn_2021": dict(
        source_id="dfe_sn_2021", ref=dt.date(2022, 4, 1), first_year=None, last_year=2023,
        title="DfE children's services statistical neighbours (April 2021, before the 2023 reorganisation)",
        short="DfE statistical neighbours, April 2021",
        publisher="Department for Education", edition="April 2021 (LGR version)",
        description="The previous DfE edition, on the LAs of April 2021 to March 2023 (Cumbria, the North "
                    "Yorkshire and Somerset county councils). For figures before April 2023. Cumberland and "
                    "Westmorland and Furness have no neighbours in this edition (Cumbria's row covers them)."),
    "ons_similar_2026": dict(
        source_id="ons_similar_areas_2026", ref=dt.date(2024, 4, 1), first_year=None, last_year=None,
        title="ONS similar areas 2026 (global), English upper-tier LAs only",
        short="ONS similar areas 2026 (English upper-tier LAs only)",
        publisher="Office for National Statistics", edition="2026",
        description="ONS statistical nearest neighbours (Explore Local Statistics 'similar areas', global "
                    "model). ONS ranks 20 neighbours drawn from all UK local authorities, mostly districts and "
                    "councils in Wales, Scotland and Northern Ireland; only those that are English upper-tier LAs "
                    "are kept here (between 3 and 20 per LA), so these are not like-for-like peer groups."),
}


class DfeCodes:
    """DfE LA number -> ONS code in force on a date, from area_dfe_codes and areas.dfe_la_code."""

    def __init__(self, ctx: BuildContext):
        self.areas = ctx.df("SELECT area_code, country, valid_from, valid_to, dfe_la_code FROM areas "
                            "WHERE area_type = 'la'")
        m = ctx.df("SELECT DISTINCT dfe_la_code, area_code FROM area_dfe_codes")
        h = self.areas.dropna(subset=["dfe_la_code"])[["dfe_la_code", "area_code"]]
        both = pd.concat([m, h], ignore_index=True).drop_duplicates()
        both = both.merge(self.areas[["area_code", "valid_from", "valid_to"]], on="area_code", how="inner")
        vf = pd.to_datetime(both["valid_from"])
        vt = pd.to_datetime(both["valid_to"])
        self.by_dfe: dict[str, list[tuple]] = {}
        for dfe, code, a, b in zip(both["dfe_la_code"], both["area_code"], vf, vt):
            self.by_dfe.setdefault(dfe, []).append((code, None if pd.isna(a) else a.date(),
                                                    None if pd.isna(b) else b.date()))
        self.dfe_of = dict(zip(both["area_code"], both["dfe_la_code"]))
        self._memo: dict[tuple, tuple] = {}

    def code(self, dfe: str, ref: dt.date) -> tuple[str | None, bool]:
        """(code, in_force): the code in force on `ref`, else the number's last code (in_force False)."""
        key = (dfe, ref)
        if key not in self._memo:
            self._memo[key] = self._code(dfe, ref)
        return self._memo[key]

    def _code(self, dfe: str, ref: dt.date) -> tuple[str | None, bool]:
        rows = self.by_dfe.get(dfe)
        if not rows:
            return None, False
        ok = [c for c, a, b in rows if in_force_on(a, b, ref)]
        if len(ok) == 1:
            return ok[0], True
        if len(ok) > 1:
            raise ValueError(f"DfE LA number {dfe} has two codes in force on {ref}: {sorted(ok)}")
        last = max(rows, key=lambda r: (r[2] is None, r[2] or dt.date.min))
        return last[0], False

    def canonical(self, code: str, ref: dt.date) -> str:
        """Another ONS code of the same LA (same DfE number, e.g. Barnsley E08000038 -> E08000016) in force
        on `ref`; the code itself when it has no DfE number or no other code."""
        dfe = self.dfe_of.get(code)
        if dfe is None:
            return code
        c, ok = self.code(dfe, ref)
        return c if ok else code


def dfe_sets(ctx: BuildContext, codes: DfeCodes) -> pd.DataFrame:
    stg = ctx.df("SELECT * FROM stg_dfe_statistical_neighbours")
    out = []
    for set_id, spec in SETS.items():
        sid = spec["source_id"]
        if not sid.startswith("dfe_sn"):
            continue
        d = stg[stg["source_id"] == sid]
        rel = ctx.rel(sid)
        mapped: dict[str, tuple[str, bool]] = {}
        for r in d[d["rank"].notna()].drop_duplicates(["dfe_la_code", "old_block"]).itertuples():
            c, ok = codes.code(r.dfe_la_code, spec["ref"])
            if c is None:
                raise SourceError(sid, rel, "DfE LA number not in the atlas's DfE-number mapping (area_dfe_codes / "
                                            "data/la_code_history.csv)", column="LA number", row=int(r.line),
                                  value=r.dfe_la_code)
            if not ok and not r.old_block:
                ctx.warn(f"{rel} row {r.line}: LA {r.dfe_la_code} had no code in force on {spec['ref']}; "
                         f"mapped to its last code {c}")
            mapped.setdefault(r.dfe_la_code, (c, ok))
        d = d[d["rank"].notna()]
        for r in d.itertuples():
            if r.neighbour_dfe_code not in mapped:
                c, ok = codes.code(r.neighbour_dfe_code, spec["ref"])
                if c is None:
                    raise SourceError(sid, rel, "neighbour's DfE LA number not in the atlas's DfE-number mapping",
                                      column=f"SN{int(r.rank)}", row=int(r.line), value=r.neighbour_dfe_code)
                mapped[r.neighbour_dfe_code] = (c, ok)
        code_of = {k: v[0] for k, v in mapped.items()}
        out.append(pd.DataFrame(dict(
            set_id=set_id, area_code=d["dfe_la_code"].map(code_of).values,
            rank=d["rank"].astype(int).values, neighbour_code=d["neighbour_dfe_code"].map(code_of).values,
            source_rank=d["rank"].astype(int).values, closeness=d["closeness"].values,
            area_dfe_code=d["dfe_la_code"].values, neighbour_dfe_code=d["neighbour_dfe_code"].values,
            note=["predecessor LA: neighbours from the edition's 'Old SNs' block" if ob else None
                  for ob in d["old_block"]], source_id=sid, line=d["line"].astype(int).values)))
    return pd.concat(out, ignore_index=True)


def ons_set(ctx: BuildContext, codes: DfeCodes) -> pd.DataFrame:
    spec = SETS["ons_similar_2026"]
    stg = ctx.df("SELECT * FROM stg_ons_similar_areas ORDER BY area_code, rank")
    eng = codes.areas[codes.areas["country"] == "England"]
    vt = pd.to_datetime(eng["valid_to"])
    # English upper-tier LAs on the ONS 2026 vintage (codes in force from April 2025)
    utla = set(eng.loc[vt.isna() | (vt >= pd.Timestamp(2025, 4, 1)), "area_code"])
    keep = stg[stg["area_code"].isin(utla) & stg["neighbour_code"].isin(utla)].copy()
    keep["area_code"] = keep["area_code"].map(lambda c: codes.canonical(c, spec["ref"]))
    keep["neighbour_code"] = keep["neighbour_code"].map(lambda c: codes.canonical(c, spec["ref"]))
    keep = keep.sort_values(["area_code", "rank"])
    keep["source_rank"] = keep["rank"]
    keep["rank"] = keep.groupby("area_code").cumcount() + 1
    return pd.DataFrame(dict(
        set_id="ons_similar_2026", area_code=keep["area_code"].values, rank=keep["rank"].values,
        neighbour_code=keep["neighbour_code"].values, source_rank=keep["source_rank"].astype(int).values,
        closeness=None, area_dfe_code=keep["area_code"].map(codes.dfe_of).values,
        neighbour_dfe_code=keep["neighbour_code"].map(codes.dfe_of).values,
        note=[f"ONS rank {int(k)} of 20 in the UK-wide list (neighbours that are not English upper-tier LAs "
              f"removed)" for k in keep["source_rank"]],
        source_id=spec["source_id"], line=keep["line"].astype(int).values))


def set_info(sets: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for set_id, s in SETS.items():
        n = sets.loc[sets["set_id"] == set_id, "area_code"].nunique()
        rows.append(dict(set_id=set_id, title=s["title"], short_title=s["short"], publisher=s["publisher"],
                         edition=s["edition"], source_id=s["source_id"], first_year=s["first_year"],
                         last_year=s["last_year"], is_default=set_id == DEFAULT_SET, official=True, n_areas=n,
                         description=s["description"]))
    return pd.DataFrame(rows)


def build(ctx: BuildContext) -> None:
    codes = DfeCodes(ctx)
    sets = pd.concat([dfe_sets(ctx, codes), ons_set(ctx, codes)], ignore_index=True)
    sets["alias_of"] = None
    sets.insert(1, "edition", sets["set_id"].map({k: v["edition"] for k, v in SETS.items()}))
    ctx.put("comparator_sets", sets)
    ctx.put("comparator_set_info", set_info(sets))
