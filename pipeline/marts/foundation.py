"""Marts: the tidy facts the app reads (indicator_values, measures), built from staging tables.

Foundation measures: cla_starts_u1, live_births, cla_starts_u1_rate, imd2019_*.
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..domain import carried_forward, las_in_force, multiplier, rate_with_status
from ..errors import SourceError
from ..parsers.births import REG_ID, is_edition
from ..parsers.common import fy_label, join_notes
from ..parsers.dfe_cla_starts import ISLES_OF_SCILLY, ISLES_OF_SCILLY_NOTE
from ..reference.denominators import Denominators
from .common import FY_YEARS, IV_COLS, iv_frame

REQUIRES = ("areas", "area_successors", "stg_cla_starts", "stg_births", "stg_age0", "stg_ltla22_utla22",
            "stg_imd2019_utla")
PRODUCES = ("indicators",)


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
                if code == ISLES_OF_SCILLY:
                    fill.append(dict(area_code=code, year=y, status="not_applicable", note=ISLES_OF_SCILLY_NOTE))
                else:
                    fill.append(dict(area_code=code, year=y, status="not_available",
                                     note=f"no row for this LA in the {fy_label(y)} files used"))
    if fill:
        f = pd.DataFrame(fill)
        rows = pd.concat([rows, iv_frame(measure_id="cla_starts_u1", area_code=f["area_code"], year=f["year"],
                                         period_label=f["year"].map(fy_label), status=f["status"],
                                         note=f["note"])], ignore_index=True)
    return rows


def live_births(ctx: BuildContext) -> pd.DataFrame:
    b = ctx.df("SELECT b.* FROM stg_births b JOIN areas a ON a.area_code = b.code")
    note = b["source_id"].map({"nomis_births_utla": "Nomis series on 2021/22 LA boundaries for every year",
                               "ons_births_summary_2022": "ONS births summary tables 2022 (2022 boundaries)"})
    reg = b["source_id"].map(lambda s: ctx.sources[s].title if s in ctx.sources and
                             is_edition(ctx.sources[s], REG_ID) else None)
    note = note.fillna(reg.map(lambda t: f"{t} (boundaries of that edition)" if isinstance(t, str) else None))
    note = pd.Series([join_notes(a, c) for a, c in zip(note, b["note"])], index=b.index, dtype=object)
    return iv_frame(measure_id="live_births", area_code=b["code"], year=b["year"], period_label=b["year"].astype(str),
                    value=b["births"], status="ok", note=note, source_id=b["source_id"])


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
                          column="Upper Tier Local Authority District code (2019)", row=int(r["line"]),
                          value=r["area_code"])
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


def build(ctx: BuildContext) -> None:
    counts = cla_starts_u1(ctx)
    ctx.add_indicators(counts)
    ctx.add_indicators(live_births(ctx))
    ctx.add_indicators(cla_starts_u1_rate(ctx, counts))
    ctx.add_indicators(imd2019(ctx))
