"""Children looked after per 10,000 children aged 0-17 (DfE context file, 2021-2025): children starting to be looked
after during the year, and children looked after at 31 March.

value = children_count / population_estimate x 10,000 from the file's own columns (DfE publishes the rate rounded to
a whole number; the build checks that the computed value rounds to within 1 of it and stops otherwise).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from ..parsers.common import fy_label
from .common import iv_frame

MEASURES = {"starting": "cla_starts_rate_10k_children", "at_31_march": "cla_31mar_rate_10k_children"}


def build(ctx: BuildContext) -> None:
    st = ctx.df("SELECT * FROM stg_cla_rate_10k")
    for ptype, mid in MEASURES.items():
        d = st[st["population_type"] == ptype]
        rows = []
        for r in d.itertuples(index=False):
            label = fy_label(int(r.year)) if ptype == "starting" else f"31 March {int(r.year)}"
            base = dict(area_code=r.area_code, year=int(r.year), period_label=label, source_id=r.source_id)
            if r.count_status != "ok":
                rows.append(dict(base, status=r.count_status, note=r.count_note))
                continue
            if r.population_status != "ok" or not r.population:
                rows.append(dict(base, numerator=r.count, status="not_available",
                                 note="population estimate not available"))
                continue
            v = r.count / r.population * 10000
            if pd.notna(r.published_rate) and abs(v - r.published_rate) > 1:
                raise SourceError(r.source_id, ctx.rel(r.source_id),
                                  f"children_count / population_estimate x 10,000 = {v:.1f} but rate_per_10000 is "
                                  f"{r.published_rate:g}", column="rate_per_10000", row=int(r.line))
            rows.append(dict(base, value=v, numerator=r.count, denominator=r.population, status="ok",
                             note=r.count_note))
        df = pd.DataFrame(rows)
        ctx.add_indicators(iv_frame(measure_id=mid, **{c: df[c] for c in df.columns}))
