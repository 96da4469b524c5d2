"""The Compare page's logic: the areas compared, the measures x areas ("tartan") table with its neighbour-group
column, and the spine chart's rows. The page only lays these out."""
from __future__ import annotations

import pandas as pd

from . import charts, data, fmt, profile_lib, ui


def codes(area: str, info: dict, comp: list[str]) -> list[str]:
    """The area, its region, England and the comparators, once each, in that order."""
    out = [area, info.get("region_code"), data.ENGLAND, *comp]
    return [c for c in dict.fromkeys(out) if c]


# the "tartan" table: measures × areas, each cell = value (CI) + significance symbol
def cell(r) -> str:
    if r.status not in data.OK_STATUSES:
        return {"suppressed": "suppressed", "not_applicable": "n/a"}.get(r.status, "not available")
    dec = fmt.decimals(data.measure(r.measure_id))
    s = fmt.num(r.value, dec)
    if fmt.ci(r.lower_95, r.upper_95, dec):
        s += f" ({fmt.ci(r.lower_95, r.upper_95, dec)})"
    if isinstance(r.sig_england_95, str) and r.area_type == "la":
        s = charts.SIG_SYMBOL.get(r.sig_england_95, "") + " " + s
    return s


def tartan(vals: pd.DataFrame, codes: list[str], area: str, latest: pd.DataFrame, set_id: str | None,
           names: dict) -> pd.DataFrame:
    """Measures (rows, grouped by topic) x areas (columns), with the neighbour-group column, period, official and
    topic columns."""
    vals = vals.assign(cell=[cell(r) for r in vals.itertuples()])
    tab = vals.pivot_table(index="measure_id", columns="area_code", values="cell", aggfunc="first")
    tab = tab[[c for c in codes if c in tab.columns]]
    tab = tab.loc[data.order_measures(list(tab.index))].fillna("")  # grouped by topic, headline measures first
    tab.columns = [names.get(c, c) for c in tab.columns]
    grp = data.neighbour_group(area, latest, set_id) if set_id else pd.DataFrame()
    if len(grp):  # the neighbour-group column: mean and median of the set's neighbours (not of the chips)
        g = grp.set_index("measure_id")
        tab.insert(min(3, len(tab.columns)), "Neighbour group: mean / median (neighbours with a value)",
                   [ui.neighbour_group_cell(g.loc[m], fmt.decimals(data.measure(m))) if m in g.index else ""
                    for m in tab.index])
    per = latest.set_index("measure_id")["period_label"]
    tab.insert(0, "Period", [per.get(m, "") for m in tab.index])
    tab.insert(1, "Official", ["no — user-supplied" if data.is_user(m) else "yes" for m in tab.index])
    tab.insert(0, "Topic", [data.topic(m) for m in tab.index])
    tab.index = [ui.measure_name(m) for m in tab.index]
    return tab


def spine_rows(latest: pd.DataFrame) -> pd.DataFrame:
    """The spine chart's rows: measures with more than two LAs to compare with, in topic order."""
    sp = data.spine(latest)
    rows = latest.merge(sp, on=["measure_id", "year"], how="inner")
    return profile_lib.by_topic(rows[rows["n"] > 2])
