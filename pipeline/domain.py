"""Domain rules, each written once: area codes, the DfE year, codes in force, successors, rates with status and
confidence intervals by value type. Parsers, marts, post steps and the user import all use these.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
import pandas as pd

ENGLAND = "E92000001"
WALES = "W92000004"
HAS_VALUE = ("ok", "denominator_fallback")  # statuses that carry a value
FY_YEARS = range(2011, 2026)  # DfE years (ending 31 March) the atlas covers


# --- the DfE year and codes in force --------------------------------------------------------------------------------
def fy_start(year: int) -> dt.date:
    """First day of the DfE reporting year ending 31 March `year`."""
    return dt.date(year - 1, 4, 1)


def _missing(x) -> bool:
    return x is None or bool(pd.isna(x))


def in_force_on(valid_from, valid_to, day) -> bool:
    """A code is in force on `day` when valid_from <= day <= valid_to (open ends are unbounded).
    Dates may be date, Timestamp, None or NaT."""
    d = pd.Timestamp(day)
    return ((_missing(valid_from) or pd.Timestamp(valid_from) <= d)
            and (_missing(valid_to) or pd.Timestamp(valid_to) >= d))


def in_force(valid_from, valid_to, year: int) -> bool:
    """A code is in force in DfE year `year` when it is valid on 1 April `year`-1 (open ends are unbounded).
    Dates may be date, Timestamp, None or NaT."""
    return in_force_on(valid_from, valid_to, fy_start(year))


def in_force_sql(year: int, alias: str = "") -> tuple[str, list]:
    """The same rule as `in_force` as a SQL condition on `areas.valid_from/valid_to` and its parameters."""
    a = f"{alias}." if alias else ""
    d = fy_start(year)
    return f"({a}valid_from IS NULL OR {a}valid_from <= ?) AND ({a}valid_to IS NULL OR {a}valid_to >= ?)", [d, d]


def las_in_force(con, year: int, country: str = "England", columns: str = "a.area_code",
                 join: str = "") -> pd.DataFrame:
    """LAs of `country` in force in DfE year `year` (from `areas`, alias a), ordered by code."""
    cond, params = in_force_sql(year, "a")
    return con.execute(f"SELECT {columns} FROM areas a {join} WHERE a.area_type='la' AND a.country=? AND {cond} "
                       "ORDER BY a.area_code", [country, *params]).df()


# --- successors -----------------------------------------------------------------------------------------------------
def carried_forward(have, succ: pd.DataFrame) -> list:
    """Successor relations (rows of `area_successors`) whose new code has no value of its own and whose old code has:
    a code created after an edition's geography carries its predecessor's value forward."""
    have = set(have)
    return [s for s in succ.itertuples() if s.old_code in have and s.new_code not in have]


def successor_map(succ: pd.DataFrame) -> dict[str, list[str]]:
    """old code -> its new codes (pass `area_successors` filtered as the rule needs, e.g. additive changes only)."""
    return succ.groupby("old_code")["new_code"].apply(list).to_dict()


# --- rates with status ----------------------------------------------------------------------------------------------
def rate_with_status(count: pd.DataFrame, den, multiplier: float, den_status=None, den_note=None,
                     missing_note=None, replace_note_when_missing: bool = False) -> pd.DataFrame:
    """Rates from counts (columns value, status, note) and denominators aligned with them.

    - a count that is not `ok` keeps its status and note (no numerator, no value);
    - an `ok` count without a positive denominator: `not_available`, numerator kept, note = `missing_note` joined to
      (or, with replace_note_when_missing, replacing) the count's note;
    - otherwise value = count / denominator x multiplier with status `den_status` (default ok) and the count's note
      joined with `den_note`.
    `den`, `den_status`, `den_note`, `missing_note` are scalars or sequences aligned with `count`.
    Returns value, numerator, denominator, status, note (index of `count`).
    """
    from .parsers.common import join_notes
    c = count
    n = len(c)

    def seq(x, dtype=object):
        return pd.Series(list(x) if isinstance(x, (list, tuple, pd.Series, np.ndarray)) else [x] * n,
                         index=c.index, dtype=dtype)
    dv = pd.to_numeric(seq(den, object), errors="coerce").astype(float)
    ok = c["status"].eq("ok")
    has = ok & dv.notna() & (dv > 0)
    miss = ok & ~has
    dst, dnote, mnote = seq(den_status if den_status is not None else "ok"), seq(den_note), seq(missing_note)
    notes = [(m_ if replace_note_when_missing else join_notes(n_, m_)) if m else (join_notes(n_, d_) if h else n_)
             for n_, d_, m_, m, h in zip(c["note"], dnote, mnote, miss, has)]
    return pd.DataFrame({
        "value": (c["value"].astype(float) / dv * multiplier).where(has),
        "numerator": c["value"].where(ok), "denominator": dv.where(has),
        "status": c["status"].where(~miss, "not_available").where(~has, dst),
        "note": pd.Series(notes, index=c.index, dtype=object)}, index=c.index)


# --- confidence intervals by value type -----------------------------------------------------------------------------
def ci(value_type: str, numerator, denominator, multiplier, level: float = 0.95):
    """95%/99.8% interval of a rate (Byar / exact Poisson) or a proportion (Wilson score), scaled by the multiplier."""
    from . import stats as S
    if value_type == "rate":
        return S.byar_ci(numerator, denominator, multiplier, level)
    if value_type == "proportion":
        return S.wilson_ci(numerator, denominator, level, multiplier)
    raise ValueError(f"no confidence interval for value type {value_type!r}")


# --- the measure registry -------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _registry() -> dict[str, dict]:
    from .registry import load_measures
    return {m["measure_id"]: m for m in load_measures()}


def measure(measure_id: str) -> dict:
    """The registry row of a measure (data/measures*.toml)."""
    return _registry()[measure_id]


def multiplier(measure_id: str) -> float:
    """The registry's multiplier of a measure (e.g. 10,000 for a rate per 10,000)."""
    return float(_registry()[measure_id]["multiplier"])


