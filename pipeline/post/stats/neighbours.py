"""Statistics step, 7: the atlas's statistical neighbours of each current English LA (ten nearest on standardised
deprivation, births and density) and the variables used."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ... import stats as S
from ...context import BuildContext
from .covariates import area_km2, extend_by_successors, measure_by_code, population_2020

NEIGHBOUR_VARS = {
    "imd2019_score": "IMD 2019 average score of the upper-tier LA (MHCLG File 11; split LAs inherit the county's)",
    "idaci2019_score": "IDACI 2019 average score (share of children 0-15 in income-deprived families)",
    "log_births": "log of live births (calendar 2022, ONS; 2023 unitaries as the sum of their districts)",
    "log_density": "log of residents per km² (ONS mid-2020 population, all ages, aggregated to the LA; area of the "
                   "ONS CTYUA December 2023 BSC boundary, geodesic)",
}


def write_neighbours(ctx: BuildContext, iv: pd.DataFrame, areas: pd.DataFrame, succ: pd.DataFrame) -> None:
    from ... import config
    cur = areas[(areas["area_type"] == "la") & (areas["country"] == "England") & areas["valid_to"].isna()]
    codes = list(cur["area_code"])
    comp = pd.read_csv(config.DATA / "denominator_components.csv", dtype=str)

    def compose(values: dict) -> dict:
        out = dict(values)
        for tgt, g in comp.groupby("target_code"):
            if tgt not in out and all(c in values for c in g["component_code"]):
                out[tgt] = float(sum(values[c] for c in g["component_code"]))
        return out

    # live births of calendar 2022 (every LA incl. the Isles of Scilly on its own; 2023 unitaries composed)
    births = ctx.df("SELECT code AS area_code, births AS denominator FROM stg_births WHERE year = 2022")
    pop = compose(population_2020(ctx))
    area = compose(area_km2(ctx))
    frame = pd.DataFrame(index=pd.Index(codes, name="area_code"))
    frame["imd2019_score"] = frame.index.map(extend_by_successors(measure_by_code(iv, "imd2019_score"), succ))
    frame["idaci2019_score"] = frame.index.map(extend_by_successors(measure_by_code(iv, "idaci2019_score"), succ))
    births = compose(dict(zip(births["area_code"], births["denominator"].astype(float))))
    frame["log_births"] = np.log(frame.index.map(births).astype(float))
    dens = {c: pop[c] / area[c] for c in codes if c in pop and c in area and area[c] > 0}
    frame["log_density"] = np.log(frame.index.map(dens).astype(float))
    missing = frame[frame.isna().any(axis=1)]
    for code, r in missing.iterrows():
        ctx.warn(f"stats: no statistical neighbours for {code} (missing {', '.join(r[r.isna()].index)})")
    nb = S.nearest_neighbours(frame.dropna(), k=10)
    ctx.put("stat_neighbours", nb)
    ctx.put("stat_neighbour_variables", pd.DataFrame(
        [dict(variable=k, description=v, weight=1.0, mean=float(frame[k].mean()), sd=float(frame[k].std(ddof=0)))
         for k, v in NEIGHBOUR_VARS.items()]))
