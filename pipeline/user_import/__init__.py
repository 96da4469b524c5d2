"""Bring your own extract: validate a user CSV of LA-level counts (e.g. newborns in s.31 proceedings), compute rates,
CIs, significance and funnel flags with the same statistics code as the official measures, apply disclosure control,
and store it in a separate database `data/user/NAME.duckdb` — never in the official warehouse.

The same `validate_extract` runs for `atlas import` and for the app's upload, so both report the same problems:
every problem at once, as (row, column, value, problem); nothing is written if any row is invalid.
"""
from __future__ import annotations

from ..domain import ENGLAND
from .compute import add_denominators, apply_disclosure, compute
from .schema import (
    DEFAULT_MAX_BYTES,
    DEFINITION_FIELDS,
    MAX_ROWS,
    TEMPLATE,
    VALUE_COLS,
    DisclosureRule,
    ImportResult,
    Problem,
    decode,
    suppressed_note,
)
from .store import import_file, store, user_db_path
from .validate import validate_extract

__all__ = ["DEFAULT_MAX_BYTES", "DEFINITION_FIELDS", "ENGLAND", "MAX_ROWS", "TEMPLATE", "VALUE_COLS",
           "DisclosureRule", "ImportResult", "Problem", "add_denominators", "apply_disclosure", "compute", "decode",
           "import_file", "store", "suppressed_note", "user_db_path", "validate_extract"]
