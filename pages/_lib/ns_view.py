"""The North–south & deprivation page's choices: the measures it offers, its views, and the model periods shown
first (the selected year and the pooled period) and under "Other years". The page only lays them out."""
from __future__ import annotations

import pandas as pd

from . import charts, data

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


def scatter_count_text(sd: pd.DataFrame, period: str) -> str:
    ok = sd[sd["value"].notna()]
    return (f"{len(ok)} local authorities have a value in {period}; "
            f"{int(sd['value'].isna().sum())} have none (suppressed or not available) and are not plotted.")


def editions(dg: pd.DataFrame) -> list:
    return sorted(dg["imd_edition"].unique())


def sii_text(mid: str, year: int, edition, unit: str) -> str | None:
    """The slope and relative indices of inequality for the IMD edition, in words (None if not computed)."""
    ineq = data.inequality(mid, year)
    if ineq is not None and len(ineq[ineq["imd_edition"] == edition]):
        r = ineq[ineq["imd_edition"] == edition].iloc[0]
        return (f"**Slope index of inequality (SII):** {charts.fmt(r.sii)} {unit} "
                f"(95% CI {charts.fmt(r.sii_lower)} to {charts.fmt(r.sii_upper)}): the modelled gap between "
                f"the most and least deprived ends of the distribution of local authorities. "
                f"Relative index (RII): {charts.fmt(r.rii, digits=2)}.")
    return None


def decile_text(d: pd.DataFrame, unit: str) -> str:
    return (f"Decile 1 = the most deprived tenth of local authorities. Most deprived decile "
            f"{charts.fmt(d['rate'].iloc[0])}, least deprived {charts.fmt(d['rate'].iloc[-1])} {unit}.")
