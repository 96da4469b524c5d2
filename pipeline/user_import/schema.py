"""The user-extract format and results: columns, limits, the CSV template, the disclosure rule, problems and the result
of an import, and how a file's bytes are decoded (docs/import.md)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MIN_YEAR, MAX_YEAR = 2000, 2030
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
REQUIRED = ["measure", "numerator"]
OPTIONAL = ["area_code", "old_la_code", "year", "period_label", "denominator", "definition", "source",
            "age_at_issue", "proceedings_type"]
# definition fields of a newborn extract (docs/import.md): one value per measure, so a measure never mixes definitions
DEFINITION_FIELDS = ["age_at_issue", "proceedings_type"]
PERIOD_RE = re.compile(r"^(\d{4})[/-](\d{2}|\d{4})$")
TEMPLATE = """area_code,year,measure,numerator,denominator,definition,source
E06000009,2020,newborn_s31,14,,Newborns (under 7 days) subject to s.31 care proceedings,Local case records (example)
E08000011,2020,newborn_s31,9,1932,Newborns (under 7 days) subject to s.31 care proceedings,Local case records (example)
E92000001,2020,newborn_s31,2914,610505,Newborns (under 7 days) subject to s.31 care proceedings,\
Local case records (example)
"""


@dataclass
class DisclosureRule:
    """Suppress counts from `min_count` to `max_count` (default 1-4) and any cell that would let one be recovered
    by difference from a total shown beside it (complementary suppression within each region and England)."""
    min_count: int = 1
    max_count: int = 4

    def primary(self, n: float) -> bool:
        return not pd.isna(n) and self.min_count <= n <= self.max_count


def suppressed_note(rule: DisclosureRule) -> str:
    return (f"suppressed by disclosure control (counts {rule.min_count}-{rule.max_count}, and any cell that would "
            "reveal one by difference from a total)")


@dataclass
class Problem:
    row: int | None
    column: str | None
    value: str | None
    problem: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "problem": self.problem}


@dataclass
class ImportResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    values: pd.DataFrame | None = None
    measures: pd.DataFrame | None = None
    notices: list[str] = field(default_factory=list)

    def problems_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.as_dict() for p in self.problems], columns=["row", "column", "value", "problem"])


def decode(data: bytes) -> tuple[str | None, str | None]:
    """UTF-8 (with or without BOM), then latin-1. Returns (text, None) or (None, reason)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        return None, "file is not UTF-8 or latin-1 text (it looks like UTF-16 or a binary file); save it as CSV UTF-8"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    if sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t") > 0:
        return None, "file contains control characters: not a text CSV"
    return text, None


VALUE_COLS = ["measure_id", "area_code", "year", "period_label", "value", "numerator", "denominator", "status", "note",
              "source_id", "lower_95", "upper_95", "lower_998", "upper_998", "comparator", "comparator_value",
              "sig_comparator_95", "sig_comparator_998", "funnel_flag_95", "funnel_flag_998"]
