"""Child and maternal context measures (data/measures/context.toml) -> indicator_values.

LAIT items are keyed by DfE LA number: each is mapped to the ONS code in force in the period with the project's
DfE-number mapping (pipeline/marts/comparators.DfeCodes; never by name): calendar year Y -> the code in force on
1 July Y; year ending 31 March Y -> the code in force on 1 April Y-1. LAIT "-" (no figure) stays missing: status
`suppressed` with the reason in `note`, never filled. Where the publisher gives a figure for an LA in a year
before it existed (figures re-based to later boundaries, e.g. Bournemouth, Christchurch and Poole 2016), the
figure is kept on that LA with a note; "-" cells of LAs that did not exist are not emitted.
DfE region numbers are mapped to ONS region codes by the fixed table below (987/988, Inner/Outer London, have no
atlas area and are skipped).
"""
from __future__ import annotations

import datetime as dt

import pandas as pd

from ..context import BuildContext
from ..domain import ENGLAND, fy_start, in_force
from ..errors import SourceError
from ..parsers.common import fy_label
from .common import iv_frame
from .comparators import DfeCodes

REQUIRES = ("areas", "area_dfe_codes", "stg_lait_context", "stg_child_low_income")
PRODUCES = ("indicators",)

DFE_REGIONS = {"970": ENGLAND, "980": "E12000001", "981": "E12000002", "982": "E12000003", "983": "E12000004",
               "984": "E12000005", "985": "E12000006", "986": "E12000007", "989": "E12000008", "990": "E12000009"}
DFE_SKIP = {"987", "988"}  # London (Inner), London (Outer)
# LAIT item -> (measure_id, period type)
LAIT_MEASURES = {"InfMort": ("context_infant_mortality", "calendar"),
                 "Low_Birth_Weight_Babies": ("context_low_birth_weight", "calendar"),
                 "Under18concep": ("context_u18_conceptions", "calendar"),
                 "6wksBreast": ("context_breastfeeding_6_8wk", "fy")}
NO_FIGURE = {
    "6wksBreast": "'-' in DfE LAIT: no figure published (OHID withholds 6-8 week breastfeeding figures for areas "
                  "whose returns fail its coverage and data-quality checks, or with small numbers)",
}
NO_FIGURE_DEFAULT = "'-' in DfE LAIT: no figure published (suppressed for small numbers or not available)"
LOW_INCOME = "context_child_low_income"


def _ref(year: int, kind: str) -> dt.date:
    return dt.date(year, 7, 1) if kind == "calendar" else fy_start(year)


def lait_rows(ctx: BuildContext, codes: DfeCodes) -> pd.DataFrame:
    stg = ctx.df("SELECT * FROM stg_lait_context")
    rows = []
    for r in stg[stg["item"].isin(LAIT_MEASURES)].itertuples():
        mid, kind = LAIT_MEASURES[r.item]
        num = r.la_number
        if num in DFE_SKIP:
            continue
        note = None
        if num in DFE_REGIONS:
            code = DFE_REGIONS[num]
        else:
            code, in_force = codes.code(num, _ref(r.year, kind))
            if code is None:
                raise SourceError("dfe_lait_bds", ctx.rel("dfe_lait_bds"), "DfE LA number not in the atlas's "
                                  "DfE-number mapping", column="LA Number", row=int(r.row), value=num)
            if not in_force:
                if r.value_text == "-":
                    continue
                note = (f"figure published by DfE LAIT for the LA as later constituted; {code} was not in force in "
                        f"{r.year if kind == 'calendar' else fy_label(r.year)}")
        if r.value_text == "-":
            value, status, note = None, "suppressed", NO_FIGURE.get(r.item, NO_FIGURE_DEFAULT)
        else:
            value, status = float(r.value_text), "ok"
        rows.append(dict(measure_id=mid, area_code=code, year=int(r.year),
                         period_label=str(r.year) if kind == "calendar" else fy_label(int(r.year)),
                         value=value, status=status, note=note, source_id="dfe_lait_bds"))
    return iv_frame(**pd.DataFrame(rows).to_dict("list"))


def low_income_rows(ctx: BuildContext, codes: DfeCodes) -> pd.DataFrame:
    stg = ctx.df("SELECT * FROM stg_child_low_income")
    areas = ctx.df("SELECT area_code, area_type, valid_from, valid_to FROM areas")
    known = set(areas["area_code"])
    d = stg[stg["area_code"].isin(known)].copy()
    valid = dict(zip(areas["area_code"], zip(areas["valid_from"], areas["valid_to"])))
    present = set(zip(d["area_code"], d["year"]))
    keep, notes = [], []
    for r in d.itertuples():
        note = None
        if not in_force(*valid[r.area_code], r.year):
            other = codes.canonical(r.area_code, fy_start(r.year))
            if other != r.area_code and (other, r.year) in present:
                keep.append(False)  # the same LA under the code in force that year (e.g. Barnsley E08000016)
                notes.append(None)
                continue
            note = (f"DWP publishes the series on current LA boundaries; {r.area_code} was not in force in "
                    f"{fy_label(r.year)}")
        keep.append(True)
        notes.append(note)
    d = d.assign(note=notes)[keep]
    out = iv_frame(measure_id=LOW_INCOME, area_code=d["area_code"].values, year=d["year"].values,
                   period_label=[fy_label(y) for y in d["year"]], value=d["value"].values,
                   status=["ok" if v == v else "not_available" for v in d["value"]],
                   note=[n if v == v else "no figure in the file" for n, v in zip(d["note"], d["value"])],
                   source_id="ons_els_child_poverty")
    # England: the ONS file has no England row; DfE LAIT republishes the same DWP figure (to 1 decimal place)
    eng = ctx.df("SELECT year, value_text FROM stg_lait_context WHERE item = 'ChildPov' AND la_number = '970'")
    eng = eng[eng["value_text"] != "-"]
    if len(eng):
        out = pd.concat([out, iv_frame(
            measure_id=LOW_INCOME, area_code=ENGLAND, year=eng["year"].astype(int).values,
            period_label=[fy_label(int(y)) for y in eng["year"]], value=eng["value_text"].astype(float).values,
            status="ok", note="England figure from DfE LAIT (the same DWP statistic, rounded to 1 decimal place); "
                              "the ONS file gives no England row", source_id="dfe_lait_bds")], ignore_index=True)
    return out


def build(ctx: BuildContext) -> None:
    codes = DfeCodes(ctx)
    ctx.add_indicators(lait_rows(ctx, codes))
    ctx.add_indicators(low_income_rows(ctx, codes))
