"""DfE children looked after: number and rate per 10,000 children aged 0-17 (EES, reporting year 2025 edition,
2021-2025).

Staging `stg_cla_rate_10k`: one row per area x year x population_type (children starting to be looked after during
the year / looked after on 31 March / ceasing), with the count, DfE's population estimate and DfE's published
(rounded) rate. Quirk: in this file `la_name` comes *before* `new_la_code` (other EES files have it after); columns
are read by name, so the order does not matter, but a positional reader would swap name and code.
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from ._ees import read_ees_long
from .geography import CodeHarmoniser

REQUIRES = ("areas",)
PRODUCES = ("stg_cla_rate_10k",)

SID = "dfe_cla_rate_10k"
TYPES = {"Children starting to be looked after each year": "starting",
         "Children looked after on 31 March each year": "at_31_march",
         "Children ceasing to be looked after each year": "ceasing"}


def load(ctx: BuildContext) -> None:
    harm = CodeHarmoniser(ctx)
    df = read_ees_long(ctx, SID, ["children_count", "population_estimate", "rate_per_10000"],
                       extra_keys=["population_type"], integer=False, harm=harm)
    bad = df[~df["population_type"].isin(TYPES)]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(SID, ctx.rel(SID), "unknown population_type", column="population_type", row=int(r["line"]),
                          value=r["population_type"])
    df["population_type"] = df["population_type"].map(TYPES)
    keep = ["year", "level", "area_code", "published_code", "population_type", "line"]
    part = {v: g.set_index(keep)[["value", "status", "note"]] for v, g in df.groupby("variable")}
    c, p, r = part["children_count"], part["population_estimate"], part["rate_per_10000"]
    out = pd.DataFrame({"count": c["value"], "count_status": c["status"], "count_note": c["note"],
                        "population": p["value"], "population_status": p["status"],
                        "published_rate": r["value"]}).reset_index()
    out["source_id"] = SID
    ctx.put("stg_cla_rate_10k", out)
