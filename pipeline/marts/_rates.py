"""Rate rows for count marts (a helper, not a mart: the name starts with an underscore)."""
from __future__ import annotations

import pandas as pd

from ..domain import rate_with_status
from .common import IV_COLS, iv_frame


def rate_rows(measure_id: str, num: pd.DataFrame, den: dict, multiplier: float, den_note: str | None = None,
              period_label=None) -> pd.DataFrame:
    """Rates from a count frame (area_code, year, value, status, note, source_id) and a {(area, year): denominator}.

    A count that is not `ok` keeps its status and reason; a missing denominator gives `not_available`.
    """
    d = num.reset_index(drop=True).copy()
    d["year"] = d["year"].astype(int)
    dv = [den.get(k) for k in zip(d["area_code"], d["year"])]
    rated = rate_with_status(d, dv, multiplier, den_note=den_note, missing_note="no denominator for this area and year")
    return iv_frame(measure_id=measure_id, area_code=d["area_code"], year=d["year"],
                    period_label=d["year"].map(period_label) if period_label else d["year"].astype(str),
                    **rated, source_id=d["source_id"])[IV_COLS]