def check_rates(iv: pd.DataFrame, measures: list[dict], rtol: float = 1e-9) -> None:
    """Every rate or proportion with a numerator and a denominator equals numerator / denominator x multiplier
    (within rounding). Raises ValidationError naming the measure, area and year."""
    from .errors import ValidationError
    info = {m["measure_id"]: m for m in measures}
    vt = iv["measure_id"].map(lambda x: info[x].get("value_type"))
    mult = iv["measure_id"].map(lambda x: float(info[x]["multiplier"])).astype(float)
    m = vt.isin(["rate", "proportion"]) & iv["value"].notna() & iv["numerator"].notna() & iv["denominator"].gt(0)
    expect = iv["numerator"] / iv["denominator"] * mult
    bad = m & ~np.isclose(iv["value"], expect, rtol=rtol, atol=0)
    if bad.any():
        r = iv[bad].iloc[0]
        raise ValidationError(f"{r['measure_id']} {r['area_code']} {r['year']}: value {r['value']:g} is not numerator "
                              f"/ denominator x multiplier ({r['numerator']:g} / {r['denominator']:g} x "
                              f"{mult[bad].iloc[0]:g} = {expect[bad].iloc[0]:g})")


# --- services open in a DfE year ------------------------------------------------------------------------------------
def open_at(units: pd.DataFrame, year: int) -> pd.DataFrame:
    """Units open at 31 March `year` (a unit without an opening date is assumed open throughout). The services
    measures of DfE year Y count these units (pipeline/marts/services.py); the Services page shows the same ones."""
    ref = dt.date(year, 3, 31)
    opened = units["opened"]
    keep = opened.isna() | opened.map(lambda d: d is not None and d == d and pd.Timestamp(d).date() <= ref)
    return units[keep.astype(bool)].reset_index(drop=True)
