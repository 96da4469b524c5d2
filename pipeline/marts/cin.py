"""Children in need: factors at the end of assessment (c3), referrals (c1), s47 enquiries and ICPCs (c4), CP plans
starting (d3) - counts as published and rates per 10,000 children aged 0-17.

Denominator alignment: DfE year Y (year ending 31 March Y) uses DfE's ONS mid-year population aged 0-17 for 30 June
Y-1 (stg_pop_0_17.mid_year = Y-1), the population DfE itself uses for its CIN rates. England and regional values are
DfE's national/regional rows (rounded to the nearest 10), never sums of LAs.
"""
from __future__ import annotations

from ..context import BuildContext
from ..domain import multiplier
from ..parsers.common import fy_label
from ._rates import rate_rows
from .common import iv_frame

REQUIRES = ("stg_cin", "stg_pop_0_17")
PRODUCES = ("indicators",)

# measure id stem -> (staging variable, source id)
CIN_MEASURES = {
    "cin_factor_domestic_abuse_parent": ("Domestic_Abuse_parent", "dfe_cin_c3"),
    "cin_factor_domestic_abuse_child": ("Domestic_Abuse_child", "dfe_cin_c3"),
    "cin_factor_domestic_abuse_other": ("Domestic_Abuse_person", "dfe_cin_c3"),
    "cin_factor_mental_health_parent": ("Mental_Health_parent", "dfe_cin_c3"),
    "cin_factor_drug_misuse_parent": ("Drug_Misuse_parent", "dfe_cin_c3"),
    "cin_factor_alcohol_misuse_parent": ("Alcohol_Misuse_parent", "dfe_cin_c3"),
    "cin_assessments_with_factors": ("Episodes_with_assessment_factor", "dfe_cin_c3"),
    "cin_referrals": ("referral_count", "dfe_cin_c1"),
    "cin_s47_enquiries": ("Section47", "dfe_cin_c4"),
    "cin_icpcs": ("ICPC", "dfe_cin_c4"),
    "cin_cpp_starts": ("CPP_start", "dfe_cin_d3"),
}


def population_0_17(ctx: BuildContext) -> dict:
    pop = ctx.df("SELECT area_code, year, population FROM stg_pop_0_17 WHERE status = 'ok'")
    return {(r.area_code, int(r.year)): float(r.population) for r in pop.itertuples()}


def build(ctx: BuildContext) -> None:
    st = ctx.df("SELECT * FROM stg_cin")
    pop = population_0_17(ctx)
    for mid, (var, sid) in CIN_MEASURES.items():
        d = st[(st["variable"] == var) & (st["source_id"] == sid)]
        counts = iv_frame(measure_id=mid, area_code=d["area_code"], year=d["year"],
                          period_label=d["year"].map(fy_label), value=d["value"], status=d["status"],
                          note=d["note"], source_id=d["source_id"])
        ctx.add_indicators(counts)
        if mid == "cin_assessments_with_factors":
            continue
        ctx.add_indicators(rate_rows(f"{mid}_rate", counts, pop, multiplier(f"{mid}_rate"), period_label=fy_label,
                                     den_note=None))
