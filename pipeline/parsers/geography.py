"""Geography: the staging ONS LTLA -> UTLA (2022) lookup and the code harmoniser every DfE parser uses (the `areas`
and `area_successors` tables are built by the reference step pipeline/reference/areas.py).

Harmonisation is by code, never by name: `data/la_code_history.csv` (maintained here) gives, for each
DfE 3-digit LA number whose ONS code changed 2011-2025, the code in force and its validity dates;
`data/area_successors.csv` gives old -> new code relations. Current codes come from the ONS
LTLA -> UTLA (April 2023) lookup; regions from the ONS ward -> LAD -> region (May 2023) lookup and,
for codes that no longer exist, the ONSvisual LTLA 2014 lookup.
"""
from __future__ import annotations

import pandas as pd

from .. import config
from ..context import BuildContext
from ..domain import ENGLAND, WALES, fy_start, in_force
from .common import read_csv

__all__ = ["ENGLAND", "WALES", "fy_start", "CodeHarmoniser", "load", "load_history", "load_successors"]
REQUIRES = ()
PRODUCES = ("stg_ltla22_utla22",)


def load_history() -> pd.DataFrame:
    h = pd.read_csv(config.DATA / "la_code_history.csv", dtype=str, keep_default_na=False)
    h["valid_from"] = pd.to_datetime(h["valid_from"].replace("", None)).dt.date
    h["valid_to"] = pd.to_datetime(h["valid_to"].replace("", None)).dt.date
    return h


def load_successors() -> pd.DataFrame:
    s = pd.read_csv(config.DATA / "area_successors.csv", dtype=str, keep_default_na=False)
    s["from_year"] = s["from_year"].astype(int)
    s["additive"] = s["additive"].str.lower().eq("true")
    return s


def load(ctx: BuildContext) -> None:
    ctx.put("stg_ltla22_utla22", read_csv(ctx, "ons_ltla22_utla22", required=["LTLA22CD", "UTLA22CD"]))


class CodeHarmoniser:
    """Map (DfE LA number, published ONS code, DfE year) to the ONS code in force that year."""

    def __init__(self, ctx: BuildContext):
        self.areas = ctx.df("SELECT * FROM areas WHERE area_type = 'la'")
        self.known = set(self.areas["area_code"])
        self.hist = load_history()
        self.by_dfe: dict[str, pd.DataFrame] = {k: g for k, g in self.hist.groupby("dfe_la_code")}
        self.valid = {r.area_code: (r.valid_from, r.valid_to) for r in self.areas.itertuples()}
        # plain-Python views of the history for `resolve` (called thousands of times a build)
        self._hist_codes = set(self.hist["area_code"])
        self._rows = {k: [(r.area_code, None if pd.isna(r.valid_from) else r.valid_from,
                           None if pd.isna(r.valid_to) else r.valid_to) for r in g.itertuples()]
                      for k, g in self.by_dfe.items()}
        self._memo: dict[tuple, tuple] = {}

    def in_force(self, code: str, year: int) -> bool:
        return in_force(*self.valid.get(code, (None, None)), year)

    def resolve(self, dfe_code: str, published: str, year: int) -> tuple[str | None, str | None]:
        """Return (code in force, note) or (None, reason) when the LA did not exist that year.

        Raises KeyError with a reason for an unknown code.
        """
        key = (dfe_code, published, year)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._resolve(dfe_code, published, year)
        return hit

    def _resolve(self, dfe_code: str, published: str, year: int) -> tuple[str | None, str | None]:
        if published not in self.known:
            raise KeyError(f"unknown LA code {published!r} (not in the ONS lookup or the code history)")
        rows = self._rows.get(dfe_code)
        if rows is None:
            if published in self._hist_codes:
                raise KeyError(f"LA number {dfe_code!r} does not match code {published!r} in the code history")
            return published, None
        if published not in {r[0] for r in rows}:
            raise KeyError(f"LA number {dfe_code!r} does not match code {published!r} in the code history")
        for code, vf, vt in rows:
            if in_force(vf, vt, year):
                note = None if code == published else \
                    f"published under code {published}; harmonised to {code} in force that year"
                return code, note
        return None, f"LA {dfe_code} did not exist in {year}"
