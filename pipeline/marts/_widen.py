"""Helpers shared by the widen marts (not discovered as a mart: the name starts with an underscore)."""
from __future__ import annotations

import pandas as pd

from ..parsers.common import join_notes
from .common import IV_COLS, iv_frame


def rate_rows(measure_id: str, num: pd.DataFrame, den: dict, multiplier: float, den_note: str | None = None,
              period_label=None) -> pd.DataFrame:
    """Rates from a count frame (area_code, year, value, status, note, source_id) and a {(area, year): denominator}.

    A count that is not `ok` keeps its status and reason; a missing denominator gives `not_available`.
    """
    d = num.reset_index(drop=True).copy()
    d["year"] = d["year"].astype(int)
    keys = list(zip(d["area_code"], d["year"]))
    dv = pd.Series([den.get(k) for k in keys], dtype=float)
    ok = d["status"].eq("ok")
    has = ok & dv.notna() & (dv > 0)
    miss = ok & ~has
    out = pd.DataFrame({
        "area_code": d["area_code"], "year": d["year"],
        "period_label": d["year"].map(period_label) if period_label else d["year"].astype(str),
        "value": (d["value"] / dv * multiplier).where(has),
        "numerator": d["value"].where(ok), "denominator": dv.where(has),
        "status": d["status"].where(~miss, "not_available"),
        "note": [join_notes(n, "no denominator for this area and year") if m else (join_notes(n, den_note) if h else n)
                 for n, m, h in zip(d["note"], miss, has)],
        "source_id": d["source_id"]})
    return iv_frame(measure_id=measure_id, **{c: out[c] for c in out.columns if c in IV_COLS})
