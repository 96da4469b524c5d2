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
    out = []
    for r in num.itertuples(index=False):
        base = dict(area_code=r.area_code, year=int(r.year),
                    period_label=period_label(int(r.year)) if period_label else str(r.year), source_id=r.source_id)
        if r.status != "ok":
            out.append(dict(base, status=r.status, note=r.note))
            continue
        d = den.get((r.area_code, int(r.year)))
        if d is None or pd.isna(d) or d <= 0:
            out.append(dict(base, numerator=r.value, status="not_available",
                            note=join_notes(r.note, "no denominator for this area and year")))
            continue
        out.append(dict(base, value=r.value / d * multiplier, numerator=r.value, denominator=d, status="ok",
                        note=join_notes(r.note, den_note)))
    df = pd.DataFrame(out)
    return iv_frame(measure_id=measure_id, **{c: df[c] for c in df.columns if c in IV_COLS})
