"""The wording of denominator notes (written by the foundation mart) and the short basis the app shows.

A rate for DfE year Y (year ending 31 March Y) normally uses live births of calendar year Y-1. When it does not, the
row has status `denominator_fallback` and a note written here; `denominator_basis` turns that note back into the
short phrase the map tooltips, tables and captions show (e.g. "ONS mid-2024 population aged 0").
"""
from __future__ import annotations

import re

PREFIX = "denominator: "


def age0_note(year: int) -> str:
    return f"{PREFIX}ONS mid-{year} population aged 0 (live births for {year} not available)"


def nearest_births_note(near: int, year: int) -> str:
    return f"{PREFIX}live births {near} (nearest available year; births for {year} not available)"


_BASIS = re.compile(r"denominator: (ONS mid-\d{4} population aged 0|live births \d{4}) \(")


def denominator_basis(note, status=None) -> str | None:
    """The denominator actually used, when it is not live births of year Y-1 (a fallback row), else None."""
    if status is not None and status != "denominator_fallback":
        return None
    if not isinstance(note, str):
        return None
    m = _BASIS.search(note)
    return m.group(1) if m else None
