"""Post step: statistics computed at build time (methods in pipeline/stats/, documented in docs/methods.md).

Adds to `indicator_values`: lower_95, upper_95, lower_998, upper_998, sig_england_95, sig_england_998, sig_region_95,
sig_region_998. Writes funnel_points, funnel_limits, funnel_params, trends, deprivation_gradient, inequality_indices,
ns_models, ns_summary, ns_expected, stat_neighbours, stat_neighbour_variables.
"""
from __future__ import annotations

from ...context import BuildContext
from ...domain import HAS_VALUE
from .deprivation import write_deprivation
from .funnels import write_funnels
from .intervals import confidence_intervals, write_iv_columns
from .neighbours import write_neighbours
from .north_south import FAMILIES, NS_MEASURE, NS_POOLED, PRIMARY_FAMILY, write_north_south
from .trends import write_trends

REQUIRES = ("indicator_values", "measures", "areas", "area_successors", "la_geo", "la_area_km2",
            "stg_lad_population", "stg_ltla22_utla22", "stg_births")
PRODUCES = ("indicator_values:ci", "funnel_points", "funnel_limits", "funnel_params", "trends", "deprivation_gradient",
            "inequality_indices", "ns_models", "ns_summary", "ns_expected", "stat_neighbours",
            "stat_neighbour_variables")


# --------------------------------------------------------------------------------------------------------------------
def run(ctx: BuildContext) -> None:
    iv = ctx.df("""SELECT v.measure_id, v.area_code, v.year, v.period_label, v.value, v.numerator, v.denominator,
                          v.status, m.value_type, m.multiplier, m.period_type
                   FROM indicator_values v JOIN measures m USING (measure_id)""")
    areas = ctx.df("SELECT area_code, area_name, area_type, region_code, country, valid_to FROM areas")
    succ = ctx.df("SELECT old_code, new_code, change_type, additive FROM area_successors")
    ci = confidence_intervals(iv, areas)
    write_iv_columns(ctx, ci)
    rates = ci[ci["lower_95"].notna()].copy()
    write_funnels(ctx, rates, areas)
    write_trends(ctx, rates, iv)
    write_deprivation(ctx, rates, iv, areas, succ)
    write_north_south(ctx, iv, areas, succ)
    write_neighbours(ctx, iv, areas, succ)


__all__ = ["FAMILIES", "HAS_VALUE", "NS_MEASURE", "NS_POOLED", "PRIMARY_FAMILY", "PRODUCES", "REQUIRES", "run"]
