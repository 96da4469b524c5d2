"""Wales measures: WIMD 2019 share of LSOAs in the most deprived 10% of Wales, and StatsWales children looked after
aged under 1 at 31 March (2003-2018). WIMD and IMD are different indices and are never ranked together: the WIMD
measure exists only for Welsh LAs, the IMD measures only for English ones.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..domain import multiplier
from ..parsers.common import join_notes
from .common import iv_frame

REQUIRES = ("stg_wimd2019_lsoa", "stg_statswales_cla")
PRODUCES = ("indicators",)


def wimd_share(lsoa: pd.DataFrame, share: float = 0.10, per: float = 100) -> pd.DataFrame:
    """Per LA: LSOAs in the most deprived `share` of Wales. Ranks come from the overall scores (highest score = rank
    1 = most deprived; ties share the lowest rank); the most deprived 10% = ranks 1 .. floor(0.1 x N)."""
    n = len(lsoa)
    cut = int(np.floor(share * n))
    rank = lsoa["score"].rank(ascending=False, method="min")
    d = lsoa.assign(top=rank <= cut)
    g = d.groupby("la_code").agg(numerator=("top", "sum"), denominator=("top", "size")).reset_index()
    g["value"] = g["numerator"] / g["denominator"] * per
    g.attrs["cut"], g.attrs["n"] = cut, n
    return g


def build(ctx: BuildContext) -> None:
    lsoa = ctx.df("SELECT * FROM stg_wimd2019_lsoa")
    g = wimd_share(lsoa, per=multiplier("wimd2019_share_most_deprived_10pct"))
    note = f"most deprived 10% = WIMD 2019 ranks 1-{g.attrs['cut']} of {g.attrs['n']} LSOAs in Wales"
    ctx.add_indicators(iv_frame(measure_id="wimd2019_share_most_deprived_10pct", area_code=g["la_code"], year=2019,
                                period_label="WIMD2019", value=g["value"], numerator=g["numerator"].astype(float),
                                denominator=g["denominator"].astype(float), status="ok", note=note,
                                source_id="wimd2019_scores"))
    st = ctx.df("SELECT * FROM stg_statswales_cla")
    rows = []
    for r in st.itertuples(index=False):
        base = dict(area_code=r.area_code, year=int(r.year), period_label=f"31 March {int(r.year)}",
                    source_id=r.source_id)
        if r.boys_status == "ok" and r.girls_status == "ok":
            rows.append(dict(base, value=r.boys_u1 + r.girls_u1, status="ok",
                             note=f"boys {r.boys_u1:.0f} + girls {r.girls_u1:.0f}, each rounded to the nearest 5"))
        else:
            bad = [(s, n, w)
                   for s, n, w in [(r.boys_status, r.boys_note, "boys"), (r.girls_status, r.girls_note, "girls")]
                   if s != "ok"]
            status = "suppressed" if any(s == "suppressed" for s, _, _ in bad) else bad[0][0]
            rows.append(dict(base, status=status, note=join_notes(*[f"{w} under 1: {n}" for _, n, w in bad])))
    df = pd.DataFrame(rows)
    ctx.add_indicators(iv_frame(measure_id="wales_cla_u1_31mar", **{c: df[c] for c in df.columns}))
