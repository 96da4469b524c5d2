"""Shared helpers for marts."""
from __future__ import annotations

import pandas as pd

from ..domain import FY_YEARS  # noqa: F401 (re-exported)

IV_COLS = ["measure_id", "area_code", "year", "period_label", "value", "numerator", "denominator", "status", "note",
           "source_id"]
STATUSES = {"ok", "suppressed", "not_applicable", "not_available", "denominator_fallback"}


def iv_frame(**cols) -> pd.DataFrame:
    """Build a frame with exactly the indicator_values columns (missing ones are NULL)."""
    df = pd.DataFrame(cols)
    for c in IV_COLS:
        if c not in df.columns:
            df[c] = None
    return df[IV_COLS]
