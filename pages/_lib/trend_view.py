"""The Trends page's logic: the series drawn for the chosen areas (with their regions, England and any series
continued across reorganisations), the table alternative, and the fitted change over the period in words."""
from __future__ import annotations

import pandas as pd

from . import data, findings, ui


def area_series(mid: str, sel: list[str], show_cont: bool) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(series, continued series, reorganisations) for the selected LAs, their regions and England, in that order."""
    info = data.areas().set_index("area_code")
    regions = sorted({info.loc[c, "region_code"] for c in sel if c in info.index and info.loc[c, "region_code"]})
    cont = data.continuity(mid, list(sel)) if show_cont else data.continuity(mid, [])
    former = [c for c in dict.fromkeys(cont["area_code"]) if c not in sel]  # split: the former area's own line
    codes = list(sel) + former + regions + [data.ENGLAND]
    ser = data.series(mid, codes)
    order = {c: i for i, c in enumerate(codes)}
    ser = ser.assign(_o=ser["area_code"].map(order)).sort_values(["_o", "year"]).drop(columns="_o")
    brk = data.breaks_for(list(sel))
    return ser, cont, brk


def region_series(mid: str) -> pd.DataFrame:
    return data.series(mid, data.region_codes() + [data.ENGLAND])


def table(ser: pd.DataFrame, unit: str, cont: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chart's values as a table (with the continued series, where drawn)."""
    tbl = ui.status_table(ser, unit).assign(Year=ser["period_label"].values)
    if cont is not None and len(cont):
        cont_named = cont.assign(area_name=cont["label"])
        tbl = pd.concat([tbl, ui.status_table(cont_named, unit).assign(Year=cont["period_label"].values)],
                        ignore_index=True)
    return tbl


def change_lines(mid: str, sel: list[str], names: dict, user: bool) -> list[str]:
    """The fitted change a year of each selected area, in words (none for user data)."""
    ts = None if user else data.trend_summary(mid)
    if ts is not None and sel:
        t = ts[ts["area_code"].isin(sel)]
        if len(t):
            return findings.trend_lines(t, names)
    return []
