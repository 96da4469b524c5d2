"""Which denominator a set of rates used, in the one wording the app shows (map caption, key findings).

A rate for DfE year Y normally uses live births of calendar year Y-1; rows with status `denominator_fallback` name
the denominator they used instead (pipeline/denominator_notes.py writes and reads those notes).
"""
from __future__ import annotations

import pandas as pd

from pipeline.denominator_notes import denominator_basis


def note(df: pd.DataFrame) -> str | None:
    """'Denominator: N of these rates use <basis> instead of live births of the year before ...', or None when
    every rate in `df` uses live births of the year before (or `df` has no status/note columns)."""
    if "note" not in df or "status" not in df:
        return None
    basis = [b for b in (denominator_basis(n, s) for n, s in zip(df["note"], df["status"])) if b]
    if not basis:
        return None
    return (f"Denominator: {len(basis)} of these rates use {' / '.join(sorted(set(basis)))} instead of live births "
            "of the year before (not yet published for this period); they are flagged in the tooltips and the table.")
