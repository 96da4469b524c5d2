"""Newborns in care proceedings (Nuffield FJO 'Born into care' reports, Cafcass / Cafcass Cymru data), from
`stg_nfjo_reference`. Each figure keeps its citation, the page it was read from and the file's notes in `note`.

Definitions are never mixed: England 2018 report = newborn aged under 7 days at issue of s.31 proceedings; Wales 2019
report = newborn within two weeks of birth; 2021 report (as quoted by a secondary summary) = 'babies under 2 weeks'.
Each (report, definition, quantity) is its own measure. Cumulative and multi-year 'overall' figures are their own
measures (one period each) so they are never read as one year of a series.
Rows that are not an NFJO newborn figure for England, a region or Wales (Cafcass all-age application totals, the
Huddersfield/UCLan FOI rate, the Pearson et al. LA mean, the '16 outlier LAs' summary) are not loaded.
"""
from __future__ import annotations

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from ..parsers.common import join_notes
from .common import iv_frame

REQUIRES = ("areas", "stg_nfjo_reference")
PRODUCES = ("indicators",)

SID = "nfjo_reference_figures"
# (citation starts with, measure text as in the file) -> (measure_id, expected unit)
RULES = {
    ("Broadhurst K", "newborns subject of local authority s.31 care proceedings, cumulative"):
        ("nfjo_newborns_s31_u7d_cumulative", "children"),
    ("Broadhurst K", "newborns subject of s.31 care proceedings"): ("nfjo_newborns_s31_u7d", "children"),
    ("Broadhurst K", "newborns as share of all infant (<1 year) s.31 cases"):
        ("nfjo_newborns_s31_u7d_share_infant", "percent"),
    ("Broadhurst K", "newborn incidence rate in s.31 care proceedings"):
        ("nfjo_newborns_s31_u7d_rate", "per 10,000 live births"),
    ("Broadhurst K", "overall newborn incidence rate in s.31 care proceedings"):
        ("nfjo_newborns_s31_u7d_rate_overall", "per 10,000 live births"),
    ("Broadhurst K", "share of newborn cases that were 'subsequent infants' (older sibling previously in s.31 "
                     "proceedings)"): ("nfjo_newborns_s31_u7d_subsequent_share", "percent"),
    ("Alrouh B", "newborn incidence rate in care proceedings"): ("nfjo_wales_newborns_u2w_rate", "per 10,000 births"),
    ("Alrouh B", "newborns (<2 weeks) as share of all infant (<1 year) care proceedings"):
        ("nfjo_wales_newborns_u2w_share_infant", "percent"),
    ("Pattinson R", "newborn babies in care proceedings"): ("nfjo_newborns_2021_u2w", "children per year"),
    ("Pattinson R", "newborn incidence rate in care proceedings"):
        ("nfjo_newborns_2021_u2w_rate", "per 10,000 live births"),
}
NFJO_AUTHORS = ("Broadhurst K", "Alrouh B", "Pattinson R")


def _rule(source: str, measure: str):
    for (author, text), target in RULES.items():
        if source.startswith(author) and measure == text:
            return target
    return None


def build(ctx: BuildContext) -> None:
    st = ctx.df("SELECT * FROM stg_nfjo_reference ORDER BY line")
    areas = ctx.df("SELECT area_code, area_name, area_type FROM areas "
                   "WHERE area_type IN ('england', 'region', 'country')")
    by_name = dict(zip(areas["area_name"], areas["area_code"]))  # England, the 9 regions, Wales (not LAs)
    rows = []
    for r in st.itertuples(index=False):
        target = _rule(r.source, r.measure)
        if target is None:
            if r.source.startswith(NFJO_AUTHORS) and r.geography in by_name:
                ctx.warn(f"{ctx.rel(SID)} line {r.line}: NFJO figure {r.measure!r} ({r.geography}, {r.period}) "
                         f"matches no newborn measure; not loaded")
            continue
        mid, unit = target
        if r.unit != unit:
            raise SourceError(SID, ctx.rel(SID), f"unit {r.unit!r} does not match measure {mid} (expected {unit!r})",
                              column="unit", row=int(r.line), value=r.unit)
        code = by_name.get(r.geography)
        if code is None:
            continue  # e.g. 'England: 16 outlier local authorities' (not an area)
        flags = []
        if r.value_qualifier == ">":
            flags.append(f"LOWER BOUND: the source says 'above {r.value:g}'")
        if r.value_qualifier == "<":
            flags.append(f"UPPER BOUND: the source says 'below {r.value:g}'")
        if r.secondary:
            flags.append("SECONDARY SUMMARY: figure read from a secondary summary, not the report itself")
        note = join_notes(*flags, f"citation: {r.source}", f"part: {r.table}", f"read from {r.page_url}",
                          r.notes or None)
        rows.append(dict(measure_id=mid, area_code=code, year=int(r.year), period_label=r.period, value=r.value,
                         status="ok", note=note, source_id=SID))
    df = pd.DataFrame(rows)
    ctx.add_indicators(iv_frame(**{c: df[c] for c in df.columns}))
