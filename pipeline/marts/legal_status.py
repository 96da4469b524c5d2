"""Legal status at the start of the period of care (all ages): children who started to be looked after, by LA,
region and England, years ending 31 March 2011-2025, reusing the foundation's staging table `stg_cla_starts`
(SFR 2011-2017 SCLA_ICO / SCLA_SEPO / SCLA_UPP / SCLA_S20 and the EES 'Legal status' rows 2018-2025, already
harmonised to the codes in force each year).

For each area and year one edition is used for both the numerator and the denominator (the newest edition that has
the row: 2025 EES extract > 2022 EES file > SFR), so a share never mixes editions. Denominator = all children who
started to be looked after in the year (SFR `CLA_startedYYYY`; EES legal-status `Total`).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..parsers.common import fy_label, join_notes
from .common import iv_frame

STATUSES = {
    "cla_starts_ico": "Interim care order",
    "cla_starts_epo": "Emergency protection order",
    "cla_starts_police_protection": "Police protection in LA accommodation",
    "cla_starts_s20": "Voluntary agreement under S20",
}


def _total(st: pd.DataFrame) -> pd.DataFrame:
    sfr = st["source_id"].str.startswith("dfe_cla_sfr")
    return st[(sfr & (st["cla_group"] == "Total")) | (~sfr & (st["cla_group"] == "Legal status")
                                                       & (st["characteristic"] == "Total"))]


def build(ctx: BuildContext) -> None:
    st = ctx.df("SELECT * FROM stg_cla_starts WHERE cla_group IN ('Legal status', 'Total')")
    tot = _total(st)
    best = tot.groupby(["area_code", "year"])["edition_rank"].max().rename("best").reset_index()
    tot = tot.merge(best, on=["area_code", "year"])
    tot = tot[tot["edition_rank"] == tot["best"]].drop(columns="best")
    ctx.add_indicators(iv_frame(measure_id="cla_starts_all", area_code=tot["area_code"], year=tot["year"],
                                period_label=tot["year"].map(fy_label), value=tot["value"], status=tot["status"],
                                note=tot["note"], source_id=tot["source_id"]))
    den = tot.set_index(["area_code", "year"])[["value", "status", "note", "source_id"]]
    for mid, ch in STATUSES.items():
        d = st[(st["cla_group"] == "Legal status") & (st["characteristic"] == ch)].merge(best, on=["area_code", "year"])
        d = d[d["edition_rank"] == d["best"]]
        lab = d["year"].map(fy_label)
        ctx.add_indicators(iv_frame(measure_id=mid, area_code=d["area_code"], year=d["year"], period_label=lab,
                                    value=d["value"], status=d["status"], note=d["note"], source_id=d["source_id"]))
        rows = []
        for r in d.itertuples(index=False):
            base = dict(area_code=r.area_code, year=int(r.year), period_label=fy_label(int(r.year)),
                        source_id=r.source_id)
            t = den.loc[(r.area_code, r.year)] if (r.area_code, r.year) in den.index else None
            if r.status != "ok":
                rows.append(dict(base, status=r.status, note=r.note))
            elif t is None or t["status"] != "ok" or not t["value"]:
                rows.append(dict(base, numerator=r.value, status="not_available",
                                 note=join_notes(r.note, "all-starts total not available")))
            else:
                rows.append(dict(base, value=r.value / t["value"] * 100, numerator=r.value, denominator=t["value"],
                                 status="ok", note=join_notes(r.note, t["note"] if t["note"] != r.note else None)))
        df = pd.DataFrame(rows)
        ctx.add_indicators(iv_frame(measure_id=f"{mid}_share", **{c: df[c] for c in df.columns}))
