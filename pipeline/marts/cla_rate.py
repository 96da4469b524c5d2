"""Children looked after per 10,000 children aged 0-17 (DfE context file, 2021-2025): children starting to be looked
after during the year, and children looked after at 31 March.

value = children_count / population_estimate x 10,000 from the file's own columns (DfE publishes the rate rounded to
a whole number; the build checks that the computed value rounds to within 1 of it and stops otherwise).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..domain import multiplier, rate_with_status
from ..errors import SourceError
from ..parsers.common import fy_label
from .common import IV_COLS, iv_frame

REQUIRES = ("stg_cla_rate_10k",)
PRODUCES = ("indicators",)

MEASURES = {"starting": "cla_starts_rate_10k_children", "at_31_march": "cla_31mar_rate_10k_children"}


def build(ctx: BuildContext) -> None:
    st = ctx.df("SELECT * FROM stg_cla_rate_10k")
    for ptype, mid in MEASURES.items():
        d = st[st["population_type"] == ptype].reset_index(drop=True)
        counts = pd.DataFrame({"value": d["count"], "status": d["count_status"], "note": d["count_note"]})
        den = d["population"].where(d["population_status"].eq("ok"))
        rated = rate_with_status(counts, den, multiplier(mid), missing_note="population estimate not available",
                                 replace_note_when_missing=True)
        off = rated["value"].notna() & d["published_rate"].notna() & ((rated["value"] - d["published_rate"]).abs() > 1)
        if off.any():
            r, v = d[off].iloc[0], rated.loc[off, "value"].iloc[0]
            raise SourceError(r["source_id"], ctx.rel(r["source_id"]),
                              f"children_count / population_estimate x 10,000 = {v:.1f} but rate_per_10000 is "
                              f"{r['published_rate']:g}", column="rate_per_10000", row=int(r["line"]))
        label = d["year"].map(lambda y: fy_label(int(y)) if ptype == "starting" else f"31 March {int(y)}")
        ctx.add_indicators(iv_frame(measure_id=mid, area_code=d["area_code"], year=d["year"].astype(int),
                                    period_label=label, **rated, source_id=d["source_id"])[IV_COLS])
