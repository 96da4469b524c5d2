"""Rates, CIs, significance and funnel flags of a user extract (same statistics code as the official measures), with
live-births denominators where none is given and disclosure control applied before anything is derived."""
from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from .schema import DEFINITION_FIELDS, VALUE_COLS, DisclosureRule, suppressed_note


def add_denominators(v: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Fill missing denominators with live births under the foundation alignment rule (births_denominators)."""
    den = con.execute("SELECT area_code, year, denominator AS bd, status AS bd_status, note AS bd_note "
                      "FROM births_denominators").df()
    v = v.merge(den, on=["area_code", "year"], how="left")
    given = v["denominator"].notna()
    v["status"] = "ok"
    v["note"] = None
    v.loc[given, "note"] = "denominator supplied by the user"
    use = ~given & v["bd"].notna()
    v.loc[use, "denominator"] = v.loc[use, "bd"]
    v.loc[use, "status"] = v.loc[use, "bd_status"]
    v.loc[use, "note"] = v.loc[use, "bd_note"].fillna("denominator: live births of the year before (alignment rule)")
    none = ~given & v["bd"].isna()
    v.loc[none, "status"] = "not_available"
    v.loc[none, "note"] = "no denominator supplied and no live-births denominator for this area and year"
    return v.drop(columns=["bd", "bd_status", "bd_note"])


def apply_disclosure(v: pd.DataFrame, areas: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """Primary suppression of counts in the rule's range, then complementary suppression: wherever a total
    supplied in the extract has exactly one suppressed member, the smallest other member is suppressed too,
    repeated until no shown total has exactly one.

    Members of a total: for a region (or Wales) its LAs; for England, each region whose own total is in the extract
    (as one unit, so England minus the shown region totals minus the other shown LAs cannot reveal a cell) plus the
    English LAs of regions without a total. LAs are preferred over region totals as complementary cells."""
    v = v.copy()
    v["suppressed"] = v["numerator"].map(rule.primary)
    v["why"] = np.where(v["suppressed"], f"suppressed by disclosure control (count {rule.min_count}-{rule.max_count})",
                        None)
    kind = v["area_code"].map(areas["area_type"])
    region = v["area_code"].map(areas["region_code"])
    changed = True
    while changed:
        changed = False
        for (m, y), g in v.groupby(["measure_id", "year"]):
            gk = kind.loc[g.index]
            las = g[gk == "la"]
            totals = g[gk.isin(["england", "region", "country"])]
            for t in totals.itertuples():
                if v.at[t.Index, "suppressed"]:
                    continue
                if kind.at[t.Index] == "england":
                    regs = g[gk == "region"]
                    eng_las = las[region.loc[las.index].fillna("").str.startswith("E12")]
                    members = pd.concat([regs, eng_las[~region.loc[eng_las.index].isin(set(regs["area_code"]))]])
                else:
                    members = las[region.loc[las.index] == t.area_code]
                members = v.loc[members.index]
                hidden = members["suppressed"] & ~members["numerator"].isna()
                if hidden.sum() == 1:
                    rest = members[~members["suppressed"]]
                    rest = rest.assign(_reg=(kind.loc[rest.index] != "la")).sort_values(["_reg", "numerator"])
                    j = rest.index[0] if len(rest) else t.Index
                    v.at[j, "suppressed"] = True
                    v.at[j, "why"] = "suppressed so that a suppressed count cannot be worked out from a total"
                    changed = True
                    break
            if changed:
                break
    return v


def compute(values: pd.DataFrame, con: duckdb.DuckDBPyConnection, rule: DisclosureRule | None = None,
            multiplier: float = 10000, source_label: str = "user-supplied") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rates per `multiplier`, 95%/99.8% CIs (Byar / exact Poisson), comparison with England (the extract's England
    row if given, else the pooled rate of the extract's unsuppressed LAs) and funnel flags. Disclosure control is
    applied before anything is derived, so no output depends on a suppressed count."""
    from .. import stats
    from ..domain import ci
    rule = rule or DisclosureRule()
    areas = con.execute("SELECT area_code, area_type, region_code FROM areas").df().set_index("area_code")
    v = add_denominators(values.copy(), con)
    v = apply_disclosure(v, areas, rule)
    v["period_label"] = v["year"].map(lambda y: f"{y - 1}/{str(y)[-2:]}")
    v["source_id"] = source_label
    num = v["numerator"].astype(float).where(~v["suppressed"])
    den = v["denominator"].astype(float)
    have = num.notna() & den.notna() & (den > 0) & (v["status"] != "not_available")
    v["value"] = np.where(have, num / den * multiplier, np.nan)
    for lvl, sfx in ((0.95, "95"), (0.998, "998")):
        lo, hi = ci("rate", num.where(have).to_numpy(), den.where(have).to_numpy(), multiplier, lvl)
        v[f"lower_{sfx}"], v[f"upper_{sfx}"] = lo, hi
    kind = v["area_code"].map(areas["area_type"])
    comp_vals = {}
    for (m, y), g in v.groupby(["measure_id", "year"]):
        eng = g[(kind.loc[g.index] == "england") & have.loc[g.index]]
        if len(eng):
            comp_vals[(m, y)] = ("England (from the extract)", float(eng["value"].iloc[0]))
        else:
            la = g[(kind.loc[g.index] == "la") & have.loc[g.index]]
            if len(la) >= 2:
                comp_vals[(m, y)] = ("all LAs in the extract (pooled, suppressed cells excluded)",
                                     float(la["numerator"].sum() / la["denominator"].sum() * multiplier))
    v["comparator"] = [comp_vals.get((m, y), (None, np.nan))[0] for m, y in zip(v["measure_id"], v["year"])]
    v["comparator_value"] = [comp_vals.get((m, y), (None, np.nan))[1] for m, y in zip(v["measure_id"], v["year"])]
    for sfx in ("95", "998"):
        sig = stats.significance(v[f"lower_{sfx}"], v[f"upper_{sfx}"], v["comparator_value"])
        v[f"sig_comparator_{sfx}"] = np.where(kind == "la", sig, "not_compared")
    for lvl, sfx in ((0.95, "95"), (0.998, "998")):
        flags = []
        for r in v.itertuples():
            if not (have.at[r.Index] and kind.at[r.Index] == "la" and not np.isnan(r.comparator_value)):
                flags.append("not_compared")
                continue
            lo, hi = stats.funnel_limits(r.comparator_value / multiplier, np.array([r.denominator]), lvl)
            flags.append(str(stats.funnel_flag([r.value / multiplier], lo, hi)[0]))
        v[f"funnel_flag_{sfx}"] = flags
    sup = v["suppressed"]
    v.loc[sup, ["value", "numerator", "lower_95", "upper_95", "lower_998", "upper_998"]] = np.nan
    v.loc[sup, ["sig_comparator_95", "sig_comparator_998", "funnel_flag_95", "funnel_flag_998"]] = "not_compared"
    v.loc[sup, "status"] = "suppressed"
    # one note for every suppressed cell: saying which cells were primary (count in the rule's range) and which
    # were complementary would narrow the hidden counts (total - shown = primary + complementary)
    v.loc[sup, "note"] = suppressed_note(rule)
    for f in DEFINITION_FIELDS:
        if f not in v:
            v[f] = ""
    meas = (v.groupby("measure_id").agg(definition=("definition", "first"), source=("source", "first"),
                                        first_year=("year", "min"), last_year=("year", "max"),
                                        **{f: (f, "first") for f in DEFINITION_FIELDS}).reset_index())
    meas["title"] = meas["measure_id"].str.replace("_", " ") + " (user-supplied)"
    meas["unit"] = f"per {multiplier:,.0f} live births" if multiplier == 10000 else f"per {multiplier:,.0f}"
    meas["multiplier"] = multiplier
    meas["official"] = False
    meas["disclosure_rule"] = f"counts {rule.min_count}-{rule.max_count} suppressed, with complementary suppression"
    return v[VALUE_COLS].reset_index(drop=True), meas
