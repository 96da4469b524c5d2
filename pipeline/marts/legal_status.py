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
from ..domain import multiplier, rate_with_status
from ..parsers.common import fy_label
from .common import IV_COLS, iv_frame

REQUIRES = ("stg_cla_starts",)
PRODUCES = ("indicators",)

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
    for mid, ch in STATUSES.items():
        d = st[(st["cla_group"] == "Legal status") & (st["characteristic"] == ch)].merge(best, on=["area_code", "year"])
        d = d[d["edition_rank"] == d["best"]]
        lab = d["year"].map(fy_label)
        ctx.add_indicators(iv_frame(measure_id=mid, area_code=d["area_code"], year=d["year"], period_label=lab,
                                    value=d["value"], status=d["status"], note=d["note"], source_id=d["source_id"]))
        m = d.merge(tot[["area_code", "year", "value", "status", "note"]], on=["area_code", "year"], how="left",
                    suffixes=("", "_t"))
        den = m["value_t"].where(m["status_t"].eq("ok"))
        den_note = [nt if nt != n else None for n, nt in zip(m["note"], m["note_t"])]
        rated = rate_with_status(m, den, multiplier(f"{mid}_share"), den_note=den_note,
                                 missing_note="all-starts total not available")
        ctx.add_indicators(iv_frame(measure_id=f"{mid}_share", area_code=m["area_code"], year=m["year"],
                                    period_label=m["year"].map(fy_label), **rated, source_id=m["source_id"])[IV_COLS])
