"""Complete `comparator_sets`: add the atlas's own statistical-neighbour model (`stat_neighbours`, from
pipeline/post/stats/) as set `atlas_model`, and alias rows so that every code of an LA finds its set.

Alias rows: when an LA has two ONS codes for the same DfE LA number (a recode, e.g. Barnsley E08000016 ->
E08000038 in 2025, North Yorkshire E10000023 -> E06000065 in 2023) and a set lists it under one of them, the
set's rows are repeated under the other code with `alias_of` = the listed code (neighbours unchanged).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext

# adds rows to comparator_sets / comparator_set_info (the marts' tables), after stat_neighbours is written
REQUIRES = ("comparator_sets", "comparator_set_info", "stat_neighbours", "areas")
PRODUCES = ("comparator_sets:atlas_model",)

ATLAS_INFO = dict(
    set_id="atlas_model", title="Atlas statistical-neighbour model (not an official set)",
    short_title="Atlas model (deprivation, births, density)", publisher="This atlas",
    edition="built with the warehouse", source_id="", first_year=None, last_year=None, is_default=False,
    official=False,
    description="The atlas's own nearest neighbours: the 10 English LAs closest on standardised IMD 2019 score, "
                "IDACI 2019 score, log live births and log population density (Euclidean distance; Methods). "
                "A transparent alternative to DfE's set, not an official grouping.")


def run(ctx: BuildContext) -> None:
    tables = set(ctx.df("SELECT table_name FROM information_schema.tables")["table_name"])
    if "comparator_sets" not in tables:
        return
    sets = ctx.df("SELECT * FROM comparator_sets WHERE alias_of IS NULL")
    info = ctx.df("SELECT * FROM comparator_set_info")
    if "stat_neighbours" in tables and "atlas_model" not in set(sets["set_id"]):
        nb = ctx.df("SELECT area_code, rank, neighbour_code FROM stat_neighbours ORDER BY area_code, rank")
        atlas = nb.assign(set_id="atlas_model", edition=ATLAS_INFO["edition"], source_rank=nb["rank"],
                          closeness=None, area_dfe_code=None,
                          neighbour_dfe_code=None, note=None, source_id="", line=None, alias_of=None)
        sets = pd.concat([sets, atlas[sets.columns]], ignore_index=True)
        info = pd.concat([info, pd.DataFrame([dict(ATLAS_INFO, n_areas=nb["area_code"].nunique())])],
                         ignore_index=True)
    areas = ctx.df("SELECT area_code, dfe_la_code FROM areas WHERE area_type = 'la' AND dfe_la_code IS NOT NULL")
    same = areas.merge(areas, on="dfe_la_code", suffixes=("", "_other"))
    same = same[same["area_code"] != same["area_code_other"]]
    aliases = []
    for set_id, g in sets.groupby("set_id"):
        listed = set(g["area_code"])
        for r in same.itertuples():
            if r.area_code_other in listed and r.area_code not in listed:
                aliases.append(g[g["area_code"] == r.area_code_other].assign(area_code=r.area_code,
                                                                             alias_of=r.area_code_other))
                listed.add(r.area_code)
    if aliases:
        sets = pd.concat([sets, *aliases], ignore_index=True)
    ctx.put("comparator_sets", sets.sort_values(["set_id", "area_code", "rank"]).reset_index(drop=True))
    ctx.put("comparator_set_info", info)
