"""The North–south & deprivation page's choices: the measures it offers, its views, and the model periods shown
first (the selected year and the pooled period) and under "Other years". The page only lays them out."""
from __future__ import annotations

import pandas as pd

from . import data

SECTIONS = {"scatter": "Scatter plots", "deciles": "Deprivation deciles", "models": "Model (plain language)",
            "oe": "Observed / expected map", "funnel": "Funnel plot", "services": "Services and rates"}


def measure_ids() -> list[str]:
    """LA-level rates (the views compare rates between LAs), else every mapped measure."""
    return [m for m in data.map_measure_ids() if data.measure(m).get("value_type") == "rate"
            and data.measure(m).get("level") == "la"] or data.map_measure_ids()


def sections(mid: str) -> dict[str, str]:
    sections = dict(SECTIONS)
    if data.is_user(mid):  # user data: the LA-level views only (no new totals are derived from user data)
        sections = {k: v for k, v in sections.items() if k in ("scatter", "funnel")}
    return sections


def model_periods(sm: pd.DataFrame, year: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ns_summary rows of (the selected year, the pooled period, the other single years)."""
    this = sm[sm["period"] == str(year)]
    pooled = sm[sm["period"].str.contains("-")]
    others = sm[(sm["period"] != str(year)) & ~sm["period"].str.contains("-")]
    return this, pooled, others
