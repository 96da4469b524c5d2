"""The Methods & sources page's tables: the measure registry by topic, for reading."""
from __future__ import annotations

import pandas as pd

from . import data, fmt

MEASURE_COLS = ["topic", "measure_id", "title", "unit", "value_type", "first_year", "last_year", "level"]


def measures_by_id() -> pd.DataFrame:
    return data.measures().set_index("measure_id", drop=False)


def measures_table(m: pd.DataFrame) -> pd.DataFrame:
    """Every measure in topic order (headline measures first), with its years, as text."""
    t = m.loc[data.order_measures(list(m.index))]
    t = t.assign(topic=[data.topic(i) for i in t.index], first_year=t["first_year"].map(fmt.year),
                 last_year=t["last_year"].map(fmt.year))
    return t[MEASURE_COLS].map(fmt.text)
