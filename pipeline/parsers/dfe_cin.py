"""DfE Characteristics of children in need (EES, reporting year 2025 edition) and DfE's 0-17 population file.

Staging:
- `stg_cin` (long): c3 factors identified at the end of assessment 2018-2025 (domestic abuse concerning the
  child / a parent / another person; mental health, drug misuse, alcohol misuse concerning a parent; all episodes
  with an assessment factor), c1 referrals, c4 section 47 enquiries and ICPCs, d3 CP plans starting (2013-2025).
- `stg_pop_0_17`: ONS mid-year population aged 0-17 as republished by DfE. Its `time_period` T is the mid-year
  estimate for 30 June T, which DfE uses as the denominator for the reporting year ending 31 March T+1 (checked:
  the 2025 CLA rate file's England population, 12,183,016, is the file's 2024 row). The row's LA codes are the ones
  in force in that DfE year, so `year` in the staging table = T + 1 (the DfE year it serves); `mid_year` = T.
LA codes are harmonised by DfE LA number (pipeline/parsers/_ees.py).
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ._ees import read_ees_long
from .geography import CodeHarmoniser

REQUIRES = ("areas",)
PRODUCES = ("stg_cin", "stg_pop_0_17")

CIN_FILES = {
    "dfe_cin_c3": ["Episodes_with_assessment_factor", "Domestic_Abuse_child", "Domestic_Abuse_parent",
                   "Domestic_Abuse_person", "Mental_Health_parent", "Drug_Misuse_parent", "Alcohol_Misuse_parent"],
    "dfe_cin_c1": ["referral_count"],
    "dfe_cin_c4": ["Section47", "ICPC"],
    "dfe_cin_d3": ["CPP_start"],
}


def load(ctx: BuildContext) -> None:
    harm = CodeHarmoniser(ctx)
    frames = [read_ees_long(ctx, sid, cols, harm=harm) for sid, cols in CIN_FILES.items()]
    ctx.put("stg_cin", pd.concat(frames, ignore_index=True))
    pop = read_ees_long(ctx, "dfe_population_0_17", ["population_estimate"], year_offset=1,
                        extra_keys=["age_group"], harm=harm)
    pop = pop[pop["age_group"] == "Children aged 0 to 17 years"].drop(columns=["age_group", "variable"])
    pop["mid_year"] = pop["year"] - 1
    ctx.put("stg_pop_0_17", pop.rename(columns={"value": "population"}))
